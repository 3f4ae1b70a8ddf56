"""End to end: every read command of SPEC §6 (`compliance`, `state`, `log`, `diff`, `why`,
`rebuild`) through the installed `docket` executable, in a subprocess, on a small stream
written by hand. Every expected line and field below was computed by hand.

The stream `tw` (seq = append order; replay order is by occurred_at):

    seq id  occurred_at                type                  what
    1   e1  2021-02-01T10:00:00+05:30  order_issued          O-1: @a @b (2), deadline 2021-02-02
    3   e2  2021-02-01T18:30:00Z       accounts_blocked      @a, in IN   (14 hours after e1)
    2   e3  2021-02-03                 notice_sent           N-1 on O-1
    4   e4  2021-02-04                 acknowledgement_sent  of N-1
    5   e5  2021-02-04T12:00:00Z       compliance_reported   1 of 2
    6   e6  2021-02-05                 accounts_unblocked    @a

(e1 e3 e2 are one file, appended first; e4 e5 e6 a second file, appended later.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import BACKENDS, on_pty
from strategies import view_fingerprint

DOCKET = Path(sys.executable).with_name("docket")
if not DOCKET.exists():  # pragma: no cover - an installed console script elsewhere
    DOCKET = Path(shutil.which("docket") or "docket")


def docket(*args, db=None) -> tuple[int, str, str]:
    """Run the installed `docket`; (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DB"}
    argv = [str(DOCKET), *map(str, args)] + (["--db", str(db)] if db is not None else [])
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr


def ok(*args, db) -> str:
    code, out, err = docket(*args, db=db)
    assert code == 0, (args, code, err)
    assert err == ""
    return out


def empty(*args, db) -> str:
    """Run a read whose times leave every event out: its empty view, and one `Note:` line
    on stderr saying so (tests/test_nothing_in_view.py checks its words)."""
    code, out, err = docket(*args, db=db)
    assert code == 0, (args, code, err)
    assert len(err.splitlines()) == 1 and err.startswith("Note: no event of stream "), err
    return out


def backwards(*args, db) -> str:
    """Run a `diff` whose --from is later than its --to: its changes on stdout, and one
    `Note:` line on stderr saying that it reads from the later view to the earlier one."""
    code, out, err = docket(*args, db=db)
    assert code == 0, (args, code, err)
    frm, to = args[args.index("--from") + 1], args[args.index("--to") + 1]
    assert err == (f"Note: --from {frm} is later than --to {to}, so each change reads from "
                   "the later view to the earlier one (swap them to see what happened "
                   "between)\n"), err
    return out


def fails(code_wanted: int, *args, db) -> str:
    """Run a command that must fail: one `Error:` line on stderr, nothing on stdout."""
    code, out, err = docket(*args, db=db)
    assert code == code_wanted, (args, code, out, err)
    assert out == ""
    assert err.startswith("Error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err[len("Error: "):-1]


def event(ident, type_, when, actor, data, sources=(), stream="tw", **extra):
    out = {"id": ident, "type": type_, "stream": stream, "occurred_at": when, "data": data,
           "sources": list(sources), **extra}
    if actor is not None:
        out["actor"] = actor
    return out


GAZETTE = {"title": "Gazette", "url": "https://example.org/o1", "published": "2021-02-01"}
E1 = event("e1", "order_issued", "2021-02-01T10:00:00+05:30", "MeitY",
           {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter", "targets": ["@a", "@b"],
            "target_count": 2, "legal_basis": "IT Act s.69A", "procedure": "emergency",
            "deadline": "2021-02-02"}, [GAZETTE], confidence="confirmed")
E2 = event("e2", "accounts_blocked", "2021-02-01T18:30:00Z", "Twitter",
           {"order_id": "O-1", "targets": ["@a"], "scope": "IN"},
           [{"title": "Reuters", "url": "https://example.org/r"}])
E3 = event("e3", "notice_sent", "2021-02-03", "MeitY",
           {"notice_id": "N-1", "kind": "non_compliance", "issuer": "MeitY",
            "recipient": "Twitter", "order_ids": ["O-1"]}, [{"title": "Letter N-1"}])
E4 = event("e4", "acknowledgement_sent", "2021-02-04", "Twitter",
           {"ref_id": "N-1", "by": "Twitter"})
E5 = event("e5", "compliance_reported", "2021-02-04T12:00:00Z", None,
           {"order_id": "O-1", "actioned": 1, "specified": 2, "reporter": "Twitter"})
E6 = event("e6", "accounts_unblocked", "2021-02-05", "Twitter",
           {"order_id": "O-1", "targets": ["@a"], "unilateral": True},
           [{"title": "Blog", "url": "https://example.org/b"}, {"title": "Press note"}])
OTHER = event("x1", "order_issued", "2021-01-15", "BTK",
              {"order_id": "X-1", "issuer": "BTK", "platform": "YouTube", "target_count": 3},
              stream="other")


def jsonl(path: Path, events) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def build(folder: Path, name: str, *, other: bool = False, db=None) -> tuple[Path | str, str]:
    """The log of the module docstring (plus stream `other`) at `db` (default: the file
    folder/name); returns (db, the recorded_at of seq 3: the end of the first file)."""
    db = folder / name if db is None else db
    out = ok("append", jsonl(folder / f"{name}-1.jsonl", [E1, E3, E2]), db=db)
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [1, 2, 3]
    out = ok("append", jsonl(folder / f"{name}-2.jsonl", [E4, E5, E6]), db=db)
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [4, 5, 6]
    if other:
        ok("append", jsonl(folder / f"{name}-3.jsonl", [OTHER]), db=db)
    records = [json.loads(line) for line in ok("export", db=db).splitlines()]
    assert records[3]["recorded_at"] > records[2]["recorded_at"]
    return db, records[2]["recorded_at"]


@pytest.fixture(scope="module", params=BACKENDS)
def logs(request, tmp_path_factory):
    """The two logs every read test reads (one stream; and with `other`), on each backend:
    every command must print the same bytes from SQLite and PostgreSQL (SPEC §1)."""
    folder = tmp_path_factory.mktemp("cli-read")
    if request.param == "postgres":
        schemas = request.getfixturevalue("pg_schemas")
        one, two = schemas.new(), schemas.new()
    else:
        one, two = folder / "one.db", folder / "two.db"
    db, first = build(folder, "one", db=one)
    two, _ = build(folder, "two", other=True, db=two)
    return db, two, first


@pytest.fixture(scope="module")
def db(logs):
    return logs[0]


# -- expected views, by hand ---------------------------------------------------------------
REPORTED = {"actioned": 1, "specified": 2, "reporter": "Twitter"}
O1 = {"order_id": "O-1", "stream": "tw", "issuer": "MeitY", "platform": "Twitter",
      "issued_at": "2021-02-01T10:00:00+05:30", "legal_basis": "IT Act s.69A",
      "procedure": "emergency", "target_count": 2, "deadline": "2021-02-02",
      "first_action_at": "2021-02-01T18:30:00Z", "hours_to_first_action": 14,
      "scope": None, "penalties": []}   # catalogue v2's fields, none here
# As of the whole of 2021-02-04: @a blocked (1 of 2), past the deadline, N-1 acknowledged.
ROW_0204 = {**O1, "blocked": 1, "ever_blocked": 1, "restored": 0, "compliance": 0.5,
            "status": "partial", "overdue": True, "notices": ["N-1"], "acknowledged": True,
            "reported": REPORTED}
# Now (the last event is 2021-02-05): @a restored, nothing blocked: reverted, still overdue.
ROW_NOW = {**ROW_0204, "blocked": 0, "restored": 1, "compliance": 0, "status": "reverted"}
# As of the whole of 2021-02-02, the deadline day itself: not yet overdue.
ROW_0202 = {**O1, "blocked": 1, "ever_blocked": 1, "restored": 0, "compliance": 0.5,
            "status": "partial", "overdue": False, "notices": [], "acknowledged": False,
            "reported": None}
X1 = {"order_id": "X-1", "stream": "other", "issuer": "BTK", "platform": "YouTube",
      "issued_at": "2021-01-15", "legal_basis": None, "procedure": None, "target_count": 3,
      "blocked": 0, "ever_blocked": 0, "restored": 0, "compliance": 0, "status": "pending",
      "first_action_at": None, "hours_to_first_action": None, "deadline": None,
      "overdue": False, "notices": [], "acknowledged": False, "reported": None,
      "scope": None, "penalties": []}
N1 = {"kind": "non_compliance", "sent_at": "2021-02-03", "order_ids": ["O-1"],
      "acknowledged_at": "2021-02-04"}


def pretty(obj) -> str:
    """Indented JSON, keys sorted: what `--json` prints."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- compliance ----------------------------------------------------------------------------
def test_compliance_json(db):
    assert ok("compliance", "--json", "--as-of", "2021-02-04", db=db) == pretty([ROW_0204])
    assert ok("compliance", "--json", db=db) == pretty([ROW_NOW])
    assert json.loads(ok("compliance", "--json", "--as-of", "2021-02-02", db=db)) == [ROW_0202]
    assert json.loads(empty("compliance", "--json", "--as-of", "2021-01-31", db=db)) == []
    # Issued at 04:30Z on the 1st: nothing blocked before 18:30Z.
    rows = json.loads(ok("compliance", "--json", "--as-of", "2021-02-01T18:29:59Z", db=db))
    assert rows == [{**O1, "first_action_at": None, "hours_to_first_action": None,
                     "blocked": 0, "ever_blocked": 0, "restored": 0, "compliance": 0,
                     "status": "pending", "overdue": False, "notices": [],
                     "acknowledged": False, "reported": None}]
    assert json.loads(ok("compliance", "--json", "--stream", "tw", db=db)) == [ROW_NOW]


def test_compliance_known_at(logs):
    db, _, first = logs
    # Only the first file was known: e1 e3 e2. Overdue is judged at the last event folded
    # (the notice, 2021-02-03 00:00Z), past the deadline day.
    rows = json.loads(ok("compliance", "--json", "--known-at", first, db=db))
    assert rows == [{**ROW_0202, "overdue": True, "notices": ["N-1"]}]
    rows = json.loads(ok("compliance", "--json", "--known-at", first, "--as-of", "2021-02-02",
                         db=db))
    assert rows == [ROW_0202]
    assert json.loads(empty("compliance", "--json", "--known-at", "2020-01-01", db=db)) == []


COMPLIANCE_HEADER = ("order_id,stream,issuer,platform,issued_at,legal_basis,procedure,"
                     "target_count,blocked,ever_blocked,restored,compliance,status,"
                     "first_action_at,hours_to_first_action,deadline,overdue,notices,"
                     "acknowledged,reported_actioned,reported_specified,reported_reporter,"
                     "scope,penalties")  # a report in a column per figure, for spreadsheets


def test_compliance_csv(db):
    assert ok("compliance", "--csv", "--as-of", "2021-02-04", db=db).splitlines() == [
        COMPLIANCE_HEADER,
        ('O-1,tw,MeitY,Twitter,2021-02-01T10:00:00+05:30,IT Act s.69A,emergency,2,1,1,0,0.5,'
         'partial,2021-02-01T18:30:00Z,14,2021-02-02,true,N-1,true,1,2,Twitter,,'),
    ]
    assert ok("compliance", "--csv", "--as-of", "2021-02-02", db=db).splitlines() == [
        COMPLIANCE_HEADER,
        ("O-1,tw,MeitY,Twitter,2021-02-01T10:00:00+05:30,IT Act s.69A,emergency,2,1,1,0,0.5,"
         "partial,2021-02-01T18:30:00Z,14,2021-02-02,false,,false,,,,,"),
    ]
    assert empty("compliance", "--csv", "--as-of", "2021-01-01", db=db) == \
        COMPLIANCE_HEADER + "\n"


def test_compliance_table(db):
    assert ok("compliance", "--as-of", "2021-02-04", db=db).splitlines() == [
        ("order_id  issued_at                  target_count  blocked  ever_blocked  restored  "
         "compliance  status   first_action_at       overdue  notices  acknowledged  reported"),
        ("--------  -------------------------  ------------  -------  ------------  --------  "
         "----------  -------  --------------------  -------  -------  ------------  --------"),
        ("O-1       2021-02-01T10:00:00+05:30  2             1        1             0         "
         "0.5         partial  2021-02-01T18:30:00Z  yes      N-1      yes           1/2"),
    ]
    assert ok("compliance", db=db).splitlines()[2] == (
        "O-1       2021-02-01T10:00:00+05:30  2             0        1             1         "
        "0           reverted  2021-02-01T18:30:00Z  yes      N-1      yes           1/2")


# -- state ---------------------------------------------------------------------------------
STATE_0204 = {
    "stream": "tw", "as_of": "2021-02-04", "known_at": None,
    "last_seq": 5,          # e1 e2(3) e3(2) e4 e5 folded; e6 comes later
    "version": 6,           # the stream's current version, for expected_version
    "orders": {"O-1": ROW_0204},
    "accounts": {"@a": {"status": "blocked", "scope": "IN", "order_id": "O-1",
                        "since": "2021-02-01T18:30:00Z"}},
    "notices": {"N-1": N1}, "dialogue": [], "challenges": {},
    "penalties": {}, "penalty_totals": {}, "service": {},
}


def test_state_json(db):
    view = json.loads(ok("state", "--json", "--as-of", "2021-02-04", db=db))
    assert {k: v for k, v in view.items() if k != "fingerprint"} == STATE_0204
    assert view["fingerprint"] == view_fingerprint(view)
    now = json.loads(ok("state", "--json", db=db))
    assert now["last_seq"] == 6 and now["as_of"] is None and now["orders"] == {"O-1": ROW_NOW}
    assert now["accounts"] == {"@a": {"status": "active", "scope": None, "order_id": "O-1",
                                      "since": "2021-02-05"}}
    assert now["fingerprint"] == view_fingerprint(now) != view["fingerprint"]
    # The question asked is not part of the answer: as_of past the last event, same print.
    later = json.loads(ok("state", "--json", "--as-of", "2021-12-31", db=db))
    assert later["fingerprint"] == now["fingerprint"]
    assert {k: v for k, v in later.items() if k != "as_of"} == \
        {k: v for k, v in now.items() if k != "as_of"}


@pytest.mark.parametrize("command", [["compliance"], ["state"], ["log"]])
def test_json_and_csv_together_are_a_usage_error(db, command):
    """One output format: both is exit 2 naming them (it printed JSON, silently)."""
    assert "--json and --csv do not go together" in fails(2, *command, "--json", "--csv",
                                                              db=db)


def test_stream_help_says_what_each_command_reads_without_it():
    """compliance and log cover every stream; state and why need the only one (SPEC §6)."""
    for command, default in [("compliance", "every stream"), ("log", "every stream"),
                             ("state", "the only one"), ("why", "the only one"),
                             ("diff", "the only one")]:
        code, out, _ = docket(command, "--help", db=None)
        assert code == 0
        assert f"The stream (default: {default})." in " ".join(out.split()), command


def test_state_csv_needs_a_folder_and_writes_one_file_per_section(db, tmp_path):
    # One CSV cannot hold every section: without -o it is a usage error naming -o, never
    # a silent choice of one section.
    code, out, err = docket("state", "--csv", db=db)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("Error: ") and "-o DIR" in err
    assert "-o DIR goes with --csv" in fails(2, "state", "-o", tmp_path / "x", db=db)
    folder = tmp_path / "csv-0204"
    out = ok("state", "--csv", "-o", folder, "--as-of", "2021-02-04", db=db)
    names = ["orders.csv", "accounts.csv", "notices.csv", "dialogue.csv", "challenges.csv",
             "penalties.csv", "penalty_totals.csv", "service.csv"]
    assert out == f"wrote 8 CSV files into {folder}: {', '.join(names)}\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)   # nothing else

    def lines(name):
        return (folder / name).read_text().splitlines()

    assert lines("orders.csv") == [
        COMPLIANCE_HEADER,
        ('O-1,tw,MeitY,Twitter,2021-02-01T10:00:00+05:30,IT Act s.69A,emergency,2,1,1,0,0.5,'
         'partial,2021-02-01T18:30:00Z,14,2021-02-02,true,N-1,true,1,2,Twitter,,'),
    ]
    assert lines("accounts.csv") == [
        "target,status,scope,order_id,since", "@a,blocked,IN,O-1,2021-02-01T18:30:00Z"]
    assert lines("notices.csv") == [
        "notice_id,kind,sent_at,order_ids,acknowledged_at",
        "N-1,non_compliance,2021-02-03,O-1,2021-02-04"]
    assert lines("dialogue.csv") == ["by,addressee,requested_at"]
    assert lines("challenges.csv") == ["case_id,court,petitioner,order_ids,filed_at,rulings"]
    assert lines("penalties.csv") == [
        "penalty_id,issuer,against,amount,currency,per,imposed_at,starts_at,ends_at,order_ids,"
        "case_id,status,accrued,paid"]
    assert lines("penalty_totals.csv") == ["currency,accrued,paid"]
    assert lines("service.csv") == ["country,platform,status,since,ordered_by,order_id"]
    # Written again (now): every file replaced, the view of now in them.
    ok("state", "--csv", "-o", folder, db=db)
    assert lines("accounts.csv") == ["target,status,scope,order_id,since",
                                     "@a,active,,O-1,2021-02-05"]
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))


def test_state_table(db):
    out = ok("state", "--as-of", "2021-02-04", db=db)
    view = json.loads(ok("state", "--json", "--as-of", "2021-02-04", db=db))
    assert out.splitlines() == [
        "stream tw  as of 2021-02-04  known at now  last seq 5  version 6",
        f"fingerprint {view['fingerprint']}",
        "",
        "orders",
        *ok("compliance", "--as-of", "2021-02-04", db=db).splitlines(),
        "",
        "accounts",
        "target  status   scope  order_id  since",
        "------  -------  -----  --------  --------------------",
        "@a      blocked  IN     O-1       2021-02-01T18:30:00Z",
        "",
        "notices",
        "notice_id  kind            sent_at     order_ids  acknowledged_at",
        "---------  --------------  ----------  ---------  ---------------",
        "N-1        non_compliance  2021-02-03  O-1        2021-02-04",
        "",
        "dialogue",
        "by  addressee  requested_at",
        "--  ---------  ------------",
        "",
        "challenges",
        "case_id  court  petitioner  filed_at  rulings",
        "-------  -----  ----------  --------  -------",
        "",
        "penalties",
        "penalty_id  issuer  against  amount  currency  per  imposed_at  starts_at  ends_at  "
        "order_ids  case_id  status  accrued  paid",
        "----------  ------  -------  ------  --------  ---  ----------  ---------  -------  "
        "---------  -------  ------  -------  ----",
        "",
        "penalty_totals",
        "currency  accrued  paid",
        "--------  -------  ----",
        "",
        "service",
        "country  platform  status  since  ordered_by  order_id",
        "-------  --------  ------  -----  ----------  --------",
    ]


# -- log -----------------------------------------------------------------------------------
def test_log_json_in_replay_order(db):
    records = json.loads(ok("log", "--json", db=db))
    assert [r["seq"] for r in records] == [1, 3, 2, 4, 5, 6]
    assert [r["id"] for r in records] == ["e1", "e2", "e3", "e4", "e5", "e6"]
    first = records[0]
    for field in ("id", "type", "stream", "occurred_at", "actor", "data", "sources",
                  "confidence"):
        assert first[field] == E1[field], field
    assert (first["version"], records[1]["version"]) == (1, 3)
    assert records[4]["actor"] is None and records[4]["confidence"] == "reported"
    assert records[5]["sources"] == E6["sources"]
    assert [r["seq"] for r in json.loads(ok("log", "--json", "--from", "2021-02-03",
                                            db=db))] == [2, 4, 5, 6]
    assert [r["seq"] for r in json.loads(ok("log", "--json", "--as-of", "2021-02-01",
                                            db=db))] == [1, 3]
    assert [r["seq"] for r in json.loads(ok("log", "--json", "--from", "2021-02-01T18:30:00Z",
                                            "--as-of", "2021-02-04T11:59:59Z", db=db))] == \
        [3, 2, 4]


LOG_HEADER = ["seq", "occurred_at", "stream", "type", "actor", "confidence", "id", "summary",
              "sources", "corrected", "retracted"]


def csv_rows(text: str) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(text)))


def test_log_csv(db):
    # Every summary whole; each source as `title (published) <url>`, one a line in its
    # cell; the actor as recorded (none for e5).
    assert csv_rows(ok("log", "--csv", db=db)) == [
        LOG_HEADER,
        ["1", "2021-02-01T10:00:00+05:30", "tw", "order_issued", "MeitY", "confirmed", "e1",
         "orders Twitter to block 2 targets (O-1, by MeitY)",
         "Gazette (2021-02-01) <https://example.org/o1>", "", ""],
        ["3", "2021-02-01T18:30:00Z", "tw", "accounts_blocked", "Twitter", "reported", "e2",
         "blocks 1 named account in IN under O-1", "Reuters <https://example.org/r>", "", ""],
        ["2", "2021-02-03", "tw", "notice_sent", "MeitY", "reported", "e3",
         "sends non-compliance notice N-1 to Twitter", "Letter N-1", "", ""],
        ["4", "2021-02-04", "tw", "acknowledgement_sent", "Twitter", "reported", "e4",
         "acknowledges N-1", "", "", ""],
        ["5", "2021-02-04T12:00:00Z", "tw", "compliance_reported", "", "reported", "e5",
         "reports 1 of 2 actioned under O-1", "", "", ""],
        ["6", "2021-02-05", "tw", "accounts_unblocked", "Twitter", "reported", "e6",
         "unblocks 1 named account under O-1", "Blog <https://example.org/b>\nPress note", "", ""],
    ]
    assert [r[0] for r in csv_rows(ok("log", "--csv", "--from", "2021-02-04T12:00:00Z",
                                      db=db))[1:]] == ["5", "6"]


SRC = " " * 34 + "source: "


def test_log_table(db):
    # A source reads `title (published)`; e5 has no actor: its reporter is who acted.
    assert ok("log", db=db).splitlines() == [
        ("2021-02-01T10:00:00+05:30  #1     order_issued          "
         "MeitY: orders Twitter to block 2 targets (O-1, by MeitY)"),
        SRC + "Gazette (2021-02-01)",
        ("2021-02-01T18:30:00Z       #3     accounts_blocked      "
         "Twitter: blocks 1 named account in IN under O-1"),
        SRC + "Reuters",
        ("2021-02-03                 #2     notice_sent           "
         "MeitY: sends non-compliance notice N-1 to Twitter"),
        SRC + "Letter N-1",
        "2021-02-04                 #4     acknowledgement_sent  Twitter: acknowledges N-1",
        ("2021-02-04T12:00:00Z       #5     compliance_reported   "
         "Twitter: reports 1 of 2 actioned under O-1"),
        ("2021-02-05                 #6     accounts_unblocked    "
         "Twitter: unblocks 1 named account under O-1"),
        SRC + "Blog",
        SRC + "Press note",
    ]
    assert ok("log", "--from", "2021-02-05", db=db).splitlines() == [
        ("2021-02-05                 #6     accounts_unblocked    "
         "Twitter: unblocks 1 named account under O-1"),
        SRC + "Blog",
        SRC + "Press note",
    ]
    # --wide: the addresses too.
    assert ok("log", "--wide", "--from", "2021-02-05", db=db).splitlines() == [
        ("2021-02-05                 #6     accounts_unblocked    "
         "Twitter: unblocks 1 named account under O-1"),
        SRC + "Blog <https://example.org/b>",
        SRC + "Press note",
    ]
    assert ok("log", "--wide", "--as-of", "2021-02-01T10:00:00+05:30", db=db).splitlines()[1] \
        == SRC + "Gazette (2021-02-01) <https://example.org/o1>"


def test_log_marks_retractions_and_shows_corrections(tmp_path):
    db = tmp_path / "am.db"
    events = [
        event("o", "order_issued", "2021-03-01", "MeitY",
              {"order_id": "O-9", "issuer": "MeitY", "platform": "Twitter", "target_count": 4},
              stream="am"),
        event("s1", "statement_published", "2021-03-02", "MeitY",
              {"speaker": "MeitY", "summary": "we deny it"}, stream="am"),
        event("b1", "accounts_blocked", "2021-03-03", "Twitter",
              {"order_id": "O-9", "count": 2}, stream="am"),
    ]
    ok("append", jsonl(tmp_path / "a.jsonl", events), db=db)
    before = json.loads(ok("export", db=db).splitlines()[-1])["recorded_at"]
    ok("append", jsonl(tmp_path / "b.jsonl", [
        event("r1", "event_retracted", "2021-03-05", None,
              {"target_id": "s1", "reason": "misattributed"}, stream="am"),
        event("c1", "event_corrected", "2021-03-06", None,
              {"target_id": "b1", "reason": "date", "occurred_at": "2021-03-04T00:00:00Z"},
              stream="am")]), db=db)
    assert ok("log", db=db).splitlines() == [
        ("2021-03-01                 #1     order_issued          "
         "MeitY: orders Twitter to block 4 targets (O-9, by MeitY)"),
        ("2021-03-02                 #2     statement_published   "
         "MeitY: we deny it  [retracted: misattributed]"),
        ("2021-03-04T00:00:00Z       #3     accounts_blocked      "
         "Twitter: blocks 2 accounts under O-9  [corrected by #5: date]"),
        # No actor and no one named in the data: the summary alone.
        "2021-03-05                 #4     event_retracted       retracts s1: misattributed",
        "2021-03-06                 #5     event_corrected       corrects b1: date",
    ]
    records = json.loads(ok("log", "--json", db=db))
    assert records[1]["retracted"] == {"id": "r1", "reason": "misattributed"}
    assert records[2]["occurred_at"] == "2021-03-04T00:00:00Z"
    assert records[2]["corrected"] == [{"seq": 5, "id": "c1", "reason": "date"}]
    assert all("retracted" not in r for i, r in enumerate(records) if i != 1)
    assert all("corrected" not in r for i, r in enumerate(records) if i != 2)
    # What an analyst knew before the amendments: no mark, the block where first written.
    old = json.loads(ok("log", "--json", "--known-at", before, db=db))
    assert [(r["id"], r["occurred_at"]) for r in old] == [
        ("o", "2021-03-01"), ("s1", "2021-03-02"), ("b1", "2021-03-03")]
    assert all("retracted" not in r and "corrected" not in r for r in old)
    # The compliance view follows the corrected time; the retracted statement is gone.
    rows = json.loads(ok("compliance", "--json", "--as-of", "2021-03-03", db=db))
    assert rows[0]["blocked"] == 0
    rows = json.loads(ok("compliance", "--json", "--as-of", "2021-03-04", db=db))
    assert (rows[0]["blocked"], rows[0]["first_action_at"]) == (2, "2021-03-04T00:00:00Z")
    assert (rows[0]["compliance"], rows[0]["status"]) == (0.5, "partial")


# -- diff ----------------------------------------------------------------------------------
DIFF = [
    {"kind": "order", "key": "O-1", "field": "blocked", "from": 1, "to": 0},
    {"kind": "order", "key": "O-1", "field": "restored", "from": 0, "to": 1},
    {"kind": "order", "key": "O-1", "field": "compliance", "from": 0.5, "to": 0},
    {"kind": "order", "key": "O-1", "field": "status", "from": "partial", "to": "reverted"},
    {"kind": "order", "key": "O-1", "field": "overdue", "from": False, "to": True},
    {"kind": "order", "key": "O-1", "field": "notices", "from": [], "to": ["N-1"]},
    {"kind": "order", "key": "O-1", "field": "acknowledged", "from": False, "to": True},
    {"kind": "order", "key": "O-1", "field": "reported", "from": None, "to": REPORTED},
    {"kind": "account", "key": "@a", "field": "status", "from": "blocked", "to": "active"},
    {"kind": "account", "key": "@a", "field": "scope", "from": "IN", "to": None},
    {"kind": "notice", "key": "N-1", "field": None, "from": None, "to": N1},
]


def test_diff_json(db):
    assert ok("diff", "--from", "2021-02-02", "--to", "2021-02-05", "--json", db=db) == \
        pretty(DIFF)
    # Reversed: the same changes the other way; the notice is removed.
    back = json.loads(backwards("diff", "--from", "2021-02-05", "--to", "2021-02-02", "--json",
                                db=db))
    assert back == [{**c, "from": c["to"], "to": c["from"]} for c in DIFF]
    assert json.loads(ok("diff", "--from", "2021-02-05", "--to", "2021-03-01", "--json",
                         db=db)) == []
    # From before the order: the order, the account and the notice are added whole.
    added = json.loads(ok("diff", "--from", "2021-01-01", "--to", "2021-02-04", "--json",
                          db=db))
    assert added == [
        {"kind": "order", "key": "O-1", "field": None, "from": None, "to": ROW_0204},
        {"kind": "account", "key": "@a", "field": None, "from": None,
         "to": STATE_0204["accounts"]["@a"]},
        {"kind": "notice", "key": "N-1", "field": None, "from": None, "to": N1},
    ]


def test_diff_says_when_it_runs_backwards(db):
    """`--from` later than `--to` is a diff read backwards, not a mistake to refuse: it is
    printed, with a note on stderr (an analyst's review found it ran backwards without a
    word). The times are compared as the views take them: a day is all of that day."""
    back = backwards("diff", "--from", "2021-02-05", "--to", "2021-02-02", "--json", db=db)
    forward = json.loads(ok("diff", "--from", "2021-02-02", "--to", "2021-02-05", "--json",
                            db=db))
    assert json.loads(back) == [{**c, "from": c["to"], "to": c["from"]} for c in forward]
    # A day runs to its end, so it is later than a time on it.
    backwards("diff", "--from", "2021-02-02", "--to", "2021-02-02T12:00:00Z", db=db)
    # Offsets count: 10:00 at +05:30 is 04:30Z, before 05:00Z; the same time, no note.
    ok("diff", "--from", "2021-02-01T10:00:00+05:30", "--to", "2021-02-01T05:00:00Z", db=db)
    ok("diff", "--from", "2021-02-03", "--to", "2021-02-03", db=db)
    # The library says it with its own argument names.
    from docket.errors import spelled
    from docket.views.diff import runs_backwards
    assert runs_backwards("2021-02-03", "2021-02-04") is None
    assert spelled(runs_backwards("2021-02-04", "2021-02-03"), str).startswith(
        "from_ 2021-02-04 is later than to 2021-02-03")


def test_diff_table(db):
    assert ok("diff", "--from", "2021-02-02", "--to", "2021-02-05", db=db).splitlines() == [
        "order O-1 blocked: 1 -> 0",
        "order O-1 restored: 0 -> 1",
        "order O-1 compliance: 0.5 -> 0",
        "order O-1 status: partial -> reverted",
        "order O-1 overdue: no -> yes",
        "order O-1 notices: - -> N-1",
        "order O-1 acknowledged: no -> yes",
        "order O-1 reported: - -> 1/2 (Twitter)",
        "account @a status: blocked -> active",
        "account @a scope: IN -> -",
        # an entry added or removed is told in its section's table columns (an analyst's
        # review: "added" alone said nothing of it)
        f"notice N-1: added (kind {N1['kind']}, sent_at {N1['sent_at']}, order_ids O-1, "
        f"acknowledged_at {N1['acknowledged_at']})",
    ]
    assert backwards("diff", "--from", "2021-02-05", "--to", "2021-02-02",
                     db=db).splitlines()[-1] \
        == (f"notice N-1: removed (kind {N1['kind']}, sent_at {N1['sent_at']}, order_ids O-1, "
            f"acknowledged_at {N1['acknowledged_at']})")
    # an order, an account and a dialogue request added since before the first event
    lines = ok("diff", "--from", "2021-01-01", "--to", "2021-02-02", db=db).splitlines()
    order = json.loads(ok("compliance", "--json", "--as-of", "2021-02-02", db=db))[0]
    assert lines[0] == (f"order O-1: added (issued_at {order['issued_at']}, target_count 2, "
                        "blocked 1, ever_blocked 1, restored 0, compliance 0.5, status partial, "
                        f"first_action_at {order['first_action_at']}, overdue no, "
                        "acknowledged no)"), lines
    assert lines[1].startswith("account @a: added (status blocked, scope IN, order_id O-1, "
                               "since "), lines
    assert ok("diff", "--from", "2021-02-06", "--to", "2021-02-07", db=db) == \
        "no change between 2021-02-06 and 2021-02-07\n"


def _csv_cell(value, cell: str) -> bool:
    """Whether a CSV cell says the JSON value, by hand: nothing is empty, a boolean
    true/false, a list of plain values joined by `;`, anything holding an object JSON."""
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, dict) or (isinstance(value, list) and any(
            isinstance(v, (dict, list)) for v in value)):
        return json.loads(cell) == value
    if isinstance(value, list):
        return cell == ";".join(str(v) for v in value)
    return cell == str(value)


def _csv_rows_say(out: str, items: list[dict], columns: tuple) -> None:
    import csv as csv_module
    import io

    reader = csv_module.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames) == columns
    rows = list(reader)
    assert len(rows) == len(items)
    for row, item in zip(rows, items):
        assert all(_csv_cell(item[k], row[k]) for k in columns), (row, item)


def test_diff_and_why_csv_hold_what_their_json_holds(db):
    """SPEC §6: every read command prints CSV too. diff: a row per change; why: a row per
    event behind the fact."""
    for args in (("diff", "--from", "2021-02-02", "--to", "2021-02-05"),
                 ("diff", "--from", "2021-01-01", "--to", "2021-02-04")):
        changes = json.loads(ok(*args, "--json", db=db))
        assert changes
        _csv_rows_say(ok(*args, "--csv", db=db), changes, ("kind", "key", "field", "from", "to"))
    for ref in ("O-1", "N-1", "@a"):
        events = json.loads(ok("why", ref, "--json", db=db))["events"]
        assert events
        _csv_rows_say(ok("why", ref, "--csv", db=db), events,
                      ("seq", "occurred_at", "type", "actor", "confidence", "id", "summary",
                       "sources"))
    assert "--json and --csv do not go together" in fails(2, "why", "O-1", "--json", "--csv",
                                                          db=db)
    assert "--excel-safe goes with --csv" in fails(2, "diff", "--from", "2021-02-02", "--to",
                                                   "2021-02-05", "--excel-safe", db=db)


def test_diff_known_at(logs):
    db, _, first = logs
    # Known after the first file only: between the 2nd and the 5th, just the notice came.
    changes = json.loads(ok("diff", "--from", "2021-02-02", "--to", "2021-02-05",
                            "--known-at", first, "--json", db=db))
    assert changes == [
        {"kind": "order", "key": "O-1", "field": "overdue", "from": False, "to": True},
        {"kind": "order", "key": "O-1", "field": "notices", "from": [], "to": ["N-1"]},
        {"kind": "notice", "key": "N-1", "field": None, "from": None,
         "to": {**N1, "acknowledged_at": None}},
    ]


# -- why -----------------------------------------------------------------------------------
# Each cited event's summary line, as `docket log` words it (by hand).
SUMMARY = {
    "e1": "MeitY: orders Twitter to block 2 targets (O-1, by MeitY)",
    "e2": "Twitter: blocks 1 named account in IN under O-1",
    "e3": "MeitY: sends non-compliance notice N-1 to Twitter",
    "e4": "Twitter: acknowledges N-1",
    "e5": "Twitter: reports 1 of 2 actioned under O-1",   # no actor: the reporter
    "e6": "Twitter: unblocks 1 named account under O-1",
}


def cite(e, seq):
    return {"seq": seq, "id": e["id"], "occurred_at": e["occurred_at"], "type": e["type"],
            "actor": e.get("actor"), "confidence": e.get("confidence", "reported"),
            "summary": SUMMARY[e["id"]], "sources": e["sources"]}


def test_why_order_json(db):
    answer = json.loads(ok("why", "O-1", "--as-of", "2021-02-04", "--json", db=db))
    assert answer == {"ref": "O-1", "kind": "order", "status": ROW_0204,
                      "events": [cite(E1, 1), cite(E2, 3), cite(E3, 2), cite(E4, 4),
                                 cite(E5, 5)]}
    now = json.loads(ok("why", "O-1", "--json", db=db))
    assert now["status"] == ROW_NOW
    assert [e["seq"] for e in now["events"]] == [1, 3, 2, 4, 5, 6]


def test_why_notice_and_target_json(db):
    assert json.loads(ok("why", "N-1", "--json", db=db)) == {
        "ref": "N-1", "kind": "notice", "status": N1, "events": [cite(E3, 2), cite(E4, 4)]}
    assert json.loads(ok("why", "N-1", "--json", "--as-of", "2021-02-03", db=db))["status"] \
        == {**N1, "acknowledged_at": None}
    assert json.loads(ok("why", "@a", "--json", db=db)) == {
        "ref": "@a", "kind": "account",
        "status": {"status": "active", "scope": None, "order_id": "O-1", "since": "2021-02-05"},
        "events": [cite(E1, 1), cite(E2, 3), cite(E6, 6)]}
    assert json.loads(ok("why", "@a", "--json", "--as-of", "2021-02-04", db=db))["status"] == \
        {"status": "blocked", "scope": "IN", "order_id": "O-1", "since": "2021-02-01T18:30:00Z"}
    # Named by the order, never moved: active, and the order is why we know of it.
    assert json.loads(ok("why", "@b", "--json", db=db)) == {
        "ref": "@b", "kind": "account",
        "status": {"status": "active", "scope": None, "order_id": None, "since": None},
        "events": [cite(E1, 1)]}


def test_why_table(db):
    assert ok("why", "N-1", db=db).splitlines() == [
        "notice N-1",
        "  kind:                  non_compliance",
        "  sent_at:               2021-02-03",
        "  order_ids:             O-1",
        "  acknowledged_at:       2021-02-04",
        "because:",
        "  #2 2021-02-03 notice_sent MeitY: sends non-compliance notice N-1 to Twitter [e3]",
        "      source: Letter N-1",
        "  #4 2021-02-04 acknowledgement_sent Twitter: acknowledges N-1 [e4]",
    ]
    assert ok("why", "O-1", "--as-of", "2021-02-04", db=db).splitlines() == [
        "order O-1",
        "  issuer:                MeitY",
        "  platform:              Twitter",
        "  issued_at:             2021-02-01T10:00:00+05:30",
        "  legal_basis:           IT Act s.69A",
        "  procedure:             emergency",
        "  target_count:          2",
        "  blocked:               1",
        "  ever_blocked:          1",
        "  restored:              0",
        "  compliance:            0.5",
        "  status:                partial",
        "  first_action_at:       2021-02-01T18:30:00Z",
        "  hours_to_first_action: 14",
        "  deadline:              2021-02-02",
        "  overdue:               yes",
        "  notices:               N-1",
        "  acknowledged:          yes",
        "  reported:              1/2 (Twitter)",
        "  scope:                 -",
        "  penalties:             -",
        "because:",
        ("  #1 2021-02-01T10:00:00+05:30 order_issued MeitY: orders Twitter to block 2 "
         "targets (O-1, by MeitY) [e1]"),
        "      source: Gazette (2021-02-01) <https://example.org/o1>",
        ("  #3 2021-02-01T18:30:00Z accounts_blocked Twitter: blocks 1 named account in IN "
         "under O-1 [e2]"),
        "      source: Reuters <https://example.org/r>",
        "  #2 2021-02-03 notice_sent MeitY: sends non-compliance notice N-1 to Twitter [e3]",
        "      source: Letter N-1",
        "  #4 2021-02-04 acknowledgement_sent Twitter: acknowledges N-1 [e4]",
        ("  #5 2021-02-04T12:00:00Z compliance_reported Twitter: reports 1 of 2 actioned "
         "under O-1 [e5]"),
    ]
    assert ok("why", "@a", db=db).splitlines()[:5] == [
        "account @a",
        "  status:                active",
        "  scope:                 -",
        "  order_id:              O-1",
        "  since:                 2021-02-05",
    ]


def test_why_unknown_ref(db):
    message = fails(1, "why", "nope", db=db)
    assert "'nope'" in message and "'tw'" in message
    # @a is not known before anything happened to it
    assert "'@a'" in fails(1, "why", "@a", "--as-of", "2021-01-31", db=db)


# -- rebuild -------------------------------------------------------------------------------
def _tables(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}"))
                for t in ("view_orders", "view_accounts", "view_notices", "view_dialogue",
                          "view_challenges", "view_streams")}
    finally:
        conn.close()


def test_rebuild(tmp_path):
    db, _ = build(tmp_path, "r.db", other=True)
    good = _tables(db)
    assert [r[:2] for r in good["view_orders"]] == [("other", "X-1"), ("tw", "O-1")]
    before = ok("compliance", "--json", db=db)
    conn = sqlite3.connect(db)
    with conn:   # damage the stored views (ordinary tables) behind docket's back
        conn.execute("UPDATE view_orders SET blocked = 2, status = 'complied'")
        conn.execute("DELETE FROM view_accounts")
        conn.execute("DELETE FROM view_notices")
    conn.close()
    assert _tables(db) != good
    assert ok("rebuild", db=db) == "rebuilt the views of 2 streams from 7 events\n"
    assert _tables(db) == good
    assert ok("compliance", "--json", db=db) == before
    assert ok("rebuild", "--json", db=db) == '{"streams":2,"events":7}\n'
    assert _tables(db) == good


# -- errors --------------------------------------------------------------------------------
def test_one_stream_commands_need_stream_when_there_are_two(logs):
    _, two, _ = logs
    for args in (("state",), ("state", "--json"), ("why", "O-1"),
                 ("diff", "--from", "2021-02-01", "--to", "2021-02-05")):
        message = fails(2, *args, db=two)
        assert "--stream" in message and "other, tw" in message, message
    # ... and work with it
    assert json.loads(ok("state", "--json", "--stream", "tw", db=two))["orders"] == \
        {"O-1": ROW_NOW}
    assert json.loads(ok("why", "X-1", "--stream", "other", "--json", db=two))["kind"] == "order"
    # compliance and log cover every stream: X-1 (issued 2021-01-15) comes first
    rows = json.loads(ok("compliance", "--json", db=two))
    assert rows == [{**X1}, ROW_NOW]
    assert [r["id"] for r in json.loads(ok("log", "--json", db=two))] == \
        ["x1", "e1", "e2", "e3", "e4", "e5", "e6"]
    assert json.loads(ok("compliance", "--json", "--stream", "other", db=two)) == [X1]
    assert "'nope'" in fails(1, "compliance", "--stream", "nope", db=two)


@pytest.mark.parametrize("args, option", [
    (("compliance", "--as-of", "2021-02-30"), "--as-of"),
    (("compliance", "--json", "--as-of", "yesterday"), "--as-of"),
    (("state", "--as-of", "2021-02-01T10:00:00"), "--as-of"),    # no offset
    (("state", "--known-at", "02/01/2021"), "--known-at"),
    (("log", "--as-of", "2021-2-1"), "--as-of"),
    (("log", "--from", "soon"), "--from"),
    (("why", "O-1", "--as-of", "2021-02-01 10:00"), "--as-of"),
    (("diff", "--from", "2021-13-01", "--to", "2021-02-05"), "--from"),
    (("diff", "--from", "2021-02-01", "--to", "x"), "--to"),
])
def test_bad_times_exit_1_with_one_error_line(db, args, option):
    message = fails(1, *args, db=db)
    assert message.startswith(option + ":"), message


def test_missing_database_and_usage(tmp_path, db):
    missing = tmp_path / "none.db"
    assert "none.db" in fails(1, "compliance", db=missing)
    assert not missing.exists()          # a read command creates nothing
    code, out, err = docket("diff", "--to", "2021-02-05", db=db)   # --from is required
    assert code == 2 and out == "" and "--from" in err


def on_terminal(*args, db) -> tuple[int, bytes, bytes]:
    """Run `docket` with stderr on a pseudo-terminal: (exit code, stdout, what the terminal
    showed)."""
    return on_pty(*args, "--db", db, on="stderr")


# The long commands (brief: import, rebuild, verify, project; checkpoint folds and hashes the
# whole log too), each with the label its bar shows.
LONG = {
    "import": (lambda tmp, db: ("import", jsonl(tmp / "more.jsonl", BULK)), "importing"),
    "rebuild": (lambda tmp, db: ("rebuild",), "rebuilding"),
    "verify": (lambda tmp, db: ("verify",), "verifying"),
    "checkpoint": (lambda tmp, db: ("checkpoint",), "checkpoint"),
    "project": (lambda tmp, db: ("project", "--out", tmp / "proj"), "projecting"),
}
# Enough events that every command ticks its bar on the way (folds tick every 1,000).
BULK = [event(f"d{i}", "dialogue_requested", "2021-02-09", "Twitter",
              {"by": "Twitter", "addressee": "MeitY"}) for i in range(2500)]


@pytest.mark.parametrize("command", sorted(LONG))
def test_long_commands_draw_a_progress_bar_only_on_a_terminal(tmp_path, command):
    args, label = LONG[command]
    db, _ = build(tmp_path, "t.db")
    if command != "import":
        ok("import", jsonl(tmp_path / "bulk.jsonl", BULK), db=db)
    outputs = []
    for where in ("shown", "piped"):   # two copies of one log: the same run, two stderrs
        folder = tmp_path / where
        folder.mkdir()
        with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(folder / "t.db")) as dst:
            src.backup(dst)
        argv = args(folder, folder / "t.db")
        if where == "shown":
            code, out, seen = on_terminal(*argv, db=folder / "t.db")
            assert code == 0, seen
            assert label.encode() in seen         # the bar, drawn on the terminal (stderr)
            shown = [int(p) for p in re.findall(rb"(\d+)%", seen)]
            assert shown[-1] == 100, shown        # filled when the work is done ...
            assert any(0 < p < 100 for p in shown), shown   # ... and ticked on the way
            out = out.decode()
        else:
            out = ok(*argv, db=folder / "t.db")   # piped: exit 0 and stderr empty
        outputs.append(out.replace(str(folder), "DIR"))
    assert outputs[0] == outputs[1] and outputs[0]   # the bar changes nothing else


def test_why_cites_the_corrections_of_the_events_it_cites(tmp_path):
    """A figure or date that a correction gave comes with the correction and its sources
    (they showed the corrected event with its own sources only); a correction of an event
    that does not bear on the fact is not cited."""
    from docket import EventLog

    def src(title, day):
        return [{"title": f"Paper: {title}", "published": day}]

    log = EventLog(str(tmp_path / "c.db"))
    log.append([
        {"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01", "id": "o",
         "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
                  "target_count": 10}, "sources": src("the order", "2021-02-01")},
        {"type": "compliance_reported", "stream": "s", "occurred_at": "2021-02-11", "id": "r",
         "data": {"order_id": "O-1", "actioned": 5, "specified": 10, "reporter": "BT"},
         "sources": src("five of ten", "2021-02-11")},
        {"type": "statement_published", "stream": "s", "occurred_at": "2021-02-12", "id": "st",
         "data": {"speaker": "MeitY", "summary": "a statement"}},
        {"type": "event_corrected", "stream": "s", "occurred_at": "2021-03-01", "id": "c",
         "data": {"target_id": "r", "reason": "ToI reported it a day earlier",
                  "occurred_at": "2021-02-10",
                  "data": {"order_id": "O-1", "actioned": 5, "specified": 10,
                           "reporter": "ToI"}},
         "sources": src("ToI: five of ten", "2021-02-10")},
        {"type": "event_corrected", "stream": "s", "occurred_at": "2021-03-02", "id": "c2",
         "data": {"target_id": "st", "reason": "wording",
                  "data": {"speaker": "MeitY", "summary": "the statement"}}},
    ])
    for as_of in (None, "2021-02-20"):
        answer = log.why("O-1", as_of=as_of)
        assert answer["status"]["reported"] == {"actioned": 5, "specified": 10,
                                                "reporter": "ToI"}
        assert [(e["id"], e["occurred_at"]) for e in answer["events"]] == [
            ("o", "2021-02-01"), ("r", "2021-02-10"), ("c", "2021-03-01")]
        cited = answer["events"][-1]
        assert cited["type"] == "event_corrected" and cited["seq"] == 4
        assert cited["sources"] == src("ToI: five of ten", "2021-02-10")
        assert cited["summary"] == "corrects r: ToI reported it a day earlier"
    out = ok("why", "O-1", db=tmp_path / "c.db")
    assert "  #4 2021-03-01 event_corrected corrects r: ToI reported it a day earlier [c]\n" \
        "      source: Paper: ToI: five of ten (2021-02-10)\n" in out
    log.close()


def test_why_of_an_id_of_another_stream_says_which(tmp_path):
    """An unknown ref says "at that time" only when a time was given, and names the stream
    that has it when another one introduced it."""
    from docket import EventLog

    log = EventLog(str(tmp_path / "two.db"))
    log.append([{"type": "order_issued", "stream": stream, "occurred_at": "2021-02-01",
                 "id": f"o-{stream}", "data": {"order_id": oid, "issuer": "MeitY",
                                               "platform": "Twitter", "target_count": 1}}
                for stream, oid in (("a", "O-a"), ("b", "O-b"))])
    log.close()
    db = tmp_path / "two.db"
    err = fails(1, "why", "O-b", "--stream", "a", db=db)
    assert err == ("REF: 'O-b' is not an order, notice, case, penalty, target or country in "
                   "stream 'a' (stream 'b' has it)")
    err = fails(1, "why", "O-z", "--stream", "a", "--as-of", "2021-03-01", db=db)
    assert err == ("REF: 'O-z' is not an order, notice, case, penalty, target or country in "
                   "stream 'a' at that time")
    # An order not issued yet at that time, and an event's id (an analyst's review: both
    # got the error a typo gets), say where the ref is.
    err = fails(1, "why", "O-a", "--stream", "a", "--as-of", "2021-01-31", db=db)
    assert err.endswith("stream 'a' at that time (the order is introduced later, by seq 1, "
                        "which occurred at 2021-02-01): "
                        "no event of stream 'a' occurred by 2021-01-31: the first occurred at "
                        "2021-02-01")  # and why nothing is there at all (test_nothing_in_view)
    err = fails(1, "why", "o-a", "--stream", "a", db=db)
    assert err.endswith("stream 'a' (that is the id of event #1, order_issued; `why` explains "
                        "an order, notice, case, penalty, target or country: try `docket why "
                        "O-a` (the order))")


def test_why_cites_a_retraction_of_an_event_that_named_the_fact(tmp_path):
    """A block that was withdrawn no longer shows among the events behind its order or its
    account; the retraction that withdrew it does, with its sources (it is why the order
    stands where it does); a retraction of an event that named neither is not cited."""
    from docket import EventLog

    log = EventLog(str(tmp_path / "r.db"))
    log.append([
        {"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01", "id": "o",
         "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
                  "targets": ["@a", "@b"]}},
        {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-02", "id": "b1",
         "data": {"order_id": "O-1", "targets": ["@a"]}},
        {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-03", "id": "b2",
         "data": {"basis": "platform_rules", "count": 5}}])
    known = list(log.read())[-1]["recorded_at"]  # before the retractions were recorded
    time.sleep(0.002)
    log.append([
        {"type": "event_retracted", "stream": "s", "occurred_at": "2021-03-01", "id": "r1",
         "data": {"target_id": "b1", "reason": "the report was about other accounts"},
         "sources": [{"title": "Paper: a correction", "published": "2021-03-01"}]},
        {"type": "event_retracted", "stream": "s", "occurred_at": "2021-03-02", "id": "r2",
         "data": {"target_id": "b2", "reason": "no such suspension"}},
    ])
    for ref in ("O-1", "@a"):
        events = log.why(ref)["events"]
        assert [e["id"] for e in events] == ["o", "r1"], ref
        assert events[-1]["type"] == "event_retracted"
        assert events[-1]["sources"] == [{"title": "Paper: a correction",
                                          "published": "2021-03-01"}]
        assert events[-1]["summary"] == "retracts b1: the report was about other accounts"
    assert log.why("O-1")["status"]["blocked"] == 0
    # known before the retraction: the block itself, and no retraction
    assert [e["id"] for e in log.why("O-1", known_at=known)["events"]] == ["o", "b1"]
    log.close()
