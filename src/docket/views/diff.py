"""`docket diff`: what changed between two state views (e.g. at two as-of times)."""

from __future__ import annotations

from typing import Any

from ..times import upper_bound

__all__ = ["diff_views", "runs_backwards"]

_ACCOUNT_FIELDS = ("status", "scope", "order_id")


def _keyed(kind: str, before: dict, after: dict, fields: tuple | None) -> list[dict]:
    """Changes between two `{key: entry}` maps: added, removed, then per-field changes."""
    out = []
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        if b is None or a is None:
            out.append({"kind": kind, "key": key, "field": None, "from": b, "to": a})
            continue
        for field in fields or a.keys():
            if b.get(field) != a.get(field):
                out.append({"kind": kind, "key": key, "field": field,
                            "from": b.get(field), "to": a.get(field)})
    return out


def _dialogue(before: list, after: list) -> list[dict]:
    """Dialogue requests added or gone, compared as multisets (a backdated one may insert)."""
    left = list(before)
    added = []
    for entry in after:
        if entry in left:
            left.remove(entry)
        else:
            added.append({"kind": "dialogue", "key": entry["requested_at"], "field": None,
                          "from": None, "to": entry})
    removed = [{"kind": "dialogue", "key": e["requested_at"], "field": None, "from": e,
                "to": None} for e in left]
    return removed + added


def diff_views(before: dict, after: dict) -> list[dict[str, Any]]:
    """The changes from state view `before` to `after`, as `{kind, key, field, from, to}`.

    Kinds come in the order order, account, notice, dialogue, challenge, and (v2) penalty,
    penalty_total (keyed by currency), service (keyed by country); keys sorted; an entry
    added or removed is one change with `field` null and the whole entry as `to` or
    `from`. Orders compare every compliance field; accounts their status, scope and order
    (not `since`, which moves with them); the others every field (a daily penalty's
    `accrued` changes from day to day).
    """
    return (
        _keyed("order", before["orders"], after["orders"], None)
        + _keyed("account", before["accounts"], after["accounts"], _ACCOUNT_FIELDS)
        + _keyed("notice", before["notices"], after["notices"], None)
        + _dialogue(before["dialogue"], after["dialogue"])
        + _keyed("challenge", before["challenges"], after["challenges"], None)
        + _keyed("penalty", before.get("penalties", {}), after.get("penalties", {}), None)
        + _keyed("penalty_total", before.get("penalty_totals", {}),
                 after.get("penalty_totals", {}), None)
        + _keyed("service", before.get("service", {}), after.get("service", {}), None)
    )


def runs_backwards(from_: str, to: str) -> str | None:
    """What to tell the reader of a diff whose `from_` is later than its `to` (each time
    taken as the views take it: a day is the whole day), or None when it runs forward.
    The diff itself is well defined either way (it reads from the later view to the earlier
    one), so this is a note, not an error; its arguments are `{arg:NAME}` placeholders for
    `docket.errors.spelled`."""
    if upper_bound(from_) <= upper_bound(to):
        return None
    return (f"{{arg:from_}} {from_} is later than {{arg:to}} {to}, so each change reads from "
            "the later view to the earlier one (swap them to see what happened between)")
