"""The state view (SPEC §5): one object describing a stream at a point in time."""

from __future__ import annotations

from typing import Any

from .compliance import compliance_rows, reference_time
from .numbers import fingerprint

__all__ = ["state_view", "UNHASHED"]

# Keys left out of the fingerprint: the question asked, not the answer (and itself).
UNHASHED = ("as_of", "known_at", "fingerprint")


def state_view(
    state: dict,
    *,
    stream: str,
    as_of: str | None,
    known_at: str | None,
    version: int,
    last_seq: int | None = None,
) -> dict[str, Any]:
    """SPEC §5 state of a folded `state`.

    `version` is the stream's current version (for `expected_version`); `last_seq`
    defaults to the highest seq folded (pass it to count records the fold never sees, such
    as retractions). `overdue` is judged at `reference_time(state, as_of)`.
    """
    ref = reference_time(state, as_of)
    rows = compliance_rows(state, stream=stream, ref_time_us=ref)
    accounts = state["accounts"]
    notices = state["notices"]
    challenges = state["challenges"]
    view: dict[str, Any] = {
        "stream": stream,
        "as_of": as_of,
        "known_at": known_at,
        "last_seq": state["last_seq"] if last_seq is None else last_seq,
        "version": version,
        "orders": {row["order_id"]: row for row in rows},
        "accounts": {
            t: {"status": a["status"], "scope": a["scope"], "order_id": a["order_id"],
                "since": a["since"]}
            for t, a in sorted(accounts.items())
        },
        "notices": {
            n: {"kind": x["kind"], "sent_at": x["sent_at"], "order_ids": list(x["order_ids"]),
                "acknowledged_at": x["acknowledged_at"]}
            for n, x in sorted(notices.items())
        },
        "dialogue": [dict(d) for d in state["dialogue"]],
        "challenges": {
            c: {"court": x["court"], "petitioner": x["petitioner"],
                "order_ids": list(x["order_ids"]), "filed_at": x["filed_at"],
                "rulings": [dict(r) for r in x["rulings"]]}
            for c, x in sorted(challenges.items())
        },
    }
    view["fingerprint"] = fingerprint({k: v for k, v in view.items() if k not in UNHASHED})
    return view
