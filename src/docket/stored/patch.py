"""Bringing a folded state up to date with events that landed in its past, entity by entity.

A state folded up to replay key K (the head of a stream, or a snapshot) misses the events
that were appended after it was folded but lie at or before K in replay order (backdated
events), and the retractions and corrections appended since. Instead of folding every event
after the earliest of them again, `patch` refolds only the entities they touch
(`docket.stored.entities`), each from its own history read through the `docket_touches`
index, in one small fold, then recomputes what follows from those entities (which accounts
each order holds blocked, the notices of each order, the latest event folded). The cost is
the touched entities' histories, not the stream's tail.
"""

from __future__ import annotations

import bisect
from typing import Iterable, NamedTuple

import msgspec

from ..projection import Folded, fold_pages
from ..timeline import AMENDING, Amendments
from ..times import time_key
from .entities import DIALOGUE, KINDS, touches

__all__ = ["Changes", "Definitions", "LateRecord", "decode_rows", "latest_key", "patch", "record_key"]

# The indexes that follow from a part of the state: each order's notices, its penalties.
_INDEXES = {"order_notices": "notices", "order_penalties": "penalties"}
_decode = msgspec.json.Decoder(Folded).decode
_decode_dict = msgspec.json.Decoder().decode
_decode_seqs = msgspec.msgpack.Decoder(list[int]).decode


class LateRecord(NamedTuple):
    """A stored record as it was written (not amended) and its stored replay key."""

    key: tuple[int, int]
    record: Folded


class Changes(NamedTuple):
    """The entities a patch rewrote (by part: orders, accounts, notices, challenges, the
    v2 parts, order_notices, order_penalties) and those it removed; `dialogue` when the
    dialogue list was refolded."""

    changed: dict[str, set]
    gone: dict[str, set]
    dialogue: bool


def decode_rows(rows: Iterable[tuple[int, int, bytes]]) -> list[LateRecord]:
    """(occurred_us, seq, body) rows as LateRecords."""
    return [LateRecord((occ, seq), _decode(body)) for occ, seq, body in rows]


def record_key(record: Folded, stored_us: int, amend: Amendments) -> tuple[int, int]:
    """The replay key of a record once amended (a correction may move it)."""
    moved = amend.corrected.get(record.id, {}).get("occurred_at")
    return (time_key(moved) if moved else stored_us, record.seq)


def _fetch(storage, stream: str, seqs: Iterable[int]) -> list[LateRecord]:
    return decode_rows(storage.events_by_seq(stream, sorted(set(seqs))))


def seeds_of(storage, stream: str, late: list[LateRecord], amend: Amendments,
             order) -> tuple[set, set, list[LateRecord]]:
    """(entities the late records touch, orders whose definition they change, the stored
    targets of the amending ones)."""
    seeds: set = set()
    redefined: set = set()
    targets = []
    corrections: dict[str, list[dict]] | None = None
    for item in late:
        rec = item.record
        if rec.type in AMENDING:
            found = storage.event_by_id(rec.data["target_id"])
            if found is None:
                continue
            rec = _decode(found[2])
            target = LateRecord((time_key(rec.occurred_at), rec.seq), rec)
            targets.append(target)
            rec = target.record
            if corrections is None:
                corrections = _corrections(storage, stream)
            # Every version of its data: what an earlier correction made it touch is
            # refolded too, now that a later one replaced that correction's data.
            for data in corrections.get(rec.id, ()):
                seeds |= touches(rec.type, data, order)
        seeds |= touches(rec.type, rec.data, order)
        if rec.type == "order_issued":
            redefined.add(rec.data["order_id"])
    return seeds, redefined, targets


def _corrections(storage, stream: str) -> dict[str, list[dict]]:
    """The replacement data of every correction of `stream`, by the id they correct."""
    out: dict[str, list[dict]] = {}
    for body in storage.amending_bodies(stream, 2**63 - 1, ("event_corrected",)):
        data = _decode_dict(body)["data"]
        if data.get("data") is not None:
            out.setdefault(data["target_id"], []).append(data["data"])
    return out


def history(storage, stream: str, entities: Iterable[tuple[str, str]]) -> set[int]:
    """The seqs of every event that touches one of `entities` (the index)."""
    seqs: set[int] = set()
    for kind, key in entities:
        for (chunk,) in storage.select("docket_touches", (stream, kind, key), ("seqs",)):
            seqs.update(_decode_seqs(chunk))
    return seqs


