"""Instructions per durable single append, counted by valgrind: a figure the machine's load
does not move (wall-clock medians of single appends drift 20% between identical runs here).

    python -m bench.instructions --events 20000            # this checkout
    PYTHONPATH=OTHER/src python -m bench.instructions      # another checkout's Docket

Builds a log of `--events` workload events once (kept in `--workdir`, per Docket version),
then runs this script under `valgrind --tool=callgrind` twice on a copy of it: with
`--appends` single appends and with none; the difference over the count is one append's
instructions. `--in-order` (the default) keeps only the tail's events that land after every
event before them (what a median measures); `--all` takes the tail as the workload gives it,
backdated events, retractions and corrections included (a mean). Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _tail(n: int, in_order: bool) -> list[dict]:
    from docket.times import time_key

    from .workload import generate

    events = generate(n + 300, seed=1)
    if not in_order:
        return events[n:]
    top = max(time_key(e["occurred_at"]) for e in events[:n])
    out = []
    for e in events[n:]:
        t = time_key(e["occurred_at"])
        if t >= top and e["type"] not in ("event_retracted", "event_corrected"):
            out.append(e)
            top = t
    return out


def _child(base: str, n: int, k: int, in_order: bool) -> None:
    """Under valgrind: copy the built log, open it, append one event (the quick check and
    first-write costs), then `k` more, one transaction each."""
    from docket import EventLog

    work = tempfile.mkdtemp()
    path = os.path.join(work, "copy.db")
    shutil.copy(base, path)
    tail = _tail(n, in_order)
    log = EventLog(path)
    log.append([tail[0]])
    for event in tail[1:1 + k]:
        log.append([event])
    log.close()
    shutil.rmtree(work)


def _counted(args: list[str]) -> int:
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-m", "bench.instructions", *args],
                         cwd=HERE.parent, capture_output=True, text=True, check=True)
    m = re.search(r"Collected : (\d+)", run.stderr)
    if m is None:
        raise SystemExit(f"valgrind printed no count:\n{run.stderr[-2000:]}")
    return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--appends", type=int, default=100)
    p.add_argument("--all", action="store_true", help="the tail as generated (a mean)")
    p.add_argument("--workdir", default=tempfile.gettempdir())
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    in_order = not args.all
    if args.child:
        _child(args.child, args.events, args.appends, in_order)
        return 0
    import docket
    from docket import EventLog

    from .workload import generate

    tag = re.sub(r"\W", "_", str(Path(docket.__file__).resolve().parent.parent))
    base = os.path.join(args.workdir, f"docket-instructions-{args.events}-{tag}.db")
    if not os.path.exists(base):
        log = EventLog(base + ".tmp")
        log.append(generate(args.events + 300, seed=1)[:args.events])
        log.close()
        for ext in ("-wal", "-shm"):
            if os.path.exists(base + ".tmp" + ext):
                os.remove(base + ".tmp" + ext)
        os.replace(base + ".tmp", base)
    common = ["--events", str(args.events), "--child", base] + (["--all"] if args.all else [])
    with_appends = _counted([*common, "--appends", str(args.appends)])
    without = _counted([*common, "--appends", "0"])
    each = (with_appends - without) / args.appends
    print(f"{docket.__file__}: {each / 1e6:.2f} M instructions per single append "
          f"({'in replay order' if in_order else 'the tail as generated'}, {args.appends} "
          f"appends onto {args.events:,} events)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
