"""The PostgreSQL side of the stored views' tables: rows by key, snapshots, deadlines.

Rows are written many to a statement (one round trip per few hundred rows) and never
pipelined: psycopg's pipeline hangs on a statement larger than the socket buffer, and a
snapshot's state can be larger than that.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .postgres_text import load, load_rows, store
from .schema import TABLES, Table

__all__ = ["ViewTables"]

_ROWS_PER_STATEMENT = 500


def _name(column: str) -> str:
    return f'"{column}"'


def _placeholder(kind: str) -> str:
    # A BOOLEAN column takes the engine's 0/1 or True/False alike (int -> boolean casts
    # only explicitly), and is read back as 0/1, as SQLite gives it.
    return "%s::int::boolean" if kind == "bool" else "%s"


def _selected(t: Table, columns: Sequence[str] | None) -> tuple[str, tuple[int, ...]]:
    """The select list for `columns` (all by default) and the positions holding text."""
    kinds = {c.name: c.type for c in t.columns}
    names = tuple(columns or t.names)
    parts = [f"{_name(n)}::int" if kinds[n] == "bool" else _name(n) for n in names]
    return ", ".join(parts), tuple(i for i, n in enumerate(names) if kinds[n] == "text")


def _where(t: Table, n: int) -> str:
    return " AND ".join(f"{_name(c)} = %s" for c in t.key[:n]) or "TRUE"


class ViewTables:
    """The stored-view methods of `Storage` over a psycopg connection `self._conn` (mixed
    into `PostgresStorage`)."""

    def _rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._conn.execute(sql, params, binary=True).fetchall()

    def upsert(self, table: str, rows: Iterable[Sequence]) -> None:
        t = TABLES[table]
        width = len(t.key)
        # INSERT ... ON CONFLICT may not meet one key twice in a statement: the last wins,
        # as with SQLite's INSERT OR REPLACE one row after another.
        latest = {tuple(row[:width]): row for row in rows}
        if not latest:
            return
        values = "(" + ", ".join(_placeholder(c.type) for c in t.columns) + ")"
        rest = [c for c in t.names if c not in t.key]
        action = ("DO UPDATE SET " + ", ".join(f"{_name(c)} = EXCLUDED.{_name(c)}" for c in rest)
                  if rest else "DO NOTHING")
        head = (f"INSERT INTO {t.name} ({', '.join(map(_name, t.names))}) VALUES ")
        tail = f" ON CONFLICT ({', '.join(map(_name, t.key))}) {action}"
        todo = list(latest.values())
        for start in range(0, len(todo), _ROWS_PER_STATEMENT):
            chunk = todo[start:start + _ROWS_PER_STATEMENT]
            params = [store(v) for row in chunk for v in row]
            self._conn.execute(head + ", ".join([values] * len(chunk)) + tail, params)

    def delete(self, table: str, keys: Iterable[Sequence]) -> None:
        t = TABLES[table]
        keys = list(keys)
        cols = ", ".join(map(_name, t.key))
        one = "(" + ", ".join(["%s"] * len(t.key)) + ")"
        for start in range(0, len(keys), _ROWS_PER_STATEMENT):
            chunk = keys[start:start + _ROWS_PER_STATEMENT]
            self._conn.execute(
                f"DELETE FROM {t.name} WHERE ({cols}) IN (VALUES {', '.join([one] * len(chunk))})",
                [store(v) for key in chunk for v in key])

    def delete_prefix(self, table: str, prefix: Sequence) -> None:
        t = TABLES[table]
        self._conn.execute(f"DELETE FROM {t.name} WHERE {_where(t, len(prefix))}",
                           [store(v) for v in prefix])

    def select(self, table: str, prefix: Sequence = (),
               columns: Sequence[str] | None = None) -> list[tuple]:
        t = TABLES[table]
        listed, texts = _selected(t, columns)
        rows = self._rows(f"SELECT {listed} FROM {t.name} WHERE {_where(t, len(prefix))} "
                          f"ORDER BY {', '.join(map(_name, t.key))}", [store(v) for v in prefix])
        return load_rows(rows, texts)

    def get(self, table: str, key: Sequence, columns: Sequence[str] | None = None
            ) -> tuple | None:
        t = TABLES[table]
        listed, texts = _selected(t, columns)
        rows = self._rows(f"SELECT {listed} FROM {t.name} WHERE {_where(t, len(t.key))}",
                          [store(v) for v in key])
        return load_rows(rows, texts)[0] if rows else None

    def clear(self, table: str) -> None:
        self._conn.execute(f"DELETE FROM {TABLES[table].name}")

    def streams_in(self, table: str) -> list[tuple[str, int]]:
        return self._rows(f"SELECT stream, count(*) FROM {TABLES[table].name} "
                          "GROUP BY stream ORDER BY stream")

    def deadlines_between(self, stream: str, low: int, high: int) -> list[str]:
        return [load(k) for (k,) in self._rows(
            "SELECT order_id FROM docket_deadlines WHERE stream = %s AND end_us >= %s AND "
            "end_us < %s", (stream, low, high))]

    def snapshot_before(self, stream: str, known_seq: int, until_us: int
                        ) -> tuple[int, int, int, bytes] | None:
        rows = self._rows(
            "SELECT occurred_us, seq, log_seq, state FROM docket_snapshots WHERE stream = %s "
            "AND log_seq <= %s AND occurred_us <= %s ORDER BY occurred_us DESC, seq DESC "
            "LIMIT 1", (stream, known_seq, until_us))
        return rows[0] if rows else None

    def last_snapshot(self, stream: str) -> tuple[int, int, int, bytes] | None:
        rows = self._rows(
            "SELECT occurred_us, seq, folded, state FROM docket_snapshots WHERE stream = %s "
            "ORDER BY occurred_us DESC, seq DESC LIMIT 1", (stream,))
        return rows[0] if rows else None

    def drop_snapshots_from(self, stream: str, key: tuple[int, int]) -> None:
        self._conn.execute("DELETE FROM docket_snapshots WHERE stream = %s AND "
                           "(occurred_us, seq) >= (%s, %s)", (stream, *key))

    def drop_snapshots_at_seq(self, stream: str, seq: int) -> None:
        self._conn.execute("DELETE FROM docket_snapshots WHERE stream = %s AND seq = %s",
                           (stream, seq))

    def most_folded_snapshot(self, stream: str) -> int:
        rows = self._rows("SELECT max(folded) FROM docket_snapshots WHERE stream = %s",
                          (stream,))
        return rows[0][0] or 0
