"""Docket beside the eventsourcing library, raw sqlite3+msgspec and the limit, in one run.

    python -m bench                          # 10k events, every measurement (about a minute)
    python -m bench --sizes 10000,100000     # several sizes, and how each figure grows
    python -m bench --sizes 1000000 --repeat 1 --only batch,replay,asof,verify,checkpoint,rss
    python -m bench --help

Prints a table per size (figures, ratios docket/eventsourcing, docket/raw and docket/limit,
the targets of issue 16) and writes every figure to bench/results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import docket_side, pg
from .limit import LimitPeer
from .peers import EsPeer, RawPeer, es_available
from .tables import STORES, checks_for, growth, print_growth, print_table
from .workload import WORKLOADS, asof_dates, generate, stream_names

MEASURES = ["batch", "single", "replay", "asof", "verify", "checkpoint", "cli", "rss"]
HERE = Path(__file__).resolve().parent


def log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def median_of(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    runs = [timed(fn)[0] for _ in range(repeat)]
    return statistics.median(runs), runs


def chunks(events: list[dict], size: int) -> list[list[dict]]:
    if size <= 0 or size >= len(events):
        return [events]
    return [events[i : i + size] for i in range(0, len(events), size)]


def child_rss(kind: str, path: str) -> dict:
    """Run one full replay in a fresh process and return its memory figures."""
    r = subprocess.run(
        [sys.executable, "-m", "bench.rss", kind, path],
        env=docket_side.child_env(), capture_output=True, text=True,
    )
    if r.returncode != 0:
        raise RuntimeError((r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1])
    return json.loads(r.stdout.strip().splitlines()[-1])


class Recorder:
    """Collects one store's figures; an exception in one measurement is recorded, not fatal."""

    def __init__(self, name: str):
        self.name = name
        self.fig: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def attempt(self, measure: str, fn: Callable[[], None]) -> bool:
        try:
            fn()
            return True
        except Exception as exc:
            self.errors[measure] = f"{type(exc).__name__}: {exc}"[:500]
            log(f"{self.name} {measure}: {self.errors[measure]}")
            return False

    def result(self) -> dict:
        out = dict(self.fig)
        if self.errors:
            out["errors"] = self.errors
        return out


def build(kind: str, store: Any, base: list[dict], args, only: set) -> Recorder:
    """Batch append (import): every store is built this way, timed or not."""
    rec = Recorder(kind)
    f = rec.fig

    def batch() -> None:
        secs, _ = timed(lambda: [store.append_batch(c) for c in chunks(base, args.batch_size)])
        if "batch" in only:
            f["batch_s"] = secs
            f["batch_eps"] = len(base) / secs
    log(f"{kind}: batch append of {len(base):,} events")
    if rec.attempt("batch", batch):
        f["events_in_store"] = len(base)
        sync = getattr(store, "synchronous", None)
        if callable(sync):
            try:
                f["synchronous"] = sync()
            except Exception:
                f["synchronous"] = None
    return rec


def single_appends(stores: dict[str, tuple[Any, Recorder]], tail: list[dict]) -> None:
    """Durable single-event appends: one call (one transaction) per event.

    The stores take turns, event by event, so that each sees the same disk and the same
    moment: an fsync's cost drifts with what the machine is doing, and measuring the stores
    one after the other made their ratio swing by 2x between runs.
    """
    log(f"{', '.join(stores)}: {len(tail)} single appends, interleaved")
    lat: dict[str, list[float]] = {k: [] for k in stores}
    gc.collect()
    for e in tail:
        for kind, (store, rec) in stores.items():
            if "single" in rec.errors:
                continue
            try:
                t = time.perf_counter()
                store.append_one(e)
                lat[kind].append(time.perf_counter() - t)
            except Exception as exc:
                rec.errors["single"] = f"{type(exc).__name__}: {exc}"[:500]
                log(f"{kind} single: {rec.errors['single']}")
    for kind, (store, rec) in stores.items():
        if "single" in rec.errors or not lat[kind]:
            continue
        f = rec.fig
        f["single_n"] = len(lat[kind])
        f["single_eps"] = len(lat[kind]) / sum(lat[kind])
        f["single_median_ms"] = statistics.median(lat[kind]) * 1000
        f["single_p99_ms"] = statistics.quantiles(lat[kind], n=100)[98] * 1000 \
            if len(lat[kind]) > 1 else f["single_median_ms"]
        # Which appends make the tail (p99 of 300 is about their third-slowest): position
        # in the tail, event type, milliseconds.
        slowest = sorted(range(len(lat[kind])), key=lat[kind].__getitem__)[-5:][::-1]
        f["single_slowest"] = [(i, tail[i]["type"], round(lat[kind][i] * 1000, 2))
                               for i in slowest]
        f["events_in_store"] += len(lat[kind])


