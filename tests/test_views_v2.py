"""Catalogue v2 in the views (SPEC §3, §5), every figure computed by hand: a daily fine's
`accrued` on its first day, mid-way, after a lift and past its `ends_at`; a payment naming
two penalties; a global order complied only by global blocks, a country order by a block
there or a global one; the service per country; the reference rules at append time; `why`
and `diff` of the new parts; the stored views equal to a fresh replay while a daily fine
accrues."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import export_of, invoke

from docket import EventLog
from docket.times import time_key

S = "v2"
DAY_FINE = 50_000  # BRL a day


def ev(type_, when, ident, **data):
    return {"type": type_, "stream": S, "occurred_at": when, "id": ident, "data": data,
            "sources": [{"title": f"source of {ident}", "published": when[:10]}]}


ORDER = ev("order_issued", "2024-08-28", "o1", order_id="O-1", issuer="STF", platform="X",
           targets=["@a", "@b"], scope="BR")
# Imposed on the 28th, accruing from the 30th (day precision: 00:00 UTC that day).
DAILY = ev("penalty_imposed", "2024-08-28", "p1", penalty_id="P-day", issuer="STF",
           against="X", amount=DAY_FINE, currency="BRL", per="day", order_ids=["O-1"],
           starts_at="2024-08-30")
ONCE = ev("penalty_imposed", "2024-08-29", "p2", penalty_id="P-once", issuer="STF",
          against="X", amount=18_000_000, currency="BRL", order_ids=["O-1"])
CAPPED = ev("penalty_imposed", "2024-08-29", "p3", penalty_id="P-capped", issuer="STF",
            against="Starlink", amount=10, currency="USD", per="day",
            starts_at="2024-08-31T12:00:00Z", ends_at="2024-09-02")
SUSPEND = ev("service_suspended", "2024-08-30T23:00:00Z", "s1", platform="X", scope="BR",
             ordered_by="STF", order_id="O-1", method="internet providers told to block it")
LIFT = ev("penalty_lifted", "2024-09-10", "l1", penalty_id="P-day", by="STF",
          reason="stayed")
PAY = ev("penalty_paid", "2024-09-20", "pay1", amount=18_300_000, currency="BRL", by="X",
         penalty_ids=["P-day", "P-once"], reason="funds seized")
PAY_USD = ev("penalty_paid", "2024-09-21", "pay2", amount=7, currency="USD", by="X",
             penalty_ids=["P-once"])  # another currency than P-once's: not P-once's
RESTORE = ev("service_restored", "2024-10-08T18:00:00Z", "r1", platform="X", scope="BR",
             by="STF", reason="fines paid, orders complied with")
EVENTS = [ORDER, DAILY, ONCE, CAPPED, SUSPEND, LIFT, PAY, PAY_USD, RESTORE]


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    log = EventLog(str(tmp_path_factory.mktemp("v2") / "docket.db"))
    log.append(EVENTS)
    yield log
    log.close()


def penalty(static, accrued, paid, status):
    return {**static, "accrued": accrued, "paid": paid, "status": status}


P_DAY = {"issuer": "STF", "against": "X", "amount": DAY_FINE, "currency": "BRL", "per": "day",
         "imposed_at": "2024-08-28", "starts_at": "2024-08-30", "ends_at": None,
         "order_ids": ["O-1"], "case_id": None}
P_ONCE = {"issuer": "STF", "against": "X", "amount": 18_000_000, "currency": "BRL",
          "per": "once", "imposed_at": "2024-08-29", "starts_at": "2024-08-29",
          "ends_at": None, "order_ids": ["O-1"], "case_id": None}
P_CAPPED = {"issuer": "STF", "against": "Starlink", "amount": 10, "currency": "USD",
            "per": "day", "imposed_at": "2024-08-29", "starts_at": "2024-08-31T12:00:00Z",
            "ends_at": "2024-09-02", "order_ids": [], "case_id": None}


def _key(p):
    return {k: p[k] for k in ("status", "accrued", "paid")}


# as_of -> (P-day, P-capped) as (status, accrued, paid), by hand.
DAILY_AT = {
    # imposed, not yet accruing (it starts on the 30th)
    "2024-08-29": ("outstanding", 0, 0),
    # the first instant of its first day: that day has begun
    "2024-08-30T00:00:00Z": ("outstanding", DAY_FINE, 0),
    # its first day, whole
    "2024-08-30": ("outstanding", DAY_FINE, 0),
    # mid-way: 30, 31 Aug and 1-4 Sep = 6 days begun
    "2024-09-04T09:00:00Z": ("outstanding", 6 * DAY_FINE, 0),
    # lifted at 00:00 on the 10th: 30 Aug .. 9 Sep = 11 days, the 10th not begun before it
    "2024-09-10": ("lifted", 11 * DAY_FINE, 0),
    "2024-09-19": ("lifted", 11 * DAY_FINE, 0),
    # the payment names it: 18.3M >= 550k accrued
    "2024-09-20": ("paid", 11 * DAY_FINE, 18_300_000),
}


@pytest.mark.parametrize("as_of", sorted(DAILY_AT))
def test_a_daily_fine_accrues_from_its_start_until_lifted(log, as_of):
    status, accrued, paid = DAILY_AT[as_of]
    view = log.state(S, as_of=as_of)
    assert view["penalties"]["P-day"] == penalty(P_DAY, accrued, paid, status)


def test_a_fine_ending_at_an_instant_stops_there():
    from docket.views.penalties import accrued
    fine = {"amount": 20_000, "per": "day", "starts_at": "2024-08-17T00:00:00-03:00",
            "ends_at": "2024-09-01T00:00:00-03:00", "lifted_at": None}
    # Fifteen whole days from the start to the end instant; the day starting there never
    # begins, however late the reference.
    assert accrued(fine, time_key("2024-12-31")) == 15 * 20_000
    assert accrued(fine, time_key("2024-08-31T23:59:59-03:00")) == 15 * 20_000
    assert accrued(fine, time_key("2024-08-31T00:00:00-03:00")) == 15 * 20_000
    assert accrued(fine, time_key("2024-08-30T23:59:59-03:00")) == 14 * 20_000
    assert accrued(fine, time_key("2024-08-17T00:00:00-03:00")) == 20_000
    assert accrued(fine, time_key("2024-08-16T23:59:59-03:00")) == 0
    assert accrued(fine, None) == 0
    assert accrued({**fine, "per": "once"}, None) == 20_000


def test_a_fine_with_an_end_stops_on_its_last_day(log):
    # From 31 Aug 12:00Z: on the 31st one day begun; through the whole of 2 Sep: 3 days.
    at = {"2024-08-31T11:59:59Z": 0, "2024-08-31T12:00:00Z": 10, "2024-08-31": 10,
          "2024-09-01T11:59:59Z": 10, "2024-09-01T12:00:00Z": 20, "2024-09-02": 30,
          "2024-09-03": 30, "2024-12-31": 30}
    for as_of, accrued in at.items():
        p = log.state(S, as_of=as_of)["penalties"]["P-capped"]
        assert p == penalty(P_CAPPED, accrued, 0, "outstanding"), as_of


def test_a_payment_naming_two_penalties_counts_for_each_and_once_in_the_totals(log):
    before = log.state(S, as_of="2024-09-19")
    assert before["penalties"]["P-once"] == penalty(P_ONCE, 18_000_000, 0, "outstanding")
    assert before["penalty_totals"] == {
        "BRL": {"accrued": 18_000_000 + 11 * DAY_FINE, "paid": 0},
        "USD": {"accrued": 30, "paid": 0}}
    after = log.state(S, as_of="2024-09-21")
    # Each penalty it names counts the payment whole (SPEC: the sum of payments naming it);
    # the USD payment names P-once but is not in P-once's currency.
    assert after["penalties"]["P-once"] == penalty(P_ONCE, 18_000_000, 18_300_000, "paid")
    assert after["penalties"]["P-day"] == penalty(P_DAY, 11 * DAY_FINE, 18_300_000, "paid")
    assert after["penalty_totals"] == {
        "BRL": {"accrued": 18_000_000 + 11 * DAY_FINE, "paid": 18_300_000},
        "USD": {"accrued": 30, "paid": 7}}


def test_the_order_lists_the_penalties_citing_it_and_its_scope(log):
    row = log.compliance(S, as_of="2024-08-29")[0]
    assert (row["order_id"], row["scope"], row["penalties"]) == ("O-1", "BR",
                                                                 ["P-day", "P-once"])
    assert log.compliance(S, as_of="2024-08-28")[0]["penalties"] == ["P-day"]


SUSPENDED = {"platform": "X", "status": "suspended", "since": "2024-08-30T23:00:00Z",
             "ordered_by": "STF", "order_id": "O-1"}


@pytest.mark.parametrize("as_of, service", [
    ("2024-08-30T22:59:59Z", {}),
    ("2024-08-30", {"BR": SUSPENDED}),
    ("2024-09-15", {"BR": SUSPENDED}),
    ("2024-10-08T17:59:59Z", {"BR": SUSPENDED}),
    # available again; who ordered the suspension it ends stays on record
    ("2024-10-09", {"BR": {**SUSPENDED, "status": "available",
                           "since": "2024-10-08T18:00:00Z"}}),
])
def test_the_service_per_country(log, as_of, service):
    assert log.state(S, as_of=as_of)["service"] == service


def test_stored_views_equal_a_fresh_replay_as_a_daily_fine_accrues(tmp_path):
    """The stored views hold `accrued` at the latest event: each later event (here a
    statement that names no penalty) rewrites it, and `verify` finds them equal."""
    log = EventLog(str(tmp_path / "docket.db"))
    log.append([ORDER, DAILY])
    assert log.state(S)["penalties"]["P-day"]["accrued"] == 0  # latest event: the 28th
    for day, days in (("2024-08-30", 1), ("2024-09-05", 7), ("2024-09-06T01:00:00Z", 8)):
        log.append([ev("statement_published", day, f"st{day}", speaker="X", summary="s")])
        stored = log.state(S)
        assert stored["penalties"]["P-day"]["accrued"] == days * DAY_FINE
        assert stored["penalty_totals"] == {"BRL": {"accrued": days * DAY_FINE, "paid": 0}}
        assert stored == log.replay(S)[S]
        assert log.verify()["ok"]
    # A lift landing in the past (backdated) stops it there: 30 Aug .. 2 Sep = 4 days.
    log.append([ev("penalty_lifted", "2024-09-03", "late-lift", penalty_id="P-day", by="STF")])
    assert log.state(S)["penalties"]["P-day"]["accrued"] == 4 * DAY_FINE
    assert log.state(S) == log.replay(S)[S]
    assert log.verify()["ok"]


# -- scope ------------------------------------------------------------------------------------
def scoped(scope, *blocks):
    order = ev("order_issued", "2024-04-16", "so", order_id="N-1", issuer="eSafety",
               platform="X", targets=["https://x.com/p/1", "https://x.com/p/2"])
    if scope is not None:
        order["data"]["scope"] = scope
    return [order] + [ev("accounts_blocked", f"2024-04-{17 + i}", f"b{i}", order_id="N-1",
                         all_targets=True, **({"scope": s} if s else {}))
                      for i, s in enumerate(blocks)]


@pytest.mark.parametrize("scope, blocks, blocked, status", [
    # A global order: withholding in AU is not what it asks for; a global removal is.
    ("global", ["AU"], 0, "pending"),
    ("global", ["AU", "global"], 2, "complied"),
    ("global", [None], 2, "complied"),       # a block's scope defaults to global
    # A country order: a block there or a global one; not one elsewhere.
    ("AU", ["AU"], 2, "complied"),
    ("AU", ["global"], 2, "complied"),
    ("AU", ["US"], 0, "pending"),
    # No scope: any block counts, as in v1.
    (None, ["US"], 2, "complied"),
    # Blocked globally, then narrowed to AU: the global order no longer counts them.
    ("global", ["global", "AU"], 0, "reverted"),
    ("AU", ["global", "AU"], 2, "complied"),
])
def test_an_orders_scope_decides_which_blocks_count(tmp_path, scope, blocks, blocked, status):
    log = EventLog(str(tmp_path / "docket.db"))
    log.append(scoped(scope, *blocks))
    row = log.compliance(S)[0]
    assert (row["scope"], row["blocked"], row["status"]) == (scope, blocked, status)
    # Acting at all is the first action, counted or not.
    assert row["first_action_at"] == "2024-04-17"
    assert row["target_count"] == 2
    assert log.state(S) == log.replay(S)[S]


# -- reference rules at append time -------------------------------------------------------------
@pytest.mark.parametrize("event, field", [
    (ev("penalty_paid", "2024-09-01", "x", amount=1, currency="BRL", by="X",
        penalty_ids=["P-day", "P-none"]), "data.penalty_ids[1]"),
    (ev("penalty_lifted", "2024-09-01", "x", penalty_id="P-none", by="STF"), "data.penalty_id"),
    (ev("penalty_imposed", "2024-09-01", "x", penalty_id="P-2", issuer="STF", against="X",
        amount=1, currency="BRL", order_ids=["O-none"]), "data.order_ids[0]"),
    (ev("penalty_imposed", "2024-09-01", "x", penalty_id="P-2", issuer="STF", against="X",
        amount=1, currency="BRL", case_id="C-none"), "data.case_id"),
    (ev("penalty_imposed", "2024-09-01", "x", penalty_id="P-day", issuer="STF", against="X",
        amount=1, currency="BRL"), "data.penalty_id"),
    (ev("service_suspended", "2024-09-01", "x", platform="X", scope="BR", ordered_by="STF",
        order_id="O-none"), "data.order_id"),
])
def test_references_of_v2_events_must_resolve(tmp_path, event, field):
    db = str(tmp_path / "docket.db")
    log = EventLog(db)
    log.append([ORDER, DAILY])
    log.close()
    before = export_of(db)
    code, out, err = invoke("append", "--db", db, "-", input=json.dumps(event) + "\n")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and f"`{field}`" in lines[0]
    assert "Traceback" not in err
    assert export_of(db) == before


# -- why and diff -----------------------------------------------------------------------------
def test_why_explains_a_penalty_and_a_countrys_service(log):
    answer = log.why("P-day", stream=S, as_of="2024-09-21")
    assert answer["kind"] == "penalty"
    assert answer["status"] == penalty(P_DAY, 11 * DAY_FINE, 18_300_000, "paid")
    assert [e["id"] for e in answer["events"]] == ["p1", "l1", "pay1"]
    country = log.why("BR", stream=S, as_of="2024-09-15")
    assert country["kind"] == "service" and country["status"] == SUSPENDED
    assert [e["id"] for e in country["events"]] == ["s1"]
    again = log.why("BR", stream=S)
    assert again["status"]["status"] == "available"
    assert [e["id"] for e in again["events"]] == ["s1", "r1"]
    with pytest.raises(ValueError, match="penalty, target or country"):
        log.why("P-none", stream=S)


def test_why_on_the_command_line(log):
    code, out, err = invoke("why", "P-day", "--db", log.path, "--as-of", "2024-09-05")
    assert code == 0, err
    assert out.splitlines()[0] == "penalty P-day"
    assert "  accrued:" in out and f"{7 * DAY_FINE}" in out and "because:" in out


def test_diff_covers_penalties_totals_and_service(log):
    changes = log.diff("2024-09-15", "2024-10-09", stream=S)
    mine = [(c["kind"], c["key"], c["field"], c["from"], c["to"]) for c in changes
            if c["kind"] in ("penalty", "penalty_total", "service")]
    assert mine == [
        ("penalty", "P-day", "status", "lifted", "paid"),
        ("penalty", "P-day", "paid", 0, 18_300_000),
        ("penalty", "P-once", "status", "outstanding", "paid"),
        ("penalty", "P-once", "paid", 0, 18_300_000),
        ("penalty_total", "BRL", "paid", 0, 18_300_000),
        ("penalty_total", "USD", "paid", 0, 7),
        ("service", "BR", "status", "suspended", "available"),
        ("service", "BR", "since", "2024-08-30T23:00:00Z", "2024-10-08T18:00:00Z"),
    ]


# -- logs and checkpoints from before catalogue v2 --------------------------------------------
DISPUTE_FILE = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
# `docket checkpoint` of the first 22 lines of the recorded dispute, as projection version 4
# (before v2) printed it (the README's walkthrough shows the same figures).
V4_CHECKPOINT = {
    "fingerprint": "sha256:fbca9aece8da98c48e3d4e3af4197ed15ba257a7d2a32a47fdc1d352f2d45a09",
    "head": "a7453ba38b29e3c150289a5f4a23c35474215b95ca7fab977fc5c84508ff1b91",
    "root": "3fd44230aabfb496a3c5dc6d890a3b382e55ab7cb6525a49dbf45f3869135029",
    "size": 22, "version": 1}


def _first_22(tmp_path, location=None) -> EventLog:
    log = EventLog(str(tmp_path / "docket.db") if location is None else location)
    lines = DISPUTE_FILE.read_bytes().splitlines(keepends=True)[:22]
    log.import_lines(enumerate(lines, 1))
    return log


def test_a_checkpoint_taken_before_v2_still_verifies(tmp_path):
    log = _first_22(tmp_path)
    now = log.checkpoint()
    assert (now["root"], now["head"]) == (V4_CHECKPOINT["root"], V4_CHECKPOINT["head"])
    # Today's fingerprint covers the (empty) v2 parts: it differs, and both verify.
    assert now["fingerprint"] != V4_CHECKPOINT["fingerprint"]
    assert log.verify(checkpoint=V4_CHECKPOINT)["ok"]
    assert log.verify(checkpoint=now)["ok"]
    wrong = {**V4_CHECKPOINT, "fingerprint": "sha256:" + "0" * 64}
    report = log.verify(checkpoint=wrong)
    assert not report["ok"] and "fingerprint" in report["problems"][0]["message"]
    # Once the log holds v2 content, the version-4 form no longer applies.
    log.append([{**ORDER, "stream": "twitter-india-2021"}])
    assert not log.verify(checkpoint={**log.checkpoint(),
                                      "fingerprint": V4_CHECKPOINT["fingerprint"]})["ok"]


def test_a_log_whose_views_an_older_fold_wrote_is_read_then_rebuilt(backend, raw_sql):
    """Made to look as version 4 left it, on each backend: its view_orders without
    scope/penalties, no v2 tables, the projection version 4. Reading folds from the log;
    verify says stale (and does not crash on the missing tables) and writes nothing; rebuild
    (a write) brings the tables and views back."""
    db = backend
    log = _first_22(None, db)
    want = log.state("twitter-india-2021")
    log.close()
    for sql in ("DROP TABLE view_penalties", "DROP TABLE view_penalty_totals",
                "DROP TABLE view_service", "ALTER TABLE view_orders DROP COLUMN penalties",
                "ALTER TABLE view_orders DROP COLUMN scope",
                "UPDATE docket_meta SET value = '4' WHERE key = 'projection'"):
        raw_sql(db, sql)
    before = export_of(db)
    code, out, err = invoke("state", "--json", "--db", db)
    assert code == 0, err
    assert json.loads(out) == want
    code, out, err = invoke("verify", "--db", db)
    assert code == 1 and "projection version 4" in out and "Traceback" not in out + err
    assert export_of(db) == before
    code, out, err = invoke("rebuild", "--db", db)
    assert code == 0, err
    code, out, err = invoke("verify", "--db", db)
    assert code == 0, out + err
    assert EventLog(db).state("twitter-india-2021") == want
