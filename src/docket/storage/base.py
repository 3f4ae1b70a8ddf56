"""The one interface the engine asks of a database (`Storage`), and the rows it passes.

A backend (`docket.storage.sqlite`, `docket.storage.postgres`) holds every SQL string and
driver call; no other module of Docket talks to a database. The engine opens a transaction
with `reading()` (one consistent snapshot; writers go on) or `writing()` (holding the log's
write lock from its first statement, so the hash chain has exactly one writer at a time and
writers commit in seq order), calls the methods below inside it, and leaves it. A `Storage`
may be shared between threads: each transaction holds the storage's lock, so the calls of
two threads never interleave inside one transaction. Nothing is held between transactions:
`read_page` is its own short transaction, so a reader paging through the log never blocks a
later append.

Every backend passes the same contract tests (`tests/test_storage_contract.py`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

from ..errors import StorageError
from .rows import ChainRow, EventRow, Head
from .schema import TABLES
from .write_guard import refusal_before_writing

__all__ = ["Storage", "EventRow", "ChainRow", "Head", "ZERO_HASH", "FORMAT_VERSION"]

ZERO_HASH = "0" * 64
"""The `prev_hash` of the first record."""

FORMAT_VERSION = 1
"""The layout of the log's tables; a database written by a newer Docket is refused."""


