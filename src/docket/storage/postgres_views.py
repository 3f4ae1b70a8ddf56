"""The PostgreSQL side of the stored views' tables: rows by key, snapshots, deadlines.

Every write goes through the write buffer (`docket.storage.postgres_buffer`). Rows are
written a table at a time from column arrays (`unnest`): one statement text per table
(parsed and prepared once), whatever the row count.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .postgres_buffer import WriteBuffer
from .postgres_text import load, load_rows, store
from .schema import TABLES, Table

__all__ = ["ViewTables"]

_ARRAY_TYPES = {"text": "text", "json": "text", "int": "bigint", "bool": "bigint",
                "real": "float8", "blob": "bytea"}


def _name(column: str) -> str:
    return f'"{column}"'


def _selected(t: Table, columns: Sequence[str] | None) -> tuple[str, tuple[int, ...]]:
    """The select list for `columns` (all by default) and the positions holding text. A
    BOOLEAN column is read as 0/1, as SQLite gives it."""
    kinds = {c.name: c.type for c in t.columns}
    names = tuple(columns or t.names)
    parts = [f"{_name(n)}::int" if kinds[n] == "bool" else _name(n) for n in names]
    return ", ".join(parts), tuple(i for i, n in enumerate(names) if kinds[n] == "text")


def _where(t: Table, n: int) -> str:
    return " AND ".join(f"{_name(c)} = %s" for c in t.key[:n]) or "TRUE"


def _array(kind: str, values) -> list:
    """One column's values as its array parameter holds them (one Python type per array)."""
    if kind == "text":
        return [store(v) for v in values]
    if kind == "real":
        return [None if v is None else float(v) for v in values]
    if kind == "bool":
        return [None if v is None else int(v) for v in values]
    return list(values)


def _unnest(t: Table, names: Sequence[str]) -> str:
    kinds = {c.name: c.type for c in t.columns}
    arrays = ", ".join(f"%s::{_ARRAY_TYPES[kinds[n]]}[]" for n in names)
    return f"unnest({arrays}) AS u({', '.join(map(_name, names))})"


def _upsert_sql(t: Table) -> str:
    rest = [c for c in t.names if c not in t.key]
    action = ("DO UPDATE SET " + ", ".join(f"{_name(c)} = EXCLUDED.{_name(c)}" for c in rest)
              if rest else "DO NOTHING")
    picked = ", ".join(f"u.{_name(c.name)}::int::boolean" if c.type == "bool"
                       else f"u.{_name(c.name)}" for c in t.columns)
    return (f"INSERT INTO {t.name} ({', '.join(map(_name, t.names))}) SELECT {picked} FROM "
            f"{_unnest(t, t.names)} ON CONFLICT ({', '.join(map(_name, t.key))}) {action}")


_UPSERT = {name: _upsert_sql(t) for name, t in TABLES.items()}
_DELETE = {name: f"DELETE FROM {name} WHERE ({', '.join(map(_name, t.key))}) IN "
                 f"(SELECT * FROM {_unnest(t, t.key)})" for name, t in TABLES.items()}


