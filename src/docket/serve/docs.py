"""What each table, view and column of a log means, in a reader's words (Datasette shows them
as descriptions).

The stored tables' descriptions come from `docket.storage.schema` (its table docs, and a
column's doc where it has one); allowed values come from the catalogue; the rest is written
here, once, for the tables only the backends describe (the log's own, the `records` view).
A test checks that every table and column of a fresh log is described.
"""

from __future__ import annotations

import typing

from ..catalog import EVENT_TYPES, Event
from ..catalog_data import NoticeSentData, OrderIssuedData
from ..storage.schema import TABLES

__all__ = ["TABLE_DOCS", "column_docs"]


def _allowed(cls: type, field: str) -> str:
    """`one of a, b, c`: the values a catalogue field of Literal type allows."""
    hint = typing.get_type_hints(cls)[field]
    for arg in (hint, *typing.get_args(hint)):
        if typing.get_origin(arg) is typing.Literal:
            return "one of " + ", ".join(typing.get_args(arg))
    raise TypeError(f"{cls.__name__}.{field} is not a choice of values")


_TIME = "a day (YYYY-MM-DD) or an RFC 3339 time with its offset, as the event gives it"
_WHEN_US = "UTC microseconds since 1970 (replay order sorts by it)"
_STATE_BLOB = "msgpack bytes, Docket's own encoding"

# The log's own tables and the records view: each backend creates them (see
# docket.storage.sqlite); their descriptions are here.
_LOG_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "records": ("every event as recorded, one row per event in seq order: each key of an "
                "exported line (`docket export`) as a readable column", {
        "seq": "position in the whole log: 1, 2, 3, … without gaps",
        "id": "the event's id (given by the writer, or a UUID)",
        "stream": "the dispute (stream) the event belongs to",
        "version": "position in its stream: 1, 2, 3, … without gaps",
        "type": "the event type, one of " + ", ".join(EVENT_TYPES),
        "occurred_at": "when it happened in the world: " + _TIME,
        "recorded_at": "when the log accepted it (UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ; never "
                       "decreasing along seq)",
        "actor": "who acted (empty when not given)",
        "confidence": "how sure the record is: " + _allowed(Event, "confidence"),
        "data": "the event's data as JSON (its fields depend on the type: `docket types "
                "TYPE`)",
        "sources": "JSON list of the sources: {title, url, published, quote}",
        "schema_version": "the catalogue version the event was written in",
        "prev_hash": "the hash of the event before (64 zeros for the first)",
        "hash": "SHA-256 of prev_hash and the record's canonical bytes (hex)",
    }),
    "events": ("the stored events (raw): the record's canonical bytes and the columns "
               "indexed from them; append-only (triggers refuse UPDATE and DELETE). "
               "Read `records` instead", {
        "seq": "position in the whole log", "id": "the event's id",
        "stream": "the event's stream", "version": "position in its stream",
        "type": "the event type",
        "occurred_us": "occurred_at as " + _WHEN_US + "; a day counts as its 00:00 UTC",
        "recorded_us": "recorded_at as UTC microseconds since 1970",
        "body": "the record's canonical JSON bytes (without hash): what the hash covers",
        "hash": "SHA-256 of the previous hash and body (hex)",
    }),
    "refs": ("the ids each stream has issued (orders, notices, cases) and its retractions "
             "and corrections, for resolving references when appending; append-only", {
        "stream": "the stream", "kind": "order, notice, case, or an amending event's type",
        "ref_id": "the id issued (or the amending event's id)",
        "seq": "the event that issued it",
    }),
    "docket_meta": ("the log's settings: the format of its tables and the fold that wrote "
                    "its stored views", {"key": "the setting", "value": "its value"}),
    "docket_checkpoints": ("every signed checkpoint note the log issued (C2SP), append-only; "
                           "`docket verify` checks the log against each", {
        "position": "the order they were signed in", "size": "the tree size signed",
        "note": "the signed note, as issued",
    }),
}

