"""Decoding and validating input events, and the canonical bytes that are hashed.

Canonical bytes are RFC 8785 on a float-free subset: UTF-8 JSON, keys sorted, no
whitespace. msgspec's encoder already escapes strings the way RFC 8785 does (short escapes
for \\b \\t \\n \\f \\r, lowercase `\\u00xx` for other controls, everything else literal), so
sorting keys is all we add.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import msgspec

from .catalog import DATA_TYPES, SCHEMA_VERSION, AnyEvent, Event
from .errors import InvalidEvent

__all__ = [
    "canonical",
    "json_text",
    "pretty_json",
    "decode_event",
    "event_from_dict",
    "content_of",
    "decode_record",
    "is_record",
    "normalize_data",
    "iter_lines",
    "MAX_LINE",
    "RECORD_KEYS",
]

# A line longer than this is refused before it is parsed (a guard against runaway input).
MAX_LINE = 16 * 1024 * 1024

RECORD_KEYS = ("seq", "version", "recorded_at", "schema_version", "prev_hash", "hash")
_CONTENT_KEYS = ("type", "stream", "occurred_at", "actor", "data", "sources", "confidence", "id")

_decoder = msgspec.json.Decoder(AnyEvent)
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder(order="sorted")
# Control characters in a message (from a key or value of the input) are escaped, so an
# error stays one line and cannot drive the terminal.
_ONE_LINE = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {10: "\\n", 13: "\\r", 9: "\\t"}
# Input nested deeper than Python's recursion limit cannot be decoded (msgspec refuses it
# with a RecursionError); no event is nested more than a few levels.
_TOO_DEEP = "nested too deeply to be an event"


def canonical(obj: Any) -> bytes:
    """The canonical JSON bytes of `obj` (keys sorted, no whitespace, UTF-8)."""
    try:
        return _encoder.encode(obj)
    except (UnicodeEncodeError, TypeError, OverflowError) as exc:
        raise InvalidEvent(f"cannot be encoded canonically: {exc}") from None


def json_text(obj: Any) -> str:
    """One compact JSON line, fields in the order given (for messages and receipts)."""
    return msgspec.json.encode(obj).decode()


def pretty_json(obj: Any) -> str:
    """Indented JSON with sorted keys: views as `--json` prints them and projection files."""
    return msgspec.json.format(msgspec.json.encode(obj, order="sorted"), indent=2).decode()


def _where(line: int | None, raw: Any) -> str:
    """`line 3: event 'x' (order_issued): ` — the prefix every input error starts with."""
    parts = []
    if line is not None:
        parts.append(f"line {line}")
    if isinstance(raw, (bytes, str)):
        try:
            raw = _any_decoder.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            raw = None
    if isinstance(raw, dict):
        ident, kind = raw.get("id"), raw.get("type")
        label = f"event {ident!r}" if isinstance(ident, str) else "event"
        if isinstance(kind, str):
            label += f" ({kind[:64]})"
        parts.append(label)
    return ": ".join(parts) + ": " if parts else ""


def _field_error(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's `… - at `$.data.x`` into `field `data.x`: …`."""
    text = str(exc)
    if " - at `$" in text:
        message, _, path = text.rpartition(" - at `$")
        path = path.rstrip("`").lstrip(".")
        if message.startswith("field `"):
            # Our own __post_init__ message already names a field inside `path`.
            inner, _, rest = message[7:].partition("`")
            return f"field `{path + '.' if path else ''}{inner}`{rest}"
        return f"field `{path}`: {message}" if path else message
    if text.startswith("Object missing required field"):
        name = text.split("`")[1]
        return f"field `{name}`: missing (required)"
    return text


def decode_event(raw: bytes | str, *, line: int | None = None) -> Event:
    """Decode and validate one JSON event (SPEC §2); raise InvalidEvent naming line/event/field."""
    if len(raw) > MAX_LINE:
        raise InvalidEvent(f"{_where(line, None)}line longer than {MAX_LINE} bytes")
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message = f"{_where(line, raw)}{_field_error(exc)}"
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        message = f"{_where(line, None)}not valid JSON ({exc})"
    except RecursionError:
        message = f"{_where(line, None)}{_TOO_DEEP}"
    raise InvalidEvent(message.translate(_ONE_LINE))


