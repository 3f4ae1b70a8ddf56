"""tests/pgcluster.py, the throwaway cluster `make test` runs the PostgreSQL suites on.

Each test that starts a cluster starts its own (about a second), in a folder under /tmp,
and leaves nothing running: the lifecycle, a restart that keeps data and settings, the
watcher that stops a cluster whose owner died, and the refusals (a folder in use, a folder
the server's user cannot reach, binaries that are not there).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import pgbin
import pgcluster
import pgtest

try:
    import psycopg
except ImportError:
    pgtest.not_here("psycopg is not installed (pip install -e '.[test,postgres]')", module=True)

SCRIPT = Path(pgcluster.__file__)


@pytest.fixture
def bindir() -> Path:
    try:
        return pgcluster.find_bindir()
    except pgcluster.NotFound as exc:
        pgtest.not_here(str(exc))


@pytest.fixture
def folder():
    """A new empty folder under /tmp (pytest's tmp_path is closed to the server's user)."""
    d = tempfile.mkdtemp(prefix="docket-pgt.")
    yield Path(d)
    pgcluster.stop(d)
    shutil.rmtree(d, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in \
        Path(f"/proc/{pid}/status").read_text().lower()


def test_start_restart_stop(bindir, folder):
    state = pgcluster.start(folder)
    pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    assert _alive(pid)
    assert stat.S_IMODE((folder / "cluster.json").stat().st_mode) == 0o600  # holds a password
    assert (folder / f".s.PGSQL.{state['port']}").is_socket()
    if os.geteuid() == 0:
        assert state["os_user"] in ("postgres", "nobody") and folder.stat().st_uid != 0
    with psycopg.connect(pgcluster.url(folder), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
        conn.execute("ALTER SYSTEM SET work_mem = '8MB'")  # written to postgresql.auto.conf
    pgcluster.restart(folder)
    new_pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    assert new_pid != pid
    with psycopg.connect(pgcluster.url(folder, tcp=True)) as conn:
        assert conn.execute("SELECT x FROM kept").fetchall() == [(42,)]
        assert [conn.execute(f"SHOW {s}").fetchone()[0] for s in
                ("port", "fsync", "TimeZone", "work_mem")] == \
            [str(state["port"]), "on", "UTC", "8MB"]
    assert pgcluster.stop(folder) is True
    assert not folder.exists()
    assert not _alive(new_pid)
    assert pgcluster.stop(folder) is False  # twice is harmless (the trap and the watcher)


def test_the_watcher_stops_the_cluster_when_its_owner_is_gone(bindir, folder):
    owner = subprocess.Popen(["sleep", "120"])
    state = pgcluster.start(folder, stop_when_gone=owner.pid)
    pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    watcher = state["watcher_pid"]
    assert watcher and _alive(watcher) and _alive(pid)
    owner.kill()  # as a SIGKILL of make's shell would: no trap runs
    owner.wait()
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not folder.exists()
    assert not _alive(pid)


def test_stop_calls_off_the_watcher(bindir, folder):
    owner = subprocess.Popen(["sleep", "120"])
    try:
        state = pgcluster.start(folder, stop_when_gone=owner.pid)
        assert pgcluster.stop(folder) is True
        deadline = time.monotonic() + 10
        while _alive(state["watcher_pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(state["watcher_pid"])
    finally:
        owner.kill()
        owner.wait()


def test_start_refuses_a_folder_in_use(bindir, folder):
    (folder / "something").write_text("mine")
    with pytest.raises(pgcluster.ClusterError, match="is not empty"):
        pgcluster.start(folder)
    assert pgcluster.stop(folder) is False  # not a cluster: left alone
    assert (folder / "something").read_text() == "mine"


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only as root")
def test_start_names_the_folder_the_server_user_cannot_enter(bindir, folder):
    folder.chmod(0o755)
    private = folder / "private"
    private.mkdir()
    private.chmod(0o700)
    with pytest.raises(pgcluster.ClusterError, match=f"cannot enter {private}"):
        pgcluster.start(private / "cluster")
    assert not (private / "cluster").exists()


def test_missing_binaries_are_named_and_nothing_is_made(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    target = tmp_path / "cluster"
    env = dict(os.environ, DOCKET_PG_BINDIR=str(empty))
    proc = subprocess.run([sys.executable, str(SCRIPT), "start", str(target)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        f"pgcluster: DOCKET_PG_BINDIR={empty} does not hold initdb, pg_ctl, postgres"]
    assert not target.exists()
    target.mkdir()  # what make test's mktemp -d leaves: the trap's stop removes it
    proc = subprocess.run([sys.executable, str(SCRIPT), "start", str(target)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and list(target.iterdir()) == []
    assert pgcluster.stop(target) is False
    assert not target.exists()


def test_without_any_install_the_message_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKET_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_config, no initdb
    monkeypatch.setattr(pgbin.glob, "glob", lambda pattern: [])
    with pytest.raises(pgcluster.NotFound) as exc:
        pgcluster.find_bindir()
    msg = str(exc.value)
    for where in ("pg_config (not on PATH)", "/usr/lib/postgresql/*/bin", "initdb on PATH",
                  "apt-get install postgresql"):
        assert where in msg


def test_the_newest_debian_server_is_preferred(tmp_path, monkeypatch):
    for v in ("9.6", "15", "13"):
        b = tmp_path / "usr/lib/postgresql" / v / "bin"
        b.mkdir(parents=True)
        for name in pgbin.NEEDED:
            (b / name).write_text("#!/bin/sh\n")
            (b / name).chmod(0o755)
    monkeypatch.delenv("DOCKET_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    real_glob = pgbin.glob.glob
    monkeypatch.setattr(pgbin.glob, "glob",
                        lambda pattern: real_glob(str(tmp_path) + pattern))
    assert pgcluster.find_bindir() == tmp_path / "usr/lib/postgresql/15/bin"
