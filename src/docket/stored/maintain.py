"""The stored views: ordinary tables beside the log, kept equal to a fresh replay.

`EventLog` applies each append to them in the same transaction (`apply`). Per stream:

- events that land after everything already folded (the usual case) are folded onto the
  saved head state, and only the rows they touched are rewritten;
- events that land in the head's past — backdated, or a retraction or correction of an
  earlier event — are brought in entity by entity (`docket.stored.patch`): only the
  entities they touch are refolded, from their own histories (the `docket_touches` index,
  kept with every fold), so such an event costs its entities' histories, not every event
  after it;
- snapshots taken before a late event are not rewritten: the event is listed in
  `docket_late`, and an as-of query that starts from such a snapshot patches it the same
  way before folding on. When a snapshot has collected many late events, an append
  rewrites it (at most one per append), so queries stay cheap.

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
from ..replay import fold_decoded, fold_stream, view_of
from ..timeline import AMENDING, AMENDING_KINDS, Selection, amendments, amendments_of
from ..views.compliance import reference_time
from .entities import touches
from .head import Entries, completed, held
from .index import Index
from .patch import (
    Changes,
    Definitions,
    LateRecord,
    decode_rows,
    history,
    latest_key,
    patch,
    record_key,
)
from .rows import TABLES, read_compliance, read_rows, read_view, row
from .snapshots import SNAPSHOT_EVERY, copy_state, decode_state, encode_state
from .writes import ENTITIES as _ENTITIES
from .writes import prefetch_touched, write_changes, write_dialogue, write_rows

__all__ = ["StoredViews", "LATE_REFRESH"]

_MAX = 2**63 - 1
# Above this many entries a state is dear to snapshot; see `_snapshotter`.
_BIG_STATE = 20_000
# A snapshot that more late events than this would have to patch is rewritten by an append.
LATE_REFRESH = 200
_HEAD_COLUMNS = ("occurred_us", "seq", "log_seq", "folded", "scalars")
_INTERNAL = ("docket_view_heads", "docket_snapshots", "docket_fold", "docket_deadlines",
             "docket_touches", "docket_late")


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
    def apply(self, touched: dict[str, tuple[int, int]], written=()) -> bool:
        """Bring the stored views of the streams an append touched up to date (`written`:
        the EventRows it inserted, in seq order). Views written by another fold are rebuilt
        first; returns True when that happened."""
        if self.written_by() != str(PROJECTION_VERSION):
            rebuilt = self.written_by() is not None
            self.rebuild()
            return rebuilt
        log_seq = self.storage.known_seq()
        for stream in touched:
            self._refresh(stream, log_seq, written)
        return False

    def committed(self) -> None:
        """The append committed: the states it folded are now the heads on disk."""
        self._cache.update(self._pending)
        self._pending.clear()

    def abandoned(self) -> None:
        """The append rolled back: forget what it folded."""
        self._pending.clear()

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop every stored view, index and snapshot and refold each stream from the log
        (inside a write transaction); returns the stream count."""
        storage = self.storage
        for table in (*TABLES, *_INTERNAL):
            storage.clear(table)
        self._cache.clear()
        log_seq = storage.known_seq()
        streams = storage.stream_names()
        for stream in streams:
            self._refold(stream, log_seq, progress)
        storage.set_meta("projection", str(PROJECTION_VERSION))
        return len(streams)

    def _head(self, stream: str, head=False):
        """(token, state) of the stream's saved head (None: none); `head`: its row of
        docket_view_heads when already read."""
        if head is False:
            head = self.storage.get("docket_view_heads", (stream,), _HEAD_COLUMNS)
        if head is None:
            return None
        token = tuple(head[:4])
        cached = self._cache.pop(stream, None)
        if cached is not None and cached[0] == token:
            return token, cached[1]
        state = decode_state(head[4])
        for kind in _ENTITIES:
            state[kind] = Entries(self.storage, stream, kind)
        return token, state

    def _refresh(self, stream: str, log_seq: int, written=()) -> None:
        storage = self.storage
        # Three reads that need nothing of each other, in one round trip on a server.
        head_row, bodies, most_folded = storage.read_many([
            ("get", ("docket_view_heads", (stream,), _HEAD_COLUMNS)),
            ("amending_bodies", (stream, log_seq, AMENDING_KINDS)),
            ("most_folded_snapshot", (stream,))])
        head = self._head(stream, head_row)
        if head is None or head[0][0] is None:
            self._refold(stream, log_seq)  # a new stream, or one with nothing left to fold
            return
        (h_occ, h_seq, h_log, folded), state = head
        for kind in _ENTITIES:  # each an Entries: read from the table, or `held` when saved
            state[kind].keys_seen = set()
        dialogue_before = len(state["dialogue"])
        ref_before = reference_time(state, None)
        amend = amendments_of(bodies)
        after = (h_occ, h_seq)
        if written and h_log >= written[0].seq - 1:
            # Every event after the views' head is one this append wrote (seq is gapless,
            # and the append wrote all from its first): no read of the log.
            new = decode_rows([(r.occurred_us, r.seq, r.body) for r in written
                               if r.seq > h_log and r.stream == stream])
        else:
            new = decode_rows(storage.events_after(stream, h_log))
        prefetch_touched(state, new)
        # Late: amending, or landing (where the story now places it: a correction in the
        # same batch may move it) at or before the head.
        late = [r for r in new if r.record.type in AMENDING
                or record_key(r.record, r.key[0], amend) <= after]
        changes = None
        if late:
            changes, after = self._bring_in(stream, state, late, amend, log_seq, after)
            most_folded = None  # bringing them in may have dropped snapshots: read again
        resume = after if after[0] is not None else (-_MAX, 0)  # nothing left folded
        for kind in _ENTITIES:
            state[kind].keys_seen = set()
        # New events after the head: fold them on (indexing what each one touches).
        index = Index(storage, stream, h_log)
        on_fold = index.hook(self._snapshotter(stream, log_seq, folded, most_folded=most_folded))
        if late or amend.moved():
            state, last, n = fold_stream(storage, stream, log_seq, amend, state, after=resume,
                                         on_fold=on_fold)
        else:
            # What is left to fold is `new` itself: every event after the head's seq, none
            # landing before it, and no correction moving an older one past it. Folded as
            # decoded above, in replay order: no read of the log and no second decode.
            state, last, n = fold_decoded(state, [(*r.key, r.record) for r in new], amend,
                                          on_fold)
        index.flush()
        last = last or after
        touched, gone = {}, {}
        for kind in _ENTITIES:
            # What the fold touched; the view code's reads below must not add to it.
            seen, state[kind].keys_seen = state[kind].keys_seen, set()
            if changes is not None:
                seen |= changes.changed[kind] | changes.gone[kind]
            touched[kind] = {k for k in seen if k in state[kind]}
            gone[kind] = seen - touched[kind]
        # Every kind's entries in one write and one delete (keys hold the kind).
        storage.upsert("docket_fold", [(stream, kind, k, encode_state(state[kind][k]))
                                       for kind in _ENTITIES for k in touched[kind]])
        storage.delete("docket_fold", [(stream, kind, k)
                                       for kind in _ENTITIES for k in gone[kind]])
        write_rows(storage, stream, state, touched, gone, ref_before)
        if changes is not None and changes.dialogue:
            write_dialogue(storage, stream, state)
        elif len(state["dialogue"]) != dialogue_before:
            storage.upsert("view_dialogue", [
                row("view_dialogue", stream, {"position": i, **d})
                for i, d in enumerate(state["dialogue"], 1) if i > dialogue_before])
        self._save_head(stream, last, log_seq, folded + n, state, amend)
        if late:
            self._refresh_snapshot(stream, log_seq, amend)

    def _bring_in(self, stream, state, late: list[LateRecord], amend, log_seq,
                  head_key) -> tuple[Changes, tuple[int, int]]:
        """Patch the head state with the events that landed in its past; returns the
        changes and the head's key after it (the latest event folded, which a retraction or
        correction of the previous one moves back)."""
        storage = self.storage
        orders = Definitions(storage, stream, amend)
        index = Index(storage, stream)
        rows, amended = [], set()
        for item in late:
            rec = item.record
            if rec.type not in AMENDING:
                rows.append((stream, rec.seq,
                             *min(item.key, record_key(rec, item.key[0], amend))))
                index.add(rec.seq, touches(rec.type, rec.data, orders))
                continue
            # Every snapshot taken before an amendment may hold its target.
            rows.append((stream, rec.seq, -_MAX, 0))
            found = storage.event_by_id(rec.data["target_id"])
            if found is None:
                continue
            target = decode_rows([(0, 0, found[2])])[0].record
            amended.add(target.seq)
            # A snapshot taken at the amended event no longer sits on a replay position.
            storage.drop_snapshots_at_seq(stream, target.seq)
            change = rec.data.get("data")
            if change is not None:
                # The corrected data may touch other entities (other targets, another
                # order): the index lists them too, under the target's seq.
                index.add_old(target.seq, touches(target.type, change, orders))
                if target.type == "order_issued":
                    self._reindex_moves(stream, target.data["order_id"], change, index)
        storage.upsert("docket_late", rows)
        index.flush()
        changes = patch(storage, stream, state, late, amend, log_seq, head_key)
        if head_key[1] in amended:
            head_key = latest_key(storage, stream, log_seq, amend, head_key) or (None, None)
        return changes, head_key

    def _reindex_moves(self, stream, order_id, data, index) -> None:
        """A correction changed an order's targets: the moves under it with `all_targets`
        now name the new targets too."""
        storage = self.storage
        seqs = sorted(history(storage, stream, [("orders", order_id)]))
        definition = {"targets": data.get("targets")}
        for item in decode_rows(storage.events_by_seq(stream, seqs)):
            rec = item.record
            if rec.data.get("all_targets"):
                index.add_old(rec.seq, touches(rec.type, rec.data, lambda oid: definition))

    def _snapshotter(self, stream, log_seq, folded, progress=None, most_folded=None):
        storage = self.storage
        last = [storage.most_folded_snapshot(stream) if most_folded is None else most_folded]

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

    def _refold(self, stream, log_seq, progress=None) -> None:
        """Fold `stream` from its first event: every fold entry, row, index entry and
        snapshot of it rewritten (a rebuild, or a stream the views hold nothing of yet)."""
        storage = self.storage
        for table in ("docket_snapshots", "docket_touches", "docket_late"):
            storage.delete_prefix(table, (stream,))
        amend = amendments(storage, stream, log_seq)
        head = storage.get("docket_view_heads", (stream,), ("scalars",))
        index = Index(storage, stream)
        state, last, n = fold_stream(
            storage, stream, log_seq, amend, None,
            on_fold=index.hook(self._snapshotter(stream, log_seq, 0, progress)))
        index.flush()
        ref_before = reference_time(decode_state(head[0]), None) if head else None
        write_changes(storage, stream, state, ref_before)
        self._save_head(stream, last or (None, None), log_seq, n, state, amend)

    def _refresh_snapshot(self, stream: str, log_seq: int, amend) -> None:
        """Rewrite the snapshot that the most late events would have to patch, when they
        are more than LATE_REFRESH, and forget late events no snapshot needs any more."""
        storage = self.storage
        late = storage.late_events(stream, 0, log_seq)
        snaps = storage.select("docket_snapshots", (stream,), ("occurred_us", "seq", "log_seq"))
        if not snaps:
            storage.delete_prefix("docket_late", (stream,))
            return
        oldest = min(s[2] for s in snaps)
        storage.delete("docket_late", [(stream, seq) for seq, _, _ in late if seq <= oldest])
        counts = [(sum(1 for seq, a_us, a_seq in late if seq > s[2] and (a_us, a_seq) <= s[:2]),
                   s) for s in snaps]
        n, (occ, seq, snap_log) = max(counts)
        if n <= LATE_REFRESH:
            return
        state = self.snapshot_state(stream, (occ, seq), snap_log, log_seq, amend)
        storage.upsert("docket_snapshots", [
            (stream, occ, seq, log_seq, storage.get("docket_snapshots", (stream, occ, seq),
                                                    ("folded",))[0], encode_state(state))])

    def snapshot_state(self, stream: str, key: tuple[int, int], snap_log: int,
                       known_seq: int, amend=None) -> dict:
        """The state of a snapshot brought up to date with what is known at `known_seq`
        (the late events listed since it was taken, patched in)."""
        storage = self.storage
        state = decode_state(storage.get("docket_snapshots", (stream, *key), ("state",))[0])
        late = [seq for seq, a_us, a_seq in storage.late_events(stream, snap_log, known_seq)
                if (a_us, a_seq) <= key]
        if late:
            if amend is None:
                amend = amendments(storage, stream, known_seq)
            records = decode_rows(storage.events_by_seq(stream, late))
            patch(storage, stream, state, records, amend, known_seq, key)
        return state

    def _save_head(self, stream, last, log_seq, folded, state, amend) -> None:
        storage = self.storage
        scalars = {k: v for k, v in state.items() if k not in _ENTITIES}
        storage.upsert("docket_view_heads", [
            (stream, last[0], last[1], log_seq, folded, encode_state(scalars))])
        last_seq = max([state["last_seq"], *amend.seqs])
        storage.upsert("view_streams", [(stream, last_seq, storage.stream_version(stream))])
        if last[0] is not None:
            self._pending[stream] = ((last[0], last[1], log_seq, folded),
                                     held(storage, stream, state, _ENTITIES))

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
            if head is not None and head[0][0] is not None:
                self._cache[stream] = head
                return copy_state(completed(head[1])), amend
        # A snapshot taken when the log was at log_seq holds the events known then before
        # its key; the events known since that landed before it are patched in.
        snap = storage.snapshot_before(stream, selection.known_seq, selection.until_us) \
            if usable else None
        if snap is None:
            start, state = (-_MAX, 0), None
        else:
            start = (snap[0], snap[1])
            state = self.snapshot_state(stream, start, snap[2], selection.known_seq, amend)
        return fold_stream(storage, stream, selection.known_seq, amend, state, after=start,
                           until_us=selection.until_us)[0], amend

    def view_of(self, stream: str, state: dict, amend, known_seq: int,
                as_of: str | None = None, known_at: str | None = None,
                consume: bool = False, judged_at: str | None = None) -> dict:
        """The SPEC §5 state view of a folded state of `stream` (emptied into it with
        `consume`; `judged_at`: `state_view`'s)."""
        return view_of(self.storage, stream, state, amend, known_seq, as_of, known_at,
                       consume, judged_at)
