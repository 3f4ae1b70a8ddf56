"""The fold: counting rules (SPEC §5), totality, and snapshot/determinism properties."""

from __future__ import annotations

import copy

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from docket import fold_names
from docket.projection import evolve, fold, initial
from docket.times import time_key


def rec(seq, type_, occurred_at, **data):
    """A stored record as the timeline layer hands it to the fold."""
    return {
        "seq": seq, "id": f"e{seq}", "stream": "s", "version": seq, "type": type_,
        "occurred_at": occurred_at, "recorded_at": "2024-01-01T00:00:00.000000Z",
        "actor": None, "data": data, "sources": [], "confidence": "reported",
        "schema_version": 1, "prev_hash": "0" * 64, "hash": "0" * 64,
    }


def replay(records):
    return sorted(records, key=lambda r: (time_key(r["occurred_at"]), r["seq"]))


def counts(state, oid):
    """(blocked, ever_blocked) of an order by the SPEC §5 rule, computed from the state."""
    o = state["orders"][oid]
    blocked = len(o["blocked"]) + o["unnamed"]
    ever = len(o["ever"]) + o["peak"]
    tc = o["target_count"]
    if tc is not None:
        blocked, ever = min(blocked, tc), min(ever, tc)
    return blocked, ever


def test_initial_is_empty_and_fresh():
    a, b = initial(), initial()
    assert a == {"last_seq": 0, "last_occurred_at": None, "orders": {}, "accounts": {},
                 "notices": {}, "dialogue": [], "challenges": {}, "order_notices": {},
                 "penalties": {}, "payments": {}, "service": {}, "order_penalties": {}}
    a["orders"]["x"] = 1
    assert b["orders"] == {}  # no shared mutable defaults


def test_order_defaults():
    s = fold([rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P",
                  targets=["@a", "@b"]),
              rec(2, "order_issued", "2021-02-01", order_id="B", issuer="I", platform="P"),
              rec(3, "order_issued", "2021-02-01", order_id="C", issuer="I", platform="P",
                  targets=["@a"], target_count=9)])
    assert s["orders"]["A"]["target_count"] == 2
    assert s["orders"]["B"]["target_count"] is None
    assert s["orders"]["C"]["target_count"] == 9
    assert s["orders"]["B"]["legal_basis"] is None and s["orders"]["B"]["deadline"] is None


def test_named_targets_and_all_targets():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P",
            targets=["@a", "@b", "@c"]),
        rec(2, "accounts_blocked", "2021-02-02", order_id="A", targets=["@a"], scope="IN"),
        rec(3, "accounts_blocked", "2021-02-03", order_id="A", all_targets=True),
    ])
    assert counts(s, "A") == (3, 3)
    assert s["orders"]["A"]["first_action_at"] == "2021-02-02"
    # The scope changed, so @a's entry moved to the later block.
    assert s["accounts"]["@a"] == {"status": "blocked", "scope": "global", "order_id": "A",
                                   "since": "2021-02-03", "orders": {"A": True}}
    s = fold([rec(4, "accounts_unblocked", "2021-02-04", order_id="A", all_targets=True)], s)
    assert counts(s, "A") == (0, 3)
    assert s["accounts"]["@b"]["status"] == "active"
    assert s["accounts"]["@b"]["scope"] is None
    assert s["accounts"]["@b"]["since"] == "2021-02-04"


def test_repeated_block_keeps_since():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P",
            targets=["@a"]),
        rec(2, "order_issued", "2021-02-01", order_id="B", issuer="I", platform="P",
            targets=["@a"]),
        rec(3, "accounts_blocked", "2021-02-02", order_id="A", targets=["@a"]),
        rec(4, "accounts_blocked", "2021-02-05", order_id="B", targets=["@a"]),
    ])
    acc = s["accounts"]["@a"]
    assert (acc["since"], acc["order_id"]) == ("2021-02-02", "A")
    assert counts(s, "A") == (1, 1) and counts(s, "B") == (1, 1)
    # An account is blocked or not: one unblock restores it for every order counting it.
    s = fold([rec(5, "accounts_unblocked", "2021-02-06", targets=["@a"])], s)
    assert counts(s, "A") == (0, 1) and counts(s, "B") == (0, 1)
    assert s["accounts"]["@a"]["order_id"] == "A"  # no order on the unblock: kept