def patch(storage, stream: str, state: dict, late: list[LateRecord], amend: Amendments,
          known_seq: int, until: tuple[int, int]) -> Changes:
    """Bring `state`, folded up to the replay key `until` (the key of its latest event), up
    to date with the `late` records (appended since it was folded and lying before `until`,
    or amending) as known at `known_seq`, in place. The touches index must already list the
    late records."""
    definitions = Definitions(storage, stream, amend)
    before = state["orders"].get
    seeds, redefined, targets = seeds_of(storage, stream, late, amend, definitions)
    # An order's definition (its issue, its targets) decides what every move under it does
    # to the accounts it names: those accounts are refolded too.
    if redefined:
        for item in _fetch(storage, stream, history(storage, stream,
                                                    [("orders", o) for o in redefined])):
            rec = item.record
            change = amend.corrected.get(rec.id, {})
            for data in (rec.data, change.get("data") or rec.data):
                # Under the definition as the state had it and as the story now tells it.
                seeds |= touches(rec.type, data, definitions)
                seeds |= touches(rec.type, data, before)
        seeds |= {("orders", o) for o in redefined}
    seqs = history(storage, stream, seeds)
    records = _fetch(storage, stream, seqs)
    # The definitions of the orders those events cite: an order's issue decides whether a
    # move under it counts, and its targets what `all_targets` names.
    cited = {r.record.data.get("order_id") for r in records} - {None}
    have = {r.record.seq for r in records}
    extra = [s for s in (storage.ref_seq(stream, "order", o) for o in cited)
             if s is not None and s not in have]
    records += _fetch(storage, stream, extra)
    sub = _fold(records, amend, known_seq, until)
    return _replace(state, sub, seeds, storage, stream, late, targets, amend, known_seq, until)


class Definitions:
    """Each order's definition as the story now tells it (its issue, corrected; None when
    retracted or unknown), read from the log: what a move under it names with
    `all_targets`. A state's own order entries may predate a correction in the same batch."""

    def __init__(self, storage, stream: str, amend: Amendments) -> None:
        self.storage, self.stream, self.amend = storage, stream, amend
        self._known: dict[str, dict | None] = {}

    def __call__(self, order_id: str) -> dict | None:
        if order_id not in self._known:
            seq = self.storage.ref_seq(self.stream, "order", order_id)
            rows = _fetch(self.storage, self.stream, [seq]) if seq is not None else []
            rec = self.amend.apply_struct(rows[0].record) if rows else None
            self._known[order_id] = None if rec is None else {"targets": rec.data.get("targets")}
        return self._known[order_id]


def _fold(records: list[LateRecord], amend: Amendments, known_seq: int,
          until: tuple[int, int]) -> dict:
    """One fold of the amended records known at `known_seq` that land at or before `until`."""
    page = []
    for item in records:
        rec = item.record
        if rec.seq > known_seq:
            continue
        amended = amend.apply_struct(rec)
        if amended is None:
            continue
        key = record_key(rec, item.key[0], amend)
        if key <= until:
            page.append((key[0], key[1], amended))
    page.sort(key=lambda x: (x[0], x[1]))
    return fold_pages(None, [page], lambda r: r)[0]


def _replace(state, sub, seeds, storage, stream, late, targets, amend, known_seq,
             until) -> Changes:
    changed: dict[str, set] = {k: set() for k in (*KINDS, *_INDEXES)}
    gone: dict[str, set] = {k: set() for k in (*KINDS, *_INDEXES)}
    held: set = set()  # orders whose accounts blocked now may have changed
    olds: dict[str, dict] = {part: {} for part in _INDEXES.values()}
    for kind, key in seeds:
        if kind not in KINDS:
            continue
        part, fresh = state[kind], sub[kind].get(key)
        old = part.get(key)
        if kind == "accounts":
            for entry in (old, fresh):
                if entry is not None:
                    held.update(entry["orders"])
        elif kind == "orders":
            held.add(key)
        elif kind in olds:
            olds[kind][key] = old
        if fresh is None:
            if old is not None:
                del part[key]
                gone[kind].add(key)
        elif fresh != old:
            part[key] = fresh
            changed[kind].add(key)
    _fix_blocked(state, held, changed)
    for index, part in _INDEXES.items():
        _fix_order_index(state, index, part, olds[part], changed, gone)
    dialogue = DIALOGUE in seeds
    if dialogue:
        state["dialogue"] = sub["dialogue"]
    _fix_scalars(state, storage, stream, late, targets, amend, known_seq, until)
    return Changes(changed, gone, dialogue)


def _fix_blocked(state: dict, orders: set, changed: dict) -> None:
    """An order holds blocked exactly the accounts that count it among their `orders`."""
    accounts, part = state["accounts"], state["orders"]
    for oid in orders:
        entry = part.get(oid)
        if entry is None:
            continue
        blocked = {t: True for t in entry["ever"]
                   if oid in (accounts.get(t) or {"orders": ()})["orders"]}
        if blocked != entry["blocked"]:
            part[oid] = {**entry, "blocked": blocked}
            changed["orders"].add(oid)


