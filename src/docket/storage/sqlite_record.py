"""The record, beside a SQLite log, that its files passed SQLite's quick check as they are now.

A write refuses a damaged file (issue 20), and the check reads the whole file: at 200,000
events it cost 128 ms of a `docket append` that otherwise takes 80 ms. Damage comes from
outside SQLite (a copy cut short, a program writing into the file, bytes flipped), and any
such write changes the file's change time (`st_ctime`, which no program can set back). So
the check is recorded in `<db>-checked` with the size, times and inode of the log's files,
and a writer that finds the files exactly as recorded skips it.

The record follows Docket's own writes: a writer that found the files as recorded when it
took the write lock records them again after it closed the log (its commits, and SQLite's
copy of the WAL into the file at the last close, are then part of a checked history). In
WAL mode a commit writes the WAL, not the database file, so a database file that changed
during a write transaction is not vouched for (someone else wrote it, or SQLite copied a
full WAL into it). Any other change (a write by another program, a writer that died before
closing, a long-lived log that has not closed yet) leaves the record behind the files, and
the next writer runs the check in full. So does a record whose check is more than
`MAX_AGE_S` old.

What it cannot tell from Docket's own writes, so that only `docket verify` (or the next full
check, within the hour) finds it: a change by another program while a Docket writer closes
the log (the last close copies the WAL into the file: milliseconds), or writes into the WAL
while a Docket writer holds the write lock; a change of the same size within one tick of
the file system's clock of Docket's last write; writes through a shared memory map, which
move the file's times only when the kernel first dirties a page after flushing it; damage by
the disk itself, which leaves the times alone; and a record rewritten by whoever damaged the
file. The record is a hint: missing, unreadable, stale or impossible to write (a read-only
folder), it costs only the check."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time

__all__ = ["CheckRecord", "MAX_AGE_S", "SUFFIX"]

SUFFIX = "-checked"
MAX_AGE_S = 3600.0  # a full check at least once an hour of writes


def _file_key(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class CheckRecord:
    """What one open SQLite log knows of its files' check (the storage's `_begin`, `_end`
    and `close` call it; it never raises)."""

    def __init__(self, path: str) -> None:
        self._db = os.path.realpath(path)
        self._file = self._db + SUFFIX
        self._checked_at: float | None = None  # the full check this history goes back to
        self._trusted: list | None = None  # the files as they were after a checked history

    def files(self) -> list:
        """The key of the log's files now: the database's and its WAL's size, times and
        inode. An empty WAL holds nothing (SQLite makes one at each open): as none."""
        wal = _file_key(self._db + "-wal")
        return [_file_key(self._db), wal if wal and wal[2] else None]

    def _read(self) -> tuple[list, float] | None:
        try:
            with open(self._file, encoding="utf-8") as fh:
                record = json.load(fh)
            return record["files"], float(record["checked_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write(self, files: list, checked_at: float) -> None:
        try:
            fd, tmp = tempfile.mkstemp(prefix=os.path.basename(self._file) + ".",
                                       dir=os.path.dirname(self._file))
        except OSError:  # a read-only folder: the next writer checks in full
            return
        try:
            # As readable as the log itself (mkstemp makes it the owner's only).
            os.fchmod(fd, stat.S_IMODE(os.stat(self._db).st_mode))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"files": files, "checked_at": checked_at}, fh)
            os.replace(tmp, self._file)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def recorded(self) -> bool:
        """True when the files are as a recent check (or a checked history) left them: the
        quick check may be skipped."""
        record = self._read()
        # A check dated in the future (the clock was set back) is as good as none.
        if record is None or not 0 <= time.time() - record[1] <= MAX_AGE_S:
            return False
        files = self.files()
        if files != record[0] or files[0] is None:
            return False
        self._trusted, self._checked_at = files, record[1]
        return True

    def passed(self, files_before: list) -> None:
        """The quick check found nothing, with the files as `files_before` before it ran:
        recorded, unless they changed while it ran."""
        files = self.files()
        if files == files_before and files[0] is not None:
            self._trusted, self._checked_at = files, time.time()
            self._write(files, self._checked_at)

    def write_began(self) -> None:
        """The write lock is held: the history stays checked only if nobody but Docket
        writers that recorded their writes changed the files since this log last saw them."""
        if self._checked_at is None:
            return
        files = self.files()
        if files == self._trusted:
            return
        record = self._read()
        if record is None or record[0] != files:
            self._trusted = self._checked_at = None
        else:
            self._trusted, self._checked_at = files, min(self._checked_at, record[1])

    def write_ended(self) -> None:
        """The write transaction committed or rolled back. In WAL mode its changes went to
        the WAL only, so a database file that changed meanwhile was written by someone
        else, or by SQLite copying a full WAL into it at the commit: either way not vouched
        for (the next writer checks in full; a copy comes once in ~250 appends)."""
        if self._checked_at is None:
            return
        files = self.files()
        if self._trusted is None or files[0] != self._trusted[0]:
            self._trusted = self._checked_at = None
        else:
            self._trusted = files

    def closing(self) -> bool:
        """Before the connection closes: whether the files are still as this log left them."""
        return self._checked_at is not None and self.files() == self._trusted

    def closed(self) -> None:
        """After the connection closed (SQLite may have copied the WAL into the file)."""
        if self._checked_at is not None and time.time() - self._checked_at <= MAX_AGE_S:
            self._write(self.files(), self._checked_at)
