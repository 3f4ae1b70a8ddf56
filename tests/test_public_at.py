"""`--public-at T` (issue 19.4): only events with a source published by T; an event without a
dated source is public once the log recorded it. Retractions and corrections count the same
way. Checked against logs that hold only the public events, on the recorded dispute and on
random streams."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import invoke
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from record_log import AS_FIRST_RECORDED, recorded_log
from strategies import event_stream

from docket import EventLog
from docket.times import format_utc, time_key, upper_bound

DISPUTE = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
STREAM = "twitter-india-2021"
INPUT_KEYS = ("type", "stream", "occurred_at", "actor", "data", "sources", "confidence", "id")
# The view's keys that say how it was selected or how far the log is, not what it holds.
NOT_CONTENT = {"as_of", "known_at", "public_at", "last_seq", "version", "fingerprint"}


# The dispute as first recorded (its first 22 lines): the expectations below are computed from
# the records' own fields, which the later corrections would change (retractions and
# corrections under public_at are covered by the random-stream property below).
_LINES = DISPUTE.read_bytes().splitlines(keepends=True)[:AS_FIRST_RECORDED]


def _records() -> list[dict]:
    return [json.loads(line) for line in _LINES]


def _first_published(record: dict) -> int:
    """The instant the record became public, computed here from its fields alone."""
    dated = [time_key(s["published"]) for s in record.get("sources", [])
             if s.get("published") is not None]
    return min(dated) if dated else time_key(record["recorded_at"])


def _seen_at(record: dict, bound: int) -> bool:
    """Whether a `--public-at` view whose day ends at `bound` holds `record` (uncorrected):
    first published by then, and occurred by then (the view stops at its day)."""
    return _first_published(record) <= bound and time_key(record["occurred_at"]) <= bound


def _as_input(record: dict) -> dict:
    return {k: record[k] for k in INPUT_KEYS if record.get(k) is not None}


def _content(view: dict) -> dict:
    return {k: v for k, v in view.items() if k not in NOT_CONTENT}


@pytest.fixture(scope="module")
def dispute(tmp_path_factory) -> EventLog:
    log = EventLog(str(tmp_path_factory.mktemp("dispute") / "docket.db"))
    log.import_lines(enumerate(_LINES, 1))
    return log


def _days_of_dispute() -> list[str]:
    days = {s["published"][:10] for r in _records() for s in r["sources"] if s.get("published")}
    return sorted(days | {"2021-01-30", "2021-02-09"})


def test_each_publication_day_equals_a_log_of_only_what_was_public(dispute, tmp_path):
    """At every day a source of the dispute was published (and the eve of the first), the
    views equal those of a log that holds only the events published by then that had
    occurred by then."""
    records = _records()
    for day in _days_of_dispute():
        public = [r for r in records if _seen_at(r, upper_bound(day))]
        rows = dispute.compliance(STREAM, public_at=day)
        view = dispute.state(STREAM, public_at=day)
        assert view["public_at"] == day
        if not public:
            assert rows == [] and view["orders"] == {} and view["accounts"] == {}
            continue
        reference = EventLog(str(tmp_path / f"{day}.db"))
        reference.append([_as_input(r) for r in public])
        assert rows == reference.compliance(STREAM), day
        assert _content(view) == _content(reference.state(STREAM)), day
        assert [r["id"] for r in dispute.timeline(STREAM, public_at=day)] == \
            [r["id"] for r in reference.timeline(STREAM)], day
        reference.close()


def test_compliance_on_9_february_shows_no_figure_published_later(dispute):
    """The figures of every `compliance_reported` first published after 9 Feb are absent
    from `compliance --public-at 2021-02-09`, and present from the day they were published."""
    later = [r for r in _records() if r["type"] == "compliance_reported"
             and _first_published(r) > upper_bound("2021-02-09")]
    assert later, "the dispute reports figures after 9 Feb"
    code, out, err = invoke("compliance", "--db", dispute.path, "--public-at", "2021-02-09",
                            "--json")
    assert code == 0, err
    shown = {(r["order_id"], json.dumps(r["reported"], sort_keys=True)) for r in json.loads(out)}
    for record in later:
        data = record["data"]
        figures = {"actioned": data["actioned"], "specified": data["specified"],
                   "reporter": data["reporter"]}
        assert (data["order_id"], json.dumps(figures, sort_keys=True)) not in shown
        day = min(s["published"] for s in record["sources"] if s.get("published"))
        then = {r["order_id"]: r["reported"]
                for r in dispute.compliance(STREAM, public_at=day)}
        assert then[data["order_id"]] == figures


def test_public_at_differs_from_as_of_where_the_news_came_later(dispute):
    """The order of 31 Jan was first reported on 1 Feb: as of 31 Jan it is there, public at
    31 Jan it is not. The case filed on 5 Jul 2022 was first reported on 12 Jul."""
    assert [r["order_id"] for r in dispute.compliance(STREAM, as_of="2021-01-31")] == \
        ["O-2021-01-31"]
    assert dispute.compliance(STREAM, public_at="2021-01-31") == []
    case = "WP 13710/2022"
    assert case in dispute.state(STREAM, as_of="2022-07-08")["challenges"]
    assert case not in dispute.state(STREAM, public_at="2022-07-08")["challenges"]
    code, _, err = invoke("why", case, "--db", dispute.path, "--public-at", "2022-07-08")
    assert code == 1 and err.startswith("Error: ") and len(err.splitlines()) == 1
    code, out, err = invoke("why", case, "--db", dispute.path, "--public-at", "2022-07-12")
    assert code == 0 and "challenge_filed" in out, err


def test_public_at_combines_with_as_of(dispute):
    """Both filters apply: public by 11 Feb and occurred by 8 Feb."""
    both = dispute.timeline(STREAM, as_of="2021-02-08", public_at="2021-02-11")
    expected = [r["id"] for r in _records() if _first_published(r) <= upper_bound("2021-02-11")
                and time_key(r["occurred_at"]) <= upper_bound("2021-02-08")]
    assert [r["id"] for r in both] == expected
    assert len(expected) < len(dispute.timeline(STREAM, public_at="2021-02-11"))


def test_cli_read_commands_take_public_at(dispute):
    db = dispute.path
    for args in (("log",), ("state",), ("compliance",), ("why", "O-2021-02-04"),
                 ("diff", "--from", "2021-02-01", "--to", "2021-02-11")):
        code, out, err = invoke(*args, "--db", db, "--public-at", "2021-02-09")
        assert code == 0 and out, (args, err)
    code, out, _ = invoke("state", "--db", db, "--public-at", "2021-02-09")
    assert "public at 2021-02-09" in out.splitlines()[0]
    code, out, _ = invoke("diff", "--db", db, "--from", "2021-02-01", "--to", "2021-02-11",
                          "--public-at", "2021-02-09")
    assert "reported" not in out  # the figures came out on 11 Feb
    code, out, _ = invoke("diff", "--db", db, "--from", "2021-02-01", "--to", "2021-02-11")
    assert "reported" in out


@pytest.mark.parametrize("value, words", [("2021-02-30", "impossible date"),
                                          ("2021-02-09T10:00:00", "no offset"),
                                          ("yesterday", "YYYY-MM-DD")])
def test_a_bad_public_at_is_one_error_line(dispute, value, words):
    before = Path(dispute.path).read_bytes()
    for command in (("compliance",), ("log",), ("state",), ("why", "O-2021-02-04")):
        code, out, err = invoke(*command, "--db", dispute.path, "--public-at", value)
        assert code == 1 and out == "", command
        assert err.startswith("Error: --public-at: ") and words in err, err
        assert len(err.splitlines()) == 1
    assert Path(dispute.path).read_bytes() == before


def test_follow_refuses_public_at(dispute):
    code, _, err = invoke("log", "--db", dispute.path, "--follow", "--public-at", "2021-02-09")
    assert code == 2 and "--follow" in err


def _order(oid: str, published: str | None, **extra) -> dict:
    event = {"type": "order_issued", "stream": "s", "occurred_at": "2021-01-05", "id": oid,
             "data": {"order_id": oid, "issuer": "MeitY", "platform": "Twitter",
                      "target_count": 3}, **extra}
    if published is not None:
        event["sources"] = [{"title": "Paper: an order", "published": published}]
    return event


def _ids(log: EventLog, **times) -> list[str]:
    return [r["id"] for r in log.timeline("s", **times)]


def test_an_event_without_a_dated_source_is_public_once_recorded(tmp_path):
    log = EventLog(str(tmp_path / "d.db"))
    log.append([_order("dated", "2021-01-06"), _order("bare", None),
                {**_order("undated", None), "sources": [{"title": "Paper: no date"}]}])
    recorded = {r["id"]: r["recorded_at"] for r in log.read()}
    assert _ids(log, public_at="2021-12-31") == ["dated"]
    at = recorded["bare"]
    assert recorded["undated"] == at  # one batch, one recording time
    assert _ids(log, public_at=at) == ["dated", "bare", "undated"]
    just_before = format_utc(time_key(at) - 1)
    assert _ids(log, public_at=just_before) == ["dated"]


def test_public_at_combines_with_known_at(tmp_path):
    log = EventLog(str(tmp_path / "k.db"))
    log.append([_order("first", "2021-01-10")])
    log.append([_order("second", "2020-01-10", occurred_at="2020-01-05")])
    recorded = {r["id"]: r["recorded_at"] for r in log.read()}
    assert time_key(recorded["first"]) < time_key(recorded["second"])
    known = recorded["first"]
    assert _ids(log, public_at="2021-06-01") == ["second", "first"]  # replay order: by occurred_at
    assert _ids(log, public_at="2020-06-01") == ["second"]
    assert _ids(log, known_at=known, public_at="2021-06-01") == ["first"]
    assert _ids(log, known_at=known, public_at="2020-06-01") == []


def test_a_view_public_at_a_day_holds_nothing_that_happened_later(tmp_path):
    """A source published before its event (an earlier article naming the accounts, the
    news of an order that took effect the next day) does not put the event in a view of a
    day before it happened: what the world could know then stops at then."""
    log = EventLog(str(tmp_path / "p.db"))
    block = {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-01-08",
             "id": "b", "data": {"order_id": "o", "targets": ["@a"]},
             "sources": [{"title": "Paper: the accounts", "published": "2021-01-06"}]}
    log.append([_order("o", "2021-01-05"), block])
    for day in ("2021-01-06", "2021-01-07"):
        assert _ids(log, public_at=day) == ["o"], day
        view = log.state("s", public_at=day)
        assert view["accounts"] == {} and view["orders"]["o"]["blocked"] == 0
        assert log.compliance("s", public_at=day)[0]["first_action_at"] is None
    assert _ids(log, public_at="2021-01-08") == ["o", "b"]
    assert log.state("s", public_at="2021-01-08")["accounts"]["@a"]["status"] == "blocked"
    # as with --as-of, a time within the day counts: the block at 00:00 UTC of the 8th
    assert _ids(log, public_at="2021-01-07T23:59:59Z") == ["o"]
    assert _ids(log, public_at="2021-01-08T00:00:00Z") == ["o", "b"]
    code, out, err = invoke("why", "@a", "--db", log.path, "--public-at", "2021-01-07")
    assert code == 1 and err.startswith("Error: ") and len(err.splitlines()) == 1
    log.close()


def test_a_retraction_acts_once_it_is_public(tmp_path):
    log = EventLog(str(tmp_path / "r.db"))
    log.append([_order("o", "2021-01-06"),
                {"type": "event_retracted", "stream": "s", "occurred_at": "2021-03-01",
                 "id": "r", "data": {"target_id": "o", "reason": "never issued"},
                 "sources": [{"title": "Paper: a correction", "published": "2021-03-01"}]},
                {"type": "event_corrected", "stream": "s", "occurred_at": "2021-04-01",
                 "id": "c", "data": {"target_id": "o", "reason": "wrong count",
                                     "data": {"order_id": "o", "issuer": "MeitY",
                                              "platform": "Twitter", "target_count": 9}},
                 "sources": [{"title": "Paper: the count", "published": "2021-04-01"}]}])
    assert [r["order_id"] for r in log.compliance("s", public_at="2021-02-28")] == ["o"]
    assert log.compliance("s", public_at="2021-02-28")[0]["target_count"] == 3
    assert log.compliance("s", public_at="2021-03-01") == []
    assert log.compliance("s") == []
    timeline = {r["id"]: r for r in log.timeline("s", public_at="2021-03-15")}
    assert timeline["o"]["retracted"]["id"] == "r" and "c" not in timeline
    assert "retracted" not in log.timeline("s", public_at="2021-02-28")[0]


def test_amending_a_retracted_event_again_is_taken_for_what_it_makes_public(tmp_path):
    """A second retraction of an event, and a correction of a retracted one, are appended:
    under --public-at each acts from its own source's date, so one with an earlier source
    than the first retraction's changes the views before that date."""
    def amend(kind, ident, published, **data):
        return {"type": kind, "stream": "s", "occurred_at": "2021-04-01", "id": ident,
                "data": {"target_id": "o", "reason": "later reporting", **data},
                "sources": [{"title": f"Paper: {ident}", "published": published}]}

    log = EventLog(str(tmp_path / "a.db"))
    log.append([_order("o", "2021-01-06"), amend("event_retracted", "r1", "2021-03-01")])
    assert log.compliance("s", public_at="2021-02-15")[0]["order_id"] == "o"
    log.append([amend("event_corrected", "c", "2021-02-01", data={
        "order_id": "o", "issuer": "MeitY", "platform": "Twitter", "target_count": 9})])
    assert log.compliance("s", public_at="2021-01-31")[0]["target_count"] == 3
    assert log.compliance("s", public_at="2021-02-15")[0]["target_count"] == 9
    assert log.compliance("s", public_at="2021-03-01") == []
    log.append([amend("event_retracted", "r2", "2021-02-10")])
    assert log.compliance("s", public_at="2021-02-05")[0]["target_count"] == 9
    assert log.compliance("s", public_at="2021-02-15") == []
    assert log.compliance("s") == []
    assert log.verify()["ok"]
    log.close()