# The stored tables' columns that schema.py leaves undescribed.
_COLUMNS: dict[str, dict[str, str]] = {
    "view_orders": {
        "order_id": "the order's id, unique in its stream",
        "issuer": "who issued the order", "platform": "the platform ordered to act",
        "issued_at": "when it was issued: " + _TIME,
        "legal_basis": "the law it cites (empty when not given)",
        "procedure": "how it was issued: " + _allowed(OrderIssuedData, "procedure")
                     + " (empty when not given)",
        "target_count": "how many accounts, hashtags or URLs it covers (empty when unknown)",
        "blocked": "how many of its targets are blocked now (at most target_count)",
        "ever_blocked": "how many were blocked at some time: distinct named targets plus "
                        "the peak unnamed count",
        "restored": "ever_blocked − blocked: blocked once, unblocked since",
        "compliance": "blocked / target_count to 4 decimals (empty when target_count is 0 "
                      "or unknown)",
        "status": "pending (nothing blocked yet), partial, complied (blocked ≥ "
                  "target_count) or reverted (blocked once, none now)",
        "first_action_at": "when the first block under it occurred",
        "hours_to_first_action": "hours from issued_at to first_action_at",
        "deadline": "its deadline (a day lasts the whole day, UTC), as the event gives it",
        "overdue": "1 when the deadline has passed at the stream's latest occurred_at and "
                   "the order is not complied",
        "notices": "JSON list of the ids of the notices naming it",
        "acknowledged": "1 when it was acknowledged, or it has notices and each was",
        "reported": "JSON {actioned, specified, reporter}: the latest compliance_reported "
                    "figures (empty when none)",
    },
    "view_accounts": {
        "target": "an account (@handle), hashtag (#tag), URL or other id an event named",
        "status": "blocked or active",
        "scope": "where it is blocked: global, or an ISO 3166 country code (withheld there); "
                 "empty when active",
        "order_id": "the order of the change that put it in its present state (empty: none)",
        "since": "when that change occurred",
    },
    "view_notices": {
        "notice_id": "the notice's id", "kind": _allowed(NoticeSentData, "kind"),
        "sent_at": "when it was sent", "order_ids": "JSON list of the orders it names",
        "acknowledged_at": "when it was first acknowledged (empty: not yet)",
    },
    "view_dialogue": {
        "position": "its place among the stream's requests, in replay order",
        "by": "who asked for dialogue", "addressee": "whom they asked",
        "requested_at": "when",
    },
    "view_challenges": {
        "case_id": "the case's id", "court": "where it was filed",
        "petitioner": "who filed it", "order_ids": "JSON list of the orders it challenges",
        "filed_at": "when it was filed",
        "rulings": "JSON list of its rulings: {court, outcome, costs, currency, ruled_at}",
    },
    "view_streams": {
        "last_seq": "the highest seq the stream's stored views reflect",
        "version": "the stream's version: its number of events (for expected_version)",
    },
    "docket_view_heads": {
        "occurred_us": "replay key of the last event folded: its time, " + _WHEN_US,
        "seq": "replay key of the last event folded: its seq",
        "log_seq": "the log's last seq when the views were last brought up to date",
        "folded": "how many events the head state folded",
        "scalars": "the fold's single values, " + _STATE_BLOB,
    },
    "docket_fold": {
        "kind": "which part of the state (orders, accounts, …)", "key": "the entry's key",
        "value": "the entry, " + _STATE_BLOB,
    },
    "docket_deadlines": {
        "order_id": "the order", "end_us": "when its deadline ends, UTC microseconds",
    },
    "docket_snapshots": {
        "occurred_us": "replay key of the snapshot: its time, " + _WHEN_US,
        "seq": "replay key of the snapshot: its seq",
        "log_seq": "the log's last seq when it was taken",
        "folded": "how many events it folded", "state": "the fold state, " + _STATE_BLOB,
    },
    "docket_touches": {
        "kind": "which part of the state (orders, accounts, …)", "key": "the entity's key",
        "first_seq": "the lowest seq of the chunk (chunks of one entity follow each other)",
        "seqs": "the seqs of the events touching it, a msgpack list",
    },
    "docket_late": {
        "seq": "the late event", "at_us": "its replay key: its time, " + _WHEN_US,
        "at_seq": "its replay key: its seq",
    },
}

TABLE_DOCS: dict[str, str] = {
    **{name: doc for name, (doc, _) in _LOG_TABLES.items()},
    **{name: table.doc for name, table in TABLES.items()},
}
"""What each table and view of a log holds."""

def column_docs(table: str) -> dict[str, str]:
    """What each column of `table` holds (schema.py's doc first, where it gives one)."""
    if table in _LOG_TABLES:
        return dict(_LOG_TABLES[table][1])
    written = _COLUMNS.get(table, {})
    return {c.name: c.doc or written.get(c.name, "") for c in TABLES[table].columns}
