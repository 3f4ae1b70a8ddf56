"""Time travel through the real log (SPEC §4, §8): as_of, known_at, retractions, corrections,
snapshots + tail, on a worked dispute with hand-computed figures and on generated streams.
The worked dispute and the known_at property run on every backend (`backend`).

The generated streams come from `StreamBuilder` below (also used by test_stored_views.py):
orders with named targets or target counts, blocks and unblocks under existing orders,
notices, acknowledgements, reports, dialogue, challenges, retractions and corrections of
earlier events, with occurrence times drawn independently of the append order (days and
RFC 3339 times with offsets), so many events arrive backdated.

The oracle `fresh_view` is written here from the SPEC, not from docket.replay: it reads the
records back, keeps what was known, applies retractions and corrections by hand, sorts by
(occurred instant, seq), folds from the initial state with no snapshot, and renders the view.
"""

from __future__ import annotations

import copy
import functools
import os
import tempfile
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import docket.replay
import docket.stored.maintain
from docket import EventLog
from docket.catalog import REFERENCES, introduced
from docket.projection import fold
from docket.stored.rows import TABLES, view_rows
from docket.times import time_key, upper_bound
from docket.views import state_view

AMENDING = ("event_retracted", "event_corrected")
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# For a property run on every backend: `backend_factory` (a function-scoped fixture) makes a
# fresh log per example, so hypothesis need not warn that the fixture outlives an example;
# fewer examples, as a PostgreSQL log costs ~0.3 s to make.
EVERY_BACKEND = settings(SETTINGS, max_examples=8,
                         suppress_health_check=[*SETTINGS.suppress_health_check,
                                                HealthCheck.function_scoped_fixture])


# -- helpers ---------------------------------------------------------------------------------
def _tmpdir() -> str:
    return tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


@contextmanager
def new_log(make=None):
    """A fresh EventLog in a temporary file (tmp_path is function-scoped: not for @given),
    or at `make()` (conftest's backend_factory: a new log on the test's backend)."""
    if make is not None:
        log = EventLog(make())
        try:
            yield log
        finally:
            log.close()
        return
    folder = _tmpdir()
    log = EventLog(os.path.join(folder, "docket.db"))
    try:
        yield log
    finally:
        log.close()
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


@contextmanager
def snapshot_every(n: int):
    """Snapshots every `n` events of replay order (the module default is 5,000)."""
    with mock.patch.object(docket.stored.maintain, "SNAPSHOT_EVERY", n):
        yield


def key(record: dict) -> tuple[int, int]:
    return time_key(record["occurred_at"]), record["seq"]


def story(records: list[dict], stream: str, as_of: str | None = None,
          known_at: str | None = None, until: str | None = None
          ) -> tuple[list[dict], list[dict]]:
    """(the stream's records as a fresh replay folds them, the amending records known).

    Written from SPEC §4: keep what the log held at known_at, apply every known retraction
    and correction (a later correction replaces the fields it gives), keep what occurred by
    as_of and by `until` (a day: the whole day; `until` is where a public_at view stops),
    sort by (occurred instant, seq)."""
    recs = [r for r in records if r["stream"] == stream]
    if known_at is not None:
        recs = [r for r in recs if time_key(r["recorded_at"]) <= upper_bound(known_at)]
    recs.sort(key=lambda r: r["seq"])
    amending = [r for r in recs if r["type"] in AMENDING]
    retracted, corrected = set(), {}
    for r in amending:
        d = r["data"]
        if r["type"] == "event_retracted":
            retracted.add(d["target_id"])
        else:
            change = corrected.setdefault(d["target_id"], {})
            for field in ("occurred_at", "data"):
                if d.get(field) is not None:
                    change[field] = d[field]
    out = []
    for r in recs:
        if r["type"] in AMENDING or r["id"] in retracted:
            continue
        r = {**r, **corrected.get(r["id"], {})}
        if any(t is not None and time_key(r["occurred_at"]) > upper_bound(t)
               for t in (as_of, until)):
            continue
        out.append(copy.deepcopy(r))
    out.sort(key=key)
    return out, amending


def fresh_view(records: list[dict], stream: str, as_of: str | None = None,
               known_at: str | None = None, until: str | None = None) -> dict:
    """SPEC §5 state of a from-scratch fold (no snapshot, no stored view); `until` bounds
    the events as `as_of` does (a public_at view), and `overdue` and accruals are judged
    at the earlier of the two (README: a public_at view stops at its time and is judged
    there)."""
    folded, amending = story(records, stream, as_of, known_at, until)
    judged = as_of if until is None or (
        as_of is not None and upper_bound(as_of) <= upper_bound(until)) else until
    state = fold(folded)
    known = [r for r in records if r["stream"] == stream and (
        known_at is None or time_key(r["recorded_at"]) <= upper_bound(known_at))]
    version = max((r["version"] for r in known), default=0)
    last_seq = max([state["last_seq"], *(r["seq"] for r in amending)])
    return state_view(state, stream=stream, as_of=as_of, known_at=known_at,
                      version=version, last_seq=last_seq, judged_at=judged)


def sorted_rows(view: dict) -> dict[str, list[tuple]]:
    """`view_rows` of a view in the order `StoredViews.stored_rows` reads them (by key)."""
    out = {}
    for table, rows in view_rows(view).items():
        columns, pk = TABLES[table].names, TABLES[table].key
        idx = [columns.index(c) for c in pk]
        out[table] = sorted(rows, key=lambda row: tuple(row[i] for i in idx))
    return out