def test_a_correction_acts_once_it_is_public(tmp_path):
    log = EventLog(str(tmp_path / "c.db"))
    log.append([_order("o", "2021-01-06"),
                {"type": "event_corrected", "stream": "s", "occurred_at": "2021-04-01",
                 "id": "c", "data": {"target_id": "o", "reason": "wrong count",
                                     "occurred_at": "2021-01-02",
                                     "data": {"order_id": "o", "issuer": "MeitY",
                                              "platform": "Twitter", "target_count": 9}},
                 "sources": [{"title": "Paper: the count", "published": "2021-04-01"}]}])
    before = log.compliance("s", public_at="2021-03-31")
    after = log.compliance("s", public_at="2021-04-01")
    assert [(r["target_count"], r["issued_at"]) for r in before] == [(3, "2021-01-05")]
    assert [(r["target_count"], r["issued_at"]) for r in after] == [(9, "2021-01-02")]
    assert log.compliance("s") == after


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(events=event_stream(streams=["s"], max_size=10, with_id=True),
       day=st.dates().map(str))
@example(events=[{"type": "order_issued", "stream": "s", "occurred_at": "2000-01-01", "id": "0",
                  "data": {"order_id": "0", "issuer": "0", "platform": "0",
                           "deadline": "2000-01-01"}}], day="2000-01-01")  # overdue far off
