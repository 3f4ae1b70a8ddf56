"""The two times at work: which events a view sees, with which data, in which order (SPEC §4).

- Replay order: by `occurred_at` (a day counts as 00:00 UTC), ties by `seq`.
- `as_of T`: only events that occurred at or before T (a day means the whole day).
- `known_at T`: only what the log held at T (`recorded_at <= T`).
- `public_at T`: only events public by T. An event's public time is its earliest dated
  source (`published`; a day counts as 00:00 UTC, like `occurred_at`); an event with no
  dated source is public when the log recorded it (`recorded_at`): nothing shows it was
  public earlier, and dropping it forever would hide it from every public_at query. This
  holds for retractions and corrections too: one not yet public at T does not act. The
  view stops at T as an `as_of T` view does: an event that occurred after T is not in it,
  whatever its sources' dates.
- A retraction or correction acts on every view from the moment it is known (by
  `known_at`), whatever its own `occurred_at`: it changes the best-known story of the past,
  so an `as_of` view of an earlier date shows it too. It never acts before it is known.
"""

from __future__ import annotations

from typing import Iterable

import msgspec

from .catalog import AMENDING
from .times import time_key, upper_bound

__all__ = ["AMENDING", "AMENDING_KINDS", "Amendments", "PublicEvents", "Selection", "amendments",
           "amendments_of", "amending_records", "public_us", "replay_key", "stops_at",
           "withdrawn_records"]

_MAX = 2**63 - 1
_decode = msgspec.json.Decoder().decode


class Selection:
    """What a view may see: events known at `known_at` that occurred by `as_of` and were
    public by `public_at` (and occurred by then: `until_us` is the earlier bound).

    Made inside a transaction of `storage` (`known_seq` is the last seq known then)."""

    __slots__ = ("as_of", "known_at", "known_seq", "public_at", "public_until_us", "until_us")

    def __init__(self, storage, as_of: str | None = None, known_at: str | None = None,
                 public_at: str | None = None) -> None:
        self.as_of, self.known_at, self.public_at = as_of, known_at, public_at
        self.until_us = upper_bound(as_of) if as_of is not None else _MAX
        self.public_until_us = upper_bound(public_at) if public_at is not None else None
        if self.public_until_us is not None:
            # What the world could know at T holds nothing that had not happened by T: a
            # source published before an event is about something else (the accounts an
            # earlier article named, an order that took effect later), not a report of it.
            self.until_us = min(self.until_us, self.public_until_us)
        self.known_seq = storage.known_seq(
            upper_bound(known_at) if known_at is not None else None)

    @property
    def judged_at(self) -> str | None:
        """The time `overdue` and a daily fine's accrual are judged at: the time the view
        stops at (`stops_at`: `as_of`, or `public_at` when earlier or alone), else None (the
        latest event folded)."""
        return stops_at(self.as_of, self.public_at)

    @property
    def is_current(self) -> bool:
        """True when this is the whole log as it stands (no as_of, known_at or public_at)."""
        return self.as_of is None and self.known_at is None and self.public_at is None

    def reader(self, storage):
        """`storage`, or with `public_at` a `PublicEvents` over it: what the folds read."""
        if self.public_until_us is None:
            return storage
        return PublicEvents(storage, self.public_until_us)


def stops_at(as_of: str | None, public_at: str | None) -> str | None:
    """The time a view of `as_of` and `public_at` stops at, as given: the earlier of the
    two (a `public_at` view holds nothing that happened later, as `Selection` has it), or
    None for now. What a heading should call its "as of"."""
    given = [t for t in (as_of, public_at) if t is not None]
    return min(given, key=upper_bound) if given else None


class _Published(msgspec.Struct, gc=False):
    published: str | None = None


class _Dated(msgspec.Struct, gc=False):
    """The fields of a stored record its public time needs (msgspec skips the rest)."""

    recorded_at: str
    sources: list[_Published] = []


_decode_dated = msgspec.json.Decoder(_Dated).decode


def public_us(body: bytes) -> int:
    """When the stored record `body` became public, in UTC µs: its earliest dated source,
    else its `recorded_at`."""
    dated = _decode_dated(body)
    times = [time_key(s.published) for s in dated.sources if s.published is not None]
    return min(times) if times else time_key(dated.recorded_at)