def stored_rows(log: EventLog, stream: str) -> dict[str, list[tuple]]:
    with log.storage.reading():
        return log.views.stored_rows(stream)


CONTENT = ("stream", "orders", "accounts", "notices", "dialogue", "challenges", "penalties",
           "penalty_totals", "service")


def content(view: dict) -> dict:
    """What a view says about the world (not where the log stands: last_seq, version)."""
    return {k: view[k] for k in CONTENT}


def last_recorded_at(log: EventLog) -> str:
    return list(log.read())[-1]["recorded_at"]


def tick() -> None:
    """Let the wall clock move, so the next batch is recorded strictly later."""
    time.sleep(0.003)


# -- generated streams -----------------------------------------------------------------------
TARGETS = ("@a", "@b", "@c", "@d", "@e", "#tag", "https://x.com/p/1", "acct-9")
OFFSETS = ("Z", "+05:30", "-03:00", "+00:00")


@functools.cache
def _ints(lo: int, hi: int):
    # Strategies are cached: building a fresh one per draw costs more than the test.
    return st.integers(lo, hi)


def pick(draw, values):
    values = list(values)
    return values[draw(_ints(0, len(values) - 1))]


def coin(draw) -> bool:
    return draw(_ints(0, 1)) == 1


def some(draw, values, lo: int = 0, hi: int = 3) -> list:
    """Up to `hi` (at least `lo`, when there are that many) distinct values, in drawn order."""
    pool = list(values)
    out = []
    for _ in range(draw(_ints(min(lo, len(pool)), min(hi, len(pool))))):
        out.append(pool.pop(draw(_ints(0, len(pool) - 1))))
    return out


@functools.cache
def times(month: int = 2):
    """Occurrence times in a few days of `month`: days, and times with offsets (ties too)."""
    day = st.integers(1, 9)
    return st.one_of(
        st.builds(lambda d: f"2021-{month:02d}-{d:02d}", day),
        st.builds(lambda d, h, o: f"2021-{month:02d}-{d:02d}T{h:02d}:00:00{o}", day,
                  st.sampled_from((0, 6, 12, 23)), st.sampled_from(OFFSETS)),
    )


