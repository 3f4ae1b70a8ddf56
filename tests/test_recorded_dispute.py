"""The recorded dispute (events/twitter-india-2021.jsonl): the analysts' answers, checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docket import EventLog

EVENTS = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
STREAM = "twitter-india-2021"
ORDER_257 = "O-2021-01-31"
ORDER_1178 = "O-2021-02-04"


@pytest.fixture(scope="module")
def lines() -> list[dict]:
    return [json.loads(line) for line in EVENTS.read_text().splitlines() if line.strip()]


def _import(path) -> EventLog:
    log = EventLog(str(path))
    with open(EVENTS, "rb") as fh:
        log.import_lines(enumerate(fh, 1))
    return log


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> EventLog:
    return _import(tmp_path_factory.mktemp("dispute") / "docket.db")


def test_the_file_is_an_export_that_imports_exactly(log):
    """The committed file is the log itself: importing it reproduces it, hashes included,
    so the committed projections (and the checkpoint root) are reproducible."""
    assert b"".join(log.export_lines()) == EVENTS.read_bytes()


def _order(rows: list[dict], order_id: str) -> dict:
    (row,) = [r for r in rows if r["order_id"] == order_id]
    return row


def test_every_event_is_sourced_and_has_a_readable_id(lines):
    assert len(lines) >= 20
    for event in lines:
        assert event["stream"] == STREAM
        assert event["id"][:10] == event["occurred_at"][:10], event["id"]
        assert event["sources"], event["id"]
        assert all(s["title"] and s.get("published") for s in event["sources"]), event["id"]
        assert event["confidence"] in ("confirmed", "reported", "single_source", "disputed")
    assert len({e["id"] for e in lines}) == len(lines)


def test_the_record_covers_the_dispute_from_republic_day_to_the_appeal(lines):
    # The story as first recorded (the first 22 lines), before the corrections appended.
    kinds = [(e["occurred_at"][:10], e["type"]) for e in lines[:22]]
    assert kinds[0][0] == "2021-01-26"
    assert ("2021-01-31", "order_issued") in kinds
    assert ("2021-02-04", "order_issued") in kinds
    assert ("2022-07-05", "challenge_filed") in kinds
    assert ("2023-06-30", "ruling_issued") in kinds
    assert kinds[-1][0].startswith("2023-08")
    ruling = next(e for e in lines if e["type"] == "ruling_issued")
    assert ruling["data"]["costs"] == 5_000_000 and ruling["data"]["currency"] == "INR"
    notice = next(e for e in lines if e["type"] == "notice_sent")
    assert notice["confidence"] == "disputed"  # 2 Feb or 3 Feb: the sources disagree


def test_as_of_8_feb_the_1178_order_is_pending_and_the_31_jan_order_reverted(log):
    rows = log.compliance(STREAM, as_of="2021-02-08")
    first, second = _order(rows, ORDER_257), _order(rows, ORDER_1178)
    assert second["target_count"] == 1178
    assert second["status"] == "pending" and second["blocked"] == 0
    # Nothing records a deadline for it, so it cannot be overdue.
    assert second["deadline"] is None and second["overdue"] is False
    assert first["status"] == "reverted"
    assert first["ever_blocked"] == first["target_count"] == 258
    assert first["blocked"] == 0 and first["restored"] == 258
    assert first["first_action_at"].startswith("2021-02-01")


def test_as_of_8_feb_the_notice_is_acknowledged_and_dialogue_requested(log):
    state = log.state(STREAM, as_of="2021-02-08")
    (notice_id,) = state["notices"]
    assert state["notices"][notice_id]["kind"] == "non_compliance"
    assert state["notices"][notice_id]["acknowledged_at"] == "2021-02-08"
    assert state["orders"][ORDER_257]["acknowledged"] is True
    assert [d["by"] for d in state["dialogue"]] == ["Twitter"]


def test_as_of_7_feb_nothing_is_acknowledged_yet(log):
    state = log.state(STREAM, as_of="2021-02-07")
    assert state["dialogue"] == []
    assert all(n["acknowledged_at"] is None for n in state["notices"].values())


# Recorded before the corrections of 1 Dec 2026 (the first 22 lines were recorded on
# 29 Nov 2026): what an analyst could have known then.
BEFORE_FIXES = "2026-11-30"
TOI = "Times of India"


def test_as_of_12_feb_1398_of_1435_handles_reported_and_the_1178_order_still_pending(log):
    """Times of India, 12 Feb 2021 (via Business Today, Oneindia, India TV): 1,398 of the
    1,435 handles of both orders actioned, 220 of the first's 257; no dated block."""
    rows = log.compliance(STREAM, as_of="2021-02-12")
    first, second = _order(rows, ORDER_257), _order(rows, ORDER_1178)
    assert first["reported"] == {"actioned": 220, "specified": 257, "reporter": TOI}
    assert second["reported"] == {"actioned": 1178, "specified": 1178, "reporter": TOI}
    assert first["reported"]["actioned"] + second["reported"]["actioned"] == 1398
    assert first["reported"]["specified"] + second["reported"]["specified"] == 1435
    assert (second["status"], second["blocked"], second["first_action_at"]) == \
        ("pending", 0, None)
    # 10 Feb: the Times of India's 126 of 257 and 583 of 1,178 (corrected from 11 Feb and
    # Business Today).
    rows = log.compliance(STREAM, as_of="2021-02-10")
    assert _order(rows, ORDER_257)["reported"] == {"actioned": 126, "specified": 257,
                                                   "reporter": TOI}
    assert _order(rows, ORDER_1178)["reported"] == {"actioned": 583, "specified": 1178,
                                                    "reporter": TOI}
    assert _order(log.compliance(STREAM, as_of="2021-02-09"), ORDER_1178)["reported"] is None


