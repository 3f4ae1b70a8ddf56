"""The stored view tables: their columns, and view <-> rows in both directions.

Ordinary tables (`view_orders`, `view_accounts`, `view_notices`, `view_dialogue`,
`view_challenges`, `view_streams`) that Datasette or sqlite-utils can browse. Lists and
objects are stored as canonical JSON text, booleans as 0/1.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import msgspec

from ..codec import canonical
from ..storage.schema import VIEW_TABLES
from ..times import time_key
from ..views import whole
from ..views.compliance import compliance_row
from ..views.penalties import penalty_entry, service_entry, totals_view
from ..views.state import view_fingerprint

__all__ = ["TABLES", "ENTITY_TABLE", "view_rows", "entry_rows", "row", "write_totals",
           "delete_entries", "read_rows", "read_view", "read_compliance"]

_decode_json = msgspec.json.Decoder().decode

# The view tables (docket.storage.schema); lists and objects are stored as canonical JSON.
TABLES = VIEW_TABLES
# Each keyed part of a state view, its table and the column that holds its key.
ENTITY_TABLE = {"orders": "view_orders", "accounts": "view_accounts",
                "notices": "view_notices", "challenges": "view_challenges",
                "penalties": "view_penalties", "service": "view_service"}
_KEY_COLUMN = {"orders": "order_id", "accounts": "target", "notices": "notice_id",
               "challenges": "case_id", "penalties": "penalty_id", "service": "country",
               "penalty_totals": "currency"}
# The parts read back keyed by their key column (all but orders and the dialogue).
_KEYED = ("accounts", "notices", "challenges", "penalties", "service")


def _cell(value: Any, json: bool = False) -> Any:
    if isinstance(value, (list, dict)) or (json and value is not None):
        return canonical(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


# Per table, for each column: its name and whether it holds JSON text (also of a number:
# see accrued).
_COLUMNS = {name: tuple((c.name, c.type == "json") for c in t.columns)
            for name, t in TABLES.items()}
_PLAIN = (str, int, float)  # stored as they are (bool, an int, is not among them: type())


def row(table: str, stream: str, item: dict) -> tuple:
    """One row of `table`: the item's value for each column, as stored."""
    # `_cell` inlined for the common cells: an import writes a row per entity it folded.
    out = []
    for name, json in _COLUMNS[table]:
        value = stream if name == "stream" else item.get(name)
        if value is None or (not json and type(value) in _PLAIN):
            out.append(value)
        else:
            out.append(_cell(value, json))
    return tuple(out)


def _entity_row(kind: str, key: str, view_entry: dict, stream: str) -> tuple:
    return row(ENTITY_TABLE[kind], stream, {_KEY_COLUMN[kind]: key, **view_entry})


def view_rows(view: dict) -> dict[str, list[tuple]]:
    """The rows of each view table for one stream's state view (SPEC §5 state)."""
    stream = view["stream"]
    out = {table: [_entity_row(kind, k, v, stream) for k, v in view[kind].items()]
           for kind, table in ENTITY_TABLE.items()}
    out["view_penalty_totals"] = [row("view_penalty_totals", stream, {"currency": c, **t})
                                  for c, t in view["penalty_totals"].items()]
    out["view_dialogue"] = [row("view_dialogue", stream, {"position": i, **d})
                            for i, d in enumerate(view["dialogue"], 1)]
    out["view_streams"] = [row("view_streams", stream, view)]
    return out


def entry_rows(state: dict, kind: str, keys, stream: str, ref_us) -> list[tuple]:
    """View-table rows for some entities of one kind (those still present)."""
    view_of_kind = {
        "accounts": lambda a: {k: a[k] for k in ("status", "scope", "order_id", "since")},
        "notices": lambda x: {"kind": x["kind"], "sent_at": x["sent_at"],
                              "order_ids": list(x["order_ids"]),
                              "acknowledged_at": x["acknowledged_at"]},
        "challenges": lambda x: {k: x[k] for k in ("court", "petitioner", "order_ids",
                                                   "filed_at", "rulings")},
        "penalties": lambda x: penalty_entry(x, ref_us),
        "service": service_entry,
    }
    entities = state[kind]
    if kind == "orders":
        return [_entity_row(kind, k, compliance_row(state, k, stream=stream, ref_time_us=ref_us),
                            stream)
                for k in keys if k in entities]
    return [_entity_row(kind, k, view_of_kind[kind](entities[k]), stream)
            for k in keys if k in entities]


def write_totals(storage, stream: str, state: dict, ref_us) -> None:
    """Rewrite the stream's `view_penalty_totals` rows from every penalty and payment."""
    penalties = {k: penalty_entry(p, ref_us) for k, p in state["penalties"].items()}
    storage.delete_prefix("view_penalty_totals", (stream,))
    storage.upsert("view_penalty_totals", [
        row("view_penalty_totals", stream, {"currency": c, **t})
        for c, t in totals_view(penalties, state["payments"]).items()])