class StreamBuilder:
    """Builds a valid stream (in append order) one event at a time, with hypothesis draws."""

    KINDS = (["order_issued"] * 3 + ["accounts_blocked"] * 5 + ["accounts_unblocked"] * 3
             + ["notice_sent"] * 2 + ["acknowledgement_sent"] * 2 + ["compliance_reported"] * 2
             + ["dialogue_requested", "statement_published", "challenge_filed",
                "ruling_issued"]
             # catalogue v2: penalties (daily or once), payments, lifts, the service by country
             + ["penalty_imposed"] * 2 + ["penalty_paid"] * 2
             + ["penalty_lifted", "service_suspended", "service_restored"])

    def __init__(self, stream: str = "s") -> None:
        self.stream = stream
        self.events: list[dict] = []
        self.orders: dict[str, list | None] = {}   # order_id -> named targets
        self.notices: list[str] = []
        self.cases: list[str] = []
        self.penalties: list[str] = []
        self.context: list[tuple] = []  # per event: (orders, notices, cases, penalties) before it

    # data of each type, from the references available in `ctx`
    def order_data(self, draw, oid):
        d = {"order_id": oid, "issuer": "MeitY", "platform": "Twitter"}
        if coin(draw):
            d["targets"] = targets = some(draw, TARGETS, 1, 4)
            if coin(draw):  # fewer than the names too (SPEC: only a default of len)
                d["target_count"] = draw(_ints(len(targets) - 1, len(targets) + 3))
        elif draw(_ints(0, 3)):
            d["target_count"] = draw(_ints(0, 6))
        if coin(draw):
            d["deadline"] = draw(times())
        if coin(draw):
            d["procedure"] = pick(draw, ("emergency", "regular", "court", "other"))
            d["legal_basis"] = "IT Act s.69A"
        scope = pick(draw, (None, None, "global", "IN"))
        if scope is not None:
            d["scope"] = scope
        return d

    def penalty_data(self, draw, kind, ident, orders, cases, penalties):
        """Data of a v2 penalty or service event, citing what exists before it."""
        if kind == "penalty_imposed":
            d = {"penalty_id": ident, "issuer": "HC", "against": "Twitter",
                 "amount": draw(_ints(0, 9)), "currency": pick(draw, ("INR", "BRL"))}
            if coin(draw):
                d["per"] = pick(draw, ("once", "day"))
            if orders and coin(draw):
                d["order_ids"] = some(draw, sorted(orders), 1, 2)
            if cases and draw(_ints(0, 3)) == 0:
                d["case_id"] = pick(draw, cases)
            if draw(_ints(0, 2)) == 0:
                d["starts_at"] = draw(times())
            if draw(_ints(0, 3)) == 0:  # an end (the log refuses one before starts_at)
                ends = draw(times())
                if "starts_at" in d and time_key(ends) < time_key(d["starts_at"]):
                    d["starts_at"], ends = ends, d["starts_at"]
                d["ends_at"] = ends
            return d
        if kind == "penalty_paid":
            d = {"amount": draw(_ints(0, 40)), "currency": pick(draw, ("INR", "BRL")),
                 "by": "Twitter"}
            if penalties and draw(_ints(0, 3)):
                d["penalty_ids"] = some(draw, penalties, 1, 2)
            return d
        if kind == "penalty_lifted":
            return {"penalty_id": pick(draw, penalties), "by": "SC"}
        d = {"platform": "Twitter", "scope": pick(draw, ("IN", "BR"))}
        if kind == "service_suspended":
            d["ordered_by"] = "MeitY"
            if orders and coin(draw):
                d["order_id"] = pick(draw, sorted(orders))
        else:
            d["by"] = "MeitY"
        return d

    def movement_data(self, draw, kind, orders):
        oid = pick(draw, sorted(orders)) if orders and draw(_ints(0, 5)) else None
        d = {}
        if oid is not None:
            d["order_id"] = oid
        modes = ["targets", "count"] + (["all", "all", "mixed"] if oid is not None else [])
        mode = pick(draw, modes)
        pool = list(TARGETS) if oid is None else list(dict.fromkeys(
            (orders[oid] or []) + list(TARGETS[:2])))
        if mode in ("targets", "mixed"):
            d["targets"] = some(draw, pool, 1, 3)
        if mode in ("all", "mixed"):
            d["all_targets"] = True
        if mode in ("count", "mixed"):
            d["count"] = draw(_ints(0, 4))
        if kind == "accounts_blocked":
            scope = pick(draw, (None, "global", "IN", "US"))
            if scope is not None:
                d["scope"] = scope
            if draw(_ints(0, 5)) == 0:
                d["basis"] = "platform_rules"
        elif coin(draw):
            d["unilateral"] = True
        return d

    def data_for(self, draw, kind, ident, ctx):
        orders, notices, cases, penalties = ctx
        if kind.startswith(("penalty_", "service_")):
            return self.penalty_data(draw, kind, ident, orders, cases, penalties)
        if kind == "order_issued":
            return self.order_data(draw, ident)
        if kind in ("accounts_blocked", "accounts_unblocked"):
            return self.movement_data(draw, kind, orders)
        if kind == "notice_sent":
            return {"notice_id": ident, "issuer": "MeitY", "recipient": "Twitter",
                    "kind": pick(draw, ("non_compliance", "show_cause", "final")),
                    "order_ids": some(draw, sorted(orders))}
        if kind == "acknowledgement_sent":
            return {"ref_id": pick(draw, sorted(notices) + sorted(orders)), "by": "Twitter"}
        if kind == "compliance_reported":
            return {"order_id": pick(draw, sorted(orders)), "actioned": draw(_ints(0, 6)),
                    "specified": draw(_ints(0, 6)), "reporter": pick(draw, ("Twitter", "MeitY"))}
        if kind == "dialogue_requested":
            by = pick(draw, ("Twitter", "MeitY"))
            return {"by": by, "addressee": "MeitY" if by == "Twitter" else "Twitter"}
        if kind == "statement_published":
            return {"speaker": "Twitter", "summary": pick(draw, ("a", "b"))}
        if kind == "challenge_filed":
            return {"case_id": ident, "court": "HC", "petitioner": "Twitter",
                    "order_ids": some(draw, sorted(orders))}
        if kind == "ruling_issued":
            d = {"case_id": ident, "court": "HC", "outcome": pick(draw, ("dismissed", "allowed"))}
            if coin(draw):
                d.update(costs=draw(_ints(0, 500000)), currency="INR")
            return d
        raise AssertionError(kind)

    def _ctx(self):
        return (dict(self.orders), list(self.notices), list(self.cases), list(self.penalties))

    def step(self, draw, amend: bool = True, when=None) -> dict:
        """Draw one more valid event (of any kind; amending ones only with `amend`)."""
        n = len(self.events)
        ident = f"{self.stream}-e{n}"
        plain = [i for i, e in enumerate(self.events) if e["type"] not in AMENDING]
        kinds = list(self.KINDS) + (["event_retracted", "event_corrected"] * 2
                                    if amend and plain else [])
        kind = pick(draw, kinds) if self.orders else "order_issued"
        if kind == "ruling_issued" and not self.cases:
            kind = "challenge_filed"
        if kind == "penalty_lifted" and not self.penalties:
            kind = "penalty_imposed"
        ctx = self._ctx()
        if kind == "event_retracted":
            target = self.events[pick(draw, plain)]
            data = {"target_id": target["id"], "reason": "wrong"}
        elif kind == "event_corrected":
            i = pick(draw, plain)
            data = {"target_id": self.events[i]["id"], "reason": "fixed"}
            data.update(self.correction(draw, i))
        else:
            label = {"order_issued": f"O-{n}", "notice_sent": f"N-{n}",
                     "challenge_filed": f"C-{n}", "penalty_imposed": f"P-{n}"}.get(kind)
            if kind == "ruling_issued":
                label = pick(draw, self.cases)
            data = self.data_for(draw, kind, label, ctx)
            if kind == "order_issued":
                self.orders[label] = data.get("targets")
            elif kind == "notice_sent":
                self.notices.append(label)
            elif kind == "challenge_filed":
                self.cases.append(label)
            elif kind == "penalty_imposed":
                self.penalties.append(label)
        event = {"type": kind, "stream": self.stream, "id": ident, "data": data,
                 "occurred_at": draw(when if when is not None else times()),
                 "sources": [{"title": f"source of {ident}"}]}
        if coin(draw):
            event["actor"] = pick(draw, ("MeitY", "Twitter"))
        self.events.append(event)
        self.context.append(ctx)
        return event

    def correction(self, draw, i: int) -> dict:
        """Replacement fields for event i: a new time and/or new data valid where it stands."""
        target = self.events[i]
        what = pick(draw, ("time", "data", "both"))
        out = {}
        if what in ("time", "both"):
            out["occurred_at"] = draw(times())
        if what in ("data", "both"):
            d = target["data"]
            ident = d.get({"order_issued": "order_id", "notice_sent": "notice_id",
                           "penalty_imposed": "penalty_id"}.get(target["type"], "case_id"))
            out["data"] = self.data_for(draw, target["type"], ident, self.context[i])
        return out


