"""The two times at work: which events a view sees, with which data, in which order (SPEC §4).

- Replay order: by `occurred_at` (a day counts as 00:00 UTC), ties by `seq`.
- `as_of T`: only events that occurred at or before T (a day means the whole day).
- `known_at T`: only what the log held at T (`recorded_at <= T`).
- A retraction or correction acts on every view from the moment it is known (by
  `known_at`), whatever its own `occurred_at`: it changes the best-known story of the past,
  so an `as_of` view of an earlier date shows it too. It never acts before it is known.
"""

from __future__ import annotations

from typing import Iterable

from .catalog import AMENDING
from .times import time_key

__all__ = ["AMENDING", "Amendments", "replay_key"]


def replay_key(record: dict) -> tuple[int, int]:
    """The position of a record in replay order: (occurred instant in UTC µs, seq)."""
    return time_key(record["occurred_at"]), record["seq"]


class Amendments:
    """The retractions and corrections known at some point, applied to records on replay.

    Built from the amending records of one stream (those with seq up to the known point),
    in seq order; a later correction of the same event replaces the fields it gives.
    """

    __slots__ = ("retracted", "corrected", "seqs")

    def __init__(self, amending: Iterable[dict] = ()) -> None:
        self.retracted: dict[str, dict] = {}
        self.corrected: dict[str, dict] = {}
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

    def __bool__(self) -> bool:
        return bool(self.retracted or self.corrected)

    def moved(self) -> dict[str, str]:
        """Ids of events whose occurrence time a correction replaces, with the new time."""
        return {i: c["occurred_at"] for i, c in self.corrected.items() if "occurred_at" in c}

    def annotate(self, record: dict) -> dict:
        """The record corrected, with `retracted` (the retraction's reason and id) if it is;
        amending records pass through. For timelines, which show what was withdrawn."""
        if record["type"] in AMENDING:
            return record
        change = self.corrected.get(record["id"])
        out = {**record, **change} if change else record
        retraction = self.retracted.get(record["id"])
        if retraction is not None:
            out = {**out, "retracted": {"id": retraction["id"],
                                        "reason": retraction["data"]["reason"]}}
        return out

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