def measure_store(kind: str, store: Any, rec: Recorder, args, only: set, ctx: dict) -> None:
    """Full replay on every store, then Docket's own measurements."""
    f = rec.fig
    total = f["events_in_store"]
    if "replay" in only:
        log(f"{kind}: full replay x{args.repeat}")
        if kind == "eventsourcing":
            def replay() -> None:
                a, _ = median_of(store.replay_aggregates, args.repeat)
                b, _ = median_of(store.replay_log, args.repeat)
                f["replay_aggregates_s"], f["replay_log_s"] = a, b
                f["replay_s"] = min(a, b)  # the peer's better way is its figure
                f["replay_eps"] = total / f["replay_s"]
        else:
            def replay() -> None:
                secs, runs = median_of(store.replay, args.repeat)
                f["replay_s"], f["replay_runs_s"] = secs, runs
                f["replay_eps"] = total / secs
        rec.attempt("replay", replay)

    if kind == "docket":
        stream = ctx["stream"]
        if "replay" in only:
            def rebuild() -> None:
                f["rebuild_s"], _ = median_of(store.rebuild, args.repeat)
                f["rebuild_eps"] = total / f["rebuild_s"]
            log(f"docket: rebuild x{args.repeat}")
            rec.attempt("rebuild", rebuild)
        if "asof" in only:
            def asof() -> None:
                per = []
                for d in ctx["asof_dates"]:
                    per.append(timed(lambda d=d: store.state(stream, as_of=d))[0])
                f["asof_dates"] = ctx["asof_dates"]
                f["asof_runs_s"] = per
                f["asof_s"] = statistics.median(per)
                f["state_now_s"] = median_of(lambda: store.state(stream), args.repeat)[0]
            log("docket: as-of queries")
            rec.attempt("asof", asof)
        if "verify" in only:
            def verify() -> None:
                secs, out = timed(store.verify)
                f["verify_s"] = secs
                f["verify_eps"] = total / secs
                f["verify_result"] = repr(out)[:300]
            log("docket: verify")
            rec.attempt("verify", verify)
        if "checkpoint" in only:
            def checkpoint() -> None:
                f["checkpoint_s"], _ = median_of(store.checkpoint, args.repeat)
            log("docket: checkpoint")
            rec.attempt("checkpoint", checkpoint)


# ------------------------------------------------------------------------------- main

def _close(store: Any) -> None:
    try:
        store.close()
    except Exception:
        pass


def run_size(n: int, args, only: set, stores: list[str], EventLog: Any, why: str | None,
             workdir: Path, pgserver: "pg.Server | None" = None) -> dict:
    log(f"generating {n:,} + {args.single} events")
    events = generate(n + args.single, seed=args.seed, streams=args.streams,
                      workload=args.workload)
    base, tail = events[:n], events[n:]
    # The workload lives as long as the run: keep it out of the collector's way for all.
    gc.collect()
    gc.freeze()
    dates = asof_dates(events, random.Random(args.seed + n), args.asof_queries)
    ctx = {"stream": stream_names(args.streams)[0], "asof_dates": dates}
    d = workdir / str(n)
    d.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"events": n, "tail": len(tail)}

    opened: dict[str, tuple[Any, Recorder]] = {}
    for kind in stores:
        path = str(d / f"{kind}.db")
        if kind == "docket":
            if EventLog is None:
                res["docket"] = {"not_available": why}
                continue
            try:
                store: Any = docket_side.DocketSide(EventLog, path)
            except Exception as exc:
                res["docket"] = {"not_available": f"EventLog({path!r}): {exc}"}
                continue
        elif kind == "eventsourcing":
            if not es_available():
                res[kind] = {"not_available": "the eventsourcing library is not installed"}
                continue
            if args.es_max and n > args.es_max:
                res[kind] = {"not_measured": f"{n:,} events is above --es-max {args.es_max:,}"}
                continue
            store = EsPeer(path)
        elif kind == "limit":
            store = LimitPeer(path)
        else:
            store = RawPeer(path)
        rec = build(kind, store, base, args, only)
        if "batch" in rec.errors:  # the store could not be built: nothing more to measure
            res[kind] = rec.result()
            _close(store)
        else:
            opened[kind] = (store, rec)

    if "single" in only and tail and opened:
        single_appends(opened, tail)

    for kind, (store, rec) in opened.items():
        path = str(d / f"{kind}.db")
        measure_store(kind, store, rec, args, only, ctx)
        _close(store)
        r = res[kind] = rec.result()
        if kind == "docket" and "cli" in only:
            exe = docket_side.cli_path()
            if exe is None:
                r.setdefault("errors", {})["cli"] = f"no `docket` next to {sys.executable}"
            else:
                log("docket: `docket append` from the shell")
                try:
                    stamp = tail[-1]["occurred_at"] if tail else base[-1]["occurred_at"]
                    evs = [{"type": "notice_sent", "stream": ctx["stream"], "occurred_at": stamp,
                            "id": f"cli-{n}-{i}",
                            "data": {"notice_id": f"N-cli-{i}", "kind": "other",
                                     "issuer": "MeitY", "recipient": "Twitter",
                                     "order_ids": ["O-1"]}}
                           for i in range(args.cli_runs + 1)]
                    c = docket_side.cli_append(exe, path, evs)
                    r["cli_median_s"] = c.pop("median_s")
                    r.update({f"cli_{k}" if not k.startswith("import") else k: v
                              for k, v in c.items()})
                except Exception as exc:
                    r.setdefault("errors", {})["cli"] = str(exc)[:500]
        if "rss" in only:
            log(f"{kind}: replay peak RSS in a child process")
            try:
                m = child_rss(kind, path)
                r["rss_peak_kb"], r["rss_baseline_kb"] = m["peak_kb"], m["baseline_kb"]
                r["rss_replay_s"] = m["seconds"]
            except Exception as exc:
                r.setdefault("errors", {})["rss"] = str(exc)[:500]
    if not args.keep:
        for p in d.glob("*.db*"):
            p.unlink()
    if pgserver is not None:  # the same workload on PostgreSQL (bench/pg.py)
        res["postgres"] = pg.run_size(n, base, tail, args, only, pgserver, EventLog, chunks)

    gc.unfreeze()
    del events, base, tail
    gc.collect()
    res["checks"] = checks_for(res)
    return res


