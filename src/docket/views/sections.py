"""The sections of a state view as rows: one table per keyed part (orders, accounts, notices,
dialogue, challenges, and any part a later catalogue adds, such as penalties or service).

Read from the view's own keys, so a new keyed part shows up in `docket state`'s tables and
in `docket state --csv -o DIR` without a change here: a part is a section when it holds
entries by key (a dict of dicts) or a list of entries (a list of dicts).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .penalties import PENALTY_FIELDS, SERVICE_FIELDS

__all__ = ["Section", "sections", "KEY_COLUMNS"]

# The column that holds an entry's key, per section (`key` for a section not named here).
KEY_COLUMNS = {
    "orders": "order_id", "accounts": "target", "notices": "notice_id",
    "challenges": "case_id", "penalties": "penalty_id", "penalty_totals": "currency",
    "service": "country",
}

# The columns of the sections Docket has, in the order they are shown (fields an entry has
# beyond these follow them, in the order first seen).
_COLUMNS = {
    "orders": ("order_id", "stream", "issuer", "platform", "issued_at", "legal_basis",
               "procedure", "target_count", "blocked", "ever_blocked", "restored",
               "compliance", "status", "first_action_at", "hours_to_first_action",
               "deadline", "overdue", "notices", "acknowledged", "reported", "scope",
               "penalties"),
    "accounts": ("target", "status", "scope", "order_id", "since"),
    "notices": ("notice_id", "kind", "sent_at", "order_ids", "acknowledged_at"),
    "dialogue": ("by", "addressee", "requested_at"),
    "challenges": ("case_id", "court", "petitioner", "order_ids", "filed_at", "rulings"),
    "penalties": ("penalty_id", *PENALTY_FIELDS),
    "penalty_totals": ("currency", "accrued", "paid"),
    "service": ("country", *SERVICE_FIELDS),
}
_FIRST = tuple(_COLUMNS)


class Section(NamedTuple):
    """One keyed part of a state view: its name, its columns and its rows (dicts)."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def _is_section(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(v, dict) for v in value.values())
    if isinstance(value, list):
        return all(isinstance(v, dict) for v in value)
    return False


def sections(view: dict[str, Any]) -> list[Section]:
    """Every keyed part of `view`: the ones Docket has in their usual order, then any other
    in the view's order. An empty part is a section with its known columns (or only its
    key column, for one Docket does not know)."""
    names = [n for n in _FIRST if n in view and _is_section(view[n])]
    names += [n for n, v in view.items() if n not in _FIRST and _is_section(v)]
    out = []
    for name in names:
        value = view[name]
        if isinstance(value, dict):
            key = KEY_COLUMNS.get(name, "key")
            rows = [entry if key in entry else {key: k, **entry} for k, entry in value.items()]
            columns = list(_COLUMNS.get(name, (key,)))
        else:
            rows = [dict(entry) for entry in value]
            columns = list(_COLUMNS.get(name, ()))
        seen = set(columns)
        for row in rows:
            for column in row:
                if column not in seen:
                    seen.add(column)
                    columns.append(column)
        out.append(Section(name, tuple(columns), rows))
    return out
