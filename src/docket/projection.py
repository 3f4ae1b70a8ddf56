"""The built-in projection: `initial()` and `evolve(state, record) -> state` (a left fold).

The fold reads stored records (plain dicts, see `docket.log`) of ONE stream, in replay order,
already selected by the timeline layer (as_of / known_at, retractions removed, corrections
applied). It is total: a reference that does not resolve (a block under a retracted order, an
acknowledgement of a retracted notice) is skipped for that object, never an error.

The state is plain JSON data (dict/list/str/int/bool/None; sets are `{key: True}` dicts) so a
snapshot encodes with msgspec (JSON or msgpack) and decodes to an equal state that folds on
identically. `evolve` mutates the state in place and returns it: replays of a million events
must not copy. Nothing here parses a time: that costs microseconds per event, and the views
compute the few instants they need (see `docket.views.compliance`). The names the state keeps
(targets, order ids, issuers…) are shared, one object per name (`docket.fold_names`).

State layout::

    {"last_seq": int, "last_occurred_at": str | None,
     "orders": {order_id: {"order_id", "issued_at", "issuer", "platform", "legal_basis",
                "procedure", "targets": list | None, "target_count": int | None,
                "deadline", "first_action_at", "blocked": {target: True},
                "ever": {target: True}, "unnamed": int, "peak": int,
                "acknowledged_at", "reported": {actioned, specified, reporter} | None}},
     "accounts": {target: {"status": "blocked" | "active", "scope", "order_id", "since",
                  "orders": {order_id: True}}},   # orders counting it as blocked now
     "notices": {notice_id: {"kind", "sent_at", "order_ids", "acknowledged_at"}},
     "order_notices": {order_id: [notice_id, …]},   # the notices citing each order, sorted
     "dialogue": [{"by", "addressee", "requested_at"}],
     "challenges": {case_id: {"court", "petitioner", "order_ids", "filed_at",
                    "rulings": [{"court", "outcome", "costs", "currency", "ruled_at"}]}},
     …and catalogue v2's parts (penalties, payments, service, order_penalties): see
     `docket.fold_v2`. An order also keeps its `scope`.}
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import msgspec

from . import fold_names, fold_v2
from .fold_names import names_of, shared

__all__ = ["initial", "evolve", "fold", "fold_pages", "fold_records", "handler", "Folded",
           "Cited", "OnFold", "PROJECTION_VERSION"]

# Bumped whenever the state layout or a counting rule changes: stored views and snapshots
# written by another version are rebuilt from the log when the file is opened.
# 5: catalogue v2 (penalties, payments, service; an order's scope decides which blocks count).
PROJECTION_VERSION = 5

State = dict[str, Any]
Record = dict[str, Any]


def initial() -> State:
    """The state before any event: no orders, accounts, notices, dialogue or challenges."""
    return {
        "last_seq": 0,
        "last_occurred_at": None,
        "orders": {},
        "accounts": {},
        "notices": {},
        "dialogue": [],
        "challenges": {},
        # order_id -> ids of the notices naming it: the compliance row of one order then
        # needs no scan of every notice (an append rewrites only the rows it touched).
        "order_notices": {},
        **{part: {} for part in fold_v2.V2_PARTS},
    }


def _order_issued(state: State, d: dict, at: str) -> None:
    targets = d.get("targets")
    count = d.get("target_count")
    if count is None and targets is not None:
        count = len(targets)
    described = {
        "order_id": d["order_id"],
        "issued_at": at,
        "issuer": shared(d.get("issuer")),
        "platform": shared(d.get("platform")),
        "legal_basis": shared(d.get("legal_basis")),
        "procedure": shared(d.get("procedure")),
        "targets": names_of(targets) if targets is not None else None,
        "target_count": count,
        "deadline": d.get("deadline"),
        "scope": d.get("scope"),
    }
    order = state["orders"].get(d["order_id"])
    if order is None:
        described.update(
            first_action_at=None, blocked={}, ever={}, unnamed=0, peak=0,
            acknowledged_at=None, reported=None,
        )
        state["orders"][d["order_id"]] = described
    else:
        # A re-issue restates the order; what was already blocked under it still counts.
        order.update(described)


def _names(targets: list | None, order: dict) -> list:
    """Under all_targets: the order's named targets, then any others the record names."""
    names = order["targets"]
    if targets:
        names = names + [t for t in targets if t not in names]
    return names


