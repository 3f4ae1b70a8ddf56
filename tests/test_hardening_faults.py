"""Database faults (issue 6 §3): each is one `Error:` line and exit 1 — never a traceback,
never an "internal error", never a partial write — and the log works again once the fault
is gone.

- a read-only file and a read-only folder (tests run as root here, where chmod is not
  enforced: the immutable attribute (`chattr +i`) and a read-only bind mount stand in);
- a full disk: a small tmpfs filled up (root only), and `PRAGMA max_page_count`;
- a file that is not a SQLite database, a SQLite file that is not a Docket log, a damaged
  one, and a log written by a newer Docket format;
- a `--db` whose folder does not exist;
- a log locked by another writer beyond DOCKET_BUSY_TIMEOUT_MS (and one locked for less,
  which is waited for).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import export_of, invoke, run
from strategies import check_chain, to_jsonl

from docket import EventLog

STREAM = "fault-stream"
IS_ROOT = os.geteuid() == 0

SEED = [
    {"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01", "id": "o1",
     "data": {"order_id": "O-1", "issuer": "G", "platform": "P", "targets": ["@a", "@b"]}},
    {"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-02", "id": "b1",
     "data": {"order_id": "O-1", "targets": ["@a"]}},
]
BATCH = [{"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-03",
          "id": f"new-{i}", "data": {"order_id": "O-1", "targets": ["@b"]}} for i in range(3)]


def batch_file(folder: Path, events=BATCH) -> Path:
    path = folder / "batch.jsonl"
    path.write_bytes(to_jsonl(events))
    return path


def seed(db: Path) -> bytes:
    """Write SEED into a new log at `db` (closed cleanly: no -wal/-shm left); its export."""
    log = EventLog(str(db))
    log.append(SEED)
    log.close()
    return export_of(db)


WRITES = [
    ("append", lambda db, f: ("append", "--db", db, f)),
    ("append --type", lambda db, f: (
        "append", "--db", db, "--type", "dialogue_requested", "--stream", STREAM,
        "--occurred-at", "2021-02-03", "--data", '{"by": "P", "addressee": "G"}')),
    ("import", lambda db, f: ("import", "--db", db, f)),
    ("rebuild", lambda db, f: ("rebuild", "--db", db)),
]
READS = [
    ("state", lambda db, f: ("state", "--db", db, "--json")),
    ("compliance", lambda db, f: ("compliance", "--db", db, "--json")),
    ("export", lambda db, f: ("export", "--db", db)),
    ("log", lambda db, f: ("log", "--db", db)),
    ("verify", lambda db, f: ("verify", "--db", db)),
    ("checkpoint", lambda db, f: ("checkpoint", "--db", db)),
]


def one_error(code: int, out: str, err: str, *fragments: str) -> str:
    """Exit 1 and exactly one `Error:` line (naming every fragment); returns the message."""
    assert code == 1, (code, out, err)
    assert err.startswith("Error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


def clean(code: int, out: str, err: str) -> None:
    """Either success or one clean `Error:` line (for reads, where both are acceptable)."""
    assert code in (0, 1), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code:
        one_error(code, out, err)


def wal_files(db: Path) -> list[Path]:
    return [p for p in (Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


# -- read-only file and folder ---------------------------------------------------------------

def _chattr(path: Path, flag: str) -> bool:
    proc = subprocess.run(["chattr", flag, str(path)], capture_output=True)
    return proc.returncode == 0


@contextmanager
def read_only_file(db: Path):
    """Make `db` read-only in a way the current user cannot override."""
    if not IS_ROOT:
        db.chmod(0o444)
        try:
            yield "chmod 0444"
        finally:
            db.chmod(0o644)
        return
    if shutil.which("chattr") is None or not _chattr(db, "+i"):
        pytest.skip("running as root, where chmod 0444 is not enforced, and the file system "
                    "does not support the immutable attribute (chattr +i)")
    try:
        yield "chattr +i"
    finally:
        _chattr(db, "-i")


@contextmanager
def read_only_folder(folder: Path, how: str):
    """Make `folder` read-only: chmod 0555 (not root), chattr +i or a read-only bind mount."""
    if not IS_ROOT:
        if how != "mode":
            pytest.skip("a bind mount needs root")
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if how in ("mode", "immutable"):
        if shutil.which("chattr") is None or not _chattr(folder, "+i"):
            pytest.skip("root ignores chmod, and this file system has no chattr +i")
        try:
            yield
        finally:
            _chattr(folder, "-i")
        return
    # A read-only bind mount of the folder onto itself: EROFS, whoever asks.
    if subprocess.run(["mount", "--bind", str(folder), str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount --bind is not permitted here")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)],
                          capture_output=True).returncode != 0:
            pytest.skip("remounting read-only is not permitted here")
        yield
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.mark.parametrize("name,args_of", WRITES, ids=[w[0] for w in WRITES])
def test_read_only_file_refuses_writes_with_one_line(tmp_path, name, args_of):
    db = tmp_path / "docket.db"
    before = seed(db)
    if name == "rebuild":  # damage a view so that rebuild has something to write
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE view_orders SET blocked = 99")
        conn.close()
        before_views = db.read_bytes()
    raw = db.read_bytes()
    batch = batch_file(tmp_path)
    with read_only_file(db):
        code, out, err = run(*args_of(db, batch))
        one_error(code, out, err, str(db), "read-only")
        assert out == ""
        # Reading still works, and shows the log as it was.
        code, out, err = run("export", "--db", db)
        assert code == 0, err
        assert out.encode() == before
    assert db.read_bytes() == raw
    assert export_of(db) == before
    if name == "rebuild":
        assert db.read_bytes() == before_views
    # Writable again: the same command succeeds.
    code, out, err = run(*args_of(db, batch))
    assert code == 0, err
    assert EventLog(str(db)).verify()["ok"]


@pytest.mark.parametrize("how", ["immutable", "bind mount"] if IS_ROOT else ["mode"])
def test_read_only_folder(tmp_path, how):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "docket.db"
    before = seed(db)
    raw = db.read_bytes()
    batch = batch_file(tmp_path)
    assert not wal_files(db)
    with read_only_folder(folder, how):
        for name, args_of in WRITES:
            code, out, err = run(*args_of(db, batch))
            one_error(code, out, err, str(db), "read-only")
        # A new log in a read-only folder: refused, and nothing is created.
        code, out, err = run("append", "--db", folder / "new.db", batch)
        one_error(code, out, err, "read-only")
        assert not (folder / "new.db").exists()
        # Reading needs the -wal/-shm files too: it may fail, but cleanly.
        for name, args_of in READS:
            clean(*run(*args_of(db, batch)))
    assert db.read_bytes() == raw and export_of(db) == before


# -- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    """A 16 MiB tmpfs (root only); skipped where mounting is not permitted."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {proc.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system of `folder` but about `leave` bytes; returns the filler."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    assert free < 8192
    # give a little back, so the append starts and runs out in the middle
    with open(filler, "r+b") as f:
        f.truncate(max(0, filler.stat().st_size - leave))
    return filler


