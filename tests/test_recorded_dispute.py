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
    kinds = [(e["occurred_at"][:10], e["type"]) for e in lines]
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


def test_as_of_12_feb_the_1178_order_shows_583_reported(log):
    row = _order(log.compliance(STREAM, as_of="2021-02-12"), ORDER_1178)
    assert row["reported"]["actioned"] == 583 and row["reported"]["specified"] == 1178
    before = _order(log.compliance(STREAM, as_of="2021-02-10"), ORDER_1178)
    assert before["reported"] is None


def test_known_at_before_recording_shows_nothing(log, lines):
    recorded = [r["recorded_at"] for r in log.read(STREAM)]
    assert recorded == sorted(recorded)
    empty = log.state(STREAM, known_at="2000-01-01")
    assert (empty["orders"], empty["accounts"], empty["version"]) == ({}, {}, 0)
    assert log.compliance(STREAM, known_at="2000-01-01") == []
    assert len(log.compliance(STREAM, known_at=recorded[-1])) == 2


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
