"""Damaged files (issue 20.4): `verify` includes SQLite's own integrity check, a write refuses
a file whose quick check fails (one `Error:` line, the file byte for byte unchanged), and
`export` names the seq it could not read, never "internal error".

Copies of one closed log of 2,000 events are damaged on purpose: a b-tree page's cell
pointer or free-space header (SQLite's checks find it, the rows still read), bytes of a
stored body or hash that are no longer UTF-8, and random flips of 1-8 bits (a few seeds
here; `make soak` runs hundreds)."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from conftest import invoke
from soak import soak

from docket import EventLog
from docket.errors import StorageError

S = "s"
N = 2000
APPEND = ["append", "--stream", S, "--type", "statement_published", "--occurred-at",
          "2021-03-01", "--data", '{"speaker":"x","summary":"s"}']


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> bytes:
    """The bytes of a closed log (its -wal file folded in) of N events of one stream."""
    path = tmp_path_factory.mktemp("clean") / "docket.db"
    log = EventLog(str(path))
    log.append([{"type": "statement_published", "stream": S, "occurred_at": "2021-02-04",
                 "id": f"e{i}", "data": {"speaker": "G", "summary": f"text {i} " + "x" * 300}}
                for i in range(1, N + 1)])
    log.close()
    return path.read_bytes()


def damaged(tmp_path: Path, raw: bytes, change) -> Path:
    data = bytearray(raw)
    change(data)
    path = tmp_path / "damaged.db"
    path.write_bytes(bytes(data))
    return path


def page_of(raw: bytes, needle: bytes) -> int:
    """Where the page holding `needle` starts in the file."""
    size = int.from_bytes(raw[16:18], "big")
    return raw.index(needle) // size * size


def one_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 1 and out == "", (code, out, err)
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


def sqlite_check(path: Path, pragma: str) -> bool:
    """True when SQLite's own `pragma` finds the file sound."""
    conn = sqlite3.connect(path)
    conn.text_factory = bytes  # its findings may quote text that is not UTF-8
    try:
        return conn.execute(f"PRAGMA {pragma}").fetchall() == [(b"ok",)]
    except (sqlite3.DatabaseError, UnicodeDecodeError):  # stopped (its message quoting bytes)
        return False
    finally:
        conn.close()


# A leaf page of the events table, two ways; the rows on it still read.
PAGE_DAMAGE = {
    "a cell pointer": lambda data, at: data.__setitem__(slice(at + 8, at + 10), b"\x00\x01"),
    "the free-space header": lambda data, at: data.__setitem__(slice(at + 1, at + 3),
                                                               b"\x00\x05"),
}


@pytest.mark.parametrize("how", list(PAGE_DAMAGE))
def test_a_damaged_page_stops_writes_and_fails_verify(clean, tmp_path, how):
    at = page_of(clean, b'"text 1000 ')
    path = damaged(tmp_path, clean, lambda data: PAGE_DAMAGE[how](data, at))
    assert not sqlite_check(path, "quick_check")
    raw = path.read_bytes()
    code, out, err = invoke(*APPEND, "--db", path)
    one_error(code, out, err, f"database {path} is damaged, so nothing was written: "
              "SQLite's quick_check: ", "`docket verify`")
    assert path.read_bytes() == raw
    log = EventLog(str(path))
    with pytest.raises(StorageError, match="is damaged, so nothing was written"):
        log.append([{"type": "statement_published", "stream": S, "occurred_at": "2021-03-01",
                     "data": {"speaker": "x", "summary": "s"}}])
    log.close()
    assert path.read_bytes() == raw
    code, out, err = invoke("verify", "--db", path, "--json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert report["ok"] is False
    assert report["problems"][0]["kind"] == "database"
    assert report["problems"][0]["message"].startswith("SQLite's integrity_check: ")
    assert "\n" not in report["problems"][0]["message"]
    # the report is the audit: none of its lines sends the reader to run it
    assert not [p for p in report["problems"] if "docket verify" in p["message"]]
    assert path.read_bytes() == raw


def test_a_body_that_is_not_utf8_is_named_by_export_and_verify(clean, tmp_path):
    at = clean.index(b'"text 1000 ') + 3

    def change(data):
        data[at] = 0xFF

    path = damaged(tmp_path, clean, change)
    code, out, err = invoke("export", "--db", path, "-o", tmp_path / "out.jsonl")
    one_error(code, out, err, "cannot read the event at seq 1000 of", "stored bytes are "
              "damaged", "`docket verify`")
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("damaged.db")]
    code, out, err = invoke("export", "--db", path)  # to stdout: the lines before it, then
    assert code == 1 and err.startswith("Error: cannot read the event at seq 1000 ")
    assert out.count("\n") == 999
    report = EventLog(str(path), create=False).verify(views=False)
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [("chain", 1000)]


