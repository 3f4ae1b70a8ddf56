"""One order's section of the report: its chart (targets blocked over time against the
target count, deadline, notices and reported figures marked) and its figures.

The chart is drawn for the view now. For the date control it carries what the script needs to
show it as of a day without drawing anything: the frame each notice and report belongs to
(`data-f`), and the x of any instant (`data-d0`, `data-ppd`: the day number at the left edge
and the pixels per day of its linear axis), where a cursor goes and the step line is cut.
Labels are laid out so that none touches another (`docket.report.labels`).
"""

from __future__ import annotations

from typing import Callable

from ..times import time_key, upper_bound
from .axis import tick_labels, ticks
from .dated import Column
from .format import DAY_US, count, esc, number
from .labels import Box, Label, place, text_box
from .sections import FIGURES, figure_head

__all__ = ["order_section"]

W, H, L, R, T, B = 1200.0, 250.0, 64.0, 1170.0, 34.0, 206.0
_VALUE_SIZE = 11.0  # px: .v-label, .report-label
_TARGET_SIZE = 12.0  # px: .target-label, .chart-caption
_LABELLED = 6  # more notices (or reports) than this: lines (marks) only, each with hover text


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


def _changes(points: list) -> str:
    """`2 changes`: the points of a blocked series after the first (the order's issue)."""
    return count(len(points) - 1, "change") if len(points) > 1 else "no change"


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return max(m * mag, 1.0)
    return 10 * mag


def _stacked(x: float, y: float, dy: float, n: int, anchors=("start", "end"),
             dx: float = 3.0) -> list[tuple[float, float, str]]:
    """Places beside a vertical line at x: right of it (then left), stepping by dy."""
    return [(x + dx if a == "start" else x - dx, y + i * dy, a)
            for a in anchors for i in range(n)]


def _labels(chart_labels: list[tuple[str, str, float, list, str]], obstacles: list[Box]
            ) -> list[str]:
    """The `<text>` of each chart label that found a free place (a label that found none is
    left out: its line or mark still has its hover text). Items: (css class, text, font
    size, candidate places, extra attributes)."""
    within = Box(L, 19, W, B + 2)
    spots = place([Label(text, size, cands) for _, text, size, cands, _ in chart_labels],
                  obstacles, within)
    out = []
    for (cls, text, _, _, extra), at in zip(chart_labels, spots, strict=True):
        if at is not None:
            x, y, anchor = at
            out.append(f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"'
                       f"{extra}>{esc(text)}</text>")
    return out


