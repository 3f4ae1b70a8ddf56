"""The compliance view (SPEC §5): one row per order, sorted by issue time."""

from __future__ import annotations

from typing import Any

from ..times import stored_upper_bound, time_key, upper_bound

__all__ = ["compliance_rows", "compliance_row", "reference_time", "notices_by_order",
           "uncounted_actions"]

_US_PER_HOUR = 3_600_000_000


def reference_time(state: dict, as_of: str | None) -> int | None:
    """The instant `overdue` is judged at: the end of `as_of` when given, else the latest
    occurred_at folded (None for an empty state). Never the wall clock: a view must be
    reproducible by a replay."""
    if as_of is not None:
        return upper_bound(as_of)
    last = state["last_occurred_at"]
    return time_key(last) if last is not None else None


def notices_by_order(state: dict) -> dict[str, list[str]]:
    """Map each order_id to the sorted ids of the notices that name it."""
    out: dict[str, list[str]] = {}
    for notice_id, notice in state["notices"].items():
        for oid in notice["order_ids"]:
            ids = out.setdefault(oid, [])
            if notice_id not in ids:
                ids.append(notice_id)
    for ids in out.values():
        ids.sort()
    return out


def _notices_of(state: dict, order_id: str) -> list[str]:
    """The sorted ids of the notices naming one order (from the fold's index when kept)."""
    index = state.get("order_notices")
    if index is None:
        return notices_by_order(state).get(order_id, [])
    return sorted(index.get(order_id, ()))


def _penalties_of(state: dict, order_id: str) -> list[str]:
    """The sorted ids of the penalties citing one order (v2)."""
    index = state.get("order_penalties")
    if index is None:
        return sorted(p for p, x in state.get("penalties", {}).items()
                      if order_id in x["order_ids"])
    return sorted(index.get(order_id, ()))


def compliance_row(
    state: dict,
    order_id: str,
    *,
    stream: str,
    ref_time_us: int | None,
    notice_ids: list[str] | None = None,
    acknowledged_ids: set[str] | None = None,
) -> dict[str, Any]:
    """The compliance row of one order (`notice_ids`: its notices, computed when omitted;
    `acknowledged_ids`: the ids of every acknowledged notice, when the caller has them)."""
    # Every view of every order comes through here (state, as-of, replay, the report), so
    # the small helpers (`whole`, `_status`) are written out inline.
    o = state["orders"][order_id]
    if notice_ids is None:
        notice_ids = _notices_of(state, order_id)
    tc = o["target_count"]
    blocked = len(o["blocked"]) + o["unnamed"]
    ever = len(o["ever"]) + o["peak"]
    if tc is not None:
        if blocked > tc:
            blocked = tc
        if ever > tc:
            ever = tc
    if ever == 0:
        status = "pending"
    elif tc and blocked >= tc:
        status = "complied"
    elif blocked == 0:
        status = "reverted"
    else:
        status = "partial"
    first = o["first_action_at"]
    hours = None
    if first is not None:
        hours = round((time_key(first) - time_key(o["issued_at"])) / _US_PER_HOUR, 2)
        if hours.is_integer():
            hours = int(hours)
    ratio = None
    if tc:
        ratio = round(blocked / tc, 4)
        if ratio.is_integer():
            ratio = int(ratio)
    deadline = o["deadline"]
    overdue = (
        deadline is not None
        and ref_time_us is not None
        and status != "complied"
        and ref_time_us > stored_upper_bound(deadline)
    )
    if o["acknowledged_at"] is not None:
        acknowledged = True
    elif acknowledged_ids is not None:
        acknowledged = bool(notice_ids) and acknowledged_ids.issuperset(notice_ids)
    else:
        notices = state["notices"]
        acknowledged = bool(notice_ids) and all(
            notices[n]["acknowledged_at"] is not None for n in notice_ids)
    reported = o["reported"]
    return {
        "order_id": order_id,
        "stream": stream,
        "issuer": o["issuer"],
        "platform": o["platform"],
        "issued_at": o["issued_at"],
        "legal_basis": o["legal_basis"],
        "procedure": o["procedure"],
        "target_count": tc,
        "blocked": blocked,
        "ever_blocked": ever,
        "restored": ever - blocked,
        "compliance": ratio,
        "status": status,
        "first_action_at": first,
        "hours_to_first_action": hours,
        "deadline": deadline,
        "overdue": overdue,
        "notices": list(notice_ids),
        "acknowledged": acknowledged,
        "reported": dict(reported) if reported is not None else None,
        "scope": o.get("scope"),
        "penalties": _penalties_of(state, order_id),
    }


def compliance_rows(state: dict, *, stream: str, ref_time_us: int | None) -> list[dict]:
    """SPEC §5 compliance: every order's row, sorted by issue instant, ties by order_id.

    `ref_time_us` is the instant `overdue` is judged at; see `reference_time`.
    """
    orders = sorted(
        state["orders"].values(), key=lambda o: (time_key(o["issued_at"]), o["order_id"])
    )
    # One pass over the notices instead of one lookup per citation per order (measured at 1M
    # events, 26k orders citing 65k notices: the rows took 0.46 s instead of 0.6 s).
    acknowledged = {n for n, x in state["notices"].items() if x["acknowledged_at"] is not None}
    return [
        compliance_row(state, o["order_id"], stream=stream, ref_time_us=ref_time_us,
                       notice_ids=_notices_of(state, o["order_id"]),
                       acknowledged_ids=acknowledged)
        for o in orders
    ]


def uncounted_actions(rows: list[dict]) -> list[str]:
    """Why a row has a `first_action_at` but nothing blocked ever counted towards it: the
    blocks under it were all made where its `scope` does not count them (SPEC §3: a global
    order counts global blocks only; a country's, global blocks and blocks there). The
    table shows a `pending` order that was acted on and does not say why (eSafety's notice
    of 16 Apr 2024: X withheld the posts in Australia only); one sentence per such row."""
    out = []
    for row in rows:
        scope = row.get("scope")
        if scope is None or row["first_action_at"] is None or row["ever_blocked"]:
            continue
        where = "everywhere" if scope == "global" else f"in {scope} or everywhere"
        out.append(f"order {row['order_id']} was acted on from {row['first_action_at']}, but "
                   f"no block under it has counted: it has scope {scope}, so only a block "
                   f"made {where} counts towards it (its status is {row['status']})")
    return out
