"""Identity of time (issue 6 §5, SPEC §1, §4): offsets from −12:00 to +14:00, day precision
mixed with times, leap days, and a wall clock that goes backwards between appends.

The expected replay order is computed here with `datetime.fromisoformat` (not Docket's
parser): by the UTC instant of `occurred_at` (a day counts as 00:00 UTC), ties by seq.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import export_of, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import canonical_json, check_chain, day_or_time

from docket import EventLog
from docket.errors import InvalidEvent
from docket.replay import fold_stream, view_of
from docket.timeline import Selection, amendments
from docket.times import format_utc

S = "time-stream"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Every offset in use on Earth lies in −12:00 … +14:00; quarter hours exist (+05:45, +08:45).
OFFSETS = list(range(-12 * 60, 14 * 60 + 1, 15))  # minutes east of UTC: 105 of them


def spell(instant: datetime, offset_minutes: int, frac: str = "") -> str:
    """`instant` written in local time at `offset_minutes` east of UTC (RFC 3339)."""
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "+" if offset_minutes >= 0 else "-"
    hh, mm = divmod(abs(offset_minutes), 60)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + frac + f"{sign}{hh:02d}:{mm:02d}"


def utc_us(text: str) -> int:
    """The UTC instant of an occurred_at, in microseconds, computed without Docket."""
    if len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def statement(occurred_at: str, ident: str, stream: str = S) -> dict:
    return {"type": "statement_published", "stream": stream, "occurred_at": occurred_at,
            "id": ident, "data": {"speaker": "G", "summary": ident}}


def fresh_view(log: EventLog, stream: str) -> dict:
    """The state view from a fold of the whole stream from its first event (no snapshot,
    no stored view), to compare with what the stored views answer."""
    with log.storage.reading():
        selection = Selection(log.storage)
        amend = amendments(log.storage, stream, selection.known_seq)
        state = fold_stream(log.storage, stream, selection.known_seq, amend)[0]
        return view_of(log.storage, stream, state, amend, selection.known_seq)


def test_offsets_cover_minus_12_to_plus_14():
    assert min(OFFSETS) == -12 * 60 and max(OFFSETS) == 14 * 60 and len(OFFSETS) == 105
    assert 5 * 60 + 45 in OFFSETS and -(9 * 60 + 30) in OFFSETS


# -- replay order across offsets ---------------------------------------------------------------

_BASE = datetime(2024, 2, 28, 12, 0, tzinfo=timezone.utc)


@st.composite
def spelled_times(draw) -> list[str]:
    """Instants within a few days around the 2024 leap day, each spelled with a random offset
    or as a day; several share an instant (written differently) to exercise ties."""
    instants = draw(st.lists(st.integers(-3 * 86_400, 3 * 86_400).map(
        lambda s: _BASE + timedelta(seconds=s - s % 900)), min_size=1, max_size=6))
    out = []
    for _ in range(draw(st.integers(2, 14))):
        moment = draw(st.sampled_from(instants))
        how = draw(st.sampled_from(["offset", "offset", "Z", "day"]))
        if how == "day":
            out.append(moment.date().isoformat())
        elif how == "Z":
            out.append(moment.strftime("%Y-%m-%dT%H:%M:%S") + draw(st.sampled_from(
                ["Z", "z", ".000000Z", "+00:00", "-00:00"])))
        else:
            out.append(spell(moment, draw(st.sampled_from(OFFSETS)),
                             draw(st.sampled_from(["", ".0", ".000000000"]))))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(times=spelled_times(), batches=st.integers(1, 3))
def test_replay_order_is_utc_instant_then_seq(tmp_path_factory, times, batches):
    log = EventLog(str(tmp_path_factory.mktemp("order") / "d.db"))
    try:
        events = [statement(t, f"e{i}") for i, t in enumerate(times)]
        step = -(-len(events) // batches)
        for start in range(0, len(events), step):  # several appends: backdated refolds
            log.append(events[start:start + step])
        records = list(log.read())
        expected = [r["id"] for r in sorted(records, key=lambda r: (utc_us(r["occurred_at"]),
                                                                    r["seq"]))]
        assert [r["id"] for r in log.timeline(S)] == expected
        # occurred_at is kept exactly as written: offset, precision and all
        assert [r["occurred_at"] for r in records] == times
        # as_of cuts at the instant: exactly the events at or before it
        for t in set(times):
            bound = utc_us(t) + (86_400_000_000 - 1 if len(t) == 10 else 0)
            want = [i for i in expected if utc_us(times[int(i[1:])]) <= bound]
            assert [r["id"] for r in log.timeline(S, as_of=t)] == want, t
        assert log.state(S) == fresh_view(log, S)
    finally:
        log.close()


def test_the_same_instant_in_every_offset_ties_by_seq(tmp_path):
    """One instant written in all 105 offsets, in shuffled order: replay order is seq order,
    and an event one microsecond earlier, written far east, comes first."""
    moment = datetime(2024, 2, 29, 0, 0, tzinfo=timezone.utc)
    offsets = OFFSETS[:]
    random.Random(6).shuffle(offsets)
    events = [statement(spell(moment, off), f"t{i}") for i, off in enumerate(offsets)]
    events.insert(50, statement(spell(moment - timedelta(microseconds=1), 14 * 60,
                                      ".999999"), "earlier"))
    events.append(statement("2024-02-29", "the-day"))  # 00:00 UTC: the same instant
    log = EventLog(str(tmp_path / "d.db"))
    log.append(events)
    order = [r["id"] for r in log.timeline(S)]
    assert order == ["earlier"] + [e["id"] for e in events if e["id"] != "earlier"]
    # `--as-of` the instant spelled at the far west includes all but nothing after it
    assert len(log.timeline(S, as_of=spell(moment, -12 * 60))) == len(events)
    assert [r["id"] for r in log.timeline(S, as_of=spell(
        moment - timedelta(microseconds=1), -12 * 60, ".999999"))] == ["earlier"]
    log.close()


def test_day_bounds_are_utc_days_whatever_the_offset(tmp_path):
    """A day as `--as-of` is the whole UTC day: 23:30 at −12:00 on the 28th is already the
    29th in UTC (outside `2024-02-28`), 09:00 at +14:00 on the 1st is still the 29th."""
    log = EventLog(str(tmp_path / "d.db"))
    log.append([
        {"type": "order_issued", "stream": S, "occurred_at": "2024-02-28", "id": "o",
         "data": {"order_id": "O-1", "issuer": "G", "platform": "P", "target_count": 4,
                  "deadline": "2024-02-29T23:59:59+14:00"}},
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2024-02-28T23:30:00-12:00",
         "id": "west", "data": {"order_id": "O-1", "count": 1}},    # 2024-02-29T11:30Z
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2024-03-01T09:00:00+14:00",
         "id": "east", "data": {"order_id": "O-1", "count": 1}},    # 2024-02-29T19:00Z
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2024-02-29T00:00:00+00:30",
         "id": "early", "data": {"order_id": "O-1", "count": 1}},   # 2024-02-28T23:30Z
    ])
    blocked = lambda t: log.compliance(S, as_of=t)[0]["blocked"]  # noqa: E731
    assert blocked("2024-02-28") == 1                 # only "early"
    assert blocked("2024-02-29") == 3                 # + west, east
    assert blocked("2024-02-29T11:29:59Z") == 1
    assert blocked("2024-02-29T11:30:00Z") == 2
    assert blocked("2024-02-28T23:30:00-12:00") == 2  # the same instant, spelled west
    assert blocked("2024-03-01T08:59:59+14:00") == 2
    assert blocked("2024-03-01T09:00:00+14:00") == 3
    assert [r["id"] for r in log.timeline(S)] == ["o", "early", "west", "east"]
    # the deadline 2024-02-29T23:59:59+14:00 is 2024-02-29T09:59:59Z: overdue by the 29th
    assert log.compliance(S, as_of="2024-02-29T09:59:59Z")[0]["overdue"] is False
    assert log.compliance(S, as_of="2024-02-29T10:00:00Z")[0]["overdue"] is True
    log.close()


# -- leap days -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2024-02-29", "2000-02-29", "2024-02-29T23:59:59.999999+14:00",
    "2024-02-29T00:00:00-12:00", "2024-03-01T01:00:00+14:00", "1600-02-29",
])
def test_leap_days_are_accepted(tmp_path, text):
    code, out, err = invoke("append", "--db", tmp_path / "d.db", "--type", "statement_published",
                            "--stream", S, "--occurred-at", text, "--data",
                            '{"speaker": "G", "summary": "leap"}')
    assert code == 0, err
    log = EventLog(str(tmp_path / "d.db"))
    [record] = log.read()
    assert record["occurred_at"] == text
    assert [r["id"] for r in log.timeline(S, as_of=text)] == [record["id"]]
    log.close()


@pytest.mark.parametrize("text", [
    "2023-02-29", "2100-02-29", "1900-02-29", "2023-02-29T12:00:00Z",
    "2023-02-29T12:00:00+05:30", "2024-02-30", "2024-02-29T24:00:00Z",
    "2024-02-29T12:00:00+14:60", "2024-02-29T12:00:00+24:00",
])
def test_impossible_days_are_refused_everywhere(tmp_path, text):
    db = tmp_path / "d.db"
    code, out, err = invoke("append", "--db", db, "--type", "statement_published",
                            "--stream", S, "--occurred-at", "2024-02-29", "--data",
                            '{"speaker": "G", "summary": "seed"}')
    assert code == 0, err
    before = export_of(db)
    for args, field in [
        (("append", "--type", "statement_published", "--stream", S, "--occurred-at", text,
          "--data", '{"speaker": "G", "summary": "x"}'), "occurred_at"),
        (("append", "--type", "order_issued", "--stream", S, "--occurred-at", "2024-02-29",
          "--data", '{"order_id": "O", "issuer": "G", "platform": "P", "deadline": "%s"}'
          % text), "deadline"),
        (("state", "--as-of", text), "--as-of"),
        (("compliance", "--known-at", text), "--known-at"),
        (("log", "--from", text), "--from"),
    ]:
        code, out, err = invoke(*args, "--db", db)
        assert code == 1, (args, err)
        assert err.startswith("Error: ") and err.count("\n") == 1, err
        assert field in err and text in err, err
    assert export_of(db) == before


# -- a clock that goes backwards ---------------------------------------------------------------

T0 = 1_900_000_000_000_000  # 2030-03-17, microseconds


class BackwardClock:
    """A wall clock that steps back by `step` µs at every reading (after `start`)."""

    def __init__(self, start: int = T0, step: int = 3_600_000_000) -> None:
        self.now, self.step, self.readings = start, step, 0

    def __call__(self) -> int:
        value = self.now
        self.now -= self.step
        self.readings += 1
        return value


@pytest.fixture
def backward(monkeypatch):
    import docket.batch
    import docket.times

    clock = BackwardClock()
    monkeypatch.setattr(docket.times, "now_utc", clock)
    monkeypatch.setattr(docket.batch, "now_utc", clock)
    return clock


def test_recorded_at_never_decreases_when_the_clock_runs_backwards(tmp_path, backward):
    db = str(tmp_path / "d.db")
    log = EventLog(db)
    for i in range(6):  # six appends, the clock an hour earlier at each
        log.append([statement("2021-02-0%d" % (i % 3 + 1), f"a{i}-{k}") for k in range(3)])
    log.close()
    log = EventLog(db)  # another process (a new connection) continues from the log's head
    log.append([statement("2021-02-04", "after-reopen")])
    records = check_chain(b"".join(log.export_lines()).splitlines())
    assert backward.readings >= 7
    stamps = [r["recorded_at"] for r in records]
    assert stamps == sorted(stamps)
    # The first append read T0; every later reading was earlier, so all keep T0.
    assert set(stamps) == {"2030-03-17T17:46:40.000000Z"}
    # `known_at` still selects a prefix of the log, and views agree with a fresh replay.
    assert len(log.timeline(S, known_at="2030-03-17T17:46:39.999999Z")) == 0
    assert len(log.timeline(S, known_at="2030-03-17T17:46:40Z")) == len(records)
    assert log.state(S) == fresh_view(log, S)
    log.close()


def test_clock_back_then_forward_resumes_real_time(tmp_path, monkeypatch):
    import docket.batch

    readings = iter([T0, T0 - 10**9, T0 - 5 * 10**9, T0 + 7, T0 + 2 * 10**6, T0 + 10**6])
    monkeypatch.setattr(docket.batch, "now_utc", lambda: next(readings))
    log = EventLog(str(tmp_path / "d.db"))
    for i in range(6):
        log.append([statement("2021-02-01", f"c{i}"), statement("2021-01-31", f"c{i}b")])
    records = list(log.read())
    got = [(r["id"], r["recorded_at"][-10:]) for r in records]
    # each batch shares one stamp; stamps are max(clock, previous stamp)
    stamps = [r["recorded_at"] for r in records]
    assert stamps[0::2] == stamps[1::2]
    want_us = [T0, T0, T0, T0 + 7, T0 + 2 * 10**6, T0 + 2 * 10**6]
    assert stamps[0::2] == [format_utc(u) for u in want_us], got
    # known_at at each stamp selects exactly the batches recorded by then
    for i, us in enumerate(want_us):
        known = log.timeline(S, known_at=format_utc(us))
        last = max(j for j, u in enumerate(want_us) if u <= us)
        assert len(known) == 2 * (last + 1)
    log.close()


def test_clock_backwards_across_processes_never_decreases(tmp_path, run_docket):
    """Each `docket append` process reads its own clock; a log whose head was stamped in the
    future (an import of an export from a machine whose clock ran ahead, within the import's
    5 minutes of tolerance) keeps every later stamp at or after it."""
    db = tmp_path / "d.db"
    now = datetime.now(timezone.utc)
    future = (now + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    (tmp_path / "in.jsonl").write_bytes(future_record(future))
    code, out, err = run_docket("import", "--db", db, tmp_path / "in.jsonl")
    assert code == 0, err
    for i in range(2):
        code, out, err = run_docket("append", "--db", db, "--type", "statement_published",
                                    "--stream", S, "--occurred-at", "2021-02-02", "--data",
                                    json.dumps({"speaker": "G", "summary": f"now {i}"}))
        assert code == 0, err
    log = EventLog(str(db))
    stamps = [r["recorded_at"] for r in log.read()]
    assert stamps == [future] * 3
    before = (now + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(log.timeline(S, known_at=before)) == 0
    log.close()


def future_record(recorded_at: str) -> bytes:
    """An exported record (hash-valid, seq 1) stamped `recorded_at`, as a JSONL line."""
    record = {"type": "statement_published", "stream": S, "occurred_at": "2021-02-01",
              "actor": None, "data": {"speaker": "G", "summary": "ahead"}, "sources": [],
              "confidence": "reported", "id": "ahead", "seq": 1, "version": 1,
              "recorded_at": recorded_at, "schema_version": 1, "prev_hash": "0" * 64}
    record["hash"] = hashlib.sha256(bytes(32) + canonical_json(record)).hexdigest()
    return canonical_json(record) + b"\n"


@pytest.mark.parametrize("ahead", [timedelta(minutes=5, seconds=30), timedelta(days=1),
                                   "9999-12-31T23:59:59.999999Z"])
def test_import_refuses_a_recorded_at_beyond_the_clock(tmp_path, ahead):
    """Issue 20.5: a hash-valid record stamped in the future would make every later append
    inherit its time (recorded_at never decreases): refused beyond 5 minutes ahead, naming
    the line, the field, the clock and the tolerance; the log is unchanged."""
    db = tmp_path / "d.db"
    log = EventLog(str(db))
    log.close()
    raw = db.read_bytes()
    stamp = ahead if isinstance(ahead, str) else (
        datetime.now(timezone.utc) + ahead).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    (tmp_path / "in.jsonl").write_bytes(future_record(stamp))
    code, out, err = invoke("import", "--db", db, tmp_path / "in.jsonl")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("Error: line 1: event 'ahead'"), err
    assert f"field `recorded_at`: {stamp} is later than this machine's clock" in err
    assert "by more than the 5 minutes allowed" in err
    assert db.read_bytes() == raw
    log = EventLog(str(db))
    with pytest.raises(InvalidEvent, match="5 minutes allowed"):
        log.import_lines([(1, future_record(stamp))])
    assert log.count() == 0
    log.close()


def test_backward_clock_does_not_change_replay_order(tmp_path, backward):
    """recorded_at plays no part in replay order: backdated events under a backward clock
    still land by occurred_at, and the stored views equal a fresh replay after each append."""
    log = EventLog(str(tmp_path / "d.db"))
    days = ["2021-02-05", "2021-02-01T23:00:00-12:00", "2021-02-03", "2021-02-02T01:00:00+14:00",
            "2021-02-01"]
    log.append([{"type": "order_issued", "stream": S, "occurred_at": "2021-01-01", "id": "o",
                 "data": {"order_id": "O-1", "issuer": "G", "platform": "P",
                          "target_count": 10}}])
    for i, day in enumerate(days):
        log.append([{"type": "accounts_blocked", "stream": S, "occurred_at": day,
                     "id": f"b{i}", "data": {"order_id": "O-1", "count": 1}}])
        assert log.state(S) == fresh_view(log, S)
    expected = sorted(log.read(), key=lambda r: (utc_us(r["occurred_at"]), r["seq"]))
    assert [r["id"] for r in log.timeline(S)] == [r["id"] for r in expected]
    # first_action_at is the earliest block by occurred_at, not by recording
    assert log.compliance(S)[0]["first_action_at"] == "2021-02-01"
    log.close()


def test_refuses_bad_times_in_the_api_with_the_field(tmp_path):
    log = EventLog(str(tmp_path / "d.db"))
    for text in ("2023-02-29", "2024-02-29T12:00:00", "2024-02-29 12:00:00Z",
                 "2024-02-29T12:00:00+14:00\n"):
        with pytest.raises(InvalidEvent, match="occurred_at"):
            log.append([statement(text, "x")])
    assert list(log.read()) == []
    log.close()


@settings(max_examples=400)
@given(value=st.one_of(st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"),
                       day_or_time()))
def test_the_fast_key_of_a_stored_time_is_its_parsed_instant(value):
    # time_key skips the validating regex for stored (already valid) times; for every value
    # the log accepts it must give the very instant parse_time gives.
    from docket.times import parse_time, time_key

    try:
        expected = parse_time(value)
    except ValueError:
        return  # never stored
    assert time_key(value) == expected
