"""Input errors in the user's words: which line, which event, which field, what is wrong and
what the field wants (allowed values listed, formats named; no Python type or regex).

Only the error path comes here (`codec` imports it when decoding fails), so none of this
costs anything while input is valid. It reads the line again leniently (Python's json, which
takes lone surrogates, 1e400 and repeated keys) to quote the offending value and to find
the event's id and type even when the line cannot be decoded.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from .catalog import DATA_TYPES, EVENT_TYPES, Source
from .catalog_fields import (MISSING, JSONNumber, event_fields, field_at, problem, struct_fields,
                             value_words)

__all__ = ["lenient", "where", "invalid", "malformed", "too_deep", "duplicate_key"]

_TOO_DEEP = "nested too deeply to be an event"


def lenient(raw: Any) -> Any:
    """The line parsed as far as Python's json can (None when it cannot)."""
    if isinstance(raw, (dict, list)):
        return raw
    try:
        text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_float=JSONNumber, parse_constant=JSONNumber)
    except (ValueError, RecursionError, TypeError):
        return None


# -- which event ---------------------------------------------------------------------------

_STRUCTURE = re.compile(r'["{}\[\],]')


def _top_level_strings(text: str) -> dict[str, str]:
    """The top-level string members of a JSON object, found without parsing nested values
    (a line nested too deeply for any parser still names its event)."""
    out: dict[str, str] = {}
    depth, key, i = 0, None, 0
    while (m := _STRUCTURE.search(text, i)) is not None:
        c, i = m.group(), m.end()
        if c != '"':
            depth += 1 if c in "{[" else -1 if c in "}]" else 0
            key = None if c == "," and depth == 1 else key
            continue
        end = i
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        literal, i = text[i - 1:end + 1], end + 1
        if depth != 1:
            continue
        if text[i:].lstrip(" \t\r\n").startswith(":"):
            key = literal
        elif key is not None:
            try:
                out[json.loads(key)] = json.loads(literal)
            except ValueError:
                pass
            key = None
    return out


def _label(raw: Any) -> str | None:
    """`event 'x' (order_issued)` for a line whose id and type can be read, else None."""
    obj = lenient(raw)
    if not isinstance(obj, dict):
        if not isinstance(raw, (bytes, str)):
            return None
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not text.lstrip("\ufeff \t\r\n").startswith("{"):
            return None
        obj = _top_level_strings(text)
    ident, kind = obj.get("id"), obj.get("type")
    label = f"event {ident!r}" if isinstance(ident, str) and ident else "event"
    if isinstance(kind, str):
        label += f" ({kind[:64]})"
    return label


def where(line: int | None, raw: Any) -> str:
    """`line 3: event 'x' (order_issued): ` — the prefix every input error starts with."""
    parts = [f"line {line}"] if line is not None else []
    label = _label(raw) if raw is not None else None
    if label is not None:
        parts.append(label)
    return ": ".join(parts) + ": " if parts else ""


# -- what is wrong with a field ------------------------------------------------------------