def _accounts_blocked(state: State, d: dict, at: str) -> None:
    # The hot path of a replay: few lookups, nothing allocated for a plain block.
    oid = d.get("order_id")
    order = state["orders"].get(oid) if oid is not None else None
    targets = d.get("targets")
    all_targets = d.get("all_targets")
    names = _names(targets, order) if all_targets and order and order["targets"] else targets
    scope = d.get("scope") or "global"
    # v2: a block counts towards its order only where the order wants the targets gone.
    # (fold_v2.counts, inlined: this is the replay's hot path)
    counted = order is not None and (order["scope"] is None or scope == "global"
                                     or scope == order["scope"])
    if names:
        accounts = state["accounts"]
        kept = fold_names.table()
        for t in names:
            if t.__class__ is str:
                t = kept.setdefault(t, t)  # the state keeps it: one object per name
            acc = accounts.get(t)
            if acc is None:
                accounts[t] = acc = {"status": "blocked", "scope": scope, "order_id": oid,
                                     "since": at, "orders": {}}
            elif acc["status"] != "blocked" or acc["scope"] != scope:
                # `since`/`order_id` describe the change that put the account in its
                # state, so a repeated block of an already-blocked account changes neither.
                if acc["orders"] and scope != "global":
                    _narrowed(state["orders"], acc, t, scope)
                acc["status"] = "blocked"
                acc["scope"], acc["order_id"], acc["since"] = scope, oid, at
            if counted:
                acc["orders"][oid] = True
                order["blocked"][t] = True
                order["ever"][t] = True
    if order is None:
        return
    count = d.get("count")
    if counted and (all_targets or count):
        tc = order["target_count"]
        unnamed = order["unnamed"]
        if all_targets and tc is not None:
            # Every target of the order: the names above, and the rest as an unnamed number.
            unnamed = max(unnamed, tc - len(dict.fromkeys(order["targets"] or ())))
        if count:
            unnamed += count
            if tc is not None and unnamed > tc:
                unnamed = tc
        order["unnamed"] = unnamed
        if unnamed > order["peak"]:
            order["peak"] = unnamed
    if order["first_action_at"] is None and (count or targets or all_targets):
        order["first_action_at"] = at


def _narrowed(orders: dict, acc: dict, target: str, scope: str) -> None:
    """A blocked account is now withheld only in `scope`: the orders that held it blocked
    but do not count a block there (a global order, another country's) no longer do."""
    held = acc["orders"]
    for h in list(held):
        o = orders.get(h)
        if o is not None and not fold_v2.counts(o, scope):
            o["blocked"].pop(target, None)
            del held[h]


def _accounts_unblocked(state: State, d: dict, at: str) -> None:
    oid = d.get("order_id")
    orders = state["orders"]
    order = orders.get(oid) if oid is not None else None
    targets = d.get("targets")
    all_targets = d.get("all_targets")
    names = _names(targets, order) if all_targets and order and order["targets"] else targets
    if names:
        accounts = state["accounts"]
        for t in names:
            acc = accounts.get(t)
            if acc is None:
                if targets and t in targets:  # named by the record: known, and active
                    accounts[shared(t)] = {"status": "active", "scope": None, "order_id": oid,
                                   "since": at, "orders": {}}
                continue
            if acc["status"] == "blocked":
                acc["status"], acc["scope"], acc["since"] = "active", None, at
                if oid is not None:
                    acc["order_id"] = oid
                # An account is blocked or not: once restored, no order counts it blocked.
                held = acc["orders"]
                if held:
                    for h in held:
                        o = orders.get(h)
                        if o is not None:
                            o["blocked"].pop(t, None)
                    acc["orders"] = {}
    if order is None:
        return
    if all_targets:
        order["unnamed"] = 0
    count = d.get("count")
    if count:
        order["unnamed"] = max(0, order["unnamed"] - count)


def _notice_sent(state: State, d: dict, at: str) -> None:
    notice_id = d["notice_id"]
    order_ids = names_of(d.get("order_ids") or ())
    state["notices"][notice_id] = {
        "kind": shared(d.get("kind")),
        "sent_at": at,
        "order_ids": order_ids,
        "acknowledged_at": None,
    }
    fold_v2.index_under(state["order_notices"], order_ids, notice_id)


def _acknowledgement_sent(state: State, d: dict, at: str) -> None:
    # ref_id names a notice or an order; the first acknowledgement is the one that counts.
    ref = d.get("ref_id")
    notice = state["notices"].get(ref)
    if notice is not None and notice["acknowledged_at"] is None:
        notice["acknowledged_at"] = at
    order = state["orders"].get(ref)
    if order is not None and order["acknowledged_at"] is None:
        order["acknowledged_at"] = at


def _dialogue_requested(state: State, d: dict, at: str) -> None:
    state["dialogue"].append({"by": d.get("by"), "addressee": d.get("addressee"),
                              "requested_at": at})


def _compliance_reported(state: State, d: dict, at: str) -> None:
    order = state["orders"].get(d.get("order_id"))
    if order is not None:
        order["reported"] = {"actioned": d.get("actioned"), "specified": d.get("specified"),
                             "reporter": shared(d.get("reporter"))}


