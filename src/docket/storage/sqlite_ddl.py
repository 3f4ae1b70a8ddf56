"""The SQL text of the SQLite backend: the log's tables, triggers, views and indexes, and the
script creating a new log (the stored views' tables written by sqlite-utils from
`docket.storage.schema`)."""

from __future__ import annotations

from .base import FORMAT_VERSION
from .schema import TABLES

__all__ = ["TRIGGERS", "RECORDS_VIEW", "CHECKPOINTS", "RECORDS_VIEW_SQL", "STREAMS",
           "schema_script"]

_LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS docket_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    occurred_us INTEGER NOT NULL,
    recorded_us INTEGER NOT NULL,
    body BLOB NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_replay ON events (stream, occurred_us, seq);
-- The identifiers a stream has issued (orders, notices, cases), for resolving references at
-- append time, and its retractions and corrections (kind = their type), which every replay
-- looks up: a few rows here instead of an index on every event's type.
CREATE TABLE IF NOT EXISTS refs (
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (stream, kind, ref_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'docket: events are immutable'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'docket: events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS refs_no_update BEFORE UPDATE ON refs
BEGIN SELECT RAISE(ABORT, 'docket: refs are immutable'); END;
CREATE TRIGGER IF NOT EXISTS refs_no_delete BEFORE DELETE ON refs
BEGIN SELECT RAISE(ABORT, 'docket: refs are append-only'); END;
"""

# The stored views' own indexes (beyond their primary keys).
_VIEW_INDEXES = """
CREATE INDEX IF NOT EXISTS docket_deadlines_end ON docket_deadlines (stream, end_us);
"""

# Every checkpoint the log signed (SPEC §7), kept append-only like the events, so `verify`
# checks the log against each of them.
CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS docket_checkpoints (
    position INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    note TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS docket_checkpoints_no_update BEFORE UPDATE ON docket_checkpoints
BEGIN SELECT RAISE(ABORT, 'docket: signed checkpoints are immutable'); END;
CREATE TRIGGER IF NOT EXISTS docket_checkpoints_no_delete BEFORE DELETE ON docket_checkpoints
BEGIN SELECT RAISE(ABORT, 'docket: signed checkpoints are append-only'); END;
"""

# The log as people read it (`docket serve`, `sqlite-utils`, any SQL shell): one row per
# stored record, each key of an exported line a column, read from the stored bytes. A view
# stores nothing, so it can neither change an event nor disagree with one. The raw table keeps
# its name `events` (the engine, the audit and other tools read it). CAST: SQLite 3.45+ reads
# a BLOB argument of a JSON function as its binary JSONB form, not as JSON text.
RECORDS_VIEW = "records"
RECORDS_VIEW_SQL = """
CREATE VIEW IF NOT EXISTS records AS SELECT
    seq, id, stream, version, type,
    json_extract(CAST(body AS TEXT), '$.occurred_at') AS occurred_at,
    json_extract(CAST(body AS TEXT), '$.recorded_at') AS recorded_at,
    json_extract(CAST(body AS TEXT), '$.actor') AS actor,
    json_extract(CAST(body AS TEXT), '$.confidence') AS confidence,
    json_extract(CAST(body AS TEXT), '$.data') AS data,
    json_extract(CAST(body AS TEXT), '$.sources') AS sources,
    json_extract(CAST(body AS TEXT), '$.schema_version') AS schema_version,
    json_extract(CAST(body AS TEXT), '$.prev_hash') AS prev_hash,
    hash
FROM events;
"""

TRIGGERS = ("events_no_update", "events_no_delete", "refs_no_update", "refs_no_delete",
            "docket_checkpoints_no_update", "docket_checkpoints_no_delete")

# The streams, in name order, by a skip-scan of the UNIQUE(stream, version) index: one index
# seek per stream. `SELECT DISTINCT stream` reads every entry of that index instead, which on
# a 1M-event log took 0.11 s warm and 1.3 s cold, for every command not given --stream.
STREAMS = """
WITH RECURSIVE s(name) AS (
    SELECT min(stream) FROM events
    UNION ALL
    SELECT (SELECT min(stream) FROM events WHERE stream > s.name) FROM s WHERE s.name IS NOT NULL)
SELECT name FROM s WHERE name IS NOT NULL"""

# Every table but the snapshots' is read and written by its key, so it is kept in key order
# (WITHOUT ROWID): a rowid table would add a second b-tree, and reading a stream's rows in
# key order through the key's index fetched each row from wherever it was written (at 1M
# events, `state` read view_notices in 0.30 s that way, 0.12 s in key order). Snapshots are
# big blobs, which SQLite keeps better in a rowid table. Logs made before keep their rowid
# tables: they hold and answer the same, only slower (README, "How it is built").
_WITHOUT_ROWID = set(TABLES) - {"docket_snapshots"}

_SQL_TYPES = {"text": str, "int": int, "real": float, "bool": int, "json": str, "blob": bytes}


def schema_script() -> str:
    """Every CREATE of a new log (each IF NOT EXISTS, so a log missing some gets them)."""
    import sqlite_utils  # lazily: only the first open of a file pays for it

    # sqlite-utils writes the stored views' DDL from the schema's descriptions.
    db = sqlite_utils.Database(memory=True)
    ddl = [_LOG_SCHEMA, CHECKPOINTS, RECORDS_VIEW_SQL] + [
        db.create_table_sql(t.name, {c.name: _SQL_TYPES[c.type] for c in t.columns},
                            pk=t.key, if_not_exists=True).strip().rstrip(";")
        + (" WITHOUT ROWID;" if t.name in _WITHOUT_ROWID else ";")
        for t in TABLES.values()
    ] + [_VIEW_INDEXES,
         f"INSERT OR IGNORE INTO docket_meta VALUES ('format', '{FORMAT_VERSION}');"]
    return "\n".join(ddl)
