"""The PostgreSQL backend (the `postgres` extra, psycopg 3): a team's log on its own server.

Every SQL string of the PostgreSQL side of Docket is here and in postgres_ddl / postgres_views.
A writer's transaction takes the log's write lock first: a transaction-scoped advisory lock
(`pg_advisory_xact_lock`, keyed by the events table), waiting up to DOCKET_BUSY_TIMEOUT_MS
(`lock_timeout`), then reads the head and inserts, so `seq` is gapless and the chain has one
writer at a time. Why an advisory lock rather than `LOCK TABLE events IN EXCLUSIVE MODE`:
both leave readers alone, but the table lock also conflicts with (auto)vacuum and ANALYZE,
whose lock a writer would then wait behind, and it needs UPDATE, DELETE or TRUNCATE rights
on `events` (which the triggers refuse anyway); the advisory lock needs no right at all.
A reader's transaction is REPEATABLE READ: one snapshot, never waiting for a writer.
Each write transaction ends with a NOTIFY on the log's channel, delivered at commit, which
wakes followers (`wait_for_commit`) at once; they re-read from their position all the same.
"""

from __future__ import annotations

import logging
import time
from typing import Iterator, Sequence

import psycopg
from psycopg import pq

from ..errors import StorageError
from .base import ZERO_HASH, ChainRow, EventRow, Head, Storage
from .postgres_ddl import CLASS_ID, RECORDS_VIEW, TRIGGERS
from .postgres_buffer import LOG_TABLES
from .postgres_errors import Closed, Url, busy_timeout_ms, connect_error, storage_error
from .postgres_notify import Listener
from .postgres_reads import PlannedReads
from .postgres_schema import check_format, immutability_problems, schema_upgrade
from .postgres_text import load_rows, store
from .postgres_views import ViewTables

__all__ = ["PostgresStorage", "TRIGGERS", "RECORDS_VIEW"]

_BATCH = 4096
_CHAIN_COLUMNS = "seq, id, stream, version, type, recorded_us, body, hash, occurred_us"
_IDLE = pq.TransactionStatus.IDLE
_PREFETCH = ("SELECT seq, hash, recorded_us FROM events ORDER BY seq DESC LIMIT 1; "
             "SELECT key, value FROM docket_meta")

# psycopg logs a warning as it abandons a COPY on a lost connection; without a handler,
# Python would print it on stderr beside Docket's own one line about the same fault.
logging.getLogger("psycopg").addHandler(logging.NullHandler())