def _non_finite(obj: Any) -> str | None:
    """The path of a NaN or infinite float inside `obj`, if any: JSON has no such numbers,
    and msgspec would write them as null (an optional field would silently vanish)."""
    stack: list[tuple[Any, Any]] = [(obj, None)]  # (value, (key, parent's link) or None)
    while stack:
        value, link = stack.pop()
        if isinstance(value, float) and value - value != 0:  # NaN or ±inf
            keys = []
            while link is not None:
                key, link = link
                keys.append(f"[{key}]" if isinstance(key, int) else f".{key}")
            return "".join(reversed(keys)).lstrip(".")
        if isinstance(value, dict):
            stack.extend((v, (k, link)) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, (i, link)) for i, v in enumerate(value))
    return None


def event_from_dict(obj: Any, *, line: int | None = None) -> Event:
    """Validate an event given as a Python dict (the API's input) or pass an Event through."""
    if isinstance(obj, Event):
        return obj
    if not isinstance(obj, dict):
        raise InvalidEvent(f"{_where(line, None)}expected an object, got {type(obj).__name__}")
    # Round-trip through JSON so the API and the CLI share one strict decoder (a float or
    # a bool where an int belongs is refused the same way).
    try:
        raw = _encoder.encode(obj)
    except (TypeError, UnicodeEncodeError, OverflowError) as exc:
        raise InvalidEvent(f"{_where(line, obj)}not JSON-compatible ({exc})".translate(
            _ONE_LINE)) from None
    except RecursionError:
        raise InvalidEvent(f"{_where(line, obj)}{_TOO_DEEP}") from None
    # msgspec writes NaN and infinities as null; only then is the walk worth its cost.
    if b"null" in raw:
        path = _non_finite(obj)
        if path is not None:
            raise InvalidEvent(f"{_where(line, obj)}field `{path}`: NaN and infinity are "
                               "not JSON numbers".translate(_ONE_LINE))
    return decode_event(raw, line=line)


def normalize_data(kind: str, data: Any, *, where: str = "") -> dict:
    """Validate `data` for event type `kind` and return it with defaults omitted."""
    try:
        struct = msgspec.convert(data, DATA_TYPES[kind], strict=True)
    except msgspec.ValidationError as exc:
        message = _field_error(exc).replace("field `", "field `data.data.", 1)
        raise InvalidEvent(f"{where}{message}") from None
    return msgspec.to_builtins(struct)


def content_of(event: Event, stream: str, ident: str) -> dict:
    """The content of an event that identifies it for idempotency and goes into the record."""
    return {
        "type": type(event).__struct_config__.tag,
        "stream": stream,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "data": msgspec.to_builtins(event.data),
        "sources": msgspec.to_builtins(event.sources),
        "confidence": event.confidence,
        "id": ident,
    }


class _Probe(msgspec.Struct):
    """Just the keys that tell an exported record from an input event."""

    hash: Any = None
    prev_hash: Any = None


_probe = msgspec.json.Decoder(_Probe).decode


def is_record(raw: bytes | str) -> bool:
    """True when a JSON line is an exported record (it has `hash` and `prev_hash` keys)."""
    try:
        probe = _probe(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return False  # decode_event reports what is wrong with it
    return probe.hash is not None and probe.prev_hash is not None


def decode_record(raw: bytes | str, *, line: int | None = None) -> tuple[Event, dict]:
    """Decode an exported record line: its event (validated) and its record fields."""
    try:
        obj = _any_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"{_where(line, None)}not valid JSON ({exc})") from None
    except RecursionError:
        raise InvalidEvent(f"{_where(line, None)}{_TOO_DEEP}") from None
    if not isinstance(obj, dict):
        raise InvalidEvent(f"{_where(line, None)}expected an object")
    meta = {k: obj.pop(k) for k in RECORD_KEYS if k in obj}
    missing = [k for k in RECORD_KEYS if k not in meta]
    if missing:
        raise InvalidEvent(f"{_where(line, obj)}field `{missing[0]}`: missing (required in a record)")
    if type(meta["schema_version"]) is not int or meta["schema_version"] != SCHEMA_VERSION:
        raise InvalidEvent(
            f"{_where(line, obj)}field `schema_version`: {meta['schema_version']!r} is not "
            f"supported (this Docket reads {SCHEMA_VERSION})"
        )
    event = event_from_dict(obj, line=line)
    return event, meta


def iter_lines(stream: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Number the non-blank lines of a JSONL byte stream, starting at 1."""
    for number, raw in enumerate(stream, 1):
        if raw.strip():
            yield number, raw