@pytest.mark.parametrize("leave", [0, 96 * 1024])
def test_full_disk_is_one_error_and_writes_nothing(tiny_disk, tmp_path, leave):
    db = tiny_disk / "docket.db"
    before = seed(db)
    # ~1 MiB of events: more than is left, far less than the disk
    big = [{"type": "statement_published", "stream": STREAM, "occurred_at": "2021-02-04",
            "id": f"s-{i}", "data": {"speaker": "G", "summary": "x" * 500}}
           for i in range(2000)]
    src = tmp_path / "big.jsonl"  # not on the tiny disk
    src.write_bytes(to_jsonl(big))
    filler = _fill(tiny_disk, leave)
    for command in ("append", "import"):
        code, out, err = run(command, "--db", db, src)
        one_error(code, out, err, "full")
        assert out == ""
    code, out, err = run("append", "--db", db, "--type", "dialogue_requested", "--stream",
                         STREAM, "--occurred-at", "2021-02-05", "--data",
                         json.dumps({"by": "P", "addressee": "G", "subject": "y" * 9000}))
    assert code in (0, 1), err  # a small event may still fit in what is left
    if code:
        one_error(code, out, err, "full")
    fitted = code == 0
    # Reading may need room for the -shm file: it works or fails cleanly, naming the cause.
    code, out, err = run("export", "--db", db)
    clean(code, out, err)
    if code:
        one_error(code, out, err, "full")
    # Space again: the log is intact and the same batch goes in whole.
    filler.unlink()
    after = export_of(db)
    assert after == before or (fitted and after.startswith(before)
                               and len(after.splitlines()) == 3)
    code, out, err = run("append", "--db", db, src)
    assert code == 0, err
    records = check_chain(export_of(db).splitlines())
    assert [r["id"] for r in records if r["id"].startswith("s-")] == [e["id"] for e in big]
    log = EventLog(str(db))
    try:
        assert log.verify()["ok"]
    finally:
        log.close()