def test_the_timeline_holds_exactly_the_public_events(tmp_path_factory, events, day):
    """For random streams (retractions and corrections included) and any day: the timeline
    public at that day holds the events first published by then (or recorded by then, when
    undated) that occurred by then (as corrected by the corrections public by then), each
    marked retracted exactly when a retraction of it was public too; far in the future
    every view is the one as of that day, and the timeline the head's."""
    log = EventLog(str(tmp_path_factory.mktemp("h") / "h.db"))
    try:
        log.append(events)
        records = {r["id"]: r for r in log.read()}
        bound = upper_bound(day)
        occurred = {i: r["occurred_at"] for i, r in records.items()}
        for r in records.values():  # in seq order: a later correction replaces an earlier
            if (r["type"] == "event_corrected" and _first_published(r) <= bound
                    and r["data"].get("occurred_at") is not None):
                occurred[r["data"]["target_id"]] = r["data"]["occurred_at"]
        public = {i for i, r in records.items()
                  if _first_published(r) <= bound and time_key(occurred[i]) <= bound}
        timeline = log.timeline("s", public_at=day)
        assert {r["id"] for r in timeline} == public
        # A public retraction acts whatever its own occurred_at, as a correction does
        # (README): one dated after the day still marks its target (hypothesis found the
        # oracle asking otherwise, with a retraction dated a day after the view's).
        retracted = {r["data"]["target_id"] for r in records.values()
                     if r["type"] == "event_retracted" and _first_published(r) <= bound}
        assert {r["id"] for r in timeline if r.get("retracted")} == retracted & public
        # Far in the future every event is public: the views are those as of that day (a
        # public_at view is judged at its time: a deadline passed by then is overdue).
        end = "9999-12-31"
        assert _content(log.state("s", public_at=end)) == _content(log.state("s", as_of=end))
        assert log.compliance("s", public_at=end) == log.compliance("s", as_of=end)
        assert log.timeline("s", public_at=end) == log.timeline("s")
    finally:
        log.close()


