"""What an error about a ref `why` cannot explain adds: where that ref is after all.

An analyst asks `why` of what they see: an event's id (printed in brackets by `log` and
`why`), an order not issued yet at `--as-of`, an id of another stream. Each gets the error
a typo gets, and then the place the ref is, read from the `refs` index and the events
table (no fold)."""

from __future__ import annotations

import re

import msgspec

from .catalog import citations, introduced
from .times import parse_time

__all__ = ["ref_hint"]

_ENTITIES = ("order", "notice", "case", "penalty")


def ref_hint(storage, ref: str, stream: str, timed: bool) -> str:
    """` (…)` saying where `ref` is, or `` (inside a read transaction)."""
    if timed:
        for kind in _ENTITIES:
            seq = storage.ref_seq(stream, kind, ref)
            if seq is not None:
                when = _when(storage, stream, seq)
                return f" (the {kind} is introduced later, by seq {seq}{when})"
    found = storage.event_by_id(ref)
    if found is not None and found[0] == stream:
        kind, named, seq = found[1], None, "?"
        try:
            record = msgspec.json.decode(found[2])
            seq, data = record["seq"], record["data"]
            named = introduced(kind, data) or next(
                ((c[0].kinds[0], c[2]) for c in citations(kind, data)), None)
        except (msgspec.DecodeError, KeyError, TypeError, AttributeError):
            pass  # damaged bytes: the hint names the event only
        about = f": try `docket why {named[1]}` (the {named[0]})" if named else ""
        return (f" (that is the id of event #{seq}, {kind}; `why` explains an order, notice, "
                f"case, penalty, target or country{about})")
    others = [s for s in storage.stream_names() if s != stream and any(
        storage.ref_seq(s, kind, ref) is not None for kind in _ENTITIES)]
    if others:
        return f" (stream {others[0]!r} has it)"
    if _COUNTRY.fullmatch(ref):
        return (" (a country is explained by the service there: `why` knows the countries "
                "where the platform was suspended or restored)")
    return ""


_COUNTRY = re.compile(r"[A-Z]{2}")


def _instant(value: str) -> int:
    try:
        return parse_time(value)
    except ValueError:  # not a time (damaged bytes): last
        return 2**63 - 1


class _Dated(msgspec.Struct):
    occurred_at: str
    sources: list[dict] = []


def _when(storage, stream: str, seq: int) -> str:
    """`, which occurred at T (first published D)`: when the event `seq` happened and was
    first reported, so the time to ask at can be read off; `` for bytes that do not say."""
    rows = storage.events_by_seq(stream, [seq])
    try:
        event = msgspec.json.decode(rows[0][2], type=_Dated)
    except (IndexError, msgspec.DecodeError, msgspec.ValidationError):
        return ""
    days = [str(s["published"]) for s in event.sources if s.get("published")]
    first = min(days, key=_instant) if days else None
    published = f", first published {first}" if first else ""
    return f", which occurred at {event.occurred_at}{published}"
