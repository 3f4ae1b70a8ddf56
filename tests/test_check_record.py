"""The record of a passed quick check (storage/sqlite_record.py; README, "The check is
recorded"): a writer skips SQLite's quick check only for files exactly as a check, or a
checked history of Docket's own writes, left them; any other change is checked in full, and
damage behind Docket's back is refused even with the file's times put back."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docket import EventLog
from docket.errors import StorageError
from docket.storage import sqlite_record
from docket.storage.sqlite import SQLiteStorage

S = "s"


def event(i: int) -> dict:
    return {"type": "statement_published", "stream": S, "occurred_at": "2021-03-01",
            "id": f"e{i}", "data": {"speaker": "x", "summary": f"text {i} " + "y" * 200}}


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The paths of the files each quick check ran on, in order."""
    seen: list[str] = []
    real = SQLiteStorage.quick_check

    def counting(self):
        seen.append(self.path)
        return real(self)

    monkeypatch.setattr(SQLiteStorage, "quick_check", counting)
    return seen


def appended(db: Path, i: int) -> None:
    """One `docket append` (the command opens and closes the log, as from a shell)."""
    code, out, err = invoke("append", "--db", db, "-", input=json.dumps(event(i)))
    assert code == 0, err


def record_of(db: Path) -> dict:
    return json.loads(Path(str(db) + sqlite_record.SUFFIX).read_text())


def files_now(db: Path) -> list:
    return json.loads(json.dumps(sqlite_record.CheckRecord(str(db)).files()))


def test_appends_one_after_another_check_the_file_once(tmp_path, checks):
    db = tmp_path / "docket.db"
    for i in range(1, 6):
        appended(db, i)
    assert checks == [str(db)]
    assert record_of(db)["files"] == files_now(db)
    # a reading command never writes the record, and leaves it valid
    before = Path(str(db) + sqlite_record.SUFFIX).read_bytes()
    code, out, err = invoke("state", "--db", db, "--stream", S)
    assert code == 0, err
    assert Path(str(db) + sqlite_record.SUFFIX).read_bytes() == before
    appended(db, 6)
    assert checks == [str(db)]
    with EventLog(str(db)) as log:  # the API's log records at close() too
        log.append([event(7)])
        log.append([event(8)])
    appended(db, 9)
    assert checks == [str(db)]
    assert len(list(EventLog(str(db)).read(S))) == 9


def test_a_read_never_writes_a_record(tmp_path, checks):
    db = tmp_path / "docket.db"
    with EventLog(str(db)) as log:
        log.append([event(1)])
    Path(str(db) + sqlite_record.SUFFIX).unlink()
    for args in (["state", "--stream", S], ["compliance"], ["log"], ["verify"]):
        code, out, err = invoke(*args, "--db", db)
        assert code == 0, (args, err)
    assert not Path(str(db) + sqlite_record.SUFFIX).exists()
    appended(db, 2)
    assert checks == [str(db), str(db)]


def _damage_in_place(db: Path) -> None:
    """A leaf page's cell pointer overwritten by another program, the file's access and
    modification times then put back as they were (its change time cannot be)."""
    raw = db.read_bytes()
    size = int.from_bytes(raw[16:18], "big")
    at = raw.index(b'"text 40 ') // size * size
    st = os.stat(db)
    time.sleep(0.01)  # a change time the clock can tell from the last one
    with open(db, "r+b") as fh:
        fh.seek(at + 8)
        fh.write(b"\x00\x01")
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(db).st_mtime_ns == st.st_mtime_ns


def test_damage_behind_docket_is_refused_though_its_times_are_put_back(tmp_path, checks):
    db = tmp_path / "docket.db"
    with EventLog(str(db)) as log:
        log.append([event(i) for i in range(1, 80)])
    appended(db, 80)
    assert record_of(db)["files"] == files_now(db)
    _damage_in_place(db)
    raw = db.read_bytes()
    code, out, err = invoke("append", "--db", db, "-", input=json.dumps(event(81)))
    assert code == 1 and out == ""
    assert err.startswith(f"Error: database {db} is damaged, so nothing was written: "
                          "SQLite's quick_check: "), err
    assert db.read_bytes() == raw
    assert checks[-1] == str(db) and len(checks) == 2


def test_a_write_by_another_program_through_sqlite_is_checked_again(tmp_path, checks):
    db = tmp_path / "docket.db"
    appended(db, 1)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 7")  # a write Docket did not make (or record)
    conn.close()
    appended(db, 2)
    assert checks == [str(db), str(db)]
    appended(db, 3)  # ... and the check it then ran is recorded
    assert len(checks) == 2


def test_an_old_record_a_copied_file_and_a_writer_that_did_not_close(tmp_path, checks):
    db = tmp_path / "docket.db"
    appended(db, 1)
    record = record_of(db)
    record["checked_at"] -= sqlite_record.MAX_AGE_S + 1
    Path(str(db) + sqlite_record.SUFFIX).write_text(json.dumps(record))
    appended(db, 2)
    assert len(checks) == 2  # the record was too old
    assert record_of(db)["checked_at"] > time.time() - 60
    record = record_of(db)
    record["checked_at"] += 600  # ... or dated after the clock
    Path(str(db) + sqlite_record.SUFFIX).write_text(json.dumps(record))
    appended(db, 2.5)
    assert len(checks) == 3
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    shutil.copy(str(db) + sqlite_record.SUFFIX, str(copy) + sqlite_record.SUFFIX)
    appended(copy, 3)  # another inode: the copy's own first write checks it
    assert checks[-1] == str(copy) and len(checks) == 4
    # A log still open in another process (here: another connection) is not recorded
    # until it closes; a writer meanwhile checks in full.
    held = EventLog(str(db))
    held.append([event(4)])
    appended(db, 5)
    assert len(checks) == 5 and checks[-1] == str(db)
    held.close()


