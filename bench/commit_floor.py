"""What a durable single append is made of (issue 16's "median <= 2x raw"): on an N-event
log of the workload, the bench's 300 tail appends go one by one, interleaved, through

- Docket, with each SQL statement timed: the COMMIT, the other statements (`execute` and
  `executemany` with their binding, and the fetching of their rows), and the rest (Python:
  decoding, the chain, the fold, the rows; and this script's own timing, ~1-2 us a
  statement);
- raw (`peers.RawPeer`: one INSERT and one COMMIT, WAL, `synchronous=FULL`);
- raw writing K b-trees: one random row of each of K WITHOUT ROWID tables (N/10 rows each,
  about the size of Docket's view tables at N) rewritten in one transaction, K the number
  of pages Docket's COMMIT writes, read from the WAL index after each commit.

The last is the floor of an append that keeps K b-trees current in its own transaction
with no Python at all.

    python -m bench.commit_floor [N]     # default 200,000 events; nothing asserted

Prints a table of medians (milliseconds) and ratios to raw, then the p99s and what Docket's
five slowest appends spent where. See bench/README.md (issue 16).
"""

from __future__ import annotations

import gc
import random
import sqlite3
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from . import docket_side
from .peers import RawPeer
from .workload import generate

SINGLE = 300
SEED = 20210204  # the bench's default seed, so the tail is the bench's own


class _Timed:
    """A stand-in for Docket's connection that times each statement (COMMIT apart), the
    rows fetched after its first included (SQLite steps to each row as it is fetched)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.commit = 0.0
        self.sql = 0.0

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def _timed(self, method, sql, args):
        t = time.perf_counter()
        try:
            return _TimedCursor(method(sql, *args), self)
        finally:
            dt = time.perf_counter() - t
            if sql.strip().upper() == "COMMIT":
                self.commit += dt
            else:
                self.sql += dt

    def execute(self, sql, *args):
        return self._timed(self._conn.execute, sql, args)

    def executemany(self, sql, *args):
        return self._timed(self._conn.executemany, sql, args)


class _TimedCursor:
    """A cursor whose fetches count as the statement's time."""

    def __init__(self, cursor: sqlite3.Cursor, timed: _Timed):
        self._cursor, self._timed = cursor, timed

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def _fetch(self, method, *args):
        t = time.perf_counter()
        try:
            return method(*args)
        finally:
            self._timed.sql += time.perf_counter() - t

    def fetchone(self):
        return self._fetch(self._cursor.fetchone)

    def fetchall(self):
        return self._fetch(self._cursor.fetchall)

    def fetchmany(self, *args):
        return self._fetch(self._cursor.fetchmany, *args)

    def __iter__(self):
        return iter(self.fetchall())


def wal_frames(db: str) -> int:
    """The WAL's last valid frame (`mxFrame` of the WAL index header in the -shm file)."""
    with open(db + "-shm", "rb") as f:
        return struct.unpack("=I", f.read(20)[16:20])[0]