def test_max_page_count_is_one_error_and_writes_nothing(tmp_path, monkeypatch):
    """The same through SQLite's own limit: every connection Docket opens may grow the file
    by a few pages only (max_page_count is per connection, so it is set on each)."""
    from docket.storage import sqlite as store

    db = tmp_path / "docket.db"
    before = seed(db)
    real_init = store.SQLiteStorage.__init__

    def limited(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        self._conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    monkeypatch.setattr(store.SQLiteStorage, "__init__", limited)
    big = [{"type": "statement_published", "stream": STREAM, "occurred_at": "2021-02-04",
            "data": {"speaker": "G", "summary": "x" * 2000}} for _ in range(300)]
    src = batch_file(tmp_path, big)
    for args in (("append", "--db", db, src), ("import", "--db", db, src)):
        code, out, err = invoke(*args)
        one_error(code, out, err, "full")
        assert out == ""
    assert export_of(db) == before
    monkeypatch.setattr(store.SQLiteStorage, "__init__", real_init)
    code, out, err = invoke("append", "--db", db, src)
    assert code == 0, err
    assert len(check_chain(export_of(db).splitlines())) == len(SEED) + len(big)


# -- files that are not (this) Docket's ---------------------------------------------------------

def _foreign(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.db"
    if kind == "random bytes":
        path.write_bytes(os.urandom(8192))
    elif kind == "text":
        path.write_text("name,count\nfoo,1\n" * 200)
    elif kind == "sqlite header, garbage after":
        path.write_bytes(b"SQLite format 3\0" + os.urandom(4096 * 3 - 16))
    elif kind == "another app's SQLite":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
            conn.execute("INSERT INTO users VALUES (1, 'ada')")
        conn.close()
    elif kind == "truncated Docket log":
        full = tmp_path / "full.db"
        log = EventLog(str(full))
        log.append([{"type": "statement_published", "stream": STREAM,
                     "occurred_at": "2021-02-04", "data": {"speaker": "G", "summary": "x" * 900}}
                    for _ in range(400)])
        log.close()
        path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    elif kind == "newer Docket format":
        seed(path)
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE docket_meta SET value = '999' WHERE key = 'format'")
        conn.close()
    return path


FOREIGN = {
    "random bytes": "not a Docket database",
    "text": "not a Docket database",
    "sqlite header, garbage after": "not a Docket database",
    "another app's SQLite": "not a Docket log",
    "truncated Docket log": "is damaged (SQLite says: database disk image is malformed)",
    "newer Docket format": "newer Docket",
}


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_foreign_files_are_refused_and_left_byte_for_byte(tmp_path, kind):
    path = _foreign(tmp_path, kind)
    raw = path.read_bytes()
    batch = batch_file(tmp_path)
    for name, args_of in WRITES + READS:
        code, out, err = invoke(*args_of(path, batch))
        if name == "verify" and kind == "truncated Docket log":
            # An audit of a damaged log is a report (it printed the error telling the user
            # to run `docket verify`): exit 1, what could not be read, no error line.
            assert (code, err) == (1, "")
            assert out.splitlines() == [
                f"{path} cannot be read, so nothing in it could be checked (SQLite says: "
                "database disk image is malformed); restore it from a backup or an export",
                "FAILED: 1 problem in a database that cannot be read"]
        else:
            one_error(code, out, err, FOREIGN[kind])
        assert path.read_bytes() == raw, f"{name} changed the file"
        # A file whose header says WAL mode gets its -wal/-shm files from SQLite itself
        # on the first read; the file is what must not change.
        assert not wal_files(path) or raw[18:20] == b"\x02\x02", name
    # and the real executable says the same
    code, out, err = run("append", "--db", path, batch)
    one_error(code, out, err, str(path), FOREIGN[kind])
    assert path.read_bytes() == raw


def test_verify_json_of_a_log_too_damaged_to_open_is_a_report(tmp_path):
    """`verify --json` promises {ok, events, problems}: a truncated log gets one, with no
    count of events, so an audit script reads the same shape whatever the damage."""
    path = _foreign(tmp_path, "truncated Docket log")
    code, out, err = invoke("verify", "--db", path, "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["ok"] is False and report["events"] is None
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [("database", None)]
    assert "cannot be read" in report["problems"][0]["message"]


# -- a --db folder that does not exist ------------------------------------------------------

@pytest.mark.parametrize("via", ["--db", "DOCKET_DB"])
def test_missing_db_folder(tmp_path, via):
    missing = tmp_path / "no" / "such" / "folder"
    db = missing / "docket.db"
    batch = batch_file(tmp_path)
    for name, args_of in WRITES + READS:
        args = list(args_of(db, batch))
        env = None
        if via == "DOCKET_DB":
            i = args.index("--db")
            del args[i:i + 2]
            env = {"DOCKET_DB": str(db)}
        code, out, err = invoke(*args, env=env)
        one_error(code, out, err, str(missing), "does not exist")
        assert not (tmp_path / "no").exists(), f"{name} created the folder"
    code, out, err = run("append", "--db", db, batch)
    one_error(code, out, err, str(missing))
    assert not (tmp_path / "no").exists()


# -- a locked database -------------------------------------------------------------------------

@contextmanager
def write_lock(db: Path):
    """Another process-like holder of the write lock (BEGIN IMMEDIATE) until the block ends."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_locked_beyond_the_busy_timeout_is_one_error_naming_the_lock(tmp_path):
    db = tmp_path / "docket.db"
    before = seed(db)
    batch = batch_file(tmp_path)
    env = {"DOCKET_BUSY_TIMEOUT_MS": "200"}
    with write_lock(db):
        for name, args_of in WRITES:
            start = time.monotonic()
            code, out, err = run(*args_of(db, batch), env=env)
            elapsed = time.monotonic() - start
            one_error(code, out, err, str(db), "locked", "200 ms", "DOCKET_BUSY_TIMEOUT_MS")
            assert "database is locked" not in err  # SQLite's own words do not reach users
            assert elapsed < 15, f"{name} waited {elapsed:.1f}s for a 200 ms timeout"
        # Readers are not blocked by a writer (WAL): they see the log as committed.
        code, out, err = run("export", "--db", db, env=env)
        assert code == 0, err
        assert out.encode() == before
        code, out, err = run("state", "--db", db, "--json", env=env)
        assert code == 0, err
        assert json.loads(out)["version"] == len(SEED)
    assert export_of(db) == before
    code, out, err = run("append", "--db", db, batch, env=env)
    assert code == 0, err


def test_a_new_log_locked_while_being_created(tmp_path):
    """Even the first open, which writes the schema, waits and then fails cleanly."""
    db = tmp_path / "docket.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        code, out, err = run("append", "--db", db, batch_file(tmp_path),
                             env={"DOCKET_BUSY_TIMEOUT_MS": "200"})
        one_error(code, out, err, "locked")
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    code, out, err = run("append", "--db", db, batch_file(tmp_path, SEED))
    assert code == 0, err


def test_a_lock_shorter_than_the_busy_timeout_is_waited_for(tmp_path):
    db = tmp_path / "docket.db"
    seed(db)
    holding, hold_for = threading.Event(), 2.0

    def hold():
        with write_lock(db):
            holding.set()
            time.sleep(hold_for)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    start = time.monotonic()
    code, out, err = run("append", "--db", db, batch_file(tmp_path),
                         env={"DOCKET_BUSY_TIMEOUT_MS": "20000"})
    elapsed = time.monotonic() - start
    holder.join()
    assert code == 0, err
    assert err == ""
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [3, 4, 5]
    assert elapsed >= hold_for / 2  # started while the lock was held, so it waited
