"""Reads of the PostgreSQL backend that `read_many` may send together, in one round trip.

Each is written as a plan: its SQL, its parameters, the buffered tables it reads and what
makes its answer of the rows. The method runs its plan alone; `read_many` runs the plans
of several in one simple query (behind the buffered writes, if any), and any read without
a plan on its own, in order.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .postgres_buffer import LOG_TABLES
from .postgres_text import load, store

__all__ = ["PlannedReads"]

# (sql, params, the buffered tables it reads, the answer made of its rows); None: the
# answer is known without a read.
Plan = tuple[str, Sequence, Sequence[str], Callable[[list[tuple]], Any]]


def _first(rows: list[tuple]):
    return rows[0][0] if rows else None


class PlannedReads:
    """`read_many` and the reads it can merge (mixed into `PostgresStorage`)."""

    _versions: dict[str, int]

    def read_many(self, reads: Sequence[tuple[str, tuple]]) -> list:
        plans = [getattr(self, f"_plan_{name}", None) for name, _ in reads]
        plans = [plan(*args) if plan is not None else None
                 for plan, (_, args) in zip(plans, reads)]
        if sum(plan is not None for plan in plans) < 2:
            return [self._run(plan) if plan is not None else getattr(self, name)(*args)
                    for plan, (name, args) in zip(plans, reads)]
        found = iter(self._together([plan[:3] for plan in plans if plan is not None]))
        return [plan[3](next(found)) if plan is not None else getattr(self, name)(*args)
                for plan, (name, args) in zip(plans, reads)]

    # -- the log ----------------------------------------------------------------------------
    def stream_version(self, stream: str, known_seq: int | None = None) -> int:
        plan = self._plan_stream_version(stream, known_seq)
        return self._versions[stream] if plan is None else self._run(plan)

    def _plan_stream_version(self, stream: str, known_seq: int | None = None) -> Plan | None:
        if known_seq is not None:
            return ("SELECT max(version) FROM events WHERE stream = %s AND seq <= %s",
                    (stream, known_seq), LOG_TABLES, lambda rows: _first(rows) or 0)
        # Read once per transaction (the log's check, then the views' row): a reader's
        # snapshot holds still, and under the write lock only this one inserts.
        if stream in self._versions:
            return None

        def keep(rows):
            self._versions[stream] = _first(rows) or 0
            return self._versions[stream]
        return "SELECT max(version) FROM events WHERE stream = %s", (stream,), LOG_TABLES, keep

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        return self._run(self._plan_existing_ids(ids)) if ids else set()

    def _plan_existing_ids(self, ids: Sequence[str]) -> Plan | None:
        if not ids:
            return None
        return ("SELECT id FROM events WHERE id = ANY(%s)", ([store(i) for i in ids],),
                LOG_TABLES, lambda rows: {load(r[0]) for r in rows})

    def amending_bodies(self, stream: str, known_seq: int,
                        kinds: Sequence[str]) -> list[bytes]:
        return self._run(self._plan_amending_bodies(stream, known_seq, kinds))

    def _plan_amending_bodies(self, stream: str, known_seq: int, kinds: Sequence[str]) -> Plan:
        return ("SELECT e.body FROM refs r JOIN events e ON e.seq = r.seq WHERE r.stream = %s "
                "AND r.kind = ANY(%s) AND r.seq <= %s ORDER BY r.seq",
                (stream, list(kinds), known_seq), LOG_TABLES,
                lambda rows: [body for (body,) in rows])