def build(draw, n: int, stream: str = "s", amend: bool = True) -> StreamBuilder:
    b = StreamBuilder(stream)
    for _ in range(n):
        b.step(draw, amend=amend)
    return b


def batches(draw, events: list) -> list[list]:
    """Split `events` (append order kept) into random consecutive batches."""
    out, i = [], 0
    while i < len(events):
        size = draw(_ints(1, 4))
        out.append(events[i:i + size])
        i += size
    return out


# -- worked dispute, through the real log ----------------------------------------------------
W = "w"


def ev(type_, when, ident, actor=None, **data):
    out = {"type": type_, "stream": W, "occurred_at": when, "id": ident, "data": data,
           "sources": [{"title": f"source of {ident}", "url": f"https://example.org/{ident}"}]}
    if actor:
        out["actor"] = actor
    return out


# In replay order; appended in another order (below) so most arrive backdated.
W1 = ev("order_issued", "2021-02-01T10:00:00+05:30", "w1", "MeitY", order_id="O-1",
        issuer="MeitY", platform="Twitter", targets=["@a", "@b", "@c", "@d"],
        legal_basis="IT Act s.69A", procedure="emergency", deadline="2021-02-03")
W2 = ev("accounts_blocked", "2021-02-01T18:30:00Z", "w2", "Twitter", order_id="O-1",
        targets=["@a", "@b"], scope="IN")
W3 = ev("order_issued", "2021-02-02", "w3", "MeitY", order_id="O-2", issuer="MeitY",
        platform="Twitter", target_count=3, procedure="regular",
        deadline="2021-02-04T12:00:00+05:30")
W4 = ev("accounts_blocked", "2021-02-02T06:00:00-05:00", "w4", "Twitter", order_id="O-2",
        count=3)
W5 = ev("notice_sent", "2021-02-02T09:00:00Z", "w5", "MeitY", notice_id="N-1",
        kind="non_compliance", issuer="MeitY", recipient="Twitter", order_ids=["O-1"])
W6 = ev("accounts_unblocked", "2021-02-02T12:00:00Z", "w6", "Twitter", order_id="O-1",
        targets=["@a"], unilateral=True)
W7 = ev("compliance_reported", "2021-02-02T13:00:00Z", "w7", "Twitter", order_id="O-1",
        actioned=2, specified=4, reporter="Twitter")
W8 = ev("acknowledgement_sent", "2021-02-03T08:00:00Z", "w8", "Twitter", ref_id="N-1",
        by="Twitter")
W9 = ev("accounts_unblocked", "2021-02-04T00:00:00Z", "w9", "Twitter", order_id="O-2",
        all_targets=True)
W10 = ev("accounts_blocked", "2021-02-05T00:00:00Z", "w10", "Twitter", order_id="O-1",
         all_targets=True)
APPEND_ORDER = [[W1, W10, W5], [W3, W8, W2], [W9, W4, W7, W6]]   # three batches

O1 = {"order_id": "O-1", "stream": W, "issuer": "MeitY", "platform": "Twitter",
      "issued_at": "2021-02-01T10:00:00+05:30", "legal_basis": "IT Act s.69A",
      "procedure": "emergency", "target_count": 4, "deadline": "2021-02-03"}
O2 = {"order_id": "O-2", "stream": W, "issuer": "MeitY", "platform": "Twitter",
      "issued_at": "2021-02-02", "legal_basis": None, "procedure": "regular",
      "target_count": 3, "deadline": "2021-02-04T12:00:00+05:30"}
PENDING = {"blocked": 0, "ever_blocked": 0, "restored": 0, "compliance": 0.0,
           "status": "pending", "first_action_at": None, "hours_to_first_action": None,
           "overdue": False, "notices": [], "acknowledged": False, "reported": None,
           "scope": None, "penalties": []}
O1_FIRST = {"first_action_at": "2021-02-01T18:30:00Z", "hours_to_first_action": 14.0}
O2_FIRST = {"first_action_at": "2021-02-02T06:00:00-05:00", "hours_to_first_action": 11.0}
REPORT = {"actioned": 2, "specified": 4, "reporter": "Twitter"}