def _value_at(obj: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(obj, list) or index >= len(obj):
                return MISSING
            obj = obj[index]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return MISSING
    return obj


def _container(tag: str | None, path: str, root: type | None) -> tuple[str, list[str]]:
    """The words for the object at `path` and the names of its fields."""
    if root is not None and path == "":
        name = next((t for t, c in DATA_TYPES.items() if c is root), "")
        return f"{name} data", [f.name for f in struct_fields(root)]
    if path == "":
        return "an event", [f.name for f in event_fields()]
    spec = field_at(tag, path, root)
    if spec is not None and spec.name == "data" and tag in DATA_TYPES and root is None:
        return f"{tag} data", [f.name for f in struct_fields(DATA_TYPES[tag])]
    if path.startswith("sources[") or (spec is not None and spec.fields):
        return "a source", [f.name for f in struct_fields(Source)]
    return "this object", []


def invalid(raw: Any, exc: Exception, *, line: int | None = None, root: type | None = None,
            prefix: str = "", label: str | None = None) -> str:
    """The whole message for a line that decodes but does not validate (msgspec's
    ValidationError `exc`): `line 4: event 'x' (order_issued): field `data.procedure`: …`.

    `root` is the Struct the error's path starts from (a correction's replacement data),
    `prefix` what to put before that path."""
    text, _, path = str(exc).partition(" - at `$")
    path = path.rstrip("`").lstrip(".")
    obj = lenient(raw)
    if isinstance(obj, dict):
        tag = obj.get("type")
    else:  # too deep for Python's json: the type is a top-level string
        source = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        tag = _top_level_strings(source).get("type")
    tag = tag if root is None else None
    head = label if label is not None else where(line, raw)
    if m := re.match(r"Object missing required field `(.+)`$", text):
        path = f"{path}.{m[1]}" if path else m[1]
        spec = field_at(tag, path, root)
        meaning = f": {spec.meaning}" if spec is not None and spec.meaning else ""
        return f"{head}field `{prefix}{path}`: missing (required{meaning})"
    if m := re.match(r"Object contains unknown field `(.+)`$", text):
        what, names = _container(tag, path, root)
        path = f"{path}.{m[1]}" if path else m[1]
        close = difflib.get_close_matches(m[1], names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        listed = f" (its fields: {', '.join(names)})" if names else ""
        return f"{head}field `{prefix}{path}`: not a field of {what}{hint}{listed}"
    if text.startswith("field `"):  # our own check names a field inside `path`
        inner, _, rest = text[7:].partition("`")
        return f"{head}field `{prefix}{path + '.' if path else ''}{inner}`{rest}"
    value = _value_at(obj, path) if obj is not None else MISSING
    if path == "type" and root is None and text.startswith(("Invalid value", "Expected")):
        return f"{head}field `type`: {_not_a_type(value)}"
    if path == "" and root is None and text.startswith("Expected `object`"):
        return f"{head}expected an object (one event), got {value_words(obj)}" \
            if obj is not None else f"{head}expected an object (one event)"
    spec = field_at(tag, path, root)
    return f"{head}field `{prefix}{path}`: {problem(spec, text, value)}"


def _not_a_type(value: Any) -> str:
    types = list(EVENT_TYPES)
    if not isinstance(value, str):
        return f"expected an event type, got {value_words(value)} (the types: " \
               f"{', '.join(types)})"
    close = difflib.get_close_matches(value, types, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{value[:64]!r} is not an event type{hint} (the types: {', '.join(types)})"


# -- lines that are not JSON ---------------------------------------------------------------

def _strings(obj: Any, path: str = ""):
    """(path, string) of every key and string value inside `obj`."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield (f"{path}.{key}" if path else key), key
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _strings(value, f"{path}[{i}]")


def _find(obj: Any, pattern: str) -> tuple[str, str] | None:
    found = re.compile(pattern)
    for path, text in _strings(obj):
        if m := found.search(text):
            return path, m.group()
    return None


def malformed(raw: Any, exc: Exception, *, line: int | None = None, head: str | None = None,
              prefix: str = "") -> str:
    """The message for a line that is not JSON (or not UTF-8), naming the field where it can.

    `head` replaces the line-and-event prefix and `prefix` goes before field paths (for a
    JSON value given as one field, `--data`)."""
    head = where(line, raw) if head is None else head
    whole = f"field `{prefix.rstrip('.')}`: " if prefix else ""
    if isinstance(raw, bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            # Undecodable bytes come back from surrogateescape as U+DC80-U+DCFF.
            hit = _find(lenient(raw), "[\udc80-\udcff]")
            field = f"field `{prefix}{hit[0]}`: " if hit else whole
            return f"{head}{field}not valid UTF-8 (byte {bad.start + 1} of the line: " \
                   f"0x{raw[bad.start]:02x})"
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if text.startswith("\ufeff"):
        return f"{head}{whole}starts with a byte-order mark (U+FEFF), which only the start " \
               "of a file may carry"
    hit = _find(lenient(raw), "[\ud800-\udfff]")
    if hit is not None:
        return f"{head}field `{prefix}{hit[0]}`: \\u{ord(hit[1]):04x} is a lone surrogate " \
               "(half of a UTF-16 pair), not a character; write the character itself or " \
               "both halves"
    reason = str(exc).partition(" - at `$")[0]
    if reason == "Input data was truncated":
        reason = "it ends before the JSON does"
    elif reason == "Number out of range":
        reason = "a number is beyond what a JSON reader can hold"
    reason = reason.removeprefix("JSON is malformed: ")
    reason = re.sub(r"\(byte (\d+)\)", lambda m: f"at byte {int(m[1]) + 1}", reason)
    return f"{head}{whole}not valid JSON: {reason}"


def too_deep(raw: Any, *, line: int | None = None, head: str | None = None) -> str:
    """The message for a line nested deeper than any event."""
    return f"{where(line, raw) if head is None else head}{_TOO_DEEP}"


# -- keys given twice ----------------------------------------------------------------------

class _Twice(dict):
    """An object in which `key` was given twice."""

    key = ""


def _pairs(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            twice = _Twice(out)
            twice.key = key
            return twice
        out[key] = value
    return out


def _twice(obj: Any, path: str = "") -> str | None:
    if isinstance(obj, _Twice):
        return f"{path}.{obj.key}" if path else obj.key
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = ((f"[{i}]", v) for i, v in enumerate(obj))
    else:
        return None
    for key, value in items:
        sub = f"{path}{key}" if str(key).startswith("[") else (f"{path}.{key}" if path else key)
        found = _twice(value, sub)
        if found is not None:
            return found
    return None


def duplicate_key(raw: Any, *, line: int | None = None, head: str | None = None,
                  prefix: str = "") -> str | None:
    """The message for a line that gives a key twice in one object (RFC 7493 forbids it:
    JSON readers disagree on which one wins), or None when every key is given once."""
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    try:
        obj = json.loads(text, object_pairs_hook=_pairs, parse_float=JSONNumber,
                         parse_constant=JSONNumber)
    except RecursionError:
        return too_deep(raw, line=line, head=head)
    except ValueError:
        return None  # not JSON: the decoder has said so already
    path = _twice(obj)
    if path is None:
        return None
    head = where(line, raw) if head is None else head
    return f"{head}field `{prefix}{path}`: given twice; each key may appear once in an " \
           "object (RFC 7493)"
