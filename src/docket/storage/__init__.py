"""The databases a log lives in: `open_storage` picks the backend from where the log is.

A `postgresql://` (or `postgres://`) URL opens the PostgreSQL backend (the `postgres` extra);
anything else is the path of a SQLite file. Each backend holds all of its SQL.
"""

from __future__ import annotations

import os

from ..errors import StorageError
from .base import Storage

__all__ = ["Storage", "open_storage", "is_url"]


def is_url(location: str) -> bool:
    """True when `location` names a PostgreSQL server rather than a SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


def open_storage(location, *, create: bool = True) -> Storage:
    """The storage at `location` (a path, a URL, or an open `Storage`, returned as it is).

    `create`: make the log when there is none (write commands); reading commands pass False
    and get a clear StorageError instead, and never write."""
    if isinstance(location, Storage):
        return location
    location = os.fspath(location)
    if is_url(location):
        try:
            from .postgres import PostgresStorage
        except ImportError as exc:
            if "psycopg" in str(exc):
                raise StorageError("the PostgreSQL backend needs psycopg: install it with "
                                   "pip install 'docket[postgres]'") from None
            raise
        return PostgresStorage(location, create=create)
    if location in ("", ":memory:") or location.startswith("file:"):
        raise StorageError(f"cannot open a log at {location!r}: a log is a SQLite file (give "
                           "its path) or a postgresql:// URL; an in-memory log is not "
                           "supported (every connection would see another one)")
    from .sqlite import SQLiteStorage

    return SQLiteStorage(location, create=create)
