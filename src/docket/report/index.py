"""The index across disputes (`docket project`'s `index.md` and `index.html`): one row per
stream comparing them — orders and their compliance, days from order to first action,
reverted orders, notices, penalties accrued and paid per currency, days of nationwide
suspension — and one row per order.

Everything comes from the same fresh folds as the per-stream files (the views now: `accrued`
and an ongoing suspension are judged at each stream's latest event, as the state view is),
plus the stream's suspensions and restorations in replay order for the days suspended.
"""

from __future__ import annotations

from typing import Any

from ..times import time_key
from .format import esc

__all__ = ["INDEX_FILES", "dispute_rows", "order_rows", "index_markdown", "index_html", "plain"]

INDEX_FILES = ("index.md", "index.html")

_DAY_US = 86_400_000_000
_SERVICE = ("service_suspended", "service_restored")


def _days(us: int) -> float | int:
    days = round(us / _DAY_US, 1)
    return int(days) if days == int(days) else days


def suspended_days(timeline: list[dict], ref_us: int | None) -> dict[str, tuple]:
    """Per country: (days suspended in all, whether it is suspended still), from the
    stream's records in replay order; an ongoing suspension counts up to `ref_us`."""
    since: dict[str, int] = {}
    total: dict[str, int] = {}
    for record in timeline:
        if record.get("retracted") is not None or record["type"] not in _SERVICE:
            continue
        country, at = record["data"].get("scope"), time_key(record["occurred_at"])
        total.setdefault(country, 0)
        if record["type"] == "service_suspended":
            since.setdefault(country, at)
        elif country in since:
            total[country] += at - since.pop(country)
    for country, start in since.items():
        if ref_us is not None and ref_us > start:
            total[country] += ref_us - start
    return {c: (_days(us), c in since) for c, us in sorted(total.items())}


def _first_action_days(row: dict) -> float | int | None:
    hours = row.get("hours_to_first_action")
    return None if hours is None else _days(int(hours * 3_600_000_000))


def dispute_rows(folds: dict, rows: dict[str, list[dict]],
                 timelines: dict[str, list[dict]]) -> list[dict[str, Any]]:
    """One comparison row per stream (sorted by name)."""
    out = []
    for stream in sorted(folds):
        view, orders = folds[stream].view, rows[stream]
        last = folds[stream].state["last_occurred_at"]
        statuses = [r["status"] for r in orders]
        firsts = [d for d in map(_first_action_days, orders) if d is not None]
        out.append({
            "stream": stream,
            "orders": len(orders),
            "status": {s: statuses.count(s) for s in ("complied", "partial", "pending",
                                                      "reverted") if s in statuses},
            "days_to_first_action": firsts,
            "reverted": statuses.count("reverted"),
            "notices": len(view["notices"]),
            "penalties": len(view.get("penalties", {})),
            "penalty_totals": dict(view.get("penalty_totals", {})),
            "suspended": suspended_days(timelines[stream],
                                        time_key(last) if last else None),
        })
    return out


def order_rows(rows: dict[str, list[dict]]) -> list[dict[str, Any]]:
    """Every order of every stream, by stream then issue time."""
    return [{**r, "days_to_first_action": _first_action_days(r)}
            for stream in sorted(rows) for r in rows[stream]]


def _money(totals: dict, key: str) -> str:
    return ", ".join(f"{t[key]:,} {c}" for c, t in totals.items()) or "-"


def _suspension(suspended: dict) -> str:
    return ", ".join(f"{c} {d}" + (" (ongoing)" if on else "")
                     for c, (d, on) in suspended.items()) or "-"


def plain(value: Any) -> str:
    """A cell as plain text: `-` for nothing, yes/no, a list comma-joined."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


_DISPUTE_HEADS = ("dispute", "orders", "compliance", "days from order to first action",
                  "reverted", "notices", "penalties", "accrued", "paid",
                  "days of nationwide suspension")
_ORDER_HEADS = ("dispute", "order", "issued", "scope", "targets", "blocked", "status",
                "days to first action", "overdue", "notices", "penalties")


def _dispute_cells(d: dict) -> list[str]:
    return [d["stream"], str(d["orders"]),
            ", ".join(f"{n} {s}" for s, n in d["status"].items()) or "-",
            plain(d["days_to_first_action"]), str(d["reverted"]), str(d["notices"]),
            str(d["penalties"]), _money(d["penalty_totals"], "accrued"),
            _money(d["penalty_totals"], "paid"), _suspension(d["suspended"])]


def _order_cells(r: dict) -> list[str]:
    return [plain(r[k]) for k in ("stream", "order_id", "issued_at", "scope",
                                   "target_count", "blocked", "status",
                                   "days_to_first_action", "overdue", "notices",
                                   "penalties")]


def index_markdown(disputes: list[dict], orders: list[dict], markdown_text) -> bytes:
    """`index.md`: the two tables (`markdown_text` escapes a cell)."""
    def table(heads, rows):
        lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _ in heads) + "|"]
        lines += ["| " + " | ".join(markdown_text(c) for c in row) + " |" for row in rows]
        return lines

    lines = ["# The recorded disputes", "",
             "Written by `docket project` from a fresh replay of the log; do not edit by "
             "hand. Views now: a daily fine's `accrued` and an ongoing suspension are counted "
             "to each stream's latest event. Each stream's own files are in its folder.", "",
             "## Disputes", "", *table(_DISPUTE_HEADS, map(_dispute_cells, disputes)), "",
             "## Orders", "", *table(_ORDER_HEADS, map(_order_cells, orders))]
    return ("\n".join(lines) + "\n").encode()


def index_html(disputes: list[dict], orders: list[dict]) -> bytes:
    """`index.html`: the same tables as a self-contained page (no script, no request)."""
    def table(heads, rows):
        head = "".join(f"<th>{esc(h)}</th>" for h in heads)
        body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                       for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    links = "".join(f'<li><a href="{esc(d["stream"])}/report.html">{esc(d["stream"])}</a></li>'
                    for d in disputes)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\"><title>Docket: the recorded disputes</title>"
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:"
        "collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;"
        "vertical-align:top}th{background:#f4f4f4}</style></head><body>"
        "<h1>The recorded disputes</h1><p>Written by <code>docket project</code> from a fresh "
        "replay of the log. Views now: a daily fine's accrued and an ongoing suspension are "
        "counted to each stream's latest event.</p>"
        f"<h2>Disputes</h2>{table(_DISPUTE_HEADS, map(_dispute_cells, disputes))}"
        f"<h2>Orders</h2>{table(_ORDER_HEADS, map(_order_cells, orders))}"
        f"<h2>Reports</h2><ul>{links}</ul></body></html>\n")
    return page.encode()
