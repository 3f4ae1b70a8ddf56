"""Writing a stream's stored fold entries, view rows and deadline index from a folded state
(inside the append's write transaction)."""

from __future__ import annotations

from ..times import stored_upper_bound
from ..views.compliance import reference_time
from .entities import touches
from .head import Entries, prefetch
from .rows import ENTITY_TABLE, delete_entries, entry_rows, row, write_totals
from .snapshots import encode_state

__all__ = ["ENTITIES", "prefetch_touched", "write_changes", "write_dialogue", "write_rows"]

_MAX = 2**63 - 1
# The keyed parts of the fold state, stored one entry a row (those in rows.ENTITY_TABLE
# also have a view table; payments and the two indexes only feed other rows).
ENTITIES = ("orders", "accounts", "notices", "challenges", "penalties", "payments",
            "service", "order_notices", "order_penalties")


def write_changes(storage, stream: str, state: dict, ref_before: int | None) -> None:
    """Make the stored fold entries and view rows of `stream` those of the refolded
    `state`, writing only the entities whose encoded entry differs from the stored one
    (and the rows that follow from them, `write_rows`)."""
    dirty, gone = {}, {}
    for kind in ENTITIES:
        stored = dict(storage.select("docket_fold", (stream, kind), ("key", "value")))
        changed = []
        for key, value in state[kind].items():
            encoded = encode_state(value)
            if stored.pop(key, None) != encoded:
                changed.append((stream, kind, key, encoded))
        storage.upsert("docket_fold", changed)
        storage.delete("docket_fold", [(stream, kind, key) for key in stored])
        dirty[kind], gone[kind] = {c[2] for c in changed}, set(stored)
    write_rows(storage, stream, state, dirty, gone, ref_before)
    write_dialogue(storage, stream, state)


def write_dialogue(storage, stream: str, state: dict) -> None:
    storage.delete_prefix("view_dialogue", (stream,))
    storage.upsert("view_dialogue", [row("view_dialogue", stream, {"position": i, **d})
                                      for i, d in enumerate(state["dialogue"], 1)])


def write_rows(storage, stream: str, state: dict, changed: dict, gone: dict,
               ref_before: int | None) -> None:
    """The view rows and deadline index of `stream` once the fold entries in `changed`
    (keys by kind) were written and those in `gone` deleted: the rows of those entities,
    of the orders whose notices changed, and of the orders whose `overdue` the move of
    the reference time (the latest event folded, `ref_before` before) can flip."""
    orders = changed["orders"] | changed["order_notices"] | gone["order_notices"] \
        | changed["order_penalties"] | gone["order_penalties"]
    for key in changed["notices"] | gone["notices"]:
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
            (stream, k, stored_upper_bound(orders_now[k]["deadline"])) for k in changed["orders"]
            if k in orders_now and orders_now[k]["deadline"]])
    _prefetch_orders(state, orders)
    penalties = changed["penalties"]
    if ref_after != ref_before:
        # A daily penalty's `accrued` follows the reference time.
        penalties = penalties | {k for k, p in state["penalties"].items() if p["per"] == "day"}
    for kind, table in ENTITY_TABLE.items():
        keys = {"orders": orders, "penalties": penalties}.get(kind, changed[kind])
        storage.upsert(table, entry_rows(state, kind, keys, stream, ref_after))
        delete_entries(storage, kind, stream, gone[kind])
    if penalties or gone["penalties"] or changed["payments"] or gone["payments"]:
        write_totals(storage, stream, state, ref_after)


def _prefetch_orders(state: dict, keys: set) -> None:
    """The entries the rows of these orders read (each order, its notices and penalties):
    two queries, when the state is read lazily (`Entries`)."""
    if not keys or not isinstance(state["orders"], Entries):
        return
    prefetch(state, {"orders": keys, "order_notices": keys, "order_penalties": keys})
    index = state["order_notices"]
    prefetch(state, {"notices": {n for k in keys for n in (dict.get(index, k) or ())}})


def prefetch_touched(state: dict, new: list) -> None:
    """Read the fold entries the new events touch in one query, instead of one each as the
    fold meets them: on a server each read is a round trip (a block naming five accounts
    made seven). A move with `all_targets` names its order's targets, known once the
    orders are read (a second query, only then)."""
    wanted: dict[str, set] = {kind: set() for kind in ENTITIES}
    for item in new:
        for part, key in touches(item.record.type, item.record.data, _no_order):
            if part in wanted:
                wanted[part].add(key)
    for kind in ("order_notices", "order_penalties"):
        wanted[kind] |= wanted["orders"]
    prefetch(state, wanted)
    orders, more = state["orders"], set()
    for item in new:
        if item.record.data.get("all_targets"):
            more.update(key for part, key in touches(
                item.record.type, item.record.data,
                lambda oid: dict.get(orders, oid)) if part == "accounts")
    prefetch(state, {"accounts": more})


def _no_order(_order_id):
    return None
