"""Readable outputs (issue 19 item 3): sources as people cite them, text never cut in CSV or
JSON, a stream column where streams mix, who acted when no actor was recorded, plurals,
`why` for a court case, and `state --csv -o DIR` with one file per section of the view.
Every expected line was written by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import invoke, run

from docket import EventLog
from docket.views.sections import sections

LONG = "The ministry said " + "that the accounts spread rumours, " * 8 + "and asked again."
assert len(LONG) > 200


def _log(folder: Path) -> Path:
    db = folder / "r.db"
    EventLog(str(db)).append([
        {"type": "order_issued", "stream": "tw", "occurred_at": "2021-02-01", "id": "o1",
         "actor": "MeitY", "data": {"order_id": "O-1", "issuer": "MeitY",
                                    "platform": "Twitter", "targets": ["@a"]},
         "sources": [{"title": "Gazette: the order", "url": "https://example.org/o",
                      "published": "2021-02-01"}]},
        {"type": "accounts_blocked", "stream": "tw", "occurred_at": "2021-02-02", "id": "b1",
         "data": {"order_id": "O-1", "count": 1}},
        {"type": "notice_sent", "stream": "tw", "occurred_at": "2021-02-03", "id": "n1",
         "data": {"notice_id": "N-1", "kind": "show_cause", "issuer": "MeitY",
                  "recipient": "Twitter", "order_ids": ["O-1"]}},
        {"type": "acknowledgement_sent", "stream": "tw", "occurred_at": "2021-02-04",
         "id": "a1", "data": {"ref_id": "N-1", "by": "Twitter"}},
        {"type": "statement_published", "stream": "tw", "occurred_at": "2021-02-05",
         "id": "s1", "data": {"speaker": "MeitY", "summary": LONG}},
        {"type": "challenge_filed", "stream": "tw", "occurred_at": "2021-03-01", "id": "c1",
         "data": {"case_id": "WP 1/2021", "court": "High Court", "petitioner": "Twitter",
                  "order_ids": ["O-1"]},
         "sources": [{"title": "Court list: WP 1/2021", "published": "2021-03-02"}]},
        {"type": "ruling_issued", "stream": "tw", "occurred_at": "2021-04-01", "id": "u1",
         "data": {"case_id": "WP 1/2021", "court": "High Court", "outcome": "dismissed",
                  "costs": 5000, "currency": "INR"}},
        {"type": "event_retracted", "stream": "tw", "occurred_at": "2021-04-02", "id": "x1",
         "data": {"target_id": "b1", "reason": "misreported"}},
        {"type": "order_issued", "stream": "yt", "occurred_at": "2021-01-15", "id": "y1",
         "data": {"order_id": "Y-1", "issuer": "BTK", "platform": "YouTube",
                  "target_count": 1}},
    ])
    return db


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return _log(tmp_path_factory.mktemp("readable"))


def ok(*args, db) -> str:
    code, out, err = run(*args, "--db", db)
    assert code == 0 and err == "", (args, code, err)
    return out


def test_who_acted_plurals_and_a_stream_column_where_streams_mix(db):
    out = ok("log", db=db).splitlines()
    # Two streams: each line says which. No actor recorded: the data's issuer, by, speaker,
    # petitioner, court; nobody at all (the retraction): the summary alone.
    assert [line[34:] for line in out if not line.startswith(" ")] == [
        "yt order_issued          BTK: orders YouTube to block 1 target (Y-1, by BTK)",
        "tw order_issued          MeitY: orders Twitter to block 1 target (O-1, by MeitY)",
        "tw accounts_blocked      blocks 1 account under O-1  [retracted: misreported]",
        "tw notice_sent           MeitY: sends show-cause notice N-1 to Twitter",
        "tw acknowledgement_sent  Twitter: acknowledges N-1",
        "tw statement_published   MeitY: " + LONG[:109].rstrip() + "…",
        "tw challenge_filed       Twitter: files WP 1/2021 in High Court",
        "tw ruling_issued         High Court: rules on WP 1/2021: dismissed, costs 5000 INR",
        "tw event_retracted       retracts b1: misreported",
    ]
    assert out[0].startswith("2021-01-15                 #9     yt order_issued")
    # A source sits under the type column, whatever the stream column adds.
    assert out[2] == " " * 37 + "source: Gazette: the order (2021-02-01)"
    # One stream: no stream column.
    assert ok("log", "--stream", "tw", db=db).splitlines()[0] == (
        "2021-02-01                 #1     order_issued          "
        "MeitY: orders Twitter to block 1 target (O-1, by MeitY)")
    table = ok("compliance", db=db).splitlines()
    assert table[0].split() == ["order_id", "stream", "issued_at", "target_count", "blocked",
                                "ever_blocked", "restored", "compliance", "status",
                                "first_action_at", "overdue", "notices", "acknowledged",
                                "reported"]
    assert [line.split()[:2] for line in table[2:]] == [["Y-1", "yt"], ["O-1", "tw"]]
    assert ok("compliance", "--stream", "tw", db=db).splitlines()[0].split()[:2] == \
        ["order_id", "issued_at"]


def test_text_is_whole_in_wide_csv_and_json_and_cut_only_in_the_table(db):
    line = next(x for x in ok("log", "--stream", "tw", db=db).splitlines() if "said" in x)
    assert line.endswith("…") and LONG not in line
    wide = ok("log", "--wide", "--stream", "tw", db=db).splitlines()
    assert any(x.endswith("MeitY: " + LONG) for x in wide)
    assert " " * 34 + "source: Gazette: the order (2021-02-01) <https://example.org/o>" in wide
    rows = list(csv.DictReader(io.StringIO(ok("log", "--csv", db=db), newline="")))
    assert [r["summary"] for r in rows if r["id"] == "s1"] == [LONG]
    assert json.loads(ok("log", "--json", db=db))[5]["data"]["summary"] == LONG
    # The retraction is in the CSV too (a table marks it; a spreadsheet must not lose it).
    assert [json.loads(r["retracted"]) for r in rows if r["retracted"]] == \
        [{"id": "x1", "reason": "misreported"}]


def test_why_a_court_case(db):
    answer = json.loads(ok("why", "WP 1/2021", "--stream", "tw", "--json", db=db))
    assert answer["kind"] == "case"
    assert answer["status"] == {
        "court": "High Court", "petitioner": "Twitter", "order_ids": ["O-1"],
        "filed_at": "2021-03-01",
        "rulings": [{"court": "High Court", "outcome": "dismissed", "costs": 5000,
                     "currency": "INR", "ruled_at": "2021-04-01"}]}
    # Its filing and ruling, and the order it challenges, in replay order.
    assert [(e["seq"], e["summary"]) for e in answer["events"]] == [
        (1, "MeitY: orders Twitter to block 1 target (O-1, by MeitY)"),
        (6, "Twitter: files WP 1/2021 in High Court"),
        (7, "High Court: rules on WP 1/2021: dismissed, costs 5000 INR"),
    ]
    assert ok("why", "WP 1/2021", "--stream", "tw", db=db).splitlines() == [
        "case WP 1/2021",
        "  court:                 High Court",
        "  petitioner:            Twitter",
        "  order_ids:             O-1",
        "  filed_at:              2021-03-01",
        "  rulings:               2021-04-01 dismissed (costs 5000 INR)",
        "because:",
        ("  #1 2021-02-01 order_issued MeitY: orders Twitter to block 1 target "
         "(O-1, by MeitY) [o1]"),
        "      source: Gazette: the order (2021-02-01) <https://example.org/o>",
        "  #6 2021-03-01 challenge_filed Twitter: files WP 1/2021 in High Court [c1]",
        "      source: Court list: WP 1/2021 (2021-03-02)",
        "  #7 2021-04-01 ruling_issued High Court: rules on WP 1/2021: dismissed, costs 5000 "
        "INR [u1]",
    ]
    before = json.loads(ok("why", "WP 1/2021", "--stream", "tw", "--json", "--as-of",
                           "2021-03-31", db=db))
    assert before["status"]["rulings"] == [] and [e["seq"] for e in before["events"]] == [1, 6]
    code, _, err = run("why", "WP 9/2021", "--stream", "tw", "--db", db)
    assert code == 1 and "is not an order, notice, case, penalty, target or country" in err


def test_a_case_of_many_rulings_is_one_short_cell_and_a_line_each_in_why(tmp_path):
    """An analyst's review: a case of six rulings printed as one state line of 2,600
    characters, and `why` as one line of 2,488. The table says how many and the last (cut
    short); `why` gives each ruling a line of its own, whole."""
    long = "Interim injunction extended, with reasons " + " ".join(["at length"] * 20)
    log = EventLog(str(tmp_path / "r.db"))
    log.append([{"type": "challenge_filed", "stream": "c", "occurred_at": "2021-03-01",
                 "data": {"case_id": "C-1", "court": "High Court", "petitioner": "X"}}]
               + [{"type": "ruling_issued", "stream": "c", "occurred_at": day,
                   "data": {"case_id": "C-1", "court": "High Court", "outcome": outcome}}
                  for day, outcome in (("2021-03-02", long), ("2021-03-09", "dismissed"),
                                       ("2021-03-20", long))])
    log.close()
    db = tmp_path / "r.db"
    table = ok("state", "--stream", "c", db=db).splitlines()
    row = next(line for line in table if line.startswith("C-1 "))
    assert "3 rulings, the last 2021-03-20 Interim injunction extended" in row
    assert row.endswith("…") and len(row) < 160 and long not in row
    lines = ok("why", "C-1", "--stream", "c", db=db).splitlines()
    at = lines.index(f"  rulings:               2021-03-02 {long}")
    assert lines[at + 1:at + 3] == [" " * 25 + "2021-03-09 dismissed",
                                    " " * 25 + f"2021-03-20 {long}"]
    # one ruling: the cell is that ruling, cut short
    one = ok("state", "--stream", "c", "--as-of", "2021-03-05", db=db).splitlines()
    row = next(line for line in one if line.startswith("C-1 "))
    assert "rulings," not in row and row.endswith("…")
    assert "2021-03-02 Interim injunction extended, with reasons at length" in row


def test_state_csv_files_follow_the_sections_of_the_view(db, tmp_path):
    out = tmp_path / "tw"
    assert ok("state", "--stream", "tw", "--csv", "-o", out, db=db) == (
        f"wrote 8 CSV files into {out}: orders.csv, accounts.csv, notices.csv, "
        "dialogue.csv, challenges.csv, penalties.csv, penalty_totals.csv, service.csv\n")
    rows = list(csv.DictReader((out / "challenges.csv").open(newline="")))
    assert rows == [{"case_id": "WP 1/2021", "court": "High Court", "petitioner": "Twitter",
                     "order_ids": "O-1", "filed_at": "2021-03-01",
                     "rulings": '[{"costs":5000,"court":"High Court","currency":"INR",'
                                '"outcome":"dismissed","ruled_at":"2021-04-01"}]'}]


# A view with the parts a later catalogue adds (SPEC §5 v2): penalties, their totals, service.
V2 = {
    "stream": "tw", "as_of": None, "known_at": None, "last_seq": 3, "version": 3,
    "orders": {}, "accounts": {}, "notices": {}, "dialogue": [], "challenges": {},
    "penalties": {"P-1": {"issuer": "MeitY", "against": "Twitter", "amount": 100,
                          "currency": "INR", "per": "day", "imposed_at": "2021-01-30",
                          "starts_at": "2021-01-30", "ends_at": None, "order_ids": [],
                          "case_id": None, "status": "outstanding", "accrued": 300,
                          "paid": 0}},
    "penalty_totals": {"INR": {"accrued": 300, "paid": 0}},
    "service": {"IN": {"platform": "X", "status": "suspended", "since": "2021-02-01",
                       "ordered_by": "MeitY", "order_id": None}},
    "fingerprint": "sha256:" + "0" * 64,
}


def test_sections_are_read_from_the_view_keys():
    parts = sections(V2)
    assert [p.name for p in parts] == ["orders", "accounts", "notices", "dialogue",
                                       "challenges", "penalties", "penalty_totals", "service"]
    by_name = {p.name: p for p in parts}
    assert by_name["penalties"].columns == (
        "penalty_id", "issuer", "against", "amount", "currency", "per", "imposed_at",
        "starts_at", "ends_at", "order_ids", "case_id", "status", "accrued", "paid")
    assert by_name["penalties"].rows == [{"penalty_id": "P-1", **V2["penalties"]["P-1"]}]
    assert by_name["penalty_totals"].rows == [{"currency": "INR", "accrued": 300, "paid": 0}]
    assert by_name["service"].columns[0] == "country"
    assert by_name["accounts"].columns == ("target", "status", "scope", "order_id", "since")
    # A part nobody knows gets a `key` column; scalars are not parts.
    extra = sections({**V2, "strikes": {"s1": {"n": 1}}, "note": "x"})
    assert [(p.name, p.columns) for p in extra][-1] == ("strikes", ("key", "n"))


def test_state_writes_and_shows_every_section_the_view_has(tmp_path, monkeypatch):
    from docket.api import EventLog as API

    EventLog(str(tmp_path / "v.db")).append([
        {"type": "statement_published", "stream": "tw", "occurred_at": "2021-02-01",
         "data": {"speaker": "S", "summary": "x"}}])
    monkeypatch.setattr(API, "state", lambda self, *a, **k: V2)
    code, out, err = invoke("state", "--csv", "-o", tmp_path / "out", "--db",
                            tmp_path / "v.db")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{n}.csv" for n in ("orders", "accounts", "notices", "dialogue", "challenges",
                             "penalties", "penalty_totals", "service"))
    assert (tmp_path / "out" / "service.csv").read_text() == (
        "country,platform,status,since,ordered_by,order_id\n"
        "IN,X,suspended,2021-02-01,MeitY,\n")
    code, out, err = invoke("state", "--db", tmp_path / "v.db")
    assert code == 0, err
    assert out.split("\n\npenalties\n")[1].splitlines() == [
        "penalty_id  issuer  against  amount  currency  per  imposed_at  starts_at   ends_at  "
        "order_ids  case_id  status       accrued  paid",
        "----------  ------  -------  ------  --------  ---  ----------  ----------  -------  "
        "---------  -------  -----------  -------  ----",
        "P-1         MeitY   Twitter  100     INR       day  2021-01-30  2021-01-30  -        "
        "-          -        outstanding  300      0",
        "",
        "penalty_totals",
        "currency  accrued  paid",
        "--------  -------  ----",
        "INR       300      0",
        "",
        "service",
        "country  platform  status     since       ordered_by  order_id",
        "-------  --------  ---------  ----------  ----------  --------",
        "IN       X         suspended  2021-02-01  MeitY       -",
    ]


def test_rebuild_counts_in_the_singular(tmp_path):
    db = tmp_path / "one.db"
    EventLog(str(db)).append([{"type": "statement_published", "stream": "s",
                               "occurred_at": "2021-02-01", "data": {"speaker": "S",
                                                                     "summary": "x"}}])
    assert ok("rebuild", db=db) == "rebuilt the views of 1 stream from 1 event\n"


def test_a_compliance_report_is_three_columns_of_the_csv(tmp_path):
    """An analyst's review: `reported` was one JSON cell in `compliance --csv`, awkward in a
    spreadsheet. Its figures and reporter are a column each, in compliance's CSV and in
    state's orders.csv, equal to the JSON's, empty where there is no report."""
    from record_log import recorded_log

    db = tmp_path / "all.db"
    recorded_log(db).close()
    def compliance(*args) -> str:
        # The whole record holds one order acted on where its scope counts nothing
        # (Australia's global notice): the one note on stderr, whatever the format.
        code, out, err = run("compliance", *args, "--db", db)
        assert code == 0 and err.startswith(
            "Note: order O-2024-04-16-X-removal-notice was acted on from 2024-04-17") \
            and err.count("\n") == 1, (args, code, err)
        return out

    rows = json.loads(compliance("--json"))
    table = list(csv.DictReader(io.StringIO(compliance("--csv"), newline="")))
    assert "reported" not in table[0] and len(table) == len(rows)
    assert any(r["reported"] for r in rows) and any(not r["reported"] for r in rows)
    for row, cells in zip(rows, table, strict=True):
        rep = row["reported"] or {}
        assert (cells["reported_actioned"], cells["reported_specified"],
                cells["reported_reporter"]) == tuple(
            "" if rep.get(k) is None else str(rep[k])
            for k in ("actioned", "specified", "reporter")), row["order_id"]
    out = tmp_path / "st"
    ok("state", "--stream", "twitter-india-2021", "--csv", "-o", out, db=db)
    orders = list(csv.DictReader((out / "orders.csv").open(newline="")))
    india = {r["order_id"]: r for r in rows if r["stream"] == "twitter-india-2021"}
    assert {o["order_id"]: o["reported_actioned"] for o in orders} == {
        k: str(r["reported"]["actioned"]) if r["reported"] else "" for k, r in india.items()}
