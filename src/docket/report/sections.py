"""The report's view sections: the compliance table and the parts of the state view (SPEC §5)
that are not orders: accounts, notices and dialogue, challenges, penalties and their totals,
service suspensions. Each is a dated table (`docket.report.dated`): the view now, and its
changes from frame to frame for the date control.

Penalties, their totals and service (SPEC §5 v2) are drawn when the state view has them; a view
without them gets a labelled placeholder, so the page's outline is the same for every log.
"""

from __future__ import annotations

from typing import Any

from .dated import ROW_CAP, Column, Dated
from .format import cell, esc, number, percent, reported

__all__ = ["FIGURES", "compliance_columns", "compliance_table", "figure_head", "status_badge",
           "view_sections"]


def status_badge(status: Any) -> str:
    """A status as a coloured badge (`reverted`, `blocked`, `outstanding`, …)."""
    return f'<span class="status status-{esc(status)}">{esc(status)}</span>'


def _time(value: Any) -> str:
    """A time that may wrap before its time of day."""
    return esc(value).replace("T", "<wbr>T", 1) if value else "–"


def _field(name: str, render=cell):
    """A cell showing one field of the entry (marked so, for `Column.fields`)."""
    def draw(key: Any, entry: dict) -> str:
        return render(entry.get(name))

    draw.fields = (name,)
    return draw


def _key(key: Any, entry: dict) -> str:
    return esc(key)


# -- compliance ----------------------------------------------------------------------------
_COMPLIANCE = (
    ("order_id", "order", None), ("issued_at", "issued", _time), ("procedure", "procedure", None),
    ("scope", "scope", None), ("target_count", "targets", None), ("blocked", "blocked", None),
    ("ever_blocked", "ever blocked", None), ("restored", "restored", None),
    ("compliance", "compliance", percent), ("status", "status", status_badge),
    ("first_action_at", "first action", _time), ("hours_to_first_action", "hours to act", None),
    ("deadline", "deadline", _time), ("overdue", "overdue", None), ("notices", "notices", None),
    ("acknowledged", "ack’d", None),
    ("reported", "reported", lambda v: reported(v) if v else "–"),
    ("penalties", "penalties", None),
)
_V2_COLUMNS = ("scope", "penalties")  # shown when the rows have them (SPEC §5 v2)

FIGURES = ("target_count", "blocked", "ever_blocked", "restored", "compliance", "status",
           "first_action_at", "hours_to_first_action", "deadline", "overdue", "notices",
           "acknowledged", "reported", "penalties")
"""The columns an order's section repeats under its chart, in that order."""

_FIGURE_HEADS = {"target_count": "target count", "blocked": "blocked now",
                 "hours_to_first_action": "hours to first action", "acknowledged": "acknowledged"}


def compliance_columns(rows: list[dict]) -> list[Column]:
    """The compliance table's columns (the v2 ones when any row has them)."""
    present = {k for row in rows for k in row}
    return [Column(key, head, _field(key, render or cell), (key,))
            for key, head, render in _COMPLIANCE
            if key not in _V2_COLUMNS or key in present]


def figure_head(column: Column) -> str:
    """The label of a column among an order's figures."""
    return _FIGURE_HEADS.get(column.key, column.head)


def compliance_table(dated: Dated, rows: list[dict], columns: list[Column]) -> str:
    """The SPEC §5 compliance rows as a dated table (rows `o0`, `o1`, … in issue order)."""
    now = {row["order_id"]: row for row in rows}
    return dated.table("o", "orders", columns, now, "No orders in this view.", "compliance")


# -- the other parts of the state view -----------------------------------------------------
def _rulings(key: Any, entry: dict) -> str:
    out = []
    for r in entry.get("rulings") or ():
        costs = (f"; costs {number(r['costs'])} {esc(r.get('currency') or '')}".rstrip()
                 if r.get("costs") is not None else "")
        out.append(f"{esc(r.get('outcome'))} ({esc(r.get('court'))}, "
                   f"{esc(r.get('ruled_at'))}{costs})")
    return "<br>".join(out) or "–"


def _amount(key: Any, entry: dict) -> str:
    return f"{number(entry.get('amount'))} {esc(entry.get('currency') or '')}".rstrip()


def _ack(key: Any, entry: dict) -> str:
    return _time(entry.get("acknowledged_at")) if entry.get("acknowledged_at") else "no"


def _columns(*spec) -> list[Column]:
    return [Column(key, head, render, getattr(render, "fields", ())) for key, head, render in spec]


