"""The blocked-over-time series of each order, for the report's charts.

The series is the views' own fold (`docket.projection.evolve`) read through
`docket.views.compliance.compliance_row` after each record, so no counting happens here and
a chart always agrees with `docket state --as-of` at any instant.
"""

from __future__ import annotations

from typing import Iterable

from ..projection import evolve, initial
from ..timeline import AMENDING
from ..times import time_key
from ..views.compliance import compliance_row

__all__ = ["blocked_series", "order_refs", "orders_touched", "time_keys"]


def orders_touched(state: dict, record: dict) -> tuple:
    """The orders whose blocked count `record` may change (read before it is folded): its
    own, and those holding an account it restores or narrows to one country."""
    kind, d = record["type"], record["data"]
    oid = d.get("order_id")
    if kind == "order_issued":
        return (oid,)
    if kind not in ("accounts_blocked", "accounts_unblocked"):
        return ()
    touched = {oid: True} if oid is not None else {}
    if kind == "accounts_blocked" and (d.get("scope") or "global") == "global":
        return tuple(touched)  # a global block takes the account from no order
    accounts = state["accounts"]
    named = list(d.get("targets") or ())
    order = state["orders"].get(oid)
    if d.get("all_targets") and order is not None:
        named += order["targets"] or ()
    # An account restored leaves every order holding it; one withheld in a country now
    # leaves the orders that do not count a block there (the fold's `_narrowed`), whatever
    # order the block itself is under.
    for target in named:
        acc = accounts.get(target)
        if acc is not None:
            touched.update(acc["orders"])
    return tuple(touched)


def order_refs(state: dict, record: dict) -> Iterable[str]:
    """The orders a record names (directly, or through a notice it acknowledges)."""
    d = record["data"]
    if d.get("order_id") is not None:
        yield d["order_id"]
    yield from d.get("order_ids") or ()
    if record["type"] == "acknowledgement_sent":
        ref = d.get("ref_id")
        if ref in state["orders"]:
            yield ref
        notice = state["notices"].get(ref)
        if notice is not None:
            yield from notice["order_ids"]


def time_keys(records: list[dict]) -> list[int]:
    """`time_key(occurred_at)` of each record (parsed once per distinct value)."""
    parsed: dict[str, int] = {}
    out = []
    for record in records:
        at = record["occurred_at"]
        key = parsed.get(at)
        if key is None:
            key = parsed[at] = time_key(at)
        out.append(key)
    return out


def blocked_series(records: Iterable[dict], stream: str,
                   keys: Iterable[int] | None = None) -> dict[str, dict]:
    """Fold timeline records (replay order) as the views do and follow each order.

    Returns `{order_id: {"blocked": [(us, blocked), ...], "times": [us, ...],
    "reports": [(us, record data), ...]}}`: `blocked` has a point at the order's issue and
    after every record that changed its count (the value of `compliance_row(...)["blocked"]`
    after that record; several records at one instant keep the last value); `times` are the
    instants of every record naming the order; `reports` its `compliance_reported` records.
    Retracted records and the amending records themselves are skipped, as in the views.
    `keys`: the records' `time_key(occurred_at)`, when the caller has them already.
    """
    state = initial()
    out: dict[str, dict] = {}
    records = list(records)
    if keys is None:
        keys = time_keys(records)
    for record, at in zip(records, keys, strict=True):
        if record.get("retracted") is not None or record["type"] in AMENDING:
            continue
        touched = orders_touched(state, record)
        evolve(state, record)
        refs = dict.fromkeys(order_refs(state, record))
        if not touched and not refs:
            continue
        for oid in refs:
            entry = out.get(oid)
            if entry is None and oid in state["orders"]:
                entry = out[oid] = {"blocked": [], "times": [], "reports": []}
            if entry is not None:
                entry["times"].append(at)
                if record["type"] == "compliance_reported":
                    entry["reports"].append((at, record["data"]))
        for oid in touched:
            if oid not in state["orders"]:
                continue
            blocked = compliance_row(state, oid, stream=stream, ref_time_us=None,
                                     notice_ids=[])["blocked"]
            points = out.setdefault(oid, {"blocked": [], "times": [at], "reports": []})["blocked"]
            if points and points[-1][0] == at:
                points[-1] = (at, blocked)
            elif not points or points[-1][1] != blocked or record["type"] == "order_issued":
                points.append((at, blocked))
    return out