def test_known_at_before_the_corrections_still_shows_the_old_record(log):
    rows = log.compliance(STREAM, as_of="2021-02-12", known_at=BEFORE_FIXES)
    old = "Business Today (citing Times of India)"
    assert _order(rows, ORDER_257)["reported"] == {"actioned": 126, "specified": 257,
                                                   "reporter": old}
    assert _order(rows, ORDER_1178)["reported"] == {"actioned": 583, "specified": 1178,
                                                    "reporter": old}
    # The old record dated those figures 11 Feb: none as of the 10th then.
    assert _order(log.compliance(STREAM, as_of="2021-02-10", known_at=BEFORE_FIXES),
                  ORDER_1178)["reported"] is None
    # The restore moved from about 17:00 to about 21:00 IST on 1 Feb: at 20:00 IST the
    # 31 Jan order is still complied now, reverted in the old record.
    at = "2021-02-01T20:00:00+05:30"
    now = _order(log.compliance(STREAM, as_of=at), ORDER_257)
    assert (now["status"], now["blocked"]) == ("complied", 258)
    then = _order(log.compliance(STREAM, as_of=at, known_at=BEFORE_FIXES), ORDER_257)
    assert (then["status"], then["blocked"], then["ever_blocked"]) == ("reverted", 0, 258)
    late = _order(log.compliance(STREAM, as_of="2021-02-01T21:30:00+05:30"), ORDER_257)
    assert late["status"] == "reverted"
    # The timeline then: 22 events, none retracted; now the merged "over 500" is retracted.
    assert len(log.timeline(STREAM, known_at=BEFORE_FIXES)) == 22
    marked = {r["id"]: r.get("retracted") for r in log.timeline(STREAM)}
    assert marked["2021-02-10-twitter-suspends-500-accounts"]["id"] == \
        "2026-12-01-retract-500-accounts-merged"
    assert log.state(STREAM, known_at=BEFORE_FIXES)["penalties"] == {}


def test_the_costs_are_a_penalty_stayed_and_half_deposited(log):
    """Karnataka HC, 30 Jun 2023: Rs 50 lakh costs; stayed 10 Aug 2023 on a deposit of
    Rs 25 lakh, reported made on 13 Sep 2023."""
    pid = "P-2023-06-30-costs"
    at = {"2023-06-29": None, "2023-06-30": ("outstanding", 0), "2023-08-10": ("lifted", 0),
          "2023-09-13": ("lifted", 2_500_000)}
    for as_of, want in at.items():
        view = log.state(STREAM, as_of=as_of)
        if want is None:
            assert pid not in view["penalties"] and view["penalty_totals"] == {}
            continue
        p = view["penalties"][pid]
        assert (p["status"], p["paid"]) == want, as_of
        assert (p["amount"], p["currency"], p["per"], p["accrued"], p["case_id"]) == \
            (5_000_000, "INR", "once", 5_000_000, "WP 13710/2022")
        assert view["penalty_totals"] == {"INR": {"accrued": 5_000_000, "paid": want[1]}}


def test_known_at_before_recording_shows_nothing(log, lines):
    recorded = [r["recorded_at"] for r in log.read(STREAM)]
    assert recorded == sorted(recorded)
    empty = log.state(STREAM, known_at="2000-01-01")
    assert (empty["orders"], empty["accounts"], empty["version"]) == ({}, {}, 0)
    assert log.compliance(STREAM, known_at="2000-01-01") == []
    assert len(log.compliance(STREAM, known_at=recorded[-1])) == 2
    assert len(lines) == 40 and lines[21]["recorded_at"] < BEFORE_FIXES < lines[22]["recorded_at"]


def test_a_late_correction_is_invisible_before_it_was_recorded(tmp_path):
    log = _import(tmp_path / "d.db")
    known_before = next(iter(log.read(STREAM)))["recorded_at"]
    log.append([{"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-09",
                 "id": "late-block", "data": {"order_id": ORDER_1178, "count": 100}}])
    now = _order(log.compliance(STREAM, as_of="2021-02-12"), ORDER_1178)
    then = _order(log.compliance(STREAM, as_of="2021-02-12", known_at=known_before),
                  ORDER_1178)
    assert (now["blocked"], now["status"]) == (100, "partial")
    assert (then["blocked"], then["status"]) == (0, "pending")
