"""SQLite's errors in the user's words: which file, and what to do about it."""

from __future__ import annotations

import os

from ..errors import DamagedDatabase, StorageError
from .busy import busy_timeout

__all__ = ["BUSY_TIMEOUT_MS", "BUSY_TIMEOUT_PROBLEM", "storage_error", "Closed"]


# How long a writer waits for another writer before giving up with a clear error.
# (Read once, when Docket is imported; refused when a log is opened, not at the import.)
BUSY_TIMEOUT_MS, BUSY_TIMEOUT_PROBLEM = busy_timeout()


def _disk_full(path: str) -> bool:
    """True when the file system holding `path` has (next to) no space left."""
    try:
        fs = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < 64 * 1024


def storage_error(path: str, exc: BaseException) -> StorageError:
    if isinstance(exc, UnicodeDecodeError):
        # SQLite's message quoted bytes of a damaged page, which Python cannot decode.
        exc = Exception("database disk image is malformed")
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            f"database {path} is locked by another writer (waited {BUSY_TIMEOUT_MS} ms; "
            "set DOCKET_BUSY_TIMEOUT_MS to wait longer)"
        )
    if "malformed" in text or "Could not decode to UTF-8" in text:
        # The second: text SQLite hands back (here, of its own schema) is not UTF-8, which
        # only damage makes it (an auditor's flipped bytes hit a column name).
        # SQLITE_CORRUPT: a SQLite file whose pages do not hold together (flipped bytes, a
        # truncated copy): damaged, not foreign.
        return DamagedDatabase(f"database {path} is damaged (SQLite says: {text}); restore it "
                               "from a backup or an export (`docket verify` says what it can "
                               "still read)", text)
    if "not a database" in text:
        return StorageError(f"{path} is not a Docket database (not a SQLite file, or one "
                            f"whose first page is damaged; SQLite says: {text})")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"database {path} is read-only ({text})")
    if "full" in text or ("I/O error" in text and _disk_full(path)):
        # On a full disk SQLite may only say "disk I/O error" (it cannot size the -shm file).
        return StorageError(f"database {path}: disk or database is full ({text})")
    if "unable to open" in text:
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(folder) and not os.access(folder, os.W_OK):
            # WAL mode needs the -wal and -shm files beside the database.
            return StorageError(f"cannot open database {path}: its folder {folder} is "
                                f"read-only, and the log needs to write its -wal and -shm "
                                f"files there ({text})")
        return StorageError(f"cannot open database {path} ({text}); does its folder exist?")
    return StorageError(f"database {path}: {text}")


class Closed:
    """Stands in for the connection of a closed storage: any use is a clear error."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str):
        raise StorageError(f"the log {self._path} is closed")