def test_report_takes_public_at(dispute):
    """The page shows the selection and leaves out the figures published later."""
    pages = {}
    for day in ("2021-02-09", "2021-02-11"):
        code, out, err = invoke("report", "--db", dispute.path, "--public-at", day, "-o", "-")
        assert code == 0, err
        assert f"public at <code>{day}</code>" in out
        pages[day] = out
    assert "583 of 1,178" not in pages["2021-02-09"]
    assert "583 of 1,178" in pages["2021-02-11"]
    code, out, _ = invoke("report", "--db", dispute.path, "-o", "-")
    assert code == 0 and "public at" not in out


def test_headings_say_the_time_a_public_at_view_stops_at(dispute, tmp_path):
    """An analyst's review: `state --public-at 2021-02-09` was headed "as of now" though the
    view stops at the 9th. The heading's "as of" is the earlier of --as-of and --public-at,
    in the state table and in the report."""
    for extra, shown in ((["--public-at", "2021-02-09"], "2021-02-09"),
                         (["--public-at", "2021-02-09", "--as-of", "2021-02-05"], "2021-02-05"),
                         (["--public-at", "2021-02-09", "--as-of", "2021-03-01"], "2021-02-09"),
                         (["--as-of", "2021-02-05"], "2021-02-05"), ([], "now")):
        code, out, err = invoke("state", "--db", dispute.path, *extra)
        assert code == 0, err
        assert out.splitlines()[0].startswith(f"stream {STREAM}  as of {shown}  known at now"), \
            (extra, out.splitlines()[0])
    page = tmp_path / "r.html"
    code, _, err = invoke("report", "--db", dispute.path, "--public-at", "2021-02-09",
                          "-o", page)
    assert code == 0, err
    text = page.read_text()
    assert "as of <code>2021-02-09</code>, known at <code>now</code>, public at " \
           "<code>2021-02-09</code>" in text