def test_a_record_that_cannot_be_written_or_read_costs_only_the_check(tmp_path, checks):
    db = tmp_path / "docket.db"
    Path(str(db) + sqlite_record.SUFFIX).mkdir()  # where the record would go
    appended(db, 1)
    appended(db, 2)
    assert len(checks) == 2
    Path(str(db) + sqlite_record.SUFFIX).rmdir()
    Path(str(db) + sqlite_record.SUFFIX).write_text("{not json")
    appended(db, 3)
    assert len(checks) == 3
    appended(db, 4)
    assert len(checks) == 3
    assert [e["id"] for e in EventLog(str(db)).read(S)] == ["e1", "e2", "e3", "e4"]


def test_two_logs_writing_in_turn_keep_one_checked_history(tmp_path, checks):
    db = tmp_path / "docket.db"
    appended(db, 1)
    a, b = EventLog(str(db)), EventLog(str(db))
    a.append([event(2)])  # the files as recorded: not checked again
    b.append([event(3)])  # a's commit is not recorded yet: b checks in full
    a.append([event(4)])  # b's commit is not recorded either: a no longer vouches
    a.close()
    b.close()  # b did not make a's last write, so it records nothing
    assert len(checks) == 2
    appended(db, 5)
    assert len(checks) == 3
    appended(db, 6)
    assert len(checks) == 3
    assert [e["id"] for e in EventLog(str(db)).read(S)] == [f"e{i}" for i in range(1, 7)]


def test_a_change_while_docket_holds_the_write_lock_is_not_vouched_for(tmp_path, checks):
    """A commit in WAL mode writes the WAL only: the database file changing during a write
    transaction is someone else's doing (found by a review: the record took it in)."""
    db = tmp_path / "docket.db"
    with EventLog(str(db)) as log:
        log.append([event(i) for i in range(1, 80)])
    appended(db, 80)
    log = EventLog(str(db))
    log.append([event(81)])  # its first write: the files as recorded, no check
    assert len(checks) == 1
    with log.storage.writing():
        _damage_in_place(db)  # another program, while the write lock is held
    log.close()
    raw = db.read_bytes()
    code, out, err = invoke("append", "--db", db, "-", input=json.dumps(event(82)))
    assert code == 1 and f"database {db} is damaged" in err, err
    assert len(checks) == 2 and db.read_bytes() == raw


def test_the_record_is_as_readable_as_the_log(tmp_path, checks):
    db = tmp_path / "docket.db"
    appended(db, 1)
    os.chmod(db, 0o640)
    appended(db, 2)
    assert os.stat(str(db) + sqlite_record.SUFFIX).st_mode & 0o777 == 0o640


def test_a_long_lived_log_vouches_only_for_its_own_writes(tmp_path, checks):
    db = tmp_path / "docket.db"
    appended(db, 1)
    log = EventLog(str(db))
    log.append([event(2)])
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 3")  # another program writes meanwhile
    conn.close()
    assert log.state(S)["last_seq"] == 2  # a read after it vouches for nothing
    log.append([event(3)])
    log.close()
    appended(db, 4)
    assert len(checks) == 2 and checks[-1] == str(db)


# A history of operations on one log file; after each change the file was not given by a
# Docket writer of a checked history, the next write must run the check.
OPS = st.lists(st.sampled_from(["append", "api-append", "raw-write", "damage-times-back",
                                "read"]), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_no_write_after_a_change_behind_docket_skips_the_check(tmp_path_factory, ops):
    folder = tmp_path_factory.mktemp("history")
    db = folder / "docket.db"
    seen: list[int] = []
    real = SQLiteStorage.quick_check

    def counting(self):
        seen.append(1)
        return real(self)

    SQLiteStorage.quick_check = counting
    try:
        with EventLog(str(db)) as log:
            log.append([event(i) for i in range(1, 60)])
        n, unchecked = 60, False
        for op in ops:
            if op in ("append", "api-append"):
                before = len(seen)
                if op == "append":
                    code, out, err = invoke("append", "--db", db, "-",
                                            input=json.dumps(event(n)))
                    wrote = code == 0
                else:
                    try:
                        with EventLog(str(db)) as log:
                            log.append([event(n)])
                        wrote = True
                    except StorageError:
                        wrote = False
                if unchecked:
                    assert len(seen) == before + 1, ops
                    unchecked = False
                assert wrote, ops
                n += 1
            elif op == "raw-write":
                conn = sqlite3.connect(db)
                conn.execute(f"PRAGMA user_version = {n}")
                conn.close()
                unchecked = True
            elif op == "damage-times-back":
                st_ = os.stat(db)
                time.sleep(0.01)  # past the file system clock's tick
                with open(db, "r+b") as fh:  # rewrite the header's reserved bytes as they are
                    fh.seek(72)
                    same = fh.read(20)
                    fh.seek(72)
                    fh.write(same)
                os.utime(db, ns=(st_.st_atime_ns, st_.st_mtime_ns))
                unchecked = True
            else:
                with EventLog(str(db), create=False) as log:
                    assert log.state(S)["last_seq"] == n - 1
    finally:
        SQLiteStorage.quick_check = real
