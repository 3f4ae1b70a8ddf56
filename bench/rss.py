"""Peak memory of a full replay, measured in a fresh child process.

    python -m bench.rss {docket|eventsourcing|raw|limit} PATH

prints one JSON object: `baseline_kb` (peak RSS after imports and opening the store, before
the replay), `peak_kb` (peak RSS after the replay: a high-water mark, `VmHWM`),
`seconds` of the replay. A streamed replay keeps `peak_kb - baseline_kb` flat as the log
grows; one that loads the log grows with it.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _kb() -> int:
    """Peak resident set size of this process so far, in kilobytes.

    Linux's `ru_maxrss` survives `execve`, so a child spawned by a large parent starts with
    the parent's high-water mark; `VmHWM` belongs to the new address space and does not.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def main(kind: str, path: str) -> dict:
    if kind == "docket":
        from .docket_side import DocketSide, load

        EventLog, why = load()
        if EventLog is None:
            raise SystemExit(f"docket: not available ({why})")
        store: object = DocketSide(EventLog, path)
        run = store.replay  # type: ignore[attr-defined]
    elif kind == "eventsourcing":
        from .peers import EsPeer

        store = EsPeer(path)
        run = store.replay_log
    elif kind == "raw":
        from .peers import RawPeer

        store = RawPeer(path)
        run = store.replay
    elif kind == "limit":
        from .limit import LimitPeer

        store = LimitPeer(path)
        run = store.replay
    else:
        raise SystemExit(f"unknown store {kind!r}")
    base = _kb()
    t = time.perf_counter()
    run()
    seconds = time.perf_counter() - t
    return {"baseline_kb": base, "peak_kb": _kb(), "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