# -- a public_at view is judged at its time (an analyst's review, 2026-12-03) --------------
@pytest.fixture(scope="module")
def record(tmp_path_factory) -> EventLog:
    """Every recorded dispute, the files of events/ imported in the chain's order."""
    return recorded_log(tmp_path_factory.mktemp("record") / "docket.db")


def test_a_public_at_view_accrues_and_falls_overdue_at_its_time(record):
    """`--public-at T` alone judged a daily fine's accrual and `overdue` at the latest
    public event, not at T, under a heading "as of T": Brazil's fine on X's representative
    (R$20,000 a day from 17 Aug 2024) read 0 on 25 Aug, and eSafety's notice (deadline
    17 Apr 2024) was not overdue on 19 Apr. Now they read as at `--as-of T --public-at T`."""
    fine = record.state("brazil-x-2024", public_at="2024-08-25")["penalties"][
        "P-2024-08-16-representative"]
    assert (fine["accrued"], fine["per"], fine["amount"]) == (20000 * 9, "day", 20000)
    assert record.why("P-2024-08-16-representative", stream="brazil-x-2024",
                      public_at="2024-08-25")["status"]["accrued"] == 180000
    row = record.compliance("australia-esafety-x-2024", public_at="2024-04-19")[0]
    assert row["deadline"] < "2024-04-19" and row["overdue"] is True


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_public_at_alone_is_as_of_the_same_time_too(record, data):
    """At any day of the recorded disputes, a view public at T equals the view as of T and
    public at T (but for the times it names): the view stops at T either way."""
    stream = data.draw(st.sampled_from(record.streams()))
    day = data.draw(st.dates(min_value=date(2021, 1, 1), max_value=date(2024, 12, 31))
                    .map(str))
    alone = record.state(stream, public_at=day)
    both = record.state(stream, as_of=day, public_at=day)
    assert _content(alone) == _content(both) and alone["fingerprint"] == both["fingerprint"]
    assert record.compliance(stream, public_at=day) == \
        record.compliance(stream, as_of=day, public_at=day)


def test_a_public_at_report_runs_to_its_day(record, tmp_path):
    """The report's date control stopped at the last public event (17 Aug), so the day
    asked for (25 Aug) could not be chosen; its last frame is that day's view."""
    page = tmp_path / "b.html"
    code, _, err = invoke("report", "--db", record.path, "--stream", "brazil-x-2024",
                          "--public-at", "2024-08-25", "-o", page)
    assert code == 0, err
    text = page.read_text()
    assert '<input type="date" id="asof-date" min="2024-04-06" max="2024-08-25">' in text
    assert "as of <code>2024-08-25</code>" in text