def _order_chart(index: int, row: dict, info: dict | None, notices: list[tuple[str, dict]],
                 frame_of: Callable[[int], int]) -> str:
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
    if b - a < DAY_US:
        b = a + DAY_US
    pad = (b - a) // 20
    a, b = a - pad, b + pad

    def x(t: int) -> float:
        return L + (R - L) * (t - a) / (b - a)

    tc = row.get("target_count")
    peak = max([p[1] for p in points] + [tc or 0] + [d.get("actioned") or 0
                                                     for _, d in info["reports"]] + [1])
    top = peak * 1.12

    def y(v: float) -> float:
        return B - (B - T) * v / top

    d0, ppd = a / DAY_US, (R - L) * DAY_US / (b - a)
    parts = [f'<svg class="order-chart" data-order="{esc(oid)}" data-d0="{d0:.6f}" '
             f'data-ppd="{ppd:.6f}" data-x0="{L:.0f}" data-x1="{R:.0f}" '
             f'viewBox="0 0 {W:.0f} {H:.0f}" width="100%" role="img" '
             f'aria-label="blocked over time under {esc(oid)}">'
             f'<clipPath id="clip{index}"><rect class="clip" x="0" y="0" width="{W:.0f}" '
             f'height="{H:.0f}"/></clipPath>']
    caption = ("blocked under " + oid + " (step line) · target count (dashed) · notices "
               "(purple) · deadline (red)" + (" · reported figures (◆)" if info["reports"]
                                              else ""))
    obstacles = [text_box(L, 16, caption, _TARGET_SIZE)]
    # y grid and labels
    step = _nice_step(top / 4)
    v = 0.0
    while v <= top:
        text = number(v)
        parts.append(f'<line class="grid" x1="{L}" y1="{y(v):.1f}" x2="{R}" y2="{y(v):.1f}"/>'
                     f'<text class="y-label" x="{L - 6}" y="{y(v) + 4:.1f}">{text}</text>')
        obstacles.append(text_box(L - 6, y(v) + 4, text, _VALUE_SIZE, "end"))
        v += step
    # x axis
    parts.append(f'<line class="axis" x1="{L}" y1="{B}" x2="{R}" y2="{B}"/>')
    chart_ticks = ticks(a, b, R - L, 90)
    for t, _ in chart_ticks:
        parts.append(f'<line class="tick" x1="{x(t):.1f}" y1="{B}" x2="{x(t):.1f}" '
                     f'y2="{B + 5}"/>')
    tick_parts, tick_boxes = tick_labels([(x(t), label) for t, label in chart_ticks], B)
    parts += tick_parts
    obstacles += tick_boxes
    labels: list[tuple[str, str, float, list, str]] = []
    # target count: a horizontal line, its label at the right end (above, else below)
    if tc is not None:
        ty = y(tc)
        parts.append(f'<g class="target-line"><line x1="{L}" y1="{ty:.1f}" x2="{R}" '
                     f'y2="{ty:.1f}"/><title>target count {number(tc)}</title></g>')
        labels.append(("target-label", f"target {number(tc)}", _TARGET_SIZE,
                       [(R - 4 - dx, ty + dy, "end") for dx in (0, 120, 240)
                        for dy in (-5, 15)], ""))
    # deadline: a vertical line, labelled near the bottom (stepping up, then to its left)
    if deadline is not None:
        dx = x(deadline)
        end = " (the end of that day)" if len(row["deadline"]) == 10 else ""
        parts.append(f'<g class="deadline-line"><line x1="{dx:.1f}" y1="{T - 6}" x2="{dx:.1f}" '
                     f'y2="{B}"/><title>{esc("deadline " + row["deadline"] + end)}</title></g>')
        labels.append(("v-label deadline-label", "deadline", _VALUE_SIZE,
                       _stacked(dx, B - 6, -13, 10), ""))
    # the step line of blocked, cut at the date control's day by the clip
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
    parts.append(f'<polyline class="blocked-line" clip-path="url(#clip{index})" '
                 f'points="{coords}"><title>blocked under {esc(oid)}: '
                 f"{_changes(points)}, {number(points[-1][1])} at the end"
                 "</title></polyline>")
    # notices: vertical lines, labelled near the top when there are few
    label_notices = len(notices) <= _LABELLED
    for nid, n in notices:
        sent = time_key(n["sent_at"])
        nx, f = x(sent), frame_of(sent)
        ack = f", acknowledged {n['acknowledged_at']}" if n.get("acknowledged_at") else ""
        text = f"notice {nid} ({n['kind']}) sent {n['sent_at']}{ack}"
        dense = "" if label_notices else " dense"
        parts.append(f'<g class="notice-line{dense}" data-f="{f}"><line x1="{nx:.1f}" '
                     f'y1="{T - 6}" x2="{nx:.1f}" y2="{B}"/><title>{esc(text)}</title></g>')
        if label_notices:
            labels.append(("v-label notice-label", nid, _VALUE_SIZE,
                           _stacked(nx, T + 4, 13, 8), f' data-f="{f}"'))
    # reported figures: a diamond each, labelled beside it when there are few
    label_reports = len(info["reports"]) <= _LABELLED
    for t, d in info["reports"]:
        rx, ry, f = x(t), y(d.get("actioned") or 0), frame_of(t)
        text = (f"reported {number(d.get('actioned'))} of {number(d.get('specified'))} "
                f"actioned ({d.get('reporter')})")
        parts.append(f'<path class="report-mark" data-f="{f}" d="M{rx:.1f},{ry - 6:.1f} l6,6 '
                     f'l-6,6 l-6,-6 z"><title>{esc(text)}</title></path>')
        obstacles.append(Box(rx - 7, ry - 7, rx + 7, ry + 7))
        if not label_reports:
            continue
        labels.append(("report-label", f"reported {number(d.get('actioned'))}", _VALUE_SIZE,
                       [(rx - 9, ry + 4, "end"), (rx + 9, ry + 4, "start"),
                        (rx, ry - 10, "middle"), (rx, ry + 19, "middle"),
                        (rx - 9, ry - 9, "end"), (rx - 9, ry + 17, "end")], f' data-f="{f}"'))
    parts += _labels(labels, obstacles)
    parts.append(f'<text class="chart-caption" x="{L}" y="16">{esc(caption)}</text>')
    # the date control's cursor: the days after the chosen one, shaded (hidden until used)
    parts.append(f'<g class="cursor"><rect class="future" x="{R:.0f}" y="{T - 8}" width="0" '
                 f'height="{B - T + 8}"/><line x1="{R:.0f}" y1="{T - 8}" x2="{R:.0f}" '
                 f'y2="{B}"/></g></svg>')
    return "".join(parts)


def order_section(index: int, row: dict, info: dict | None, view: dict,
                  columns: list[Column], frame_of: Callable[[int], int]) -> str:
    """The section of one compliance `row` (`<section id="so{index}">`, following the table's
    row `o{index}`): title, chart and figures. `info`: the order's entry of `blocked_series`;
    `view`: the stream's state view (for its notices); `columns`: the compliance table's
    (the status badge and the figures are its cells, marked with their column number for the
    date control); `frame_of`: the frame of an instant."""
    oid = row["order_id"]
    notices = sorted(((nid, view["notices"][nid]) for nid in row.get("notices") or ()
                      if nid in view["notices"]), key=lambda kv: time_key(kv[1]["sent_at"]))
    meta = " · ".join(esc(v) for v in (
        f"issued {row['issued_at']}", f"{row.get('issuer')} → {row.get('platform')}",
        row.get("legal_basis"), row.get("procedure")) if v)
    number_of = {c.key: j for j, c in enumerate(columns)}
    badge = ""
    if "status" in number_of:
        j = number_of["status"]
        badge = f'<span class="badge" data-c="{j}">{columns[j].render(oid, row)}</span>'
    cells = "".join(
        f'<div><dt>{esc(figure_head(columns[j]))}</dt><dd class="fig-{key}" data-c="{j}">'
        f"{columns[j].render(oid, row)}</dd></div>"
        for key in FIGURES if (j := number_of.get(key)) is not None)
    return (f'<section class="order" id="so{index}"><h3 id="order-{esc(oid)}">{esc(oid)} '
            f'{badge}</h3><p class="meta">{meta}</p>'
            f'{_order_chart(index, row, info, notices, frame_of)}'
            f'<dl class="figures">{cells}</dl></section>')
