"""What a late event costs (issue 16): on an N-event log of the workload, five durable single
appends — a block backdated a year, an in-order statement, a retraction of an old block, a
correction of an old block's data, a correction moving an old block a year back — then the
as-of query at five random dates on the amended log, against a full replay.

    python -m bench.late [N]          # default 200,000 events; nothing asserted

Prints one line of milliseconds. See bench/README.md (issue 16).
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import docket_side
from .workload import generate


def _stamp(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def cases(events: list[dict]) -> list[tuple[str, dict]]:
    """The five late appends on top of `events` (the log's content)."""
    last = events[-1]["occurred_at"]
    blocks = [e for e in events if e["type"] == "accounts_blocked" and e["data"].get("targets")]
    old, other = blocks[len(blocks) // 10], blocks[len(blocks) // 5]
    order = old["data"]["order_id"]
    issued = next(e for e in events if e["type"] == "order_issued"
                  and e["data"]["order_id"] == order)
    when = _stamp(max(_when(last) - dt.timedelta(days=365), _when(issued["occurred_at"])))
    stream = old["stream"]

    def ev(kind, ident, at, **data):
        return {"type": kind, "stream": stream, "id": ident, "occurred_at": at, "data": data}

    return [
        ("backdated block", ev("accounts_blocked", "late-1", when, order_id=order, count=1)),
        ("in-order statement", ev("statement_published", "now-1", last, speaker="x",
                                  summary="y")),
        ("retraction", ev("event_retracted", "r-1", last, target_id=old["id"], reason="no")),
        ("correction of data", ev("event_corrected", "c-1", last, target_id=other["id"],
                                  reason="fewer", data={**other["data"],
                                                        "targets": other["data"]["targets"][:1]})),
        ("correction moving it", ev("event_corrected", "c-2", last,
                                    target_id=blocks[len(blocks) // 3]["id"], reason="date",
                                    occurred_at=when)),
    ]


def main(n: int) -> str:
    EventLog, why = docket_side.load()
    if EventLog is None:
        raise SystemExit(f"docket: not available ({why})")
    events = generate(n)
    gc.collect()
    gc.freeze()
    with tempfile.TemporaryDirectory() as d:
        log = EventLog(str(Path(d) / "late.db"))
        log.append(events)
        out = []
        for label, event in cases(events):
            t = time.perf_counter()
            log.append([event])
            out.append(f"{label} {(time.perf_counter() - t) * 1000:.0f} ms")
        rng = random.Random(n)
        lo, hi = _when(events[0]["occurred_at"]), _when(events[-1]["occurred_at"])
        stream = events[0]["stream"]
        asof = []
        for _ in range(5):
            at = _stamp(lo + (hi - lo) * rng.random())
            t = time.perf_counter()
            log.state(stream, as_of=at)
            asof.append(time.perf_counter() - t)
        t = time.perf_counter()
        log.replay()
        replay = time.perf_counter() - t
        log.close()
    med = statistics.median(asof)
    return (f"{n:,} events: " + ", ".join(out) + f"; as-of median {med * 1000:.0f} ms "
            f"({med / replay:.1%} of a {replay:.2f} s replay)")


if __name__ == "__main__":
    print(main(int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 200_000))
