"""The SQL text of the PostgreSQL backend: the log's tables, triggers, views and indexes, and
the script creating a new log (the stored views' tables rendered from
`docket.storage.schema`).

Every table lives in the connection's current schema (the first existing one of its
`search_path`: `public` unless the URL says `options=-csearch_path=NAME`), so one database
may hold several logs, one a schema. Text columns are `COLLATE "C"`: byte order, as on SQLite,
whatever the database's locale, so every listing sorts the same on both backends.
"""

from __future__ import annotations

from .base import FORMAT_VERSION
from .browse import POSTGRES_RECORDS_VIEW
from .schema import TABLES

__all__ = ["TRIGGERS", "REFUSE", "RECORDS_VIEW", "CLASS_ID", "schema_script", "column_type",
           "LOG_TABLES"]

# The first half of the advisory lock key of a log (the second is its events table's oid),
# so Docket's locks are told apart from any other application's in pg_locks: 'dkt'.
CLASS_ID = 0x646B74

RECORDS_VIEW = "records"

# What refuses a change to the log: one function raising, called by a statement trigger
# for each of UPDATE, DELETE and TRUNCATE on each append-only table.
REFUSE = """
CREATE OR REPLACE FUNCTION docket_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'docket: % are %', TG_TABLE_NAME, TG_ARGV[0];
END $$;
"""

# The tables whose rows are never changed, and the word each trigger's message uses.
LOG_TABLES = ("events", "refs", "docket_checkpoints")
_OPS = {"update": "immutable", "delete": "append-only", "truncate": "append-only"}

TRIGGERS = tuple(f"{table}_no_{op}" for table in LOG_TABLES for op in _OPS)

_LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS docket_meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    stream TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    occurred_us BIGINT NOT NULL,
    recorded_us BIGINT NOT NULL,
    body BYTEA NOT NULL,
    hash TEXT COLLATE "C" NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_replay ON events (stream, occurred_us, seq);
-- The identifiers a stream has issued and its retractions and corrections (as on SQLite).
CREATE TABLE IF NOT EXISTS refs (
    stream TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    ref_id TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (stream, kind, ref_id)
);
-- Every checkpoint the log signed (SPEC §7), append-only like the events.
CREATE TABLE IF NOT EXISTS docket_checkpoints (
    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    size BIGINT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docket_deadlines_end ON docket_deadlines (stream, end_us);
"""

_SQL_TYPES = {"text": 'TEXT COLLATE "C"', "int": "BIGINT", "real": "DOUBLE PRECISION",
              "bool": "BOOLEAN", "json": "TEXT", "blob": "BYTEA"}


def column_type(kind: str) -> str:
    """The PostgreSQL type of a column of kind `kind` (docket.storage.schema)."""
    return _SQL_TYPES[kind]


def _view_table(name: str) -> str:
    t = TABLES[name]
    cols = ",\n    ".join(f'"{c.name}" {column_type(c.type)}' for c in t.columns)
    key = ", ".join(f'"{k}"' for k in t.key)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n    {cols},\n    PRIMARY KEY ({key})\n);"


def _triggers() -> str:
    out = []
    for table in LOG_TABLES:
        for op, word in _OPS.items():
            name = f"{table}_no_{op}"
            out.append(f"CREATE OR REPLACE TRIGGER {name} BEFORE {op.upper()} ON {table} "
                       f"FOR EACH "
                       f"STATEMENT EXECUTE FUNCTION docket_refuse('{word}');")
    return "\n".join(out)


def schema_script() -> str:
    """Every CREATE of a new log (each IF NOT EXISTS or OR REPLACE, so a log missing some
    gets them), and its format, for one transaction."""
    return "\n".join([
        *(_view_table(name) for name in TABLES), _LOG_SCHEMA, REFUSE, _triggers(),
        POSTGRES_RECORDS_VIEW,
        f"INSERT INTO docket_meta VALUES ('format', '{FORMAT_VERSION}') "
        "ON CONFLICT (key) DO NOTHING;",
    ])
