"""The stored views: ordinary tables beside the log, kept equal to a fresh replay.

`EventLog` applies what each append wrote (`Appended`: per stream, the earliest replay
position it changes) in the same transaction. When new events land after everything already
folded, they are folded onto the saved fold state and only the rows they touched are
rewritten; when an event lands earlier in replay order (backdated, or a retraction or
correction of an earlier event), the snapshots from that point on are dropped, the stream is
refolded from the nearest snapshot before it, and only the fold entries that came out
different are written, with the view rows that follow from them (the orders of changed
notices, those whose `overdue` the moved reference time can flip, the dialogue and the
stream row).

The fold state of each stream's head is kept entity by entity (`docket_fold`), so that an
append reads and writes only what it touches; a process that appends again reuses the
state it already holds in memory while no other process has changed the stream.

The views know which fold wrote them (`PROJECTION_VERSION` in the metadata). Views written by
another version are never read: queries fold from the log instead, `stale` says so, and the
next write (or `docket rebuild`) rewrites them.
"""

from __future__ import annotations

from typing import Any, Callable

from ..projection import PROJECTION_VERSION
from ..replay import fold_stream, view_of
from ..timeline import Selection, amendments
from ..times import upper_bound
from ..views.compliance import reference_time
from .head import Entries, completed
from .rows import (
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
from .snapshots import SNAPSHOT_EVERY, copy_state, decode_state, encode_state

__all__ = ["StoredViews"]

_MAX = 2**63 - 1
# Above this many entries a state is dear to snapshot; see `_snapshotter`.
_BIG_STATE = 20_000
# The keyed parts of the fold state, stored one entry a row; all but the last have a table.
_ENTITIES = ("orders", "accounts", "notices", "challenges", "order_notices")
_INTERNAL = ("docket_view_heads", "docket_snapshots", "docket_fold", "docket_deadlines")


class StoredViews:
    """The built-in projection's stored views and snapshots, in a `Storage`."""

    def __init__(self, storage) -> None:
        self.storage = storage
        # stream -> (token, state): the head state this process holds; the token is what
        # docket_view_heads said when it was saved, so another writer's change is noticed.
        self._cache: dict[str, tuple[tuple, dict]] = {}
        self._pending: dict[str, tuple[tuple, dict]] = {}

    # -- the fold that wrote them -----------------------------------------------------------
    def written_by(self) -> str | None:
        """The projection version the stored views were written by (inside a transaction;
        None for a log whose views were never written)."""
        return self.storage.meta("projection")

    def stale(self) -> str | None:
        """Why the stored views cannot be read (written by another version of the fold), or
        None when they can (inside a transaction)."""
        written = self.written_by()
        if written is None or written == str(PROJECTION_VERSION):
            return None
        return (f"the stored views of {self.storage.location} were written by projection "
                f"version {written}; this Docket folds version {PROJECTION_VERSION} "
                "(`docket rebuild` rewrites them)")

    # -- maintenance (inside the append's write transaction) ----------------------------------
    def apply(self, touched: dict[str, tuple[int, int]]) -> bool:
        """Bring the stored views of the streams an append touched up to date: `touched`
        maps each to the earliest replay position it changed. Views written by another fold
        are rebuilt first; returns True when that happened."""
        storage = self.storage
        if self.written_by() != str(PROJECTION_VERSION):
            rebuilt = self.written_by() is not None
            self.rebuild()
            return rebuilt
        log_seq = storage.known_seq()
        for stream, earliest in touched.items():
            self._refresh(stream, earliest, log_seq)
        return False

    def committed(self) -> None:
        """The append committed: the states it folded are now the heads on disk."""
        self._cache.update(self._pending)
        self._pending.clear()

    def abandoned(self) -> None:
        """The append rolled back: forget what it folded."""
        self._pending.clear()

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop every stored view and snapshot and refold each stream from the log (inside a
        write transaction); returns the stream count."""
        storage = self.storage
        for table in (*TABLES, *_INTERNAL):
            storage.clear(table)
        self._cache.clear()
        log_seq = storage.known_seq()
        streams = storage.stream_names()
        for stream in streams:
            self._refold(stream, (-_MAX, 0), log_seq, progress)
        storage.set_meta("projection", str(PROJECTION_VERSION))
        return len(streams)

    def _head(self, stream: str):
        head = self.storage.get("docket_view_heads", (stream,),
                                ("occurred_us", "seq", "log_seq", "folded", "scalars"))
        if head is None or head[0] is None:
            return None
        token = tuple(head[:4])
        cached = self._cache.pop(stream, None)
        if cached is not None and cached[0] == token:
            return token, cached[1]
        state = decode_state(head[4])
        for kind in _ENTITIES:
            state[kind] = Entries(self.storage, stream, kind)
        return token, state

    def _refresh(self, stream, earliest, log_seq) -> None:
        storage = self.storage
        head = self._head(stream)
        if head is None or earliest <= (head[0][0], head[0][1]):
            self._refold(stream, earliest, log_seq)
            return
        # New events only, all after the head: fold them on, rewrite what they touched.
        (h_occ, h_seq, _, folded), state = head
        for kind in _ENTITIES:
            if not isinstance(state[kind], Entries):  # a state this process refolded
                state[kind] = Entries.holding(storage, stream, kind, state[kind])
            state[kind].keys_seen = set()
        dialogue_before = len(state["dialogue"])
        ref_before = reference_time(state, None)
        amend = amendments(storage, stream, log_seq)
        state, last, n = fold_stream(storage, stream, log_seq, amend, state, after=(h_occ, h_seq),
                                     on_fold=self._snapshotter(stream, log_seq, folded))
        last = last or (h_occ, h_seq)  # only amending records (never folded) were new
        touched = {}
        for kind in _ENTITIES:
            # What the fold touched; the view code's reads below must not add to it.
            touched[kind], state[kind].keys_seen = state[kind].keys_seen, set()
            entries = [(stream, kind, k, encode_state(state[kind][k]))
                       for k in touched[kind] if k in state[kind]]
            if entries:
                storage.upsert("docket_fold", entries)
        self._write_rows(stream, state, touched, dict.fromkeys(_ENTITIES, frozenset()),
                         ref_before)
        if len(state["dialogue"]) != dialogue_before:
            upsert(storage, "view_dialogue", [
                row("view_dialogue", stream, {"position": i, **d})
                for i, d in enumerate(state["dialogue"], 1) if i > dialogue_before])
        self._save_head(stream, last, log_seq, folded + n, state, amend)

    def _snapshotter(self, stream, log_seq, folded, progress=None):
        storage = self.storage
        last = [storage.most_folded_snapshot(stream)]

        def on_fold(key, record, state, n):
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
            storage.upsert("docket_snapshots", [
                (stream, key[0], key[1], log_seq, at, encode_state(completed(state)))])
        return on_fold

    def _refold(self, stream, earliest, log_seq, progress=None) -> None:
        storage = self.storage
        # Every snapshot at or after the change is stale.
        storage.drop_snapshots_from(stream, earliest)
        snap = storage.last_snapshot(stream)
        if snap is None:
            start, folded, state = (-_MAX, 0), 0, None
        else:
            start, folded, state = (snap[0], snap[1]), snap[2], decode_state(snap[3])
        amend = amendments(storage, stream, log_seq)
        head = storage.get("docket_view_heads", (stream,), ("scalars",))
        state, last, n = fold_stream(
            storage, stream, log_seq, amend, state, after=start,
            on_fold=self._snapshotter(stream, log_seq, folded, progress))
        ref_before = reference_time(decode_state(head[0]), None) if head else None
        self._write_changes(stream, state, ref_before)
        self._save_head(stream, last or (start if snap else (None, None)), log_seq,
                        folded + n, state, amend)

    def _write_changes(self, stream: str, state: dict, ref_before: int | None) -> None:
        """Make the stored fold entries and view rows of `stream` those of the refolded
        `state`, writing only the entities whose encoded entry differs from the stored one
        (and the rows that follow from them, `_write_rows`).

        A backdated event usually changes a few entities of many; rewriting them all was
        most of such an append. A rebuild, whose tables are empty, writes everything through
        the same path.
        """
        storage = self.storage
        dirty, gone = {}, {}
        for kind in _ENTITIES:
            stored = dict(storage.select("docket_fold", (stream, kind), ("key", "value")))
            changed = []
            for key, value in state[kind].items():
                encoded = encode_state(value)
                if stored.pop(key, None) != encoded:
                    changed.append((stream, kind, key, encoded))
            storage.upsert("docket_fold", changed)
            storage.delete("docket_fold", [(stream, kind, key) for key in stored])
            dirty[kind], gone[kind] = {c[2] for c in changed}, set(stored)
        self._write_rows(stream, state, dirty, gone, ref_before)
        storage.delete_prefix("view_dialogue", (stream,))
        upsert(storage, "view_dialogue", [row("view_dialogue", stream, {"position": i, **d})
                                          for i, d in enumerate(state["dialogue"], 1)])

    def _write_rows(self, stream: str, state: dict, changed: dict, gone: dict,
                    ref_before: int | None) -> None:
        """The view rows and deadline index of `stream` once the fold entries in `changed`
        (keys by kind) were written and those in `gone` deleted: the rows of those entities,
        of the orders whose notices changed, and of the orders whose `overdue` the move of
        the reference time (the latest event folded, `ref_before` before) can flip."""
        storage = self.storage
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
            orders |= set(storage.deadlines_between(stream, low, max(known)))
        moved = changed["orders"] | gone["orders"]
        if moved:
            storage.delete("docket_deadlines", [(stream, k) for k in moved])
            orders_now = state["orders"]
            storage.upsert("docket_deadlines", [
                (stream, k, upper_bound(orders_now[k]["deadline"])) for k in changed["orders"]
                if k in orders_now and orders_now[k]["deadline"]])
        for kind, table in ENTITY_TABLE.items():
            keys = orders if kind == "orders" else changed[kind]
            upsert(storage, table, entry_rows(state, kind, keys, stream, ref_after))
            delete_entries(storage, kind, stream, gone[kind])

    def _save_head(self, stream, last, log_seq, folded, state, amend) -> None:
        storage = self.storage
        scalars = {k: v for k, v in state.items() if k not in _ENTITIES}
        storage.upsert("docket_view_heads", [
            (stream, last[0], last[1], log_seq, folded, encode_state(scalars))])
        last_seq = max([state["last_seq"], *amend.seqs])
        upsert(storage, "view_streams", [(stream, last_seq, storage.stream_version(stream))])
        if last[0] is not None:
            self._pending[stream] = ((last[0], last[1], log_seq, folded), state)

    # -- queries (inside a read transaction) ------------------------------------------------
    def stored_view(self, stream: str) -> dict | None:
        """The current state view of `stream` read from the view tables (see rows.read_view),
        or None when they cannot answer (none yet, or written by another fold)."""
        return None if self.stale() else read_view(self.storage, stream)

    def stored_compliance(self, stream: str) -> list[dict] | None:
        """The current compliance rows of `stream` read from `view_orders` (or None)."""
        return None if self.stale() else read_compliance(self.storage, stream)

    def stored_rows(self, stream: str) -> dict[str, list[tuple]]:
        """The rows the view tables hold for `stream` (for the audit)."""
        return read_rows(self.storage, stream)

    def state(self, stream: str, selection: Selection) -> tuple[dict, Any]:
        """The folded state of `stream` for `selection`, from the nearest usable snapshot."""
        storage = self.storage
        amend = amendments(storage, stream, selection.known_seq)
        usable = not self.stale()
        if selection.is_current and usable:
            head = self._head(stream)
            if head is not None:
                self._cache[stream] = head
                return copy_state(completed(head[1])), amend
        # A snapshot taken when the log was at log_seq holds exactly the events known then
        # before its key (any later event landing earlier would have dropped it), so it
        # serves every query that knows at least that much.
        snap = storage.snapshot_before(stream, selection.known_seq, selection.until_us) \
            if usable else None
        start, state = ((snap[0], snap[1]), decode_state(snap[2])) if snap else ((-_MAX, 0), None)
        return fold_stream(storage, stream, selection.known_seq, amend, state, after=start,
                           until_us=selection.until_us)[0], amend

    def view_of(self, stream: str, state: dict, amend, known_seq: int,
                as_of: str | None = None, known_at: str | None = None) -> dict:
        """The SPEC §5 state view of a folded state of `stream`."""
        return view_of(self.storage, stream, state, amend, known_seq, as_of, known_at)
