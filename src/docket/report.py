"""`docket report`: one self-contained HTML page of a stream (issue 8).

The page holds a timeline (one mark per event on a date axis, coloured by type; one mark per
day when there are too many events to draw), the event list with sources, one chart per order
(targets blocked over time against the target count, deadline and notices marked), the
compliance table of SPEC §5 and the checkpoint of the log the page was made from.

Everything comes from the views: `EventLog.timeline`, `.state` and `.compliance`; the blocked
series of the charts is the views' own fold (`docket.projection.evolve`) read through
`docket.views.compliance.compliance_row` after each record, so no counting happens here.

The page is plain HTML with inline CSS and inline SVG: no script, no font or image from the
network, the same bytes for the same log (no wall-clock time in it). Every text is escaped.
"""

from __future__ import annotations

import bisect
import html
import inspect
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from .projection import evolve, initial
from .timeline import AMENDING
from .times import time_key, upper_bound
from .views.compliance import compliance_row

__all__ = ["build_report", "blocked_series", "checkpoint_of", "AGGREGATE_ABOVE"]

AGGREGATE_ABOVE = 2000
"""More events than this: the timeline draws one mark per day (with its count)."""

DETAIL_ROWS = 2000
"""In an aggregated page, at most this many events are listed one by one (whole types, in
order of importance); the others are summarised per day."""

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MOVES = ("accounts_blocked", "accounts_unblocked")

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

# Which types an aggregated page lists one by one first (most telling first).
_DETAIL_TIERS = (
    ("event_retracted", "event_corrected"),
    ("order_issued",),
    ("challenge_filed", "ruling_issued"),
    ("notice_sent",),
    ("dialogue_requested", "meeting_held", "statement_published"),
    ("compliance_reported",),
    ("acknowledgement_sent",),
)


# -- small helpers -------------------------------------------------------------------------
def _e(value: Any) -> str:
    """Escaped text (None as an en dash)."""
    return "–" if value is None else html.escape(str(value), quote=True)


def _colour(kind: str) -> str:
    return TYPE_COLOURS.get(kind, _OTHER_COLOUR)


def _dt(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _day_label(day: int) -> str:
    """`2021-02-04` for a day number (days since 1970-01-01, UTC)."""
    return _dt(day * _DAY_US).strftime("%Y-%m-%d")


def _fmt_num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


_LIST_MAX = 6  # ids shown in a cell; the rest are counted


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(_e(v) for v in value[:_LIST_MAX]) or "–"
        more = len(value) - _LIST_MAX
        return shown + (f' <span class="more" title="{len(value)} in all">… and {more} more'
                        "</span>" if more > 0 else "")
    if isinstance(value, dict) and "actioned" in value:
        return (f"{_e(value['actioned'])} of {_e(value['specified'])} "
                f'<span class="by">by {_e(value["reporter"])}</span>')
    return _e(value)


def _summary(record: dict) -> str:
    """The CLI's one-line description (`docket log`), untruncated where it allows."""
    from .cli_read import _summary as summary

    try:
        if "width" in inspect.signature(summary).parameters:
            return summary(record, width=100_000)
        return summary(record)
    except (KeyError, TypeError, AttributeError):
        return record["type"]


def _http(url: Any) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


# -- the fold: blocked over time -------------------------------------------------------------
def _orders_touched(state: dict, record: dict) -> tuple:
    """The orders whose blocked count `record` may change (read before it is folded)."""
    kind, d = record["type"], record["data"]
    oid = d.get("order_id")
    if kind == "order_issued":
        return (oid,)
    if kind == "accounts_blocked":
        return (oid,) if oid is not None else ()
    if kind != "accounts_unblocked":
        return ()
    touched = {oid: True} if oid is not None else {}
    accounts = state["accounts"]
    named = list(d.get("targets") or ())
    order = state["orders"].get(oid)
    if d.get("all_targets") and order is not None:
        named += order["targets"] or ()
    for target in named:  # an account restored leaves every order holding it
        acc = accounts.get(target)
        if acc is not None:
            touched.update(acc["orders"])
    return tuple(touched)


def _order_refs(state: dict, record: dict) -> Iterable[str]:
    """The orders a record names (directly, or through a notice it acknowledges)."""
    d = record["data"]
    if d.get("order_id") is not None:
        yield d["order_id"]
    yield from d.get("order_ids") or ()
    if record["type"] == "acknowledgement_sent":
        ref = d.get("ref_id")
        if ref in state["orders"]:
            yield ref
        notice = state["notices"].get(ref)
        if notice is not None:
            yield from notice["order_ids"]


def _keys(records: list[dict]) -> list[int]:
    """`time_key(occurred_at)` of each record (parsed once per distinct value)."""
    parsed: dict[str, int] = {}
    out = []
    for record in records:
        at = record["occurred_at"]
        key = parsed.get(at)
        if key is None:
            key = parsed[at] = time_key(at)
        out.append(key)
    return out


def blocked_series(records: Iterable[dict], stream: str,
                   keys: Iterable[int] | None = None) -> dict[str, dict]:
    """Fold timeline records (replay order) as the views do and follow each order.

    Returns `{order_id: {"blocked": [(us, blocked), ...], "times": [us, ...],
    "reports": [(us, record data), ...]}}`: `blocked` has a point at the order's issue and
    after every record that changed its count (the value of `compliance_row(...)["blocked"]`
    after that record; several records at one instant keep the last value); `times` are the
    instants of every record naming the order; `reports` its `compliance_reported` records.
    Retracted records and the amending records themselves are skipped, as in the views.
    `keys`: the records' `time_key(occurred_at)`, when the caller has them already.
    """
    state = initial()
    out: dict[str, dict] = {}
    records = list(records)
    if keys is None:
        keys = _keys(records)
    for record, at in zip(records, keys, strict=True):
        if record.get("retracted") is not None or record["type"] in AMENDING:
            continue
        touched = _orders_touched(state, record)
        evolve(state, record)
        refs = dict.fromkeys(_order_refs(state, record))
        if not touched and not refs:
            continue
        for oid in refs:
            entry = out.get(oid)
            if entry is None and oid in state["orders"]:
                entry = out[oid] = {"blocked": [], "times": [], "reports": []}
            if entry is not None:
                entry["times"].append(at)
                if record["type"] == "compliance_reported":
                    entry["reports"].append((at, record["data"]))
        for oid in touched:
            if oid not in state["orders"]:
                continue
            blocked = compliance_row(state, oid, stream=stream, ref_time_us=None,
                                     notice_ids=[])["blocked"]
            points = out.setdefault(oid, {"blocked": [], "times": [at], "reports": []})["blocked"]
            if points and points[-1][0] == at:
                points[-1] = (at, blocked)
            elif not points or points[-1][1] != blocked or record["type"] == "order_issued":
                points.append((at, blocked))
    return out


# -- checkpoint ----------------------------------------------------------------------------
def checkpoint_of(log) -> dict:
    """The log's checkpoint: `EventLog.checkpoint()` when it exists, else size and the RFC 6962
    root over the stored bodies in seq order (and the head hash)."""
    method = getattr(log, "checkpoint", None)
    if callable(method):
        cp = dict(method())
        return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in cp.items()}
    from . import merkle

    with log.store.read() as conn:
        bodies = [bytes(body) for (body,) in conn.execute("SELECT body FROM events ORDER BY seq")]
        head = conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return {"size": len(bodies), "root": merkle.root(bodies).hex(),
            "head": head[0] if head else None}


