"""The remaining edges of issue 20: an in-memory log is refused at once (20.7, it used to spin
forever); errors in the user's words (20.8: DOCKET_BUSY_TIMEOUT_MS that is not a number, a
body stored as TEXT under `verify --checkpoint`, reads in a read-only folder, every method
after `close()`); read commands never write (20.9: a 0-byte file stays 0 bytes, a stored
projection version that is newer or unknown is reported, not rebuilt)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import invoke, run
from test_audit import tampering
from test_hardening_faults import (
    READS,
    WRITES,
    batch_file,
    one_error,
    read_only_folder,
    seed,
)

from docket import EventLog
from docket.errors import StorageError
from docket.projection import PROJECTION_VERSION

RECORDED = Path(__file__).parent.parent / "events" / "twitter-india-2021.jsonl"
N_EVENTS = len(RECORDED.read_bytes().splitlines())  # the recorded dispute's events
MEMORY = [":memory:", "", "file::memory:", "file:x.db?mode=memory&cache=shared"]


# -- 20.7: an in-memory log --------------------------------------------------------------------
@pytest.mark.parametrize("where", MEMORY)
def test_an_in_memory_log_is_refused_at_once(where, tmp_path):
    with pytest.raises(StorageError, match="an in-memory log is not supported"):
        EventLog(where)
    # The executable, under a timeout: it used to spin at 100% CPU in the WAL switch.
    code, out, err = run("append", "--db", where, batch_file(tmp_path), timeout=60)
    one_error(code, out, err, "an in-memory log is not supported")
    code, out, err = run("log", "--db", where, timeout=60)
    one_error(code, out, err, "an in-memory log is not supported")


# -- 20.8: errors in the user's words ------------------------------------------------------------
@pytest.mark.parametrize("value", ["abc", "-5", "1.5", "", "99999999999", "٣"])
def test_a_busy_timeout_that_is_not_a_number_is_one_error(tmp_path, value):
    db = tmp_path / "docket.db"
    before = seed(db)
    raw = db.read_bytes()
    commands = [("log", "--db", db)] + (  # the value is read at start: a process each
        [("append", "--db", db, batch_file(tmp_path))] if value == "abc" else [])
    for args in commands:
        code, out, err = run(*args, env={"DOCKET_BUSY_TIMEOUT_MS": value})
        one_error(code, out, err, f"DOCKET_BUSY_TIMEOUT_MS is {value!r}: give a whole number "
                  "of milliseconds")
    assert db.read_bytes() == raw
    if value == "abc":
        code, out, err = run("export", "--db", db, env={"DOCKET_BUSY_TIMEOUT_MS": " 250 "})
        assert code == 0 and out.encode() == before, err


def test_a_body_stored_as_text_under_verify_checkpoint(tmp_path):
    db = tmp_path / "docket.db"
    assert invoke("import", "--db", db, RECORDED)[0] == 0
    assert invoke("checkpoint", "--db", db, "-o", tmp_path / "cp.json")[0] == 0
    with tampering(str(db)) as conn:
        conn.execute("UPDATE events SET body = CAST(body AS TEXT) WHERE seq = 5")
    for extra in ([], ["--checkpoint", tmp_path / "cp.json"]):
        code, out, err = invoke("verify", "--db", db, *extra)
        assert code == 1 and err == "", err
        assert out.splitlines()[0].startswith(
            "seq 5: the body is stored as TEXT, where the log keeps its bytes as a BLOB")
        assert out.splitlines()[-1] == f"FAILED: 1 problem in {N_EVENTS} events"


@pytest.mark.parametrize("how", ["immutable", "bind mount"])
def test_reads_in_a_read_only_folder_work_or_say_why(tmp_path, how):
    """WAL mode needs the -shm file beside the log; where it cannot be made, a read says so."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "docket.db"
    seed(db)
    batch = batch_file(tmp_path)
    with read_only_folder(folder, how):
        for name, args_of in READS:
            code, out, err = run(*args_of(db, batch))
            if code:
                one_error(code, out, err, str(folder), "read-only", "-shm")


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A log with a signed checkpoint, its key and note: what every method needs."""
    folder = tmp_path_factory.mktemp("signed")
    db = folder / "docket.db"
    assert invoke("import", "--db", db, RECORDED)[0] == 0
    assert invoke("keygen", "--origin", "example.org/t", "-o", folder / "log.key")[0] == 0
    code, _, err = invoke("checkpoint", "--db", db, "--sign", folder / "log.key",
                          "-o", folder / "cp.note")
    assert code == 0, err
    return folder


S = "twitter-india-2021"
EVENT = {"type": "statement_published", "stream": S, "occurred_at": "2021-03-01",
         "data": {"speaker": "x", "summary": "s"}}
CALLS = {
    "append": lambda log, f: log.append([EVENT]),
    "checkpoint": lambda log, f: log.checkpoint(),
    "compliance": lambda log, f: log.compliance(),
    "consistency_proof": lambda log, f: log.consistency_proof(str(f / "cp.note")),
    "count": lambda log, f: log.count(),
    "diff": lambda log, f: log.diff("2021-02-01", "2021-02-10"),
    "export_lines": lambda log, f: list(log.export_lines()),
    "follow": lambda log, f: next(iter(log.follow(poll=0.01))),
    "import_lines": lambda log, f: log.import_lines([(1, json.dumps(EVENT).encode())]),
    "nothing_in_view": lambda log, f: log.nothing_in_view(known_at="2021-02-08"),
    "project": lambda log, f: log.project(str(f / "proj")),
    "prove": lambda log, f: log.prove("2021-02-04-order-1178"),
    "read": lambda log, f: list(log.read()),
    "rebuild": lambda log, f: log.rebuild(),
    "replay": lambda log, f: log.replay(),
    "sign_checkpoint": lambda log, f: log.sign_checkpoint(str(f / "log.key")),
    "signed_checkpoints": lambda log, f: log.signed_checkpoints(),
    "state": lambda log, f: log.state(),
    "stream_version": lambda log, f: log.stream_version(S),
    "streams": lambda log, f: log.streams(),
    "timeline": lambda log, f: log.timeline(),
    "verify": lambda log, f: log.verify(),
    "views_stale": lambda log, f: log.views_stale(),
    "why": lambda log, f: log.why("O-2021-01-31"),
}


def test_every_public_method_is_called_here():
    public = {n for n in dir(EventLog) if not n.startswith("_") and callable(getattr(EventLog, n))}
    assert public - {"close"} == set(CALLS)


@pytest.mark.parametrize("name", list(CALLS))
def test_after_close_every_method_raises_a_clear_storage_error(signed, tmp_path, name):
    db = tmp_path / "docket.db"
    src, dst = sqlite3.connect(signed / "docket.db"), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    raw = db.read_bytes()
    log = EventLog(str(db))
    log.close()
    log.close()  # twice is fine
    with pytest.raises(StorageError, match=f"the log {db} is closed"):
        CALLS[name](log, signed)
    assert db.read_bytes() == raw


# -- 20.9: read commands never write -------------------------------------------------------------
def test_reads_on_a_zero_byte_file_leave_it_zero_bytes(tmp_path):
    db = tmp_path / "empty.db"
    db.touch()
    (tmp_path / "cp.json").write_text('{"version": 1, "size": 0}')
    files = sorted(tmp_path.iterdir())
    for name, args_of in READS + [("verify --checkpoint", lambda db, f: (
            "verify", "--db", db, "--checkpoint", f))]:
        code, out, err = run(*args_of(db, tmp_path / "cp.json"))
        one_error(code, out, err, f"{db} holds no Docket log yet")
        assert db.stat().st_size == 0, name
        assert sorted(tmp_path.iterdir()) == files, name  # no -wal, no -shm
    code, out, err = run("import", "--db", db, RECORDED)  # a write makes the log there
    assert code == 0, err
    assert db.stat().st_size > 0


@pytest.mark.parametrize("version", ["999", "abc"])
def test_a_stored_projection_version_is_reported_not_rebuilt(tmp_path, version):
    db = tmp_path / "docket.db"
    seed(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE docket_meta SET value = ? WHERE key = 'projection'", (version,))
    conn.commit()
    conn.close()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    code, out, err = run("verify", "--db", db)
    assert code == 1 and err == ""
    assert out.splitlines()[0] == (
        f"docket_meta [key=projection]: the stored views of {db} were written by projection "
        f"version {version}; this Docket folds version {PROJECTION_VERSION} (`docket rebuild` "
        "rewrites them)")
    for name, args_of in READS:
        code, out, err = run(*args_of(db, None))
        assert hashlib.sha256(db.read_bytes()).hexdigest() == digest, name
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM docket_meta WHERE key = 'projection'"
                        ).fetchone() == (version,)
    conn.close()
    for name, args_of in WRITES[:1]:  # a write rebuilds them (and says so in the README)
        assert run(*args_of(db, batch_file(tmp_path)))[0] == 0
    assert EventLog(str(db)).verify()["ok"]
