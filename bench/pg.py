"""The PostgreSQL stores, measured on one server in the same run (issue 15, section 8).

    python -m bench --pg auto                    # a throwaway cluster (tests/pgcluster.py)
    python -m bench --pg postgresql://user@host:port/db --stores none   # your server, PG only

* `eventsourcing-pg`: the same `eventsourcing` application and `Order` aggregates as the
  SQLite peer (bench/peers.py), with the library's PostgreSQL persistence module
  (`PERSISTENCE_MODULE=eventsourcing.postgres`, `POSTGRES_DBNAME`, `POSTGRES_HOST` — a
  host name or the folder of a Unix socket —, `POSTGRES_PORT`, `POSTGRES_USER`,
  `POSTGRES_PASSWORD`, `CREATE_TABLE`). Its recorder takes `LOCK TABLE … IN EXCLUSIVE MODE`
  per insert transaction, so its writes are serialized as Docket's must be.
  Its batch append is saved in chunks of `ES_CHUNK` (1,000) events, one transaction each:
  larger saves hang in psycopg (see `ES_CHUNK`).
* `docket-pg`: Docket on PostgreSQL (docket.storage.postgres), through the same
  `EventLog` API and `DocketSide` as on SQLite: the whole batch in one call (one COPY
  of the events, whatever its size: Docket never pipelines), each single append its own
  durable commit.

Each store gets a database of its own per size (CREATE DATABASE, dropped afterwards), on
the same server, with the server's durable settings (`fsync` and `synchronous_commit` on,
recorded in the JSON). Measured as on SQLite: batch append (the whole workload in one call,
or `--batch-size`), durable single appends (the stores take turns event by event), full
replay (median of `--repeat`; eventsourcing's better of its two ways).
"""

from __future__ import annotations

import gc
import importlib.util
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from .peers import EsPeer, es_available

PG_STORES = ["docket-pg", "eventsourcing-pg"]
# eventsourcing's recorder sends each `save` as one INSERT ... unnest(array) in psycopg's
# pipeline mode and calls `Pipeline.sync()` after it; psycopg (3.2.13 and 3.3.9, C and
# Python implementations alike) never returns from that sync when the statement is larger
# than the socket's send buffer, the server waiting in ClientRead (seen here: ~1 MB, about
# 2,000 events, over a Unix socket; 50 MB over loopback TCP; 4 MB over TCP passed 40 of 40).
# So the peer's batch is saved in chunks of this many events, each its own transaction.
ES_CHUNK = 1000
_TESTS = Path(__file__).resolve().parents[1] / "tests"


def _log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def _timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# ------------------------------------------------------------------------------ the server

class Server:
    """A PostgreSQL server where the bench may create and drop databases."""

    def __init__(self, url: str, cluster_dir: str | None = None):
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        self.url, self.cluster_dir = url, cluster_dir
        self.params = conninfo_to_dict(url)
        self.admin = psycopg.connect(url, autocommit=True, connect_timeout=10)
        show = lambda s: self.admin.execute(f"SHOW {s}").fetchone()[0]  # noqa: E731
        self.meta = {"server_version": show("server_version"), "fsync": show("fsync"),
                     "synchronous_commit": show("synchronous_commit"),
                     "shared_buffers": show("shared_buffers"),
                     "via": "unix socket" if str(self.params.get("host", "")).startswith("/")
                     else "tcp",
                     "throwaway_cluster": cluster_dir is not None}

    def create(self, label: str) -> str:
        name = f"bench_{label}_{secrets.token_hex(3)}".replace("-", "_")
        self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop(self, name: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url_for(self, name: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.url, dbname=name)

    def close(self) -> None:
        self.admin.close()
        if self.cluster_dir:
            sys.path.insert(0, str(_TESTS))
            import pgcluster

            pgcluster.stop(self.cluster_dir)


def open_server(spec: str) -> Server:
    """`auto`: start a throwaway cluster (stopped by `close`, or when this process dies);
    anything else is the URL of a server whose user may CREATE DATABASE."""
    if spec != "auto":
        return Server(spec)
    sys.path.insert(0, str(_TESTS))
    import pgcluster

    d = tempfile.mkdtemp(prefix="docket-pg.")
    try:
        state = pgcluster.start(d, stop_when_gone=os.getpid())
        _log(f"throwaway PostgreSQL cluster in {d} (started in {state['start_seconds']:.2f} s)")
        # Loopback TCP with the password, as a team's server is reached (and see ES_CHUNK).
        return Server(pgcluster.url(d, tcp=True), cluster_dir=d)
    except BaseException:
        pgcluster.stop(d)
        shutil.rmtree(d, ignore_errors=True)  # ours; left empty when the binaries are missing
        raise


def add_arguments(p) -> None:
    """The harness's PostgreSQL options."""
    p.add_argument("--pg", metavar="URL|auto",
                   help="also measure the PostgreSQL stores (bench/pg.py) on this server: "
                        "`auto` starts a throwaway cluster (tests/pgcluster.py), a URL names "
                        "a server where its user may CREATE DATABASE")
    p.add_argument("--pg-stores", default=",".join(PG_STORES),
                   help=f"comma-separated among {','.join(PG_STORES)} (default both)")


def connect(args, meta: dict) -> Server | None:
    """The server of `--pg`, or None (not asked for, or not available: said, not fatal)."""
    if not args.pg:
        return None
    try:
        server = open_server(args.pg)
    except Exception as exc:
        meta["postgres"] = {"not_available": f"{type(exc).__name__}: {exc}"[:500]}
        print(f"postgres: not available ({meta['postgres']['not_available']})", flush=True)
        return None
    meta["postgres"] = server.meta
    return server


# ------------------------------------------------------------------------------ the stores

class EsPgPeer(EsPeer):
    """The eventsourcing library's PostgreSQL recorder, one aggregate per order."""

    name = "eventsourcing-pg"

    def __init__(self, conninfo: str):
        from psycopg.conninfo import conninfo_to_dict

        self.params = conninfo_to_dict(conninfo)
        super().__init__(conninfo)

    def _open(self):
        from .peers import DisputeApp

        p = self.params
        return DisputeApp(env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": p["dbname"],
            "POSTGRES_HOST": p.get("host") or "localhost",
            "POSTGRES_PORT": str(p.get("port") or 5432),
            "POSTGRES_USER": p.get("user") or "postgres",
            "POSTGRES_PASSWORD": p.get("password") or "",
            "CREATE_TABLE": "y",
        })

    def synchronous(self) -> str:
        """The durability the recorder's commits get from the server."""
        import psycopg

        with psycopg.connect(self.path) as c:
            return ", ".join(f"{s}={c.execute(f'SHOW {s}').fetchone()[0]}"
                             for s in ("fsync", "synchronous_commit"))


