"""Docket's exceptions. Library code raises them; only the CLI prints them."""

from __future__ import annotations

__all__ = [
    "DocketError",
    "InvalidEvent",
    "UnknownReference",
    "ConflictError",
    "StorageError",
    "AuditError",
    "InvalidProof",
    "UsageError",
]


class DocketError(Exception):
    """Base of every error Docket raises on purpose; `exit_code` is the CLI's."""

    exit_code = 1


class InvalidEvent(DocketError, ValueError):
    """Input that is not a valid event (the message names the line, event and field)."""


class UnknownReference(InvalidEvent):
    """An event that refers to an order, notice or event the stream does not have."""


class ConflictError(DocketError):
    """`expected_version` did not match the stream's current version; nothing was written."""

    exit_code = 3


class StorageError(DocketError, OSError):
    """The database cannot be opened, read or written (locked, read-only, full, foreign)."""


class AuditError(DocketError):
    """An audit found a problem (`verify`)."""


class InvalidProof(DocketError, ValueError):
    """A key, signed note, checkpoint or proof that is malformed or does not verify."""


class UsageError(DocketError):
    """The command needs something it was not given (e.g. which stream); exit code 2."""

    exit_code = 2
