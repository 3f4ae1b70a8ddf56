"""The stored views: ordinary SQLite tables beside the log, kept equal to a fresh replay.

They are updated in the same transaction as each append. When new events land after
everything already folded, they are folded onto the saved fold state and only the rows
they touched are rewritten; when an event lands earlier in replay order (backdated, or a
retraction/correction of an earlier event), the snapshots from that point on are dropped,
the stream is refolded from the nearest snapshot before it, and only the fold entries that
came out different are written, with the view rows that follow from them (the orders of
changed notices, those whose `overdue` the moved reference time can flip, the dialogue and
the stream row).

The fold state of each stream's head is kept entity by entity (`docket_fold`), so that an
append reads and writes only what it touches; a process that appends again reuses the
state it already holds in memory while no other process has changed the stream.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..projection import PROJECTION_VERSION
from ..replay import (
    SNAPSHOT_EVERY,
    Selection,
    amendments,
    decode_state,
    encode_state,
    fold_stream,
)
from ..storage.sqlite import stream_names
from ..times import upper_bound
from ..views import state_view
from ..views.compliance import reference_time
from .head import Entries, completed
from .rows import (
    COLUMN_TYPES,
    ENTITY_TABLE,
    TABLES,
    delete_entries,
    entry_rows,
    read_compliance,
    read_rows,
    read_view,
    row,
    upsert,
)

__all__ = ["StoredViews"]

_log = logging.getLogger("docket")

_MAX = 2**63 - 1
# Above this many entries a state is dear to snapshot; see `_snapshotter`.
_BIG_STATE = 20_000
# The keyed parts of the fold state, stored one entry a row; all but the last have a table.
_ENTITIES = ("orders", "accounts", "notices", "challenges", "order_notices")

_INTERNAL = """
CREATE TABLE IF NOT EXISTS docket_view_heads (
    stream TEXT PRIMARY KEY, occurred_us INTEGER, seq INTEGER, log_seq INTEGER NOT NULL,
    folded INTEGER NOT NULL, scalars BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS docket_fold (
    stream TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (stream, kind, key)) WITHOUT ROWID;
-- When each order's deadline ends, so that an append finds the orders its time moves past
-- without reading every order.
CREATE TABLE IF NOT EXISTS docket_deadlines (
    stream TEXT NOT NULL, order_id TEXT NOT NULL, end_us INTEGER NOT NULL,
    PRIMARY KEY (stream, order_id));
CREATE INDEX IF NOT EXISTS docket_deadlines_end ON docket_deadlines (stream, end_us);
CREATE TABLE IF NOT EXISTS docket_snapshots (
    stream TEXT NOT NULL, occurred_us INTEGER NOT NULL, seq INTEGER NOT NULL,
    log_seq INTEGER NOT NULL, folded INTEGER NOT NULL, state BLOB NOT NULL,
    PRIMARY KEY (stream, occurred_us, seq));
"""


class StoredViews:
    """The built-in projection's stored views and snapshots in one SQLite file."""

    def __init__(self, store) -> None:
        self.store = store
        # stream -> (token, state): the head state this process holds; the token is what
        # docket_view_heads said when it was saved, so another writer's change is noticed.
        self._cache: dict[str, tuple[tuple, dict]] = {}
        self._pending: dict[str, tuple[tuple, dict]] = {}
        self._ensure_tables()

    def _ensure_tables(self) -> None:
        conn = self.store.conn
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if all(t in have for t in (*TABLES, "docket_fold", "docket_deadlines")):
            self._check_projection_version()
            return
        import sqlite_utils  # lazily: only the first open of a file pays for it

        # sqlite-utils writes the tables' DDL; we run it in one write transaction, so
        # processes opening a new file at once wait for each other instead of failing.
        db = sqlite_utils.Database(memory=True)
        ddl = [_INTERNAL] + [
            db.create_table_sql(table, {c: COLUMN_TYPES.get(c, str) for c in columns}, pk=pk,
                                if_not_exists=True) + ";"
            for table, (columns, pk) in TABLES.items()
        ]
        self.store.run_script("\n".join(ddl) + "INSERT OR IGNORE INTO docket_meta VALUES "
                              f"('projection', '{PROJECTION_VERSION}');")
        self._check_projection_version()

    def _check_projection_version(self) -> None:
        """Rebuild views written by a Docket whose fold differs from this one's."""
        row = self.store.conn.execute(
            "SELECT value FROM docket_meta WHERE key = 'projection'").fetchone()
        if row is not None and row[0] == str(PROJECTION_VERSION):
            return
        with self.store.write() as conn:
            self.rebuild(conn)
            conn.execute("INSERT OR REPLACE INTO docket_meta VALUES ('projection', ?)",
                         (str(PROJECTION_VERSION),))
        _log.warning("rebuilt the stored views of %s for this version", self.store.path)

    # -- maintenance ---------------------------------------------------------------------
    def after_append(self, conn, touched: dict[str, tuple[int, int]]) -> None:
        """Bring the stored views of the touched streams up to date (inside the append)."""
        log_seq = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
        for stream, earliest in touched.items():
            self._refresh(conn, stream, earliest, log_seq)

    def committed(self) -> None:
        """The append committed: the states it folded are now the heads on disk."""
        self._cache.update(self._pending)
        self._pending.clear()

    def abandoned(self) -> None:
        """The append rolled back: forget what it folded."""
        self._pending.clear()

    def rebuild(self, conn, progress: Callable[[int], None] | None = None) -> int:
        """Drop every stored view and snapshot and refold each stream from the log."""
        for table in (*TABLES, "docket_view_heads", "docket_snapshots", "docket_fold",
                      "docket_deadlines"):
            conn.execute(f"DELETE FROM {table}")
        self._cache.clear()
        log_seq = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        streams = stream_names(conn)
        for stream in streams:
            self._refold(conn, stream, (-_MAX, 0), log_seq, progress)
        return len(streams)

    def _head(self, conn, stream: str):
        head = conn.execute(
            "SELECT occurred_us, seq, log_seq, folded, scalars FROM docket_view_heads "
            "WHERE stream = ?", (stream,)).fetchone()
        if head is None or head[0] is None:
            return None
        token = tuple(head[:4])
        cached = self._cache.pop(stream, None)
        if cached is not None and cached[0] == token:
            return token, cached[1]
        state = decode_state(head[4])
        for kind in _ENTITIES:
            state[kind] = Entries(self.store.conn, stream, kind)
        return token, state

    def _refresh(self, conn, stream, earliest, log_seq) -> None:
        head = self._head(conn, stream)
        if head is None or earliest <= (head[0][0], head[0][1]):
            self._refold(conn, stream, earliest, log_seq)
            return
        # New events only, all after the head: fold them on, rewrite what they touched.
        (h_occ, h_seq, _, folded), state = head
        for kind in _ENTITIES:
            if not isinstance(state[kind], Entries):  # a state this process refolded
                state[kind] = Entries.holding(conn, stream, kind, state[kind])
            state[kind].keys_seen = set()
        dialogue_before = len(state["dialogue"])
        ref_before = reference_time(state, None)
        amend = amendments(conn, stream, log_seq)
        state, last, n = fold_stream(conn, stream, log_seq, amend, state, after=(h_occ, h_seq),
                                     on_fold=self._snapshotter(conn, stream, log_seq, folded))
        last = last or (h_occ, h_seq)  # only amending records (never folded) were new
        touched = {}
        for kind in _ENTITIES:
            # What the fold touched; the view code's reads below must not add to it.
            touched[kind], state[kind].keys_seen = state[kind].keys_seen, set()
            entries = [(stream, kind, k, encode_state(state[kind][k]))
                       for k in touched[kind] if k in state[kind]]
            if entries:
                conn.executemany("INSERT OR REPLACE INTO docket_fold VALUES (?,?,?,?)", entries)
        self._write_rows(conn, stream, state, touched, dict.fromkeys(_ENTITIES, frozenset()),
                         ref_before)
        if len(state["dialogue"]) != dialogue_before:
            upsert(conn, "view_dialogue", [
                row("view_dialogue", stream, {"position": i, **d})
                for i, d in enumerate(state["dialogue"], 1) if i > dialogue_before])
        self._save_head(conn, stream, last, log_seq, folded + n, state, amend)

    def _snapshotter(self, conn, stream, log_seq, folded, progress=None):
        row = conn.execute("SELECT max(folded) FROM docket_snapshots WHERE stream = ?",
                           (stream,)).fetchone()
        last = [row[0] or 0]

        def on_fold(key, state, n):
            if progress is not None and n % 1000 == 0:
                progress(1000)
            at = folded + n
            if at % SNAPSHOT_EVERY:
                return
            # A snapshot costs as much as the state is big. When the state outgrows the
            # interval (a million-event log of 40k orders and 100k notices), snapshots are
            # spaced by its size instead, or a rebuild would grow with the square of the log
            # (measured: 1M events spent most of a rebuild encoding 200 snapshots).
            size = sum(dict.__len__(state[k]) for k in _ENTITIES)
            if size > _BIG_STATE and at - last[0] < size:
                return
            last[0] = at
            conn.execute("INSERT OR REPLACE INTO docket_snapshots VALUES (?,?,?,?,?,?)",
                         (stream, key[0], key[1], log_seq, at, encode_state(completed(state))))
        return on_fold

    def _refold(self, conn, stream, earliest, log_seq, progress=None) -> None:
        # Every snapshot at or after the change is stale.
        conn.execute("DELETE FROM docket_snapshots WHERE stream = ? AND (occurred_us, seq) >= "
                     "(?, ?)", (stream, *earliest))
        snap = conn.execute(
            "SELECT occurred_us, seq, folded, state FROM docket_snapshots WHERE stream = ? "
            "ORDER BY occurred_us DESC, seq DESC LIMIT 1", (stream,)).fetchone()
        if snap is None:
            start, folded, state = (-_MAX, 0), 0, None
        else:
            start, folded, state = (snap[0], snap[1]), snap[2], decode_state(snap[3])
        amend = amendments(conn, stream, log_seq)
        head = conn.execute("SELECT scalars FROM docket_view_heads WHERE stream = ?",
                            (stream,)).fetchone()
        state, last, n = fold_stream(
            conn, stream, log_seq, amend, state, after=start,
            on_fold=self._snapshotter(conn, stream, log_seq, folded, progress))
        ref_before = reference_time(decode_state(head[0]), None) if head else None
        self._write_changes(conn, stream, state, ref_before)
        self._save_head(conn, stream, last or (start if snap else (None, None)), log_seq,
                        folded + n, state, amend)

    def _write_changes(self, conn, stream: str, state: dict, ref_before: int | None) -> None:
        """Make the stored fold entries and view rows of `stream` those of the refolded
        `state`, writing only the entities whose encoded entry differs from the stored one
        (and the rows that follow from them, `_write_rows`).

        A backdated event usually changes a few entities of many; rewriting them all was
        most of such an append (200k events: 1.7 s of 3.2 s). A rebuild, whose tables are
        empty, writes everything through the same path.
        """
        dirty, gone = {}, {}
        for kind in _ENTITIES:
            stored = dict(conn.execute("SELECT key, value FROM docket_fold WHERE stream = ? "
                                       "AND kind = ?", (stream, kind)))
            changed = []
            for key, value in state[kind].items():
                encoded = encode_state(value)
                if stored.pop(key, None) != encoded:
                    changed.append((stream, kind, key, encoded))
            conn.executemany("INSERT OR REPLACE INTO docket_fold VALUES (?,?,?,?)", changed)
            conn.executemany("DELETE FROM docket_fold WHERE stream = ? AND kind = ? AND key = ?",
                             [(stream, kind, key) for key in stored])
            dirty[kind], gone[kind] = {c[2] for c in changed}, set(stored)
        self._write_rows(conn, stream, state, dirty, gone, ref_before)
        conn.execute("DELETE FROM view_dialogue WHERE stream = ?", (stream,))
        upsert(conn, "view_dialogue", [row("view_dialogue", stream, {"position": i, **d})
                                       for i, d in enumerate(state["dialogue"], 1)])

    def _write_rows(self, conn, stream: str, state: dict, changed: dict, gone: dict,
                    ref_before: int | None) -> None:
        """The view rows and deadline index of `stream` once the fold entries in `changed`
        (keys by kind) were written and those in `gone` deleted: the rows of those entities,
        of the orders whose notices changed, and of the orders whose `overdue` the move of
        the reference time (the latest event folded, `ref_before` before) can flip."""
        orders = changed["orders"] | changed["order_notices"] | gone["order_notices"]
        for key in changed["notices"]:
            notice = state["notices"].get(key)
            if notice is not None:
                orders.update(notice["order_ids"])
        ref_after = reference_time(state, None)
        if ref_after != ref_before:
            # An order flips when the time moves across its deadline's end, either way.
            known = [t for t in (ref_before, ref_after) if t is not None]
            low = min(known) if len(known) == 2 else -_MAX  # no time: nothing is overdue
            orders |= {k for (k,) in conn.execute(
                "SELECT order_id FROM docket_deadlines WHERE stream = ? AND end_us >= ? "
                "AND end_us < ?", (stream, low, max(known)))}
        moved = changed["orders"] | gone["orders"]
        if moved:
            conn.executemany("DELETE FROM docket_deadlines WHERE stream = ? AND order_id = ?",
                             [(stream, k) for k in moved])
            self._save_deadlines(conn, stream, state["orders"], changed["orders"])
        for kind, table in ENTITY_TABLE.items():
            keys = orders if kind == "orders" else changed[kind]
            upsert(conn, table, entry_rows(state, kind, keys, stream, ref_after))
            delete_entries(conn, kind, stream, gone[kind])

    def _save_head(self, conn, stream, last, log_seq, folded, state, amend) -> None:
        scalars = {k: v for k, v in state.items() if k not in _ENTITIES}
        conn.execute("INSERT OR REPLACE INTO docket_view_heads VALUES (?,?,?,?,?,?)",
                     (stream, last[0], last[1], log_seq, folded, encode_state(scalars)))
        version = conn.execute("SELECT max(version) FROM events WHERE stream = ?",
                               (stream,)).fetchone()[0] or 0
        last_seq = max([state["last_seq"], *amend.seqs])
        upsert(conn, "view_streams", [(stream, last_seq, version)])
        if last[0] is not None:
            self._pending[stream] = ((last[0], last[1], log_seq, folded), state)

    @staticmethod
    def _save_deadlines(conn, stream: str, orders: dict, keys) -> None:
        conn.executemany("INSERT OR REPLACE INTO docket_deadlines VALUES (?,?,?)", [
            (stream, k, upper_bound(orders[k]["deadline"])) for k in keys
            if k in orders and orders[k]["deadline"]])

    def view_of(self, conn, stream: str, state: dict, amend, known_seq: int,
                as_of: str | None = None, known_at: str | None = None) -> dict:
        """The SPEC §5 state view of a folded state of `stream`."""
        version = conn.execute("SELECT max(version) FROM events WHERE stream = ? AND seq <= ?",
                               (stream, known_seq)).fetchone()[0] or 0
        last_seq = max([state["last_seq"], *amend.seqs])
        return state_view(state, stream=stream, as_of=as_of, known_at=known_at,
                          version=version, last_seq=last_seq)

    # -- queries ---------------------------------------------------------------------------
    def stored_view(self, conn, stream: str) -> dict | None:
        """The current state view of `stream` read from the view tables (see view_tables)."""
        return read_view(conn, stream)

    def stored_compliance(self, conn, stream: str) -> list[dict] | None:
        """The current compliance rows of `stream` read from `view_orders`."""
        return read_compliance(conn, stream)

    def stored_rows(self, conn, stream: str) -> dict[str, list[tuple]]:
        """The rows the view tables hold for `stream` (for the audit)."""
        return read_rows(conn, stream)

    def state(self, conn, stream: str, selection: Selection) -> tuple[dict, Any]:
        """The folded state of `stream` for `selection`, from the nearest usable snapshot."""
        amend = amendments(conn, stream, selection.known_seq)
        if selection.is_current:
            head = self._head(conn, stream)
            if head is not None:
                self._cache[stream] = head
                return _copy(completed(head[1])), amend
        # A snapshot taken when the log was at log_seq holds exactly the events known then
        # before its key (any later event landing earlier would have dropped it), so it
        # serves every query that knows at least that much.
        snap = conn.execute(
            "SELECT occurred_us, seq, state FROM docket_snapshots WHERE stream = ? AND "
            "log_seq <= ? AND occurred_us <= ? ORDER BY occurred_us DESC, seq DESC LIMIT 1",
            (stream, selection.known_seq, selection.until_us)).fetchone()
        start, state = ((snap[0], snap[1]), decode_state(snap[2])) if snap else ((-_MAX, 0), None)
        return fold_stream(conn, stream, selection.known_seq, amend, state, after=start,
                           until_us=selection.until_us)[0], amend

def _copy(state: dict) -> dict:
    """A deep copy (through msgpack): callers may fold on it without touching the cache."""
    return decode_state(encode_state(state))


