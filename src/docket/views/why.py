"""`docket why REF`: the status of one target, order, notice or court case, and the records
behind it."""

from __future__ import annotations

from typing import Any, Callable

from ..catalog import citations, introduced
from ..times import time_key
from .compliance import compliance_row, reference_time
from .penalties import penalty_entry, service_entry
from .summary import event_line

__all__ = ["explain", "with_amendments"]

_MOVES = ("accounts_blocked", "accounts_unblocked")
_SERVICE = ("service_suspended", "service_restored")


def _order_sig(state: dict, ref: str) -> tuple | None:
    """What an order's compliance row is computed from (cheap: no copies of target sets)."""
    o = state["orders"].get(ref)
    if o is None:
        return None
    r = o["reported"]
    return (o["issued_at"], o["issuer"], o["platform"], o["legal_basis"], o["procedure"],
            o["target_count"], o["deadline"], len(o["blocked"]), len(o["ever"]), o["unnamed"],
            o["peak"], o["first_action_at"], o["acknowledged_at"],
            None if r is None else (r["actioned"], r["specified"], r["reporter"]),
            o.get("scope"), tuple(state.get("order_penalties", {}).get(ref, ())))


def _account_sig(state: dict, ref: str) -> tuple | None:
    a = state["accounts"].get(ref)
    return None if a is None else (a["status"], a["scope"], a["order_id"], a["since"])


def _notice_sig(state: dict, ref: str) -> tuple | None:
    n = state["notices"].get(ref)
    return None if n is None else (n["kind"], n["sent_at"], tuple(n["order_ids"]),
                                   n["acknowledged_at"])


def _naming(kind: str, data: dict, ref: str) -> set[str]:
    """The kinds of entity as which a record (its type and data) introduces or cites the id
    `ref` (the catalogue's table), found in one pass over its references: `why` asks it of
    every record of the stream."""
    new = introduced(kind, data)
    out = {new[0]} if new is not None and new[1] == ref else set()
    for cited, _, value in citations(kind, data):
        if value == ref:
            out.update(cited.kinds)
    return out


def _names_order(state: dict, rec, ref: str, naming: set[str]) -> bool:
    if "order" in naming:
        return True
    if rec.type == "acknowledgement_sent":  # of a notice that names the order
        notice = state["notices"].get(rec.data.get("ref_id"))
        return notice is not None and ref in notice["order_ids"]
    return False


def _names_account(state: dict, rec, ref: str) -> bool:
    t, d = rec.type, rec.data
    if t == "order_issued":
        return ref in (d.get("targets") or ())
    if t not in _MOVES:
        return False
    if ref in (d.get("targets") or ()):
        return True
    order = state["orders"].get(d.get("order_id"))
    return (order is not None and ref in (order["targets"] or ())
            and bool(d.get("all_targets") or d.get("count")))


def _case_sig(state: dict, ref: str) -> tuple | None:
    c = state["challenges"].get(ref)
    return None if c is None else (c["court"], c["petitioner"], tuple(c["order_ids"]),
                                   c["filed_at"], len(c["rulings"]))


def _penalty_sig(state: dict, ref: str) -> tuple | None:
    p = state.get("penalties", {}).get(ref)
    return None if p is None else tuple(p.values())


def _service_sig(state: dict, ref: str) -> tuple | None:
    s = state.get("service", {}).get(ref)
    return None if s is None else tuple(s.values())


def _names_country(kind: str, data: dict, ref: str) -> bool:
    return kind in _SERVICE and data.get("scope") == ref


def _summary(rec) -> str:
    try:
        return event_line({"type": rec.type, "data": rec.data, "actor": rec.actor})
    except (KeyError, TypeError, AttributeError, ValueError):
        return rec.type  # data the wording cannot read (a type of a newer catalogue)


def _cite(rec) -> dict[str, Any]:
    return {"seq": rec.seq, "id": rec.id, "occurred_at": rec.occurred_at,
            "type": rec.type, "actor": rec.actor, "confidence": rec.confidence,
            "summary": _summary(rec), "sources": list(rec.sources)}


def _in_replay_order(hits: list[tuple[int, dict]]) -> list[dict]:
    return [cite for _, cite in sorted(hits, key=lambda hit: hit[0])]


def with_amendments(answer: dict[str, Any], amending: list[dict],
                    withdrawn: dict[str, dict]) -> dict[str, Any]:
    """`answer` (of `explain`) with the amending records behind it among its events, in
    replay order: every correction of an event it cites (a date or a figure the answer
    shows may be the correction's, and so are the sources behind it; the corrected event
    keeps its own), and every retraction of a record that named `answer`'s ref
    (`withdrawn`: the records the retractions withdrew, by id; the fact stands where it
    does without that record, which the fold no longer shows)."""
    cited = {e["id"] for e in answer["events"]}
    extra = [_cite_record(r) for r in amending
             if (r["type"] == "event_corrected" and r["data"]["target_id"] in cited)
             or (r["type"] == "event_retracted" and r["data"]["target_id"] in withdrawn
                 and _named_by(withdrawn[r["data"]["target_id"]], answer["ref"]))]
    if not extra:
        return answer
    events = sorted(answer["events"] + extra,
                    key=lambda e: (time_key(e["occurred_at"]), e["seq"]))
    return {**answer, "events": events}


