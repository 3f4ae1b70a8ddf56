"""The two stores Docket is measured beside, on the same workload.

* `EsPeer`: the `eventsourcing` library (John Bywater) with its SQLite persistence module,
  used as its documentation shows: an `Application`, one `Order` aggregate per order (events
  are decorated command methods), `app.save(...)`. Batch append collects every event of the
  batch on its aggregates and saves them in one `save` (one transaction); single append saves
  one aggregate after each event. Replay is measured two ways, and the faster is the peer's
  figure: every aggregate reconstructed through `app.repository.get`, and the application's
  notification log read in order and folded into aggregates.
* `RawPeer`: the limit. Plain `sqlite3` and `msgspec`: an insert-only table
  `(seq INTEGER PRIMARY KEY, stream, body BLOB)`, `executemany` in one transaction; replay is
  `SELECT body` and `msgspec.json.decode` in a loop; a durable single append is one INSERT and
  one COMMIT, with `journal_mode=WAL` and `synchronous=FULL`.

Neither peer validates events against a catalogue, hashes a chain or maintains views: they
are the floor Docket's costs are compared with, not equivalents.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any, Iterable

import msgspec

__all__ = ["RawPeer", "EsPeer", "es_available"]


# --------------------------------------------------------------------------------------------
# raw sqlite3 + msgspec


class RawPeer:
    """Insert-only table of msgspec-encoded event bodies: the speed limit of the platform."""

    name = "raw"

    def __init__(self, path: str):
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS events "
            "(seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, body BLOB NOT NULL)"
        )

    def append_batch(self, events: list[dict]) -> None:
        """One transaction, one executemany."""
        enc = msgspec.json.encode
        c = self.conn
        c.execute("BEGIN")
        c.executemany(
            "INSERT INTO events (stream, body) VALUES (?, ?)",
            [(e["stream"], enc(e)) for e in events],
        )
        c.execute("COMMIT")

    def append_one(self, event: dict) -> None:
        """One INSERT and one COMMIT (durable: WAL with synchronous=FULL)."""
        c = self.conn
        c.execute("BEGIN")
        c.execute(
            "INSERT INTO events (stream, body) VALUES (?, ?)",
            (event["stream"], msgspec.json.encode(event)),
        )
        c.execute("COMMIT")

    def replay(self) -> int:
        """SELECT every body in seq order and decode it; returns the number decoded."""
        dec = msgspec.json.decode
        n = 0
        cur = self.conn.execute("SELECT body FROM events ORDER BY seq")
        for (body,) in cur:
            dec(body)
            n += 1
        return n

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------------------------
# the eventsourcing library

try:  # imported lazily by the harness; the peer is skipped if the library is missing
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except Exception:  # pragma: no cover
    Application = Aggregate = None  # type: ignore[assignment,misc]


def es_available() -> bool:
    return Application is not None


_NS = uuid.UUID("6f1c3c5e-3a1b-4b7e-9a59-0d0c6b2f4d11")

if Application is not None:

    class Order(Aggregate):
        """One takedown order and everything that happened under it."""

        @staticmethod
        def create_id(stream: str, order_id: str) -> uuid.UUID:
            return uuid.uuid5(_NS, f"{stream}/{order_id}")

        @event("Issued")
        def __init__(
            self,
            stream: str,
            order_id: str,
            occurred_at: str,
            key: str,
            data: dict,
            confidence: str | None,
        ):
            self.stream = stream
            self.order_id = order_id
            self.issued_at = occurred_at
            self.issuer = data["issuer"]
            self.platform = data["platform"]
            self.targets = list(data.get("targets") or [])
            self.target_count = data.get("target_count", len(self.targets))
            self.legal_basis = data.get("legal_basis")
            self.deadline = data.get("deadline")
            self.blocked: dict[str, str] = {}  # target -> since
            self.ever_blocked: set[str] = set()
            self.unnamed_blocked = 0
            self.first_action_at: str | None = None
            self.notices: dict[str, dict] = {}
            self.reported: dict | None = None

        @event("AccountsBlocked")
        def block(self, occurred_at: str, key: str, data: dict) -> None:
            for t in data.get("targets") or ():
                self.blocked[t] = occurred_at
                self.ever_blocked.add(t)
            self.unnamed_blocked += data.get("count", 0)
            if self.first_action_at is None:
                self.first_action_at = occurred_at

        @event("AccountsUnblocked")
        def unblock(self, occurred_at: str, key: str, data: dict) -> None:
            for t in data.get("targets") or ():
                self.blocked.pop(t, None)
            self.unnamed_blocked = max(0, self.unnamed_blocked - data.get("count", 0))

        @event("NoticeSent")
        def send_notice(self, occurred_at: str, key: str, data: dict) -> None:
            self.notices[data["notice_id"]] = {"sent_at": occurred_at, "acknowledged_at": None}

        @event("AcknowledgementSent")
        def acknowledge(self, occurred_at: str, key: str, data: dict) -> None:
            notice = self.notices.get(data["ref_id"])
            if notice is not None:
                notice["acknowledged_at"] = occurred_at

        @event("ComplianceReported")
        def report(self, occurred_at: str, key: str, data: dict) -> None:
            self.reported = {k: data[k] for k in ("actioned", "specified", "reporter")}

        @event("Noted")
        def note(self, occurred_at: str, key: str, type: str, data: dict) -> None:  # noqa: A002
            pass

    class DisputeApp(Application):
        """The peer's application: it stores `Order` aggregates."""

        name = "DisputeApp"


