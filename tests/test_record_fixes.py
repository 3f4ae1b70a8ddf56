"""The fixes of 2 Dec 2026 (events/*-fixes-2026-12-02.jsonl; README, "Fixes recorded on
2 Dec 2026"): what they change in the whole record, and that `--known-at` before them still
gives the record as it stood."""

from __future__ import annotations

import json

import pytest
from record_log import chain_files, recorded

INDIA, BRAZIL = "twitter-india-2021", "brazil-x-2024"
ORDER_257, ORDER_1178 = "O-2021-01-31", "O-2021-02-04"
BEFORE = "2026-12-02T00:00:00Z"  # the fixes were recorded later that day
TOI = "Times of India"


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    yield from recorded(tmp_path_factory)


def _reported(log, **at) -> dict:
    return {r["order_id"]: r["reported"] for r in log.compliance(INDIA, **at)}


def test_the_fixes_follow_the_other_disputes_in_the_chain():
    files = [f.name for f in chain_files()]
    assert files[-3:-1] == [f"{INDIA}-fixes-2026-12-02.jsonl",
                            f"{BRAZIL}-fixes-2026-12-02.jsonl"]
    assert files[-1] == f"{INDIA}-fixes-2026-12-03.jsonl"  # then the fix of 3 Dec
    records = [json.loads(line) for f in chain_files()[-3:-1] for line in f.open()]
    assert all(r["recorded_at"] > BEFORE for r in records)
    assert all(r["sources"] and all(s.get("url") and s.get("published") for s in r["sources"])
               for r in records)


def test_the_times_of_india_figures_are_public_from_the_day_it_published_them(log):
    assert _reported(log, public_at="2021-02-09") == {ORDER_257: None, ORDER_1178: None}
    assert _reported(log, public_at="2021-02-10") == {
        ORDER_257: {"actioned": 126, "specified": 257, "reporter": TOI},
        ORDER_1178: {"actioned": 583, "specified": 1178, "reporter": TOI}}
    # As the log stood before the fixes: corrected to 10 Feb, yet public only from the 11th
    # (its only source then was Business Today of 11 Feb).
    assert _reported(log, public_at="2021-02-10", known_at=BEFORE) == {
        ORDER_257: None, ORDER_1178: None}
    assert _reported(log, public_at="2021-02-11", known_at=BEFORE)[ORDER_257]["actioned"] == 126
    # The as-of views do not move: the same figures, dated the same day.
    assert _reported(log, as_of="2021-02-10") == _reported(log, as_of="2021-02-10",
                                                           known_at=BEFORE)
    retracted = {r["id"]: r for r in log.timeline(INDIA, as_of="2021-02-11", known_at=None)
                 if r.get("retracted")}
    assert set(retracted) == {"2021-02-11-reported-126-of-257", "2021-02-11-reported-583-of-1178",
                              "2021-02-10-twitter-suspends-500-accounts",
                              "2021-02-01-restored-unilaterally"}  # the last by 3 Dec's fix


def test_the_june_2022_notices_carry_their_second_account(log):
    why = log.why("N-2022-06-04-non-compliance", stream=INDIA)
    assert [e["type"] for e in why["events"]] == ["notice_sent", "event_corrected"]
    assert [s["published"] for s in why["events"][1]["sources"]
            if s["title"].startswith("The Quint (citing the Economic Times)")] == ["2022-06-29"]
    assert why["status"]["sent_at"] == "2022-06-04"  # the date kept, the dispute said
    records = {r["id"]: r for r in log.read(stream=INDIA)}
    assert records["2026-12-02-date-of-first-june-2022-notice-disputed"]["confidence"] == \
        "disputed"
    six = log.why("N-2022-06-06-non-compliance", stream=INDIA)
    assert [e["seq"] for e in six["events"]][-1] == \
        records["2026-12-02-second-source-for-6-june-2022-notice"]["seq"]


def test_the_circumvention_fine_was_decided_on_the_18th_and_runs_from_the_19th(log):
    fine = "P-2024-09-19-circumvention"
    now = log.state(BRAZIL, as_of="2024-09-30")["penalties"][fine]
    before = log.state(BRAZIL, as_of="2024-09-30", known_at=BEFORE)["penalties"][fine]
    assert (now["imposed_at"], before["imposed_at"]) == ("2024-09-18", "2024-09-19")
    for view in (now, before):
        assert (view["starts_at"], view["ends_at"], view["accrued"]) == (
            "2024-09-19T00:00:00-03:00", "2024-09-21T00:00:00-03:00", 10_000_000)
    assert fine in log.state(BRAZIL, as_of="2024-09-18")["penalties"]
    assert fine not in log.state(BRAZIL, as_of="2024-09-18", known_at=BEFORE)["penalties"]


# -- the fix of 3 Dec 2026 (events/twitter-india-2021-fixes-2026-12-03.jsonl) ----------------
BEFORE_3_DEC = "2026-12-03T00:00:00Z"


def test_the_restoration_of_1_february_is_public_that_day(log):
    """Twitter's restoration of the 258 targets on the evening of 1 Feb 2021 was reported
    that evening (Hindustan Times, updated 21:07 IST); the record cited only later reports,
    so a view public at 1 Feb showed the order complied with. Now `reverted` that day, as
    the log stood before the fix `complied`, and the as-of views do not move."""
    def row(**at) -> dict:
        return next(r for r in log.compliance(INDIA, **at) if r["order_id"] == ORDER_257)

    assert (row(public_at="2021-02-01")["status"], row(public_at="2021-02-01")["blocked"]) \
        == ("reverted", 0)
    assert row(public_at="2021-02-01", known_at=BEFORE_3_DEC)["status"] == "complied"
    assert row(as_of="2021-02-01") == row(as_of="2021-02-01", known_at=BEFORE_3_DEC)
    assert row() == row(known_at=BEFORE_3_DEC)
    restore = [e for e in log.why(ORDER_257, stream=INDIA)["events"]
               if e["type"] == "accounts_unblocked"]
    assert [e["id"] for e in restore] == ["2021-02-01-restored-unilaterally-rerecorded"]
    assert restore[0]["occurred_at"] == "2021-02-01T21:00:00+05:30"
    assert min(s["published"] for s in restore[0]["sources"]) == "2021-02-01"
    assert all(s.get("url") for s in restore[0]["sources"])