class ViewTables(WriteBuffer):
    """The stored-view methods of `Storage` over a psycopg connection `self._conn` (mixed
    into `PostgresStorage`)."""

    # -- the tables -----------------------------------------------------------------------------
    def upsert(self, table: str, rows: Iterable[Sequence]) -> None:
        t = TABLES[table]
        width = len(t.key)
        # ON CONFLICT may not meet one key twice in a statement: the last row wins, as with
        # SQLite's INSERT OR REPLACE one row after another.
        latest = list({tuple(row[:width]): row for row in rows}.values())
        if not latest:
            return
        params = [_array(c.type, values) for c, values in zip(t.columns, zip(*latest))]
        self._write((table,), _UPSERT[table], params, len(latest))

    def delete(self, table: str, keys: Iterable[Sequence]) -> None:
        t = TABLES[table]
        keys = list(keys)
        if not keys:
            return
        kinds = {c.name: c.type for c in t.columns}
        params = [_array(kinds[k], values) for k, values in zip(t.key, zip(*keys))]
        self._write((table,), _DELETE[table], params, len(keys))

    def delete_prefix(self, table: str, prefix: Sequence) -> None:
        t = TABLES[table]
        self._write((table,), f"DELETE FROM {t.name} WHERE {_where(t, len(prefix))}",
                    [store(v) for v in prefix])

    def select(self, table: str, prefix: Sequence = (),
               columns: Sequence[str] | None = None) -> list[tuple]:
        t = TABLES[table]
        listed, texts = _selected(t, columns)
        rows = self._rows(f"SELECT {listed} FROM {t.name} WHERE {_where(t, len(prefix))} "
                          f"ORDER BY {', '.join(map(_name, t.key))}", [store(v) for v in prefix],
                          (table,))
        return load_rows(rows, texts)

    def get(self, table: str, key: Sequence, columns: Sequence[str] | None = None
            ) -> tuple | None:
        return self._run(self._plan_get(table, key, columns))

    def _plan_get(self, table: str, key: Sequence, columns: Sequence[str] | None = None):
        t = TABLES[table]
        listed, texts = _selected(t, columns)
        return (f"SELECT {listed} FROM {t.name} WHERE {_where(t, len(t.key))}",
                [store(v) for v in key], (table,),
                lambda rows: load_rows(rows, texts)[0] if rows else None)

    def get_many(self, table: str, prefix: Sequence, keys: Sequence,
                 columns: Sequence[str]) -> list[tuple]:
        if not keys:
            return []
        t = TABLES[table]
        rest = t.key[len(prefix):]
        kinds = {c.name: c.type for c in t.columns}
        listed, texts = _selected(t, (*rest, *columns))
        where = "".join(f"{_name(c)} = %s AND " for c in t.key[:len(prefix)])
        arrays = [_array(kinds[c], values) for c, values in zip(rest, zip(*keys))]
        rows = self._rows(f"SELECT {listed} FROM {t.name} WHERE {where}"
                          f"({', '.join(map(_name, rest))}) IN (SELECT * FROM {_unnest(t, rest)})",
                          [*(store(v) for v in prefix), *arrays], (table,))
        return load_rows(rows, texts)

    def clear(self, table: str) -> None:
        self._write((table,), f"DELETE FROM {TABLES[table].name}")

    def streams_in(self, table: str) -> list[tuple[str, int]]:
        return self._rows(f"SELECT stream, count(*) FROM {TABLES[table].name} "
                          "GROUP BY stream ORDER BY stream", (), (table,))

    def deadlines_between(self, stream: str, low: int, high: int) -> list[str]:
        return [load(k) for (k,) in self._rows(
            "SELECT order_id FROM docket_deadlines WHERE stream = %s AND end_us >= %s AND "
            "end_us < %s", (stream, low, high), ("docket_deadlines",))]

    def snapshot_before(self, stream: str, known_seq: int, until_us: int
                        ) -> tuple[int, int, int, bytes] | None:
        rows = self._rows(
            "SELECT occurred_us, seq, log_seq, state FROM docket_snapshots WHERE stream = %s "
            "AND log_seq <= %s AND occurred_us <= %s ORDER BY occurred_us DESC, seq DESC "
            "LIMIT 1", (stream, known_seq, until_us), ("docket_snapshots",))
        return rows[0] if rows else None

    def last_snapshot(self, stream: str) -> tuple[int, int, int, bytes] | None:
        rows = self._rows(
            "SELECT occurred_us, seq, folded, state FROM docket_snapshots WHERE stream = %s "
            "ORDER BY occurred_us DESC, seq DESC LIMIT 1", (stream,), ("docket_snapshots",))
        return rows[0] if rows else None

    def drop_snapshots_from(self, stream: str, key: tuple[int, int]) -> None:
        self._write(("docket_snapshots",), "DELETE FROM docket_snapshots WHERE stream = %s "
                    "AND (occurred_us, seq) >= (%s, %s)", (stream, *key))

    def drop_snapshots_at_seq(self, stream: str, seq: int) -> None:
        self._write(("docket_snapshots",), "DELETE FROM docket_snapshots WHERE stream = %s "
                    "AND seq = %s", (stream, seq))

    def most_folded_snapshot(self, stream: str) -> int:
        return self._run(self._plan_most_folded_snapshot(stream))

    def _plan_most_folded_snapshot(self, stream: str):
        return ("SELECT max(folded) FROM docket_snapshots WHERE stream = %s", (stream,),
                ("docket_snapshots",), lambda rows: rows[0][0] or 0)

    # -- the other tables beside the log: signed checkpoints, and refs for the audit ----
    def insert_checkpoint(self, size: int, note: str) -> None:
        self._write(("docket_checkpoints",), "INSERT INTO docket_checkpoints (size, note) "
                    "VALUES (%s, %s)", (size, note))

    def checkpoints(self) -> list[tuple[int, str]]:
        return self._log_rows("SELECT size, note FROM docket_checkpoints ORDER BY position", (),
                              ("docket_checkpoints",))

    def all_refs(self) -> list[tuple[str, str, str, int]]:
        # Every row, of every stream: a ghost stream's too (what lets verify report it).
        return load_rows(self._log_rows("SELECT stream, kind, ref_id, seq FROM refs", ()),
                         (2,))
