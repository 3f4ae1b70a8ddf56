"""SQL for people reading the log with their own tools: the `records` view on PostgreSQL, and
the canned queries `docket serve` gives Datasette.

The SQLite `records` view is created with the rest of the SQLite schema
(`docket.storage.sqlite`); `POSTGRES_RECORDS_VIEW` is its PostgreSQL equivalent, for the
PostgreSQL backend to create with its schema (and on the first write to a log made before
it). Both have the columns `RECORDS_COLUMNS`, in that order, holding what an exported line
holds: text for the times, JSON text for `data` and `sources`, SQL NULL for a missing actor.

The canned queries are SQLite's (Datasette reads SQLite files only). They read the stored
view tables and the `records` view, and use the raw `events` table only for what a reader
needs and the view does not show: replay order (`occurred_us`) and the time of recording as
a number (`recorded_us`).
"""

from __future__ import annotations

__all__ = ["RECORDS_COLUMNS", "POSTGRES_RECORDS_VIEW", "CANNED_QUERIES"]

RECORDS_COLUMNS = ("seq", "id", "stream", "version", "type", "occurred_at", "recorded_at",
                   "actor", "confidence", "data", "sources", "schema_version", "prev_hash",
                   "hash")
"""The columns of the `records` view, in order: every key of an exported line."""

# For a `body` column of type BYTEA holding the canonical UTF-8 bytes (as SQLite's BLOB does);
# were it TEXT, drop the convert_from. `json`, not `jsonb`: json keeps its input text, so
# `-> 'data'` is the exact canonical text of the data (jsonb would reorder the keys and
# rewrite the spacing). `->>` gives a string as SQL text and a JSON null as SQL NULL.
# PostgreSQL's text cannot hold U+0000 and its json operators refuse to read an escaped one
# anywhere in a document, so a record holding one is read with each `\u0000` escape (an odd
# run of backslashes before `u0000`) turned into `\ufffd`: U+FFFD in its place, that row
# readable, and every other row untouched. Checked by hand against PostgreSQL 15 (README).
POSTGRES_RECORDS_VIEW = r"""
CREATE OR REPLACE VIEW records AS SELECT
    e.seq, e.id, e.stream, e.version, e.type,
    r.j ->> 'occurred_at' AS occurred_at,
    r.j ->> 'recorded_at' AS recorded_at,
    r.j ->> 'actor' AS actor,
    r.j ->> 'confidence' AS confidence,
    (r.j -> 'data')::text AS data,
    (r.j -> 'sources')::text AS sources,
    (r.j ->> 'schema_version')::bigint AS schema_version,
    r.j ->> 'prev_hash' AS prev_hash,
    e.hash
FROM events e
CROSS JOIN LATERAL (SELECT convert_from(e.body, 'UTF8') AS t) b
CROSS JOIN LATERAL (SELECT (CASE WHEN strpos(b.t, '\u0000') = 0 THEN b.t ELSE
    regexp_replace(b.t, '(?<!\\)((?:\\\\)*)\\u0000', '\1\\ufffd', 'g') END)::json AS j) r;
"""

# Times in the view tables are as events give them (a day, or RFC 3339 with an offset, `t`
# and `z` in either case): julianday() reads both once upper-cased, so orders sort by
# the moment of issue, not by the text.
_COMPLIANCE = """
SELECT stream, order_id, issuer, platform, issued_at, legal_basis, procedure, target_count,
       blocked, ever_blocked, restored, compliance, status, first_action_at,
       hours_to_first_action, deadline, overdue, notices, acknowledged,
       json_extract(reported, '$.actioned') AS reported_actioned,
       json_extract(reported, '$.specified') AS reported_specified,
       json_extract(reported, '$.reporter') AS reported_by
FROM view_orders
ORDER BY julianday(upper(issued_at)), issued_at, stream, order_id
"""

# Replay order is (occurred_us, seq): the raw table has it, indexed by stream. The amendments
# of the stream are few (the refs table lists them), so `amended_by` costs a lookup a row.
_TIMELINE = """
WITH amended AS (
    SELECT json_extract(a.data, '$.target_id') AS target_id,
           group_concat(a.type || ' #' || a.seq, ', ') AS amended_by
    FROM refs f JOIN records a ON a.seq = f.seq
    WHERE f.stream = :stream AND f.kind IN ('event_retracted', 'event_corrected')
    GROUP BY 1
)
SELECT r.seq, r.version, r.occurred_at, r.type, r.actor, r.confidence, r.data, r.sources,
       m.amended_by, r.recorded_at, r.id
FROM events e JOIN records r ON r.seq = e.seq
LEFT JOIN amended m ON m.target_id = r.id
WHERE e.stream = :stream
ORDER BY e.occurred_us, e.seq
"""

# `since` in UTC microseconds, less half a millisecond: SQLite reads times to the millisecond
# (strftime's %s and %f, integers, where julianday's double would blur the last digits), so
# "recorded at or after since" is judged with both times rounded to the millisecond.
_SINCE_US = ("((CAST(strftime('%s', upper(:since)) AS INTEGER) * 1000 + "
             "CAST(round(strftime('%f', upper(:since)) * 1000) AS INTEGER) % 1000) * 1000 - 500)")

# recorded_at never decreases along seq, so "recorded since T" is every seq after the last
# one recorded before T: found by walking back from the end, only as far as T reaches. Blank
# `since`: the latest 100; a `since` that is not a time: nothing.
_RECENT = f"""
SELECT r.seq, r.recorded_at, r.stream, r.version, r.type, r.occurred_at, r.actor,
       r.confidence, r.data, r.sources, r.id
FROM records r
WHERE r.seq > CASE
    WHEN :since = '' THEN (SELECT coalesce(max(seq), 0) FROM events) - 100
    WHEN strftime('%s', upper(:since)) IS NULL THEN (SELECT coalesce(max(seq), 0) FROM events)
    ELSE coalesce((SELECT e.seq FROM events e WHERE e.recorded_us < {_SINCE_US}
                   ORDER BY e.seq DESC LIMIT 1), 0)
END
ORDER BY r.seq DESC
"""

CANNED_QUERIES = {
    "compliance": (_COMPLIANCE.strip(), ()),
    "stream_timeline": (_TIMELINE.strip(), ("stream",)),
    "recent": (_RECENT.strip(), ("since",)),
}
"""name -> (SQL, its parameters) of each canned query `docket serve` offers."""