def test_all_targets_on_count_only_order_and_mixed_order():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="N", issuer="I", platform="P",
            target_count=4),
        rec(2, "order_issued", "2021-02-01", order_id="M", issuer="I", platform="P",
            targets=["@x", "@y"], target_count=5),
        rec(3, "accounts_blocked", "2021-02-02", order_id="N", all_targets=True),
        rec(4, "accounts_blocked", "2021-02-02", order_id="M", all_targets=True),
    ])
    assert counts(s, "N") == (4, 4)
    assert counts(s, "M") == (5, 5)  # 2 named + the 3 unnamed rest
    s = fold([rec(5, "accounts_unblocked", "2021-02-03", order_id="M", targets=["@x"])], s)
    assert counts(s, "M") == (4, 5)
    s = fold([rec(6, "accounts_blocked", "2021-02-04", order_id="M", count=10)], s)
    assert s["orders"]["M"]["unnamed"] == 5  # clamped at target_count
    assert counts(s, "M") == (5, 5)
    s = fold([rec(7, "accounts_unblocked", "2021-02-05", order_id="M", count=2)], s)
    assert counts(s, "M") == (4, 5)
    s = fold([rec(8, "accounts_unblocked", "2021-02-06", order_id="N", all_targets=True)], s)
    assert counts(s, "N") == (0, 4)


def test_unnamed_counts_floor_and_unknown_target_count():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="U", issuer="I", platform="P"),
        rec(2, "accounts_blocked", "2021-02-02", order_id="U", count=7),
        rec(3, "accounts_unblocked", "2021-02-03", order_id="U", count=10),
    ])
    assert counts(s, "U") == (0, 7)
    assert s["orders"]["U"]["unnamed"] == 0
    s = fold([rec(4, "accounts_unblocked", "2021-02-04", order_id="U", count=1)], s)
    assert s["orders"]["U"]["unnamed"] == 0


def test_first_action_needs_a_movement():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P",
            targets=["@a"]),
        rec(2, "accounts_blocked", "2021-02-02", order_id="A", targets=[], count=0),
        rec(3, "accounts_unblocked", "2021-02-03", order_id="A", targets=["@a"]),
    ])
    assert s["orders"]["A"]["first_action_at"] is None
    assert counts(s, "A") == (0, 0)
    assert s["accounts"]["@a"] == {"status": "active", "scope": None, "order_id": "A",
                                   "since": "2021-02-03", "orders": {}}


def test_platform_rules_and_orderless_count():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P",
            targets=["@a"], target_count=3),
        rec(2, "accounts_blocked", "2021-02-02", targets=["@a", "@z"], basis="platform_rules"),
        rec(3, "accounts_blocked", "2021-02-02", count=50),
    ])
    assert counts(s, "A") == (0, 0)
    assert s["orders"]["A"]["first_action_at"] is None
    assert s["accounts"]["@z"]["order_id"] is None
    assert s["accounts"]["@a"]["status"] == "blocked"


def test_total_on_dangling_references():
    s = fold([
        rec(1, "accounts_blocked", "2021-02-02", order_id="GONE", targets=["@q"], count=3),
        rec(2, "accounts_blocked", "2021-02-02", order_id="GONE", all_targets=True),
        rec(3, "accounts_unblocked", "2021-02-03", order_id="GONE", all_targets=True, count=1),
        rec(4, "acknowledgement_sent", "2021-02-03", ref_id="GONE", by="X"),
        rec(5, "compliance_reported", "2021-02-03", order_id="GONE", actioned=1, specified=2,
            reporter="X"),
        rec(6, "ruling_issued", "2021-02-04", case_id="C", court="HC", outcome="stayed"),
        rec(7, "event_retracted", "2021-02-05", target_id="e1", reason="r"),
        rec(8, "event_corrected", "2021-02-05", target_id="e1", reason="r"),
        rec(9, "some_future_type", "2021-02-05"),
    ])
    assert s["orders"] == {}
    assert s["accounts"]["@q"]["status"] == "blocked"
    assert s["challenges"]["C"] == {"court": "HC", "petitioner": None, "order_ids": [],
                                    "filed_at": None, "rulings": [
                                        {"court": "HC", "outcome": "stayed", "costs": None,
                                         "currency": None, "ruled_at": "2021-02-04"}]}
    assert s["last_seq"] == 6  # retractions/corrections/unknown types are not folded


