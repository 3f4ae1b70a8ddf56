"""Australia eSafety–X (2024), events/australia-esafety-x-2024.jsonl, at the dates that
matter. Expected figures come from the reporting (eSafety's statements, the Guardian, ABC,
AFR, the Federal Court's reasons [2024] FCA 499), not from Docket's output:

- 16 Apr: a removal notice (Online Safety Act s.109) for 65 posts of the Wakeley stabbing,
  24 hours to comply; eSafety wanted them hidden from X's users everywhere;
- 17 Apr: X withheld them in Australia only ("all the posts at issue in Australia");
- 20 Apr: X says eSafety demanded a global withholding or a daily fine (max $782,500);
- 22 Apr–13 May: the Federal Court's interim injunctions, extension refused on 13 May;
- 5 Jun: eSafety discontinues; no penalty was ever imposed.
"""

from __future__ import annotations

import pytest
from record_log import recorded

STREAM = "australia-esafety-x-2024"
ORDER = "O-2024-04-16-X-removal-notice"
CASE = "NSD 474 of 2024"


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    yield from recorded(tmp_path_factory)


def test_as_of_16_apr_the_notice_wants_65_posts_gone_everywhere(log):
    (row,) = log.compliance(STREAM, as_of="2024-04-16")
    assert (row["order_id"], row["scope"], row["target_count"], row["deadline"]) == \
        (ORDER, "global", 65, "2024-04-17")
    assert (row["status"], row["blocked"], row["overdue"]) == ("pending", 0, False)


def test_as_of_20_apr_withheld_in_australia_only_so_the_global_removal_not_complied(log):
    (row,) = log.compliance(STREAM, as_of="2024-04-20")
    # X acted on 17 April, but only in AU: the global notice counts none of it.
    assert row["first_action_at"] == "2024-04-17"
    assert (row["blocked"], row["ever_blocked"], row["status"]) == (0, 0, "pending")
    assert row["overdue"] is True  # its 24 hours ended with 17 April
    assert row["notices"] == ["N-2024-04-20-global-withhold-demand"]
    view = log.state(STREAM, as_of="2024-04-20")
    notice = view["notices"]["N-2024-04-20-global-withhold-demand"]
    assert (notice["kind"], notice["order_ids"]) == ("non_compliance", [ORDER])
    assert view["penalties"] == {} and view["service"] == {}
    # Had the notice wanted the posts gone from Australia only, the same block complies.
    record = next(r for r in log.timeline(STREAM) if r["type"] == "accounts_blocked")
    assert (record["data"]["scope"], record["data"]["all_targets"]) == ("AU", True)


def test_the_court_case_from_injunction_to_discontinuance(log):
    view = log.state(STREAM, as_of="2024-06-05")
    case = view["challenges"][CASE]
    assert (case["petitioner"], case["filed_at"], case["order_ids"]) == \
        ("eSafety Commissioner", "2024-04-22", [ORDER])
    assert [r["ruled_at"] for r in case["rulings"]] == [
        "2024-04-22", "2024-04-24", "2024-05-10", "2024-05-13", "2024-05-15", "2024-06-05"]
    assert log.state(STREAM, as_of="2024-05-12")["challenges"][CASE]["rulings"][-1][
        "ruled_at"] == "2024-05-10"
    # The $782,500 a day was cited, never imposed.
    assert view["penalties"] == {} and view["penalty_totals"] == {}


def test_every_event_is_sourced_and_confident(log):
    records = log.timeline(STREAM)
    assert len(records) == 24
    for r in records:
        assert r["sources"] and r["confidence"], r["id"]
        assert all(s.get("title") for s in r["sources"]), r["id"]


def test_compliance_says_why_the_acted_on_order_stays_pending(log):
    """The table shows the notice `pending` with a first action on 17 Apr; the command adds
    why on stderr (an analyst's review: only the README said so). Before X acted, and for
    JSON too, the same rows decide it."""
    import subprocess
    import sys
    from pathlib import Path

    docket = Path(sys.executable).with_name("docket")

    def run(*args):
        proc = subprocess.run([str(docket), "compliance", "--stream", STREAM, *args,
                               "--db", str(log.path)], capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout, proc.stderr

    out, err = run("--as-of", "2024-04-20")
    assert ORDER in out and "pending" in out
    assert err == (f"Note: order {ORDER} was acted on from 2024-04-17, but no block under "
                   "it has counted: it has scope global, so only a block made everywhere "
                   "counts towards it (its status is pending)\n")
    assert run("--as-of", "2024-04-20", "--json")[1] == err
    assert run("--as-of", "2024-04-16")[1] == ""  # not acted on yet: nothing to explain


def test_uncounted_actions_names_only_rows_acted_on_where_nothing_counts():
    from docket.views.compliance import uncounted_actions

    row = {"order_id": "O", "scope": "AU", "first_action_at": "2024-04-17",
           "ever_blocked": 0, "status": "pending"}
    (note,) = uncounted_actions([row])
    assert "scope AU, so only a block made in AU or everywhere counts" in note
    for other in ({"scope": None}, {"first_action_at": None}, {"ever_blocked": 1}):
        assert uncounted_actions([{**row, **other}]) == []
