"""The report's frames (the views at the end of each day, for the date control) against the
library's own views: every frame equals `EventLog.state(as_of=day)`, and so does the latest
frame on or before any other day."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from record_log import AS_FIRST_RECORDED
from strategies import event_stream
from test_replay import build

from docket.api import EventLog
from docket.report.format import day_label
from docket.report.frames import MAX_ACCRUAL_DAYS, build_frames, frame_days, stale_frames
from docket.report.series import blocked_series, time_keys
from docket.times import time_key

EVENTS = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
DISPUTE = "twitter-india-2021"
STREAM = "s"
_KEYED = ("orders", "accounts", "notices", "challenges")


def _views_at(frames, k: int) -> dict:
    """Every section's entries at frame k (-1: before the first), from the updates."""
    out: dict[str, dict] = {}
    for section in frames.sections:
        entries = out.setdefault(section, {})
        for changed in frames.updates[section][: k + 1]:
            for key, entry in changed.items():
                if entry is None:
                    entries.pop(key, None)
                else:
                    entries[key] = entry
    return out


_LABELS: dict[int, tuple[object, list[str]]] = {}


def _labels(frames) -> list[str]:
    """`frames.labels()`, formatted once per frames: the property checks a hundred days of
    frames that a daily fine gives thousands of days (formatting them all for each day
    checked took most of make test's longest test)."""
    hit = _LABELS.get(id(frames))
    if hit is None or hit[0] is not frames:
        hit = _LABELS[id(frames)] = (frames, frames.labels())
    return hit[1]


def _latest(frames, day: str) -> int:
    labels = _labels(frames)
    return max((k for k, d in enumerate(labels) if d <= day), default=-1)


_ACCRUING = ("penalties", "penalty_totals")


def _check(log: EventLog, stream: str, day: str, frames, known_at: str | None = None) -> None:
    k = _latest(frames, day)
    got = _views_at(frames, k)
    want = log.state(stream, as_of=day, known_at=known_at)
    for section in _KEYED:
        assert got.get(section, {}) == want[section], (day, section)
    dialogue = got.get("dialogue", {})
    assert [dialogue[i] for i in sorted(dialogue)] == want["dialogue"], day
    # A day without a frame after a stale one: a daily fine has accrued past the frame's
    # figures, and the page says so (Frames.stale); every other day they are exact.
    between = k >= 0 and _labels(frames)[k] != day and k in frames.stale
    for section, part in want.items():  # any other keyed part (SPEC §5 v2: penalties, …)
        if isinstance(part, dict) and section not in (*_KEYED, "dialogue"):
            if between and section in _ACCRUING:
                continue
            assert got.get(section, {}) == part, (day, section)
    shown = frames.shown[k] if k >= 0 else 0
    assert shown == len(log.timeline(stream, as_of=day, known_at=known_at)), day


