"""The chain check in pieces, several processes at once, with the sequential scan's result.

`verify` of the chain is bound by SHA-256, JSON decoding and SQLite reads in Python, about
9 µs a row on one core; the machines Docket runs on have more than one. The rows are cut
into contiguous seq ranges and each range is scanned by a worker process that guesses the
state the scan would be in at the range's start (`ScanState`) from the two rows before it,
and leaves each stream's first version in the range unchecked. The parent then takes the
results in order and checks every guess against the state the ranges before actually ended
in: the previous hash, gap, recorded time and, for each stream, that the first version
follows the last one. On an untouched log every guess holds and the pieces are simply joined
(problems in seq order, as one scan lists them). Where a guess fails, which only damage can
cause, the parent scans that range again itself from the true state, so the report is
always exactly what `scan_rows` over the whole log gives; the tests compare the two on
damaged logs.

Workers are forked (Linux), so they start in milliseconds with Docket already imported and
end with `os._exit`, never touching the parent's open SQLite connection; each opens its own
read-only connection. SQLite keeps its POSIX lock bookkeeping per process, and a forked
child inherits the parent's: where a worker's read lands on the WAL read mark the parent
holds, the child takes no lock of its own, but the parent's real lock covers it, because
the parent keeps its read transaction open until every worker has finished (`verify` runs
the scan inside one). Elsewhere, or on a small log, or with one core, the scan stays in one
process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Iterator

from ..replay import Progress
from .chain import _ALL, ScanState, _recompute, scan_range
from .checkpoint import ProofTree
from .problems import Problems

__all__ = ["PARALLEL_MIN_ROWS", "forked_map", "scan_chain", "scan_parallel", "workers"]

# Below this many rows, starting processes costs more than it saves.
PARALLEL_MIN_ROWS = int(os.environ.get("DOCKET_PARALLEL_MIN_ROWS", "50000"))
# Ranges per worker: smaller pieces keep the progress bar moving and the workers even.
_PIECES_PER_WORKER = 4


def workers() -> int:
    """How many processes the scan may use: the CPUs this process may run on, at most 8
    (`DOCKET_WORKERS` overrides; 1 keeps the scan in this process)."""
    if "DOCKET_WORKERS" in os.environ:
        return max(1, int(os.environ["DOCKET_WORKERS"]))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def forked_map(func, jobs: list, n: int) -> Iterator:
    """`func` of each job in `n` forked workers, the results in the jobs' order. Once all
    are in, the pool is closed and joined (its workers end as they finish); it is
    terminated (SIGTERM to each worker) only if the caller stops early or fails: a worker
    that a signal handler of the parent's keeps alive (a `log --follow` run in the same
    process once left one) would otherwise hang the join."""
    pool = multiprocessing.get_context("fork").Pool(n)
    closed = False
    try:
        yield from pool.imap(func, jobs)
        pool.close()
        closed = True
    finally:
        if not closed:
            pool.terminate()
        pool.join()


def _start_state(storage, lo: int) -> ScanState:
    """The state a scan would be in after the row at or before seq `lo`, guessed from that
    row and the one before it (exact unless those rows are damaged; the parent checks)."""
    if lo <= 0:
        return ScanState()
    last = storage.last_rows(lo, 2)
    if not last:
        return ScanState()
    seq, stored, recorded_us, body = last[0].seq, last[0].hash, last[0].recorded_us, last[0].body
    before = last[1].hash if len(last) > 1 else ScanState().prev_hex
    alt = _recompute(before, body)
    try:
        raw = bytes.fromhex(stored)
    except (ValueError, TypeError):
        raw = b""
    return ScanState(expect=seq + 1 if isinstance(seq, int) else lo + 1, prev_hex=stored,
                     prev_raw=raw, prev_seq=seq, alt_hex=None if alt == stored else alt,
                     last_us=recorded_us if isinstance(recorded_us, int) else 0)


# The storage the forked workers read (set in the parent just before the pool forks).
_SHARED: list = []


def _scan_range(job: tuple[int, int]) -> tuple:
    """In a worker: scan the rows with lo < seq <= hi from a guessed start state."""
    lo, hi = job
    reader = _SHARED[0].forked_reader()
    try:
        with reader.reading():
            state = _start_state(reader, lo)
            start = state.key()
            problems, first_seen, refs = Problems(), {}, []
            count = scan_range(reader, lo, hi, state, problems,
                               first_seen=first_seen if lo > 0 else None, refs=refs)
    finally:
        reader.close()
    return start, first_seen, state, problems, count, refs


def _holds(start: tuple, first_seen: dict, actual: ScanState) -> bool:
    """Did a worker's guess of its start state hold, given where the ranges before ended?"""
    if start != actual.key():
        return False
    for stream, version in first_seen.items():
        if type(version) is not int or version != actual.versions.get(stream, 0) + 1:
            return False
    return True


def scan_parallel(storage, problems: Problems, progress: Progress | None,
                  refs: list | None = None) -> tuple[int, str] | None:
    """Scan the chain in pieces; returns (events, last hash), or None when one process is
    the better choice (few rows, one CPU, no fork, a backend without forked readers), for
    the caller to scan sequentially. `refs` as for `scan_rows`."""
    n = workers()
    lo, hi, rows = storage.seq_range()
    if (n < 2 or rows < PARALLEL_MIN_ROWS or not _can_fork() or not isinstance(hi, int)
            or not hasattr(storage, "forked_reader")):
        return None
    pieces = n * _PIECES_PER_WORKER
    cuts = [lo - 1 + (hi - lo + 1) * i // pieces for i in range(pieces)] + [hi]
    jobs = list(zip(cuts, cuts[1:]))
    state, count = ScanState(), 0
    _SHARED[:] = [storage]
    try:
        # The pool's results first: zip then runs it to its end (the pool closed, not
        # terminated) before it finds the jobs used up.
        for (start, first_seen, end, found, done, piece_refs), (a, b) in zip(
                forked_map(_scan_range, jobs, n), jobs):
            if _holds(start, first_seen, state):
                problems.merge(found)
                if refs is not None:
                    refs += piece_refs
                end.versions = {**state.versions, **end.versions}
                state, count = end, count + done
            else:
                # A damaged piece: scan it here, from where the pieces before ended.
                count += scan_range(storage, a, b, state, problems, refs=refs)
            if progress is not None:
                progress(done)
    finally:
        _SHARED.clear()
    return count, state.prev_hex


def scan_chain(storage, problems: Problems, tree: ProofTree | None,
               progress: Progress | None, refs: list | None = None) -> tuple[int, str]:
    """Check the hash chain in one pass over the rows; returns (events, last hash).

    `tree`, with `verify --checkpoint`, is fed every row on the way (the checkpoint's proof);
    `refs`, a list, gets the `refs` row each event's stored bytes call for.
    A large log without a tree is scanned in pieces by several processes at once
    (`scan_parallel`), with the same result.
    """
    if tree is None:
        done = scan_parallel(storage, problems, progress, refs)
        if done is not None:
            return done
    state = ScanState()
    count = scan_range(storage, -_ALL, _ALL, state, problems, tree, progress=progress,
                       refs=refs)
    return count, state.prev_hex