def docket_store(EventLog: Any, conninfo: str) -> tuple[Any, str | None]:
    """Docket on PostgreSQL (the SQLite figures' DocketSide, given a URL), or (None, why
    not)."""
    if EventLog is None:
        return None, "docket could not be imported"
    if importlib.util.find_spec("psycopg") is None:
        return None, "psycopg is not installed (pip install 'docket[postgres]')"
    from .docket_side import DocketSide

    return DocketSide(EventLog, as_url(conninfo)), None


def as_url(conninfo: str) -> str:
    """A `postgresql://` URL for a libpq conninfo string (Docket's --db takes URLs)."""
    from urllib.parse import quote, urlencode

    from psycopg.conninfo import conninfo_to_dict

    p = {k: str(v) for k, v in conninfo_to_dict(conninfo).items()}
    user = quote(p.pop("user", ""), safe="")
    password = p.pop("password", None)
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = p.pop("host", "")
    port = p.pop("port", "")
    netloc = "" if host.startswith("/") else host + (f":{port}" if port else "")
    if host.startswith("/"):
        p["host"], p["port"] = host, port
    query = urlencode({k: v for k, v in p.items() if k != "dbname" and v})
    return (f"postgresql://{auth}{netloc}/{quote(p.get('dbname', ''), safe='')}"
            + (f"?{query}" if query else ""))


# ------------------------------------------------------------------------------ measuring