def _days_to_check(frames, spread: int = 40) -> list[str]:
    """Each frame's day, the day before it and the day after it; of a long run of frames
    (a daily fine gives one a day) the first, the last and `spread` evenly between."""
    days = frames.days
    if len(days) > 2 * spread:
        step = len(days) // spread
        days = sorted({*days[:spread // 2], *days[-spread // 2:], *days[::step]})
    out = set()
    for d in days:
        out.update({d - 1, d, d + 1})
    lo, hi = date(1, 1, 1).toordinal() - 719163, date(9999, 12, 31).toordinal() - 719163
    return sorted(day_label(d) for d in out if lo <= d <= hi)


# Found by hypothesis: a lift placed (in replay order) before the daily fine's imposition
# lifts nothing in the fold, and the frames had stopped the fine's accrual at it.
_LIFT_BEFORE = [
    {"type": "penalty_imposed", "stream": STREAM, "occurred_at": "2265-03-31", "id": "p",
     "data": {"penalty_id": "0", "issuer": "0", "against": "0", "amount": 2445,
              "currency": "AAA", "per": "day", "starts_at": "2000-01-01", "reason": "0"}},
    {"type": "order_issued", "stream": STREAM, "occurred_at": "2000-01-01",
     "data": {"order_id": "0", "issuer": "0", "platform": "0"}},
    {"type": "penalty_lifted", "stream": STREAM, "occurred_at": "2000-01-01",
     "data": {"penalty_id": "0", "by": "0"}}]

# Found reading `orders_touched` against the fold: an account blocked under a global
# order and then withheld in one country no longer counts for that order (the fold's
# `_narrowed`), but the frames only refreshed the row of the order the block was under.
_NARROWED = [
    {"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01", "id": "o",
     "data": {"order_id": "A", "issuer": "G", "platform": "P", "targets": ["@a"],
              "scope": "global"}},
    {"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-02", "id": "b1",
     "data": {"order_id": "A", "targets": ["@a"]}},
    {"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-03", "id": "b2",
     "data": {"targets": ["@a"], "scope": "IN"}}]

# Found by hypothesis on StreamBuilder's dense histories (tests/test_replay.py): a deadline
# passing after the last event's day is a frame, but a daily fine's frames stop at that
# day, so on the days between the two the page showed the fine as of the last event's day
# without saying the figures were stale.
_DEADLINE_AFTER = [
    {"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01", "id": "o",
     "data": {"order_id": "A", "issuer": "G", "platform": "P", "deadline": "2021-02-02"}},
    {"type": "penalty_imposed", "stream": STREAM, "occurred_at": "2021-02-01", "id": "p",
     "data": {"penalty_id": "P", "issuer": "HC", "against": "X", "amount": 1,
              "currency": "INR", "per": "day", "ends_at": "2021-02-05"}}]


@st.composite
def _dense(draw) -> list[dict]:
    """A stream of test_replay's StreamBuilder: nine days of February 2021 and eight
    targets shared by every order, so moves under several orders and scopes name the same
    accounts, fines meet their payments and lifts, and events are retracted or corrected
    (the strategies' free-text targets rarely meet)."""
    return build(draw, draw(st.integers(1, 14)), stream=STREAM).events


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.one_of(event_stream(streams=[STREAM], min_size=1, max_size=14), _dense()),
       split=st.integers(0, 14))
@example(events=_LIFT_BEFORE, split=0)
@example(events=_NARROWED, split=0)
@example(events=_DEADLINE_AFTER, split=0)
def test_every_frame_is_the_state_as_of_its_day(events, split):
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog(str(Path(tmp) / "docket.db"))
        first, rest = events[:split], events[split:]
        if first:
            log.append(first)
        known = log.timeline(STREAM)[-1]["recorded_at"] if first else None
        if rest:
            time.sleep(0.002)  # the second batch is recorded later
            log.append(rest)
        for known_at in (None, known) if known else (None,):
            records = log.timeline(STREAM, known_at=known_at)
            frames = build_frames(records, time_keys(records), STREAM)
            assert frames.days == sorted(set(frames.days))
            for day in _days_to_check(frames):
                _check(log, STREAM, day, frames, known_at)


def test_a_narrowed_account_leaves_the_chart_of_its_global_order(tmp_path):
    """The same history through the per-order chart (`blocked_series`, which shares the
    frames' list of orders a record may change): the global order's line drops to 0 on
    3 February, as `state(as_of=...)` says."""
    log = EventLog(str(tmp_path / "docket.db"))
    log.append(_NARROWED)
    series = blocked_series(log.timeline(STREAM), STREAM)
    assert [v for _, v in series["A"]["blocked"]] == [0, 1, 0]
    assert log.state(STREAM, as_of="2021-02-03")["orders"]["A"]["blocked"] == 0


def _dispute() -> EventLog:
    log = EventLog(str(Path(tempfile.mkdtemp()) / "docket.db"))
    log.import_lines(enumerate(EVENTS.read_bytes().splitlines()[:AS_FIRST_RECORDED], 1))
    return log


def test_recorded_dispute_frames():
    log = _dispute()
    records = log.timeline(DISPUTE)
    frames = build_frames(records, time_keys(records), DISPUTE)
    # The 16 days the 22 events occurred on (UTC); no order has a deadline.
    assert frames.labels() == [
        "2021-01-26", "2021-01-31", "2021-02-01", "2021-02-02", "2021-02-04", "2021-02-05",
        "2021-02-07", "2021-02-08", "2021-02-10", "2021-02-11", "2021-02-25", "2021-06-05",
        "2022-06-27", "2022-07-05", "2023-06-30", "2023-08-01"]
    assert frames.shown[-1] == 22
    start = date(2021, 1, 25)
    for i in range(0, 950, 7):
        _check(log, DISPUTE, (start + timedelta(days=i)).isoformat(), frames)
    for day in _days_to_check(frames):
        _check(log, DISPUTE, day, frames)
    # Blocked at 11:00 and restored at 17:00 IST on 1 February: by the end of that day the
    # 31 January order has been blocked once and is blocked no more.
    k = frames.labels().index("2021-02-01")
    row = _views_at(frames, k)["orders"]["O-2021-01-31"]
    assert (row["blocked"], row["ever_blocked"], row["status"]) == (0, 258, "reverted")
    assert "O-2021-02-04" not in _views_at(frames, k)["orders"]


def _order(day, oid="O-1", **data):
    return {"type": "order_issued", "stream": STREAM, "occurred_at": day, "actor": "MeitY",
            "data": {"order_id": oid, "issuer": "MeitY", "platform": "Twitter",
                     "target_count": 5, **data}}


def test_a_deadline_passing_is_a_frame(tmp_path):
    """No event on 4 February, but the order is overdue from then: a frame of its own."""
    log = EventLog(str(tmp_path / "docket.db"))
    log.append([_order("2021-02-01", deadline="2021-02-03"),
                _order("2021-02-01", "O-2", deadline="2021-02-05T12:00:00+05:30"),
                {"type": "statement_published", "stream": STREAM, "occurred_at": "2021-02-10",
                 "data": {"speaker": "MeitY", "summary": "still waiting"}}])
    records = log.timeline(STREAM)
    frames = build_frames(records, time_keys(records), STREAM)
    # 4 Feb: the first day ending after 3 Feb; 5 Feb: its end is after 12:00 IST that day
    assert frames.labels() == ["2021-02-01", "2021-02-04", "2021-02-05", "2021-02-10"]
    overdue = [{o: r["overdue"] for o, r in _views_at(frames, k)["orders"].items()}
               for k in range(4)]
    assert overdue == [{"O-1": False, "O-2": False}, {"O-1": True, "O-2": False},
                       {"O-1": True, "O-2": True}, {"O-1": True, "O-2": True}]
    for day in ("2021-02-03", "2021-02-04", "2021-02-05", "2021-02-09", "2021-03-01"):
        _check(log, STREAM, day, frames)
    # a page made as of 4 February has no frame after it
    cut = log.timeline(STREAM, as_of="2021-02-04")
    assert build_frames(cut, time_keys(cut), STREAM, as_of="2021-02-04").labels() == [
        "2021-02-01", "2021-02-04"]


def test_daily_penalties_accrue_on_frames():
    """Each day a daily penalty accrues is a frame (SPEC §5 v2), up to its end, its lift or
    the last other frame, whichever comes first."""
    def rec(kind, day, **data):
        return {"type": kind, "occurred_at": day, "data": data, "seq": 0}

    records = [
        rec("penalty_imposed", "2021-03-01", penalty_id="P-1", per="day", amount=10,
            currency="INR", ends_at="2021-03-04"),
        rec("penalty_imposed", "2021-03-02", penalty_id="P-2", per="day", amount=10,
            currency="INR", starts_at="2021-03-06"),
        rec("penalty_lifted", "2021-03-08", penalty_id="P-2", by="court"),
        rec("penalty_imposed", "2021-03-09", penalty_id="P-3", amount=10, currency="INR"),
        rec("statement_published", "2021-03-12", speaker="x", summary="y"),
    ]
    keys = [time_key(r["occurred_at"]) for r in records]
    days = [day_label(d) for d in frame_days(records, keys)]
    assert days == ["2021-03-01", "2021-03-02", "2021-03-03", "2021-03-04", "2021-03-06",
                    "2021-03-07", "2021-03-08", "2021-03-09", "2021-03-12"]
    # as of 7 March: nothing later
    assert [day_label(d) for d in frame_days(records, keys, as_of="2021-03-07")][-1] == \
        "2021-03-07"


def _fine(day, pid, **data):
    return {"type": "penalty_imposed", "stream": STREAM, "occurred_at": day,
            "data": {"penalty_id": pid, "issuer": "Court", "against": "X", "amount": 7,
                     "currency": "BRL", "per": "day", **data}}


def test_a_fine_accruing_for_decades_is_exact_on_every_frame_and_flagged_past_them(tmp_path):
    """Frames run a day apart for MAX_ACCRUAL_DAYS (3,660) of a daily fine: on each of
    those days the page's `accrued` is the library's; after them, on days between frames,
    the frame is marked stale (the page says its figures are that frame's); on the days
    that are frames (events) it is exact again."""
    log = EventLog(str(tmp_path / "docket.db"))
    log.append([_fine("2000-01-01", "P-long"),
                _fine("2000-01-01", "P-short", ends_at="2000-01-10"),
                {"type": "statement_published", "stream": STREAM, "occurred_at": "2030-06-01",
                 "data": {"speaker": "Court", "summary": "still unpaid"}}])
    records = log.timeline(STREAM)
    keys = time_keys(records)
    frames = build_frames(records, keys, STREAM)
    labels = frames.labels()
    first, cap_end = date(2000, 1, 1), date(2000, 1, 1) + timedelta(days=MAX_ACCRUAL_DAYS - 1)
    assert labels[0] == "2000-01-01" and labels[-2] == cap_end.isoformat()
    assert labels[-1] == "2030-06-01" and len(labels) == MAX_ACCRUAL_DAYS + 1
    # Stale: the last daily frame (days to 2030 follow it) and the last frame (it accrues on).
    assert frames.stale == {len(labels) - 2, len(labels) - 1}
    for offset in (0, 1, 9, 10, 500, 1999, MAX_ACCRUAL_DAYS - 1):
        day = (first + timedelta(days=offset)).isoformat()
        _check(log, STREAM, day, frames)
        p = _views_at(frames, _latest(frames, day))["penalties"]["P-long"]
        assert p["accrued"] == 7 * (offset + 1), day
    short = _views_at(frames, _latest(frames, "2000-02-01"))["penalties"]["P-short"]
    assert short["accrued"] == 7 * 10   # 1-10 January, whole days
    later = (cap_end + timedelta(days=30)).isoformat()
    _check(log, STREAM, later, frames)   # exact but for the accruing parts, flagged
    assert _latest(frames, later) in frames.stale
    assert _views_at(frames, _latest(frames, later))["penalties"]["P-long"]["accrued"] == \
        7 * MAX_ACCRUAL_DAYS < log.state(STREAM, as_of=later)["penalties"]["P-long"]["accrued"]
    _check(log, STREAM, "2030-06-01", frames)   # a frame: exact
    days = (date(2030, 6, 1) - first).days + 1
    assert _views_at(frames, len(labels) - 1)["penalties"]["P-long"]["accrued"] == 7 * days
    # Nothing stale when every accrual day is a frame.
    one, at = records[1:2], keys[1:2]
    assert stale_frames(one, at, frame_days(one, at, "2000-01-31"), "2000-01-31") == set()
    # ... and the last frame stale when the page ends before the fine does.
    assert stale_frames(one, at, frame_days(one, at)) == {0}
