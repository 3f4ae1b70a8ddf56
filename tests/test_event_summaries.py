"""How each event reads in `docket log`, `why` and the report: `Actor: summary`.

Every type of the catalogue says what happened in words (not its type name); the lines of
catalogue v2's types are written out by hand below, with and without their optional parts.
"""

from __future__ import annotations

import json

import pytest

from docket.catalog import EVENT_TYPES
from docket.catalog_examples import EXAMPLES
from docket.views.summary import event_line, event_summary


def test_every_type_has_an_example():
    assert set(EXAMPLES) == set(EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_type_reads_as_words_not_as_its_name(kind):
    text = event_summary(EXAMPLES[kind])
    assert text != kind
    assert kind not in text
    assert "None" not in text and "{" not in text and "[" not in text


def _with(kind: str, **data) -> dict:
    """The catalogue's example of `kind` with its data changed (None drops a field)."""
    event = json.loads(json.dumps(EXAMPLES[kind]))
    for name, value in data.items():
        if value is None:
            event["data"].pop(name, None)
        else:
            event["data"][name] = value
    return event


@pytest.mark.parametrize(("event", "line"), [
    (_with("penalty_imposed"), "Supreme Court: fines X 50,000 BRL a day (P-1, under O-1)"),
    (_with("penalty_imposed", per="once", order_ids=None, amount=782500, currency="AUD",
           against="X Corp"),
     "Supreme Court: fines X Corp 782,500 AUD (P-1)"),
    (_with("penalty_imposed", per=None, order_ids=["O-1", "O-2"]),
     "Supreme Court: fines X 50,000 BRL (P-1, under O-1, O-2)"),
    (_with("penalty_paid"), "X: pays 650,000 BRL towards P-1"),
    (_with("penalty_paid", penalty_ids=["P-1", "P-2"]), "X: pays 650,000 BRL towards P-1, P-2"),
    (_with("penalty_paid", penalty_ids=None), "X: pays 650,000 BRL"),
    # a payer other than the actor is named, not made the actor (Brazil's #66: the court
    # moved the platform's frozen funds; an analyst's review read "STF: pays …")
    (_with("penalty_paid", by="X Brasil (frozen funds moved by court order)")
     | {"actor": "Supreme Court"},
     "Supreme Court: payment of 650,000 BRL towards P-1 by X Brasil (frozen funds moved by "
     "court order)"),
    (_with("penalty_paid", by="X (own funds)"), "X: pays 650,000 BRL towards P-1"),
    (_with("meeting_held", participants=["MeitY Secretary", "Twitter's VP"])
     | {"actor": "MeitY"}, "MeitY: meeting of MeitY Secretary, Twitter's VP"),
    (_with("penalty_lifted"), "Supreme Court: lifts P-1"),
    (_with("service_suspended"), "Supreme Court: suspends X in BR under O-1"),
    (_with("service_suspended", order_id=None), "Supreme Court: suspends X in BR"),
    (_with("service_restored"), "Supreme Court: restores X in BR"),
    (_with("notice_sent"), "Supreme Court: sends non-compliance notice N-1 to X, citing a daily fine"),
    (_with("notice_sent", penalty_cited=None), "Supreme Court: sends non-compliance notice N-1 to X"),
])
def test_the_v2_lines_by_hand(event, line):
    assert event_line(event) == line


def test_docket_log_prints_them(run_docket, db_path):
    """The command line words them so: the examples appended in order, then `docket log`."""
    lines = "".join(json.dumps(e) + "\n" for e in EXAMPLES.values())
    code, _, err = run_docket("append", "-", "--db", db_path, input=lines)
    assert (code, err) == (0, "")
    code, out, err = run_docket("log", "--db", db_path)
    assert (code, err) == (0, "")
    rows = out.splitlines()
    for kind in ("penalty_imposed", "penalty_paid", "penalty_lifted", "service_suspended",
                 "service_restored", "notice_sent"):
        line = event_line(EXAMPLES[kind])
        assert [r for r in rows if f" {kind} " in r and r.endswith(line)], (kind, out)