# -- date axes -----------------------------------------------------------------------------
_HOUR_STEPS = (1, 3, 6, 12)
_DAY_STEPS = (1, 2, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60)


def _add_months(d: datetime, k: int) -> datetime:
    m = d.month - 1 + k
    return d.replace(year=d.year + m // 12, month=m % 12 + 1, day=1)


def _ticks(a: int, b: int, width: float, min_px: float = 70) -> list[tuple[int, str]]:
    """Date ticks in [a, b] (UTC µs) spaced at least `min_px` apart on `width` pixels."""
    span = max(b - a, 1)
    room = max(int(width // min_px), 1)
    out: list[tuple[int, str]] = []
    for hours in _HOUR_STEPS:
        step = hours * _HOUR_US
        if span / step <= room:
            t = -(-a // step) * step
            while t <= b:
                d = _dt(t)
                out.append((t, d.strftime("%d %b %H:%M").lstrip("0")))
                t += step
            return out
    for days in _DAY_STEPS:
        step = days * _DAY_US
        if span / step <= room:
            first = -(-a // _DAY_US)
            if days == 7:  # Mondays (day 4 of the epoch was a Monday)
                first += (4 - first) % 7
            t = first * _DAY_US
            while t <= b:
                out.append((t, _dt(t).strftime("%d %b").lstrip("0")))
                t += step
            if out:
                out[0] = (out[0][0], out[0][1] + _dt(out[0][0]).strftime(" %Y"))
            return out
    for months in _MONTH_STEPS:
        if span / (30.44 * _DAY_US * months) <= room:
            d = _add_months(_dt(a).replace(hour=0, minute=0, second=0, microsecond=0), 0)
            if d < _dt(a):
                d = _add_months(d, 1)
            while (d.year * 12 + d.month - 1) % months:
                d = _add_months(d, 1)
            while (t := time_key(d.strftime("%Y-%m-%d"))) <= b:
                out.append((t, d.strftime("%Y" if months >= 12 else "%b %Y")))
                d = _add_months(d, months)
            return out
    return [(a, _dt(a).strftime("%Y")), (b, _dt(b).strftime("%Y"))]


class BrokenAxis:
    """A date axis that compresses long empty stretches: the instants are grouped into
    clusters separated by gaps longer than a threshold; each cluster is linear, and each gap
    is drawn as a short break (two slashes). Widths mix each cluster's time span and its
    share of the marks, so a busy fortnight is not squeezed by a quiet year."""

    BREAK_W = 26.0
    MIN_W = 80.0
    MAX_CLUSTERS = 8

    def __init__(self, instants: list[int], x0: float, width: float) -> None:
        instants = sorted(instants)
        self.x0, self.width = x0, width
        if not instants:
            instants = [0]
        days = sorted({t // _DAY_US for t in instants})
        span = days[-1] - days[0]
        gaps = sorted(((days[i + 1] - days[i], i) for i in range(len(days) - 1)), reverse=True)
        threshold = max(45, 0.08 * span)
        cuts = sorted(i for g, i in gaps[: self.MAX_CLUSTERS - 1] if g > threshold)
        groups, lo = [], 0
        for i in cuts:
            groups.append((days[lo], days[i]))
            lo = i + 1
        groups.append((days[lo], days[-1]))
        # Each cluster covers whole days, padded a little so marks stay off its edges.
        self.spans: list[tuple[int, int]] = []
        for d0, d1 in groups:
            pad = max(_DAY_US // 2, (d1 - d0 + 1) * _DAY_US // 30)
            self.spans.append((d0 * _DAY_US - pad, (d1 + 1) * _DAY_US + pad))
        counts = [0] * len(self.spans)
        starts = [s for s, _ in self.spans]
        for t in instants:
            counts[max(bisect.bisect_right(starts, t) - 1, 0)] += 1
        total_span = sum(b - a for a, b in self.spans)
        n = len(self.spans)
        free = width - self.BREAK_W * (n - 1) - self.MIN_W * n
        weights = [0.5 * (b - a) / total_span + 0.5 * c / len(instants)
                   for (a, b), c in zip(self.spans, counts, strict=True)]
        self.segments: list[tuple[int, int, float, float]] = []  # (t0, t1, x_left, x_right)
        x = x0
        for (a, b), w in zip(self.spans, weights, strict=True):
            seg_w = self.MIN_W + max(free, 0) * w
            self.segments.append((a, b, x, x + seg_w))
            x += seg_w + self.BREAK_W
        self._starts = starts

    def x(self, t: int) -> float:
        i = max(bisect.bisect_right(self._starts, t) - 1, 0)
        a, b, xl, xr = self.segments[i]
        return xl + (xr - xl) * (min(max(t, a), b) - a) / (b - a)

    def day_width(self, day: int) -> float:
        return self.x((day + 1) * _DAY_US) - self.x(day * _DAY_US)

    def svg(self, y: float) -> str:
        """The axis line(s), breaks and tick labels at height `y`."""
        parts = []
        for a, b, xl, xr in self.segments:
            parts.append(f'<line class="axis" x1="{xl:.1f}" y1="{y}" x2="{xr:.1f}" y2="{y}"/>')
            for t, label in _ticks(a, b, xr - xl):
                tx = xl + (xr - xl) * (t - a) / (b - a)
                parts.append(f'<line class="tick" x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" '
                             f'y2="{y + 5}"/><text class="tick-label" x="{tx:.1f}" '
                             f'y="{y + 18}">{_e(label)}</text>')
        for _, _, _, xr in self.segments[:-1]:
            bx = xr + self.BREAK_W / 2
            parts.append(f'<g class="axis-break"><line x1="{bx - 6:.1f}" y1="{y + 6}" '
                         f'x2="{bx - 1:.1f}" y2="{y - 6}"/><line x1="{bx + 1:.1f}" '
                         f'y1="{y + 6}" x2="{bx + 6:.1f}" y2="{y - 6}"/></g>')
        return "".join(parts)


# -- timeline ------------------------------------------------------------------------------
def _mark_title(record: dict) -> str:
    text = (f"{record['occurred_at']} · {record['type']} · {record.get('actor') or '–'}: "
            f"{_summary(record)}")
    if record.get("retracted"):
        text += f" [retracted: {record['retracted']['reason']}]"
    return text


def _timeline_svg(records: list[dict], keys: list[int], aggregated: bool) -> str:
    width, x0, x1 = 1200.0, 20.0, 1180.0
    if not records:
        return '<p class="empty">No events in this selection.</p>'
    axis = BrokenAxis(keys, x0, x1 - x0)
    marks: list[str] = []
    if not aggregated:
        r, gap = 7.0, 2.0
        rows: list[float] = []  # right edge of the last mark in each row
        placed = []
        for record, t in zip(records, keys, strict=True):
            cx = axis.x(t)
            row = next((i for i, edge in enumerate(rows) if cx - edge >= 2 * r + gap), None)
            if row is None:
                rows.append(cx)
                row = len(rows) - 1
            rows[row] = cx
            placed.append((record, cx, row))
        n_rows = max(len(rows), 1)
        axis_y = 20 + n_rows * (2 * r + gap) + 6
        for record, cx, row in placed:
            cy = axis_y - 6 - r - row * (2 * r + gap)
            colour = _colour(record["type"])
            retracted = record.get("retracted") is not None
            cls = "tl-mark tl-retracted" if retracted else "tl-mark"
            fill = "#fff" if retracted else colour
            marks.append(
                f'<a href="#ev-{record["seq"]}"><circle class="{cls}" data-type="'
                f'{_e(record["type"])}" cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}" '
                f'stroke="{colour}"><title>{_e(_mark_title(record))}</title></circle></a>')
    else:
        by_day: dict[int, dict[str, int]] = {}
        for record, t in zip(records, keys, strict=True):
            kinds = by_day.setdefault(t // _DAY_US, {})
            kinds[record["type"]] = kinds.get(record["type"], 0) + 1
        peak = max(sum(k.values()) for k in by_day.values())
        bar_h = 140.0
        axis_y = 20 + bar_h + 4
        for day, kinds in sorted(by_day.items()):
            total = sum(kinds.values())
            xl = axis.x(day * _DAY_US)
            w = max(axis.day_width(day) - 0.5, 1.0)
            h = max(bar_h * total / peak, 2.0)
            y = axis_y - h
            title = f"{_day_label(day)}: {total} events (" + ", ".join(
                f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])) + ")"
            rects = []
            for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
                kh = h * n / total
                rects.append(f'<rect x="{xl:.2f}" y="{y:.2f}" width="{w:.2f}" '
                             f'height="{kh:.2f}" fill="{_colour(kind)}"/>')
                y += kh
            marks.append(f'<a href="#d-{_day_label(day)}"><g class="tl-mark" data-count="'
                         f'{total}"><title>{_e(title)}</title>{"".join(rects)}</g></a>')
    height = axis_y + 30
    return (f'<svg class="timeline" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
            f'role="img" aria-label="timeline of {len(records)} events">'
            + "".join(marks) + axis.svg(axis_y) + "</svg>")


def _legend(records: list[dict]) -> str:
    counts: dict[str, int] = {}
    for record in records:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    order = list(TYPE_COLOURS) + sorted(set(counts) - set(TYPE_COLOURS))
    items = [f'<li><span class="swatch" style="background:{_colour(k)}"></span>{_e(k)} '
             f'<span class="count">{counts[k]}</span></li>' for k in order if k in counts]
    if any(r.get("retracted") for r in records):
        items.append('<li><span class="swatch hollow"></span>retracted (hollow)</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"


# -- event list ----------------------------------------------------------------------------
def _sources(record: dict) -> str:
    out = []
    for s in record.get("sources") or ():
        title = _e(s.get("title") or s.get("url") or "source")
        when = f' <span class="published">{_e(s["published"])}</span>' if s.get("published") else ""
        if _http(s.get("url")):
            out.append(f'<li><a href="{_e(s["url"])}" rel="noreferrer">{title}</a>{when}</li>')
        else:
            out.append(f"<li>{title}{when}</li>")
    return '<ul class="sources">' + "".join(out) + "</ul>" if out else ""


def _event_row(record: dict, anchor_day: str | None) -> str:
    kind = record["type"]
    retraction = record.get("retracted")
    what = _e(_summary(record))
    quote = record["data"].get("quote") if isinstance(record.get("data"), dict) else None
    if quote:
        what += f' <q class="quote">{_e(quote)}</q>'
    when = _e(record["occurred_at"])
    if retraction is not None:
        what = (f"<del>{what}</del><div class=\"retraction\">retracted by "
                f"{_e(retraction['id'])}: {_e(retraction['reason'])}</div>")
        when = f"<del>{when}</del>"
    ids = f' id="d-{anchor_day}"' if anchor_day else ""
    cls = ' class="retracted"' if retraction is not None else ""
    return (f'<tr{cls}><td class="when"{ids}><span id="ev-{record["seq"]}"></span>{when}</td>'
            f'<td class="type"><span class="swatch" style="background:{_colour(kind)}"></span>'
            f'{_e(kind)}</td><td class="actor">{_e(record.get("actor"))}</td>'
            f'<td class="what"><div class="summary">{what}</div>{_sources(record)}</td>'
            f'<td class="confidence">{_e(record.get("confidence"))}</td></tr>')


def _detailed_types(records: list[dict]) -> set[str]:
    """The types an aggregated page lists one by one: whole tiers, while they fit."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    chosen: set[str] = set()
    total = 0
    for tier in _DETAIL_TIERS:
        n = sum(counts.get(k, 0) for k in tier)
        if total + n > DETAIL_ROWS:
            break
        chosen.update(tier)
        total += n
    return chosen


def _event_table(records: list[dict], keys: list[int], aggregated: bool) -> str:
    head = ("<table class=\"events\"><thead><tr><th>occurred</th><th>type</th><th>actor</th>"
            "<th>what, and its sources</th><th>confidence</th></tr></thead><tbody>")
    rows: list[str] = []
    detailed = _detailed_types(records) if aggregated else None
    day_seen: set[int] = set()
    pending: dict[str, int] = {}
    pending_day: int | None = None

    def flush() -> None:
        if pending_day is None or not pending:
            return
        label = _day_label(pending_day)
        anchor = "" if pending_day in day_seen else f' id="d-{label}"'
        day_seen.add(pending_day)
        what = ", ".join(f"{n} {k}" for k, n in sorted(pending.items(), key=lambda kv: -kv[1]))
        rows.append(f'<tr class="day-summary"><td class="when"{anchor}>{label}</td>'
                    f'<td class="type">{sum(pending.values())} events</td><td></td>'
                    f'<td colspan="2">{_e(what)} <span class="hint">(each one: '
                    f'<code>docket log --from {label} --as-of {label}</code>)</span></td></tr>')
        pending.clear()

    for record, t in zip(records, keys, strict=True):
        day = t // _DAY_US
        if aggregated and day != pending_day:
            flush()
            pending_day = day
        if detailed is None or record["type"] in detailed or record.get("retracted"):
            anchor = None
            if day not in day_seen:
                day_seen.add(day)
                anchor = _day_label(day)
            rows.append(_event_row(record, anchor))
        else:
            pending[record["type"]] = pending.get(record["type"], 0) + 1
    flush()
    if not rows:
        return '<p class="empty">No events in this selection.</p>'
    note = ""
    if aggregated:
        listed = sorted(detailed or ())
        note = (f'<p class="note">{len(records)} events: listed one by one are '
                f'{_e(", ".join(listed)) if listed else "retracted events only"}; '
                "the others are summarised per day.</p>")
    return note + head + "".join(rows) + "</tbody></table>"


# -- per-order charts ----------------------------------------------------------------------
def _downsample(points: list[tuple[float, float]], px: float = 1.0) -> list[tuple[float, float]]:
    """Step points in pixel space, at most ~4 per pixel column (first, min, max, last)."""
    if len(points) < 2000:
        return points
    out: list[tuple[float, float]] = []
    col: list[tuple[float, float]] = []
    for p in points:
        if col and int(p[0] / px) != int(col[0][0] / px):
            ys = [q[1] for q in col]
            out += [col[0], (col[0][0], min(ys)), (col[0][0], max(ys)), (col[-1][0], col[-1][1])]
            col = []
        col.append(p)
    if col:
        ys = [q[1] for q in col]
        out += [col[0], (col[0][0], min(ys)), (col[0][0], max(ys)), (col[-1][0], col[-1][1])]
    return out


def _order_chart(row: dict, info: dict | None, notices: list[tuple[str, dict]]) -> str:
    oid = row["order_id"]
    info = info or {"blocked": [], "times": [], "reports": []}
    issued = time_key(row["issued_at"])
    points = info["blocked"] or [(issued, 0)]
    instants = [issued, *info["times"], *(p[0] for p in points)]
    instants += [time_key(n["sent_at"]) for _, n in notices]
    # A day-precision deadline runs to the end of that day (as `overdue` judges it).
    deadline = upper_bound(row["deadline"]) if row.get("deadline") else None
    if deadline is not None:
        instants.append(deadline)
    a, b = min(instants), max(instants)
    if b - a < _DAY_US:
        b = a + _DAY_US
    pad = (b - a) // 20
    a, b = a - pad, b + pad
    W, H, L, R, T, B = 1200.0, 250.0, 64.0, 1170.0, 34.0, 206.0

    def x(t: int) -> float:
        return L + (R - L) * (t - a) / (b - a)

    tc = row.get("target_count")
    peak = max([p[1] for p in points] + [tc or 0] + [d.get("actioned") or 0
                                                     for _, d in info["reports"]] + [1])
    top = peak * 1.12

    def y(v: float) -> float:
        return B - (B - T) * v / top

    parts = [f'<svg class="order-chart" data-order="{_e(oid)}" viewBox="0 0 {W:.0f} {H:.0f}" '
             f'width="100%" role="img" aria-label="blocked over time under {_e(oid)}">']
    # y grid and labels
    step = _nice_step(top / 4)
    v = 0.0
    while v <= top:
        parts.append(f'<line class="grid" x1="{L}" y1="{y(v):.1f}" x2="{R}" y2="{y(v):.1f}"/>'
                     f'<text class="y-label" x="{L - 6}" y="{y(v) + 4:.1f}">{_fmt_num(v)}</text>')
        v += step
    # x axis
    parts.append(f'<line class="axis" x1="{L}" y1="{B}" x2="{R}" y2="{B}"/>')
    for t, label in _ticks(a, b, R - L, 90):
        parts.append(f'<line class="tick" x1="{x(t):.1f}" y1="{B}" x2="{x(t):.1f}" y2="{B + 5}"/>'
                     f'<text class="tick-label" x="{x(t):.1f}" y="{B + 18}">{_e(label)}</text>')
    # notices and deadline: vertical lines
    label_notices = len(notices) <= 6
    for i, (nid, n) in enumerate(notices):
        nx = x(time_key(n["sent_at"]))
        ack = f", acknowledged {n['acknowledged_at']}" if n.get("acknowledged_at") else ""
        text = f"notice {nid} ({n['kind']}) sent {n['sent_at']}{ack}"
        dense = "" if label_notices else " dense"
        parts.append(f'<g class="notice-line{dense}"><line x1="{nx:.1f}" y1="{T - 6}" '
                     f'x2="{nx:.1f}" y2="{B}"/><title>{_e(text)}</title></g>')
        if label_notices:
            parts.append(f'<text class="v-label notice-label" x="{nx + 3:.1f}" '
                         f'y="{T + 4 + 12 * (i % 3):.1f}">{_e(nid)}</text>')
    if deadline is not None:
        dx = x(deadline)
        end = " (the end of that day)" if len(row["deadline"]) == 10 else ""
        parts.append(f'<g class="deadline-line"><line x1="{dx:.1f}" y1="{T - 6}" x2="{dx:.1f}" '
                     f'y2="{B}"/><title>{_e("deadline " + row["deadline"] + end)}</title></g>'
                     f'<text class="v-label deadline-label" x="{dx + 3:.1f}" y="{B - 6}">'
                     f'deadline</text>')
    # target count
    if tc is not None:
        parts.append(f'<g class="target-line"><line x1="{L}" y1="{y(tc):.1f}" x2="{R}" '
                     f'y2="{y(tc):.1f}"/><title>target count {tc}</title></g>'
                     f'<text class="target-label" x="{R - 4}" y="{y(tc) - 5:.1f}">'
                     f'target {tc}</text>')
    # the step line of blocked
    steps: list[tuple[float, float]] = []
    prev = None
    for t, v in points:
        px, py = x(t), y(v)
        if prev is not None:
            steps.append((px, prev))
        steps.append((px, py))
        prev = py
    steps.append((R, prev))  # held to the right edge: the count as it stands
    coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in _downsample(steps))
    last = points[-1][1]
    parts.append(f'<polyline class="blocked-line" points="{coords}"><title>blocked under '
                 f'{_e(oid)}: {len(points)} changes, {last} at the end</title></polyline>')
    # reported figures
    for t, d in info["reports"]:
        rx, ry = x(t), y(d.get("actioned") or 0)
        text = (f"reported {d.get('actioned')} of {d.get('specified')} actioned "
                f"({d.get('reporter')})")
        parts.append(f'<path class="report-mark" d="M{rx:.1f},{ry - 6:.1f} l6,6 l-6,6 l-6,-6 z">'
                     f'<title>{_e(text)}</title></path><text class="report-label" '
                     f'x="{rx - 9:.1f}" y="{ry + 4:.1f}">reported {_e(d.get("actioned"))}</text>')
    parts.append(f'<text class="chart-caption" x="{L}" y="16">blocked under {_e(oid)} '
                 f"(step line) · target count (dashed) · notices (purple) · deadline (red)"
                 + (" · reported figures (◆)" if info["reports"] else "") + "</text>")
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return max(m * mag, 1.0)
    return 10 * mag


_FIGURES = (("target_count", "target count"), ("blocked", "blocked now"),
            ("ever_blocked", "ever blocked"), ("restored", "restored"),
            ("compliance", "compliance"), ("status", "status"),
            ("first_action_at", "first action"), ("hours_to_first_action", "hours to first action"),
            ("deadline", "deadline"), ("overdue", "overdue"), ("notices", "notices"),
            ("acknowledged", "acknowledged"), ("reported", "reported"))


def _figures(row: dict) -> str:
    cells = []
    for key, label in _FIGURES:
        value = row.get(key)
        text = (f"{value * 100:.2f} %" if key == "compliance" and value is not None
                else _cell(value))
        cells.append(f'<div><dt>{_e(label)}</dt><dd class="fig-{key}">{text}</dd></div>')
    return '<dl class="figures">' + "".join(cells) + "</dl>"


def _order_section(row: dict, info: dict | None, view: dict) -> str:
    oid = row["order_id"]
    notices = sorted(((nid, view["notices"][nid]) for nid in row.get("notices") or ()
                      if nid in view["notices"]), key=lambda kv: time_key(kv[1]["sent_at"]))
    meta = " · ".join(_e(v) for v in (
        f"issued {row['issued_at']}", f"{row.get('issuer')} → {row.get('platform')}",
        row.get("legal_basis"), row.get("procedure")) if v)
    return (f'<section class="order" id="order-{_e(oid)}"><h3>{_e(oid)} '
            f'<span class="status status-{_e(row["status"])}">{_e(row["status"])}</span></h3>'
            f'<p class="meta">{meta}</p>{_order_chart(row, info, notices)}'
            f"{_figures(row)}</section>")


# -- compliance table and checkpoint -------------------------------------------------------
_TABLE = ("order_id", "issued_at", "procedure", "target_count", "blocked",
          "ever_blocked", "restored", "compliance", "status", "first_action_at",
          "hours_to_first_action", "deadline", "overdue", "notices", "acknowledged", "reported")


_TIMES = ("issued_at", "first_action_at", "deadline")
_HEADS = {"order_id": "order", "issued_at": "issued", "target_count": "targets",
          "ever_blocked": "ever blocked", "first_action_at": "first action",
          "hours_to_first_action": "hours to act", "acknowledged": "ack’d"}


def _table_cell(row: dict, column: str) -> str:
    value = row.get(column)
    if column == "reported" and value:
        return (f'<span title="reported by {_e(value["reporter"])}">{_e(value["actioned"])} of '
                f'{_e(value["specified"])}</span>')
    if column in _TIMES and value:
        return _e(value).replace("T", "<wbr>T", 1)  # may wrap before the time of day
    return _cell(value)


def _compliance_table(rows: list[dict]) -> str:
    if not rows:
        return '<p class="empty">No orders in this selection.</p>'
    head = "".join(f'<th title="{c}">{_e(_HEADS.get(c, c))}</th>' for c in _TABLE)
    body = "".join("<tr>" + "".join(f'<td class="c-{c}">{_table_cell(r, c)}</td>'
                                    for c in _TABLE) + "</tr>" for r in rows)
    return (f'<div class="scroll"><table class="compliance"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _checkpoint_block(cp: dict, view: dict) -> str:
    items = [("log size (events)", cp.get("size")), ("Merkle root (RFC 6962)", cp.get("root")),
             ("head hash", cp.get("head"))]
    items += [(k, v) for k, v in cp.items() if k not in ("size", "root", "head")]
    items += [("stream version", view.get("version")), ("last seq in these views",
                                                       view.get("last_seq")),
              ("views fingerprint", view.get("fingerprint"))]
    return '<dl class="checkpoint">' + "".join(
        f"<div><dt>{_e(k)}</dt><dd><code>{_e(v)}</code></dd></div>" for k, v in items
        if v is not None) + "</dl>"


# -- the page ------------------------------------------------------------------------------
_CSS = """
:root{--ink:#1c2833;--muted:#5d6d7e;--rule:#d5d8dc;--bg:#fff;--band:#f4f6f7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;
 border-bottom:2px solid var(--ink);padding-bottom:4px}h3{font-size:16px;margin:0 0 2px}
.sub{color:var(--muted);margin:0 0 8px}.sub code{color:var(--ink)}
.note,.meta,.hint{color:var(--muted)}.meta{margin:0 0 6px}
svg{display:block;overflow:visible}svg text{font-family:inherit}
.axis{stroke:var(--ink);stroke-width:1}.tick{stroke:var(--ink)}
.tick-label{font-size:12px;text-anchor:middle;fill:var(--ink)}
.axis-break line{stroke:var(--ink);stroke-width:1.5}
.tl-mark{stroke-width:1.5}circle.tl-mark:hover,g.tl-mark:hover{opacity:.7}
.tl-retracted{stroke-dasharray:2 1.5}
.legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:4px 16px;
 font-size:13px}.legend .count{color:var(--muted)}
.swatch{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;
 vertical-align:-1px}.swatch.hollow{border:1.5px dashed var(--ink);background:#fff}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;background:var(--band);font-weight:600;border-bottom:1px solid var(--rule)}
th,td{padding:5px 7px;vertical-align:top;border-bottom:1px solid var(--rule)}
td.when{white-space:nowrap;font-variant-numeric:tabular-nums}td.type{white-space:nowrap}
td.confidence{color:var(--muted)}
td.actor{max-width:170px}.summary{margin-bottom:3px}
q.quote{color:var(--muted);font-style:italic}
ul.sources{margin:0;padding-left:16px;font-size:12px}ul.sources li{margin:0 0 1px}
.published{color:var(--muted)}a{color:#1f618d}
tr.retracted td{background:#fdf2e9}del{text-decoration-thickness:1.5px}
.retraction{color:#a04000;font-weight:600;margin-top:2px}
tr.day-summary td{background:var(--band)}
section.order{margin:18px 0 26px;padding:14px 16px;border:1px solid var(--rule);border-radius:6px}
.status{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;margin-left:6px;
 vertical-align:2px;background:#eaecee}
.status-complied{background:#d5f5e3}.status-partial{background:#fcf3cf}
.status-reverted{background:#fadbd8}.status-pending{background:#e5e8e8}
.order-chart .grid{stroke:#eaecee}.y-label{font-size:11px;text-anchor:end;fill:var(--muted)}
.blocked-line{fill:none;stroke:#e67e22;stroke-width:2.5;stroke-linejoin:round}
.target-line line{stroke:var(--ink);stroke-width:1.3;stroke-dasharray:6 4}
.target-label{font-size:12px;text-anchor:end;fill:var(--ink)}
.notice-line line{stroke:#8e44ad;stroke-width:1.5}
.notice-line.dense line{stroke-width:1;opacity:.35}
.more{font-weight:400;color:var(--muted);white-space:nowrap}
.notice-label{fill:#8e44ad}
.deadline-line line{stroke:#c0392b;stroke-width:1.8;stroke-dasharray:3 3}
.deadline-label{fill:#c0392b}.v-label{font-size:11px}
.report-mark{fill:#d4ac0d;stroke:#7d6608;stroke-width:1}
.report-label{font-size:11px;text-anchor:end;fill:#7d6608}.by{display:block;font-weight:400;
 font-size:12px;color:var(--muted)}
.chart-caption{font-size:12px;fill:var(--muted)}
dl.checkpoint div{display:flex;gap:12px;align-items:baseline}dl.checkpoint dt{width:190px;flex:none}
dl.figures,dl.checkpoint{display:grid;grid-template-columns:repeat(auto-fill,minmax(225px,1fr));
 gap:6px 14px;margin:10px 0 0}dl.checkpoint{grid-template-columns:1fr}
dl div{min-width:0}dt{font-size:11px;text-transform:uppercase;letter-spacing:.03em;
 color:var(--muted)}dd{margin:0;font-weight:600}dl.checkpoint dd{overflow-wrap:anywhere}
dl.checkpoint dd{font-weight:400}code{font-size:12px}
.scroll{overflow-x:auto}.compliance{font-size:12px}.compliance td{white-space:nowrap}
.compliance td,.compliance th{padding:5px 5px}
.compliance td.c-notices,.compliance td.c-first_action_at,
.compliance td.c-deadline{white-space:normal}.compliance td.c-notices{min-width:90px}
.empty{color:var(--muted);font-style:italic}
footer{margin-top:36px;color:var(--muted);font-size:12px}
@media print{main{max-width:none}section.order{break-inside:avoid}}
"""


def build_report(log, stream: str | None = None, as_of: str | None = None,
                 known_at: str | None = None) -> str:
    """The report page of one stream (the only one when `stream` is None), as HTML text.

    Reads the views of `log` (an `EventLog`) at `as_of`/`known_at`; the page is the same
    for the same log and arguments.
    """
    view = log.state(stream, as_of=as_of, known_at=known_at)
    stream = view["stream"]
    rows = log.compliance(stream, as_of=as_of, known_at=known_at)
    records = log.timeline(stream, as_of=as_of, known_at=known_at)
    cp = checkpoint_of(log)
    keys = _keys(records)
    aggregated = len(records) > AGGREGATE_ABOVE
    series = blocked_series(records, stream, keys)

    days = len({k // _DAY_US for k in keys})
    span = (f"from {_day_label(min(keys) // _DAY_US)} to {_day_label(max(keys) // _DAY_US)}"
            if keys else "")
    selection = (f"as of <code>{_e(as_of or 'now')}</code>, known at "
                 f"<code>{_e(known_at or 'now')}</code>")
    marks_note = (f"one mark per day ({days} days; bar height = events that day), "
                  f"since there are more than {AGGREGATE_ABOVE} events"
                  if aggregated else "one mark per event, stacked where they would overlap")
    retracted = sum(1 for r in records if r.get("retracted"))
    orders = "".join(_order_section(r, series.get(r["order_id"]), view)
                     for r in rows) or '<p class="empty">No orders in this selection.</p>'
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Docket report: {_e(stream)}</title><style>{_CSS}</style></head><body><main>",
        f'<header><h1>Docket report: <span class="stream">{_e(stream)}</span></h1>',
        f'<p class="sub">{len(records)} events {span} on {days} days · {len(rows)} orders · '
        f"{retracted} retracted · {selection}</p></header>",
        '<h2 id="timeline">Timeline</h2>',
        f'<p class="note">Dates in UTC; {marks_note}. Long quiet stretches are cut from the '
        "axis (//). Hover a mark for its event; click it to jump to its row.</p>",
        _timeline_svg(records, keys, aggregated),
        _legend(records),
        '<h2 id="orders">Orders: targets blocked over time</h2>',
        orders,
        '<h2 id="compliance">Compliance (SPEC §5)</h2>',
        _compliance_table(rows),
        '<h2 id="events">Events</h2>',
        _event_table(records, keys, aggregated),
        '<h2 id="checkpoint">Checkpoint</h2>',
        '<p class="note">The log this page was made from; <code>docket checkpoint</code> and '
        "<code>docket verify --checkpoint</code> check a log against it.</p>",
        _checkpoint_block(cp, view),
        "<footer>Made by <code>docket report</code> from the views of the log "
        "(the same as <code>docket log</code>, <code>docket state</code> and "
        "<code>docket compliance</code>). Self-contained: no scripts, nothing loaded from the "
        "network.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"
