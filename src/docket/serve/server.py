"""A log in Datasette, read-only: the check for the `serve` extra, Datasette's metadata, and
a server bound to its address before it starts (so port 0 can say which port it got).

Datasette opens the file the way it opens any file it is not told is immutable: each query
on a `mode=ro` connection, which cannot write, and which reads a WAL file as SQLite means it
to be read, commits still in the `-wal` file included, so events appended while it serves
show on the next page. (Immutable mode, `immutable=1`, would tell SQLite the file never
changes: no locks and no `-wal`, so a live log would show stale or torn pages.)
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Any

from ..errors import DocketError, InvalidArgument
from ..storage import is_url, open_storage
from ..storage.browse import CANNED_QUERIES
from ..storage.schema import INTERNAL_TABLES
from ..storage.sqlite import RECORDS_VIEW
from .docs import TABLE_DOCS, column_docs

__all__ = ["ServeUnavailable", "require_datasette", "metadata", "prepare_server", "Server",
           "HIDDEN_TABLES", "DATASETTE_FLOOR"]

DATASETTE_FLOOR = (0, 65)
"""The oldest Datasette whose metadata format this module writes (pyproject pins it too)."""

HIDDEN_TABLES = frozenset({"events", "refs", "docket_meta", "docket_checkpoints",
                           *INTERNAL_TABLES})
"""Tables Datasette leaves off its lists: the raw log (read `records`) and Docket's own."""

_INSTALL = "pip install 'docket[serve]'"

_QUERIES = {
    "compliance": ("Compliance across disputes",
                   "Every order of every stream as the stored views hold it now (all that "
                   "the log knows): blocked against target_count, status, notices and the "
                   "latest reported figures, sorted by issue time."),
    "stream_timeline": ("A stream's timeline",
                        "The events of one stream in replay order (occurred_at, then seq), "
                        "with the retractions and corrections that amend each. stream: "
                        "e.g. twitter-india-2021 (see view_streams)."),
    "recent": ("What changed recently",
               "The events the log recorded at or after since (a day, or an RFC 3339 time "
               "with its offset), newest first; since left blank: the latest 100."),
}


class ServeUnavailable(DocketError, ImportError):
    """`docket serve` cannot run here: Datasette (the `serve` extra) is missing or too old."""


def require_datasette() -> str:
    """The installed Datasette's version; ServeUnavailable when it is missing or too old."""
    try:
        import uvicorn  # noqa: F401  (Datasette's own server, installed with it)
        from datasette.version import __version__
    except ImportError:
        raise ServeUnavailable("docket serve needs Datasette, which is not installed: "
                               + _INSTALL) from None
    numbers = tuple(int(p) if p.isdigit() else 0 for p in __version__.split(".")[:2])
    if numbers < DATASETTE_FLOOR:
        floor = ".".join(map(str, DATASETTE_FLOOR))
        raise ServeUnavailable(f"docket serve needs Datasette {floor} or later (this is "
                               f"{__version__}): {_INSTALL}")
    return __version__


def metadata(name: str, title: str = "Docket") -> dict[str, Any]:
    """Datasette's metadata for a log served as database `name`: what every table, view and
    column holds, which tables to hide, and the canned queries."""
    tables: dict[str, dict[str, Any]] = {}
    for table, doc in TABLE_DOCS.items():
        entry: dict[str, Any] = {"description": doc[:1].upper() + doc[1:],
                                 "columns": column_docs(table)}
        if table in HIDDEN_TABLES:
            entry["hidden"] = True
        tables[table] = entry
    tables[RECORDS_VIEW]["facets"] = ["stream", "type"]
    tables["view_orders"]["facets"] = ["stream", "status"]
    queries = {}
    for key, (sql, params) in CANNED_QUERIES.items():
        heading, doc = _QUERIES[key]
        queries[key] = {"sql": sql, "title": heading, "description": doc,
                        "params": list(params)}
    about = ("Events of disputes between governments and online platforms over takedown "
             "orders, in an append-only log. `records` holds every event as recorded (one "
             "row per event, in seq order); the view_ tables hold each stream's views now, "
             "equal to a fresh replay at every commit. Read-only: nothing here can change "
             "the log.")
    return {"title": title, "description": about,
            "databases": {name: {"description": about, "tables": tables,
                                 "queries": queries}}}