def _named_by(record: dict, ref: str) -> bool:
    """Whether a whole record (a dict) names the id `ref`: introduces or cites it, names it
    as a target, or suspends or restores the service in it."""
    kind, data = record["type"], record["data"]
    return bool(_naming(kind, data, ref)) or ref in (data.get("targets") or ()) \
        or _names_country(kind, data, ref)


def _cite_record(record: dict) -> dict[str, Any]:
    """`_cite` of a whole stored record (a dict)."""
    return {"seq": record["seq"], "id": record["id"], "occurred_at": record["occurred_at"],
            "type": record["type"], "actor": record.get("actor"),
            "confidence": record.get("confidence"), "summary": event_line(record),
            "sources": list(record.get("sources") or [])}


def explain(
    fold: Callable[[Callable], dict], ref: str, *, stream: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Explain `ref` (an order_id, a notice_id, a case_id, a penalty_id, a target, or a
    country code for the service there) over a fold of the stream.

    `fold(on_fold)` folds the selected records in replay order (`projection.fold_pages`,
    with records that carry their actor and sources) and returns the state, calling
    `on_fold(key, record, state, n)` after each record.

    Returns `{"ref", "kind": "order"|"notice"|"case"|"penalty"|"account"|"service",
    "status", "events"}`: `status` is the ref's entry in the views (an order's compliance
    row, with `overdue` judged as in `state_view` for `as_of`; a case's challenge entry; a
    penalty's entry with what it accrued by then; a country's service), `events` every record
    that names the ref or changed its entry (for a case, also the issue of each order it
    challenges), in replay order, as `{seq, id, occurred_at, type, actor, summary,
    sources}` (`summary`: `Actor: what happened`, as `docket log` words it). An id
    that is an order and a notice at once is explained as the order, then the notice, then
    the case, the penalty, the account, the country. Raises KeyError when `ref` is
    unknown.
    """
    kinds = ("order", "notice", "case", "account", "penalty", "service")
    hits: dict[str, list[tuple[int, dict]]] = {kind: [] for kind in kinds}
    issued: dict[str, tuple[int, Any]] = {}  # order_id -> its order_issued, for a case
    before = [(None,) * len(kinds)]  # the signatures after the previous record

    def watch(key, rec, state, n):
        after = (_order_sig(state, ref), _notice_sig(state, ref), _case_sig(state, ref),
                 _account_sig(state, ref), _penalty_sig(state, ref), _service_sig(state, ref))
        # The state is the one after `rec`; naming does not depend on what `rec` itself
        # changed (an acknowledgement does not change its notice's orders, a block does not
        # change its order's targets).
        naming = _naming(rec.type, rec.data, ref)
        named = (_names_order(state, rec, ref, naming), "notice" in naming,
                 "case" in naming, _names_account(state, rec, ref),
                 "penalty" in naming, _names_country(rec.type, rec.data, ref))
        if after != before[0] or any(named):  # most records: neither, so no loop
            cite = None
            for kind, b, a, nm in zip(kinds, before[0], after, named):
                if nm or a != b:
                    cite = cite or _cite(rec)
                    hits[kind].append((n, cite))
        new = introduced(rec.type, rec.data)
        if new is not None and new[0] == "order":
            issued[new[1]] = (n, rec)
        before[0] = after

    state = fold(watch)
    if ref in state["orders"]:
        kind = "order"
        status = compliance_row(state, ref, stream=stream or "",
                                ref_time_us=reference_time(state, as_of))
    elif ref in state["notices"]:
        kind = "notice"
        status = dict(state["notices"][ref])
    elif ref in state["challenges"]:
        kind = "case"
        c = state["challenges"][ref]
        status = {"court": c["court"], "petitioner": c["petitioner"],
                  "order_ids": list(c["order_ids"]), "filed_at": c["filed_at"],
                  "rulings": [dict(r) for r in c["rulings"]]}
        # The orders it challenges are part of why it stands where it does.
        seqs = {cite["seq"] for _, cite in hits["case"]}
        hits["case"] += [(issued[o][0], _cite(issued[o][1]))
                         for o in dict.fromkeys(status["order_ids"])
                         if o in issued and issued[o][1].seq not in seqs]
    elif ref in state["penalties"]:
        kind = "penalty"
        status = penalty_entry(state["penalties"][ref], reference_time(state, as_of))
    elif ref in state["accounts"]:
        kind = "account"
        a = state["accounts"][ref]
        status = {k: a[k] for k in ("status", "scope", "order_id", "since")}
    elif ref in state["service"]:
        kind = "service"
        status = service_entry(state["service"][ref])
    elif hits["account"]:
        # Listed in an order but never moved: active, never blocked.
        kind = "account"
        status = {"status": "active", "scope": None, "order_id": None, "since": None}
    else:
        raise KeyError(ref)
    return {"ref": ref, "kind": kind, "status": status,
            "events": _in_replay_order(hits[kind])}
