"""`docket append` of one event from a shell, this checkout beside another, alternating.

Each side appends onto its own copy of one log (made by `python -m bench.view_floor N --db
PATH`); the first run of a side pays what a process's first write pays (issue 20's quick
check), the rest show whether the check was recorded (storage/sqlite_record.py).

    python -m bench.cli_record --db /tmp/vf200.db --base /work/wt/base/src --runs 12
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="a log made by bench.view_floor (copied)")
    p.add_argument("--base", required=True, help="the other checkout's src folder")
    p.add_argument("--runs", type=int, default=12)
    args = p.parse_args()
    exe = Path(sys.executable).with_name("docket")
    sides = {"base": args.base, "new": None}
    walls: dict[str, list[float]] = {side: [] for side in sides}
    for side in sides:
        copy = f"{args.db}.{side}"
        shutil.copy(args.db, copy)
        Path(copy + "-checked").unlink(missing_ok=True)
    for i in range(args.runs):
        for side, src in sides.items():
            env = dict(os.environ, DOCKET_DB=f"{args.db}.{side}")
            if src:
                env["PYTHONPATH"] = src
            event = {"type": "accounts_blocked", "stream": "bench",
                     "occurred_at": f"2023-11-11T{i % 24:02d}:00:00Z",
                     "data": {"order_id": "O-1145", "targets": ["@acct37"]}}
            t = time.perf_counter()
            r = subprocess.run([str(exe), "append", "-"], input=json.dumps(event), env=env,
                               capture_output=True, text=True)
            walls[side].append(time.perf_counter() - t)
            if r.returncode:
                raise SystemExit(f"{side}: docket append exited {r.returncode}: {r.stderr}")
    for side, w in walls.items():
        rest = w[1:]
        print(f"{side}: first {w[0]:.3f} s, the rest median {statistics.median(rest):.3f} s "
              f"({min(rest):.3f}-{max(rest):.3f})")


if __name__ == "__main__":
    main()
