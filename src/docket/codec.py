"""Decoding and validating input events, and the canonical bytes that are hashed.

Canonical bytes are RFC 8785 on a float-free subset: UTF-8 JSON, keys sorted, no
whitespace. msgspec's encoder already escapes strings the way RFC 8785 does (short escapes
for \\b \\t \\n \\f \\r, lowercase `\\u00xx` for other controls, everything else literal), so
sorting keys is all we add.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import msgspec

from .catalog import DATA_TYPES, EVENT_TYPES, SCHEMA_VERSION, AnyEvent, Event
from .catalog_scalars import MAX_INT, check_stream
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
    "decode_json",
    "check_stream_option",
    "check_append",
    "check_expected_version",
    "check_after_seq",
    "MAX_LINE",
    "RECORD_KEYS",
]

# A line longer than this is refused before it is parsed (a guard against runaway input).
MAX_LINE = 16 * 1024 * 1024

RECORD_KEYS = ("seq", "version", "recorded_at", "schema_version", "prev_hash", "hash")
_CONTENT_KEYS = ("type", "stream", "occurred_at", "actor", "data", "sources", "confidence", "id")

_decoder: msgspec.json.Decoder | None = None  # see _events
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder(order="sorted")
_event_encoder = msgspec.json.Encoder()
# Control characters in a message (from a key or value of the input) are escaped, so an
# error stays one line and cannot drive the terminal.
_ONE_LINE = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {10: "\\n", 13: "\\r", 9: "\\t"}
_BOM = b"\xef\xbb\xbf"


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
    from .input_errors import where

    return where(line, raw)


def _once(raw: bytes | str, event: Event) -> bool:
    """True when no key of the line is given twice (RFC 7493).

    A decoder keeps the last of two equal keys, so a repeated key leaves fewer keys (and
    fewer of its values' colons) in the decoded event than the line has colons. Encoded
    again without its defaults, the event holds a subset of the line's keys and strings: the
    same number of colons means every key came once (about 0.5 us an event). A key given
    with its default value is left out of that encoding; then the line decoded without a
    type, which keeps every key, is counted (about 1 us more). A colon the line spells as an
    escape (\\u003a) defeats counting: such a line is read again exactly."""
    if isinstance(raw, bytes):
        colon, escape = b":", b"\\u003"
        # Most lines hold no backslash at all, and one byte is found fastest.
        if b"\\" in raw and escape in raw:
            return False
    else:
        colon, escape = ":", "\\u003"
        if escape in raw:
            return False
    if raw.count(colon) == _event_encoder.encode(event).count(b":"):
        return True
    return _same_colons(raw, _any_decoder.decode(raw))


def _same_colons(raw: bytes | str, value: Any) -> bool:
    """_once for a value decoded without a type (every key kept, none left out as a
    default): equal colons and no escaped colon mean no key was given twice."""
    colon, escape = (b":", b"\\u003") if isinstance(raw, bytes) else (":", "\\u003")
    return raw.count(colon) == _event_encoder.encode(value).count(b":") and escape not in raw


def _events() -> msgspec.json.Decoder:
    """The decoder of every event type, built at its first use (see `_decode`)."""
    global _decoder
    if _decoder is None:
        _decoder = msgspec.json.Decoder(AnyEvent)
    return _decoder


class _Kind(msgspec.Struct):
    """Just an input line's `type`."""

    type: Any = None


_kind = msgspec.json.Decoder(_Kind).decode
_one_type: dict[str, msgspec.json.Decoder] = {}
_FIRST_ALONE = [16]  # events a process decodes with their own type's decoder, before the union


def _decode(raw: bytes | str) -> Event:
    """One event line decoded as the decoder of every type decodes it.

    msgspec's analysis of the catalogue for that decoder takes ~11 ms, one type's ~1.3 ms:
    `docket append` of one event paid the first for nothing. So the first few events of a
    process are decoded by their own type's decoder; a line it does not take as it is goes
    to the union's decoder, so that what is wrong is said in the same words either way."""
    if _decoder is None and _FIRST_ALONE[0] > 0:
        _FIRST_ALONE[0] -= 1
        try:
            kind = _kind(raw).type
            cls = EVENT_TYPES.get(kind) if kind.__class__ is str else None
            if cls is not None:
                one = _one_type.get(kind)
                if one is None:
                    one = _one_type[kind] = msgspec.json.Decoder(cls)
                return one.decode(raw)
        except (msgspec.MsgspecError, UnicodeError, RecursionError):
            pass
    return _events().decode(raw)


def decode_event(raw: bytes | str, *, line: int | None = None, keys_checked: bool = False
                 ) -> Event:
    """Decode and validate one JSON event (SPEC §2); raise InvalidEvent naming line/event/field.

    `keys_checked`: the bytes were encoded from a dict here (no key can repeat)."""
    if len(raw) > MAX_LINE:
        raise InvalidEvent(f"{_where(line, None)}line longer than {MAX_LINE} bytes")
    try:
        event = _decode(raw)
    except msgspec.ValidationError as exc:
        from .input_errors import duplicate_key, invalid

        # A key given twice can be what made the line invalid (two types, of which the
        # decoder saw one): that is the cause to name.
        message = duplicate_key(raw, line=line) or invalid(raw, exc, line=line)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        from .input_errors import malformed

        message = malformed(raw, exc, line=line)
    except RecursionError:
        from .input_errors import too_deep

        message = too_deep(raw, line=line)
    else:
        if keys_checked or _once(raw, event):
            return event
        from .input_errors import duplicate_key

        message = duplicate_key(raw, line=line)
        if message is None:
            return event
    raise InvalidEvent(message.translate(_ONE_LINE))


def decode_json(raw: bytes | str, head: str, field: str) -> Any:
    """A JSON value given as one field on the command line (`--data`), each key once;
    errors start with `head` and name `field`."""
    from . import input_errors as errors

    try:
        value = _any_decoder.decode(raw)
    except RecursionError:
        message = errors.too_deep(raw, head=f"{head}field `{field}`: ")
    except (msgspec.DecodeError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        message = errors.malformed(raw, exc, head=head, prefix=f"{field}.")
    else:
        if _same_colons(raw, value):
            return value
        message = errors.duplicate_key(raw, head=head, prefix=f"{field}.")
        if message is None:
            return value
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
        raise InvalidEvent(f"{_where(line, obj)}nested too deeply to be an event") from None
    # msgspec writes NaN and infinities as null; only then is the walk worth its cost.
    if b"null" in raw:
        path = _non_finite(obj)
        if path is not None:
            raise InvalidEvent(f"{_where(line, obj)}field `{path}`: NaN and infinity are "
                               "not JSON numbers".translate(_ONE_LINE))
    return decode_event(raw, line=line, keys_checked=True)


def normalize_data(kind: str, data: Any, *, where: str = "") -> dict:
    """Validate `data` for event type `kind` and return it with defaults omitted."""
    try:
        struct = msgspec.convert(data, DATA_TYPES[kind], strict=True)
    except msgspec.ValidationError as exc:
        from .input_errors import invalid

        message = invalid(data, exc, root=DATA_TYPES[kind], prefix="data.data.", label=where)
        raise InvalidEvent(message.translate(_ONE_LINE)) from None
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
    except (msgspec.DecodeError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        from .input_errors import malformed

        raise InvalidEvent(malformed(raw, exc, line=line).translate(_ONE_LINE)) from None
    except RecursionError:
        from .input_errors import too_deep

        raise InvalidEvent(too_deep(raw, line=line)) from None
    if not isinstance(obj, dict):
        raise InvalidEvent(f"{_where(line, None)}expected an object")
    if not _same_colons(raw, obj):
        from .input_errors import duplicate_key

        message = duplicate_key(raw, line=line)
        if message is not None:
            raise InvalidEvent(message.translate(_ONE_LINE))
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
    """Number the non-blank lines of a JSONL byte stream, starting at 1.

    A UTF-8 byte-order mark at the start of the stream (Windows editors write one) is
    skipped; anywhere else it is an error of its line."""
    for number, raw in enumerate(stream, 1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if raw.strip():
            yield number, raw


def check_stream_option(stream: object, label: str = "stream") -> None:
    """Refuse a stream name given apart from the events (`--stream`, `stream=`) that is not
    a stream name (SPEC §1); None is no stream. `label` names it in the message."""
    if stream is not None:
        message = check_stream(stream)
        if message is not None:
            raise InvalidEvent(f"{label}: {message}".translate(_ONE_LINE))


def check_append(stream: object, expected_version: object) -> None:
    """The arguments of `Log.append` besides the events: check_stream_option and
    check_expected_version."""
    check_stream_option(stream)
    check_expected_version(expected_version)


def check_expected_version(value: object) -> None:
    """Refuse an `expected_version` that is not None or a whole number from 0 to 2^53 - 1
    (a str or a bool would otherwise compare unequal and report a conflict)."""
    if value is None:
        return
    if type(value) is not int:
        raise TypeError(f"expected_version: expected a whole number from 0 to {MAX_INT} or "
                        f"None, got {value!r}")
    if not 0 <= value <= MAX_INT:
        raise InvalidEvent(f"expected_version: {value} is not a whole number from 0 to "
                           f"{MAX_INT}")


def check_after_seq(value: object) -> None:
    """Refuse an `after_seq` that is not a whole number from 0 (`read`, `follow`)."""
    if type(value) is not int:
        raise TypeError(f"after_seq: expected a whole number from 0, got {value!r}")
    if value < 0:
        raise ValueError(f"after_seq: {value} is below 0")
