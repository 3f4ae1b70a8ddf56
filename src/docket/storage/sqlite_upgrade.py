"""Bringing a SQLite log made by an older Docket up to this schema: the tables it lacks, and
the view tables whose columns changed (catalogue v2 added some)."""

from __future__ import annotations

from .schema import TABLES, VIEW_TABLES
from .sqlite_ddl import RECORDS_VIEW

__all__ = ["SchemaUpgrade"]


class SchemaUpgrade:
    """The schema checks of `SQLiteStorage` over its connection `self._conn` (a mixin)."""

    def _behind(self, tables: set[str] | None) -> bool:
        """Whether a log's schema lacks tables (or has view tables of other columns)."""
        return tables is None or bool(self._outdated_views(tables)) or not all(
            name in tables for name in (*TABLES, "docket_checkpoints", RECORDS_VIEW))

    def _outdated_views(self, tables: set[str]) -> set[str]:
        """The view tables whose columns are not the schema's (a log made before catalogue
        v2 added some)."""
        return {name for name, table in VIEW_TABLES.items() if name in tables and tuple(
            r[1] for r in self._conn.execute(f"PRAGMA table_info({name})")) != table.names}

    def _drop_outdated_views(self, tables: set[str]) -> set[str]:
        """Drop the outdated view tables (recreated with the missing ones): they hold only
        what a rebuild rewrites, and the stored views of such a log were written by an older
        fold, so its next write rebuilds them anyway. Returns the names dropped."""
        dropped = self._outdated_views(tables)
        if dropped:
            self._run("BEGIN IMMEDIATE;" + "".join(f"DROP TABLE IF EXISTS {name};"
                                                   for name in sorted(dropped)) + "COMMIT;")
        return dropped