# as_of -> the compliance rows, every field computed by hand.
WORKED = {
    # before anything
    "2021-01-31": [],
    # O-1 issued at 04:30Z, nothing done yet; its deadline is days away
    "2021-02-01T12:00:00Z": [{**O1, **PENDING}],
    # the whole day: @a and @b blocked (in India) at 18:30Z, 14 hours after the order
    "2021-02-01": [{**O1, **PENDING, **O1_FIRST, "blocked": 2, "ever_blocked": 2,
                    "compliance": 0.5, "status": "partial"}],
    # mid-way: O-2 complied at 11:00Z; N-1 sent on O-1; @a restored at 12:00Z; no report yet
    "2021-02-02T12:30:00Z": [
        {**O1, **PENDING, **O1_FIRST, "blocked": 1, "ever_blocked": 2, "restored": 1,
         "compliance": 0.25, "status": "partial", "notices": ["N-1"]},
        {**O2, **PENDING, **O2_FIRST, "blocked": 3, "ever_blocked": 3, "compliance": 1.0,
         "status": "complied"}],
    # the whole day of O-1's deadline: acknowledged and reported, not yet overdue
    "2021-02-03": [
        {**O1, **PENDING, **O1_FIRST, "blocked": 1, "ever_blocked": 2, "restored": 1,
         "compliance": 0.25, "status": "partial", "notices": ["N-1"], "acknowledged": True,
         "reported": REPORT},
        {**O2, **PENDING, **O2_FIRST, "blocked": 3, "ever_blocked": 3, "compliance": 1.0,
         "status": "complied"}],
    # past O-1's deadline and not complied: overdue; O-2 restored (reverted) at this very
    # instant, before its own deadline (06:30Z): not overdue
    "2021-02-04T00:00:00Z": [
        {**O1, **PENDING, **O1_FIRST, "blocked": 1, "ever_blocked": 2, "restored": 1,
         "compliance": 0.25, "status": "partial", "notices": ["N-1"], "acknowledged": True,
         "reported": REPORT, "overdue": True},
        {**O2, **PENDING, **O2_FIRST, "blocked": 0, "ever_blocked": 3, "restored": 3,
         "compliance": 0.0, "status": "reverted"}],
    # the rest of the 4th: O-2 now past its deadline, reverted: overdue
    "2021-02-04": [
        {**O1, **PENDING, **O1_FIRST, "blocked": 1, "ever_blocked": 2, "restored": 1,
         "compliance": 0.25, "status": "partial", "notices": ["N-1"], "acknowledged": True,
         "reported": REPORT, "overdue": True},
        {**O2, **PENDING, **O2_FIRST, "blocked": 0, "ever_blocked": 3, "restored": 3,
         "compliance": 0.0, "status": "reverted", "overdue": True}],
    # every target of O-1 blocked (@a again): complied, so no longer overdue
    "2021-02-05": [
        {**O1, **PENDING, **O1_FIRST, "blocked": 4, "ever_blocked": 4, "compliance": 1.0,
         "status": "complied", "notices": ["N-1"], "acknowledged": True, "reported": REPORT},
        {**O2, **PENDING, **O2_FIRST, "blocked": 0, "ever_blocked": 3, "restored": 3,
         "compliance": 0.0, "status": "reverted", "overdue": True}],
}


@pytest.fixture
def worked(backend):
    log = EventLog(backend)
    marks = []
    for batch in APPEND_ORDER:
        log.append(batch)
        marks.append(last_recorded_at(log))
        tick()
    yield log, marks
    log.close()


@pytest.mark.parametrize("as_of", sorted(WORKED))
def test_worked_compliance_by_hand(worked, as_of):
    log, _ = worked
    assert log.compliance(W, as_of=as_of) == WORKED[as_of]
    assert log.compliance(as_of=as_of) == WORKED[as_of]  # the only stream
    view = log.state(W, as_of=as_of)
    assert list(view["orders"].values()) == WORKED[as_of]
    assert (view["as_of"], view["known_at"], view["version"]) == (as_of, None, 10)


def test_worked_now_and_accounts(worked):
    log, _ = worked
    # Without as_of, overdue is judged at the last event folded (2021-02-05T00:00Z): O-2
    # (deadline the 4th 06:30Z, reverted) overdue, O-1 complied.
    assert log.compliance() == WORKED["2021-02-05"]
    view = log.state(W)
    assert view["last_seq"] == 10 and view["version"] == 10
    assert view["accounts"] == {
        t: {"status": "blocked", "scope": "global", "order_id": "O-1",
            "since": "2021-02-05T00:00:00Z"} for t in ("@a", "@b", "@c", "@d")}
    assert view["notices"] == {"N-1": {"kind": "non_compliance", "sent_at": "2021-02-02T09:00:00Z",
                                       "order_ids": ["O-1"],
                                       "acknowledged_at": "2021-02-03T08:00:00Z"}}
    mid = log.state(W, as_of="2021-02-02T12:30:00Z")
    assert mid["accounts"] == {
        "@a": {"status": "active", "scope": None, "order_id": "O-1",
               "since": "2021-02-02T12:00:00Z"},
        "@b": {"status": "blocked", "scope": "IN", "order_id": "O-1",
               "since": "2021-02-01T18:30:00Z"}}
    assert mid["notices"]["N-1"]["acknowledged_at"] is None
    # last_seq: the highest seq folded by then (w2 came in the 2nd batch as seq 6, w6 is 10)
    assert mid["last_seq"] == 10
    assert log.state(W, as_of="2021-02-01")["last_seq"] == 6


