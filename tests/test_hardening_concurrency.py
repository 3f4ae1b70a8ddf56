"""Eight writers and two readers at once (issue 6 §1, SPEC §1–2).

Writers — four `docket append` commands and four processes using the Python API — append
batches to one shared stream and to several streams at once. Some pass `expected_version`
(`--expected-version N`, the API argument, or per event in the JSON) and retry on a conflict
(exit 3 / ConflictError) after re-reading the version (`docket state --json --stream S` or
the API); some do not. Every batch is three events per stream — an order naming two
targets, and one block of each target — so any reader can tell a whole batch from part of
one: an order that is not `complied` would be a half-applied batch.

Afterwards: every acknowledged batch is in the log exactly once (the events carry no `id`,
so a retry that wrote twice would show), nothing unacknowledged is there, seq and versions
have no gaps, the chain recomputes, and no `database is locked` ever reached a user.
While the writers run, readers (`docket compliance --json`, `docket export`, `docket state`
and the same through the API) only ever see whole batches, and each sees the log grow as a
prefix of what it saw next.

(test_concurrency.py already has six writers without expected_version; this adds the
conflict-and-retry path, multi-stream batches under contention, and the readers.)
"""

from __future__ import annotations

import json
import multiprocessing
import random
import subprocess
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from conftest import DOCKET, _env, export_of
from soak import soak
from strategies import check_chain

from docket import EventLog
from docket.errors import ConflictError
from docket.replay import replay_stream

SHARED = "shared"
COMMON = "common"
CLI_BATCHES = soak(4, 40)     # batches each `docket append` worker writes
MIN_API_BATCHES = 4  # API workers go on until the command-line workers are done,
MAX_API_BATCHES = soak(25, 400)  # within these bounds


def batch(marker: str, stream: str) -> list[dict]:
    """Three events that only make sense together: the order is `complied` iff all landed.
    The order's time is earlier than the blocks of batches before it, so most batches are
    backdated and make the stored views refold."""
    return [
        {"type": "order_issued", "stream": stream, "occurred_at": "2021-02-01T10:00:00+05:30",
         "data": {"order_id": marker, "issuer": "MeitY", "platform": "Twitter",
                  "targets": [f"@{marker}-1", f"@{marker}-2"]}},
        {"type": "accounts_blocked", "stream": stream, "occurred_at": "2021-02-02",
         "data": {"order_id": marker, "targets": [f"@{marker}-1"]}},
        {"type": "accounts_blocked", "stream": stream, "occurred_at": "2021-02-03T23:00:00-12:00",
         "data": {"order_id": marker, "targets": [f"@{marker}-2"]}},
    ]


# worker -> (interface, streams of each batch, how it uses expected_version)
PLAN = {
    0: ("cli", (SHARED,), "option, re-read with docket state"),
    1: ("cli", (SHARED,), "option, re-read with the API"),
    2: ("cli", (SHARED,), None),
    3: ("cli", ("solo-3", COMMON), None),
    4: ("api", (SHARED,), "argument"),
    5: ("api", (SHARED,), None),
    6: ("api", ("solo-6", COMMON), None),
    7: ("api", ("solo-7", COMMON), "per event"),
}


def marker_of(record: dict) -> str:
    return record["data"]["order_id"]


def streams_of(marker: str) -> tuple[str, ...]:
    if marker.startswith("seed"):
        return (SHARED, COMMON) if marker == "seed" else ()
    return PLAN[int(marker[1])][1]


# -- writers ----------------------------------------------------------------------------------

def _docket(*args, input=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(DOCKET), *map(str, args)], capture_output=True, env=_env(None),
                          input=input, timeout=120)


def cli_writer(db: Path, index: int, folder: Path, out: dict) -> None:
    """A worker that runs `docket append` CLI_BATCHES times; records what it was told."""
    _, streams, ev = PLAN[index]
    acked, conflicts, failures = {}, 0, []
    try:
        for n in range(CLI_BATCHES):
            marker = f"w{index}-{n}"
            path = folder / f"{marker}.jsonl"
            events = [e for s in streams for e in batch(marker, s)]
            path.write_text("".join(json.dumps(e) + "\n" for e in events))
            for attempt in range(60):
                args = ["append", "--db", db, path]
                expected = None
                if ev is not None:
                    if "docket state" in ev:
                        got = _docket("state", "--db", db, "--json", "--stream", SHARED)
                        if got.returncode != 0:
                            failures.append(("state", got.returncode, got.stderr.decode()))
                            break
                        expected = json.loads(got.stdout)["version"]
                    else:
                        log = EventLog(str(db), create=False)
                        expected = log.stream_version(SHARED)
                        log.close()
                    args += ["--expected-version", expected]
                got = _docket(*args)
                err = got.stderr.decode()
                if got.returncode == 3 and ev is not None:
                    conflicts += 1
                    if not (err.startswith("Error: ") and err.count("\n") == 1
                            and "version" in err):
                        failures.append(("conflict message", err))
                    time.sleep(random.uniform(0, 0.05))
                    continue
                if got.returncode != 0 or err:
                    failures.append(("append", got.returncode, err))
                    break
                receipts = [json.loads(line) for line in got.stdout.decode().splitlines()]
                if expected is not None and receipts[0]["version"] != expected + 1:
                    failures.append(("version", expected, receipts[0]))
                acked[marker] = [(r["seq"], r["stream"], r["version"], r["hash"], r["duplicate"])
                                 for r in receipts]
                break
            else:
                failures.append(("gave up", marker))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        failures.append(("exception", repr(exc)))
    out[index] = (acked, conflicts, failures)


