"""The stored views (SPEC §4 last rule, issue 3 items 5-6): the SQLite view tables always
equal a fresh replay, after every append, backdated or not; backdated events refold from
the nearest snapshot before them; `rebuild` gives what incremental maintenance gave.

Generated streams and the from-scratch oracle come from test_replay.py (see its docstring).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st
from test_replay import (
    AMENDING,
    SETTINGS,
    StreamBuilder,
    _ints,
    batches,
    fresh_view,
    key,
    new_log,
    pick,
    snapshot_every,
    sorted_rows,
    stored_rows,
    story,
)

import docket.stored.maintain
from docket import EventLog
from docket.projection import fold, fold_records
from docket.replay import records_in_order, view_of
from docket.stored.snapshots import decode_state
from docket.timeline import amendments
from docket.times import time_key

MAX = 2**63 - 1


# -- helpers ---------------------------------------------------------------------------------
def snapshots(log: EventLog, stream: str) -> list[tuple]:
    """(occurred_us, seq, log_seq, folded, state blob) of each snapshot, in replay order."""
    with log.storage.reading():
        return [r[1:] for r in log.storage.select("docket_snapshots", (stream,))]


def head(log: EventLog, stream: str) -> tuple | None:
    """(occurred_us, seq, log_seq, folded, fold state) of the stream's head, the state put
    together from its scalars and its entities (one `docket_fold` row each)."""
    with log.storage.reading():
        row = log.storage.get("docket_view_heads", (stream,),
                              ("occurred_us", "seq", "log_seq", "folded", "scalars"))
        if row is None:
            return None
        state = decode_state(row[4])
        for kind in docket.stored.maintain._ENTITIES:
            state[kind] = {}
        for kind, k, value in log.storage.select("docket_fold", (stream,),
                                                 ("kind", "key", "value")):
            state[kind][k] = decode_state(value)
        return (*row[:4], state)


def library_from_scratch(log: EventLog, stream: str) -> dict:
    """The library's own fresh replay, through the timeline's records (dicts) and
    `fold_records`, no snapshot."""
    with log.storage.reading():
        amend = amendments(log.storage, stream, MAX)
        records = [r for _, r in records_in_order(log.storage, stream, MAX, amend)
                   if "retracted" not in r and r["type"] not in AMENDING]
        return view_of(log.storage, stream, fold_records(records), amend, MAX)


def check_stream(log: EventLog, records: list[dict], stream: str, every: int,
                 *others: EventLog) -> None:
    """Stored tables, head and snapshots of `stream` against a fresh replay of `records`
    (and the current state as read through every other handle on the same file)."""
    want = fresh_view(records, stream)
    assert stored_rows(log, stream) == sorted_rows(want)
    assert library_from_scratch(log, stream) == want
    assert log.replay(stream) == {stream: want}  # fold_stream's fused loop, no snapshot
    for handle in (log, *others):
        assert handle.state(stream) == want
    # Snapshots sit at every `every`-th record of the current replay order and hold the
    # fold of exactly the records up to there; the head holds the fold of all of them.
    replayed, _ = story(records, stream)
    snaps = snapshots(log, stream)
    assert [((o, s), n) for o, s, _, n, _ in snaps] == \
        [(key(replayed[p - 1]), p) for p in range(every, len(replayed) + 1, every)]
    for _, _, _, n, blob in snaps:
        assert decode_state(blob) == fold(replayed[:n])
    h = head(log, stream)
    assert h is not None and h[3] == len(replayed)
    assert (h[0], h[1]) == (key(replayed[-1]) if replayed else (None, None))
    assert h[4] == fold(replayed)


@contextmanager
def fold_counter():
    """Count the records `StoredViews` folds (through docket.stored.maintain.fold_stream)."""
    counts: list[int] = []
    real = docket.stored.maintain.fold_stream

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        counts.append(out[2])
        return out

    with mock.patch.object(docket.stored.maintain, "fold_stream", spy):
        yield counts


def interleave(draw, *streams: list) -> list:
    """Merge streams in a random interleaving that keeps each stream's own order."""
    queues = [list(s) for s in streams if s]
    out = []
    while queues:
        q = queues[pick(draw, range(len(queues)))]
        out.append(q.pop(0))
        queues = [q for q in queues if q]
    return out


