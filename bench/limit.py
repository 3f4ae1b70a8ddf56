"""`limit`: the simplest CPython code that keeps Docket's per-event promises (issue 16).

Each event is validated against a typed msgspec schema of its type, stored as a canonical
record (keys sorted) with its stream version and the SHA-256 chain hash of the previous
record, under UNIQUE(id) and UNIQUE(stream, version) in SQLite; the orders, notices and
references it cites must resolve. The replay reads the records in replay order (occurred_at,
then seq, through an index), decodes them typed, and folds the accounts each order holds
blocked now. It is a floor for this work in this language, not a competitor: no views are
kept, no amendments, no snapshots, and only the workload's seven event types exist.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta, timezone

import msgspec

__all__ = ["LimitPeer"]

class _Data(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class OrderIssued(_Data):
    order_id: str
    issuer: str
    platform: str
    targets: list[str] | None = None
    target_count: int | None = None
    legal_basis: str | None = None
    procedure: str | None = None
    deadline: str | None = None


class Moved(_Data):  # accounts_blocked, accounts_unblocked
    order_id: str
    targets: list[str] | None = None
    count: int | None = None
    all_targets: bool | None = None
    scope: str | None = None
    unilateral: bool | None = None
    reason: str | None = None


class NoticeSent(_Data):
    notice_id: str
    kind: str
    issuer: str
    recipient: str
    order_ids: list[str]


class Acknowledged(_Data):
    ref_id: str
    by: str


class Reported(_Data):
    order_id: str
    actioned: int
    specified: int
    reporter: str


class Statement(_Data):
    speaker: str
    summary: str
    channel: str | None = None


DATA = {"order_issued": OrderIssued, "accounts_blocked": Moved, "accounts_unblocked": Moved,
        "notice_sent": NoticeSent, "acknowledgement_sent": Acknowledged,
        "compliance_reported": Reported, "statement_published": Statement}


class Event(msgspec.Struct, forbid_unknown_fields=True):
    type: str
    stream: str
    occurred_at: datetime
    id: str
    data: dict
    confidence: str | None = None


class Record(msgspec.Struct):
    """What the replay decodes: the fields it needs of a stored record."""

    type: str
    data: dict


_ZERO = "0" * 64
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    stream TEXT NOT NULL, version INTEGER NOT NULL, occurred_us INTEGER NOT NULL,
    body BLOB NOT NULL, hash TEXT NOT NULL, UNIQUE (stream, version));
CREATE INDEX IF NOT EXISTS events_replay ON events (stream, occurred_us, seq);
"""
_INSERT = "INSERT INTO events VALUES (?,?,?,?,?,?,?)"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


class LimitPeer:
    """Validated, canonical, chained, unique and resolved: Docket's promises per event."""

    name = "limit"

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(_SCHEMA)
        self.seq, self.prev = 0, _ZERO
        self.versions: dict[str, int] = {}
        self.known: set[tuple[str, str, str]] = set()  # (stream, kind, id) issued so far

    def synchronous(self) -> int:
        return int(self.conn.execute("PRAGMA synchronous").fetchone()[0])

    def _row(self, raw: dict) -> tuple:
        e = msgspec.convert(raw, Event)
        data = msgspec.convert(e.data, DATA[e.type])  # KeyError: an unknown type
        s, known = e.stream, self.known
        cited = []
        if isinstance(data, (Moved, Reported)):
            cited = [("order", data.order_id)]
        elif isinstance(data, NoticeSent):
            cited = [("order", o) for o in data.order_ids]
        elif isinstance(data, Acknowledged) and (s, "order", data.ref_id) not in known:
            cited = [("notice", data.ref_id)]
        for kind, ref in cited:
            if (s, kind, ref) not in known:
                raise ValueError(f"event {e.id}: {kind} {ref} was never issued")
        if isinstance(data, OrderIssued):
            known.add((s, "order", data.order_id))
        elif isinstance(data, NoticeSent):
            known.add((s, "notice", data.notice_id))
        self.seq += 1
        version = self.versions.get(s, 0) + 1
        self.versions[s] = version
        record = {**msgspec.to_builtins(e), "data": msgspec.to_builtins(data),
                  "seq": self.seq, "version": version, "prev_hash": self.prev}
        body = msgspec.json.encode(record, order="sorted")
        self.prev = hashlib.sha256(bytes.fromhex(self.prev) + body).hexdigest()
        us = (e.occurred_at - _EPOCH) // _US
        return (self.seq, e.id, s, version, us, body, self.prev)

    def _write(self, events: list[dict]) -> None:
        saved = self.seq, self.prev, dict(self.versions), set(self.known)
        c = self.conn
        try:
            rows = [self._row(e) for e in events]
            c.execute("BEGIN")
            c.executemany(_INSERT, rows)
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            self.seq, self.prev, self.versions, self.known = saved
            raise

    def append_batch(self, events: list[dict]) -> None:
        """The whole batch in one transaction."""
        self._write(events)

    def append_one(self, event: dict) -> None:
        """One event, one durable transaction."""
        self._write([event])

    def replay(self) -> int:
        """Every record in replay order, decoded typed, folded into the accounts each order
        holds blocked now; returns the number folded."""
        decode = msgspec.json.Decoder(Record).decode
        blocked: dict[str, set] = {}
        n = 0
        cur = self.conn.execute("SELECT body FROM events ORDER BY stream, occurred_us, seq")
        while rows := cur.fetchmany(2000):
            for (body,) in rows:
                r = decode(body)
                n += 1
                if r.type == "accounts_blocked":
                    blocked.setdefault(r.data["order_id"], set()).update(
                        r.data.get("targets") or ())
                elif r.type == "accounts_unblocked":
                    blocked.setdefault(r.data["order_id"], set()).difference_update(
                        r.data.get("targets") or ())
        self.blocked = {o: len(t) for o, t in blocked.items()}
        return n

    def close(self) -> None:
        self.conn.close()