def _challenge(state: State, case_id: str, court: str | None) -> dict:
    challenge = state["challenges"].get(case_id)
    if challenge is None:
        # A ruling whose filing is not on record still shows, under a bare challenge.
        challenge = {"court": court, "petitioner": None, "order_ids": [], "filed_at": None,
                     "rulings": []}
        state["challenges"][case_id] = challenge
    return challenge


def _challenge_filed(state: State, d: dict, at: str) -> None:
    challenge = _challenge(state, d["case_id"], d.get("court"))
    challenge["court"] = d.get("court")
    challenge["petitioner"] = d.get("petitioner")
    challenge["order_ids"] = list(d.get("order_ids") or ())
    challenge["filed_at"] = at


def _ruling_issued(state: State, d: dict, at: str) -> None:
    challenge = _challenge(state, d["case_id"], d.get("court"))
    challenge["rulings"].append({"court": d.get("court"), "outcome": d.get("outcome"),
                                 "costs": d.get("costs"), "currency": d.get("currency"),
                                 "ruled_at": at})


def _nothing(state: State, d: dict, at: str) -> None:
    """Events that inform the timeline but not the state (meetings, statements)."""


_HANDLERS: dict[str, Callable[[State, dict, str], None]] = {
    "order_issued": _order_issued,
    "accounts_blocked": _accounts_blocked,
    "accounts_unblocked": _accounts_unblocked,
    "notice_sent": _notice_sent,
    "acknowledgement_sent": _acknowledgement_sent,
    "dialogue_requested": _dialogue_requested,
    "meeting_held": _nothing,
    "statement_published": _nothing,
    "compliance_reported": _compliance_reported,
    "challenge_filed": _challenge_filed,
    "ruling_issued": _ruling_issued,
    **fold_v2.HANDLERS,
}


def handler(kind: str) -> Callable[[State, dict, str], None] | None:
    """The function that folds one event type's `data` (None: the type changes no state)."""
    return _HANDLERS.get(kind)


class Folded(msgspec.Struct, gc=False):
    """The fields of a stored record the fold reads; msgspec skips the rest (sources,
    hashes, times of recording) in C."""

    type: str
    occurred_at: str
    seq: int
    data: dict
    id: str = ""


class Cited(Folded, gc=False):
    """A record as `why` and the report's series read it: also who acted and the sources."""

    actor: str | None = None
    confidence: str | None = None
    sources: list = []


# (state after it, the record's replay key, the record, how many folded so far)
OnFold = Callable[[tuple[int, int], Any, State, int], None]


def fold_pages(state: State | None, pages: Iterable[Sequence[tuple[int, int, Any]]],
               decode: Callable[[Any], Any], on_fold: OnFold | None = None,
               ) -> tuple[State, tuple[int, int] | None, int]:
    """THE fold loop: every replay, snapshot, as-of query, `why` and chart goes through it.

    `pages` are sequences of (occurred_us, seq, item) in replay order, already selected and
    amended; `decode(item)` gives a record with `type`, `occurred_at`, `seq` and `data`
    attributes (a `Folded` decoded from the stored bytes, or the item itself). Retractions,
    corrections and unknown types change nothing (the timeline applied them; a newer
    catalogue's events must not break an older fold). `on_fold(key, record, state, n)` is
    called after each record with the state brought up to date (for snapshots and for the
    views that watch the fold). Returns (state, key of the last record, records seen).
    """
    state = initial() if state is None else state
    last_seq, last_at = state["last_seq"], state["last_occurred_at"]
    get = _HANDLERS.get
    last, n = None, 0
    for page in pages:
        for occurred_us, seq, item in page:
            record = decode(item)
            fold = get(record.type)
            n += 1
            if fold is not None:
                last_at = record.occurred_at  # replay order: the latest folded so far
                fold(state, record.data, last_at)
                if record.seq > last_seq:
                    last_seq = record.seq
            if on_fold is not None:
                state["last_seq"], state["last_occurred_at"] = last_seq, last_at
                on_fold((occurred_us, seq), record, state, n)
        if page:
            last = (page[-1][0], page[-1][1])
    state["last_seq"], state["last_occurred_at"] = last_seq, last_at
    return state, last, n


def fold_records(records: Iterable[Record], state: State | None = None,
                 on_fold: OnFold | None = None, record_type: type = Folded) -> State:
    """Fold `records` given as dicts (replay order) onto `state` or `initial()`, through
    `fold_pages`, each converted to `record_type` (`Cited` for hooks that cite them)."""
    def convert(record: Record):
        return msgspec.convert(record, record_type)

    return fold_pages(state, [[(0, 0, r) for r in records]], convert, on_fold)[0]


def evolve(state: State, record: Record) -> State:
    """Fold one stored record (a dict, in replay order after the ones before) into `state`,
    in place, and return it."""
    return fold_records((record,), state)


def fold(records: Iterable[Record], state: State | None = None) -> State:
    """Fold `records` (dicts, replay order) onto `state`, or onto `initial()` when none is
    given."""
    return fold_records(records, state)
