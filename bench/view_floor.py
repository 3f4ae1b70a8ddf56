"""What a view of the whole state costs when nothing is folded (issue 16's "as-of <= 5% of
a replay" and "`state` now at 1M <= 0.5 s"): on an N-event log of the workload (the
bench's log: N events and its 300-event tail),

- as-of, at the bench's own five dates: the query as a user makes it (`log.state(stream,
  as_of=...)`), split into its fold (the nearest snapshot decoded, the events after it
  folded) and its view (compliance rows, accounts, notices, the fingerprint; the state
  freed as the view takes it); then the **floor** of a snapshot taken exactly at the date:
  the msgpack decode of that state, plus the view, plus freeing them (no event folded, no
  SQL run);
- now: `log.state(stream)`, which reads the view tables, split into the rows fetched, their
  shaping into the view and the fingerprint; then the **floor** of any storage layout: the
  whole view decoded from one msgpack value, plus the fingerprint.

The collector is off while each part is timed, as the API keeps it inside its calls.

    python -m bench.view_floor [N] [--db PATH]   # default 200,000; PATH: reuse a log
                                                 # built by an earlier run (kept there)

Prints milliseconds (medians of three) and each as a share of a full replay. Nothing is
asserted. See bench/README.md (issue 16).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from . import docket_side
from .workload import asof_dates, generate, stream_names

SEED = 20210204  # the bench's default seed and tail, so the dates are the bench's own
TAIL = 300
ROUNDS = 3


def _ms(fn) -> tuple[float, object]:
    """Median milliseconds of ROUNDS calls of `fn` with the collector off, and its last
    result."""
    times, out = [], None
    for _ in range(ROUNDS):
        out = None  # the previous result is freed before the clock starts
        gc.disable()
        try:
            t = time.perf_counter()
            out = fn()
            times.append((time.perf_counter() - t) * 1000)
        finally:
            gc.enable()
    return statistics.median(times), out


def _view_and_free(views, stream, blob, amend, known_seq, as_of) -> None:
    """Decode a state, view it (emptying it into the view, as the API does) and free both:
    what a query costs once its state is at hand."""
    from docket.stored.snapshots import decode_state
    state = decode_state(blob)
    view = views.view_of(stream, state, amend, known_seq, as_of, None, consume=True)
    del state, view


def asof_rows(log, stream: str, dates: list[str]) -> list[dict]:
    """Each date's query, its fold and view, and the floor of a snapshot at the date."""
    from docket.stored.snapshots import decode_state, encode_state
    from docket.timeline import Selection
    views, rows = log.views, []
    for at in dates:
        api, _ = _ms(lambda: log.state(stream, as_of=at))
        with log.storage.reading():
            selection = Selection(log.storage, at, None, None)
            fold, (state, amend) = _ms(lambda: views.state(stream, selection))
            blob = encode_state(state)
            known = selection.known_seq
            size = (len(state["orders"]), len(state["notices"]), len(state["accounts"]))
            del state
            decode, _ = _ms(lambda: decode_state(blob))
            whole, _ = _ms(lambda: _view_and_free(views, stream, blob, amend, known, at))
        rows.append({"date": at, "api": api, "fold": fold, "view": whole - decode,
                     "decode": decode, "floor": whole, "entities": size,
                     "snapshot_bytes": len(blob)})
    return rows


def now_row(log, stream: str) -> dict:
    """`state` now, its rows fetched, and the floor of one stored value holding the view."""
    from docket.stored.rows import read_rows, read_view
    from docket.views.state import view_fingerprint
    api, view = _ms(lambda: log.state(stream))
    with log.storage.reading():
        fetch, _ = _ms(lambda: read_rows(log.storage, stream))
        read, _ = _ms(lambda: read_view(log.storage, stream))
    printed, _ = _ms(lambda: view_fingerprint(view))
    blob = msgspec.msgpack.encode({k: v for k, v in view.items() if k != "fingerprint"})
    view = None  # freed before the decode is timed
    decode, _ = _ms(lambda: msgspec.msgpack.decode(blob))
    return {"api": api, "fetch": fetch, "shape": read - fetch - printed,
            "fingerprint": printed, "blob_decode": decode, "floor": decode + printed,
            "blob_bytes": len(blob)}


def main(n: int, db: str | None) -> str:
    EventLog, why = docket_side.load()
    if EventLog is None:
        raise SystemExit(f"docket: not available ({why})")
    events = generate(n + TAIL, seed=SEED)
    dates = asof_dates(events, random.Random(SEED + n), 5)
    stream = stream_names(1)[0]
    with tempfile.TemporaryDirectory() as d:
        path = Path(db) if db else Path(d) / "floor.db"
        log = EventLog(str(path))
        if log.storage.count() == 0:
            log.append(events)
        del events
        gc.collect()
        replay, _ = _ms(log.replay)
        lines = [f"{n:,} events (+{TAIL}), replay {replay:.0f} ms; as-of "
                 "(api = fold + view; floor = decode of a snapshot at the date + view):"]
        for r in asof_rows(log, stream, dates):
            o, no, a = r["entities"]
            lines.append(
                f"  {r['date']}  api {r['api']:.0f} ({r['api'] / replay:.1%})  fold "
                f"{r['fold']:.0f}  view {r['view']:.0f}  | floor {r['floor']:.0f} "
                f"({r['floor'] / replay:.1%}) = decode {r['decode']:.0f} + view "
                f"{r['view']:.0f}  [{o:,} orders, {no:,} notices, {a:,} accounts; "
                f"{r['snapshot_bytes'] / 1e6:.1f} MB]")
        r = now_row(log, stream)
        lines.append(
            f"  now: api {r['api']:.0f} = fetch {r['fetch']:.0f} + shape {r['shape']:.0f} + "
            f"fingerprint {r['fingerprint']:.0f}  | floor {r['floor']:.0f} = one msgpack "
            f"value of the view ({r['blob_bytes'] / 1e6:.1f} MB) decoded "
            f"{r['blob_decode']:.0f} + fingerprint {r['fingerprint']:.0f}")
        log.close()
    return "\n".join(lines)


if __name__ == "__main__":
    args = sys.argv[1:]
    path = None
    if "--db" in args:
        i = args.index("--db")
        path = args[i + 1]
        del args[i:i + 2]
    print(main(int(args[0].replace("_", "")) if args else 200_000, path))
