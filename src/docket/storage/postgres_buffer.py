"""The PostgreSQL backend's write buffer, and the insert of the log's own rows through it.

Round trips are what a write transaction costs on a server (an append's commit refreshes
the stored views: a dozen small statements), so small writes wait in a buffer, formatted
client-side, and go in one simple query with the next read of a table they change (the
read last, in the same query) or with the COMMIT. The events and refs of a small append
wait there too; a big one goes by COPY. Nothing is pipelined: psycopg's pipeline hangs on a
statement larger than the socket buffer, and a snapshot's state can be larger than that.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import psycopg

from .base import EventRow
from .postgres_text import store

__all__ = ["WriteBuffer"]

# A write of more rows than this (or holding a large value) goes at once, bound server-side,
# after what waits in the buffer: formatting it as text would cost more than a round trip.
_BUFFERED_ROWS = 64
_BUFFERED_BYTES = 64 * 1024
# An append of at least this many events refreshes the planner's statistics of the log.
_BULK_ROWS = 10_000

_EVENT_COLUMNS = "seq, id, stream, version, type, occurred_us, recorded_us, body, hash"
_EVENT_TYPES = ["int8", "text", "text", "int8", "text", "int8", "int8", "bytea", "text"]
_REF_TYPES = ["text", "text", "text", "int8"]
# From column arrays: one statement text whatever the row count (as the views' upserts).
_INSERT_EVENTS = (f"INSERT INTO events ({_EVENT_COLUMNS}) SELECT * FROM unnest("
                  + ", ".join(f"%s::{t}[]" for t in _EVENT_TYPES) + ")")
_INSERT_REFS = ("INSERT INTO refs (stream, kind, ref_id, seq) SELECT * FROM unnest("
                + ", ".join(f"%s::{t}[]" for t in _REF_TYPES) + ")")
# The log's own tables: a read of them waits for their buffered rows.
LOG_TABLES = ("events", "refs")


def _literal(value) -> str | None:
    """`value` as an SQL literal (standard_conforming_strings is on: `_connect` sets it), or
    None for a type this does not format. The buffer formats every small write client-side;
    psycopg's mogrify cost ~0.05 ms a statement, a dozen per append, more than this."""
    kind = type(value)
    if value is None:
        return "NULL"
    if kind is int:
        return str(value)
    if kind is str:
        return "'" + value.replace("'", "''") + "'"
    if kind is bytes:
        return "'\\x" + value.hex() + "'::bytea"
    if kind is float:
        return "'" + repr(value) + "'::float8"  # 'nan' and 'inf' included
    if kind is list:
        if not value:
            return "'{}'"  # typed by its cast or its comparison, as psycopg's would be
        items = [_literal(v) for v in value]
        return None if None in items else "ARRAY[" + ",".join(items) + "]"
    return None


def _small(params: Sequence) -> bool:
    size = 0
    for p in params:
        for v in (p if isinstance(p, list) else (p,)):
            if isinstance(v, (bytes, str)):
                size += len(v)
    return size <= _BUFFERED_BYTES


def _formatted(sql: str, params: Sequence) -> str | None:
    """`sql` with its `%s` placeholders replaced by `params` as literals (None: a value
    `_literal` does not format; psycopg's mogrify does it then)."""
    parts = sql.split("%s")
    if len(parts) != len(params) + 1 or "%" in sql.replace("%s", ""):
        return None
    out = [parts[0]]
    for value, part in zip(params, parts[1:]):
        text = _literal(value)
        if text is None:
            return None
        out += (text, part)
    return "".join(out)


