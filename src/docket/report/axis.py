"""Date axes of the report's charts: where the date ticks go, and the timeline's broken axis
(long quiet stretches cut out, so a busy fortnight is not squeezed by a quiet year)."""

from __future__ import annotations

import bisect
from datetime import datetime

from ..times import time_key
from .format import DAY_US, HOUR_US, esc, utc
from .labels import Box, Label, place, text_box

__all__ = ["BrokenAxis", "TICK_SIZE", "tick_labels", "ticks"]

# Tick spacings tried in turn, finest first: the first that fits the width is used.
_HOUR_STEPS = (1, 3, 6, 12)
_DAY_STEPS = (1, 2, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60)


def _add_months(d: datetime, k: int) -> datetime:
    m = d.month - 1 + k
    return d.replace(year=d.year + m // 12, month=m % 12 + 1, day=1)


def ticks(a: int, b: int, width: float, min_px: float = 70) -> list[tuple[int, str]]:
    """Date ticks in [a, b] (UTC µs) spaced at least `min_px` apart on `width` pixels."""
    span = max(b - a, 1)
    room = max(int(width // min_px), 1)
    out: list[tuple[int, str]] = []
    for hours in _HOUR_STEPS:
        step = hours * HOUR_US
        if span / step <= room:
            t = -(-a // step) * step
            while t <= b:
                d = utc(t)
                out.append((t, d.strftime("%d %b %H:%M").lstrip("0")))
                t += step
            return out
    for days in _DAY_STEPS:
        step = days * DAY_US
        if span / step <= room:
            first = -(-a // DAY_US)
            if days == 7:  # Mondays (day 4 of the epoch was a Monday)
                first += (4 - first) % 7
            t = first * DAY_US
            while t <= b:
                out.append((t, utc(t).strftime("%d %b").lstrip("0")))
                t += step
            if out:
                out[0] = (out[0][0], out[0][1] + utc(out[0][0]).strftime(" %Y"))
            return out
    for months in _MONTH_STEPS:
        if span / (30.44 * DAY_US * months) <= room:
            d = _add_months(utc(a).replace(hour=0, minute=0, second=0, microsecond=0), 0)
            if d < utc(a):
                d = _add_months(d, 1)
            while (d.year * 12 + d.month - 1) % months:
                d = _add_months(d, 1)
            while (t := time_key(d.date().isoformat())) <= b:
                out.append((t, d.strftime("%Y" if months >= 12 else "%b %Y")))
                d = _add_months(d, months)
            return out
    return [(a, utc(a).strftime("%Y")), (b, utc(b).strftime("%Y"))]


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
        days = sorted({t // DAY_US for t in instants})
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
            pad = max(DAY_US // 2, (d1 - d0 + 1) * DAY_US // 30)
            self.spans.append((d0 * DAY_US - pad, (d1 + 1) * DAY_US + pad))
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
        """The x coordinate of instant `t` (clamped into its cluster)."""
        i = max(bisect.bisect_right(self._starts, t) - 1, 0)
        a, b, xl, xr = self.segments[i]
        return xl + (xr - xl) * (min(max(t, a), b) - a) / (b - a)

    def day_width(self, day: int) -> float:
        """The width in pixels of day number `day` on this axis."""
        return self.x((day + 1) * DAY_US) - self.x(day * DAY_US)

    def svg(self, y: float) -> str:
        """The axis line(s), breaks and tick labels at height `y`. A tick label that would
        touch another (or a break) is left out, its tick kept: each cluster's first label
        (which names the year) goes first, then the others from left to right."""
        parts, firsts, others = [], [], []
        for a, b, xl, xr in self.segments:
            parts.append(f'<line class="axis" x1="{xl:.1f}" y1="{y}" x2="{xr:.1f}" y2="{y}"/>')
            for i, (t, label) in enumerate(ticks(a, b, xr - xl)):
                tx = xl + (xr - xl) * (t - a) / (b - a)
                parts.append(f'<line class="tick" x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" '
                             f'y2="{y + 5}"/>')
                (others if i else firsts).append((tx, label))
        breaks = []
        for _, _, _, xr in self.segments[:-1]:
            bx = xr + self.BREAK_W / 2
            breaks.append(Box(bx - 6, y - 6, bx + 6, y + 6))  # the two slashes
            parts.append(f'<g class="axis-break"><line x1="{bx - 6:.1f}" y1="{y + 6}" '
                         f'x2="{bx - 1:.1f}" y2="{y - 6}"/><line x1="{bx + 1:.1f}" '
                         f'y1="{y + 6}" x2="{bx + 6:.1f}" y2="{y - 6}"/></g>')
        parts += tick_labels(firsts + others, y, breaks)[0]
        return "".join(parts)


TICK_SIZE = 12.0  # px, the .tick-label font size of the page's CSS


def tick_labels(ticks_: list[tuple[float, str]], y: float, obstacles: list[Box] = ()
                ) -> tuple[list[str], list[Box]]:
    """The `<text>` of each tick label (centred under its tick, 18 px below `y`) that
    touches no label before it in the list and no obstacle (the others are left out), and
    the boxes of those kept."""
    labels = [Label(text, TICK_SIZE, ((tx, y + 18, "middle"),)) for tx, text in ticks_]
    out, boxes = [], []
    for (tx, text), at in zip(ticks_, place(labels, obstacles), strict=True):
        if at is not None:
            out.append(f'<text class="tick-label" x="{tx:.1f}" y="{y + 18}">{esc(text)}</text>')
            boxes.append(text_box(tx, y + 18, text, TICK_SIZE, "middle"))
    return out, boxes