def draw_log(draw, max_events: int = 18):
    """Two generated streams (s, t), interleaved, split into batches (or one by one)."""
    s, t = StreamBuilder("s"), StreamBuilder("t")
    for _ in range(draw(_ints(1, max_events))):
        s.step(draw)
    for _ in range(draw(_ints(0, max_events // 3))):
        t.step(draw)
    events = interleave(draw, s.events, t.events)
    if draw(_ints(0, 2)) == 0:
        return [[e] for e in events]
    return batches(draw, events)


# -- properties ------------------------------------------------------------------------------
@SETTINGS
@given(st.data())
def test_stored_views_equal_fresh_replay_after_every_append(data):
    draw = data.draw
    every = draw(st.sampled_from((2, 3, 5)), label="SNAPSHOT_EVERY")
    with snapshot_every(every), new_log() as log:
        # A second handle on the same file (another process, as far as the log can tell):
        # each append goes through one of the two, so neither may trust a stale head.
        other = EventLog(log.path)
        try:
            for batch in draw_log(draw):
                writer = pick(draw, (log, other))
                writer.append(batch)
                records = list(log.read())
                for stream in sorted({r["stream"] for r in records}):
                    check_stream(log, records, stream, every, other)
        finally:
            other.close()


@SETTINGS
@given(st.data())
def test_backdated_events_refold_from_the_nearest_snapshot(data):
    """For a batch of ordinary events whose earliest replay key is K: snapshots before K
    survive untouched, those from K on are rewritten by this append, and the append folds
    only the records after the nearest snapshot before K (or after the head, when K is
    past it) — never the whole stream."""
    draw = data.draw
    every = draw(st.sampled_from((2, 3)), label="SNAPSHOT_EVERY")
    with snapshot_every(every), new_log() as log:
        for batch in draw_log(draw, 20):
            if any(e["type"] in AMENDING for e in batch):
                log.append(batch)
                records = list(log.read())
                for s in {e["stream"] for e in batch}:
                    check_stream(log, records, s, every)
                continue
            before = list(log.read())
            next_seq = len(before) + 1
            touched = {}
            for offset, e in enumerate(batch):
                k = (time_key(e["occurred_at"]), next_seq + offset)
                touched[e["stream"]] = min(touched.get(e["stream"], k), k)
            old = {s: snapshots(log, s) for s in touched}
            expected = 0
            for s, k in touched.items():
                old_story, _ = story(before, s)
                new_len = len(old_story) + sum(e["stream"] == s for e in batch)
                if old_story and k > key(old_story[-1]):
                    expected += new_len - len(old_story)         # folds on from the head
                else:
                    kept = [n for o, q, _, n, _ in old[s] if (o, q) < k]
                    expected += new_len - (kept[-1] if kept else 0)
            with fold_counter() as counts:
                log.append(batch)
            assert sum(counts) == expected
            last = next_seq + len(batch) - 1
            for s, k in touched.items():
                now = snapshots(log, s)
                assert [x for x in now if (x[0], x[1]) < k] == \
                    [x for x in old[s] if (x[0], x[1]) < k]
                assert all(x[2] == last for x in now if (x[0], x[1]) >= k)
            records = list(log.read())
            for s in touched:
                check_stream(log, records, s, every)


@SETTINGS
@given(st.data())
def test_rebuild_equals_incremental_maintenance(data):
    draw = data.draw
    every = draw(st.sampled_from((2, 3)), label="SNAPSHOT_EVERY")
    with snapshot_every(every), new_log() as log:
        for batch in draw_log(draw):
            log.append(batch)
        streams = log.streams()

        def dump():
            with log.storage.reading():
                tables = {s: log.views.stored_rows(s) for s in streams}
                snaps = [(r[0], r[1], r[2], r[4], decode_state(r[5]))
                         for r in log.storage.select("docket_snapshots")]
            heads = {s: head(log, s) for s in streams}
            heads = {s: (h[0], h[1], h[3], h[4]) for s, h in heads.items()}  # not log_seq
            return tables, snaps, heads

        incremental = dump()
        assert log.rebuild() == len(streams)
        assert dump() == incremental
        records = list(log.read())
        for s in streams:
            check_stream(log, records, s, every)
        # and maintenance goes on from the rebuilt state
        log.append([{"type": "statement_published", "stream": "s", "id": "after-rebuild",
                     "occurred_at": "2021-02-01", "data": {"speaker": "x", "summary": "y"}}])
        check_stream(log, list(log.read()), "s", every)


# -- worked cases ----------------------------------------------------------------------------
def day(n: int) -> str:
    return f"2021-02-{n:02d}"


def stmt(ident, when, stream="b"):
    return {"type": "statement_published", "stream": stream, "id": ident, "occurred_at": when,
            "data": {"speaker": "x", "summary": ident}}


def us(when: str) -> int:
    return time_key(when)


def test_backdated_event_refolds_from_the_snapshot_before_it(tmp_path):
    with snapshot_every(3):
        log = EventLog(str(tmp_path / "b.db"))
        log.append([{"type": "order_issued", "stream": "b", "id": "e1", "occurred_at": day(1),
                     "data": {"order_id": "O", "issuer": "G", "platform": "P",
                              "target_count": 20}}])
        for n in range(2, 10):   # e2..e9: one block a day, appended in order
            log.append([{"type": "accounts_blocked", "stream": "b", "id": f"e{n}",
                         "occurred_at": day(n), "data": {"order_id": "O", "count": 1}}])
        assert [(o, s, ls, n) for o, s, ls, n, _ in snapshots(log, "b")] == [
            (us(day(3)), 3, 3, 3), (us(day(6)), 6, 6, 6), (us(day(9)), 9, 9, 9)]
        assert head(log, "b")[:4] == (us(day(9)), 9, 9, 9)
        kept = snapshots(log, "b")[0]
        # e10 is backdated between e5 and e6: refold from the snapshot at e3 (position 3):
        # e4 e5 e10 e6 e7 e8 e9, seven records, not ten.
        with fold_counter() as counts:
            log.append([{"type": "accounts_blocked", "stream": "b", "id": "e10",
                         "occurred_at": "2021-02-05T12:00:00Z", "data": {"order_id": "O",
                                                                          "count": 1}}])
        assert counts == [7]
        snaps = snapshots(log, "b")
        assert snaps[0] == kept                       # survives, untouched (log_seq 3)
        assert [(o, s, ls, n) for o, s, ls, n, _ in snaps] == [
            (us(day(3)), 3, 3, 3), (us("2021-02-05T12:00:00Z"), 10, 10, 6),
            (us(day(8)), 8, 10, 9)]
        assert head(log, "b")[:4] == (us(day(9)), 9, 10, 10)
        assert log.compliance("b")[0]["blocked"] == 9
        assert log.compliance("b", as_of="2021-02-05T12:00:00Z")[0]["blocked"] == 5
        check_stream(log, list(log.read()), "b", 3)
        # An event after the head folds just itself and writes no snapshot (position 11).
        with fold_counter() as counts:
            log.append([stmt("e11", day(10))])
        assert counts == [1] and snapshots(log, "b") == snaps
        # Retracting e2 (dated later, but e2 sits at the 2nd position): refold from scratch.
        with fold_counter() as counts:
            log.append([{"type": "event_retracted", "stream": "b", "id": "r", "occurred_at":
                         day(20), "data": {"target_id": "e2", "reason": "no"}}])
        assert counts == [10]
        assert [(o, s, ls, n) for o, s, ls, n, _ in snapshots(log, "b")] == [
            (us(day(4)), 4, 12, 3), (us(day(6)), 6, 12, 6), (us(day(9)), 9, 12, 9)]
        assert log.compliance("b")[0]["blocked"] == 8
        check_stream(log, list(log.read()), "b", 3)
        log.close()


def test_second_correction_moving_an_event_later(tmp_path):
    """An event corrected to an earlier time, then corrected again to a later one: every
    snapshot between the two places must be dropped, or the event counts twice/early."""
    with snapshot_every(2):
        log = EventLog(str(tmp_path / "m.db"))
        log.append([{"type": "order_issued", "stream": "b", "id": "o", "occurred_at": day(1),
                     "data": {"order_id": "O", "issuer": "G", "platform": "P",
                              "targets": ["@a", "@b"]}}])
        log.append([{"type": "accounts_blocked", "stream": "b", "id": "x", "occurred_at":
                     day(10), "data": {"order_id": "O", "targets": ["@a"]}}])
        log.append([stmt(f"s{n}", day(n)) for n in (3, 4, 5, 6)])
        log.append([{"type": "event_corrected", "stream": "b", "id": "c1", "occurred_at":
                     day(20), "data": {"target_id": "x", "reason": "r",
                                       "occurred_at": day(2)}}])
        log.append([{"type": "event_corrected", "stream": "b", "id": "c2", "occurred_at":
                     day(20), "data": {"target_id": "x", "reason": "r",
                                       "occurred_at": day(8)}}])
        records = list(log.read())
        want = fresh_view(records, "b")
        assert want["accounts"]["@a"]["since"] == day(8)
        assert log.state("b", as_of=day(5))["accounts"] == {}
        assert log.compliance("b", as_of=day(5))[0]["status"] == "pending"
        assert stored_rows(log, "b") == sorted_rows(want)
        check_stream(log, records, "b", 2)
        log.close()


def test_rebuild_repairs_damaged_tables(tmp_path):
    path = str(tmp_path / "r.db")
    log = EventLog(path)
    log.append([{"type": "order_issued", "stream": "b", "id": "o", "occurred_at": day(1),
                 "data": {"order_id": "O", "issuer": "G", "platform": "P", "targets": ["@a"]}},
                {"type": "accounts_blocked", "stream": "b", "id": "x", "occurred_at": day(2),
                 "data": {"order_id": "O", "targets": ["@a"]}}])
    good = stored_rows(log, "b")
    raw = sqlite3.connect(path)
    with raw:   # the view tables are ordinary tables: anyone can damage them
        raw.execute("UPDATE view_orders SET blocked = 0, status = 'pending'")
        raw.execute("DELETE FROM view_accounts")
        raw.execute("DELETE FROM docket_view_heads")
    raw.close()
    assert stored_rows(log, "b") != good
    assert log.rebuild() == 1
    assert stored_rows(log, "b") == good
    check_stream(log, list(log.read()), "b", docket.stored.maintain.SNAPSHOT_EVERY)
    log.close()


def test_replay_returns_every_stream_afresh_and_refuses_an_unknown_one(tmp_path):
    import pytest

    from docket.errors import InvalidEvent

    log = EventLog(str(tmp_path / "r.db"))
    for stream in ("s", "t"):
        log.append([{"type": "order_issued", "stream": stream, "occurred_at": "2021-02-01",
                     "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "X",
                              "targets": ["@a", "@b"]}},
                    {"type": "accounts_blocked", "stream": stream, "occurred_at": "2021-02-02",
                     "data": {"order_id": "O-1", "targets": ["@a"]}}])
    # Damage the stored view: a replay must not read it.
    with log.storage.writing():  # the view tables are ordinary tables
        log.storage.upsert("view_orders", [
            r[:8] + (99,) + r[9:] for r in log.storage.select("view_orders")])
    replayed = log.replay()
    assert sorted(replayed) == ["s", "t"]
    assert all(v["orders"]["O-1"]["blocked"] == 1 for v in replayed.values())
    log.rebuild()
    assert replayed == {name: log.state(name) for name in ("s", "t")}
    with pytest.raises(InvalidEvent, match="no stream 'nope'"):
        log.replay("nope")
    log.close()


def test_as_of_queries_leave_the_garbage_collector_as_they_found_it(tmp_path):
    import gc

    log = EventLog(str(tmp_path / "g.db"))
    log.append([{"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01",
                 "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "X",
                          "targets": ["@a"], "target_count": 1}},
                {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-03",
                 "data": {"order_id": "O-1", "targets": ["@a"]}}])
    assert gc.isenabled()
    # The as-of paths pause the collector while they decode and fold (docket.gcpause) and
    # restore it afterwards.
    seen = []
    fold = log.views.state

    def watched(*args):
        seen.append(gc.isenabled())
        return fold(*args)

    with mock.patch.object(log.views, "state", watched):
        before = log.state("s", as_of="2021-02-02")
        assert log.compliance("s", as_of="2021-02-04")[0]["compliance"] == 1
    assert seen == [False, False]
    assert before["orders"]["O-1"]["blocked"] == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert log.state("s", as_of="2021-02-02") == before
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    log.close()


def order(ident, when, order_id="O", **data):
    """An order_issued record in stream `b` (issuer G, platform P, plus `data`)."""
    return {"type": "order_issued", "stream": "b", "id": ident, "occurred_at": when,
            "data": {"order_id": order_id, "issuer": "G", "platform": "P", **data}}


def retractions(*targets):
    """One event_retracted record in stream `b` per target id, dated after everything."""
    return [{"type": "event_retracted", "stream": "b", "id": f"r-{t}", "occurred_at": day(20),
             "data": {"target_id": t, "reason": "no"}} for t in targets]


def test_refold_moving_the_reference_time_flips_overdue(tmp_path):
    # `overdue` is judged at the latest event folded. A retraction of the latest event moves
    # that time back before the deadline, a correction moves it past again: the refold must
    # rewrite the order's row although the order itself did not change.
    with snapshot_every(2):
        log = EventLog(str(tmp_path / "o.db"))
        block = {"type": "accounts_blocked", "stream": "b", "id": "e3", "occurred_at": day(2),
                 "data": {"order_id": "O", "count": 1}}
        log.append([order("e1", day(1), target_count=2, deadline=day(5)),
                    order("e2", day(1), "Q", target_count=2, deadline=day(9)),
                    block, stmt("e4", day(7))])
        assert [r["overdue"] for r in log.compliance("b")] == [True, False]
        log.append(retractions("e4"))
        assert [r["overdue"] for r in log.compliance("b")] == [False, False]
        check_stream(log, list(log.read()), "b", 2)
        log.append([{"type": "event_corrected", "stream": "b", "id": "c1",
                     "occurred_at": day(21), "data": {"target_id": "e3", "reason": "later",
                                                      "occurred_at": day(10)}}])
        assert [r["overdue"] for r in log.compliance("b")] == [True, True]
        check_stream(log, list(log.read()), "b", 2)
        log.close()


def test_refold_after_a_retraction_removes_what_the_event_made(tmp_path):
    # A refold writes only what differs from the stored state: what the retracted events
    # had made (an order with its deadline, a dialogue request) must be removed, not kept.
    with snapshot_every(2):
        log = EventLog(str(tmp_path / "r.db"))
        talk = {"type": "dialogue_requested", "stream": "b", "id": "e2", "occurred_at": day(3),
                "data": {"by": "P", "addressee": "G"}}
        log.append([order("e1", day(1), deadline=day(5)), talk,
                    {**talk, "id": "e3", "occurred_at": day(4)}, stmt("e4", day(6))])
        assert len(log.state("b")["dialogue"]) == 2
        log.append(retractions("e1", "e3"))
        view = log.state("b")
        assert view["orders"] == {} and len(view["dialogue"]) == 1
        check_stream(log, list(log.read()), "b", 2)
        # The deadline index forgets the retracted order too.
        with log.storage.reading():
            assert log.storage.select("docket_deadlines") == []
        log.close()


def test_retracting_every_event_then_appending_again(tmp_path):
    # Nothing left to fold: no reference time, a head without a key; then the stream grows
    # again, backdated and not. The tables follow a fresh replay at every step.
    with snapshot_every(2):
        log = EventLog(str(tmp_path / "e.db"))
        log.append([order("e1", day(2), deadline=day(3)), stmt("e2", day(6))])
        assert log.compliance("b")[0]["overdue"] is True
        log.append(retractions("e1", "e2"))
        assert log.state("b")["orders"] == {} and log.compliance("b") == []
        check_stream(log, list(log.read()), "b", 2)
        for batch in ([order("e3", day(4), "P", deadline=day(5))], [stmt("e4", day(1))],
                      [stmt("e5", day(9))]):
            log.append(batch)
            check_stream(log, list(log.read()), "b", 2)
        assert log.compliance("b")[0]["overdue"] is True
        log.close()


def test_acknowledging_a_notice_rewrites_the_rows_of_the_orders_it_cites(tmp_path):
    # The acknowledgement changes the notice alone, yet each cited order's row shows
    # whether all its notices are acknowledged: appended in order and backdated.
    with snapshot_every(2):
        log = EventLog(str(tmp_path / "n.db"))
        notice = {"type": "notice_sent", "stream": "b", "id": "e3", "occurred_at": day(3),
                  "data": {"notice_id": "N", "kind": "non_compliance", "issuer": "G",
                           "recipient": "P", "order_ids": ["O", "Q"]}}
        log.append([order("e1", day(1)), order("e2", day(1), "Q"), notice, stmt("e4", day(8))])
        assert [r["acknowledged"] for r in log.compliance("b")] == [False, False]
        for ident, when in (("e5", day(9)), ("e6", day(5))):  # the second lands earlier
            log.append([{"type": "acknowledgement_sent", "stream": "b", "id": ident,
                         "occurred_at": when, "data": {"ref_id": "N", "by": "P"}}])
            assert [r["acknowledged"] for r in log.compliance("b")] == [True, True]
            check_stream(log, list(log.read()), "b", 2)
        log.close()
