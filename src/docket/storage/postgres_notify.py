"""Followers woken by the server: LISTEN on a connection of their own, which the write
transactions' NOTIFY (sent with their commit) wakes. A wake-up only says "look again": the
follower always re-reads from its position, so a notification lost (the listener's
connection gone, a server restart) costs a wait, never an event."""

from __future__ import annotations

import threading
import time

import psycopg

__all__ = ["Listener"]


class Listener:
    """A connection LISTENing on `channel`, made on first use and again after it broke."""

    def __init__(self, url: str, channel: str) -> None:
        self._url, self._channel = url, channel
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def listen(self) -> bool:
        """Make sure the connection listens; False when the server cannot be reached."""
        with self._lock:
            if self._conn is not None and not self._conn.broken:
                return True
            self._drop()
            try:
                self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
                self._conn.execute(f"LISTEN {self._channel}")
            except psycopg.Error:
                self._drop()
                return False
            return True

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` s for a notification (without a connection: a short pause)."""
        conn = self._conn
        if conn is None:
            time.sleep(min(timeout, 0.2))
            return
        try:
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error:
            with self._lock:
                self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def close(self) -> None:
        """Close the connection (a later `listen` opens another)."""
        with self._lock:
            self._drop()