def test_worked_known_at(worked):
    log, marks = worked
    # What the log held after the first batch: O-1, its notice, and the all_targets block.
    rows = log.compliance(W, known_at=marks[0])
    assert rows == [{**O1, **PENDING, "blocked": 4, "ever_blocked": 4, "compliance": 1.0,
                     "status": "complied", "first_action_at": "2021-02-05T00:00:00Z",
                     "hours_to_first_action": 91.5, "notices": ["N-1"]}]
    # ... seen as of the 3rd: nothing blocked yet, and overdue at the end of its deadline day?
    # No: the reference instant equals the deadline's end, which is not past it.
    assert log.compliance(W, as_of="2021-02-03", known_at=marks[0]) == [
        {**O1, **PENDING, "notices": ["N-1"]}]
    assert log.compliance(W, as_of="2021-02-04", known_at=marks[0]) == [
        {**O1, **PENDING, "notices": ["N-1"], "overdue": True}]
    # After the second batch: the first block (w2) and the acknowledgement are known.
    second = log.state(W, as_of="2021-02-03", known_at=marks[1])
    assert second["version"] == 6 and second["known_at"] == marks[1]
    assert second["orders"]["O-1"] == {
        **O1, **PENDING, **O1_FIRST, "blocked": 2, "ever_blocked": 2, "compliance": 0.5,
        "status": "partial", "notices": ["N-1"], "acknowledged": True}
    assert second["orders"]["O-2"] == {**O2, **PENDING}
    assert log.state(W, known_at="2021-01-01")["orders"] == {}
    assert log.state(W, known_at="2021-01-01")["version"] == 0


def test_worked_retraction_and_correction(worked):
    log, marks = worked
    before = log.state(W, as_of="2021-02-02T12:30:00Z")
    tick()
    # Retract the restore of @a (w6), recorded now but dated long after it.
    log.append([ev("event_retracted", "2021-03-01", "r1", reason="misreported", target_id="w6")])
    mark_r = last_recorded_at(log)
    tick()
    # Correct the first block's time: it was 08:30Z, four hours after the order.
    log.append([ev("event_corrected", "2021-03-02", "c1", reason="time zone",
                   target_id="w2", occurred_at="2021-02-01T08:30:00Z")])
    o1_mid = {**O1, **PENDING, "blocked": 2, "ever_blocked": 2, "compliance": 0.5,
              "status": "partial", "notices": ["N-1"],
              "first_action_at": "2021-02-01T08:30:00Z", "hours_to_first_action": 4.0}
    assert log.compliance(W, as_of="2021-02-02T12:30:00Z")[0] == o1_mid
    # Between the order (04:30Z) and the corrected first action (08:30Z): pending.
    assert log.compliance(W, as_of="2021-02-01T06:00:00Z") == [{**O1, **PENDING}]
    assert log.compliance(W, as_of="2021-02-01T08:30:00Z")[0]["status"] == "partial"
    # @a was never restored, as the story now stands.
    assert log.state(W, as_of="2021-02-02T12:30:00Z")["accounts"]["@a"] == {
        "status": "blocked", "scope": "IN", "order_id": "O-1", "since": "2021-02-01T08:30:00Z"}
    # Known before the retraction: the analyst then saw the restore and the 18:30Z block.
    old = log.state(W, as_of="2021-02-02T12:30:00Z", known_at=marks[-1])
    assert content(old) == content(before)
    assert old["fingerprint"] == before["fingerprint"]
    # Known after the retraction, before the correction: no restore, first action 18:30Z.
    mid = log.compliance(W, as_of="2021-02-02T12:30:00Z", known_at=mark_r)[0]
    assert mid == {**o1_mid, **O1_FIRST}
    # The log itself never changed: w6 and w2 are still there as written.
    by_id = {r["id"]: r for r in log.read()}
    assert by_id["w2"]["occurred_at"] == "2021-02-01T18:30:00Z"
    assert by_id["w6"]["type"] == "accounts_unblocked"
    # The timeline marks the retraction and shows the correction.
    line = {r["id"]: r for r in log.timeline(W)}
    assert line["w6"]["retracted"] == {"id": "r1", "reason": "misreported"}
    assert line["w2"]["occurred_at"] == "2021-02-01T08:30:00Z"
    assert "retracted" not in line["w2"]
    assert [r["id"] for r in log.timeline(W, as_of="2021-02-01")] == ["w1", "w2"]


def test_as_of_day_means_whole_day_and_offsets(tmp_path):
    """A day T is the whole day in UTC; an event at 23:00-03:00 on the 1st is the 2nd UTC."""
    with _open(tmp_path) as log:
        log.append([
            ev("order_issued", "2021-02-01", "a1", order_id="O-1", issuer="G", platform="P",
               target_count=5),
            ev("accounts_blocked", "2021-02-01T23:59:59Z", "a2", order_id="O-1", count=1),
            ev("accounts_blocked", "2021-02-01T23:00:00-03:00", "a3", order_id="O-1", count=1),
            ev("accounts_blocked", "2021-02-02T04:00:00+05:30", "a4", order_id="O-1", count=1),
        ])
        blocked = lambda t: log.compliance(as_of=t)[0]["blocked"]
        # a3 is 2021-02-02T02:00Z; a4 is 2021-02-01T22:30Z
        assert blocked("2021-02-01T22:29:59Z") == 0
        assert blocked("2021-02-01T22:30:00Z") == 1
        assert blocked("2021-02-01T23:59:58Z") == 1
        assert blocked("2021-02-01T23:59:59Z") == 2
        assert blocked("2021-02-01") == 2
        assert blocked("2021-02-01T20:59:59-03:00") == 2   # = 23:59:59Z
        # a4 = 2021-02-01T22:30:00Z: before a2 in replay order
        assert [r["id"] for r in log.timeline()] == ["a1", "a4", "a2", "a3"]
        assert blocked("2021-02-02T01:59:59Z") == 2
        assert blocked("2021-02-02T02:00:00Z") == 3
        assert blocked("2021-02-01T23:00:00-03:00") == 3
        assert blocked("2021-02-02") == 3
        # ties: a day and midnight UTC are the same instant, then by seq
        log.append([ev("accounts_unblocked", "2021-02-01T00:00:00Z", "a5", order_id="O-1",
                       count=1)])
        assert [r["id"] for r in log.timeline()] == ["a1", "a5", "a4", "a2", "a3"]
        assert [r["id"] for r in log.timeline(since="2021-02-01T22:30:00Z")] == ["a4", "a2", "a3"]


