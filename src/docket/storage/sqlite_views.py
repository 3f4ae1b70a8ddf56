"""The SQLite side of the stored views' tables: rows by key, snapshots, deadlines."""

from __future__ import annotations

from typing import Iterable, Sequence

from .schema import TABLES

__all__ = ["ViewTables"]


# Bound values per statement of get_many: SQLite's limit before 3.32 (later ones allow more).
_MAX_BOUND = 999

# Each table's upsert and delete by key, written once: an append makes a dozen of them.
_UPSERT = {name: f"INSERT OR REPLACE INTO {t.name} ({','.join(t.names)}) "
                 f"VALUES ({','.join('?' * len(t.columns))})" for name, t in TABLES.items()}
_DELETE = {name: f"DELETE FROM {t.name} WHERE " + " AND ".join(f"{c} = ?" for c in t.key)
           for name, t in TABLES.items()}


class ViewTables:
    """The stored-view methods of `Storage` for a SQLite connection `self._conn` (mixed into
    `SQLiteStorage`)."""

    def upsert(self, table: str, rows: Iterable[Sequence]) -> None:
        rows = rows if isinstance(rows, list) else list(rows)
        if rows:  # an empty executemany still costs a statement's preparation
            self._conn.executemany(_UPSERT[table], rows)

    def delete(self, table: str, keys: Iterable[Sequence]) -> None:
        keys = keys if isinstance(keys, list) else list(keys)
        if keys:
            self._conn.executemany(_DELETE[table], keys)

    def delete_prefix(self, table: str, prefix: Sequence) -> None:
        t = TABLES[table]
        where = " AND ".join(f"{c} = ?" for c in t.key[:len(prefix)]) or "1"
        self._conn.execute(f"DELETE FROM {t.name} WHERE {where}", tuple(prefix))

    def select(self, table: str, prefix: Sequence = (),
               columns: Sequence[str] | None = None) -> list[tuple]:
        t = TABLES[table]
        where = " AND ".join(f"{c} = ?" for c in t.key[:len(prefix)]) or "1"
        return self._conn.execute(
            f"SELECT {','.join(columns or t.names)} FROM {t.name} WHERE {where} "
            f"ORDER BY {','.join(t.key)}", tuple(prefix)).fetchall()

    def get(self, table: str, key: Sequence, columns: Sequence[str] | None = None
            ) -> tuple | None:
        t = TABLES[table]
        where = " AND ".join(f"{c} = ?" for c in t.key)
        return self._conn.execute(f"SELECT {','.join(columns or t.names)} FROM {t.name} "
                                  f"WHERE {where}", tuple(key)).fetchone()

    def get_many(self, table: str, prefix: Sequence, keys: Sequence,
                 columns: Sequence[str]) -> list[tuple]:
        if not keys:
            return []
        t = TABLES[table]
        rest = t.key[len(prefix):]
        # Joined to a VALUES list, so each key is a search of the whole primary key (a row
        # value `IN (VALUES ...)` searched only by the prefix: the stream's every row).
        on = " AND ".join([*(f"t.{c} = ?" for c in t.key[:len(prefix)]),
                           *(f"t.{c} = v.column{i}" for i, c in enumerate(rest, 1))])
        one = f"({','.join('?' * len(rest))})"
        keys = list(dict.fromkeys(map(tuple, keys)))  # a key asked twice is one row
        size = (_MAX_BOUND - len(prefix)) // len(rest)
        out = []
        for i in range(0, len(keys), size):
            chunk = keys[i:i + size]
            out += self._conn.execute(
                f"SELECT {','.join(f't.{c}' for c in (*rest, *columns))} FROM (VALUES "
                f"{','.join([one] * len(chunk))}) AS v JOIN {t.name} AS t ON {on}",
                (*(v for key in chunk for v in key), *prefix)).fetchall()
        return out

    def clear(self, table: str) -> None:
        self._conn.execute(f"DELETE FROM {TABLES[table].name}")

    def streams_in(self, table: str) -> list[tuple[str, int]]:
        return self._conn.execute(f"SELECT stream, count(*) FROM {TABLES[table].name} "
                                  "GROUP BY stream ORDER BY stream").fetchall()

    def deadlines_between(self, stream: str, low: int, high: int) -> list[str]:
        return [k for (k,) in self._conn.execute(
            "SELECT order_id FROM docket_deadlines WHERE stream = ? AND end_us >= ? AND "
            "end_us < ?", (stream, low, high))]

    def snapshot_before(self, stream: str, known_seq: int, until_us: int
                        ) -> tuple[int, int, int, bytes] | None:
        return self._conn.execute(
            "SELECT occurred_us, seq, log_seq, state FROM docket_snapshots WHERE stream = ? AND "
            "log_seq <= ? AND occurred_us <= ? ORDER BY occurred_us DESC, seq DESC LIMIT 1",
            (stream, known_seq, until_us)).fetchone()

    def last_snapshot(self, stream: str) -> tuple[int, int, int, bytes] | None:
        return self._conn.execute(
            "SELECT occurred_us, seq, folded, state FROM docket_snapshots WHERE stream = ? "
            "ORDER BY occurred_us DESC, seq DESC LIMIT 1", (stream,)).fetchone()

    def drop_snapshots_from(self, stream: str, key: tuple[int, int]) -> None:
        self._conn.execute("DELETE FROM docket_snapshots WHERE stream = ? AND "
                           "(occurred_us, seq) >= (?, ?)", (stream, *key))

    def drop_snapshots_at_seq(self, stream: str, seq: int) -> None:
        self._conn.execute("DELETE FROM docket_snapshots WHERE stream = ? AND seq = ?",
                           (stream, seq))

    def most_folded_snapshot(self, stream: str) -> int:
        row = self._conn.execute("SELECT max(folded) FROM docket_snapshots WHERE stream = ?",
                                 (stream,)).fetchone()
        return row[0] or 0

