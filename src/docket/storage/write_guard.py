"""What a storage checks before its first write: a damaged or unguarded log takes nothing.

Once per open storage, before its first write (on every write the database's check would
cost a read of the whole file: 0.27 s at 200k events), in a read transaction of its own so
that other writers are not held up while it runs:

- the database's own check (`Storage.quick_check`; SQLite skips it for files as a recorded
  check left them, `docket.storage.sqlite_record`);
- the checkpoint the log signed last is still there, at its size and head hash: a log that
  lost its last events, or whose event at that size was rewritten, must not take new ones,
  which would reuse those seqs and fork a checkpoint an auditor holds;
- the immutability triggers are all in place (`Storage.immutability_problems`): a log that
  lost one takes no event until someone has looked (`docket verify`), where it used to go
  on and only `checkpoint --sign` refused. An older log about to be upgraded is not asked:
  its first write makes the safeguards it lacks.

The rest of the chain is `docket verify`'s to check.
"""

from __future__ import annotations

__all__ = ["refusal_before_writing", "unsigned_tail"]


def refusal_before_writing(storage) -> str | None:
    """Why `storage` must not be written to (one message), or None. Inside a transaction."""
    problems = storage._damage_before_writing() or unsigned_tail(storage)
    if problems:
        return (f"database {storage.location} is damaged, so nothing was written: "
                f"{problems[0]}{_more(problems)}; `docket verify` says what it can still "
                "read; restore the log from a backup or an export")
    if storage._upgrade:
        return None
    unguarded = [f"trigger {name}: {what}" for name, what in storage.immutability_problems()]
    if unguarded:
        return (f"database {storage.location} lost a safeguard of its log, so nothing was "
                f"written: {unguarded[0]}{_more(unguarded)}; `docket verify` says whether "
                "anything was changed without it; then restore the log from a backup, or "
                "import its export into a new log")
    return None


def _more(found: list[str]) -> str:
    return f" (and {len(found) - 1} more)" if len(found) > 1 else ""


def unsigned_tail(storage) -> list[str]:
    """Whether the log still holds the checkpoint it signed last, at its size and head hash
    (one row); a line saying what is wrong, or []."""
    kept = storage.checkpoints()
    if not kept:
        return []
    size, note = kept[-1]
    if not size:
        return []
    head = next((line.split(" ", 1)[1] for line in note.split("\n\n", 1)[0].splitlines()
                 if line.startswith("docket-head ")), None)
    if head is None:
        return [f"the checkpoint it signed last (size {size}) has no docket-head line: "
                "its kept notes were changed"]
    rows = storage.last_rows(size, 1)
    if not rows or rows[0].seq != size:
        return [f"its event at seq {size}, the last of the checkpoint it signed last, is "
                f"missing (events were removed; its last seq is {storage.head().seq})"]
    if rows[0].hash != head:
        return [f"its event at seq {size} is not the one the checkpoint it signed last "
                "ends with (another hash)"]
    return []
