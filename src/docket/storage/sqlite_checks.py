"""The SQLite backend's checks of its own file: SQLite's integrity checks (`verify`, and
before the first write of each open log), and reading rows whose text is damaged."""

from __future__ import annotations

import re

import sqlite3

from .sqlite_ddl import TRIGGERS

__all__ = ["Checks", "Damaged"]


class Damaged(str):
    """Text of a damaged row that is not UTF-8, read with U+FFFD in place of each bad byte."""


def _text(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return Damaged(raw.decode(errors="replace"))


class Checks:
    """The check methods of `SQLiteStorage` (a mixin: it uses the storage's connection)."""

    _conn: sqlite3.Connection

    def all_refs(self) -> list[tuple[str, str, str, int]]:
        return self._conn.execute("SELECT stream, kind, ref_id, seq FROM refs").fetchall()

    def integrity_problems(self) -> list[str]:
        return self._pragma_check("integrity_check")

    def quick_check(self) -> list[str]:
        return self._pragma_check("quick_check")

    def _pragma_check(self, pragma: str) -> list[str]:
        # At most 100 lines: one damaged page can make SQLite list thousands.
        try:
            # Its findings may quote damaged text that is not UTF-8.
            rows = [str(row[0]) for row in self._lenient(f"PRAGMA {pragma}(100)", ())]
        except sqlite3.DatabaseError as exc:  # too damaged for the check to finish
            return [f"SQLite's {pragma} stopped: {exc}"]
        except UnicodeDecodeError:  # ... with a message quoting bytes that are not text
            return [f"SQLite's {pragma} stopped: database disk image is malformed"]
        if rows == ["ok"]:
            return []
        # A finding may span lines, the first naming the schema ("*** in database main ***").
        lines = [line for row in rows for line in row.splitlines()
                 if line.strip() and not line.startswith("*** in database")]
        return [f"SQLite's {pragma}: {line}" for line in lines]

    def _lenient(self, sql: str, args: tuple) -> list[tuple]:
        """The rows of `sql`, with any text that is not UTF-8 read as `Damaged`."""
        self._conn.text_factory = _text
        try:
            return self._conn.execute(sql, args).fetchall()
        finally:
            self._conn.text_factory = str

    def immutability_problems(self) -> list[tuple[str, str]]:
        found = dict(self._conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        out = []
        for name in TRIGGERS:
            table, _, op = name.partition("_no_")
            sql = " ".join((found.get(name) or "").split())
            # The whole statement, not a part of it: a `WHEN 0` or a second statement in the
            # body would keep the words and refuse nothing.
            refusing = re.fullmatch(
                rf'CREATE TRIGGER (IF NOT EXISTS )?"?{name}"? BEFORE {op} ON "?{table}"? '
                r"BEGIN SELECT RAISE\(ABORT, '[^']*'\); END", sql, re.IGNORECASE)
            if name not in found:
                out.append((name, f"missing: nothing refuses {op.upper()} on `{table}`"))
            elif refusing is None:
                out.append((name, f"does not refuse {op.upper()} on `{table}` (its SQL: "
                                  f"{found[name]})"))
        return out