def delete_entries(storage, kind: str, stream: str, keys) -> None:
    """Delete the view-table rows of some entities of one kind (gone from the state)."""
    if keys:
        storage.delete(ENTITY_TABLE[kind], [(stream, k) for k in keys])


def read_rows(storage, stream: str) -> dict[str, list[tuple]]:
    """The rows the view tables hold for `stream`, in key order (for the audit)."""
    return {table: storage.select(table, (stream,)) for table in TABLES}


def read_view(storage, stream: str) -> dict | None:
    """The current SPEC §5 state view of `stream` read from the view tables (None when
    they hold nothing for it): what a fresh replay gives, without folding or reading the
    whole fold state. `verify` checks that the tables equal a replay."""
    head = storage.get("view_streams", (stream,), ("last_seq", "version"))
    if head is None:
        return None
    tables = read_rows(storage, stream)
    keyed = {}
    for kind in _KEYED:
        table = ENTITY_TABLE[kind]
        # Each row's key column is 2nd (after `stream`): the view keeps the rest.
        keyed[kind] = {r[1]: entry for r, entry in zip(
            tables[table], _shaped(table, tables[table], skip=2))}
    view = {
        "stream": stream, "as_of": None, "known_at": None,
        "last_seq": head[0], "version": head[1],
        "orders": {r["order_id"]: r for r in _orders(tables["view_orders"])},
        "accounts": keyed["accounts"],
        "notices": keyed["notices"],
        "dialogue": [{k: r[k] for k in ("by", "addressee", "requested_at")}
                     for r in _shaped("view_dialogue", tables["view_dialogue"])],
        "challenges": keyed["challenges"],
        "penalties": keyed["penalties"],
        "penalty_totals": {r[1]: entry for r, entry in zip(
            tables["view_penalty_totals"], _shaped("view_penalty_totals",
                                                   tables["view_penalty_totals"], skip=2))},
        "service": keyed["service"],
    }
    view["fingerprint"] = view_fingerprint(view)
    return view


# How a cell read back becomes the view's value: JSON text (lists and objects), a boolean
# stored as 0/1, a REAL that may hold a whole number.
_FROM_CELL = {
    **dict.fromkeys(("notices", "reported", "order_ids", "rulings", "penalties", "accrued"),
                    lambda v: _decode_json(v) if isinstance(v, str) else v),
    **dict.fromkeys(("overdue", "acknowledged"), lambda v: None if v is None else bool(v)),
    **dict.fromkeys((c.name for t in TABLES.values() for c in t.columns if c.type == "real"),
                    whole),
}
_ORDER_FIELDS = ("order_id", "stream", "issuer", "platform", "issued_at", "legal_basis",
                 "procedure", "target_count", "blocked", "ever_blocked", "restored",
                 "compliance", "status", "first_action_at", "hours_to_first_action",
                 "deadline", "overdue", "notices", "acknowledged", "reported", "scope",
                 "penalties")


def read_compliance(storage, stream: str) -> list[dict] | None:
    """The current compliance rows of `stream` from `view_orders` (None when the stream
    has no stored views yet), sorted by issue time."""
    if storage.get("view_streams", (stream,), ("stream", "version")) is None:
        return None
    return _orders(storage.select("view_orders", (stream,)))


def _orders(rows: list[tuple]) -> list[dict]:
    """`view_orders` rows back in view shape and field order, sorted by issue time."""
    orders = _shaped("view_orders", rows, names=_ORDER_FIELDS)
    orders.sort(key=lambda r: (time_key(r["issued_at"]), r["order_id"]))
    return orders


def _shaped(table: str, rows: list[tuple], skip: int = 0,
            names: tuple[str, ...] | None = None) -> list[dict]:
    """Rows of `table` back in the shape of the view (the inverse of `_cell`), as dicts of
    the columns after the first `skip`, or of `names` in that order.

    Only the columns that were converted on the way in are touched, found once per table
    rather than tested per cell, and the columns are picked in C (`itemgetter`): `docket
    state` and `docket compliance` read every row of a million-event log's views through
    here."""
    columns = TABLES[table].names
    names = tuple(columns[skip:] if names is None else names)
    if len(names) < 2:  # itemgetter of one index gives the cell, not a tuple
        raise ValueError(f"{table}: shape at least two columns")
    pick = itemgetter(*(columns.index(n) for n in names))
    fix = [(i, _FROM_CELL[n]) for i, n in enumerate(names) if n in _FROM_CELL]
    out = []
    for r in rows:
        values = list(pick(r))
        for i, convert in fix:
            values[i] = convert(values[i])
        out.append(dict(zip(names, values)))
    return out
