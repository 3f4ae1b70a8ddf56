"""Docket under test, through its public Python API (SPEC §8) and its `docket` command.

Everything here goes through what a user has: `EventLog(path)`, `append`, `replay`, `rebuild`,
`state(..., as_of=...)`, `verify`, `checkpoint`, and the `docket` executable installed next
to the running interpreter. If `docket` cannot be imported (not installed, or not written
yet), `load()` says why and the harness runs the peers alone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["load", "DocketSide", "cli_path", "child_env"]

_SRC = Path(__file__).resolve().parents[1] / "src"
_added_src = False


def load() -> tuple[Any, str | None]:
    """Return (`EventLog`, None), or (None, the reason Docket is not available)."""
    global _added_src
    try:
        from docket import EventLog  # noqa: PLC0415

        return EventLog, None
    except Exception as exc:  # not installed: try the checkout's src/ next
        first = f"{type(exc).__name__}: {exc}"
    if _SRC.is_dir() and str(_SRC) not in sys.path:
        sys.path.insert(0, str(_SRC))
        _added_src = True
        for mod in [m for m in sys.modules if m == "docket" or m.startswith("docket.")]:
            del sys.modules[mod]
        try:
            from docket import EventLog  # noqa: PLC0415

            return EventLog, None
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"
    return None, first


def child_env() -> dict[str, str]:
    """Environment for child processes, so they import the same Docket (and `bench`)."""
    env = dict(os.environ)
    paths = [str(Path(__file__).resolve().parents[1])]
    if _added_src:
        paths.insert(0, str(_SRC))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def cli_path() -> Path | None:
    """The `docket` executable next to the running interpreter, if installed."""
    p = Path(sys.executable).parent / "docket"
    return p if p.exists() else None


def _find_sync(obj: Any) -> int | None:
    """Best effort: `PRAGMA synchronous` of the log's own connection (2 = FULL)."""
    seen = [obj] + list(vars(obj).values()) if hasattr(obj, "__dict__") else [obj]
    for v in list(seen):
        for cand in (v, getattr(v, "conn", None), getattr(v, "_conn", None), getattr(v, "db", None)):
            if isinstance(cand, sqlite3.Connection):
                try:
                    return int(cand.execute("PRAGMA synchronous").fetchone()[0])
                except Exception:
                    return None
        if hasattr(v, "__dict__") and v is not obj:
            for w in vars(v).values():
                if isinstance(w, sqlite3.Connection):
                    try:
                        return int(w.execute("PRAGMA synchronous").fetchone()[0])
                    except Exception:
                        return None
    return None


class DocketSide:
    """One Docket log file and the measurements made on it."""

    name = "docket"

    def __init__(self, EventLog: Any, path: str):
        self.path = path
        self.log = EventLog(path)

    def synchronous(self) -> int | None:
        return _find_sync(self.log)

    def append_batch(self, events: list[dict]) -> None:
        self.log.append(events)

    def append_one(self, event: dict) -> None:
        self.log.append([event])

    def replay(self) -> None:
        """A full replay into all views: every stream folded from its first event into its
        SPEC §5 state view (compliance rows, accounts, notices, fingerprint), in memory, as
        the peers' replays are; no stored view or snapshot is read."""
        self.log.replay()

    def rebuild(self) -> None:
        """A replay that also rewrites the stored view tables, fold state and snapshots."""
        self.log.rebuild()

    def state(self, stream: str, as_of: str | None = None) -> Any:
        return self.log.state(stream, as_of=as_of)

    def verify(self) -> Any:
        # The chain check alone (the target is in events/s of the hash chain); a full
        # verify also refolds every stream, which the replay figure measures.
        return self.log.verify(views=False)

    def checkpoint(self) -> Any:
        return self.log.checkpoint()

    def close(self) -> None:
        close = getattr(self.log, "close", None)
        if callable(close):
            close()


def cli_append(exe: Path, db: str, events: list[dict]) -> dict:
    """Wall time of `docket append -` for one event each, run as a user would from a shell.

    Every event but the last is timed; returns the median and all runs. The last event is
    appended under `PYTHONPROFILEIMPORTTIME=1` (the report of `python -X importtime`), and
    the slowest top-level imports of that run are returned too.
    """
    env = child_env()
    env["DOCKET_DB"] = db
    walls = []
    for ev in events[:-1]:
        line = json.dumps(ev) + "\n"
        t = time.perf_counter()
        r = subprocess.run([str(exe), "append", "-"], input=line, env=env,
                           capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise RuntimeError(f"docket append exited {r.returncode}: {r.stderr.strip()[:300]}")
    out: dict[str, Any] = {"median_s": statistics.median(walls), "runs_s": walls}
    try:  # what the one-event command spends importing (issue 7: lazy imports)
        env2 = dict(env, PYTHONPROFILEIMPORTTIME="1")
        r = subprocess.run([str(exe), "append", "-"], input=json.dumps(events[-1]) + "\n",
                           env=env2, capture_output=True, text=True)
        top = []
        for raw in r.stderr.splitlines():
            if not raw.startswith("import time:") or "|" not in raw:
                continue
            parts = raw.split("|")
            name = parts[2]
            if name.startswith("  ") or not parts[1].strip().isdigit():
                continue  # nested import, or the header
            top.append((int(parts[1]), name.strip()))
        top.sort(reverse=True)
        out["import_total_us"] = sum(us for us, _ in top)
        out["import_top_us"] = [[n, us] for us, n in top[:8]]
    except Exception as exc:  # pragma: no cover
        out["import_error"] = str(exc)
    return out
