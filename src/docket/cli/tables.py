"""The tables `compliance` and `state` print: their columns, their cells, and how a table
too wide for the terminal leaves columns out (one `Note:` line on stderr names them;
`--wide`, a file or a pipe gets every column)."""

from __future__ import annotations

import click

from ..views.summary import printable
from .format import fit_table, terminal_width

__all__ = ["COMPLIANCE_FIELDS", "COMPLIANCE_TABLE", "LEAVE_OUT", "STATE_TABLE", "fitted_tables",
           "readable", "reported", "ruling", "state_columns", "with_stream", "with_v2"]

COMPLIANCE_TABLE = ("order_id", "issued_at", "target_count", "blocked", "ever_blocked",
                    "restored", "compliance", "status", "first_action_at", "overdue",
                    "notices", "acknowledged", "reported")
COMPLIANCE_FIELDS = ("order_id", "stream", "issuer", "platform", "issued_at", "legal_basis",
                     "procedure", "target_count", "blocked", "ever_blocked", "restored",
                     "compliance", "status", "first_action_at", "hours_to_first_action",
                     "deadline", "overdue", "notices", "acknowledged", "reported", "scope",
                     "penalties")

# The columns `docket state` shows of the sections it knows (CSV files get every field).
STATE_TABLE = {
    "orders": COMPLIANCE_TABLE,
    "accounts": ("target", "status", "scope", "order_id", "since"),
    "notices": ("notice_id", "kind", "sent_at", "order_ids", "acknowledged_at"),
    "dialogue": ("by", "addressee", "requested_at"),
    "challenges": ("case_id", "court", "petitioner", "filed_at", "rulings"),
}

# What a table too wide for the terminal leaves out first, by section (then any other
# column, from the right). An order's row keeps what answers "did the platform comply?"
# longest: its status, the blocks against its targets, its scope (which says why a block
# did not count) and whether it is overdue.
LEAVE_OUT = {
    "orders": ("penalties", "reported", "notices", "acknowledged", "restored",
               "first_action_at", "ever_blocked", "issued_at", "compliance", "stream",
               "overdue", "scope"),
}


def with_stream(columns: tuple, rows: list[dict], after: str) -> tuple:
    """`columns` with `stream` after the column `after` when the rows are of several
    streams (a table of one stream has no need of it)."""
    if len({r.get("stream") for r in rows}) < 2:
        return columns
    i = columns.index(after) + 1
    return columns[:i] + ("stream",) + columns[i:]


def with_v2(columns: tuple, rows: list[dict]) -> tuple:
    """The table's columns, and catalogue v2's `scope` and `penalties` when a row has one
    (a log of v1 events prints the table it always did)."""
    extra = tuple(c for c in ("scope", "penalties") if any(r.get(c) for r in rows))
    return columns + extra


def state_columns(section: str, rows: list[dict], columns: tuple) -> tuple:
    """The columns `docket state` shows of a section (`columns`: the section's own, for one
    it does not know)."""
    if section == "orders":
        return with_v2(STATE_TABLE["orders"], rows)
    return STATE_TABLE.get(section, columns)


def reported(row: dict) -> dict:
    """A compliance row with its report as `actioned/specified`."""
    rep = row.get("reported")
    return {**row, "reported": f"{rep['actioned']}/{rep['specified']}" if rep else None}


def ruling(r: dict) -> str:
    """A ruling as a table cell: `2023-06-30 dismissed (costs 5000000 INR)`."""
    costs = f" (costs {r['costs']} {r.get('currency') or ''}".rstrip() + ")" \
        if r.get("costs") is not None else ""
    return f"{r.get('ruled_at') or '-'} {r.get('outcome') or '-'}{costs}"


def _rulings_cell(rulings: list[dict]) -> str:
    """A case's rulings in a table cell: how many, and the last one cut short (an analyst's
    review: six rulings made one line of 2,600 characters; `why CASE` lists them whole)."""
    last = ruling(rulings[-1])
    last = last if len(last) <= _RULING_WIDTH else last[:_RULING_WIDTH - 1].rstrip() + "…"
    return last if len(rulings) == 1 else f"{len(rulings)} rulings, the last {last}"


_RULING_WIDTH = 70


def readable(row: dict) -> dict:
    """A row as the tables show it: a report as `n/m`, rulings in words."""
    row = reported(row) if "reported" in row else row
    if isinstance(row.get("rulings"), list) and row["rulings"]:
        row = {**row, "rulings": _rulings_cell(row["rulings"])}
    return row


def fitted_tables(tables: list[tuple[str, list[dict], tuple]], wide: bool) -> list[str]:
    """The text of each (section, rows, columns) table, each fitted to the terminal stdout
    is on unless `wide`; when columns were left out, one `Note:` line on stderr names them
    (an analyst's review: the compliance table of Brazil–X was 262 characters wide, so a
    terminal wrapped every row)."""
    width = None if wide else terminal_width()
    texts, left = [], []
    for section, rows, columns in tables:
        # A table of no rows is its header alone: printed whole (nothing is in view).
        text, gone = fit_table(rows, columns, width if rows else None,
                               LEAVE_OUT.get(section, ()))
        texts.append(text)
        if gone:
            left.append(f"{section}: {', '.join(gone)}" if len(tables) > 1 else ", ".join(gone))
    if left:
        click.echo(printable(f"Note: left out to fit the terminal's {width} columns: "
                             f"{'; '.join(left)} (--wide shows every column, as --json and "
                             "--csv do)"), err=True)
    return texts
