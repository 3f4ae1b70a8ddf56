"""`EventLog`, the Python API of SPEC §8: the log with its stored views, queries and audit."""

from __future__ import annotations

from typing import Callable

from .errors import InvalidEvent
from .log import Log
from .replay import Selection
from .stored import StoredViews
from .times import parse_time, time_key
from .views import compliance_rows, reference_time

__all__ = ["EventLog"]


def _check_time(name: str, value: str | None) -> None:
    if value is not None:
        try:
            parse_time(value)
        except ValueError as exc:
            raise InvalidEvent(f"--{name.replace('_', '-')}: {exc}") from None


class EventLog(Log):
    """The log, its stored views and its audit, in one SQLite file.

    >>> log = EventLog("docket.db")                                  # doctest: +SKIP
    >>> log.append([{"type": "order_issued", ...}])                  # doctest: +SKIP
    >>> log.compliance("twitter-india-2021", as_of="2021-02-08")     # doctest: +SKIP
    """

    def __init__(self, path: str = "docket.db", *, create: bool = True) -> None:
        super().__init__(path, create=create)
        self.views = StoredViews(self.store)

    # -- views -------------------------------------------------------------------------
    def state(self, stream: str | None = None, as_of: str | None = None,
              known_at: str | None = None) -> dict:
        """SPEC §5 state of one stream (the only one when `stream` is None)."""
        _check_time("as_of", as_of)
        _check_time("known_at", known_at)
        with self.store.read() as conn:
            stream = self._one_stream(conn, stream)
            return self._state_view(conn, stream, Selection(conn, as_of, known_at))

    def _state_view(self, conn, stream: str, selection: Selection) -> dict:
        state, amend = self.views.state(conn, stream, selection)
        return self.views.view_of(conn, stream, state, amend, selection.known_seq,
                                  selection.as_of, selection.known_at)

    def compliance(self, stream: str | None = None, as_of: str | None = None,
                   known_at: str | None = None) -> list[dict]:
        """SPEC §5 compliance: one row per order (of every stream when `stream` is None)."""
        _check_time("as_of", as_of)
        _check_time("known_at", known_at)
        with self.store.read() as conn:
            streams = [stream] if stream is not None else self._streams(conn)
            if stream is not None:
                self._require_stream(conn, stream)
            selection = Selection(conn, as_of, known_at)
            rows = []
            for name in streams:
                state, _ = self.views.state(conn, name, selection)
                rows += compliance_rows(state, stream=name,
                                        ref_time_us=reference_time(state, as_of))
        rows.sort(key=lambda r: (time_key(r["issued_at"]), r["stream"], r["order_id"]))
        return rows

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild every stored view and snapshot from the log; returns the stream count."""
        with self.store.write() as conn:
            return self.views.rebuild(conn, progress)

    def count(self) -> int:
        """How many events the log holds."""
        return self.store.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    # -- helpers ---------------------------------------------------------------------------
    def _streams(self, conn) -> list[str]:
        return [r[0] for r in conn.execute("SELECT DISTINCT stream FROM events ORDER BY stream")]

    def _require_stream(self, conn, stream: str) -> None:
        if conn.execute("SELECT 1 FROM events WHERE stream = ? LIMIT 1", (stream,)).fetchone() is None:
            known = ", ".join(self._streams(conn)) or "none"
            raise InvalidEvent(f"--stream: no stream {stream!r} in the log (streams: {known})")

    def _one_stream(self, conn, stream: str | None) -> str:
        if stream is not None:
            self._require_stream(conn, stream)
            return stream
        streams = self._streams(conn)
        if len(streams) == 1:
            return streams[0]
        from .errors import UsageError

        raise UsageError("give --stream: the log holds "
                         + (f"{len(streams)} streams: {', '.join(streams)}" if streams
                            else "no streams"))
