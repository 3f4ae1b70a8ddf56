"""A view whose times leave out every event says why (the analyst's review: a view under
`--known-at` before anything was recorded printed its header and nothing else). stdout
stays the empty view; stderr gets one `Note:` line naming the time and the earliest one
that would let an event in; the exit code is 0 (`why`: its one `Error:` line says it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import event_stream

from docket import EventLog
from docket.errors import InvalidArgument
from docket.times import format_utc, time_key, upper_bound

RECORDED = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
STREAM = "twitter-india-2021"
RECORDS = [json.loads(line) for line in RECORDED.read_bytes().splitlines()]
FIRST_RECORDED = min(r["recorded_at"] for r in RECORDS)
FIRST_OCCURRED = min(r["occurred_at"] for r in RECORDS)
EVE = "2021-02-08"  # long before the dispute was recorded (2026), inside the dispute


@pytest.fixture
def dispute(backend) -> str:
    code, _, err = invoke("import", "--db", backend, RECORDED)
    assert code == 0, err
    return backend


def _note(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Note: "), err
    return lines[0]


READS = [("compliance", "--json"), ("compliance",), ("state", "--json"), ("state",),
         ("log", "--json"), ("log", "--csv"), ("diff", "--from", "2021-01-01", "--to", EVE)]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_known_at_before_anything_was_recorded_says_so_and_points_to_public_at(dispute,
                                                                               command):
    code, out, err = invoke(*command, "--db", dispute, "--known-at", EVE)
    assert code == 0, err
    note = _note(err)
    assert f"was recorded by {EVE}" in note and FIRST_RECORDED in note, note
    assert "`--known-at` counts from when this log was written" in note
    assert "use `--public-at`" in note and "known_at" not in note  # the user's flags
    # stdout is the empty view exactly as without the note
    if command == ("compliance", "--json"):
        assert json.loads(out) == []
    if command == ("state", "--json"):
        assert json.loads(out)["orders"] == {} and json.loads(out)["last_seq"] == 0
    # what the note suggests has something to show, and says nothing
    code, out, err = invoke(*command, "--db", dispute, "--public-at", EVE)
    assert code == 0 and err == "", err
    assert "O-2021-01-31" in out


def test_just_after_the_first_recording_the_note_is_gone(dispute):
    before = format_utc(time_key(FIRST_RECORDED) - 1)
    code, _, err = invoke("compliance", "--db", dispute, "--known-at", before)
    assert code == 0 and "recorded by" in _note(err)
    code, out, err = invoke("log", "--db", dispute, "--known-at", FIRST_RECORDED)
    assert code == 0 and err == "" and out.strip(), err


def test_as_of_before_the_first_event_names_it(dispute):
    code, out, err = invoke("compliance", "--db", dispute, "--as-of", "2020-12-31", "--json")
    assert code == 0 and json.loads(out) == []
    note = _note(err)
    assert note.endswith(f"occurred by 2020-12-31: the first occurred at {FIRST_OCCURRED}"), note
    code, _, err = invoke("log", "--db", dispute, "--as-of", FIRST_OCCURRED)
    assert code == 0 and err == ""


def test_public_at_before_the_first_source_names_its_day(dispute):
    first_public = min(s["published"][:10] for r in RECORDS for s in r["sources"]
                       if s.get("published"))
    day_before = format_utc(time_key(first_public) - 1)[:10]
    code, out, err = invoke("state", "--db", dispute, "--public-at", day_before, "--json")
    assert code == 0 and json.loads(out)["orders"] == {}
    note = _note(err)
    assert f"was public by {day_before}" in note and note.endswith(f"from {first_public}"), note


def test_why_under_such_a_time_says_it_in_its_error_line(dispute):
    before = Path(dispute).read_bytes() if not dispute.startswith("postgresql") else None
    code, out, err = invoke("why", "O-2021-01-31", "--db", dispute, "--known-at", EVE)
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("Error: REF: 'O-2021-01-31' is not")
    assert f"was recorded by {EVE}" in err and "use `--public-at`" in err, err
    code, _, err = invoke("why", "O-2021-01-31", "--db", dispute, "--as-of", "2020-06-01")
    assert code == 1 and f"the first occurred at {FIRST_OCCURRED}" in err, err
    # an order introduced after a time with events in view: its own hint, no note
    code, _, err = invoke("why", "O-2021-02-04", "--db", dispute, "--as-of", "2021-02-01")
    assert code == 1 and "the order is introduced later, by seq" in err, err
    # with the day it happened and the day it was first reported (an analyst's review:
    # "by seq 6" alone did not say when to ask)
    order = next(r for r in RECORDS if r["type"] == "order_issued"
                 and r["data"]["order_id"] == "O-2021-02-04")
    first = min((s["published"] for s in order["sources"] if s.get("published")),
                key=time_key)
    assert err.rstrip().endswith(f", which occurred at {order['occurred_at']}, first "
                                 f"published {first})"), err
    code, _, err = invoke("why", "AU", "--db", dispute)
    assert code == 1 and "a country is explained by the service there" in err, err
    code, out, err = invoke("why", "O-2021-01-31", "--db", dispute, "--public-at", EVE)
    assert code == 0 and err == "" and "because:" in out
    if before is not None:
        assert Path(dispute).read_bytes() == before


def test_an_empty_report_says_why_on_the_page(dispute, tmp_path):
    page = tmp_path / "r.html"
    code, _, err = invoke("report", "--db", dispute, "--known-at", EVE, "-o", page)
    assert code == 0, err
    text = page.read_text()
    start = text.index('<p class="note empty-why">Nothing to show: no event of stream ')
    line = text[start:text.index("</p>", start)]
    assert f"was recorded by {EVE}: <code>--known-at</code> counts from when this log was " \
           f"written, and its first event was recorded at {FIRST_RECORDED}" in line, line
    assert "use <code>--public-at</code>" in line
    code, _, err = invoke("report", "--db", dispute, "--public-at", EVE, "-o", page)
    assert code == 0 and "empty-why" not in page.read_text()


def test_views_with_something_in_them_have_no_note(dispute):
    for command in (("compliance", "--as-of", EVE), ("state", "--as-of", EVE),
                    ("log", "--from", "2030-01-01"),  # empty, but not by a view time
                    ("diff", "--from", "2021-02-01", "--to", "2021-02-01")):
        code, _, err = invoke(*command, "--db", dispute)
        assert code == 0 and err == "", (command, err)


def test_the_library_names_its_own_arguments(tmp_path):
    log = EventLog(str(tmp_path / "d.db"))
    log.import_lines(enumerate(RECORDED.read_bytes().splitlines(), 1))
    note = log.nothing_in_view(STREAM, known_at=EVE)
    assert "`known_at` counts" in note and "use `public_at`" in note
    assert log.nothing_in_view(known_at=EVE).startswith(f"no event of stream '{STREAM}'")
    assert log.nothing_in_view(STREAM) is None and log.nothing_in_view(STREAM, as_of=EVE) is None
    spelled = log.nothing_in_view(STREAM, known_at=EVE, spell=lambda n: n.upper())
    assert "`KNOWN_AT` counts" in spelled and "`PUBLIC_AT`" in spelled
    with pytest.raises(InvalidArgument, match="known_at"):
        log.nothing_in_view(STREAM, known_at="8 Feb")
    with pytest.raises(InvalidArgument, match="stream"):
        log.nothing_in_view("no-such-stream", known_at=EVE)
    try:  # why's error names them the library's way too
        log.why("O-2021-01-31", known_at=EVE)
    except InvalidArgument as exc:
        assert "`known_at` counts" in str(exc) and "--known-at" not in str(exc)
    else:
        raise AssertionError("why of an order not yet recorded answered")
    log.close()


def test_a_correction_moving_an_event_into_the_view_is_no_empty_view(tmp_path):
    """The stored occurred_at of the only order is after the as-of day, and its correction
    (occurred later still) moves it before: the timeline holds it, so nothing is noted."""
    log = EventLog(str(tmp_path / "m.db"))
    order = {"type": "order_issued", "stream": "s", "occurred_at": "2021-03-01", "id": "o",
             "data": {"order_id": "o", "issuer": "MeitY", "platform": "Twitter",
                      "target_count": 2}}
    fix = {"type": "event_corrected", "stream": "s", "occurred_at": "2021-06-01", "id": "c",
           "data": {"target_id": "o", "reason": "issued earlier", "occurred_at": "2021-01-10"}}
    log.append([order, fix])
    assert [r["id"] for r in log.timeline("s", as_of="2021-02-01")] == ["o"]
    assert log.nothing_in_view("s", as_of="2021-02-01") is None
    assert log.nothing_in_view("s", as_of="2021-01-09").endswith(
        "the first occurred at 2021-01-10")
    log.close()


# -- the property: a note exactly when the times leave every event out -------------------

def _in_view(record: dict, as_of, known_at, public_at) -> bool:
    """Whether the timeline of these times holds `record` (no correction among the events),
    computed from its fields alone."""
    occurred = time_key(record["occurred_at"])
    if known_at is not None and time_key(record["recorded_at"]) > upper_bound(known_at):
        return False
    if as_of is not None and occurred > upper_bound(as_of):
        return False
    if public_at is not None:
        dated = [time_key(s["published"]) for s in record.get("sources", [])
                 if s.get("published") is not None]
        public = min(dated) if dated else time_key(record["recorded_at"])
        if max(public, occurred) > upper_bound(public_at):
            return False
    return True


def _utc(micros: int) -> str | None:
    try:
        return format_utc(micros)
    except OverflowError:  # before year 1 or after 9999
        return None


_KINDS = ("order_issued", "accounts_blocked", "notice_sent", "statement_published",
          "event_retracted", "penalty_imposed")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_note_exactly_when_no_event_is_in_the_timeline(tmp_path_factory, data):
    events = data.draw(event_stream(["s"], min_size=1, max_size=8, kinds=_KINDS))
    log = EventLog(str(tmp_path_factory.mktemp("p") / "d.db"))
    cut = data.draw(st.integers(0, len(events)))
    for batch in (events[:cut], events[cut:]):  # two batches: two recording times
        if batch:
            log.append(batch)
    records = list(log.read())
    instants = sorted({time_key(r[k]) for r in records for k in ("occurred_at", "recorded_at")}
                      | {time_key(s["published"]) for r in records for s in r.get("sources", [])
                         if s.get("published")})
    near = st.sampled_from(sorted({_utc(t + d) for t in instants for d in (-1, 0, 1)} - {None}))
    times = {name: data.draw(st.none() | near, label=name)
             for name in ("as_of", "known_at", "public_at")}
    note = log.nothing_in_view("s", **times)
    expected_empty = not any(_in_view(r, **times) for r in records)
    assert (note is not None) == expected_empty, (note, times)
    assert (log.timeline("s", **times) == []) == expected_empty
    if note is None:
        log.close()
        return
    first_recorded = min(records, key=lambda r: time_key(r["recorded_at"]))["recorded_at"]
    if times["known_at"] is not None and time_key(first_recorded) > upper_bound(
            times["known_at"]):
        assert f"was recorded by {times['known_at']}" in note and first_recorded in note
        log.close()
        return
    known = [r for r in records if _in_view(r, None, times["known_at"], None)]
    first = min(known, key=lambda r: (time_key(r["occurred_at"]), r["seq"]))
    if times["as_of"] is not None and time_key(first["occurred_at"]) > upper_bound(
            times["as_of"]):
        assert note.endswith(f"the first occurred at {first['occurred_at']}"), note
        assert log.timeline("s", as_of=first["occurred_at"], known_at=times["known_at"])
    else:
        assert times["public_at"] is not None and f"was public by {times['public_at']}" in note
    log.close()