def api_writer(db: str, index: int, start, stop, results) -> None:
    """A worker process using the API until `stop` is set (at least MIN_API_BATCHES)."""
    acked, conflicts, failures = {}, 0, []
    try:
        _, streams, ev = PLAN[index]
        rng = random.Random(index)
        start.wait()
        log = EventLog(db)
        n = 0
        while n < MIN_API_BATCHES or (not stop.is_set() and n < MAX_API_BATCHES):
            marker = f"w{index}-{n}"
            for attempt in range(200):
                events = [e for s in streams for e in batch(marker, s)]
                expected = None
                if ev == "argument":
                    expected = log.stream_version(SHARED)
                elif ev == "per event":
                    for s in streams:
                        first = next(e for e in events if e["stream"] == s)
                        first["expected_version"] = log.stream_version(s)
                try:
                    receipts = log.append(events, expected_version=expected)
                except ConflictError as exc:
                    if ev is None:
                        failures.append(("conflict without expected_version", str(exc)))
                        break
                    conflicts += 1
                    continue
                if expected is not None and receipts[0].version != expected + 1:
                    failures.append(("version", expected, receipts[0]))
                acked[marker] = [(r.seq, r.stream, r.version, r.hash, r.duplicate)
                                 for r in receipts]
                break
            else:
                failures.append(("gave up", marker))
            n += 1
            time.sleep(rng.uniform(0.02, 0.08))
        log.close()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        failures.append(("exception", f"{type(exc).__name__}: {exc}"))
    results.put((index, (acked, conflicts, failures)))


# -- readers ----------------------------------------------------------------------------------

class Problems(list):
    def check(self, condition: bool, *what) -> None:
        if not condition:
            self.append(what)


def check_export(lines: list[bytes], problems: Problems) -> list[dict]:
    """A prefix of the log: the chain recomputes from seq 1 and every batch is whole."""
    try:
        records = check_chain(lines)
    except AssertionError as exc:
        problems.append(("export chain", str(exc)))
        return []
    groups = defaultdict(list)
    for r in records:
        groups[marker_of(r)].append(r)
    for marker, group in groups.items():
        want = 3 * len(streams_of(marker))
        seqs = [r["seq"] for r in group]
        problems.check(len(group) == want and seqs == list(range(seqs[0], seqs[0] + want)),
                       "export: half a batch", marker, seqs)
    return records


def check_compliance(rows: list[dict], problems: Problems) -> set[str]:
    by_marker = defaultdict(set)
    for row in rows:
        problems.check(row["status"] == "complied" and row["blocked"] == 2 ==
                       row["target_count"] and row["restored"] == 0,
                       "compliance: half a batch", row)
        by_marker[row["order_id"]].add(row["stream"])
    for marker, streams in by_marker.items():
        problems.check(streams == set(streams_of(marker)), "compliance: half a multi-stream "
                       "batch", marker, streams)
    return set(by_marker)


def check_state(view: dict, problems: Problems) -> int:
    orders, version = view["orders"], view["version"]
    problems.check(version == 3 * len(orders), "state: version is not 3 per order",
                   version, len(orders))
    problems.check(all(o["status"] == "complied" for o in orders.values()),
                   "state: an order not complied")
    problems.check(len(view["accounts"]) == 2 * len(orders)
                   and all(a["status"] == "blocked" for a in view["accounts"].values()),
                   "state: accounts do not match the orders")
    return version


def cli_reader(db: Path, stop: threading.Event, seen: dict, problems: Problems) -> None:
    last_export: list[bytes] = []
    last_markers: set[str] = set()
    last_version = 0
    n = 0
    while not stop.is_set() or n < 3:
        kind = ("compliance", "export", "state")[n % 3]
        args = {"compliance": ("compliance", "--json"), "export": ("export",),
                "state": ("state", "--json", "--stream", SHARED)}[kind]
        got = _docket(*args, "--db", db)
        n += 1
        problems.check(got.returncode == 0 and got.stderr == b"", "reader failed", kind,
                       got.returncode, got.stderr)
        if got.returncode != 0:
            continue
        if kind == "export":
            lines = got.stdout.splitlines()
            check_export(lines, problems)
            problems.check(lines[:len(last_export)] == last_export, "export: not a prefix "
                           "of the next one")
            last_export = lines
            seen.setdefault("export sizes", []).append(len(lines))
        elif kind == "compliance":
            markers = check_compliance(json.loads(got.stdout), problems)
            problems.check(markers >= last_markers, "compliance: an order disappeared")
            last_markers = markers
        else:
            version = check_state(json.loads(got.stdout), problems)
            problems.check(version >= last_version, "state: version went back")
            last_version = version
    seen["cli reads"] = n