def test_a_hash_that_is_not_utf8_is_named_by_export_and_verify(clean, tmp_path):
    conn_path = tmp_path / "src.db"
    conn_path.write_bytes(clean)
    conn = sqlite3.connect(conn_path)
    digest = conn.execute("SELECT hash FROM events WHERE seq = 1500").fetchone()[0]
    conn.close()
    at = clean.index(digest.encode()) + 2

    def change(data):
        data[at] = 0xFF

    path = damaged(tmp_path, clean, change)
    code, out, err = invoke("export", "--db", path, "-o", tmp_path / "out.jsonl")
    one_error(code, out, err, "the stored hash of the event at seq 1500", "not UTF-8")
    log = EventLog(str(path), create=False)
    report = log.verify(views=False)
    log.close()
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [("chain", 1500)], report


SEEDS = range(soak(6, 300))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_flips_never_pass_unnoticed(clean, tmp_path, seed):
    """1-8 bits flipped anywhere past the header. Whatever they hit: SQLite's integrity check
    failing means verify fails; the quick check failing means the write is refused with the
    file unchanged; export writes the log or names where it stopped."""
    rnd = random.Random(seed)

    def change(data):
        for _ in range(rnd.randint(1, 8)):
            i = rnd.randrange(100, len(data))
            data[i] ^= 1 << rnd.randrange(8)

    path = damaged(tmp_path, clean, change)
    sound, quick = sqlite_check(path, "integrity_check"), sqlite_check(path, "quick_check")
    try:
        log = EventLog(str(path), create=False)
    except StorageError as exc:  # the schema page itself: refused at once, in words
        assert "damaged" in str(exc) or "not a Docket database" in str(exc)
        return
    try:
        report = log.verify()
    except StorageError as exc:
        raise AssertionError(f"verify raised instead of reporting: {exc}") from None
    finally:
        log.close()
    if not sound:
        assert not report["ok"]
        assert any(p["kind"] == "database" for p in report["problems"])
    code, out, err = invoke("export", "--db", path, "-o", tmp_path / "out.jsonl")
    if code:
        one_error(code, out, err, "seq ")
    raw = path.read_bytes()
    code, out, err = invoke(*APPEND, "--db", path)
    if not quick:  # refused by the check before writing, or by the first damaged read
        one_error(code, out, err, f"database {path} is damaged")
        assert path.read_bytes() == raw


def test_schema_text_that_is_not_utf8_is_damage_reported_not_raised(clean, tmp_path):
    """A flipped byte in the schema's text (a column name) made every command, `verify`
    and `verify --json` too, print only SQLite's "Could not decode to UTF-8" (an auditor's
    review): it is a damaged database, reported as such."""
    at = clean.index(b"first_action_at")
    path = damaged(tmp_path, clean, lambda data: data.__setitem__(at + 12, 0xFF))
    raw = path.read_bytes()
    code, out, err = invoke("verify", "--db", path, "--json")
    assert code == 1 and err == ""
    report = json.loads(out)
    assert report["ok"] is False and report["events"] is None
    assert [p["kind"] for p in report["problems"]] == ["database"]
    assert "cannot be read" in report["problems"][0]["message"]
    code, out, err = invoke("state", "--db", path, "--stream", S)
    one_error(code, out, err, f"database {path} is damaged", "restore it from a backup")
    code, out, err = invoke(*APPEND, "--db", path)
    one_error(code, out, err, f"database {path} is damaged")
    assert path.read_bytes() == raw
