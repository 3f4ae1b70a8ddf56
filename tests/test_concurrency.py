"""Several writers at once, and a writer killed mid-import (SPEC §1–2, issue 2 §4).

- Six processes append at the same time, some to one shared stream, some to several:
  every event lands once, seq and every stream's versions have no gaps, the chain is valid,
  recorded_at never decreases.
- `docket import` of 100 000 events killed with SIGKILL leaves all or nothing, and a log that
  still works.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import DOCKET, _env, export_of
from strategies import check_chain, to_jsonl

SHARED = "shared-dispute"
WORKERS = 6
ROUNDS = 12


def _worker(db: str, index: int, start, results, rounds: int = ROUNDS) -> None:
    """Append ROUNDS batches; even workers write to SHARED only, odd ones to several streams.

    Puts (index, receipts) on `results`, or (index, "error text") when anything fails.
    """
    try:
        from docket import EventLog

        start.wait()
        log = EventLog(db)
        receipts = []
        for round_ in range(rounds):
            def one(stream, k):
                return {"type": "dialogue_requested", "stream": stream,
                        "occurred_at": f"2021-02-{1 + round_:02d}",
                        "id": f"w{index}-r{round_}-{k}",
                        "data": {"by": f"worker {index}", "addressee": "MeitY"}}
            if index % 2 == 0:
                batch = [one(SHARED, 0)]
            else:
                batch = [one(SHARED, 0), one(f"own-{index}", 1), one("common", 2)]
            receipts += [(r.seq, r.id, r.stream, r.version, r.hash) for r in log.append(batch)]
        log.close()
        results.put((index, receipts))
    except BaseException as exc:  # report it: the parent must not wait for a dead worker
        results.put((index, f"{type(exc).__name__}: {exc}"))


def run_workers(db: str, rounds: int = ROUNDS) -> dict:
    # fork: the children start in milliseconds; they use no connection of the parent's and
    # leave by os._exit, so inherited SQLite handles are never touched.
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(db, i, start, results, rounds))
             for i in range(WORKERS)]
    for p in procs:
        p.start()
    time.sleep(0.2)
    start.set()
    got = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    errors = {i: r for i, r in got.items() if isinstance(r, str)}
    assert not errors, errors
    return got


def expected_ids(rounds: int = ROUNDS) -> set[str]:
    ids = set()
    for index in range(WORKERS):
        for round_ in range(rounds):
            ids |= {f"w{index}-r{round_}-{k}" for k in ((0,) if index % 2 == 0 else (0, 1, 2))}
    return ids


def check_log(db) -> list[dict]:
    """The whole-log invariants: chain, gapless seq and versions, recorded_at order."""
    records = check_chain(export_of(db).splitlines())  # also checks seq == 1, 2, 3, ...
    versions: dict[str, list[int]] = {}
    for r in records:
        versions.setdefault(r["stream"], []).append(r["version"])
    for stream, got in versions.items():
        assert got == list(range(1, len(got) + 1)), f"versions of {stream} have gaps: {got}"
    stamps = [r["recorded_at"] for r in records]
    assert stamps == sorted(stamps), "recorded_at decreases along seq"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return records


def test_six_processes_append_at_once(tmp_path):
    db = str(tmp_path / "docket.db")
    from docket import EventLog

    EventLog(db).close()  # the file exists: this test is about appends (see the next one)
    got = run_workers(db)
    records = check_log(db)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) and set(ids) == expected_ids()
    by_seq = {r["seq"]: r for r in records}
    for index, receipts in got.items():
        for seq, ident, stream, version, digest in receipts:
            stored = by_seq[seq]
            assert (stored["id"], stored["stream"], stored["version"], stored["hash"]) == (
                ident, stream, version, digest)
    # a batch's events are adjacent: nobody else's event lands inside it
    for index in range(1, WORKERS, 2):
        for round_ in range(ROUNDS):
            seqs = [r["seq"] for r in records if r["id"].startswith(f"w{index}-r{round_}-")]
            assert seqs == list(range(seqs[0], seqs[0] + 3))
    shared = [r for r in records if r["stream"] == SHARED]
    assert len(shared) == WORKERS * ROUNDS


def test_six_processes_create_and_append_to_a_new_log_at_once(tmp_path):
    """The same, but the log does not exist yet: all six open (and create) it at once."""
    for attempt in range(3):
        db = str(tmp_path / f"new-{attempt}.db")
        got = run_workers(db, rounds=2)
        records = check_log(db)
        assert {r["id"] for r in records} == expected_ids(rounds=2)
        assert sum(len(r) for r in got.values()) == len(records)


def test_six_docket_append_commands_at_once(tmp_path):
    db = tmp_path / "docket.db"
    from docket import EventLog

    EventLog(str(db)).close()
    files = []
    for i in range(WORKERS):
        streams = [SHARED] if i < 3 else [SHARED, f"cli-{i}", "cli-common"]
        events = [{"type": "statement_published", "stream": streams[k % len(streams)],
                   "occurred_at": "2021-02-08", "id": f"c{i}-{k}",
                   "data": {"speaker": f"writer {i}", "summary": f"event {k}"}}
                  for k in range(40)]
        path = tmp_path / f"in{i}.jsonl"
        path.write_bytes(to_jsonl(events))
        files.append(path)
    procs = [subprocess.Popen([str(DOCKET), "append", "--db", str(db), str(f)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(None))
             for f in files]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err.decode()
        assert err == b""
        assert len(out.splitlines()) == 40
    records = check_log(db)
    assert len(records) == WORKERS * 40
    assert {r["id"] for r in records} == {f"c{i}-{k}" for i in range(WORKERS) for k in range(40)}
    # each command's batch is contiguous in seq
    for i in range(WORKERS):
        seqs = sorted(r["seq"] for r in records if r["id"].startswith(f"c{i}-"))
        assert seqs == list(range(seqs[0], seqs[0] + 40))


# -- SIGKILL during a large import -----------------------------------------------------------

N_BIG = 100_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with open(path, "w") as f:
        for i in range(N_BIG):
            f.write(json.dumps({"type": "dialogue_requested",
                                "stream": f"bulk-{i % 3}", "occurred_at": "2021-02-08",
                                "id": f"big-{i}", "data": {"by": "T", "addressee": "M"}})
                    + "\n")
    return path


def _kill_import(db: Path, big: Path, when) -> None:
    proc = subprocess.Popen([str(DOCKET), "import", "--db", str(db), str(big)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_env(None))
    try:
        when(proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)


def _all_or_nothing(db: Path, before: int) -> int:
    records = check_log(db) if db.exists() else []
    assert len(records) in (before, before + N_BIG), len(records)
    # the log still works after the crash: the next append follows the last record
    code = subprocess.run([str(DOCKET), "append", "--db", str(db), "-"], env=_env(None),
                          input=to_jsonl([{"type": "dialogue_requested", "stream": "after",
                                           "occurred_at": "2021-02-09", "id": f"after-{before}",
                                           "data": {"by": "T", "addressee": "M"}}]),
                          capture_output=True)
    assert code.returncode == 0, code.stderr
    assert json.loads(code.stdout)["seq"] == len(records) + 1
    return len(records) + 1


def test_sigkill_during_a_100k_import_leaves_all_or_nothing(tmp_path, big_file):
    """Three kills: once while the uncommitted transaction spills pages into the WAL (the
    write phase, at a random WAL size), twice after a short random delay."""
    rng = random.Random(os.environ.get("DOCKET_TEST_SEED"))
    db = tmp_path / "docket.db"
    wal = Path(str(db) + "-wal")
    threshold = rng.randint(1, 12) * 1024 * 1024

    def while_writing(proc):
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > threshold:
                return
            time.sleep(0.005)

    _kill_import(db, big_file, while_writing)
    size = _all_or_nothing(db, 0)  # records in the log before the next attempt
    for _ in range(2):
        delay = rng.uniform(0.2, 2.5)
        _kill_import(db, big_file, lambda proc: time.sleep(delay))
        size = _all_or_nothing(db, size)
