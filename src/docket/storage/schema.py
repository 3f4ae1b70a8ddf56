"""The tables Docket keeps beside the log, described once for every backend.

Each backend renders these descriptions into its own DDL and SQL (`docket.storage.sqlite`,
`docket.storage.postgres`); the stored views (`docket.stored`) fill and read them through the
generic table operations of `docket.storage.base.Storage`. The log's own tables (`events`,
`refs`, the metadata and the signed checkpoints), with their triggers and indexes, are each
backend's business.

Column types are the values a cell holds in Python: `text`, `int`, `real` (a float that may
hold a whole number), `bool` (kept as 0/1), `json` (canonical JSON text of a list or an
object) and `blob` (bytes).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Column", "Table", "TABLES", "VIEW_TABLES", "INTERNAL_TABLES"]


class Column(NamedTuple):
    """One column: its name, the kind of value it holds, and what it means."""

    name: str
    type: str
    doc: str = ""


class Table(NamedTuple):
    """One table: its columns (the first is always `stream`), its primary key, what it is."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)


def _c(spec: str, doc: str = "") -> Column:
    name, _, kind = spec.partition(":")
    return Column(name, kind or "text", doc)


_STREAM = _c("stream", "the dispute (stream) the row belongs to")

# The view tables: what a fresh replay's SPEC §5 state view holds, one row per entity, kept
# equal to it at every commit. Meant to be read by people and their tools.
VIEW_TABLES: dict[str, Table] = {t.name: t for t in (
    Table("view_orders", (
        _STREAM, _c("order_id"), _c("issuer"), _c("platform"), _c("issued_at"),
        _c("legal_basis"), _c("procedure"), _c("target_count:int"), _c("blocked:int"),
        _c("ever_blocked:int"), _c("restored:int"), _c("compliance:real"), _c("status"),
        _c("first_action_at"), _c("hours_to_first_action:real"), _c("deadline"),
        _c("overdue:bool"), _c("notices:json"), _c("acknowledged:bool"), _c("reported:json"),
        _c("scope", "where the order wants its targets gone: global, or an ISO 3166 country "
                    "code (empty: any block counts)"),
        _c("penalties:json", "JSON list of the ids of the penalties citing it"),
    ), ("stream", "order_id"), "one row per order: the compliance view (SPEC §5)"),
    Table("view_accounts", (
        _STREAM, _c("target"), _c("status"), _c("scope"), _c("order_id"), _c("since"),
    ), ("stream", "target"), "one row per account, hashtag or URL an event named"),
    Table("view_notices", (
        _STREAM, _c("notice_id"), _c("kind"), _c("sent_at"), _c("order_ids:json"),
        _c("acknowledged_at"),
    ), ("stream", "notice_id"), "one row per notice"),
    Table("view_dialogue", (
        _STREAM, _c("position:int"), _c("by"), _c("addressee"), _c("requested_at"),
    ), ("stream", "position"), "requests for dialogue, in replay order"),
    Table("view_challenges", (
        _STREAM, _c("case_id"), _c("court"), _c("petitioner"), _c("order_ids:json"),
        _c("filed_at"), _c("rulings:json"),
    ), ("stream", "case_id"), "one row per court case, with its rulings"),
    Table("view_penalties", (
        _STREAM, _c("penalty_id", "the penalty's id, unique in its stream"),
        _c("issuer", "who imposed it"), _c("against", "who must pay"),
        _c("amount:int", "whole units of currency: the sum, or a day's amount"),
        _c("currency", "ISO 4217 code"), _c("per", "once (a single sum) or day"),
        _c("imposed_at", "when it was imposed"),
        _c("starts_at", "when it starts to accrue (imposed_at when not given)"),
        _c("ends_at", "when it stops accruing, where set in advance (a day lasts the whole "
                      "day, UTC)"),
        _c("order_ids:json", "JSON list of the orders it enforces"),
        _c("case_id", "the case it was imposed in (empty: none)"),
        _c("status", "outstanding, paid (payments naming it reach what it accrued) or "
                     "lifted (stayed, waived or annulled)"),
        # JSON (its decimal digits): a daily amount over centuries can pass 64 bits.
        _c("accrued:json", "for once the amount; for day the amount times the days begun "
                           "from starts_at to ends_at, the lift or the stream's latest "
                           "occurred_at, whichever is first (a whole number, as text)"),
        _c("paid:int", "the sum of the payments naming it, in its currency"),
    ), ("stream", "penalty_id"), "one row per penalty, with what it accrued by the latest "
       "event"),
    Table("view_penalty_totals", (
        _STREAM, _c("currency", "ISO 4217 code"),
        _c("accrued:json", "what the penalties in this currency accrued (a whole number, "
                           "as text)"),
        _c("paid:int", "what was paid in this currency (each payment once)"),
    ), ("stream", "currency"), "per currency: what the penalties accrued and what was paid"),
    Table("view_service", (
        _STREAM, _c("country", "ISO 3166 country code"), _c("platform", "the platform"),
        _c("status", "suspended or available"), _c("since", "when it became so"),
        _c("ordered_by", "who ordered the (last) suspension (empty: none on record)"),
        _c("order_id", "the order behind that suspension (empty: none)"),
    ), ("stream", "country"), "one row per country a service suspension or restoration "
       "named: whether the platform is suspended or available there"),
    Table("view_streams", (
        _STREAM, _c("last_seq:int"), _c("version:int"),
    ), ("stream",), "one row per stream: the last seq its views reflect and its version"),
)}

# What the stored views need to stay current cheaply; not meant for people.
INTERNAL_TABLES: dict[str, Table] = {t.name: t for t in (
    Table("docket_view_heads", (
        _STREAM, _c("occurred_us:int"), _c("seq:int"), _c("log_seq:int"), _c("folded:int"),
        _c("scalars:blob"),
    ), ("stream",), "where each stream's stored views stand: the replay key of the last "
       "event folded, the log's seq then, how many were folded, the fold's scalars"),
    Table("docket_fold", (
        _STREAM, _c("kind"), _c("key"), _c("value:blob"),
    ), ("stream", "kind", "key"), "the head fold state, one entity a row (msgpack)"),
    Table("docket_deadlines", (
        _STREAM, _c("order_id"), _c("end_us:int"),
    ), ("stream", "order_id"), "when each order's deadline ends, to find the orders a new "
       "reference time makes overdue"),
    Table("docket_snapshots", (
        _STREAM, _c("occurred_us:int"), _c("seq:int"), _c("log_seq:int"), _c("folded:int"),
        _c("state:blob"),
    ), ("stream", "occurred_us", "seq"), "the fold state every few thousand events of "
       "replay order, for as-of queries"),
    Table("docket_touches", (
        _STREAM, _c("kind"), _c("key"), _c("first_seq:int"), _c("seqs:blob"),
    ), ("stream", "kind", "key", "first_seq"), "which events touch each entity of the fold "
       "(an order, account, notice, case, penalty, payment currency, country, the "
       "dialogue): the history a late event refolds, as msgpack lists of seqs (one chunk "
       "per fold that touched it)"),
    Table("docket_late", (
        _STREAM, _c("seq:int"), _c("at_us:int"), _c("at_seq:int"),
    ), ("stream", "seq"), "events that landed before the head of their stream (and every "
       "retraction and correction), from the replay key `at` on: what a snapshot taken "
       "before them still needs"),
)}

TABLES: dict[str, Table] = {**VIEW_TABLES, **INTERNAL_TABLES}
