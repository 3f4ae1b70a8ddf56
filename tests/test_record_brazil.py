"""Brazil–X (2024), events/brazil-x-2024.jsonl, at the dates that matter. Every expected
figure is written from the reporting (research notes: Folha, UOL, AFP, AP, Reuters, STF
releases as relayed), not from Docket's output:

- 8 Aug: Moraes orders 8 profiles blocked within two hours (R$50,000 a day, then R$200,000
  a day per profile); 16 Aug: R$20,000 a day against X's legal representative, charged as
  R$300,000 on 27 Sep (15 days from 17 Aug 00:00 −03:00);
- 30 Aug: X suspended in Brazil (in effect at the providers from 31 Aug), R$18.35 million of
  fines to be paid; 11–12 Sep: the frozen funds of X and Starlink transferred, R$18.35 million;
- 19 and 23 Sep: R$5 million a day for two days of circumvention (R$10 million);
- 4 Oct: X pays R$18.35 million, R$10 million and R$300,000 from its own funds;
- 8 Oct: Moraes lets X back; available again.
"""

from __future__ import annotations

import pytest
from record_log import recorded

STREAM = "brazil-x-2024"
ORDER = "O-2024-08-08"
REP, BLOCKING, CIRCUMVENTION = ("P-2024-08-16-representative", "P-2024-08-30-blocking-fines",
                                "P-2024-09-19-circumvention")


def _penalties(view):
    return {k: (p["status"], p["accrued"], p["paid"]) for k, p in view["penalties"].items()}


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    yield from recorded(tmp_path_factory)


def test_as_of_20_aug_the_representatives_fine_runs_and_the_order_is_overdue(log):
    view = log.state(STREAM, as_of="2024-08-20")
    assert view["service"] == {}
    # 17, 18, 19, 20 August begun: 4 x R$20,000
    assert _penalties(view) == {REP: ("outstanding", 80_000, 0)}
    assert view["penalty_totals"] == {"BRL": {"accrued": 80_000, "paid": 0}}
    row = view["orders"][ORDER]
    assert (row["target_count"], row["blocked"], row["status"], row["overdue"]) == \
        (8, 0, "pending", True)
    assert row["penalties"] == [REP]


def test_as_of_15_sep_x_is_suspended_and_the_blocking_fines_paid_from_frozen_funds(log):
    view = log.state(STREAM, as_of="2024-09-15")
    br = view["service"]["BR"]
    assert (br["platform"], br["status"], br["since"]) == ("X", "suspended", "2024-08-31")
    assert _penalties(view) == {REP: ("outstanding", 300_000, 0),
                                BLOCKING: ("paid", 18_350_000, 18_350_000)}
    assert view["penalty_totals"] == {"BRL": {"accrued": 18_650_000, "paid": 18_350_000}}
    row = view["orders"][ORDER]
    assert (row["blocked"], row["status"], row["overdue"]) == (0, "pending", True)
    why = log.why("BR", stream=STREAM, as_of="2024-09-15")
    assert why["kind"] == "service" and why["status"]["status"] == "suspended"


def test_as_of_19_sep_seven_of_eight_blocked_and_a_day_of_circumvention(log):
    view = log.state(STREAM, as_of="2024-09-19")
    row = view["orders"][ORDER]
    assert (row["blocked"], row["compliance"], row["status"]) == (7, 0.875, "partial")
    assert _penalties(view)[CIRCUMVENTION] == ("outstanding", 5_000_000, 0)
    assert view["penalty_totals"]["BRL"] == {"accrued": 23_650_000, "paid": 18_350_000}
    for as_of in ("2024-09-20", "2024-10-03"):
        later = log.state(STREAM, as_of=as_of)
        assert _penalties(later)[CIRCUMVENTION] == ("outstanding", 10_000_000, 0), as_of
        assert later["penalty_totals"]["BRL"] == {"accrued": 28_650_000,
                                                  "paid": 18_350_000}
        assert later["service"]["BR"]["status"] == "suspended"


def test_as_of_9_oct_available_again_and_every_fine_paid(log):
    view = log.state(STREAM, as_of="2024-10-09")
    br = view["service"]["BR"]
    assert (br["status"], br["since"]) == ("available", "2024-10-08")
    # The blocking fines were paid twice inside the window: the frozen funds, then X's own.
    assert _penalties(view) == {REP: ("paid", 300_000, 300_000),
                                BLOCKING: ("paid", 18_350_000, 36_700_000),
                                CIRCUMVENTION: ("paid", 10_000_000, 10_000_000)}
    assert view["penalty_totals"] == {"BRL": {"accrued": 28_650_000, "paid": 47_000_000}}
    assert log.diff("2024-10-07", "2024-10-09", stream=STREAM)[-2:] == [
        {"kind": "service", "key": "BR", "field": "status", "from": "suspended",
         "to": "available"},
        {"kind": "service", "key": "BR", "field": "since", "from": "2024-08-31",
         "to": "2024-10-08"}]


def test_every_event_is_sourced_and_confident(log):
    records = log.timeline(STREAM)
    assert len(records) == 47  # 45 recorded on 1 Dec 2026, two corrections on 2 Dec
    for r in records:
        assert r["sources"] and r["confidence"], r["id"]
        assert all(s.get("title") and s.get("published") and s.get("url")
                   for s in r["sources"]), r["id"]


def test_the_index_compares_the_disputes(log, tmp_path):
    log.project(str(tmp_path))
    index = (tmp_path / "index.md").read_text()
    row = next(line for line in index.splitlines() if line.startswith(f"| {STREAM} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # one order, partial; 42 days from 8 Aug to the first blocks on 19 Sep; 5 notices;
    # R$28.65M accrued, R$47M paid; suspended from 31 Aug to 8 Oct: 38 days
    assert cells == [STREAM, "1", "1 partial", "42", "0", "5", "3", "28,650,000 BRL",
                     "47,000,000 BRL", "BR 38"]
    assert (tmp_path / "index.html").read_text().count("<tr>") == 3 + 1 + 4 + 1
