"""How Docket's SQLite files keep their write-ahead log: the switch to WAL, durability, and
when the WAL is copied into the file."""

from __future__ import annotations

import sqlite3
import time

from .sqlite_errors import BUSY_TIMEOUT_MS

__all__ = ["WAL_AUTOCHECKPOINT", "switch_to_wal", "tune"]

# The commit that fills the WAL past this many pages copies them into the file (6-17 ms).
# An append writes ~16, mostly the same pages each time, so at SQLite's 1,000 one append in
# ~61 paid that, at 4,000 one in ~250 pays about the same (bench/README, "The WAL
# checkpointed every 4,000 pages").
WAL_AUTOCHECKPOINT = 4000  # pages (16 MB of WAL at SQLite's 4 KB pages)


def switch_to_wal(conn: sqlite3.Connection) -> None:
    """Switch a file to WAL (once per file). The switch needs the file to itself and
    SQLite does not wait for that, so a process racing others to create a file retries."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def tune(conn: sqlite3.Connection) -> None:
    """The connection's settings (neither writes to the file): every commit durable
    (`synchronous=FULL`), and the WAL's checkpoint above."""
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
