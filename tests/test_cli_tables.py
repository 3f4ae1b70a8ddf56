"""Tables on a narrow terminal: `compliance` and `state` leave columns out to fit the
terminal stdout is on, least needed first, and say which on stderr; `--wide`, a pipe or a
file gets every column (an analyst's review: Brazil–X's compliance table was 262
characters wide, so a terminal wrapped each row)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import on_pty, run

from docket import EventLog
from docket.cli.format import fit_table, table
from docket.cli.tables import COMPLIANCE_TABLE, LEAVE_OUT

EVENTS = Path(__file__).resolve().parents[1] / "events"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "t.db"
    log = EventLog(str(path))
    for name in ("twitter-india-2021.jsonl", "brazil-x-2024.jsonl",
                 "australia-esafety-x-2024.jsonl"):
        lines = (EVENTS / name).read_bytes().splitlines()
        log.import_lines([(n, line) for n, line in enumerate(lines, 1) if line.strip()])
    log.close()
    return path


def on_terminal(*args, db, columns: int) -> tuple[int, str, str]:
    """Run `docket` with stdout on a pseudo-terminal `columns` wide: (exit code, what the
    terminal showed, stderr)."""
    code, err, seen = on_pty(*args, "--db", db, on="stdout", env={"COLUMNS": str(columns)})
    return code, seen.decode().replace("\r\n", "\n"), err.decode()


def _header(text: str, after: str | None = None) -> list[str]:
    """The column names of the first table in `text` (after the line `after`)."""
    lines = text.splitlines()
    start = lines.index(after) + 1 if after else 0
    return lines[start].split()


ROWS = [{"id": "a", "short": 1, "long": "x" * 30, "mid": "y" * 12},
        {"id": "bb", "short": 22, "long": "z", "mid": None}]


def test_a_table_that_fits_is_the_whole_table():
    text, gone = fit_table(ROWS, ("id", "short", "long", "mid"), 200)
    assert gone == [] and text == table(ROWS, ("id", "short", "long", "mid"))
    assert fit_table(ROWS, ("id", "short", "long", "mid"), None) == (text, [])


def test_columns_are_left_out_widest_first_after_the_named_ones():
    full = table(ROWS, ("id", "short", "long", "mid"))
    assert max(map(len, full.splitlines())) == 2 + 2 + 5 + 2 + 30 + 2 + 12
    text, gone = fit_table(ROWS, ("id", "short", "long", "mid"), 30)
    assert gone == ["long"] and max(map(len, text.splitlines())) <= 30
    assert text.splitlines()[0].split() == ["id", "short", "mid"]
    text, gone = fit_table(ROWS, ("id", "short", "long", "mid"), 30, leave_out=("short",))
    assert gone == ["short", "long"] and text.splitlines()[0].split() == ["id", "mid"]
    # The first column names the row: it stays even where nothing fits.
    text, gone = fit_table(ROWS, ("id", "short", "long", "mid"), 1)
    assert gone == ["short", "long", "mid"] and text.splitlines()[2] == "a"


def test_compliance_on_a_narrow_terminal_keeps_what_answers_did_it_comply(db):
    code, shown, err = on_terminal("compliance", "--stream", "twitter-india-2021",
                                   "--as-of", "2021-02-08", db=db, columns=100)
    assert code == 0
    assert max(map(len, shown.splitlines())) <= 100
    header = _header(shown)
    gone = [c for c in COMPLIANCE_TABLE if c not in header]
    assert gone and {"order_id", "status", "blocked", "target_count"} <= set(header)
    # The named columns go first, in their order; the note says which, and what shows all.
    named = [c for c in LEAVE_OUT["orders"] if c in COMPLIANCE_TABLE]
    assert set(gone) == set(named[:len(gone)])
    note = [line for line in err.splitlines() if "left out" in line]
    assert note == [f"Note: left out to fit the terminal's 100 columns: {', '.join(gone)} "
                    "(--wide shows every column, as --json and --csv do)"]
    code, wide, err = on_terminal("compliance", "--stream", "twitter-india-2021",
                                  "--as-of", "2021-02-08", "--wide", db=db, columns=100)
    assert code == 0 and _header(wide) == list(COMPLIANCE_TABLE) and "left out" not in err
    assert max(map(len, wide.splitlines())) > 100


def test_a_pipe_gets_every_column_whatever_the_terminal_says(db):
    code, out, err = run("compliance", "--stream", "brazil-x-2024", "--db", db,
                         env={"COLUMNS": "60"})
    assert code == 0 and "left out" not in err
    assert _header(out)[:len(COMPLIANCE_TABLE)] == list(COMPLIANCE_TABLE)
    code, shown, _ = on_terminal("compliance", "--stream", "brazil-x-2024", "--wide", db=db,
                                 columns=60)
    assert shown.splitlines() == out.splitlines()


def test_state_fits_each_section_and_names_them(db):
    code, shown, err = on_terminal("state", "--stream", "brazil-x-2024", db=db, columns=100)
    assert code == 0
    note = [line for line in err.splitlines() if "left out" in line]
    assert len(note) == 1 and note[0].startswith(
        "Note: left out to fit the terminal's 100 columns: orders: ")
    lines = shown.splitlines()
    for section in ("orders", "accounts", "notices", "penalties"):
        i = lines.index(section)
        # The header, its rule and the rows: every line of the table fits.
        body = lines[i + 1:lines.index("", i) if "" in lines[i:] else None]
        assert body and max(map(len, body)) <= 100, section
    left = dict(part.split(": ", 1) for part in
                note[0].split("columns: ", 1)[1].split(" (--wide")[0].split("; "))
    for section, columns in left.items():
        assert not set(columns.split(", ")) & set(_header(shown, section)), section
    code, wide, err = on_terminal("state", "--stream", "brazil-x-2024", "--wide", db=db,
                                  columns=100)
    assert code == 0 and "left out" not in err and len(wide) > len(shown)