def test_acknowledgements_and_reports():
    s = fold([
        rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P"),
        rec(2, "notice_sent", "2021-02-02", notice_id="N", kind="final", issuer="I",
            recipient="P", order_ids=["A"]),
        rec(3, "acknowledgement_sent", "2021-02-03", ref_id="N", by="P"),
        rec(4, "acknowledgement_sent", "2021-02-04", ref_id="N", by="P"),
        rec(5, "compliance_reported", "2021-02-05", order_id="A", actioned=1, specified=2,
            reporter="P"),
        rec(6, "compliance_reported", "2021-02-06", order_id="A", actioned=2, specified=2,
            reporter="Q"),
        rec(7, "notice_sent", "2021-02-07", notice_id="M", kind="other", issuer="I",
            recipient="P"),
    ])
    assert s["notices"]["N"]["acknowledged_at"] == "2021-02-03"  # the first one counts
    assert s["notices"]["M"]["order_ids"] == []
    assert s["orders"]["A"]["acknowledged_at"] is None
    assert s["orders"]["A"]["reported"] == {"actioned": 2, "specified": 2, "reporter": "Q"}


def test_fold_does_not_alias_record_data():
    r1 = rec(1, "order_issued", "2021-02-01", order_id="A", issuer="I", platform="P",
             targets=["@a"])
    r2 = rec(2, "notice_sent", "2021-02-02", notice_id="N", kind="final", issuer="I",
             recipient="P", order_ids=["A"])
    s = fold([r1, r2])
    r1["data"]["targets"].append("@evil")
    r2["data"]["order_ids"].append("B")
    assert s["orders"]["A"]["targets"] == ["@a"]
    assert s["notices"]["N"]["order_ids"] == ["A"]


def test_the_state_keeps_one_string_per_name():
    # Every decoded record brings its own copy of each name; the state keeps one object per
    # name (at 200k events, 512k string objects for 89k names were 28 of its 47 MB).
    def decoded(r):
        return msgspec.json.decode(msgspec.json.encode(r))

    records = [decoded(r) for r in (
        rec(1, "order_issued", "2021-02-01", order_id="A", issuer="MeitY", platform="X",
            legal_basis="s.69A", procedure="emergency", targets=["@a", "@b"]),
        rec(2, "order_issued", "2021-02-02", order_id="B", issuer="MeitY", platform="X",
            legal_basis="s.69A", procedure="emergency", targets=["@a"]),
        rec(3, "accounts_blocked", "2021-02-03", order_id="A", targets=["@a", "@c"]),
        rec(4, "accounts_unblocked", "2021-02-04", targets=["@d"]),
        rec(5, "notice_sent", "2021-02-05", notice_id="N1", kind="final", issuer="MeitY",
            recipient="X", order_ids=["A", "B"]),
        rec(6, "notice_sent", "2021-02-06", notice_id="N2", kind="final", issuer="MeitY",
            recipient="X", order_ids=["A"]),
        rec(7, "compliance_reported", "2021-02-07", order_id="A", actioned=1, specified=2,
            reporter="X"),
    )]
    s = fold(records)
    a, b = s["orders"]["A"], s["orders"]["B"]
    assert a["targets"][0] is b["targets"][0]
    assert next(iter(a["ever"])) is a["targets"][0]
    assert next(iter(a["blocked"])) is a["targets"][0]
    assert next(iter(s["accounts"])) is a["targets"][0]
    accounts = {k: k for k in s["accounts"]}
    assert accounts["@c"] is next(k for k in a["ever"] if k == "@c")
    assert accounts["@d"] == "@d"
    for field in ("issuer", "platform", "legal_basis", "procedure"):
        assert a[field] is b[field]
    n1, n2 = s["notices"]["N1"], s["notices"]["N2"]
    assert n1["kind"] is n2["kind"] and n1["order_ids"][0] is n2["order_ids"][0]
    assert a["reported"]["reporter"] is a["platform"]
    # What is shared is only what is equal: the fold's counts and names are unchanged.
    assert counts(s, "A") == (2, 2) and a["targets"] == ["@a", "@b"]
    # The fold stays total where the catalogue was bypassed (a name that is not a string),
    # and the table of shared names may be forgotten at any point without changing a state.
    odd = fold([rec(1, "order_issued", "2021-02-01", order_id="A", targets=["@a", 7, None])])
    assert odd["orders"]["A"]["targets"] == ["@a", 7, None]
    halves = fold(records[:3])
    fold_names.table().clear()
    for r in records[3:]:
        evolve(halves, r)
    assert halves == s


# --- properties ------------------------------------------------------------------------

_TARGETS = ["@a", "@b", "@c", "#t", "https://x.test/1"]
_ORDERS = ["O1", "O2", "O3"]