class EsPeer:
    """The eventsourcing library's SQLite store, one aggregate per order."""

    name = "eventsourcing"

    def __init__(self, path: str):
        self.path = path
        self.app = self._open()
        self.orders: dict[tuple[str, str], Any] = {}  # (stream, order_id) -> aggregate
        self.notice_order: dict[tuple[str, str], Any] = {}  # (stream, notice_id) -> aggregate
        self.last_order: dict[str, Any] = {}  # stream -> latest order (for loose events)

    def _open(self) -> "DisputeApp":
        return DisputeApp(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "CREATE_TABLE": "y",
            }
        )

    def synchronous(self) -> int:
        """The `PRAGMA synchronous` of the library's connections (2 = FULL)."""
        with self.app.factory.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA synchronous")
            return int(c.fetchone()[0])

    def _apply(self, e: dict) -> Any:
        """Turn one input dict into a domain event on its aggregate; return the aggregate."""
        s, t, d, at, key = e["stream"], e["type"], e["data"], e["occurred_at"], e.get("id", "")
        if t == "order_issued":
            agg = Order(
                stream=s, order_id=d["order_id"], occurred_at=at, key=key, data=d,
                confidence=e.get("confidence"),
            )
            self.orders[(s, d["order_id"])] = agg
            self.last_order[s] = agg
            return agg
        if t == "accounts_blocked":
            agg = self.orders[(s, d["order_id"])]  # KeyError = unresolved reference
            agg.block(occurred_at=at, key=key, data=d)
        elif t == "accounts_unblocked":
            agg = self.orders[(s, d["order_id"])]
            agg.unblock(occurred_at=at, key=key, data=d)
        elif t == "notice_sent":
            agg = self.orders[(s, d["order_ids"][0])]
            for oid in d["order_ids"][1:]:
                self.orders[(s, oid)]
            agg.send_notice(occurred_at=at, key=key, data=d)
            self.notice_order[(s, d["notice_id"])] = agg
        elif t == "acknowledgement_sent":
            agg = self.notice_order.get((s, d["ref_id"])) or self.orders[(s, d["ref_id"])]
            agg.acknowledge(occurred_at=at, key=key, data=d)
        elif t == "compliance_reported":
            agg = self.orders[(s, d["order_id"])]
            agg.report(occurred_at=at, key=key, data=d)
        else:  # events that are not about an order: kept on the stream's latest order
            agg = self.last_order[s]
            agg.note(occurred_at=at, key=key, type=t, data=d)
        return agg

    def append_batch(self, events: Iterable[dict]) -> None:
        """Every event onto its aggregate, then one `save` of all touched aggregates."""
        touched: dict[int, Any] = {}
        for e in events:
            agg = self._apply(e)
            touched[id(agg)] = agg
        self.app.save(*touched.values())

    def append_one(self, event: dict) -> None:
        """One event, one `save` (one transaction)."""
        self.app.save(self._apply(event))

    def replay_aggregates(self) -> int:
        """A fresh application reconstructs every aggregate from its stored events."""
        app = self._open()
        try:
            n = 0
            for agg in [app.repository.get(a.id) for a in self.orders.values()]:
                n += agg.version
            return n
        finally:
            app.close()

    def replay_log(self) -> int:
        """A fresh application reads its notification log in order and folds every event."""
        app = self._open()
        try:
            to_event = app.mapper.to_domain_event
            aggs: dict[Any, Any] = {}
            n = 0
            start = 1
            while True:
                page = app.recorder.select_notifications(start, 1000)
                if not page:
                    break
                for notification in page:
                    ev = to_event(notification)
                    aggs[ev.originator_id] = ev.mutate(aggs.get(ev.originator_id))
                    n += 1
                start = page[-1].id + 1
            return n
        finally:
            app.close()

    def close(self) -> None:
        self.app.close()


if __name__ == "__main__":  # a smoke run: python -m bench.peers
    import sys
    import tempfile
    from pathlib import Path

    from .workload import generate

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    events = generate(n)
    with tempfile.TemporaryDirectory() as d:
        for cls in (RawPeer, EsPeer):
            p = cls(str(Path(d) / f"{cls.name}.db"))
            t = time.perf_counter()
            p.append_batch(events)
            t1 = time.perf_counter()
            print(cls.name, "batch", round(n / (t1 - t)), "ev/s")
            p.close()