def run_size(n: int, base: list[dict], tail: list[dict], args, only: set, server: Server,
             EventLog: Any, chunks: Callable[[list[dict], int], list[list[dict]]]) -> dict:
    """Batch, single appends and replay of every PostgreSQL store on `server`."""
    res: dict[str, Any] = {}
    opened: dict[str, tuple[Any, dict, str]] = {}
    for kind in [k for k in PG_STORES if k in args.pg_stores_set]:
        if kind == "eventsourcing-pg" and not es_available():
            res[kind] = {"not_available": "the eventsourcing library is not installed"}
            continue
        if kind == "eventsourcing-pg" and args.es_max and n > args.es_max:
            res[kind] = {"not_measured": f"{n:,} events is above --es-max {args.es_max:,}"}
            continue
        db = server.create(f"{kind}_{n}")
        try:
            if kind == "docket-pg":
                store, why = docket_store(EventLog, server.url_for(db))
                if store is None:
                    res[kind] = {"not_available": why}
                    server.drop(db)
                    continue
            else:
                store = EsPgPeer(server.url_for(db))
        except Exception as exc:
            res[kind] = {"not_available": f"{type(exc).__name__}: {exc}"[:500]}
            server.drop(db)
            continue
        fig: dict[str, Any] = {"database": db}
        _log(f"{kind}: batch append of {len(base):,} events")
        try:
            size = args.batch_size
            if kind == "eventsourcing-pg":
                size = min(size or ES_CHUNK, ES_CHUNK)
                fig["batch_chunk"] = size
            secs = _timed(lambda: [store.append_batch(c) for c in chunks(base, size)])
            fig.update(batch_s=secs, batch_eps=len(base) / secs, events_in_store=len(base))
            fig["synchronous"] = store.synchronous() if hasattr(store, "synchronous") else None
            opened[kind] = (store, fig, db)
        except Exception as exc:
            fig["errors"] = {"batch": f"{type(exc).__name__}: {exc}"[:500]}
            res[kind] = fig
            _close(store)
            server.drop(db)

    if "single" in only and tail and opened:
        _log(f"{', '.join(opened)}: {len(tail)} single appends, interleaved")
        lat: dict[str, list[float]] = {k: [] for k in opened}
        for e in tail:
            for kind, (store, fig, _db) in opened.items():
                if "errors" in fig:
                    continue
                try:
                    t = time.perf_counter()
                    store.append_one(e)
                    lat[kind].append(time.perf_counter() - t)
                except Exception as exc:
                    fig["errors"] = {"single": f"{type(exc).__name__}: {exc}"[:500]}
        for kind, (store, fig, _db) in opened.items():
            if lat[kind]:
                fig.update(single_n=len(lat[kind]), single_eps=len(lat[kind]) / sum(lat[kind]),
                           single_median_ms=statistics.median(lat[kind]) * 1000)
                fig["events_in_store"] += len(lat[kind])

    for kind, (store, fig, db) in opened.items():
        if "replay" in only and "errors" not in fig:
            _log(f"{kind}: full replay x{args.repeat}")
            try:
                if kind == "eventsourcing-pg":
                    a = statistics.median(_timed(store.replay_aggregates) for _ in range(args.repeat))
                    b = statistics.median(_timed(store.replay_log) for _ in range(args.repeat))
                    fig.update(replay_aggregates_s=a, replay_log_s=b, replay_s=min(a, b))
                else:
                    fig["replay_s"] = statistics.median(_timed(store.replay)
                                                        for _ in range(args.repeat))
                fig["replay_eps"] = fig["events_in_store"] / fig["replay_s"]
            except Exception as exc:
                fig.setdefault("errors", {})["replay"] = f"{type(exc).__name__}: {exc}"[:500]
        _close(store)
        server.drop(db)
        res[kind] = fig
    res["checks"] = checks(res)
    return res


def _close(store: Any) -> None:
    try:
        store.close()
    except Exception:
        pass


def checks(res: dict) -> list[dict]:
    """Issue 15's targets: >= 2x eventsourcing-pg for batch and replay, single no slower."""
    d, e = res.get("docket-pg", {}), res.get("eventsourcing-pg", {})
    out = []
    for name, key, target in (("batch append docket-pg/eventsourcing-pg", "batch_eps", 2),
                              ("single append docket-pg/eventsourcing-pg", "single_eps", 1),
                              ("replay docket-pg/eventsourcing-pg", "replay_eps", 2)):
        if d.get(key) and e.get(key):
            v = d[key] / e[key]
            out.append({"name": name, "value": v, "target": f">= {target}", "ok": v >= target})
    return out


ROWS = [("batch append", "batch_eps", "eps"), ("durable single append", "single_eps", "eps"),
        ("  median latency", "single_median_ms", "ms"), ("full replay", "replay_eps", "eps"),
        ("  replay time", "replay_s", "s")]


def print_table(n: int, res: dict, meta: dict) -> None:
    print(f"\n== {n:,} events on PostgreSQL {meta.get('server_version', '?')} "
          f"(fsync={meta.get('fsync')}, synchronous_commit={meta.get('synchronous_commit')}) ==")
    cols = ["figure"] + PG_STORES + ["docket-pg/es-pg"]
    rows = []
    for label, key, unit in ROWS:
        vals = [res.get(k, {}).get(key) for k in PG_STORES]
        if all(v is None for v in vals):
            continue
        cells = [_fmt(v, unit) for v in vals]
        d, e = vals
        r = None if not (d and e) else (d / e if unit == "eps" else e / d)
        rows.append([label] + cells + ["-" if r is None else f"{r:.2f}x"])
    widths = [max(len(str(r[i])) for r in rows + [cols]) for i in range(len(cols))]
    for r in [cols] + rows:
        print("  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                        for i, c in enumerate(r)))
    for c in res.get("checks", []):
        print(f"  target {c['name']}: {c['value']:.3f} {c['target']}  "
              f"{'ok' if c['ok'] else 'MISSED'}")
    for k in PG_STORES:
        r = res.get(k, {})
        for why in ("not_available", "not_measured"):
            if why in r:
                print(f"  {k}: {why.replace('_', ' ')} ({r[why]})")
        for m, err in r.get("errors", {}).items():
            print(f"  {k} {m}: ERROR {err}")


def _fmt(v: Any, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "eps":
        return f"{v:,.0f}/s"
    if unit == "ms":
        return f"{v:,.2f} ms"
    return f"{v * 1000:,.1f} ms" if v < 1 else f"{v:,.2f} s"