@st.composite
def streams(draw):
    """A random stream in replay order: orders first, then movements and paperwork."""
    records = []
    day = 1

    def at():
        return f"2021-03-{day:02d}T{draw(st.integers(0, 23)):02d}:00:00Z"

    for oid in draw(st.lists(st.sampled_from(_ORDERS), min_size=1, max_size=3, unique=True)):
        data = {"order_id": oid, "issuer": "I", "platform": "P"}
        if draw(st.booleans()):
            data["targets"] = draw(st.lists(st.sampled_from(_TARGETS), max_size=4, unique=True))
        if draw(st.booleans()):
            data["target_count"] = draw(st.integers(0, 8))
        if draw(st.booleans()):
            data["deadline"] = f"2021-03-{draw(st.integers(1, 28)):02d}"
        records.append(("order_issued", data))
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["accounts_blocked", "accounts_unblocked", "notice_sent",
                                     "acknowledgement_sent", "compliance_reported",
                                     "dialogue_requested"]))
        if kind in ("accounts_blocked", "accounts_unblocked"):
            data = {}
            if draw(st.booleans()):
                data["order_id"] = draw(st.sampled_from(_ORDERS))
                if draw(st.booleans()):
                    data["all_targets"] = True
            if draw(st.booleans()):
                data["targets"] = draw(st.lists(st.sampled_from(_TARGETS), max_size=3))
            if draw(st.booleans()):
                data["count"] = draw(st.integers(0, 6))
            if kind == "accounts_blocked" and draw(st.booleans()):
                data["scope"] = draw(st.sampled_from(["global", "IN", "DE"]))
        elif kind == "notice_sent":
            data = {"notice_id": draw(st.sampled_from(["N1", "N2"])), "kind": "final",
                    "issuer": "I", "recipient": "P",
                    "order_ids": draw(st.lists(st.sampled_from(_ORDERS), max_size=2))}
        elif kind == "acknowledgement_sent":
            data = {"ref_id": draw(st.sampled_from(["N1", "N2"] + _ORDERS)), "by": "P"}
        elif kind == "compliance_reported":
            data = {"order_id": draw(st.sampled_from(_ORDERS)),
                    "actioned": draw(st.integers(0, 9)), "specified": 9, "reporter": "P"}
        else:
            data = {"by": "P", "addressee": "I"}
        records.append((kind, data))
    out = []
    for seq, (kind, data) in enumerate(records, 1):
        day = min(28, day + draw(st.integers(0, 1)))
        out.append(rec(seq, kind, at(), **data))
    return replay(out)


def _plain(obj):
    """True when obj is made only of dict/list/str/int/bool/None (snapshot-safe)."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return not isinstance(obj, float)
    if isinstance(obj, list):
        return all(_plain(x) for x in obj)
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in obj.items())
    return False


@settings(max_examples=100, deadline=None)
@given(streams())
def test_fold_is_deterministic_and_plain(records):
    a = fold(copy.deepcopy(records))
    b = fold(copy.deepcopy(records))
    assert a == b
    assert _plain(a)
    # Stepping one record at a time through evolve is the same fold.
    s = initial()
    for r in records:
        s = evolve(s, r)
    assert s == a


@settings(max_examples=100, deadline=None)
@given(streams(), st.data())
def test_snapshot_plus_tail_equals_full_fold(records, data):
    full = fold(records)
    k = data.draw(st.integers(0, len(records)))
    head = fold(records[:k])
    for enc, dec in ((msgspec.msgpack.encode, msgspec.msgpack.decode),
                     (msgspec.json.encode, msgspec.json.decode)):
        snap = dec(enc(head))
        assert snap == head
        assert fold(records[k:], snap) == full


@settings(max_examples=100, deadline=None)
@given(streams())
def test_counting_invariants_at_every_step(records):
    s = initial()
    for r in records:
        evolve(s, r)
        for oid, o in s["orders"].items():
            blocked, ever = counts(s, oid)
            assert 0 <= blocked <= ever
            if o["target_count"] is not None:
                assert ever <= o["target_count"]
            assert o["unnamed"] >= 0 and o["peak"] >= o["unnamed"]
            assert set(o["blocked"]) <= set(o["ever"])
            # Every target an order counts as blocked is an account blocked now.
            for t in o["blocked"]:
                assert s["accounts"][t]["status"] == "blocked"
                assert oid in s["accounts"][t]["orders"]
        for acc in s["accounts"].values():
            assert acc["status"] == "blocked" or acc["orders"] == {}
