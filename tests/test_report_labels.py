"""Labels that do not overlap: the placement itself (any labels, any obstacles), and the
labels the order charts and the timeline draw, for generated orders and timelines. The
estimated text widths are checked against a browser's in test_report_browser.py."""

from __future__ import annotations

import html
import itertools
import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from docket.report.labels import Box, Label, place, text_box, text_width
from docket.report.order import _order_chart
from docket.report.timeline import timeline_svg
from docket.times import time_key

_SIZES = {"tick-label": 12.0, "y-label": 11.0, "target-label": 12.0, "v-label": 11.0,
          "report-label": 11.0, "chart-caption": 12.0}
_ANCHORS = {"tick-label": "middle", "y-label": "end"}  # set by the page's CSS
_TEXT = re.compile(r'<text class="([^"]+)" x="([-\d.]+)" y="([-\d.]+)"'
                   r'(?: text-anchor="(\w+)")?[^>]*>([^<]*)</text>')

coord = st.floats(0, 600, allow_nan=False, allow_infinity=False)
words = st.text(st.sampled_from("abcXYZ019 .-@%mW"), min_size=1, max_size=14)


@st.composite
def labels(draw):
    n = draw(st.integers(0, 5))
    return Label(draw(words), draw(st.sampled_from([10.0, 11.0, 12.0])),
                 [(draw(coord), draw(coord), draw(st.sampled_from(["start", "middle", "end"])))
                  for _ in range(n)])


@st.composite
def boxes(draw):
    x, y = draw(coord), draw(coord)
    return Box(x, y, x + draw(st.floats(0.5, 80)), y + draw(st.floats(0.5, 40)))


@settings(max_examples=300)
@given(items=st.lists(labels(), max_size=25), obstacles=st.lists(boxes(), max_size=6))
def test_placed_labels_never_touch(items, obstacles):
    spots = place(items, obstacles)
    placed = [text_box(x, y, label.text, label.size, a)
              for label, spot in zip(items, spots, strict=True) if spot
              for x, y, a in [spot]]
    for a, b in itertools.combinations(placed, 2):
        assert not a.intersects(b)
    for box in placed:
        assert not any(box.intersects(o) for o in obstacles)
    # ... and a label is left out only when every place it had was taken
    taken = list(obstacles)
    for label, spot in zip(items, spots, strict=True):
        if spot is None:
            for x, y, a in label.candidates:
                box = text_box(x, y, label.text, label.size, a)
                assert any(box.intersects(t) for t in taken)
        else:
            assert spot in [tuple(c) for c in label.candidates]
            taken.append(text_box(*spot[:2], label.text, label.size, spot[2]))


def test_boxes_and_widths():
    assert Box(0, 0, 10, 10).intersects(Box(9, 9, 20, 20))
    assert not Box(0, 0, 10, 10).intersects(Box(10, 0, 20, 10))  # sharing an edge is fine
    assert text_width("1,178", 12) < text_width("11,178", 12) < text_width("WWWWWW", 12)
    start, mid, end = (text_box(100, 50, "target", 12, a) for a in ("start", "middle", "end"))
    assert start.x0 < 100 < start.x1 and end.x0 < 100 < end.x1 and end.x1 <= start.x0 + 3
    assert abs((mid.x0 + mid.x1) / 2 - 100) < 1e-9
    assert start.y0 < 50 < start.y1


def _texts(svg: str) -> list[Box]:
    out = []
    for cls, x, y, anchor, text in _TEXT.findall(svg):
        kind = next(k for k in _SIZES if k in cls.split())
        out.append(text_box(float(x), float(y), html.unescape(text), _SIZES[kind],
                            anchor or _ANCHORS.get(kind, "start"), pad=0))
    return out


def _no_overlap(svg: str) -> int:
    found = _texts(svg)
    for a, b in itertools.combinations(found, 2):
        assert not a.intersects(b), (a, b)
    return len(found)


_T0 = datetime(2021, 2, 1, tzinfo=timezone.utc)


def _at(hours: float) -> str:
    return (_T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=150, deadline=None)
@given(notices=st.lists(st.floats(0, 400), max_size=6),
       reports=st.lists(st.tuples(st.floats(0, 400), st.integers(0, 3000)), max_size=5),
       deadline=st.none() | st.floats(0, 400), target=st.none() | st.integers(0, 3000),
       blocked=st.lists(st.tuples(st.floats(0, 400), st.integers(0, 3000)), max_size=6),
       names=st.lists(words, min_size=6, max_size=6))
def test_order_chart_labels_never_overlap(notices, reports, deadline, target, blocked, names):
    """Notices, reports and a deadline anywhere (often on top of each other), a target line
    at any height: no two of the chart's texts overlap, ticks and y labels included."""
    issued = _at(0)
    row = {"order_id": "O-1", "issued_at": issued, "target_count": target,
           "deadline": _at(deadline) if deadline is not None else None}
    info = {"blocked": sorted((time_key(_at(h)), v) for h, v in blocked) or [],
            "times": [], "reports": sorted(((time_key(_at(h)), {"actioned": v,
                                                                 "specified": 3000,
                                                                 "reporter": "X"})
                                            for h, v in reports), key=lambda r: r[0])}
    notes = [(f"N-{names[i]}", {"kind": "other", "sent_at": _at(h), "acknowledged_at": None})
             for i, h in enumerate(notices)]
    svg = _order_chart(0, row, info, notes, lambda t: 0)
    assert _no_overlap(svg) >= 3  # the caption and at least two axis labels
    if target is not None:
        assert f"target {target:,}" in svg  # the target's label always finds a place


@settings(max_examples=60, deadline=None)
@given(offsets=st.lists(st.floats(0, 3 * 365 * 24), min_size=1, max_size=60),
       aggregated=st.booleans())
def test_timeline_marks_and_ticks_never_overlap(offsets, aggregated):
    records = [{"seq": i + 1, "type": "notice_sent", "occurred_at": _at(h), "actor": "M",
                "data": {"notice_id": f"N-{i}", "kind": "other", "recipient": "T"}}
               for i, h in enumerate(sorted(offsets))]
    keys = [time_key(r["occurred_at"]) for r in records]
    svg = timeline_svg(records, keys, aggregated)
    _no_overlap(svg)
    circles = [(float(x), float(y), float(r)) for x, y, r in re.findall(
        r'<circle [^>]*cx="([-\d.]+)" cy="([-\d.]+)" r="([\d.]+)"', svg)]
    assert len(circles) == (0 if aggregated else len(records))
    for (x1, y1, r1), (x2, y2, r2) in itertools.combinations(circles, 2):
        assert (x1 - x2) ** 2 + (y1 - y2) ** 2 >= (r1 + r2) ** 2 - 1e-6