class PublicEvents:
    """A storage's events as the world could know them at one instant: the reads that feed
    replays (`replay_rows`, `bodies_by_id`, `amending_bodies`) keep only the records public
    by `until_us`. Nothing else is offered, so no read can pass the filter by: no snapshot
    (one folds every event known, public or not), no stored view."""

    __slots__ = ("_storage", "_until_us")

    def __init__(self, storage, until_us: int) -> None:
        self._storage, self._until_us = storage, until_us

    def _public(self, body: bytes) -> bool:
        return public_us(body) <= self._until_us

    def replay_rows(self, stream: str, known_seq: int, after: tuple[int, int], until_us: int):
        """The storage's replay rows, without those not public yet."""
        for rows in self._storage.replay_rows(stream, known_seq, after, until_us):
            yield [row for row in rows if self._public(row[2])]

    def bodies_by_id(self, ids, known_seq: int) -> list[bytes]:
        """The storage's bodies by id, without those not public yet."""
        return [b for b in self._storage.bodies_by_id(ids, known_seq) if self._public(b)]

    def amending_bodies(self, stream: str, known_seq: int, kinds) -> list[bytes]:
        """The retractions and corrections public by now (one published later does not
        act yet)."""
        return [b for b in self._storage.amending_bodies(stream, known_seq, kinds)
                if self._public(b)]


def replay_key(record: dict) -> tuple[int, int]:
    """The position of a record in replay order: (occurred instant in UTC µs, seq)."""
    return time_key(record["occurred_at"]), record["seq"]


class Amendments:
    """The retractions and corrections known at some point, applied to records on replay.

    Built from the amending records of one stream (those with seq up to the known point),
    in seq order; a later correction of the same event replaces the fields it gives.
    """

    __slots__ = ("retracted", "corrected", "corrections", "seqs")

    def __init__(self, amending: Iterable[dict] = ()) -> None:
        self.retracted: dict[str, dict] = {}
        self.corrected: dict[str, dict] = {}
        # Per corrected event, each correction applied (seq, id, reason), in seq order.
        self.corrections: dict[str, list[dict]] = {}
        self.seqs: list[int] = []  # of every amending record, for the view's last_seq
        for record in amending:
            self.seqs.append(record["seq"])
            data = record["data"]
            target = data["target_id"]
            if record["type"] == "event_retracted":
                self.retracted.setdefault(target, record)
            else:
                change = self.corrected.setdefault(target, {})
                for field in ("occurred_at", "data"):
                    if data.get(field) is not None:
                        change[field] = data[field]
                self.corrections.setdefault(target, []).append(
                    {"seq": record["seq"], "id": record["id"], "reason": data["reason"]})

    def __bool__(self) -> bool:
        return bool(self.retracted or self.corrected)

    def moved(self) -> dict[str, str]:
        """Ids of events whose occurrence time a correction replaces, with the new time."""
        return {i: c["occurred_at"] for i, c in self.corrected.items() if "occurred_at" in c}

    def annotate(self, record: dict) -> dict:
        """The record corrected, with `corrected` (each correction's seq, id and reason)
        when it is, and `retracted` (the retraction's reason and id) when it is; amending
        records pass through. For timelines, which show what was changed or withdrawn."""
        if record["type"] in AMENDING:
            return record
        change = self.corrected.get(record["id"])
        out = {**record, **change, "corrected": self.corrections[record["id"]]} \
            if change else record
        retraction = self.retracted.get(record["id"])
        if retraction is not None:
            out = {**out, "retracted": {"id": retraction["id"],
                                        "reason": retraction["data"]["reason"]}}
        return out

    def apply_struct(self, record):
        """`apply` for a record decoded as a Struct (the fold's): None when retracted (or
        itself amending)."""
        if record.type in AMENDING:
            return None
        ident = record.id
        if ident in self.retracted:
            return None
        change = self.corrected.get(ident)
        return record if change is None else msgspec.structs.replace(record, **change)

    def apply(self, record: dict) -> dict | None:
        """The record as the story now knows it: None when retracted (or itself amending)."""
        if record["type"] in AMENDING:
            return None
        ident = record["id"]
        if ident in self.retracted:
            return None
        change = self.corrected.get(ident)
        if change is None:
            return record
        return {**record, **change}


# What `amending_bodies` is asked for by `amendments` (a caller reading it itself, too).
AMENDING_KINDS = tuple(sorted(AMENDING))


def amendments(storage, stream: str, known_seq: int) -> Amendments:
    """The retractions and corrections of `stream` with seq up to `known_seq`."""
    return Amendments(amending_records(storage, stream, known_seq))


def amending_records(storage, stream: str, known_seq: int) -> list[dict]:
    """The retraction and correction records themselves (whole, in seq order), for what
    cites them (`why`); `Amendments(records)` is what `amendments` gives."""
    return [_decode(body) for body in storage.amending_bodies(stream, known_seq,
                                                              AMENDING_KINDS)]


def withdrawn_records(storage, amending: list[dict], known_seq: int) -> dict[str, dict]:
    """The records the retractions among `amending` withdrew, by id (whole, as stored)."""
    ids = [r["data"]["target_id"] for r in amending if r["type"] == "event_retracted"]
    if not ids:
        return {}
    return {r["id"]: r for r in map(_decode, storage.bodies_by_id(ids, known_seq))}


def amendments_of(bodies: Iterable[bytes]) -> Amendments:
    """The Amendments of the bodies `amending_bodies` gave for `AMENDING_KINDS`."""
    return Amendments(_decode(body) for body in bodies)
