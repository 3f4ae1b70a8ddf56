"""Why a view holds nothing: the time that left out every event of its streams.

A view under `--known-at` before anything was recorded is empty, and so is one under an
`--as-of` before the first event or a `--public-at` before the first dated source. The
table alone cannot tell these apart from a dispute where nothing happened, and the first
is the usual mistake: `--known-at` counts when this log was written (the recorded disputes
were imported long after the events), while `--public-at` asks what had been published.
"""

from __future__ import annotations

from typing import Sequence

import msgspec

from .replay import records_in_order
from .timeline import Selection, amendments, public_us
from .times import format_utc, upper_bound

__all__ = ["nothing_in_view"]

_FIRST = (-(2**63 - 1), 0)  # before every replay key
_MAX = 2**63 - 1


class _Times(msgspec.Struct):
    recorded_at: str


_times = msgspec.json.Decoder(_Times).decode


def nothing_in_view(storage, streams: Sequence[str], selection: Selection) -> str | None:
    """A sentence saying which of `selection`'s times leaves out every event of `streams`
    (and the earliest time that would let one in), or None when the timeline of these times
    (`docket log`'s, corrections applied) holds an event or the streams hold none. The
    arguments it names are placeholders (`{arg:known_at}`, `docket.errors.spelled`).
    Inside a read transaction of `storage`."""
    reader = selection.reader(storage)
    if not streams or any(_first(reader, name, selection.known_seq, selection.until_us)
                          for name in streams):
        return None
    what = (f"stream {streams[0]!r}" if len(streams) == 1
            else f"any of the {len(streams)} streams")
    known = " known then" if selection.known_at is not None else ""
    pages = [storage.read_page(name, 0, 1) for name in streams]  # each stream's first event
    if selection.known_at is not None and selection.known_seq < min(p[0][0] for p in pages):
        first_recorded = min(_times(page[0][1]).recorded_at for page in pages)
        also = (f"; to ask what had been published by {selection.known_at}, use "
                f"`{{arg:public_at}}`" if selection.public_at is None else "")
        return (f"no event of {what} was recorded by {selection.known_at}: `{{arg:known_at}}` "
                f"counts from when this log was written, and its first event was recorded at "
                f"{first_recorded}{also}")
    firsts = [first for name in streams
              if (first := _first(storage, name, selection.known_seq, _MAX))]
    if selection.as_of is not None and firsts and all(
            key[0] > upper_bound(selection.as_of) for key, _ in firsts):
        return (f"no event of {what}{known} occurred by {selection.as_of}: the first "
                f"occurred at {min(firsts, key=lambda f: f[0])[1]['occurred_at']}")
    if selection.public_at is not None and firsts:
        earliest = min(public_us(body) for name in streams
                       for rows in storage.replay_rows(name, selection.known_seq, _FIRST, _MAX)
                       for _, _, body in rows)
        return (f"no event of {what}{known} was public by {selection.public_at}: an "
                f"event is public from its earliest dated source (with none, from when it was "
                f"recorded) and must have occurred by then too; the earliest public one is "
                f"from {_day_or_time(earliest)}")
    return None


def _first(storage, stream: str, known_seq: int, until_us: int):
    """The first (replay key, record) of `stream`'s timeline up to `until_us`, or None."""
    amend = amendments(storage, stream, known_seq)
    return next(records_in_order(storage, stream, known_seq, amend, until_us=until_us), None)


def _day_or_time(micros: int) -> str:
    text = format_utc(micros)
    return text[:10] if text.endswith("T00:00:00.000000Z") else text