class BTrees:
    """Raw writing `k` b-trees a transaction: one row of each of `k` tables rewritten."""

    def __init__(self, path: str, k: int, rows: int):
        self.path, self.k = path, k
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.rng = random.Random(1)
        self.keys = [f"{self.rng.random():.17f}" for _ in range(rows)]
        self.conn.execute("BEGIN")
        for t in range(k):
            self.conn.execute(f"CREATE TABLE t{t} (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
            self.conn.executemany(f"INSERT INTO t{t} VALUES (?, ?)",
                                  ((key, b"x" * 120) for key in self.keys))
        self.conn.execute("COMMIT")

    def append_one(self, event: dict) -> float:
        """The append; returns the COMMIT's seconds. Like most of Docket's view rows, the
        rows rewritten keep their size, so each table's write is one page (no split)."""
        value = msgspec.json.encode(event)[:120].ljust(120)
        c = self.conn
        c.execute("BEGIN")
        for t in range(self.k):
            c.execute(f"INSERT OR REPLACE INTO t{t} VALUES (?, ?)",
                      (self.rng.choice(self.keys), value))
        t = time.perf_counter()
        c.execute("COMMIT")
        return time.perf_counter() - t


def main(n: int) -> str:
    EventLog, why = docket_side.load()
    if EventLog is None:
        raise SystemExit(f"docket: not available ({why})")
    events = generate(n + SINGLE, seed=SEED)
    head, tail = events[:n], events[n:]
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as d:
        db = str(Path(d) / "docket.db")
        log = EventLog(db)
        log.append(head)
        raw = RawPeer(str(Path(d) / "raw.db"))
        raw.append_batch(head)
        # The first 20 appends count the pages a COMMIT writes, to size the third store;
        # they are not among the measured ones.
        timed = _Timed(log.storage._conn)
        log.storage._conn = timed
        frames = []
        for e in tail[:20]:
            before = wal_frames(db)
            log.append([e])
            after = wal_frames(db)
            if after > before:
                frames.append(after - before)
        k = round(statistics.median(frames))
        btrees = BTrees(str(Path(d) / "btrees.db"), k, max(n // 10, 1_000))
        lat = {"docket": [], "commit": [], "sql": [], "raw": [], f"raw, {k} b-trees": [],
               f"raw, {k} b-trees: COMMIT": []}
        raw_frames, docket_frames = [], []
        for e in tail[20:]:
            timed.commit = timed.sql = 0.0
            before = wal_frames(db)
            t = time.perf_counter()
            log.append([e])
            lat["docket"].append(time.perf_counter() - t)
            if wal_frames(db) > before:
                docket_frames.append(wal_frames(db) - before)
            lat["commit"].append(timed.commit)
            lat["sql"].append(timed.sql)
            t = time.perf_counter()
            raw.append_one(e)
            lat["raw"].append(time.perf_counter() - t)
            before = wal_frames(btrees.path)
            t = time.perf_counter()
            c = btrees.append_one(e)
            if wal_frames(btrees.path) > before:
                raw_frames.append(wal_frames(btrees.path) - before)
            lat[f"raw, {k} b-trees"].append(time.perf_counter() - t)
            lat[f"raw, {k} b-trees: COMMIT"].append(c)
        log.close()
        raw.close()
        btrees.conn.close()
    med = {name: statistics.median(v) for name, v in lat.items()}
    rest = statistics.median(a - b - c for a, b, c in zip(lat["docket"], lat["commit"],
                                                        lat["sql"]))
    rows = [("docket", med["docket"]), ("  its COMMIT", med["commit"]),
            ("  its other statements", med["sql"]), ("  the rest (Python)", rest),
            ("raw", med["raw"]), (f"raw, {k} b-trees", med[f"raw, {k} b-trees"]),
            ("  its COMMIT", med[f"raw, {k} b-trees: COMMIT"])]
    out = [f"{n:,} events, {len(tail) - 20} single appends each, interleaved. Pages a "
           f"COMMIT writes (WAL frames, median): Docket {k} in the first {len(frames)} "
           f"appends, {statistics.median(docket_frames):.0f} in the measured ones; raw with "
           f"{k} b-trees {statistics.median(raw_frames):.0f}. Medians:"]
    out += [f"  {name:<26} {v * 1000:7.3f} ms  {v / med['raw']:5.2f}x raw" for name, v in rows]
    p99 = {name: statistics.quantiles(lat[name], n=100)[98] for name in ("docket", "raw")}
    out.append(f"p99: Docket {p99['docket'] * 1000:.3f} ms = {p99['docket'] / med['raw']:.2f}x "
               f"raw's median; raw {p99['raw'] * 1000:.3f} ms. Docket's five slowest "
               "(COMMIT + other statements + rest):")
    slow = sorted(range(len(lat["docket"])), key=lat["docket"].__getitem__)[-5:]
    out += [f"  {lat['docket'][i] * 1000:7.3f} ms = {lat['commit'][i] * 1000:.3f} + "
            f"{lat['sql'][i] * 1000:.3f} + "
            f"{(lat['docket'][i] - lat['commit'][i] - lat['sql'][i]) * 1000:.3f}"
            for i in reversed(slow)]
    return "\n".join(out)


if __name__ == "__main__":
    print(main(int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 200_000))