def api_reader(db: str, stop: threading.Event, seen: dict, problems: Problems) -> None:
    log = EventLog(db, create=False)
    n, last = 0, []
    try:
        while not stop.is_set():
            lines = b"".join(log.export_lines()).splitlines()
            check_export(lines, problems)
            problems.check(lines[:len(last)] == last, "API export: not a prefix")
            last = lines
            check_compliance(log.compliance(), problems)
            check_state(log.state(SHARED), problems)
            n += 1
            seen.setdefault("api export sizes", []).append(len(lines))
            time.sleep(0.01)
    except Exception as exc:  # noqa: BLE001
        problems.append(("API reader", repr(exc)))
    finally:
        log.close()
    seen["api reads"] = n


# -- the test -----------------------------------------------------------------------------------

def fresh_view(log: EventLog, stream: str) -> dict:
    with log.storage.reading():
        return replay_stream(log.storage, stream, log.storage.known_seq()).view


def test_eight_writers_with_and_without_expected_version_and_readers(tmp_path):
    db = tmp_path / "docket.db"
    log = EventLog(str(db))
    log.append(batch("seed", SHARED) + batch("seed", COMMON))
    log.close()
    initial = len(export_of(db).splitlines())

    # Fork the API writers before any thread exists in this process.
    ctx = multiprocessing.get_context("fork")
    start, stop_api, results = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=api_writer, args=(str(db), i, start, stop_api, results))
             for i, (kind, _, _) in PLAN.items() if kind == "api"]
    for p in procs:
        p.start()

    stop_readers = threading.Event()
    seen: dict = {}
    problems = Problems()
    readers = [threading.Thread(target=cli_reader, args=(db, stop_readers, seen, problems)),
               threading.Thread(target=api_reader, args=(str(db), stop_readers, seen, problems))]
    cli_out: dict = {}
    cli_threads = []
    for i, (kind, _, _) in PLAN.items():
        if kind == "cli":
            folder = tmp_path / f"w{i}"
            folder.mkdir()
            cli_threads.append(threading.Thread(target=cli_writer,
                                                args=(db, i, folder, cli_out)))
    start.set()
    for t in readers + cli_threads:
        t.start()
    for t in cli_threads:
        t.join(timeout=300)
    stop_api.set()
    api_out = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    stop_readers.set()
    for t in readers:
        t.join(timeout=120)

    outcomes = {**cli_out, **api_out}
    assert sorted(outcomes) == list(PLAN)
    failures = {i: f for i, (_, _, f) in outcomes.items() if f}
    assert not failures, failures
    assert not problems, problems[:5]

    # Every acknowledged batch is there exactly once, as acknowledged; nothing else is.
    records = check_chain(export_of(db).splitlines())  # also: seq is 1, 2, 3, … no gaps
    by_seq = {r["seq"]: r for r in records}
    counts = Counter(marker_of(r) for r in records)
    acked = {m: rs for _, (a, _, _) in outcomes.items() for m, rs in a.items()}
    assert set(counts) == set(acked) | {"seed"}
    for marker, receipts in acked.items():
        assert counts[marker] == len(receipts) == 3 * len(streams_of(marker)), marker
        for seq, stream, version, digest, duplicate in receipts:
            stored = by_seq[seq]
            assert not duplicate
            assert (marker_of(stored), stored["stream"], stored["version"], stored["hash"]) \
                == (marker, stream, version, digest)
    for i, (_, streams, _) in PLAN.items():
        assert sum(1 for m in acked if m.startswith(f"w{i}-")) >= min(CLI_BATCHES,
                                                                    MIN_API_BATCHES)
    versions = defaultdict(list)
    for r in records:
        versions[r["stream"]].append(r["version"])
    for stream, got in versions.items():
        assert got == list(range(1, len(got) + 1)), stream
    stamps = [r["recorded_at"] for r in records]
    assert stamps == sorted(stamps)

    # The retry path was really taken, and the readers really overlapped the writers.
    assert sum(c for _, c, _ in outcomes.values()) > 0, "no conflict happened: no retry tested"
    sizes = seen.get("export sizes", []) + seen.get("api export sizes", [])
    assert any(initial < s < len(records) for s in sizes), sizes
    assert seen["cli reads"] >= 3 and seen["api reads"] >= 10

    # The stored views equal a fresh replay, and the audit agrees.
    log = EventLog(str(db))
    try:
        for stream in versions:
            assert log.state(stream) == fresh_view(log, stream), stream
        assert log.verify()["ok"]
    finally:
        log.close()
    got = _docket("verify", "--db", db)
    assert got.returncode == 0, got.stdout + got.stderr
