"""How the report writes things: escaped text, table cells, UTC dates, type colours.

Shared by every part of the page, so that one value always reads the same wherever it shows.
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
    "day_label",
    "esc",
    "event_summary",
    "fmt_num",
    "is_http",
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
    return utc(day * DAY_US).strftime("%Y-%m-%d")


def fmt_num(x: float) -> str:
    """A number with at most one decimal, trailing zeros dropped (`2.5`, `3`)."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


_LIST_MAX = 6  # ids shown in a cell; the rest are counted


def cell(value: Any) -> str:
    """A table cell's HTML for a view value: lists cut at a few ids, reports as `n of m`."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(esc(v) for v in value[:_LIST_MAX]) or "–"
        more = len(value) - _LIST_MAX
        return shown + (f' <span class="more" title="{len(value)} in all">… and {more} more'
                        "</span>" if more > 0 else "")
    if isinstance(value, dict) and "actioned" in value:
        return (f"{esc(value['actioned'])} of {esc(value['specified'])} "
                f'<span class="by">by {esc(value["reporter"])}</span>')
    return esc(value)


def event_summary(record: dict) -> str:
    """The timeline's one-line description (`docket log`), uncut; the type for a record
    whose data the summary cannot read."""
    try:
        return summary_line(record)
    except (KeyError, TypeError, AttributeError):
        return record["type"]


def is_http(url: Any) -> bool:
    """True for a web address (only those become links: no `javascript:` or `file:`)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))
