"""The fold of catalogue v2's types (SPEC §3, §5): penalties, payments, service suspensions,
and the scope rule an order's `scope` sets for the blocks that count towards it.

Part of the built-in projection (`docket.projection` registers these handlers); the same
rules hold there: total (a payment or lift of a penalty the state does not hold changes
that penalty nothing), plain JSON state, mutated in place. Nothing here depends on the as-of
time: a daily penalty's `accrued` is computed by the view (`docket.views.penalties`) from
what is kept here (amount, start, end, lift).

State parts added::

    "penalties": {penalty_id: {"issuer", "against", "amount", "currency", "per",
                  "imposed_at", "starts_at", "ends_at", "order_ids", "case_id",
                  "lifted_at", "paid"}},
    "payments": {currency: {"paid": int}},      # every payment, once, by its currency
    "service": {country: {"platform", "status", "since", "ordered_by", "order_id"}},
    "order_penalties": {order_id: [penalty_id, …]},   # the penalties citing each order, sorted
"""

from __future__ import annotations

import bisect
from typing import Any

__all__ = ["V2_PARTS", "counts", "index_under", "HANDLERS"]

State = dict[str, Any]

# The parts of the fold state catalogue v2 adds (each starts empty).
V2_PARTS = ("penalties", "payments", "service", "order_penalties")


def counts(order: dict, scope: str) -> bool:
    """Whether a block of `scope` counts towards `order` (SPEC §3): an order without scope
    counts any block (as in v1); `global` only global blocks; a country code global blocks
    and blocks in that country."""
    wanted = order.get("scope")
    return wanted is None or scope == "global" or scope == wanted


def _penalty_imposed(state: State, d: dict, at: str) -> None:
    pid = d["penalty_id"]
    order_ids = list(d.get("order_ids") or ())
    described = {
        "issuer": d.get("issuer"), "against": d.get("against"), "amount": d.get("amount"),
        "currency": d.get("currency"), "per": d.get("per") or "once", "imposed_at": at,
        "starts_at": d.get("starts_at") or at, "ends_at": d.get("ends_at"),
        "order_ids": order_ids, "case_id": d.get("case_id"),
    }
    penalty = state["penalties"].get(pid)
    if penalty is None:
        state["penalties"][pid] = {**described, "lifted_at": None, "paid": 0}
    else:
        penalty.update(described)
    index_under(state["order_penalties"], order_ids, pid)


def index_under(index: dict, order_ids: list, ident: str) -> None:
    """Add `ident` (a notice or a penalty) to the sorted list of each order it cites."""
    for oid in dict.fromkeys(order_ids):
        ids = index.get(oid)
        if ids is None:
            index[oid] = [ident]
        elif ident not in ids:
            # Sorted, so that the index follows from the entries alone, whatever order
            # they were folded in (a late one is put in its place, `docket.stored`).
            bisect.insort(ids, ident)


def _penalty_paid(state: State, d: dict, at: str) -> None:
    amount, currency = d.get("amount") or 0, d.get("currency")
    payments = state["payments"]
    entry = payments.get(currency)
    if entry is None:
        payments[currency] = {"paid": amount}
    else:
        entry["paid"] += amount
    penalties = state["penalties"]
    for pid in dict.fromkeys(d.get("penalty_ids") or ()):
        penalty = penalties.get(pid)
        # A payment does not say how it splits across the penalties it names: each one
        # counts it whole (SPEC: "the sum of payments naming it"), in its own currency only.
        if penalty is not None and penalty["currency"] == currency:
            penalty["paid"] += amount


def _penalty_lifted(state: State, d: dict, at: str) -> None:
    penalty = state["penalties"].get(d.get("penalty_id"))
    if penalty is not None and penalty["lifted_at"] is None:
        penalty["lifted_at"] = at  # the first lift stops it; a later one changes nothing


def _service_suspended(state: State, d: dict, at: str) -> None:
    service = state["service"]
    entry = service.get(d["scope"])
    if entry is not None and entry["status"] == "suspended":
        return  # `since` is when it went down: a repeated suspension changes nothing
    service[d["scope"]] = {"platform": d.get("platform"), "status": "suspended", "since": at,
                           "ordered_by": d.get("ordered_by"), "order_id": d.get("order_id")}


def _service_restored(state: State, d: dict, at: str) -> None:
    service = state["service"]
    entry = service.get(d["scope"])
    if entry is None:
        service[d["scope"]] = {"platform": d.get("platform"), "status": "available",
                               "since": at, "ordered_by": None, "order_id": None}
    elif entry["status"] == "suspended":
        # ordered_by/order_id keep naming the suspension that was lifted.
        service[d["scope"]] = {**entry, "platform": d.get("platform") or entry["platform"],
                               "status": "available", "since": at}


HANDLERS = {
    "penalty_imposed": _penalty_imposed,
    "penalty_paid": _penalty_paid,
    "penalty_lifted": _penalty_lifted,
    "service_suspended": _service_suspended,
    "service_restored": _service_restored,
}
