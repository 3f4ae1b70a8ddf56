"""What a PostgreSQL database holds, judged before Docket touches it: a Docket log (and of
which format), nothing yet, or something else; and whether the log's safeguards stand."""

from __future__ import annotations

from ..errors import StorageError
from .base import FORMAT_VERSION
from .postgres_ddl import LOG_TABLES, RECORDS_VIEW, REFUSE, TRIGGERS, schema_script
from .schema import TABLES, VIEW_TABLES

__all__ = ["check_format", "immutability_problems", "outdated_views", "schema_upgrade"]

_NAMES = {*TABLES, *LOG_TABLES, "docket_meta", RECORDS_VIEW}

# pg_trigger.tgtype bits (PostgreSQL's trigger.h).
_OP_BITS = {"delete": 8, "update": 16, "truncate": 32}


def check_format(conn, location: str) -> str | None:
    """None when the current schema holds no table yet, "complete" for a Docket log with
    every table, "partial" for one made by a Docket that kept fewer. Raises StorageError for
    a schema holding something else, a log of a newer format, or no schema to write in."""
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    if schema is None:
        raise StorageError(f"{location}: no schema of the search_path exists (an "
                           "administrator creates it: CREATE SCHEMA)")
    names = {r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind IN ('r', 'v', 'p', 'm', 'f')")}
    if not names:
        return None
    if "docket_meta" not in names:
        raise StorageError(f"{location} is a PostgreSQL database but not a Docket log (its "
                           f"schema {schema!r} holds other tables; give Docket a database or "
                           "a schema of its own)")
    row = conn.execute("SELECT value FROM docket_meta WHERE key = 'format'").fetchone()
    if row is None:
        return None  # a creation that did not finish: made again, in one transaction
    if int(row[0]) > FORMAT_VERSION:
        raise StorageError(f"{location} was written by a newer Docket (format {row[0]}; this "
                           f"one reads {FORMAT_VERSION}); upgrade Docket")
    return "complete" if _NAMES <= names and not outdated_views(conn) else "partial"


def outdated_views(conn) -> list[str]:
    """The view tables whose columns are not this schema's (a log made before catalogue v2
    added some): they hold only what a rebuild rewrites, so an upgrade drops them and
    creates them again (the stored views of such a log, written by an older fold, are
    rebuilt at its next write anyway)."""
    found: dict[str, list[str]] = {}
    # The catalogue itself: information_schema lists only the columns the role may use.
    for table, column in conn.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = "
            "a.attrelid WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind "
            "= 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"):
        found.setdefault(table, []).append(column)
    return sorted(name for name, table in VIEW_TABLES.items()
                  if name in found and tuple(found[name]) != table.names)


# What docket_refuse() runs, as the check compares it (whitespace closed up): a function that
# raises only now and then still reads "RAISE EXCEPTION".
_REFUSE_BODY = " ".join(REFUSE.split("$$")[1].upper().split())


def immutability_problems(conn) -> list[tuple[str, str]]:
    """(trigger, what is wrong) for each trigger refusing UPDATE, DELETE or TRUNCATE of the
    log that is missing, disabled, conditional, or calls a function that does not raise."""
    found = {name: rest for name, *rest in conn.execute(
        "SELECT t.tgname, c.relname, t.tgenabled, t.tgtype, t.tgqual IS NULL, p.prosrc "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal")}
    out = []
    for name in TRIGGERS:
        table, _, op = name.partition("_no_")
        if name not in found:
            out.append((name, f"missing: nothing refuses {op.upper()} on `{table}`"))
            continue
        relname, enabled, tgtype, unconditional, source = found[name]
        source = " ".join(str(source).upper().split())
        if relname != table or not tgtype & _OP_BITS[op]:
            out.append((name, f"does not refuse {op.upper()} on `{table}` (it is on "
                              f"`{relname}`, for other statements)"))
        elif enabled in ("D", "R"):  # R: fires only in replica sessions, so not in ours
            out.append((name, f"disabled: nothing refuses {op.upper()} on `{table}`" +
                        (" (it fires in replica sessions only)" if enabled == "R" else "")))
        elif not unconditional or source != _REFUSE_BODY:
            out.append((name, f"does not refuse {op.upper()} on `{table}` (its function or "
                              "condition was changed)"))
    return out


def schema_upgrade(conn) -> str:
    """The script that brings the current schema up to this Docket's (for one transaction,
    under the schema's lock): the outdated view tables dropped, then every CREATE."""
    return "".join(f"DROP TABLE {name};" for name in outdated_views(conn)) + schema_script()
