"""The v2 parts of the state view (SPEC §5): penalties with what they accrued, their totals
per currency, and the service's status per country.

A daily penalty's `accrued` depends on the instant it is judged at, as `overdue` does: the
end of `--as-of` when given, else the latest event folded (`compliance.reference_time`),
never the wall clock. It counts the days begun from `starts_at` up to and including that
instant, stopped by `ends_at` (a day there means after the whole day, as a deadline does;
an instant is the first one not accrued) and by the lift (its instant is the first one not
accrued).
"""

from __future__ import annotations

from typing import Any

from ..times import is_day, time_key, upper_bound

__all__ = ["accrued", "penalty_entry", "penalties_view", "totals_view", "service_entry",
           "service_view", "PENALTY_FIELDS", "SERVICE_FIELDS"]

_US_PER_DAY = 86_400_000_000

PENALTY_FIELDS = ("issuer", "against", "amount", "currency", "per", "imposed_at",
                  "starts_at", "ends_at", "order_ids", "case_id", "status", "accrued", "paid")
SERVICE_FIELDS = ("platform", "status", "since", "ordered_by", "order_id")


def accrued(penalty: dict, ref_us: int | None) -> int:
    """What `penalty` (a fold entry) has accrued by the instant `ref_us` (inclusive)."""
    amount = penalty["amount"] or 0
    if penalty["per"] != "day":
        return amount
    if ref_us is None:
        return 0
    last = ref_us
    ends = penalty["ends_at"]
    if ends is not None:
        # It stops at `ends_at`: a day means after that whole day, an instant at it.
        last = min(last, upper_bound(ends) if is_day(ends) else time_key(ends) - 1)
    if penalty["lifted_at"] is not None:
        last = min(last, time_key(penalty["lifted_at"]) - 1)
    start = time_key(penalty["starts_at"])
    if last < start:
        return 0
    return amount * ((last - start) // _US_PER_DAY + 1)


def _status(penalty: dict, owed: int) -> str:
    if penalty["paid"] > 0 and penalty["paid"] >= owed:
        return "paid"
    return "lifted" if penalty["lifted_at"] is not None else "outstanding"


def penalty_entry(penalty: dict, ref_us: int | None) -> dict[str, Any]:
    """The view of one penalty (SPEC §5 v2) judged at `ref_us`."""
    owed = accrued(penalty, ref_us)
    return {
        "issuer": penalty["issuer"], "against": penalty["against"],
        "amount": penalty["amount"], "currency": penalty["currency"], "per": penalty["per"],
        "imposed_at": penalty["imposed_at"], "starts_at": penalty["starts_at"],
        "ends_at": penalty["ends_at"], "order_ids": list(penalty["order_ids"]),
        "case_id": penalty["case_id"], "status": _status(penalty, owed), "accrued": owed,
        "paid": penalty["paid"],
    }


def penalties_view(state: dict, ref_us: int | None) -> dict[str, dict]:
    """Every penalty's view, by penalty_id."""
    return {pid: penalty_entry(p, ref_us) for pid, p in sorted(state["penalties"].items())}


def totals_view(penalties: dict[str, dict], payments: dict[str, dict]) -> dict[str, dict]:
    """`penalty_totals`: per currency, the penalties' accrued and every payment's amount
    (each payment once, whichever penalties it names, also one naming none)."""
    out: dict[str, dict] = {}
    for p in penalties.values():
        entry = out.setdefault(p["currency"], {"accrued": 0, "paid": 0})
        entry["accrued"] += p["accrued"]
    for currency, paid in payments.items():
        out.setdefault(currency, {"accrued": 0, "paid": 0})["paid"] += paid["paid"]
    return dict(sorted(out.items()))


def service_entry(entry: dict) -> dict[str, Any]:
    """The view of one country's service status."""
    return {k: entry[k] for k in SERVICE_FIELDS}


def service_view(state: dict) -> dict[str, dict]:
    """The service's status in each country a suspension or restoration named."""
    return {c: service_entry(x) for c, x in sorted(state["service"].items())}
