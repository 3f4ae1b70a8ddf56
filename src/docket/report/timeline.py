"""The report's timeline: one mark per event on a broken date axis, coloured by type (one
stacked bar per day when there are too many events to draw), and its legend.
"""

from __future__ import annotations

from .axis import BrokenAxis
from .format import (
    DAY_US,
    TYPE_COLOURS,
    day_label,
    esc,
    event_summary,
    number,
    type_colour,
)

__all__ = ["legend", "timeline_svg"]


def _mark_title(record: dict) -> str:
    text = (f"{record['occurred_at']} · {record['type']} · {record.get('actor') or '–'}: "
            f"{event_summary(record)}")
    if record.get("retracted"):
        text += f" [retracted: {record['retracted']['reason']}]"
    return text


def timeline_svg(records: list[dict], keys: list[int], aggregated: bool,
                 frame_of: list[int] | None = None) -> str:
    """The timeline as inline SVG: a mark per event linking to its row, or with `aggregated`
    a bar per day. `keys` are the records' `time_key(occurred_at)`; `frame_of` their frames
    (`data-f`, which the date control hides after the chosen day's)."""
    if frame_of is None:
        frame_of = [0] * len(records)
    width, x0, x1 = 1200.0, 20.0, 1180.0
    if not records:
        return '<p class="empty">No events in this selection.</p>'
    axis = BrokenAxis(keys, x0, x1 - x0)
    marks: list[str] = []
    if not aggregated:
        r, gap = 7.0, 2.0
        rows: list[float] = []  # right edge of the last mark in each row
        placed = []
        for record, t, f in zip(records, keys, frame_of, strict=True):
            cx = axis.x(t)
            # The lowest row where this mark clears the last one: no two marks overlap.
            row = next((i for i, edge in enumerate(rows) if cx - edge >= 2 * r + gap), None)
            if row is None:
                rows.append(cx)
                row = len(rows) - 1
            rows[row] = cx
            placed.append((record, cx, row, f))
        n_rows = max(len(rows), 1)
        axis_y = 20 + n_rows * (2 * r + gap) + 6
        for record, cx, row, f in placed:
            cy = axis_y - 6 - r - row * (2 * r + gap)
            colour = type_colour(record["type"])
            retracted = record.get("retracted") is not None
            cls = "tl-mark tl-retracted" if retracted else "tl-mark"
            fill = "#fff" if retracted else colour
            marks.append(
                f'<a href="#ev-{record["seq"]}" data-f="{f}"><circle class="{cls}" data-type="'
                f'{esc(record["type"])}" cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}" '
                f'stroke="{colour}"><title>{esc(_mark_title(record))}</title></circle></a>')
    else:
        by_day: dict[int, dict[str, int]] = {}
        day_frame: dict[int, int] = {}
        for record, t, f in zip(records, keys, frame_of, strict=True):
            day_frame.setdefault(t // DAY_US, f)
            kinds = by_day.setdefault(t // DAY_US, {})
            kinds[record["type"]] = kinds.get(record["type"], 0) + 1
        peak = max(sum(k.values()) for k in by_day.values())
        bar_h = 140.0
        axis_y = 20 + bar_h + 4
        for day, kinds in sorted(by_day.items()):
            total = sum(kinds.values())
            xl = axis.x(day * DAY_US)
            w = max(axis.day_width(day) - 0.5, 1.0)
            h = max(bar_h * total / peak, 2.0)
            y = axis_y - h
            title = f"{day_label(day)}: {number(total)} events (" + ", ".join(
                f"{number(n)} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])) + ")"
            rects = []
            for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
                kh = h * n / total
                rects.append(f'<rect x="{xl:.2f}" y="{y:.2f}" width="{w:.2f}" '
                             f'height="{kh:.2f}" fill="{type_colour(kind)}"/>')
                y += kh
            marks.append(f'<a href="#d-{day_label(day)}" data-f="{day_frame[day]}"><g '
                         f'class="tl-mark" data-count="{total}"><title>{esc(title)}</title>'
                         f'{"".join(rects)}</g></a>')
    height = axis_y + 30
    return (f'<svg class="timeline" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
            f'role="img" aria-label="timeline of {number(len(records))} events">'
            + "".join(marks) + axis.svg(axis_y) + "</svg>")


def legend(records: list[dict]) -> str:
    """The timeline's legend: each type present, with its colour and count."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    order = list(TYPE_COLOURS) + sorted(set(counts) - set(TYPE_COLOURS))
    items = [f'<li><span class="swatch" style="background:{type_colour(k)}"></span>{esc(k)} '
             f'<span class="count">{number(counts[k])}</span></li>' for k in order if k in counts]
    if any(r.get("retracted") for r in records):
        items.append('<li><span class="swatch hollow"></span>retracted (hollow)</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"
