"""Every field of the catalogue in plain words: its type, allowed values, format, whether it
is required, its meaning and what its absence means — read from the Structs of `catalog`
(msgspec's `inspect`), so `docket types`, `docket new`, the error messages and the JSON
Schemas say the same thing as the validation does.
"""

from __future__ import annotations

import re
import types
import typing
from functools import cache
from typing import Any, NamedTuple

import msgspec

from .catalog import DATA_TYPES, EVENT_TYPES, Source
from .catalog_scalars import MAX_INT, STREAM_WORDS, check_scope, check_time

__all__ = [
    "FieldSpec", "TIME_FORMAT", "type_meaning", "data_fields", "event_fields",
    "source_fields", "struct_fields", "field_at", "words", "expected", "check_value",
    "problem", "value_words", "JSONNumber", "MISSING",
]

TIME_FORMAT = ("YYYY-MM-DD, or RFC 3339 with an offset, e.g. 2021-02-01T14:30:00+05:30 or "
               "2021-02-01T09:00:00Z")
_COUNTRY = "ISO 3166 alpha-2: 2 capital letters, e.g. IN, BR, AU"
# kind -> (noun, its plural, the format in words or None)
_KINDS = {
    "text": ("text", "texts", None),
    "ident": ("identifier", "identifiers", None),
    "target": ("target", "targets", "@handle, #tag, a http(s):// URL, or an opaque id"),
    "count": ("whole number", "whole numbers", None),
    "money": ("whole number", "whole numbers", None),
    "bool": ("true or false", "true or false values", None),
    "enum": ("one of", "values", None),
    "time": ("time", "times", TIME_FORMAT),
    "scope": ("global or a country code", "scopes", _COUNTRY),
    "country": ("country code", "country codes", _COUNTRY),
    "currency": ("currency code", "currency codes", "3 capital letters, ISO 4217, e.g. INR, "
                 "BRL, AUD"),
    "url": ("URL", "URLs", "http:// or https://, without spaces"),
    "stream": ("stream name", "stream names", STREAM_WORDS),
    "list": ("list", "lists", None),
    "object": ("object", "objects", None),
}


MISSING = object()  # a value the input does not have
# SPEC §2's order.
_TOP_ORDER = ("stream", "occurred_at", "actor", "data", "sources", "confidence", "id",
              "expected_version")


class FieldSpec(NamedTuple):
    """One field: its name, whether it is required, its kind (a key of the words table),
    meaning, what absence means, allowed values (enums), limits, list item, the Python
    annotation it is validated against, and whether it accepts null."""

    name: str
    required: bool
    kind: str
    meaning: str
    default: str | None = None
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    item: FieldSpec | None = None
    annotation: Any = None
    nullable: bool = False
    fields: tuple = ()  # the fields of an object (a source)


def type_meaning(tag: str) -> str:
    """The one-line meaning of an event type (its data Struct's docstring)."""
    return DATA_TYPES[tag].__doc__.strip()