_SECTIONS = (
    # (section, row prefix, heading, what one is, columns, groups when counted, their heads)
    ("accounts", "a", "Accounts", "accounts", _columns(
        ("target", "target", _key), ("status", "status", _field("status", status_badge)),
        ("scope", "scope", _field("scope")), ("order_id", "order", _field("order_id")),
        ("since", "since", _field("since", _time))),
     lambda k, e: (e.get("status"), e.get("scope") or "–"), ("status", "scope")),
    ("notices", "n", "Notices", "notices", _columns(
        ("notice_id", "notice", _key), ("kind", "kind", _field("kind")),
        ("sent_at", "sent", _field("sent_at", _time)),
        ("order_ids", "orders", _field("order_ids")), ("acknowledged_at", "acknowledged", _ack)),
     lambda k, e: (e.get("kind"), "acknowledged" if e.get("acknowledged_at") else "not yet"),
     ("kind", "acknowledged")),
    ("dialogue", "d", "Dialogue requested", "requests for dialogue", _columns(
        ("by", "by", _field("by")), ("addressee", "addressee", _field("addressee")),
        ("requested_at", "requested", _field("requested_at", _time))),
     lambda k, e: (e.get("by"), e.get("addressee")), ("by", "addressee")),
    ("challenges", "ch", "Challenges in court", "challenges", _columns(
        ("case_id", "case", _key), ("court", "court", _field("court")),
        ("petitioner", "petitioner", _field("petitioner")),
        ("order_ids", "orders", _field("order_ids")),
        ("filed_at", "filed", _field("filed_at", _time)), ("rulings", "rulings", _rulings)),
     lambda k, e: (e.get("court"),), ("court",)),
    ("penalties", "p", "Penalties", "penalties", _columns(
        ("penalty_id", "penalty", _key), ("issuer", "issuer", _field("issuer")),
        ("against", "against", _field("against")), ("amount", "amount", _amount),
        ("per", "per", _field("per")), ("imposed_at", "imposed", _field("imposed_at", _time)),
        ("starts_at", "starts", _field("starts_at", _time)),
        ("ends_at", "ends", _field("ends_at", _time)),
        ("order_ids", "orders", _field("order_ids")), ("case_id", "case", _field("case_id")),
        ("status", "status", _field("status", status_badge)),
        ("accrued", "accrued", _field("accrued")), ("paid", "paid", _field("paid"))),
     lambda k, e: (e.get("currency"), e.get("status")), ("currency", "status")),
    ("penalty_totals", "pt", "Penalty totals", "currencies", _columns(
        ("currency", "currency", _key), ("accrued", "accrued", _field("accrued")),
        ("paid", "paid", _field("paid"))),
     lambda k, e: (k,), ("currency",)),
    ("service", "sv", "Service suspensions", "countries", _columns(
        ("country", "country", _key), ("platform", "platform", _field("platform")),
        ("status", "status", _field("status", status_badge)),
        ("since", "since", _field("since", _time)),
        ("ordered_by", "ordered by", _field("ordered_by")),
        ("order_id", "order", _field("order_id"))),
     lambda k, e: (e.get("platform"), e.get("status")), ("platform", "status")),
)

# Where each section goes: (h2 id, h2 text, sections under it, what adds them when a view
# may not have them yet: the v2 parts).
_GROUPS = (("accounts", "Accounts", ("accounts",), None),
           ("notices", "Notices and dialogue", ("notices", "dialogue"), None),
           ("challenges", "Challenges in court", ("challenges",), None),
           ("penalties", "Penalties", ("penalties", "penalty_totals"),
            "penalty_imposed, penalty_paid and penalty_lifted events"),
           ("service", "Service suspensions", ("service",),
            "service_suspended and service_restored events"))


def _as_dict(part: Any) -> dict:
    return dict(enumerate(part)) if isinstance(part, list) else dict(part or {})


def _section(dated: Dated, view: dict, spec: tuple) -> str:
    name, prefix, heading, what, columns, group, heads = spec
    if name not in view:
        return ""
    now = _as_dict(view[name])
    title = f"<h3>{esc(heading)}</h3>" if heading not in {g[1] for g in _GROUPS} else ""
    note = ""
    if now and name not in dated.frames.sections:
        # The view has the part but the fold's views at each day do not: say so rather
        # than show today's rows as those of an earlier date.
        note = (f'<p class="note only-dated">{esc(heading)}: shown as of now only (the views '
                "as of a day do not have them).</p>")
    if max(len(now), dated.count(name)) > ROW_CAP:
        body = (f'<p class="note">{number(len(now))} {esc(what)} now, more than a table '
                f"holds: counted by {esc(' and '.join(heads))} (<code>docket state --json"
                "</code> lists each).</p>"
                + dated.counts(f"{prefix}-counts", name, now, group, heads, f"view-table {name}"))
    else:
        body = dated.table(prefix, name, columns, now, f"No {what} in this view.",
                           f"view-table {name}")
    cls = ' class="only-now"' if note else ""
    return f'<div id="{prefix}-section"{cls}>{title}{body}</div>{note}'


def view_sections(dated: Dated, view: dict) -> str:
    """The state view's sections after the compliance table, each under its heading."""
    by_name = {spec[0]: spec for spec in _SECTIONS}
    out = []
    for anchor, heading, names, source in _GROUPS:
        out.append(f'<h2 id="{anchor}">{esc(heading)}</h2>')
        if source and not any(name in view for name in names):
            out.append(f'<div class="placeholder" id="{anchor}-placeholder"><p class="empty">'
                       f"Not in these views yet: the state view of SPEC §5 v2 adds "
                       f"{esc(' and '.join(names))} (from {esc(source)}); the views this page "
                       "was made from have none.</p></div>")
            continue
        out += [_section(dated, view, by_name[name]) for name in names]
    return "".join(out)
