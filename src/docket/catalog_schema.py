"""JSON Schemas (Draft 2020-12) of the catalogue: one per event type and one for a whole
input event (`docket types --json`), written from the same field specs as `docket types`.

They are as strict as a schema can be: times as a pattern that knows the days of each
month and leap years, country codes as an enum, currencies and stream names as patterns,
every limit of length and range. Patterns are ECMA-262 (`u` mode) and read the same in
Python's `re` (see catalog_scalars). What no schema can check: references to other events,
an `ends_at` before `starts_at`, a time whose offset carries it outside years 1-9999 in UTC,
a decimal number with a zero fraction (`3.0`, which JSON Schema counts as an integer), and
what is lost before a validator sees the data: a key given twice, a lone surrogate.
"""

from __future__ import annotations

from .catalog import DATA_TYPES, EVENT_TYPES
from .catalog_fields import FieldSpec, data_fields, event_fields, source_fields, type_meaning
from .catalog_scalars import COUNTRY_CODES, CURRENCY_PATTERN, STREAM_PATTERN, URL_PATTERN

__all__ = ["TIME_PATTERN", "DIALECT", "type_schema", "event_schema", "json_schemas"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _time_pattern() -> str:
    """`YYYY-MM-DD` or RFC 3339 with an offset, impossible dates excluded (what parse_time
    accepts, but for an offset that leaves years 1-9999 in UTC)."""
    year = "(?!0000)[0-9]{4}"
    day_28 = "(?:0[1-9]|1[0-9]|2[0-8])"
    common = (f"{year}-(?:(?:0[1-9]|1[0-2])-{day_28}|(?:0[13-9]|1[0-2])-(?:29|30)"
              "|(?:0[13578]|1[02])-31)")
    # A leap year: divisible by 4 and not by 100, or by 400.
    leap = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
    date = f"(?:{common}|{leap}-02-29)"
    hours = "(?:[01][0-9]|2[0-3])"
    clock = f"[Tt]{hours}:[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{{1,9}})?"
    offset = f"(?:[Zz]|[+-]{hours}:[0-5][0-9])"
    return f"^{date}(?:{clock}{offset})?$(?!\\n)"


TIME_PATTERN = _time_pattern()
_COUNTRIES = sorted(COUNTRY_CODES)


def _described(spec: FieldSpec) -> dict:
    text = spec.meaning
    if spec.default is not None:
        text += f" (if absent: {spec.default})"
    out = {"description": text} if text else {}
    if spec.default is not None and spec.kind == "enum" and spec.default in spec.values:
        out["default"] = spec.default
    elif spec.kind == "scope" and spec.default == "global":
        out["default"] = "global"
    return out


def _value(spec: FieldSpec, tag: str | None) -> dict:
    """The schema of a field's value (null not included)."""
    kind = spec.kind
    if kind in ("text", "ident", "target"):
        out = {"type": "string", "minLength": spec.min_length or 0}
        if spec.max_length is not None:
            out["maxLength"] = spec.max_length
        return out
    if kind in ("count", "money"):
        return {"type": "integer", "minimum": spec.minimum or 0, "maximum": spec.maximum}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "enum":
        return {"enum": list(spec.values)}
    if kind == "time":
        return {"type": "string", "pattern": TIME_PATTERN}
    if kind == "scope":
        return {"enum": ["global", *_COUNTRIES]}
    if kind == "country":
        return {"enum": _COUNTRIES}
    if kind == "currency":
        return {"type": "string", "pattern": CURRENCY_PATTERN}
    if kind == "url":
        return {"type": "string", "pattern": URL_PATTERN, "maxLength": spec.max_length}
    if kind == "stream":
        return {"type": "string", "pattern": STREAM_PATTERN}
    if kind == "list":
        out = {"type": "array", "items": _value(spec.item, tag)}
        if spec.min_length:
            out["minItems"] = spec.min_length
        if spec.max_length is not None:
            out["maxItems"] = spec.max_length
        return out
    if spec.fields:  # a source
        return {"$ref": "#/$defs/source"}
    # A correction's replacement data: whole data of some type (the log checks which).
    return {"anyOf": [{"$ref": f"#/$defs/{t}.data"} for t in DATA_TYPES]}


def _field(spec: FieldSpec, tag: str | None) -> dict:
    value = _value(spec, tag)
    if spec.nullable:  # an optional data field may be given as null, which means absent
        if "enum" in value:
            value = {"enum": [*value["enum"], None]}
        elif isinstance(value.get("type"), str):
            value = {**value, "type": [value["type"], "null"]}
        else:
            value = {"anyOf": [value, {"type": "null"}]}
    return {**_described(spec), **value}


def _object(title: str, description: str, fields, tag: str | None) -> dict:
    out = {"title": title, "description": description, "type": "object",
           "properties": {f.name: _field(f, tag) for f in fields},
           "required": [f.name for f in fields if f.required],
           "additionalProperties": False}
    if not out["required"]:
        del out["required"]
    return out


def _given(field: str, kind: str) -> dict:
    """`field` is there and not null."""
    return {"required": [field], "properties": {field: {"type": kind}}}


_NEEDS_ORDER = {"if": {"required": ["all_targets"], "properties": {"all_targets": {"const": True}}},
                "then": _given("order_id", "string")}
# Rules across fields that a schema can state (the Structs' __post_init__ check them too).
_RULES = {
    "accounts_blocked": _NEEDS_ORDER,
    "accounts_unblocked": _NEEDS_ORDER,
    "event_corrected": {"anyOf": [_given("occurred_at", "string"), _given("data", "object")]},
}


def _data(tag: str) -> dict:
    out = {**_object(f"{tag} data", type_meaning(tag), data_fields(tag), tag),
           **_RULES.get(tag, {})}
    if tag == "order_issued":  # each target once (OrderIssuedData's __post_init__ too)
        out["properties"]["targets"]["uniqueItems"] = True
    return out


def _source() -> dict:
    return _object("source", "Where a fact comes from: a title, and where known a URL, a "
                   "publication time and a short quote.", source_fields(), None)


def _event(tag: str) -> dict:
    fields = [f for f in event_fields(tag) if f.name not in ("type", "data")]
    out = _object(tag, f"A `{tag}` event: {type_meaning(tag)}", fields, tag)
    out["properties"] = {
        "type": {"description": "the kind of development", "const": tag},
        **out["properties"],
        "data": {"description": type_meaning(tag), "$ref": f"#/$defs/{tag}.data"},
    }
    out["required"] = ["type", *out["required"], "data"]
    return out


def type_schema(tag: str) -> dict:
    """The JSON Schema of one event type's input, with the definitions it refers to."""
    defs = {"source": _source(), f"{tag}.data": _data(tag)}
    if tag == "event_corrected":
        defs.update({f"{t}.data": _data(t) for t in DATA_TYPES})
    return {"$schema": DIALECT, **_event(tag), "$defs": defs}


def event_schema() -> dict:
    """The JSON Schema of a whole input event: one of the types, told apart by `type`."""
    defs: dict = {"source": _source()}
    for tag in EVENT_TYPES:
        defs[tag] = _event(tag)
        defs[f"{tag}.data"] = _data(tag)
    return {
        "$schema": DIALECT,
        "title": "event",
        "description": "One Docket input event (a line of JSONL): its `type` says which of "
                       "the catalogue's types it is, and so which `data` it carries.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"description": "the kind of development",
                                "enum": list(EVENT_TYPES)}},
        "oneOf": [{"$ref": f"#/$defs/{tag}"} for tag in EVENT_TYPES],
        "$defs": defs,
    }


def json_schemas() -> dict[str, dict]:
    """The JSON Schema of every event type's input, keyed by type."""
    return {tag: type_schema(tag) for tag in EVENT_TYPES}