@contextmanager
def _open(tmp_path):
    log = EventLog(str(tmp_path / "d.db"))
    try:
        yield log
    finally:
        log.close()


def test_bad_times_are_errors(worked):
    from docket.errors import InvalidEvent
    log, _ = worked
    for call in (lambda: log.state(W, as_of="2021-02-30"),
                 lambda: log.compliance(as_of="yesterday"),
                 lambda: log.state(W, known_at="2021-02-01T10:00:00"),
                 lambda: log.timeline(since="2021/02/01"),
                 lambda: log.diff("2021-02-01", "nope")):
        with pytest.raises(InvalidEvent):
            call()


# -- properties ------------------------------------------------------------------------------
@SETTINGS
@given(st.data())
def test_snapshot_plus_tail_equals_full_replay(data):
    """as_of/known_at queries served from snapshots == a from-scratch fold, at random T."""
    draw = data.draw
    every = draw(st.sampled_from((2, 3)), label="SNAPSHOT_EVERY")
    b = build(draw, draw(st.integers(4, 22)))
    with snapshot_every(every), new_log() as log:
        marks = []
        for batch in batches(draw, b.events):
            log.append(batch)
            marks.append(last_recorded_at(log))
        records = list(log.read())
        # The queries below start from whatever snapshots there are (those taken at an event
        # a later batch retracted or moved are gone; snapshots are taken as the head folds
        # on, so a log appended backwards may have none) and patch in what landed before.
        for _ in range(4):
            as_of = draw(st.none() | times(), label="as_of")
            known_at = draw(st.none() | st.sampled_from(marks), label="known_at")
            want = fresh_view(records, "s", as_of, known_at)
            assert log.state("s", as_of=as_of, known_at=known_at) == want
            assert log.compliance("s", as_of=as_of, known_at=known_at) == \
                list(want["orders"].values())
        # The replay hands its state over to the view (view_only): the same view.
        assert log.replay() == {"s": fresh_view(records, "s")}


@SETTINGS
@given(st.data())
def test_as_of_is_monotone(data):
    """Appending events that occur after T (non-amending) never changes the as-of-T view."""
    draw = data.draw
    b = build(draw, draw(st.integers(1, 15)))
    with snapshot_every(draw(st.sampled_from((2, 3, 5000)))), new_log() as log:
        for batch in batches(draw, b.events):
            log.append(batch)
        points = draw(st.lists(times(), min_size=1, max_size=3), label="T")
        before = {t: (log.state("s", as_of=t), log.compliance("s", as_of=t)) for t in points}
        later = [b.step(draw, amend=False, when=times(month=3))
                 for _ in range(draw(st.integers(1, 8)))]
        for batch in batches(draw, later):
            log.append(batch)
        for t, (view, rows) in before.items():
            after = log.state("s", as_of=t)
            assert content(after) == content(view)
            assert after["last_seq"] == view["last_seq"]
            assert log.compliance("s", as_of=t) == rows
        assert log.state("s")["version"] == len(b.events)


@EVERY_BACKEND
@given(st.data())
def test_known_at_is_what_the_log_held_then(backend_factory, data):
    """known_at = the recording time of an earlier batch ignores every later event
    (retractions and corrections included): it equals the view the log gave back then."""
    draw = data.draw
    b = build(draw, draw(st.integers(2, 18)))
    as_of = draw(times(), label="as_of")
    with snapshot_every(draw(st.sampled_from((2, 3)))), new_log(backend_factory) as log:
        seen = []
        for batch in batches(draw, b.events):
            log.append(batch)
            seen.append((last_recorded_at(log), log.state("s"), log.state("s", as_of=as_of),
                         log.compliance("s", as_of=as_of)))
            tick()
        for i, (mark, now, then, rows) in enumerate(seen):
            if i + 1 < len(seen):
                assert seen[i + 1][0] > mark  # the next batch was recorded strictly later
            got = log.state("s", known_at=mark)
            assert got == {**now, "known_at": mark}
            got = log.state("s", as_of=as_of, known_at=mark)
            assert got == {**then, "known_at": mark}
            assert log.compliance("s", as_of=as_of, known_at=mark) == rows


# Every field that cites an entity of the stream, by the catalogue's table of references
# (field -> whether it holds a list), the retraction's and correction's target aside.
_CITING = {r.field: r.many for refs in REFERENCES.values() for r in refs.cites
           if r.kinds != ("event",)}


