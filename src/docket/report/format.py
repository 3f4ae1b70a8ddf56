"""How the report writes things: escaped text, numbers, table cells, UTC dates, type colours.

Shared by every part of the page, so that one value always reads the same wherever it shows.
One number format for the whole page: whole numbers with a comma between groups of three
digits (`1,178`, `5,000,000`), decimals with at most two places (`29.5`), ratios as percentages
(`49.03 %`). Event summaries get the same format: their whole-number fields are written with it
before `docket.views.summary` words them.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import Any

from ..views.summary import event_summary as summary_line

__all__ = [
    "DAY_US",
    "HOUR_US",
    "TYPE_COLOURS",
    "cell",
    "count",
    "day_label",
    "esc",
    "event_summary",
    "is_http",
    "number",
    "percent",
    "reported",
    "type_colour",
    "utc",
]

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Colour of each event type (colour-blind-safe families: orders red, moves orange/green,
# notices purple, talk teal/grey, courts blue, amendments black/brown).
TYPE_COLOURS = {
    "order_issued": "#c0392b",
    "accounts_blocked": "#e67e22",
    "accounts_unblocked": "#27ae60",
    "notice_sent": "#8e44ad",
    "acknowledgement_sent": "#c39bd3",
    "dialogue_requested": "#16a085",
    "meeting_held": "#48c9b0",
    "statement_published": "#7f8c8d",
    "compliance_reported": "#d4ac0d",
    "challenge_filed": "#2e86c1",
    "ruling_issued": "#1b2631",
    "event_retracted": "#000000",
    "event_corrected": "#935116",
}
_OTHER_COLOUR = "#aab7b8"


def esc(value: Any) -> str:
    """Escaped text (None as an en dash)."""
    return "–" if value is None else html.escape(str(value), quote=True)


def type_colour(kind: str) -> str:
    """The colour of an event type (grey for a type the catalogue does not colour)."""
    return TYPE_COLOURS.get(kind, _OTHER_COLOUR)


def utc(us: int) -> datetime:
    """The UTC datetime of a `time_key` (µs since 1970-01-01)."""
    return _EPOCH + timedelta(microseconds=us)


def day_label(day: int) -> str:
    """`2021-02-04` for a day number (days since 1970-01-01, UTC)."""
    return utc(day * DAY_US).date().isoformat()  # strftime does not pad years before 1000


def number(x: int | float | None) -> str:
    """The page's one number format: `1,178`; `29.5`, `1,234.25` (at most two decimals,
    trailing zeros dropped); `-3`; None as an en dash."""
    if x is None:
        return "–"
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def count(n: int, one: str, many: str | None = None) -> str:
    """`1 order`, `1,178 orders`: a count in the page's number format with its noun."""
    return f"{number(n)} {one if n == 1 else (many or one + 's')}"


def percent(ratio: float | None) -> str:
    """A ratio (compliance, 0..1) as a percentage in the page's number format: `49.03 %`."""
    return "–" if ratio is None else f"{number(round(ratio * 100, 2))} %"


_LIST_MAX = 6  # ids shown in a cell; the rest are counted


def cell(value: Any) -> str:
    """A table cell's HTML for a view value: lists cut at a few ids, reports as `n of m`."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (list, tuple)):
        shown = ", ".join(esc(v) for v in value[:_LIST_MAX]) or "–"
        more = len(value) - _LIST_MAX
        return shown + (f' <span class="more" title="{number(len(value))} in all">… and '
                        f"{number(more)} more</span>" if more > 0 else "")
    if isinstance(value, dict) and "actioned" in value:
        return reported(value)
    return esc(value)


def reported(value: dict) -> str:
    """A `reported` figure: `583 of 1,178` and who reported it."""
    return (f"{cell(value.get('actioned'))} of {cell(value.get('specified'))} "
            f'<span class="by">by {esc(value.get("reporter"))}</span>')


def _numbers_formatted(data: dict) -> dict:
    """`data` with its whole numbers of four digits or more written in the page's format
    (smaller ones stay numbers, so wording that compares a count with 1 still works)."""
    return {k: number(v) if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 1000
            else v for k, v in data.items()}


def event_summary(record: dict) -> str:
    """The timeline's one-line description (`docket log`), uncut, with the page's number
    format; the type for a record whose data the summary cannot read."""
    data = record.get("data")
    if isinstance(data, dict):
        try:
            return summary_line({**record, "data": _numbers_formatted(data)})
        except (KeyError, TypeError, AttributeError, ValueError):
            pass  # the wording does arithmetic on a number: word the record as it is
    try:
        return summary_line(record)
    except (KeyError, TypeError, AttributeError, ValueError):
        return record["type"]


def is_http(url: Any) -> bool:
    """True for a web address (only those become links: no `javascript:` or `file:`)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))