def _database_name(path: str) -> str:
    """The name Datasette shows and routes the log by: the file's stem, as Datasette names
    a file (but never its `_internal`)."""
    stem = Path(path).stem
    return stem if stem and stem != "_internal" else "docket"


def _check_log(db: str) -> tuple[str, list[str]]:
    """The absolute path of the SQLite log at `db`, with notes for the reader; a log made
    before the `records` view gets it (DDL only: no event, row or hash changes)."""
    if is_url(db):
        raise InvalidArgument("db", "{arg}: docket serve opens a SQLite log (Datasette reads "
                                    "SQLite files), not a PostgreSQL database")
    path = os.path.abspath(db)
    if any(c in path for c in "?#%"):
        # Datasette puts the path into a `file:` URI without escaping it.
        raise InvalidArgument("db", f"{{arg}}: Datasette cannot open a path holding ?, # or "
                                    f"% ({path}); rename the file or link it from another name")
    from ..api import EventLog

    log = EventLog(db, create=False)  # refuses a missing, foreign or newer file
    try:
        stale = log.views_stale()
    finally:
        log.close()
    open_storage(db, create=True).close()  # adds only what a log made before it lacks
    notes = [f"{stale}; Datasette shows them as they are"] if stale else []
    return path, notes


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening on (host, port); port 0 picks a free one."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidArgument("host", f"{{arg}}: cannot listen on {host!r} "
                                      f"({getattr(exc, 'strerror', None) or exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRNOTAVAIL:  # not an address of this machine
            raise InvalidArgument("host", f"{{arg}}: cannot listen on {host} ({exc.strerror}): "
                                          "give an address of this machine") from None
        raise InvalidArgument("port", f"{{arg}}: cannot listen on {host} port {port} "
                                      f"({exc.strerror or exc}); give another port, or 0 for "
                                      "a free one") from None
    return sock


class Server:
    """Datasette serving one log on a bound socket: `url` is where, `run()` serves until
    interrupted (SIGINT or SIGTERM), `close()` gives the socket back unused."""

    def __init__(self, app, sock: socket.socket, url: str, notes: list[str]) -> None:
        self.app, self.socket, self.url, self.notes = app, sock, url, notes

    def run(self) -> None:
        """Serve until interrupted; the socket is closed afterwards."""
        import uvicorn

        config = uvicorn.Config(self.app, log_level="warning", access_log=False,
                                lifespan="on")
        try:
            uvicorn.Server(config).run(sockets=[self.socket])
        finally:
            self.close()

    def close(self) -> None:
        """Close the listening socket."""
        self.socket.close()


def prepare_server(db: str, host: str = "127.0.0.1", port: int = 8001) -> Server:
    """Datasette over the log at `db`, read-only, bound to (host, port) and not yet serving.

    Raises ServeUnavailable without the `serve` extra, StorageError for a missing or foreign
    file, InvalidArgument for an address it cannot listen on."""
    require_datasette()
    from datasette.app import Datasette
    from datasette.database import Database

    path, notes = _check_log(db)
    name = _database_name(path)
    ds = Datasette(metadata=metadata(name, title=f"Docket: {Path(path).name}"),
                   # Suggesting facets runs a distinct count over every column of every
                   # page shown: 1.3 s of each 1.4 s page of `records` at 200k events.
                   settings={"truncate_cells_html": 0, "suggest_facets": False})
    ds.add_database(Database(ds, path=path, is_mutable=True), name=name)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return Server(ds.app(), sock, f"http://{shown}:{bound}/", notes)