class PostgresStorage(PlannedReads, ViewTables, Storage):
    """A Docket log in the current schema of a PostgreSQL database."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        super().__init__()
        self._url = Url(url)
        self.location = self._url.location
        self._listener: Listener | None = None
        self._pending, self._dirty = [], set()
        self._head = self._meta = None  # known within a transaction only
        self._versions: dict[str, int] = {}  # stream -> version, within a transaction
        self._writing = False  # is the transaction a write?
        self._conn = self._connect()
        try:
            found = check_format(self._conn, self.location)
            if found is None and not create:
                raise StorageError(f"{self.location} holds no Docket log yet (append or "
                                   "import first)")
            if create and found != "complete":
                self._create_schema()
            self._upgrade = found == "partial" and not create  # done at the first write
            self._key = self._conn.execute(
                "SELECT 'events'::regclass::oid::bigint").fetchone()[0] | (CLASS_ID << 32)
            self._channel = f"docket_{self._key & 0xFFFFFFFF}"
        except psycopg.Error as exc:
            self._conn.close()
            raise storage_error(self._url, exc, self._conn.broken, writing=create) from None
        except BaseException:
            self._conn.close()
            raise

    # -- opening ----------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection:
        kwargs = {} if "connect_timeout" in self._url.url else {"connect_timeout": 10}
        # lock_timeout 0 would wait for ever; DOCKET_BUSY_TIMEOUT_MS=0 means not waiting,
        # as on SQLite, and the least PostgreSQL waits is 1 ms.
        lock_ms = max(busy_timeout_ms(), 1)
        try:
            conn = psycopg.connect(self._url.url, autocommit=True, **kwargs)
            # Session settings: a writer waits this long for the write lock; UTC, so no
            # server setting changes what a time means; the write buffer's literals need
            # standard strings (the default; a server may say otherwise).
            conn.execute(f"SET lock_timeout = {lock_ms:d}; SET TimeZone = 'UTC'; "
                         "SET standard_conforming_strings = on")
        except psycopg.Error as exc:
            raise connect_error(self._url, exc) from None
        return conn

    def _create_schema(self) -> None:
        """Create (or bring up to date) every table in one transaction, under a lock on the
        schema's name, so processes creating a log at once agree (the later find it made)."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.execute(f"SELECT pg_advisory_xact_lock({CLASS_ID:d}, hashtext(current_schema()))")
            if check_format(conn, self.location) != "complete":
                conn.execute(schema_upgrade(conn))
            conn.execute("COMMIT")
        except BaseException:
            if not conn.broken:
                conn.execute("ROLLBACK")
            raise

    # -- transactions ---------------------------------------------------------------------
    def _begin(self, write: bool) -> None:
        self._pending, self._dirty = [], set()
        self._head = self._meta = None
        self._versions = {}
        self._writing = write
        for first_try in (True, False):
            if self._conn.broken:
                # The server went away since the last transaction (restart, failover): the
                # next transaction gets a new connection.
                self._conn.close()
                self._conn = self._connect()
            try:
                self._start(write)
                return
            except psycopg.Error as exc:
                self._rollback()
                if first_try and self._conn.broken:
                    # An idle connection the server dropped is found out only when used, and
                    # nothing of this transaction got through: start it again on a new one.
                    continue
                raise storage_error(self._url, exc, self._conn.broken, writing=write) from None

    def _start(self, write: bool) -> None:
        if write and self._upgrade:  # an older log opened to read: brought up to date
            self._create_schema()
            self._upgrade = False
        # One round trip: the transaction, the write lock, and what nearly every
        # transaction reads first (the head and the metadata), kept until it changes.
        cur = self._conn.execute(
            (f"BEGIN; SELECT pg_advisory_xact_lock({self._key:d}); " if write else
             "BEGIN ISOLATION LEVEL REPEATABLE READ; ") + _PREFETCH)
        results = []
        while True:  # BEGIN, the lock, then the two reads, last
            if cur.description is not None:
                results.append(cur.fetchall())
            if not cur.nextset():
                break
        head, meta = results[-2:]
        self._head = Head(*head[0]) if head else Head(0, ZERO_HASH, 0)
        self._meta = dict(meta)

    def _rollback(self) -> None:
        conn = self._conn
        if not conn.broken and conn.info.transaction_status != _IDLE:
            try:
                conn.execute("ROLLBACK")
            except psycopg.Error:
                pass

    def _end(self, commit: bool) -> None:
        conn = self._conn
        self._head = self._meta = None
        self._versions = {}
        if conn.closed or conn.info.transaction_status == _IDLE:
            self._pending, self._dirty = [], set()
            return
        if not commit:
            self._pending, self._dirty = [], set()
            self._rollback()
            return
        try:
            self._flush("COMMIT")  # what waits in the buffer, and the commit: one round trip
        except psycopg.Error as exc:
            broken = conn.broken
            self._rollback()
            raise storage_error(self._url, exc, broken, committing=broken) from None

    def translate(self, exc: BaseException) -> BaseException:
        """The StorageError for a driver error raised inside a transaction (else `exc`)."""
        if isinstance(exc, psycopg.Error):
            return storage_error(self._url, exc, self._conn.broken, writing=self._writing)
        return exc

    def close(self) -> None:
        conn, self._conn = self._conn, Closed(self.location)
        if not isinstance(conn, Closed):
            conn.close()
        if self._listener is not None:
            self._listener.close()

    # -- the log: reading -------------------------------------------------------------------
    def _log_rows(self, sql: str, params: Sequence = (), reads: Sequence[str] = ()
                  ) -> list[tuple]:
        """A read of the log's own tables (after their buffered rows) or of `reads`."""
        return self._rows(sql, params, (*LOG_TABLES, *reads))

    def _one(self, sql: str, params: Sequence = ()):
        rows = self._log_rows(sql, params)
        return rows[0][0] if rows else None

    def head(self) -> Head:
        if self._head is None:
            rows = self._log_rows("SELECT seq, hash, recorded_us FROM events ORDER BY seq DESC "
                                  "LIMIT 1")
            self._head = Head(*rows[0]) if rows else Head(0, ZERO_HASH, 0)
        return self._head

    def count(self) -> int:
        return self._one("SELECT count(*) FROM events")

    def seq_range(self) -> tuple[int | None, int | None, int]:
        return self._log_rows("SELECT min(seq), max(seq), count(*) FROM events")[0]

    def known_seq(self, recorded_until_us: int | None = None) -> int:
        if recorded_until_us is None:
            return self.head().seq
        return self._one("SELECT max(seq) FROM events WHERE recorded_us <= %s",
                         (recorded_until_us,)) or 0

    def stream_names(self) -> list[str]:
        # One index probe per stream (a loose index scan), not a read of every event.
        return [r[0] for r in self._log_rows(
            "WITH RECURSIVE s(name) AS (SELECT min(stream) FROM events UNION ALL "
            "SELECT (SELECT min(stream) FROM events WHERE stream > s.name) FROM s "
            "WHERE s.name IS NOT NULL) SELECT name FROM s WHERE name IS NOT NULL")]

    def has_stream(self, stream: str) -> bool:
        return bool(self._log_rows("SELECT 1 FROM events WHERE stream = %s LIMIT 1", (stream,)))

    def last_seq_of(self, stream: str) -> int:
        return self._one("SELECT seq FROM events WHERE stream = %s ORDER BY version DESC "
                         "LIMIT 1", (stream,)) or 0

    def event_by_id(self, ident: str) -> tuple[str, str, bytes, str] | None:
        rows = self._log_rows("SELECT stream, type, body, hash FROM events WHERE id = %s",
                          (store(ident),))
        return rows[0] if rows else None

    def ref_seq(self, stream: str, kind: str, ref_id: str) -> int | None:
        return self._one("SELECT seq FROM refs WHERE stream = %s AND kind = %s AND "
                         "ref_id = %s", (stream, kind, store(ref_id)))

    def refs(self, stream: str) -> list[tuple[str, str, int]]:
        return load_rows(self._log_rows("SELECT kind, ref_id, seq FROM refs WHERE stream = %s",
                                    (stream,)), (1,))

    def replay_rows(self, stream: str, known_seq: int, after: tuple[int, int],
                    until_us: int) -> Iterator[list[tuple[int, int, bytes]]]:
        low = after
        while True:
            rows = self._log_rows(
                "SELECT occurred_us, seq, body FROM events WHERE stream = %s AND seq <= %s AND "
                "(occurred_us, seq) > (%s, %s) AND occurred_us <= %s ORDER BY occurred_us, seq "
                f"LIMIT {_BATCH}", (stream, known_seq, low[0], low[1], until_us))
            if rows:
                yield rows
            if len(rows) < _BATCH:
                return
            low = rows[-1][:2]

    def events_by_seq(self, stream: str, seqs: Sequence[int]) -> list[tuple[int, int, bytes]]:
        return self._log_rows("SELECT occurred_us, seq, body FROM events WHERE seq = ANY(%s) AND "
                          "stream = %s", (list(seqs), stream))

    def replay_rows_desc(self, stream: str, known_seq: int, until: tuple[int, int]
                         ) -> Iterator[list[tuple[int, int, bytes]]]:
        high, size = until, 64
        while True:
            rows = self._log_rows(
                "SELECT occurred_us, seq, body FROM events WHERE stream = %s AND seq <= %s AND "
                "(occurred_us, seq) <= (%s, %s) ORDER BY occurred_us DESC, seq DESC "
                f"LIMIT {size}", (stream, known_seq, high[0], high[1]))
            if rows:
                yield rows
            if len(rows) < size:
                return
            # The next page starts just below the last row's key.
            occ, seq = rows[-1][:2]
            high, size = (occ, seq - 1), min(size * 4, _BATCH)

    def seq_rows_desc(self, stream: str, known_seq: int
                      ) -> Iterator[list[tuple[int, int, bytes]]]:
        high, size = known_seq, 64
        while True:
            rows = self._log_rows(
                "SELECT occurred_us, seq, body FROM events WHERE stream = %s AND seq <= %s "
                f"ORDER BY seq DESC LIMIT {size}", (stream, high))
            if rows:
                yield rows
            if len(rows) < size:
                return
            high, size = rows[-1][1] - 1, min(size * 4, _BATCH)

    def events_after(self, stream: str, after_seq: int) -> list[tuple[int, int, bytes]]:
        # By the primary key (OFFSET 0: not the stream's index), bounded above: before any
        # ANALYZE, a bare `seq > x` is priced a third of the table (a full scan, 21 ms at 100k).
        return self._log_rows("SELECT occurred_us, seq, body FROM (SELECT * FROM events WHERE "
                              "seq > %s AND seq <= %s ORDER BY seq OFFSET 0) e WHERE stream = %s",
                              (after_seq, self.head().seq, stream))

    def late_events(self, stream: str, after_seq: int, known_seq: int
                    ) -> list[tuple[int, int, int]]:
        return self._log_rows("SELECT seq, at_us, at_seq FROM docket_late WHERE stream = %s AND "
                          "seq > %s AND seq <= %s ORDER BY seq", (stream, after_seq, known_seq),
                              ("docket_late",))

    def bodies_by_id(self, ids: Sequence[str], known_seq: int) -> list[bytes]:
        return [body for (body,) in self._log_rows(
            "SELECT body FROM events WHERE seq <= %s AND id = ANY(%s)",
            (known_seq, [store(i) for i in ids]))]

    def chain_rows(self, lo: int, hi: int) -> Iterator[list[tuple]]:
        while lo < hi:
            rows = load_rows(self._log_rows(
                f"SELECT {_CHAIN_COLUMNS} FROM events WHERE seq > %s AND seq <= %s ORDER BY "
                f"seq LIMIT {_BATCH}", (lo, hi)), (1,))
            if not rows:
                return
            yield rows
            lo = rows[-1][0]

    def last_rows(self, seq: int, n: int) -> list[ChainRow]:
        return [ChainRow(*r) for r in load_rows(self._log_rows(
            f"SELECT {_CHAIN_COLUMNS} FROM events WHERE seq <= %s ORDER BY seq DESC LIMIT %s",
            (seq, n)), (1,))]

    def leaves(self) -> Iterator[list[tuple[bytes, str]]]:
        lo = -1
        while True:
            rows = self._log_rows(f"SELECT seq, body, hash FROM events WHERE seq > %s ORDER BY seq "
                              f"LIMIT {_BATCH}", (lo,))
            if not rows:
                return
            yield [r[1:] for r in rows]
            lo = rows[-1][0]

    def _page(self, stream: str | None, after_seq: int,
              limit: int) -> list[tuple[int, bytes, str]]:
        if stream is None:
            return self._log_rows("SELECT seq, body, hash FROM events WHERE seq > %s ORDER BY seq "
                              "LIMIT %s", (after_seq, limit))
        return self._log_rows("SELECT seq, body, hash FROM events WHERE stream = %s AND seq > %s "
                          "ORDER BY seq LIMIT %s", (stream, after_seq, limit))

    def wait_for_commit(self, after_seq: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if self._listener is None:
            self._listener = Listener(self._url.url, self._channel)
        while True:
            # Listening before looking: a commit after the look is a notification.
            listening = self._listener.listen()
            with self.reading():
                if self.known_seq() > after_seq:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._listener.wait(left if listening else min(left, 0.2))

    # -- the log: writing -------------------------------------------------------------------
    def insert_events(self, rows: Sequence[EventRow],
                      refs: Sequence[tuple[str, str, str, int]]) -> None:
        self._insert_log_rows(rows, refs)
        if rows:
            # The head is the last row (the lock is held); the NOTIFY reaches followers at commit.
            self._head = Head(rows[-1].seq, rows[-1].hash, rows[-1].recorded_us)
            for row in rows:  # in seq order: each stream's last row holds its version
                self._versions[row.stream] = row.version
            self._write((), "SELECT pg_notify(%s, %s)", (self._channel, str(rows[-1][0])))

    # -- metadata ---------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        if self._meta is None:
            self._meta = dict(self._log_rows("SELECT key, value FROM docket_meta"))
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._write(("docket_meta",), "INSERT INTO docket_meta VALUES (%s, %s) ON CONFLICT "
                    "(key) DO UPDATE SET value = EXCLUDED.value", (key, value))
        if self._meta is not None:
            self._meta[key] = value

    # -- the audit ----------------------------------------------------------------------------
    def immutability_problems(self) -> list[tuple[str, str]]:
        return immutability_problems(self._conn)