class WriteBuffer:
    """The write buffer over a psycopg connection `self._conn` (mixed into
    `PostgresStorage` through `ViewTables`)."""

    _pending: list[str]
    _dirty: set[str]

    def _write(self, tables: Iterable[str], sql: str, params: Sequence = (),
               rows: int = 1) -> None:
        """Run a write now or with the next flush (a small one), after every write before."""
        if rows <= _BUFFERED_ROWS and _small(params):
            self._pending.append(self._mogrify(sql, params))
            self._dirty.update(tables)
            return
        self._flush()
        # Bound in binary (`%b`): psycopg's text dumper of a list quotes each element through
        # a regular expression, a sixth of a 20k-event import's client time on a server.
        self._conn.execute(sql.replace("%s", "%b"), params)

    def _mogrify(self, sql: str, params: Sequence) -> str:
        """A statement with its parameters formatted client-side."""
        text = _formatted(sql, params)
        return psycopg.ClientCursor(self._conn).mogrify(sql, params) if text is None else text

    def _flush(self, then: str = "") -> None:
        """Send what waits in the buffer (and `then`, e.g. COMMIT) in one round trip."""
        statements = self._pending
        self._pending, self._dirty = [], set()
        if then:
            statements = [*statements, then]
        if statements:
            self._conn.execute("; ".join(statements))

    def _rows(self, sql: str, params: Sequence = (), reads: Iterable[str] | None = None
              ) -> list[tuple]:
        """Run a read (`reads`: the buffered tables it reads; None: any) and fetch it all.
        When it must wait for buffered writes, it goes last in their round trip (as text:
        the same Python values as binary)."""
        if self._pending and (reads is None or not self._dirty.isdisjoint(reads)):
            return self._together([(sql, params, reads)])[0]
        return self._conn.execute(sql, params, binary=True).fetchall()

    def _run(self, plan):
        """Run a read's plan (sql, params, tables, answer; see postgres_reads) alone."""
        sql, params, reads, answer = plan
        return answer(self._rows(sql, params, reads))

    def _together(self, reads: Sequence[tuple[str, Sequence, Iterable[str]]]
                  ) -> list[list[tuple]]:
        """The rows of several reads (sql, params, tables) in one round trip, behind what
        waits in the buffer (sent first, whatever the reads read)."""
        statements, self._pending, self._dirty = self._pending, [], set()
        cur = self._conn.execute("; ".join([*statements, *(self._mogrify(sql, params)
                                                           for sql, params, _ in reads)]))
        results = []
        while True:  # one result per statement; the reads' are the last ones
            results.append(cur.fetchall() if cur.description is not None else [])
            if not cur.nextset():
                break
        return results[len(results) - len(reads):]

    def _insert_log_rows(self, rows: Sequence[EventRow],
                         refs: Sequence[tuple[str, str, str, int]]) -> None:
        """Insert events and refs: a small append's through the buffer (they go with the
        next read of the log or the COMMIT: no round trip of their own), a bigger one's by
        COPY. UNIQUE holds either way; a violation surfaces where the rows are sent."""
        if len(rows) + len(refs) <= _BUFFERED_ROWS:
            if rows:
                self._write(LOG_TABLES, _INSERT_EVENTS, [
                    list(column) for column in zip(*((r[0], store(r[1]), *r[2:]) for r in rows))],
                    len(rows))
            if refs:
                self._write(LOG_TABLES, _INSERT_REFS, [
                    list(column) for column in zip(*((f[0], f[1], store(f[2]), f[3])
                                                     for f in refs))], len(refs))
            return
        self._flush()
        cur = self._conn.cursor()
        # COPY, not a statement per row (nor a pipeline); UNIQUE still holds.
        with cur.copy(f"COPY events ({_EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_EVENT_TYPES)
            for row in rows:
                copy.write_row((row[0], store(row[1]), *row[2:]))
        if refs:
            with cur.copy("COPY refs (stream, kind, ref_id, seq) FROM STDIN (FORMAT BINARY)"
                          ) as copy:
                copy.set_types(_REF_TYPES)
                for ref in refs:
                    copy.write_row((ref[0], ref[1], store(ref[2]), ref[3]))
        self._analyze_bulk(len(rows))

    def _analyze_bulk(self, rows: int) -> None:
        """After a bulk append, refresh the planner's statistics of the log's tables, in the
        append's transaction: until autovacuum gets to it (a minute or more), a table that
        grew from nothing has none, and the replay's keyset pages were planned as a bitmap
        scan and a sort of every remaining row (1.9 s instead of 0.7 s for 100k events).
        It costs ~0.25 s at 100k, so only when the batch is a tenth of the table or more
        (autovacuum's own threshold); a table another session holds locked (a VACUUM) is
        skipped, not waited for under the write lock. A failure costs only the statistics;
        a writer that does not own the tables gets a warning from the server."""
        if rows < _BULK_ROWS:
            return
        self._conn.execute("SAVEPOINT docket_analyze")
        try:
            estimate = self._conn.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass").fetchone()[0]
            if estimate <= 0 or rows * 10 >= estimate:
                self._conn.execute("ANALYZE (SKIP_LOCKED) events, refs")
        except psycopg.Error:
            if self._conn.broken:
                raise
            self._conn.execute("ROLLBACK TO SAVEPOINT docket_analyze")
        self._conn.execute("RELEASE SAVEPOINT docket_analyze")
