"""One order's section of the report: its chart (targets blocked over time against the
target count, deadline, notices and reported figures marked) and its figures.
"""

from __future__ import annotations

from ..times import time_key, upper_bound
from .axis import ticks
from .format import DAY_US, cell, esc, fmt_num

__all__ = ["order_section"]


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
    if b - a < DAY_US:
        b = a + DAY_US
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

    parts = [f'<svg class="order-chart" data-order="{esc(oid)}" viewBox="0 0 {W:.0f} {H:.0f}" '
             f'width="100%" role="img" aria-label="blocked over time under {esc(oid)}">']
    # y grid and labels
    step = _nice_step(top / 4)
    v = 0.0
    while v <= top:
        parts.append(f'<line class="grid" x1="{L}" y1="{y(v):.1f}" x2="{R}" y2="{y(v):.1f}"/>'
                     f'<text class="y-label" x="{L - 6}" y="{y(v) + 4:.1f}">{fmt_num(v)}</text>')
        v += step
    # x axis
    parts.append(f'<line class="axis" x1="{L}" y1="{B}" x2="{R}" y2="{B}"/>')
    for t, label in ticks(a, b, R - L, 90):
        parts.append(f'<line class="tick" x1="{x(t):.1f}" y1="{B}" x2="{x(t):.1f}" y2="{B + 5}"/>'
                     f'<text class="tick-label" x="{x(t):.1f}" y="{B + 18}">{esc(label)}</text>')
    # notices and deadline: vertical lines
    label_notices = len(notices) <= 6
    for i, (nid, n) in enumerate(notices):
        nx = x(time_key(n["sent_at"]))
        ack = f", acknowledged {n['acknowledged_at']}" if n.get("acknowledged_at") else ""
        text = f"notice {nid} ({n['kind']}) sent {n['sent_at']}{ack}"
        dense = "" if label_notices else " dense"
        parts.append(f'<g class="notice-line{dense}"><line x1="{nx:.1f}" y1="{T - 6}" '
                     f'x2="{nx:.1f}" y2="{B}"/><title>{esc(text)}</title></g>')
        if label_notices:
            parts.append(f'<text class="v-label notice-label" x="{nx + 3:.1f}" '
                         f'y="{T + 4 + 12 * (i % 3):.1f}">{esc(nid)}</text>')
    if deadline is not None:
        dx = x(deadline)
        end = " (the end of that day)" if len(row["deadline"]) == 10 else ""
        parts.append(f'<g class="deadline-line"><line x1="{dx:.1f}" y1="{T - 6}" x2="{dx:.1f}" '
                     f'y2="{B}"/><title>{esc("deadline " + row["deadline"] + end)}</title></g>'
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
                 f'{esc(oid)}: {len(points)} changes, {last} at the end</title></polyline>')
    # reported figures
    for t, d in info["reports"]:
        rx, ry = x(t), y(d.get("actioned") or 0)
        text = (f"reported {d.get('actioned')} of {d.get('specified')} actioned "
                f"({d.get('reporter')})")
        parts.append(f'<path class="report-mark" d="M{rx:.1f},{ry - 6:.1f} l6,6 l-6,6 l-6,-6 z">'
                     f'<title>{esc(text)}</title></path><text class="report-label" '
                     f'x="{rx - 9:.1f}" y="{ry + 4:.1f}">reported {esc(d.get("actioned"))}</text>')
    parts.append(f'<text class="chart-caption" x="{L}" y="16">blocked under {esc(oid)} '
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
                else cell(value))
        cells.append(f'<div><dt>{esc(label)}</dt><dd class="fig-{key}">{text}</dd></div>')
    return '<dl class="figures">' + "".join(cells) + "</dl>"


def order_section(row: dict, info: dict | None, view: dict) -> str:
    """The section of one compliance `row`: title, chart and figures. `info`: the order's
    entry of `blocked_series`; `view`: the stream's state view (for its notices)."""
    oid = row["order_id"]
    notices = sorted(((nid, view["notices"][nid]) for nid in row.get("notices") or ()
                      if nid in view["notices"]), key=lambda kv: time_key(kv[1]["sent_at"]))
    meta = " · ".join(esc(v) for v in (
        f"issued {row['issued_at']}", f"{row.get('issuer')} → {row.get('platform')}",
        row.get("legal_basis"), row.get("procedure")) if v)
    return (f'<section class="order" id="order-{esc(oid)}"><h3>{esc(oid)} '
            f'<span class="status status-{esc(row["status"])}">{esc(row["status"])}</span></h3>'
            f'<p class="meta">{meta}</p>{_order_chart(row, info, notices)}'
            f"{_figures(row)}</section>")
