"""Which entities of the fold state each event touches: the index a late event is refolded by.

The fold state is a set of entities — orders, accounts, notices, challenges, the dialogue
list — and each one's entry depends only on the events that touch it, plus the definitions
(issue and targets) of the orders those events cite:

- an account's status, scope, order and `orders` come from the blocks and unblocks that name
  it (directly, or through `all_targets` of an order that lists it);
- an order's own fields (counts, peaks, first action, acknowledgement, report) come from the
  events that cite it; its set of accounts blocked now (`blocked`) is theirs: an account is
  in it exactly when the order is among the account's `orders` (the fold keeps both sides
  together), so it is recomputed from the accounts rather than refolded;
- a notice, a court case, the dialogue: their own events; `order_notices` follows from the
  notices (kept sorted, so it does not depend on the order they were folded in);
- v2: a penalty, its imposition, lifts and the payments naming it; the payments of one
  currency (`payments`), the payments in it; a country's service, the suspensions and
  restorations there; `order_penalties` follows from the penalties as `order_notices` does
  from the notices.

So an event that lands in the past (backdated, or a retraction or correction of an old one)
changes only the entities it touches — and, when it changes an order's definition, the
accounts that order's events name — and those can be refolded from their own histories
(`docket.stored.patch`) instead of folding every event after it again.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..catalog import AMENDING, REFERENCES

__all__ = ["KINDS", "touches", "DIALOGUE", "order_cited"]

# The keyed parts of the fold state that are refolded entity by entity, and the dialogue.
KINDS = ("orders", "accounts", "notices", "challenges", "penalties", "payments", "service")
DIALOGUE = ("dialogue", "")
_PART = {"order": "orders", "notice": "notices", "case": "challenges", "penalty": "penalties"}
# v2 entities keyed by a field that is not an id: (event type, part, field).
_KEYED_BY = {"penalty_paid": ("payments", "currency"),
             "service_suspended": ("service", "scope"), "service_restored": ("service", "scope")}
_MOVES = ("accounts_blocked", "accounts_unblocked")


def touches(kind: str, data: dict, order: Callable[[str], dict | None]) -> set[tuple[str, str]]:
    """The entities (part, key) an event of type `kind` with `data` touches.

    `order(order_id)` gives the order's fold entry (its `targets`), for `all_targets`.
    Over-inclusion is harmless (an entity refolded from a longer history comes out the
    same); leaving one out would leave it stale, so every field of the catalogue's table of
    references counts, whatever the handler does with it."""
    plan = _PLANS.get(kind)
    if plan is None:
        plan = _PLANS[kind] = _plan(kind)
    introduces, cites, moves = plan
    out = set()
    if introduces is not None:
        value = data.get(introduces[0])
        if value is not None:
            out.add((introduces[1], value))
    for field, parts, many in cites:
        value = data.get(field)
        if value is None:
            continue
        for part in parts:
            if many:
                out.update([(part, v) for v in value])
            else:
                out.add((part, value))
    if moves:
        targets = data.get("targets")
        if targets:
            out.update([("accounts", t) for t in targets])
        if data.get("all_targets") and data.get("order_id") is not None:
            entry = order(data["order_id"])
            if entry is not None and entry["targets"]:
                out.update([("accounts", t) for t in entry["targets"]])
    elif kind == "dialogue_requested":
        out.add(DIALOGUE)
    elif kind in _KEYED_BY:
        part, field = _KEYED_BY[kind]
        if data.get(field) is not None:
            out.add((part, data[field]))
    return out


# Each event type's plan for `touches`, read off the catalogue's table once per type: every
# import asks it of each event (measured over a 200k-event stream: 1.85 us an event through
# `introduced`/`citations`, which build a field path per cited id, against 1.27 us).
_PLANS: dict[str, tuple] = {}


def _plan(kind: str) -> tuple:
    """(field introducing an entity and its part, or None; (field, parts, many) of each
    citing field that names an entity kept by part; whether it moves accounts)."""
    refs = REFERENCES.get(kind)
    # A type the catalogue does not know changes nothing in the fold (a newer catalogue's
    # events must not break an older one), so it touches nothing; the append refuses it and
    # verify reports it where a tampered log holds it.
    if refs is None or kind in AMENDING:
        return None, (), False
    new = refs.introduces
    introduces = (new.field, _PART[new.kinds[0]]) if new and new.kinds[0] in _PART else None
    cites = tuple((r.field, tuple(_PART[k] for k in r.kinds if k in _PART), r.many)
                  for r in refs.cites if any(k in _PART for k in r.kinds))
    return introduces, cites, kind in _MOVES


def order_cited(data: dict) -> Iterable[str]:
    """The orders a move names (whose definitions its effect on accounts depends on)."""
    if data.get("order_id") is not None:
        yield data["order_id"]
