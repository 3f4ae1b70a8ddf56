"""Properties across the views, each against code that does not share the view's: the
report's frames and per-order charts on dense histories (many orders over few targets,
scopes, daily fines) against `state(as_of=...)`; `public_at` against a hand-written
filter of the records by their sources' publication; `diff` against the two states it
compares, and `why`'s status against the state's entry. Written during a bug hunt that ran
them at 800-4000 examples (no failure after the fixes it found, see git log); make test runs
a few of each, make soak many."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from soak import soak
from test_replay import (
    batches,
    build,
    content,
    fresh_view,
    last_recorded_at,
    new_log,
    pick,
    snapshot_every,
    tick,
    times,
    _ints,
)
from test_report import check_series
from test_report_frames import _check, _days_to_check

from docket.report.frames import build_frames
from docket.report.series import blocked_series, time_keys
from docket.times import time_key, upper_bound
from docket.views.diff import diff_views

S = settings(max_examples=soak(10, 500), deadline=None,
             suppress_health_check=list(HealthCheck))


@S
@given(st.data())
def test_frames_on_dense_histories(data):
    draw = data.draw
    b = build(draw, draw(st.integers(1, 20)))
    with new_log() as log:
        marks = []
        for batch in batches(draw, b.events):
            log.append(batch)
            marks.append(last_recorded_at(log))
            tick()
        for known_at in (None, pick(draw, marks)):
            records = log.timeline("s", known_at=known_at)
            frames = build_frames(records, time_keys(records), "s")
            for day in _days_to_check(frames):
                _check(log, "s", day, frames, known_at)


def public_us_of(r):
    """When a record became public: its earliest dated source, else when it was recorded."""
    pubs = [time_key(s["published"]) for s in r.get("sources") or () if s.get("published")]
    return min(pubs) if pubs else time_key(r["recorded_at"])


@S
@given(st.data())
def test_public_at_state_equals_hand_oracle(data):
    draw = data.draw
    b = build(draw, draw(st.integers(1, 18)))
    for e in b.events:
        k = draw(_ints(0, 3))
        if k:
            e["sources"] = [{"title": "t", "published": draw(times())} for _ in range(k - 1)] \
                or [{"title": "undated"}]
    with snapshot_every(draw(st.sampled_from((2, 3, 5000)))), new_log() as log:
        marks = []
        for batch in batches(draw, b.events):
            log.append(batch)
            marks.append(last_recorded_at(log))
            tick()
        records = list(log.read())
        for _ in range(3):
            p = draw(st.one_of(times(), st.sampled_from(marks)), label="public_at")
            as_of = draw(st.none() | times(), label="as_of")
            known_at = draw(st.none() | st.sampled_from(marks), label="known_at")
            pub = [r for r in records if public_us_of(r) <= upper_bound(p)]
            want = fresh_view(pub, "s", as_of, known_at, until=p)  # it stops at p too
            got = log.state("s", as_of=as_of, known_at=known_at, public_at=p)
            assert content(got) == content(want), (p, as_of, known_at)
            rows = log.compliance("s", as_of=as_of, known_at=known_at, public_at=p)
            assert rows == list(want["orders"].values())


@S
@given(st.data())
def test_diff_is_consistent_with_states(data):
    draw = data.draw
    b = build(draw, draw(st.integers(1, 16)))
    with snapshot_every(3), new_log() as log:
        for batch in batches(draw, b.events):
            log.append(batch)
        t1, t2 = sorted([draw(times()), draw(times())], key=upper_bound)
        s1, s2 = log.state("s", as_of=t1), log.state("s", as_of=t2)
        changes = log.diff(t1, t2, "s")
        assert changes == diff_views(s1, s2)
        if content(s1) == content(s2):
            assert changes == []
        for part in ("orders", "accounts", "notices", "penalties", "service"):
            for ref, entry in s2[part].items():
                w = log.why(ref, "s", as_of=t2)
                assert w["status"] == entry, (part, ref)


@S
@given(st.data())
def test_series_on_dense_histories(data):
    draw = data.draw
    b = build(draw, draw(st.integers(1, 20)))
    with new_log() as log:
        for batch in batches(draw, b.events):
            log.append(batch)
        records = log.timeline("s")
        check_series(log, "s", records, blocked_series(records, "s"))