@cache
def struct_fields(cls: type) -> tuple[FieldSpec, ...]:
    """The fields of a Struct, in declaration order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    info = msgspec.inspect.type_info(cls)
    return tuple(_spec(f.name, f.required, f.type, hints[f.name]) for f in info.fields)


def data_fields(tag: str) -> tuple[FieldSpec, ...]:
    """The `data` fields of event type `tag`."""
    return struct_fields(DATA_TYPES[tag])


def event_fields(tag: str | None = None) -> tuple[FieldSpec, ...]:
    """The top-level fields of an event (`type` first, then `data` and the rest)."""
    cls = EVENT_TYPES[tag] if tag is not None else EVENT_TYPES["order_issued"]
    kind = FieldSpec("type", True, "enum", "the kind of development",
                     values=(tag,) if tag else tuple(EVENT_TYPES))
    rest = sorted(struct_fields(cls), key=lambda f: _TOP_ORDER.index(f.name))
    return (kind, *rest)


def source_fields() -> tuple[FieldSpec, ...]:
    """The fields of one source."""
    return struct_fields(Source)


def _spec(name: str, required: bool, node, annotation) -> FieldSpec:
    meaning, extra, nullable = "", {}, False
    while True:
        if isinstance(node, msgspec.inspect.Metadata):
            meaning = (node.extra_json_schema or {}).get("description", meaning)
            extra = {**(node.extra or {}), **extra}
            node = node.type
        elif isinstance(node, msgspec.inspect.UnionType):
            (node,) = [t for t in node.types if not isinstance(t, msgspec.inspect.NoneType)]
            nullable = True
        else:
            break
    out = dict(name=name, required=required, meaning=meaning, default=extra.get("default"),
               annotation=annotation, nullable=nullable)
    kind = extra.get("kind")
    if isinstance(node, msgspec.inspect.StrType):
        out.update(kind=kind or "text", min_length=node.min_length, max_length=node.max_length)
    elif isinstance(node, msgspec.inspect.IntType):
        out.update(kind=kind or "count", minimum=node.ge, maximum=node.le)
    elif isinstance(node, msgspec.inspect.BoolType):
        out.update(kind="bool")
    elif isinstance(node, msgspec.inspect.LiteralType):
        # In the order written (inspect sorts them).
        out.update(kind="enum", values=typing.get_args(_bare(annotation)))
    elif isinstance(node, msgspec.inspect.ListType):
        item = _spec(name, True, node.item_type, typing.get_args(_bare(annotation))[0])
        out.update(kind="list", item=item, min_length=node.min_length,
                   max_length=node.max_length)
    elif isinstance(node, msgspec.inspect.StructType):
        out.update(kind="object", fields=struct_fields(node.cls))
    else:  # a dict: the replacement data of a correction
        out.update(kind="object")
    if name == "confidence":
        out["default"] = "reported"
    return FieldSpec(**out)


def _bare(annotation):
    """`list[X]` out of `Annotated[list[X] | None, …]`."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            annotation = [a for a in typing.get_args(annotation) if a is not type(None)][0]
        else:
            return annotation


def field_at(tag: str | None, path: str, root: type | None = None) -> FieldSpec | None:
    """The field a path names (`data.procedure`, `sources[0].url`, `data.targets[2]`) in an
    event of type `tag` (or in the Struct `root`); None when it names no known field."""
    fields = struct_fields(root) if root is not None else (
        event_fields(tag) if tag in EVENT_TYPES else event_fields())
    spec = None
    for part in path.split("."):
        name, _, index = part.partition("[")
        spec = next((f for f in fields if f.name == name), None)
        if spec is None:
            return None
        for _ in range(index.count("]")):
            spec = spec.item
            if spec is None:
                return None
        if spec.name == "data" and spec.kind == "object" and tag in DATA_TYPES:
            fields = data_fields(tag)
        else:
            fields = spec.fields
    return spec


def words(spec: FieldSpec) -> str:
    """The type of a field in plain words, with its allowed values, limits or format."""
    noun, plural, fmt = _KINDS[spec.kind]
    if spec.kind == "enum":
        return "one of: " + ", ".join(spec.values)
    if spec.kind in ("count", "money"):
        text = f"whole number from {_number_range(spec)}"
        if spec.kind == "money":
            text += " (whole units of the currency)"
    elif spec.kind == "list":
        item = spec.item
        fmt = _KINDS[item.kind][2]
        if item.fields:
            text = "list of sources, each with " + _names(item.fields)
        else:
            text = f"list of {_KINDS[item.kind][1]}"
            if item.max_length is not None:
                text += f", each {item.min_length or 0} to {item.max_length} characters"
        if spec.min_length:
            text += f" (at least {spec.min_length})"
    elif spec.kind == "object":
        return "object: " + (_names(spec.fields) if spec.fields else
                             "the fields of the corrected event's data")
    elif spec.max_length is not None and spec.kind in ("text", "ident", "target"):
        text = f"{noun} ({spec.min_length or 0} to {spec.max_length} characters)"
    else:
        text = noun
    return f"{text}: {fmt}" if fmt else text


def _names(fields) -> str:
    return ", ".join(f.name + ("" if f.required else "?") for f in fields)


def _number_range(spec: FieldSpec) -> str:
    return f"{spec.minimum or 0} to {spec.maximum if spec.maximum is not None else MAX_INT}"