def _fix_order_index(state: dict, name: str, part: str, olds: dict, changed: dict,
                     gone: dict) -> None:
    """Each order's notices (or penalties: the index `name` of `part`), sorted, after the
    entries in `olds` (as they were before) were refolded."""
    index, notices = state[name], state[part]
    for nid, old in olds.items():
        new = notices.get(nid)
        before = set(old["order_ids"]) if old else set()
        after = set(new["order_ids"]) if new else set()
        for oid in before | after:
            ids = [n for n in index.get(oid, ()) if n != nid]
            if oid in after:
                bisect.insort(ids, nid)
            if ids:
                if ids != list(index.get(oid, ())):
                    index[oid] = ids
                    changed[name].add(oid)
            elif oid in index:
                del index[oid]
                gone[name].add(oid)


def _foldable(rec: Folded | None, amend: Amendments) -> bool:
    return rec is not None and rec.type not in AMENDING and rec.id not in amend.retracted


def _fix_scalars(state, storage, stream, late, targets, amend, known_seq, until) -> None:
    """`last_occurred_at` (of the latest event folded, in replay order: the one at `until`)
    and `last_seq` (the highest seq folded) once the late records are in. Late records lie
    before `until`, so the latest stays the latest unless an amendment took it away (then the
    index is walked back from `until`); likewise the highest seq."""
    amended = {t.record.seq for t in targets}
    added = [i for i in late if _foldable(i.record, amend) and i.record.seq <= known_seq
             and record_key(i.record, i.key[0], amend) <= until]
    added += [t for t in targets if _foldable(t.record, amend)
              and record_key(t.record, t.key[0], amend) <= until]
    if until[1] in amended:
        state["last_occurred_at"] = _walk_latest(storage, stream, known_seq, amend, until)
    elif state["last_occurred_at"] is None and added:  # a fold left empty by retractions
        best = max(added, key=lambda i: record_key(i.record, i.key[0], amend))
        state["last_occurred_at"] = _occurred(best.record, amend)
    last_seq = state["last_seq"]
    if last_seq in amended and not any(a.record.seq == last_seq for a in added):
        state["last_seq"] = _walk_highest(storage, stream, known_seq, amend, until)
    else:
        state["last_seq"] = max([last_seq, *(a.record.seq for a in added)])


def _occurred(rec: Folded, amend: Amendments) -> str:
    return amend.corrected.get(rec.id, {}).get("occurred_at") or rec.occurred_at


def latest_key(storage, stream: str, known_seq: int, amend: Amendments,
               until: tuple[int, int]) -> tuple[int, int] | None:
    """The replay key of the latest foldable event at or before `until` (amended)."""
    return _walk(storage, stream, known_seq, amend, until)[0]


def _walk(storage, stream: str, known_seq: int, amend: Amendments,
          until: tuple[int, int]) -> tuple[tuple[int, int] | None, str | None]:
    """(key, occurred_at) of the latest foldable event at or before `until`, amended: the
    first one walking the replay index back from `until`, or an event a correction moved
    there, whichever is later."""
    best, at = None, None
    moved = amend.moved()
    for rows in storage.replay_rows_desc(stream, known_seq, until):
        hit = next(((occ, seq, rec) for occ, seq, rec in
                    ((o, s, _decode(b)) for o, s, b in rows)
                    if _foldable(rec, amend) and rec.id not in moved), None)
        if hit is not None:
            best, at = (hit[0], hit[1]), hit[2].occurred_at
            break
    for body in storage.bodies_by_id(list(moved), known_seq) if moved else ():
        rec = _decode(body)
        if not _foldable(rec, amend):
            continue
        key = (time_key(moved[rec.id]), rec.seq)
        if key <= until and (best is None or key > best):
            best, at = key, moved[rec.id]
    return best, at


def _walk_latest(storage, stream: str, known_seq: int, amend: Amendments,
                 until: tuple[int, int]) -> str | None:
    """The occurred_at of the latest foldable event at or before `until` (amended)."""
    return _walk(storage, stream, known_seq, amend, until)[1]


def _walk_highest(storage, stream: str, known_seq: int, amend: Amendments,
                  until: tuple[int, int]) -> int:
    """The highest seq of a foldable event at or before `until` (amended), or 0."""
    for rows in storage.seq_rows_desc(stream, known_seq):
        for occ, seq, body in rows:
            rec = _decode(body)
            if _foldable(rec, amend) and record_key(rec, occ, amend) <= until:
                return seq
    return 0
