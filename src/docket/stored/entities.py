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

from ..catalog import AMENDING, citations, introduced

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
    if kind in AMENDING:
        return set()
    out = set()
    new = introduced(kind, data)
    if new is not None and new[0] in _PART:
        out.add((_PART[new[0]], new[1]))
    for ref, _, value in citations(kind, data):
        for k in ref.kinds:
            if k in _PART:
                out.add((_PART[k], value))
    if kind in _MOVES:
        out.update(("accounts", t) for t in data.get("targets") or ())
        if data.get("all_targets") and data.get("order_id") is not None:
            entry = order(data["order_id"])
            if entry is not None:
                out.update(("accounts", t) for t in entry["targets"] or ())
    elif kind == "dialogue_requested":
        out.add(DIALOGUE)
    elif kind in _KEYED_BY:
        part, field = _KEYED_BY[kind]
        if data.get(field) is not None:
            out.add((part, data[field]))
    return out


def order_cited(data: dict) -> Iterable[str]:
    """The orders a move names (whose definitions its effect on accounts depends on)."""
    if data.get("order_id") is not None:
        yield data["order_id"]
