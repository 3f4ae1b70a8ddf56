"""The report's size and time: `docket report` on the recorded dispute and on generated logs.

    python -m bench.report                       # the dispute, 10k workload events, 100k dense
    python -m bench.report --sizes 10000 --repeat 3
    python -m bench.report --dense 0             # skip the 100k-event dense stream

For each log: the page's size in bytes, the wall time of the `docket report` command (a fresh
process, the median of `--repeat` runs) and the CPU time of `build_report` in this process
(SQLite runs in it too, so other jobs on the machine do not count). Printed as a table and
written to `bench/results-report.json`. Not a test: nothing is asserted (see bench/README.md).

The logs: `events/twitter-india-2021.jsonl` (imported), the benchmark workload of
`bench/workload.py` (`--sizes`), and a dense stream (`--dense`, 100k events by default: an
order every 1,000 events, unnamed blocks and unblocks every few minutes over about a year),
which was `tests/test_report.py`'s timed test before the report's benchmark moved here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import docket_side
from .workload import generate

HERE = Path(__file__).resolve().parent
DISPUTE = HERE.parent / "events" / "twitter-india-2021.jsonl"


def dense_stream(n: int) -> list[dict]:
    """n events over about a year in stream `big`: an order every 1,000 events (400 targets,
    unnamed), unnamed blocks and unblocks, a notice every 10 events, statements."""
    out, orders, notices = [], [], 0
    start = 1612137600  # 2021-02-01
    for i in range(n):
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + i * 317))
        if i % 1000 == 0:
            orders.append(f"O-{len(orders) + 1}")
            e = {"type": "order_issued", "data": {"order_id": orders[-1], "issuer": "MeitY",
                                                  "platform": "Twitter", "target_count": 400}}
        elif i % 10 == 3:
            notices += 1
            e = {"type": "notice_sent", "data": {"notice_id": f"N-{notices}", "kind": "other",
                                                 "issuer": "MeitY", "recipient": "Twitter",
                                                 "order_ids": [orders[-1]]}}
        elif i % 10 == 7:
            e = {"type": "statement_published", "data": {"speaker": "X", "summary": f"s{i}"}}
        elif i % 3:
            pick = orders[-1 - i % 2] if len(orders) > 1 else orders[-1]
            e = {"type": "accounts_blocked", "data": {"order_id": pick, "count": 1 + i % 4}}
        else:
            e = {"type": "accounts_unblocked", "data": {"order_id": orders[-1], "count": 2}}
        e.update(stream="big", occurred_at=at, id=f"e{i}")
        out.append(e)
    return out


def measure(EventLog, name: str, db: Path, stream: str, repeat: int) -> dict:
    """Size, CLI wall time and in-process CPU time of one stream's report."""
    from docket.report.page import build_report

    log = EventLog(str(db))
    cpu = time.process_time()
    wall = time.perf_counter()
    page = build_report(log, stream)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    docket = docket_side.cli_path()
    runs = []
    out = db.with_suffix(".html")
    for _ in range(repeat if docket else 0):
        t = time.perf_counter()
        subprocess.run([str(docket), "report", "--db", str(db), "--stream", stream, "-o",
                        str(out)], check=True, capture_output=True, env=docket_side.child_env())
        runs.append(time.perf_counter() - t)
    return {"log": name, "events": len(log.timeline(stream)), "bytes": len(page.encode()),
            "api_cpu_s": round(cpu, 3), "api_wall_s": round(wall, 3),
            "cli_wall_s": round(statistics.median(runs), 3) if runs else None,
            "cli_runs": [round(r, 3) for r in runs]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000", help="workload sizes, comma-separated")
    p.add_argument("--dense", type=int, default=100_000, help="dense stream size (0: none)")
    p.add_argument("--repeat", type=int, default=3, help="timed `docket report` runs")
    p.add_argument("--out", default=str(HERE / "results-report.json"))
    args = p.parse_args(argv)
    EventLog, why = docket_side.load()
    if EventLog is None:
        print(f"docket: not available ({why})", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    rows = []
    try:
        db = work / "dispute.db"
        EventLog(str(db)).import_lines(enumerate(DISPUTE.read_bytes().splitlines(), 1))
        rows.append(measure(EventLog, "twitter-india-2021", db, "twitter-india-2021",
                            args.repeat))
        for n in [int(s) for s in args.sizes.split(",") if s]:
            db = work / f"workload-{n}.db"
            EventLog(str(db)).append(generate(n))
            rows.append(measure(EventLog, f"workload {n}", db, "bench", args.repeat))
        if args.dense:
            db = work / f"dense-{args.dense}.db"
            EventLog(str(db)).append(dense_stream(args.dense))
            rows.append(measure(EventLog, f"dense {args.dense}", db, "big", args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'log':<22}{'events':>9}{'page bytes':>13}{'report (CLI, s)':>17}"
          f"{'build CPU (s)':>15}")
    for r in rows:
        cli = f"{r['cli_wall_s']:.2f}" if r["cli_wall_s"] is not None else "-"
        print(f"{r['log']:<22}{r['events']:>9}{r['bytes']:>13,}{cli:>17}{r['api_cpu_s']:>15.2f}")
    Path(args.out).write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