def _refs(event: dict) -> set[str]:
    """Entity ids an event refers to (in its data or replacement data)."""
    out = set()
    for d in (event["data"], event["data"].get("data") or {}):
        for field, many in _CITING.items():
            value = d.get(field)
            if isinstance(value, str) and not many:
                out.add(value)
            elif many and value:
                out.update(value)
    out.discard(_creates(event))
    return out


def _creates(event: dict) -> str | None:
    """The id of the entity an event introduces (an order, notice, case, penalty), if any."""
    new = introduced(event["type"], event["data"])
    return new[1] if new else None


@SETTINGS
@given(st.data())
def test_retraction_equals_replay_without_it(data):
    draw = data.draw
    b = build(draw, draw(st.integers(1, 16)))
    events = b.events
    # Events whose removal leaves a valid stream: nothing else refers to what they create.
    removable = [e for e in events if e["type"] not in AMENDING and (
        _creates(e) is None or not any(
            _creates(e) in _refs(o) for o in events
            if o is not e and o["data"].get("target_id") != e["id"]))]
    assume(removable)
    gone = draw(st.sampled_from(removable), label="retracted")
    reduced = [e for e in events if e is not gone and e["data"].get("target_id") != gone["id"]]
    points = [None] + draw(st.lists(times(), max_size=3), label="as_of")
    with snapshot_every(3), new_log() as log, new_log() as other:
        for batch in batches(draw, events):
            log.append(batch)
        before = {t: log.state("s", as_of=t) for t in points}
        mark = last_recorded_at(log)
        tick()
        log.append([{"type": "event_retracted", "stream": "s", "id": "retraction",
                     "occurred_at": draw(times(), label="retraction time"),
                     "data": {"target_id": gone["id"], "reason": "never happened"}}])
        if reduced:
            other.append(reduced)
        for t in points:
            got = log.state("s", as_of=t)
            if reduced:
                assert content(got) == content(other.state("s", as_of=t))
            else:
                assert got["orders"] == got["accounts"] == got["notices"] == {}
            # a retraction known later does not act on a known_at before it
            assert log.state("s", as_of=t, known_at=mark) == {**before[t], "known_at": mark}
        if reduced:
            mine, theirs = stored_rows(log, "s"), stored_rows(other, "s")
            assert {k: v for k, v in mine.items() if k != "view_streams"} == \
                {k: v for k, v in theirs.items() if k != "view_streams"}
            assert log.compliance("s") == other.compliance("s")


@SETTINGS
@given(st.data())
def test_correction_equals_replay_with_replaced_data(data):
    draw = data.draw
    b = build(draw, draw(st.integers(1, 16)))
    events = b.events
    amended = {e["data"]["target_id"] for e in events if e["type"] in AMENDING}
    candidates = [i for i, e in enumerate(events)
                  if e["type"] not in AMENDING and e["id"] not in amended]
    assume(candidates)
    i = draw(st.sampled_from(candidates), label="corrected")
    change = b.correction(draw, i)
    replaced = [dict(e) for e in events]
    replaced[i].update(change)          # the event as it should have been written
    points = [None] + draw(st.lists(times(), max_size=3), label="as_of")
    with snapshot_every(3), new_log() as log, new_log() as other:
        for batch in batches(draw, events):
            log.append(batch)
        before = {t: log.state("s", as_of=t) for t in points}
        written = list(log.read())
        mark = last_recorded_at(log)
        tick()
        log.append([{"type": "event_corrected", "stream": "s", "id": "correction",
                     "occurred_at": draw(times(), label="correction time"),
                     "data": {"target_id": events[i]["id"], "reason": "typo", **change}}])
        other.append(replaced)
        for t in points:
            got = log.state("s", as_of=t)
            assert content(got) == content(other.state("s", as_of=t))
            assert log.compliance("s", as_of=t) == other.compliance("s", as_of=t)
            assert log.state("s", as_of=t, known_at=mark) == {**before[t], "known_at": mark}
        mine, theirs = stored_rows(log, "s"), stored_rows(other, "s")
        assert {k: v for k, v in mine.items() if k != "view_streams"} == \
            {k: v for k, v in theirs.items() if k != "view_streams"}
        # the log itself is unchanged: the corrected event still reads as written
        assert list(log.read())[:-1] == written


def test_retracting_a_moved_event_after_the_head(tmp_path):
    """A retraction must undo an event wherever the story now places it.

    w-b was written on Jan 10, then corrected to Jan 2; a retraction dated Jan 20 targets
    it. Its effect (@a blocked) must disappear from the stored views and from every query.
    """
    with _open(tmp_path) as log:
        S = W
        log.append([ev("order_issued", "2021-01-01", "o", order_id="O", issuer="G",
                       platform="P", targets=["@a", "@b"])])
        log.append([ev("accounts_blocked", "2021-01-10", "b", order_id="O", targets=["@a"])])
        log.append([ev("statement_published", "2021-01-05", "s1", speaker="x", summary="y")])
        log.append([ev("event_corrected", "2021-01-20", "c", target_id="b", reason="r",
                       occurred_at="2021-01-02")])
        log.append([ev("event_retracted", "2021-01-20", "r", target_id="b", reason="r")])
        records = list(log.read())
        want = fresh_view(records, S)
        assert want["accounts"] == {}
        assert want["orders"]["O"]["status"] == "pending"
        assert log.state(S, as_of="2021-12-31") == fresh_view(records, S, as_of="2021-12-31")
        assert stored_rows(log, S) == sorted_rows(want)
        assert log.state(S) == want