def expected(spec: FieldSpec) -> str:
    """What a field wants, as the end of "expected …" in an error message."""
    kind = spec.kind
    if kind == "enum":
        return "one of " + ", ".join(spec.values)
    if kind == "bool":
        return "true or false"
    if kind in ("count", "money"):
        return f"a whole number from {_number_range(spec)}"
    if kind == "list":
        return "a " + words(spec)
    if kind == "object":
        return f"an object ({_names(spec.fields) if spec.fields else 'data of the type'})"
    noun, _, fmt = _KINDS[kind]
    article = "" if kind == "scope" else "an " if noun[0] in "aeio" else "a "
    if kind in ("text", "ident", "target") and spec.max_length is not None:
        return f"{'text' if kind == 'text' else article + noun} ({spec.min_length or 0} to " \
               f"{spec.max_length} characters)"
    return f"{article}{noun} ({fmt})" if fmt else f"{article}{noun}"


class JSONNumber(str):
    """A JSON number with a fraction or an exponent, kept as written (`3.0`, `1e400`)."""


def value_words(value: Any) -> str:
    """A JSON value as an error message quotes it."""
    if isinstance(value, JSONNumber):
        return f"the number {value}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the whole number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "…"
        return f"the text {shown!r}"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "an object"


_EXPECTED = re.compile(r"Expected `[^`]+`(?:, got `[^`]+`)?$")
_LENGTH = re.compile(r"Expected `(str|array|object)` of length (>=|<=) (\d+)$")
_RANGE = re.compile(r"Expected `int` (>=|<=) (-?\d+)$")


def problem(spec: FieldSpec | None, text: str, value: Any = MISSING) -> str:
    """What is wrong with one field's value, in the user's words (msgspec's `text` says
    which check failed; the field's spec says what it wants)."""
    if text.startswith("field `"):  # a Struct's own check, already in words
        return text.partition("`: ")[2] or text
    if spec is None:
        return text
    got = "" if value is MISSING else f", got {value_words(value)}"
    if _EXPECTED.match(text):
        return f"expected {expected(spec)}{got}"
    if m := _LENGTH.match(text):
        what, op, limit = m.groups()
        if what == "str":
            if op == ">=":
                return f"empty; give {expected(spec)}" if value == "" else \
                    f"too short; give {expected(spec)}"
            size = f"{len(value)} characters" if isinstance(value, str) else "too long"
            return f"too long: {size} (at most {limit})"
        size = f"{len(value)} entries" if isinstance(value, list) else "the list"
        if op == ">=":
            return f"an empty list; give at least {limit}" if value == [] else \
                f"{size}; give at least {limit}"
        return f"too long: {size} (at most {limit})"
    if m := _RANGE.match(text):
        shown = value if isinstance(value, int) else "the number"
        side = "below" if m[1] == ">=" else "above"
        return f"{shown} is {side} {m[2]}; expected {expected(spec)}"
    if text.startswith("Expected `str` matching regex"):
        return f"{value!r} is not {expected(spec)}"
    if text.startswith("Invalid enum value"):
        shown = repr(value) if value is not MISSING else text[len("Invalid enum value "):]
        return f"{shown} is not one of {', '.join(spec.values)}"
    if text == "Number out of range":
        return f"{value if value is not MISSING else 'the number'} is beyond the numbers a " \
               f"JSON reader can hold; expected {expected(spec)}"
    return text


def check_value(spec: FieldSpec, value: Any) -> Any:
    """Validate one field's value as the decoder would; return it, or raise ValueError in
    the user's words (what `docket new` asks again with)."""
    try:
        value = msgspec.convert(value, spec.annotation, strict=True)
    except msgspec.ValidationError as exc:
        text, _, path = str(exc).partition(" - at `$")
        target = spec
        for _ in range(path.count("[")):
            target = target.item or target
        raise ValueError(problem(target, text, _item(value, path))) from None
    try:
        if spec.kind == "time":
            check_time(spec.name, value)
        elif spec.kind in ("scope", "country"):
            check_scope(spec.name, value, allow_global=spec.kind == "scope")
    except ValueError as exc:
        raise ValueError(str(exc).partition("`: ")[2]) from None
    return value


def _item(value: Any, path: str) -> Any:
    """The element of `value` that a path like `[2]` names."""
    for index in path.rstrip("`").strip("[]").split("]["):
        if index.isdigit() and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
    return value
