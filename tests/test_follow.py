"""Following the log (SPEC §6 `docket log --follow`, §8 `EventLog.follow`) and reading it in
pages without holding a transaction.

Writers commit in seq order (the hash chain has one writer at a time: each takes the log's
write lock before reading the head), so a follower that reads on from the last seq it saw
never skips an event; these tests check it with real processes, on each backend
(`backend`: a SQLite file, or a PostgreSQL schema, where followers wake on NOTIFY).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ctrl_c_reaches_it, interrupt

from docket import EventLog

DOCKET = Path(sys.executable).with_name("docket")
WRITERS, PER_WRITER = 6, 40


def statement(stream: str, ident: str, day: int = 1) -> dict:
    return {"type": "statement_published", "stream": stream, "id": ident,
            "occurred_at": f"2021-02-{day:02d}", "data": {"speaker": "S", "summary": ident}}


def _writer(path: str, n: int, start) -> None:
    start.wait(30)
    log = EventLog(path)
    for i in range(PER_WRITER):
        log.append([statement(f"s{n % 3}", f"w{n}-{i}")])
    log.close()


def _follow_into(path: str, after: int, want: int, out: list, stop: threading.Event) -> None:
    log = EventLog(path, create=False)
    for record in log.follow(after, poll=0.05):
        out.append(record)
        if len(out) >= want or stop.is_set():
            break
    log.close()


def test_a_follower_sees_every_event_of_concurrent_writers_once_in_order(backend):
    path = backend
    log = EventLog(path)
    log.append([statement("s0", "first")])
    total = 1 + WRITERS * PER_WRITER
    seen: list[dict] = []
    stop = threading.Event()
    follower = threading.Thread(target=_follow_into, args=(path, 0, total, seen, stop))
    follower.start()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    writers = [ctx.Process(target=_writer, args=(path, n, start)) for n in range(WRITERS)]
    for w in writers:
        w.start()
    start.set()
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    follower.join(60)
    stop.set()
    assert not follower.is_alive()
    seqs = [r["seq"] for r in seen]
    assert seqs == list(range(1, total + 1))  # every event once, in seq order, no gap
    assert [r["id"] for r in seen] == [r["id"] for r in log.read()]
    # Each writer's own events keep their order within its stream.
    for n in range(WRITERS):
        mine = [r["id"] for r in seen if r["id"].startswith(f"w{n}-")]
        assert mine == [f"w{n}-{i}" for i in range(PER_WRITER)]
    log.close()


def test_a_restarted_follower_resumes_without_a_gap(backend):
    path = backend
    log = EventLog(path)
    log.append([statement("s", f"e{i}") for i in range(10)])
    first = []
    for record in log.follow(0, poll=0.01):
        first.append(record["seq"])
        if len(first) == 4:
            break  # the follower stops (a crash, a restart) after seq 4
    log.append([statement("s", f"f{i}") for i in range(5)])
    again = []
    for record in EventLog(path).follow(first[-1], poll=0.01):
        again.append(record["seq"])
        if record["seq"] == 15:
            break
    assert first + again == list(range(1, 16))
    log.close()


def test_a_waiting_follower_does_not_lock_writers_out(backend):
    path = backend
    log = EventLog(path)
    log.append([statement("s", "e0")])
    seen, stop = [], threading.Event()
    follower = threading.Thread(target=_follow_into, args=(path, 0, 3, seen, stop))
    follower.start()
    time.sleep(0.3)  # the follower has caught up and waits
    env = {**os.environ, "DOCKET_BUSY_TIMEOUT_MS": "500"}  # a lock would fail this fast
    for i in (1, 2):
        proc = subprocess.run([str(DOCKET), "append", "--db", path, "-"], env=env,
                              input=json.dumps(statement("s", f"e{i}")).encode(),
                              capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    follower.join(30)
    assert [r["id"] for r in seen] == ["e0", "e1", "e2"]
    log.close()


def test_a_suspended_reader_does_not_block_an_append(tmp_path):
    # The reader's pages are short transactions: one left half-read holds nothing.
    log = EventLog(str(tmp_path / "r.db"))
    log.append([statement("s", f"e{i}") for i in range(3000)])
    pages = log.read()
    assert next(pages)["seq"] == 1
    log.append([statement("s", "after")])  # same handle, same thread
    other = EventLog(log.path)
    other.append([statement("s", "another process's handle")])
    assert log.state("s")["version"] == 3002
    rest = [r["seq"] for r in pages]
    assert rest == list(range(2, 3003))  # the reader goes on, and sees what was committed
    assert [r["seq"] for r in log.read(after_seq=2990, limit=5)] == list(range(2991, 2996))
    other.close()
    log.close()


def test_cli_follow_prints_json_lines_and_stops_cleanly_on_ctrl_c(backend):
    path = backend
    log = EventLog(path)
    log.append([statement("s", f"e{i}") for i in range(3)])
    proc = subprocess.Popen([str(DOCKET), "log", "--db", path, "--follow", "--after-seq", "1",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=ctrl_c_reaches_it)
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        log.append([statement("s", "live")])
        lines.append(proc.stdout.readline())
    finally:
        out, err = interrupt(proc)
    assert proc.returncode == 0 and err == b""
    got = [json.loads(line) for line in lines]
    assert [(r["seq"], r["id"]) for r in got] == [(2, "e1"), (3, "e2"), (4, "live")]
    assert got[0] == next(log.read(after_seq=1))  # the record as exported, hash included
    log.close()


def test_cli_follow_refuses_the_timeline_options(tmp_path):
    from conftest import run

    path = str(tmp_path / "f.db")
    EventLog(path).append([statement("s", "e")])
    for extra in (("--as-of", "2021-01-01"), ("--csv",), ("--from", "2021-01-01")):
        code, out, err = run("log", "--db", path, "--follow", *extra)
        assert code == 2 and out == "" and err.startswith("Error: ") and "--follow" in err
    code, _, err = run("log", "--db", path, "--after-seq", "3")
    assert code == 2 and "--after-seq goes with --follow" in err


def test_a_server_out_of_reach_mid_read_is_waited_for_not_reported_as_damage(tmp_path,
                                                                           monkeypatch):
    """A read that finds the server gone was taken for a damaged file: it was narrowed to
    one event at a time and re-raised as a plain StorageError, which ended a follower
    (seen in a server-restart test under load). It is an Unavailable, waited for."""
    from docket import EventLog
    from docket.errors import Unavailable

    log = EventLog(str(tmp_path / "f.db"))
    log.append([{"type": "statement_published", "stream": "s", "occurred_at": "2021-03-01",
                 "id": "e1", "data": {"speaker": "x", "summary": "s"}}])
    real, calls = log.storage.read_page, []

    def flaky(*args):
        calls.append(args)
        if len(calls) <= 2:  # the page, then (before the fix) the narrowing read
            raise Unavailable("database unavailable: the server is shutting down")
        return real(*args)

    monkeypatch.setattr(log.storage, "read_page", flaky)
    follower = log.follow(poll=0.01)
    assert next(follower)["id"] == "e1"
    assert len(calls) == 3
    follower.close()
    log.close()
