"""PostgreSQL's errors in the user's words, and connection strings without their password.

A URL's password never reaches a message: `Url.location` is the URL without it (what every
message names), and `Url.scrub` blanks it out of any text a driver error carries.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import errors as pgerr

from ..errors import StorageError, Unavailable, UsageError
from .busy import busy_timeout
from .postgres_ddl import CLASS_ID

__all__ = ["Url", "busy_timeout_ms", "connect_error", "storage_error", "Closed"]


def busy_timeout_ms() -> int:
    """How long a writer waits for the log's write lock (DOCKET_BUSY_TIMEOUT_MS, read as on
    SQLite), read at each open so a process may change it; a value SQLite would refuse is a
    StorageError naming the variable."""
    ms, problem = busy_timeout()
    if problem is not None:
        raise StorageError(problem)
    return ms


class Url:
    """A `postgresql://` URL: checked, and named without its password."""

    def __init__(self, url: str) -> None:
        self.url = url
        # The password after `user:` and in a `password=` parameter, found without parsing
        # (a malformed URL is named in its error too, without them).
        userinfo = re.match(r"^[a-z]+://([^@/?#]*)@", url)
        self._secrets = [s for s in (
            userinfo[1].partition(":")[2] if userinfo else "",
            *re.findall(r"[?&]password=([^&#]*)", url)) if s]
        location = re.sub(r"^([a-z]+://[^:@/?#]*):[^@/?#]*@", r"\1@", url)
        self.location = re.sub(r"([?&])password=[^&#]*&?", r"\1", location).rstrip("?&")
        try:
            params = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise UsageError(f"malformed PostgreSQL URL {self.location}: "
                             f"{self.scrub(_first_line(exc))} (expected "
                             "postgresql://USER@HOST:PORT/DATABASE)") from None
        if not params.get("dbname"):
            raise UsageError(f"malformed PostgreSQL URL {self.location}: it names no database "
                             "(expected postgresql://USER@HOST:PORT/DATABASE)")
        port = str(params.get("port") or "")
        if port and not all(p.strip().isdigit() for p in port.split(",")):
            raise UsageError(f"malformed PostgreSQL URL {self.location}: port {port!r} is not "
                             "a number (expected postgresql://USER@HOST:PORT/DATABASE)")
        self.dbname = params["dbname"]
        self.user = params.get("user")

    def scrub(self, text: str) -> str:
        """`text` with the URL's password (raw or percent-decoded) blanked out."""
        text = text.replace(self.url, self.location)
        for secret in self._secrets:
            for form in {secret, _unquote(secret)}:
                text = text.replace(form, "***")
        return text


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def connect_error(url: Url, exc: BaseException) -> StorageError:
    """The StorageError for a connection that could not be made."""
    text = url.scrub(_first_line(exc))
    where = url.location
    low = text.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return StorageError(f"PostgreSQL at {where} refused the password of user "
                            f"{url.user or 'given'} ({text})")
    if re.search(r'\brole "[^"]*" does not exist', low):  # reached: not Unavailable
        return StorageError(f"PostgreSQL at {where} has no role {url.user or 'given'!r} (an "
                            f"administrator creates it: CREATE ROLE ... LOGIN) ({text})")
    if "does not exist" in low and "database" in low:
        return StorageError(f"no database {url.dbname!r} on the PostgreSQL server at {where} "
                            "(an administrator creates it: CREATE DATABASE)")
    if "permission denied" in low or "not permitted" in low or "authentication" in low:
        return StorageError(f"PostgreSQL at {where} refused the connection ({text})")
    return Unavailable(f"database unavailable: cannot reach the PostgreSQL server of {where} "
                       f"({text})")


def storage_error(url: Url, exc: BaseException, broken: bool = False,
                  committing: bool = False, writing: bool = True) -> StorageError:
    """The StorageError for a driver error met inside a transaction; `broken`: the
    connection was lost meanwhile; `committing`: while committing (the server may or may not
    have kept the transaction); `writing`: in a write transaction (a lost read says nothing
    of writes)."""
    text = url.scrub(_first_line(exc))
    where = url.location
    if isinstance(exc, pgerr.LockNotAvailable):
        return StorageError(
            f"database {where}: the log's write lock is held by another writer (waited "
            f"{busy_timeout()[0]} ms; set DOCKET_BUSY_TIMEOUT_MS to wait longer; pg_locks "
            f"shows the holder: locktype 'advisory', classid {CLASS_ID})")
    if broken or isinstance(exc, (pgerr.AdminShutdown, pgerr.CannotConnectNow,
                                  pgerr.ConnectionException)) or (
            isinstance(exc, psycopg.OperationalError) and not isinstance(
                exc, pgerr.QueryCanceled)):
        if committing:
            return Unavailable(
                f"database unavailable: the connection to {where} was lost while committing "
                f"({text}); the server may or may not have kept the batch: read the log, then "
                "append again (events with ids are kept once)")
        return Unavailable(f"database unavailable: the connection to {where} was lost "
                           f"({text}){'; nothing was written' if writing else ''}")
    if isinstance(exc, pgerr.InsufficientPrivilege):
        return StorageError(f"database {where}: permission denied ({text}); see README "
                            "'Teams' for what the administrator grants")
    if isinstance(exc, pgerr.DiskFull):
        return StorageError(f"database {where}: the server's disk is full ({text})")
    if isinstance(exc, pgerr.ReadOnlySqlTransaction):
        return StorageError(f"database {where} is read-only ({text})")
    return StorageError(f"database {where}: {text}")


class Closed:
    """Stands in for the connection of a closed storage: any use is a clear error."""

    closed = True
    broken = False

    def __init__(self, where: str) -> None:
        self._where = where

    def __getattr__(self, name: str):
        raise StorageError(f"the log {self._where} is closed")