class Storage(ABC):
    """One database holding one log (SPEC §1): its events, refs, stored views and metadata.

    Methods other than `reading`, `writing`, `read_page`, `wait_for_commit` and `close` run
    inside the current transaction; the write methods need `writing()`.
    """

    #: Where the log is, as messages name it (a path, or a URL without its password).
    location: str
    #: An older log whose first write brings its schema up to date (a backend sets it).
    _upgrade = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._checked = False  # has this process run quick_check() before writing?

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator["Storage"]:
        """A read transaction: one consistent snapshot of the log (writers are not blocked).
        Inside a transaction already, the same transaction."""
        with self._lock:
            if self._depth:
                yield self
                return
            with self._transaction(write=False):
                yield self

    @contextmanager
    def writing(self) -> Iterator["Storage"]:
        """A write transaction holding the log's write lock from its first statement; it
        commits when the block ends and rolls back (nothing written) when it raises."""
        with self._lock:
            if self._depth:
                raise RuntimeError("a write transaction cannot start inside another transaction")
            if not self._checked:
                self._check_before_writing()
            with self._transaction(write=True):
                yield self

    def _check_before_writing(self) -> None:
        """Refuse to write to a damaged or unguarded log (`docket.storage.write_guard`), once
        per open storage, before its first write, in a read transaction of its own."""
        with self._transaction(write=False):
            refusal = refusal_before_writing(self)
        if refusal:
            raise StorageError(refusal)
        self._checked = True

    def _damage_before_writing(self) -> list[str]:
        """What the check before writing finds wrong with the database (the default: its
        `quick_check()`; SQLite skips it for files as a recorded check left them)."""
        return self.quick_check()

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[None]:
        self._begin(write)
        self._depth += 1
        try:
            yield
        except BaseException as exc:
            self._depth -= 1
            self._end(commit=False)
            error = self.translate(exc)
            if error is exc:
                raise
            raise error from None
        self._depth -= 1
        self._end(commit=True)

    @abstractmethod
    def translate(self, exc: BaseException) -> BaseException:
        """The StorageError for a driver error raised inside a transaction (else `exc`)."""

    @abstractmethod
    def _begin(self, write: bool) -> None:
        """Start a transaction (a write one takes the log's write lock, waiting for it)."""

    @abstractmethod
    def _end(self, commit: bool) -> None:
        """Commit or roll back the current transaction; a failed commit rolls back and
        raises StorageError (nothing of the transaction was written)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection; every later call raises StorageError."""

    # -- the log: reading --------------------------------------------------------------------
    @abstractmethod
    def head(self) -> Head:
        """The last seq, hash and recorded time; `Head(0, ZERO_HASH, 0)` for an empty log."""

    @abstractmethod
    def count(self) -> int:
        """How many events the log holds."""

    @abstractmethod
    def seq_range(self) -> tuple[int | None, int | None, int]:
        """(lowest seq, highest seq, row count) of the events table as stored (the audit
        reads it as it is, gaps and all); (None, None, 0) when empty."""

    @abstractmethod
    def known_seq(self, recorded_until_us: int | None = None) -> int:
        """The last seq, or the last one recorded at or before `recorded_until_us` (0: none)."""

    @abstractmethod
    def stream_names(self) -> list[str]:
        """The names of the streams, sorted (byte order)."""

    @abstractmethod
    def has_stream(self, stream: str) -> bool:
        """True when the log holds an event of `stream`."""

    @abstractmethod
    def last_seq_of(self, stream: str) -> int:
        """The seq of the last event of `stream` (0 when it has none)."""

    @abstractmethod
    def stream_version(self, stream: str, known_seq: int | None = None) -> int:
        """The version of `stream` (0 when it has no event), as of `known_seq` if given."""

    @abstractmethod
    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` the log holds."""

    @abstractmethod
    def event_by_id(self, ident: str) -> tuple[str, str, bytes, str] | None:
        """(stream, type, body, hash) of the event with this id, or None."""

    @abstractmethod
    def ref_seq(self, stream: str, kind: str, ref_id: str) -> int | None:
        """The seq of the event that introduced entity (`kind`, `ref_id`) in `stream`, or that
        is the retraction or correction `ref_id` (kind = its type); None when there is none."""

    @abstractmethod
    def refs(self, stream: str) -> list[tuple[str, str, int]]:
        """Every (kind, ref_id, seq) of `stream`."""

    @abstractmethod
    def amending_bodies(self, stream: str, known_seq: int,
                        kinds: Sequence[str]) -> list[bytes]:
        """The bodies of the amending events (retractions and/or corrections, `kinds`) of
        `stream` with seq up to `known_seq`, in seq order."""

    @abstractmethod
    def replay_rows(self, stream: str, known_seq: int, after: tuple[int, int],
                    until_us: int) -> Iterator[Sequence[tuple[int, int, bytes]]]:
        """(occurred_us, seq, body) of `stream`'s events in replay order (occurred_us, seq),
        with seq <= known_seq, key > `after` and occurred_us <= `until_us`, in batches."""

    @abstractmethod
    def events_by_seq(self, stream: str, seqs: Sequence[int]) -> list[tuple[int, int, bytes]]:
        """(occurred_us, seq, body) of the events of `stream` with these seqs."""

    @abstractmethod
    def replay_rows_desc(self, stream: str, known_seq: int, until: tuple[int, int]
                         ) -> Iterator[Sequence[tuple[int, int, bytes]]]:
        """(occurred_us, seq, body) of `stream`'s events with seq <= known_seq and key <=
        `until`, latest first in replay order, in batches."""

    @abstractmethod
    def seq_rows_desc(self, stream: str, known_seq: int
                      ) -> Iterator[Sequence[tuple[int, int, bytes]]]:
        """(occurred_us, seq, body) of `stream`'s events with seq <= known_seq, highest seq
        first, in batches."""

    @abstractmethod
    def events_after(self, stream: str, after_seq: int) -> list[tuple[int, int, bytes]]:
        """(occurred_us, seq, body) of `stream`'s events with seq > after_seq, in seq order."""

    @abstractmethod
    def late_events(self, stream: str, after_seq: int, known_seq: int
                    ) -> list[tuple[int, int, int]]:
        """(seq, at_us, at_seq) of `stream`'s rows of `docket_late` with seq in
        (after_seq, known_seq]."""

    @abstractmethod
    def bodies_by_id(self, ids: Sequence[str], known_seq: int) -> list[bytes]:
        """The bodies of the events with these ids and seq up to `known_seq`."""

    @abstractmethod
    def chain_rows(self, lo: int, hi: int) -> Iterator[Sequence[ChainRow]]:
        """Every event with lo < seq <= hi as ChainRow tuples, in seq order, in batches."""

    @abstractmethod
    def last_rows(self, seq: int, n: int) -> list[ChainRow]:
        """The `n` events at or before `seq`, latest first."""

    @abstractmethod
    def leaves(self) -> Iterator[Sequence[tuple[bytes, str]]]:
        """(body, hash) of every event in seq order, in batches: the Merkle tree's leaves."""

    def read_page(self, stream: str | None, after_seq: int,
                  limit: int) -> list[tuple[int, bytes, str]]:
        """Up to `limit` (seq, body, hash) of the events (of `stream`) with seq > `after_seq`,
        in seq order, read in a transaction of its own."""
        with self.reading():
            return self._page(stream, after_seq, limit)

    @abstractmethod
    def _page(self, stream: str | None, after_seq: int,
              limit: int) -> list[tuple[int, bytes, str]]:
        """`read_page` inside the current transaction."""

    @abstractmethod
    def wait_for_commit(self, after_seq: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the log to hold an event after `after_seq`;
        True when it does (also when it already did). Holds no transaction while waiting."""

    def read_many(self, reads: Sequence[tuple[str, tuple]]) -> list:
        """The answers of several reads of this interface, each given as (method name,
        arguments), in order: what calling each in turn would answer. A backend may send
        them together (on a server, one round trip for all)."""
        return [getattr(self, name)(*args) for name, args in reads]

    # -- the log: writing ----------------------------------------------------------------------
    @abstractmethod
    def insert_events(self, rows: Sequence[EventRow], refs: Sequence[tuple[str, str, str, int]]
                      ) -> None:
        """Insert events and their refs `(stream, kind, ref_id, seq)`; the database refuses a
        duplicate id, a duplicate (stream, version) and a duplicate ref."""

    @abstractmethod
    def insert_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint note (append-only: the database refuses to change one)."""

    @abstractmethod
    def checkpoints(self) -> list[tuple[int, str]]:
        """Every kept signed checkpoint as (size, note), in the order they were signed."""

    # -- metadata ---------------------------------------------------------------------------
    @abstractmethod
    def meta(self, key: str) -> str | None:
        """A metadata value (`format`, `projection`), or None."""

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""

    # -- the audit ----------------------------------------------------------------------------
    @abstractmethod
    def immutability_problems(self) -> list[tuple[str, str]]:
        """(trigger name, what is wrong) for each safeguard that should refuse an UPDATE or
        DELETE of the log and does not (missing, or altered)."""

    def all_refs(self) -> list[tuple[str, str, str, int]]:
        """Every row of `refs` as (stream, kind, ref_id, seq), of every stream, also of a
        stream the log holds no event of (for the audit). This default reads the streams
        the log holds; a backend overrides it with one query that reads them all."""
        return [(stream, *row) for stream in self.stream_names() for row in self.refs(stream)]

    def integrity_problems(self) -> list[str]:
        """What the database's own full integrity check finds wrong with its files (pages,
        b-trees, every index against its table), one line each; [] when it finds nothing.

        `verify` reports each. The default finds nothing: a backend with no such check
        (PostgreSQL without the amcheck extension) documents what it does instead."""
        return []

    def quick_check(self) -> list[str]:
        """A cheaper form of `integrity_problems` (it may skip the check of indexes against
        their tables), run before the first write of each open storage: a write to a
        damaged database is refused. [] when it finds nothing; the default finds nothing."""
        return []

    # -- stored-view tables (docket.storage.schema) --------------------------------------------
    @abstractmethod
    def upsert(self, table: str, rows: Iterable[Sequence]) -> None:
        """Insert rows (all columns, in the table's order), replacing rows with the same key;
        no rows, no statement."""

    @abstractmethod
    def delete(self, table: str, keys: Iterable[Sequence]) -> None:
        """Delete the rows with these primary keys."""

    @abstractmethod
    def delete_prefix(self, table: str, prefix: Sequence) -> None:
        """Delete the rows whose key starts with `prefix` (e.g. one stream's)."""

    @abstractmethod
    def select(self, table: str, prefix: Sequence = (),
               columns: Sequence[str] | None = None) -> list[tuple]:
        """The rows (all columns, or `columns`) whose key starts with `prefix`, in key order."""

    @abstractmethod
    def get(self, table: str, key: Sequence, columns: Sequence[str] | None = None
            ) -> tuple | None:
        """The row with this primary key (all columns, or `columns`), or None."""

    @abstractmethod
    def get_many(self, table: str, prefix: Sequence, keys: Sequence,
                 columns: Sequence[str]) -> list[tuple]:
        """(*rest of the key, *columns) of the rows whose key is `prefix` followed by one of
        `keys` (tuples of the key's remaining columns), in one read (each row present once,
        in any order)."""

    @abstractmethod
    def clear(self, table: str) -> None:
        """Delete every row of a stored-view table."""

    @abstractmethod
    def streams_in(self, table: str) -> list[tuple[str, int]]:
        """(stream, row count) of every stream with rows in `table`, sorted."""

    @abstractmethod
    def deadlines_between(self, stream: str, low: int, high: int) -> list[str]:
        """The orders of `stream` whose deadline ends in [low, high) (UTC µs)."""

    @abstractmethod
    def snapshot_before(self, stream: str, known_seq: int, until_us: int
                        ) -> tuple[int, int, int, bytes] | None:
        """(occurred_us, seq, log_seq, state) of the latest snapshot of `stream` taken when
        the log was at or before `known_seq` and keyed at or before `until_us`; None if
        none."""

    @abstractmethod
    def last_snapshot(self, stream: str) -> tuple[int, int, int, bytes] | None:
        """(occurred_us, seq, folded, state) of the latest snapshot of `stream`, or None."""

    @abstractmethod
    def drop_snapshots_from(self, stream: str, key: tuple[int, int]) -> None:
        """Delete the snapshots of `stream` keyed at or after `key` (they are stale)."""

    @abstractmethod
    def drop_snapshots_at_seq(self, stream: str, seq: int) -> None:
        """Delete the snapshots of `stream` taken at the event with this seq."""

    @abstractmethod
    def most_folded_snapshot(self, stream: str) -> int:
        """The largest `folded` count among `stream`'s snapshots (0 when none)."""


def table_names(table: str) -> tuple[str, ...]:
    """The column names of a stored-view table (for backends rendering SQL)."""
    return TABLES[table].names
