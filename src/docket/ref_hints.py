"""What an error about a ref `why` cannot explain adds: where that ref is after all.

An analyst asks `why` of what they see: an event's id (printed in brackets by `log` and
`why`), an order not issued yet at `--as-of`, an id of another stream. Each gets the error
a typo gets, and then the place the ref is, read from the `refs` index and the events
table (no fold)."""

from __future__ import annotations

import msgspec

from .catalog import citations, introduced

__all__ = ["ref_hint"]

_ENTITIES = ("order", "notice", "case", "penalty")


def ref_hint(storage, ref: str, stream: str, timed: bool) -> str:
    """` (…)` saying where `ref` is, or `` (inside a read transaction)."""
    if timed:
        for kind in _ENTITIES:
            seq = storage.ref_seq(stream, kind, ref)
            if seq is not None:
                return f" (the {kind} is introduced later, by seq {seq})"
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
    return f" (stream {others[0]!r} has it)" if others else ""
