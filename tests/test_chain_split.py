"""The chain check in pieces (docket.audit.chain_split) reports exactly what one sequential scan
reports: on untouched logs, and on logs damaged at and around the pieces' boundaries."""

from __future__ import annotations

import os
import sqlite3
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from soak import soak
from strategies import event_stream

from docket.api import EventLog
from docket.audit import chain_split
from docket.audit.chain_split import scan_chain
from docket.audit.problems import Problems
from docket.storage.sqlite import TRIGGERS, SQLiteStorage

pytestmark = pytest.mark.skipif(not chain_split._can_fork(), reason="forked workers: Linux only")


@pytest.fixture
def forced(monkeypatch):
    """Pieces on any log, however small, with two workers."""
    monkeypatch.setattr(chain_split, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setenv("DOCKET_WORKERS", "2")


def scans(path):
    """(sequential report, report in pieces) of the chain of the log at `path`."""
    storage = SQLiteStorage(path, create=False)
    try:
        one, many = Problems(), Problems()
        with storage.reading():
            sequential = scan_chain(storage, one, None, None)
            pieces = chain_split.scan_parallel(storage, many, None)
    finally:
        storage.close()
    assert pieces is not None, "the log was not scanned in pieces"
    return (sequential, one.result()), (pieces, many.result())


def build(path, events, cuts):
    log = EventLog(path)
    start = 0
    for end in sorted(set(cuts)) + [len(events)]:
        if end > start:
            log.append(events[start:end])
            start = end
    log.close()


# Each mutation: (what, seq drawn from the log, a value); applied through raw sqlite3.
MUTATIONS = st.sampled_from(["byte", "hash", "version", "version_text", "recorded_us",
                             "delete", "stream", "swap", "seq", "id"])


def mutate(conn, what, seq, n, value):
    row = conn.execute("SELECT body, hash, version, recorded_us, stream FROM events "
                       "WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        return
    body, stored, version, recorded_us, stream = row
    if what == "byte":
        changed = bytearray(body)
        changed[value % len(changed)] ^= 1 + value % 255
        conn.execute("UPDATE events SET body = ? WHERE seq = ?", (bytes(changed), seq))
    elif what == "hash":
        conn.execute("UPDATE events SET hash = ? WHERE seq = ?", (stored[::-1], seq))
    elif what == "version":
        conn.execute("UPDATE events SET version = ? WHERE seq = ?", (version + 1 + value % 3, seq))
    elif what == "version_text":
        conn.execute("UPDATE events SET version = 'x' WHERE seq = ?", (seq,))
    elif what == "recorded_us":
        conn.execute("UPDATE events SET recorded_us = ? WHERE seq = ?",
                     (recorded_us - 1 - value * 10**9, seq))
    elif what == "delete":
        conn.execute("DELETE FROM events WHERE seq = ?", (seq,))
    elif what == "stream":
        conn.execute("UPDATE events SET stream = ? WHERE seq = ?", (stream + "z", seq))
    elif what == "swap":
        other = 1 + value % n
        theirs = conn.execute("SELECT body FROM events WHERE seq = ?", (other,)).fetchone()
        if theirs is not None:
            conn.execute("UPDATE events SET body = ? WHERE seq = ?", (theirs[0], seq))
            conn.execute("UPDATE events SET body = ? WHERE seq = ?", (body, other))
    elif what == "seq":
        free = n + 1 + value % 3
        conn.execute("UPDATE events SET seq = ? WHERE seq = ?", (free, seq))
    elif what == "id":
        conn.execute("UPDATE events SET id = id || 'x' WHERE seq = ?", (seq,))


# 30 damaged logs in make test (each ~0.2 s), 200 under make soak.
@settings(max_examples=soak(30, 200), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(events=event_stream(min_size=9, max_size=24, max_streams=2),
       cuts=st.lists(st.integers(1, 23), max_size=4),
       damage=st.lists(st.tuples(MUTATIONS, st.integers(0, 10**6), st.integers(0, 10**6)),
                       max_size=3))
def test_pieces_report_what_one_scan_reports(forced, events, cuts, damage):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "c.db")
        build(path, events, cuts)
        n = len(events)
        conn = sqlite3.connect(path, isolation_level=None)
        for name in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        for what, at, value in damage:
            try:
                mutate(conn, what, 1 + at % n, n, value)
            except sqlite3.IntegrityError:
                pass  # e.g. a seq or id already taken: that damage is not possible
        conn.close()
        (seq_done, seq_problems), (par_done, par_problems) = scans(path)
        assert par_done == seq_done
        assert par_problems == seq_problems
        if not damage:
            assert seq_problems == [] and seq_done == (n, seq_done[1])


def test_untouched_log_in_pieces_is_clean_and_counts_every_row(forced, tmp_path):
    events = [{"type": "statement_published", "stream": "s", "occurred_at": "2021-01-01",
               "data": {"speaker": "X", "summary": f"s{i}"}} for i in range(40)]
    path = str(tmp_path / "c.db")
    build(path, events, [7, 13, 29])
    (seq_done, seq_problems), (par_done, par_problems) = scans(path)
    assert seq_problems == par_problems == []
    assert par_done == seq_done and par_done[0] == 40


def test_damage_is_reported_once_at_its_seq_in_pieces(forced, tmp_path):
    events = [{"type": "statement_published", "stream": "s", "occurred_at": "2021-01-01",
               "data": {"speaker": "X", "summary": f"s{i}"}} for i in range(40)]
    path = str(tmp_path / "c.db")
    build(path, events, [])
    conn = sqlite3.connect(path, isolation_level=None)
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    # Rows 10 and 11 sit at a boundary of the eight pieces of 40 rows (5, 10, 15, ...).
    conn.execute("UPDATE events SET version = 99 WHERE seq = 11")
    conn.execute("UPDATE events SET hash = 'ab' WHERE seq = 10")
    conn.close()
    (_, seq_problems), (_, par_problems) = scans(path)
    assert par_problems == seq_problems
    # 10: its hash; 11: its version column against its bytes, and 99 after 10; 12: 12 after 99.
    assert [p["seq"] for p in par_problems] == [10, 11, 11, 12]


def test_small_logs_and_one_worker_stay_in_one_process(tmp_path, monkeypatch):
    path = str(tmp_path / "c.db")
    build(path, [{"type": "statement_published", "stream": "s", "occurred_at": "2021-01-01",
                  "data": {"speaker": "X", "summary": "s"}}], [])
    storage = SQLiteStorage(path, create=False)
    with storage.reading():
        assert chain_split.scan_parallel(storage, Problems(), None) is None  # below the minimum
        monkeypatch.setattr(chain_split, "PARALLEL_MIN_ROWS", 0)
        monkeypatch.setenv("DOCKET_WORKERS", "1")
        assert chain_split.scan_parallel(storage, Problems(), None) is None
        monkeypatch.setenv("DOCKET_WORKERS", "2")
        assert chain_split.scan_parallel(storage, Problems(), None) is not None
    storage.close()


def test_merged_problems_list_and_count_as_one_list_would(monkeypatch):
    import docket.audit.problems

    monkeypatch.setattr(docket.audit.problems, "MAX_LISTED", 3)
    found = [("chain", i) for i in range(5)] + [("trigger", 9)]
    one, first, second = Problems(), Problems(), Problems()
    for kind, i in found:
        one.add(kind, f"m{i}", seq=i)
    for kind, i in found[:2]:
        first.add(kind, f"m{i}", seq=i)
    for kind, i in found[2:]:
        second.add(kind, f"m{i}", seq=i)
    first.merge(second)
    assert first.result() == one.result()
    assert first.result()[-1]["message"] == "2 more chain problems not listed"


@pytest.mark.parametrize("folder", ["a#b", "a?b", "a%41b"])
def test_paths_that_look_like_uri_syntax_open_the_right_file(forced, tmp_path, folder):
    (tmp_path / folder).mkdir()
    path = str(tmp_path / folder / "c.db")
    build(path, [{"type": "statement_published", "stream": "s", "occurred_at": "2021-01-01",
                  "data": {"speaker": "X", "summary": f"s{i}"}} for i in range(20)], [])
    before = sorted(p.name for p in tmp_path.iterdir())
    (seq_done, seq_problems), (par_done, par_problems) = scans(path)
    assert par_done == seq_done and par_done[0] == 20
    assert par_problems == seq_problems == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray file made


def _append_for(path, seconds, started):
    """Another process: append one event at a time until the time is up."""
    import time

    log = EventLog(path)
    started.set()
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        log.append([{"type": "statement_published", "stream": "w", "occurred_at": "2021-02-01",
                     "data": {"speaker": "W", "summary": f"w{i}"}}])
        i += 1
    log.close()


def test_pieces_verify_clean_while_another_process_appends(forced, tmp_path, monkeypatch):
    # The forked workers' reads must stay consistent while a writer commits and the WAL is
    # checkpointed into the file under them (see the module docstring of chain_split).
    import multiprocessing

    real, in_pieces = chain_split.scan_parallel, []

    def counted(*args):
        out = real(*args)
        in_pieces.append(out is not None)
        return out

    monkeypatch.setattr(chain_split, "scan_parallel", counted)

    path = str(tmp_path / "c.db")
    build(path, [{"type": "statement_published", "stream": "s", "occurred_at": "2021-01-01",
                  "data": {"speaker": "X", "summary": f"s{i}"}} for i in range(400)],
          list(range(10, 400, 10)))
    ctx = multiprocessing.get_context("spawn")
    started = ctx.Event()
    writer = ctx.Process(target=_append_for, args=(path, 4.0, started))
    writer.start()
    try:
        assert started.wait(30)
        log = EventLog(path)
        runs = []
        while writer.is_alive():
            report = log.verify(views=False)
            assert report["problems"] == [] and report["ok"]
            runs.append(report["events"])
        log.close()
    finally:
        writer.join(30)
    assert writer.exitcode == 0
    assert len(runs) >= 3 and runs == sorted(runs) and runs[-1] > 400
    assert in_pieces and all(in_pieces)


def _double(x):
    return 2 * x


def test_a_forked_pool_is_closed_not_terminated_once_all_results_are_in(monkeypatch):
    """Terminating sends SIGTERM to each worker, which a handler inherited from the parent
    (a `log --follow` run in the same process once left one) turned into KeyboardInterrupt:
    a worker lived on and the join hung a whole test run."""
    import multiprocessing.pool

    from docket.audit.chain_split import forked_map

    terminated = []
    real = multiprocessing.pool.Pool.terminate
    monkeypatch.setattr(multiprocessing.pool.Pool, "terminate",
                        lambda self: (terminated.append(1), real(self)))
    assert list(forked_map(_double, [1, 2, 3], 2)) == [2, 4, 6]
    assert terminated == []
    results = forked_map(_double, [1, 2, 3], 2)
    assert next(results) == 2
    results.close()  # the caller stops early: then the pool is terminated
    assert terminated == [1]


def test_stop_on_terminate_puts_back_the_handler_it_found():
    import os
    import signal
    import time

    from docket.cli.group import stop_on_terminate

    def mine(_signum, _frame):
        return None

    before = signal.signal(signal.SIGTERM, mine)
    try:
        with pytest.raises(KeyboardInterrupt):
            with stop_on_terminate():
                assert signal.getsignal(signal.SIGTERM) is not mine
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(1)
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)