def meta(args, why: str | None) -> dict:
    def version(mod: str) -> str | None:
        try:
            from importlib.metadata import version as v
            return v(mod)
        except Exception:
            return None

    try:
        commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "HEAD"],
                                capture_output=True, text=True).stdout.strip() or None
    except Exception:
        commit = None
    return {
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "versions": {m: version(m) for m in ("docket", "eventsourcing", "msgspec", "sqlite-utils",
                                             "psycopg")},
        "docket_available": why is None,
        "git_commit": commit,
        "seed": args.seed,
        "streams": args.streams,
        "workload": args.workload,
        "single_appends": args.single,
        "batch_size": args.batch_size or "whole workload",
        "repeat": args.repeat,
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000",
                   help="comma-separated event counts (e.g. 10000,100000,1000000); default 10000")
    p.add_argument("--only", default=",".join(MEASURES),
                   help=f"comma-separated measurements among {','.join(MEASURES)} (default all)")
    p.add_argument("--stores", default=",".join(STORES),
                   help="comma-separated stores among docket,eventsourcing,raw,limit (default all; "
                        "none: only the PostgreSQL ones of --pg)")
    p.add_argument("--single", type=int, default=300,
                   help="events appended one by one after the batch (default 300)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of replay/state/checkpoint; the median is reported (default 3)")
    p.add_argument("--batch-size", type=int, default=0,
                   help="events per append call in the batch phase (default 0: all in one)")
    p.add_argument("--es-max", type=int, default=0,
                   help="do not run eventsourcing above this size (reported as not measured)")
    p.add_argument("--asof-queries", type=int, default=5, help="random as-of dates (default 5)")
    p.add_argument("--cli-runs", type=int, default=5, help="timed `docket append` runs (default 5)")
    p.add_argument("--streams", type=int, default=1, help="streams in the workload (default 1)")
    p.add_argument("--workload", choices=sorted(WORKLOADS), default="growing",
                   help="growing: new orders and notices all along (default); bounded: at most "
                        "300 orders and 1,000 notices per stream (see bench/workload.py)")
    pg.add_arguments(p)
    p.add_argument("--seed", type=int, default=20210204)
    p.add_argument("--workdir", help="where the databases go (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the databases")
    p.add_argument("--out", default=str(HERE / "results.json"),
                   help="where to write the figures (default bench/results.json)")
    args = p.parse_args(argv)
    args.sizes_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    for name, allowed in (("only", MEASURES), ("stores", STORES), ("pg_stores", pg.PG_STORES)):
        value = getattr(args, name)
        vals = [v.strip() for v in value.split(",") if v.strip() and value != "none"]
        bad = [v for v in vals if v not in allowed]
        if bad:
            p.error(f"--{name.replace('_', '-')}: unknown {', '.join(bad)} "
                    f"(choose among {', '.join(allowed)})")
        setattr(args, name + "_set", vals)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    only = set(args.only_set)
    stores = [s for s in STORES if s in args.stores_set]
    wants_docket = "docket" in stores or (args.pg and "docket-pg" in args.pg_stores_set)
    EventLog, why = (docket_side.load() if wants_docket else (None, "not selected"))
    if "docket" in stores and EventLog is None:
        print(f"docket: not available ({why})", flush=True)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="docket-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    out = {"meta": meta(args, why), "sizes": results}
    pgserver = pg.connect(args, out["meta"])
    try:
        for n in args.sizes_list:
            results[str(n)] = run_size(n, args, only, stores, EventLog, why, workdir, pgserver)
            if stores:
                print_table(n, results[str(n)])
            if "postgres" in results[str(n)]:
                pg.print_table(n, results[str(n)]["postgres"], out["meta"]["postgres"])
            out["growth"] = growth(results)
            Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        if pgserver is not None:
            pgserver.close()
    print_growth(out.get("growth", {}), args.sizes_list)
    print(f"\nfigures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
