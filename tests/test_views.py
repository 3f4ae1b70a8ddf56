"""The views of SPEC §5 on a worked dispute, with every field computed by hand."""

from __future__ import annotations

import copy
import hashlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import event_stream, view_fingerprint

from docket.projection import Cited, fold, fold_records
from docket.times import time_key, upper_bound
from docket.views import (
    canonical_view_bytes,
    compliance_rows,
    diff_views,
    explain,
    reference_time,
    state_view,
)
from docket.views.compliance import compliance_row
from docket.views.numbers import canonical_pieces, fingerprint

STREAM = "twitter-india-2021"


def rec(seq, type_, occurred_at, **data):
    """A stored record as the timeline layer hands it to the fold."""
    return {
        "seq": seq, "id": f"e{seq}", "stream": STREAM, "version": seq, "type": type_,
        "occurred_at": occurred_at, "recorded_at": "2024-01-01T00:00:00.000000Z",
        "actor": "MeitY", "data": data, "sources": [{"title": f"source {seq}"}],
        "confidence": "reported", "schema_version": 1, "prev_hash": "0" * 64, "hash": "0" * 64,
    }


TW, GOV = "Twitter", "MeitY"
RECORDS = [
    rec(1, "order_issued", "2021-02-01", order_id="O-1", issuer=GOV, platform=TW,
        targets=["@a", "@b", "@c"], legal_basis="IT Act s.69A", procedure="emergency",
        deadline="2021-02-03"),
    rec(2, "order_issued", "2021-02-02T00:00:00Z", order_id="O-2", issuer=GOV, platform=TW,
        target_count=10, procedure="regular", deadline="2021-02-10T12:00:00+05:30"),
    rec(3, "accounts_blocked", "2021-02-01T12:00:00+05:30", order_id="O-1", targets=["@a"],
        scope="IN"),
    rec(4, "accounts_blocked", "2021-02-02T03:00:00Z", order_id="O-2", count=4),
    rec(5, "accounts_blocked", "2021-02-02", targets=["@z"], basis="platform_rules"),
    rec(6, "notice_sent", "2021-02-03T10:00:00Z", notice_id="N-1", kind="non_compliance",
        issuer=GOV, recipient=TW, order_ids=["O-1", "O-2"]),
    rec(7, "notice_sent", "2021-02-03T11:00:00Z", notice_id="N-2", kind="show_cause",
        issuer=GOV, recipient=TW, order_ids=["O-2"]),
    rec(8, "accounts_blocked", "2021-02-04T01:00:00Z", order_id="O-1", all_targets=True),
    rec(9, "accounts_blocked", "2021-02-04T06:00:00Z", order_id="O-2", count=9),
    rec(10, "acknowledgement_sent", "2021-02-05T00:00:00Z", ref_id="N-1", by=TW),
    rec(11, "compliance_reported", "2021-02-05T01:00:00Z", order_id="O-2", actioned=8,
        specified=10, reporter=TW),
    rec(12, "compliance_reported", "2021-02-05T02:00:00Z", order_id="O-2", actioned=10,
        specified=10, reporter=TW),
    rec(13, "accounts_unblocked", "2021-02-06T00:00:00Z", order_id="O-2", count=3),
    rec(14, "accounts_unblocked", "2021-02-06T12:00:00Z", targets=["@b"], unilateral=True),
    rec(15, "dialogue_requested", "2021-02-07", by=TW, addressee=GOV),
    rec(16, "accounts_unblocked", "2021-02-08T00:00:00Z", order_id="O-2", all_targets=True),
    rec(17, "acknowledgement_sent", "2021-02-08T01:00:00Z", ref_id="O-1", by=TW),
    rec(18, "accounts_unblocked", "2021-02-08T02:00:00Z", order_id="O-2", count=5),
    rec(19, "challenge_filed", "2021-02-09", case_id="C-1", court="Karnataka HC",
        petitioner=TW, order_ids=["O-1"]),
    rec(20, "ruling_issued", "2021-02-11", case_id="C-1", court="Karnataka HC",
        outcome="dismissed", costs=5_000_000, currency="INR"),
    rec(21, "acknowledgement_sent", "2021-02-09T05:00:00Z", ref_id="N-2", by=TW),
    rec(22, "meeting_held", "2021-02-10T10:00:00Z", participants=[TW, GOV]),
    rec(23, "statement_published", "2021-02-01T00:00:00Z", speaker=TW, summary="s"),
    # Recorded last, occurred before seq 11/12: not the latest report in replay order.
    rec(24, "compliance_reported", "2021-02-05T00:30:00Z", order_id="O-2", actioned=5,
        specified=10, reporter=GOV),
]


def selected(as_of, records=RECORDS):
    bound = None if as_of is None else upper_bound(as_of)
    keep = [r for r in records if bound is None or time_key(r["occurred_at"]) <= bound]
    return sorted(keep, key=lambda r: (time_key(r["occurred_at"]), r["seq"]))


def view_at(as_of, known_at=None):
    return state_view(fold(selected(as_of)), stream=STREAM, as_of=as_of, known_at=known_at,
                      version=24)


O1 = {"order_id": "O-1", "stream": STREAM, "issuer": GOV, "platform": TW,
      "issued_at": "2021-02-01", "legal_basis": "IT Act s.69A", "procedure": "emergency",
      "target_count": 3, "deadline": "2021-02-03"}
O2 = {"order_id": "O-2", "stream": STREAM, "issuer": GOV, "platform": TW,
      "issued_at": "2021-02-02T00:00:00Z", "legal_basis": None, "procedure": "regular",
      "target_count": 10, "deadline": "2021-02-10T12:00:00+05:30"}
FIELDS = ["order_id", "stream", "issuer", "platform", "issued_at", "legal_basis", "procedure",
          "target_count", "blocked", "ever_blocked", "restored", "compliance", "status",
          "first_action_at", "hours_to_first_action", "deadline", "overdue", "notices",
          "acknowledged", "reported", "scope", "penalties"]


def row(static, blocked, ever, restored, compliance, status, first, hours, overdue, notices,
        acknowledged, reported):
    out = dict(static, blocked=blocked, ever_blocked=ever, restored=restored,
               compliance=compliance, status=status, first_action_at=first,
               hours_to_first_action=hours, overdue=overdue, notices=notices,
               acknowledged=acknowledged, reported=reported, scope=None, penalties=[])
    return {k: out[k] for k in FIELDS}


F1, F2 = "2021-02-01T12:00:00+05:30", "2021-02-02T03:00:00Z"
BLOCK_ALL = "2021-02-04T01:00:00Z"
A_IN = {"status": "blocked", "scope": "IN", "order_id": "O-1", "since": F1}
A_GLOBAL = {"status": "blocked", "scope": "global", "order_id": "O-1", "since": BLOCK_ALL}
Z = {"status": "blocked", "scope": "global", "order_id": None, "since": "2021-02-02"}
B_BACK = {"status": "active", "scope": None, "order_id": "O-1", "since": "2021-02-06T12:00:00Z"}
N1 = {"kind": "non_compliance", "sent_at": "2021-02-03T10:00:00Z", "order_ids": ["O-1", "O-2"],
      "acknowledged_at": None}
N2 = {"kind": "show_cause", "sent_at": "2021-02-03T11:00:00Z", "order_ids": ["O-2"],
      "acknowledged_at": None}
N1_ACK = dict(N1, acknowledged_at="2021-02-05T00:00:00Z")
N2_ACK = dict(N2, acknowledged_at="2021-02-09T05:00:00Z")
R_TW = {"actioned": 10, "specified": 10, "reporter": TW}

# as_of -> (orders, accounts, notices): every field by hand.
EXPECTED = {
    "2021-02-01T05:00:00Z": (  # before any action
        [row(O1, 0, 0, 0, 0.0, "pending", None, None, False, [], False, None)], {}, {}),
    "2021-02-01": (  # the whole day: the IN block at 06:30Z is in
        [row(O1, 1, 1, 0, 0.3333, "partial", F1, 6.5, False, [], False, None)],
        {"@a": A_IN}, {}),
    "2021-02-03T12:00:00Z": (
        [row(O1, 1, 1, 0, 0.3333, "partial", F1, 6.5, False, ["N-1"], False, None),
         row(O2, 4, 4, 0, 0.4, "partial", F2, 3.0, False, ["N-1", "N-2"], False, None)],
        {"@a": A_IN, "@z": Z}, {"N-1": N1, "N-2": N2}),
    "2021-02-03T23:59:59.999999Z": (  # the last instant of O-1's deadline day
        [row(O1, 1, 1, 0, 0.3333, "partial", F1, 6.5, False, ["N-1"], False, None),
         row(O2, 4, 4, 0, 0.4, "partial", F2, 3.0, False, ["N-1", "N-2"], False, None)],
        {"@a": A_IN, "@z": Z}, {"N-1": N1, "N-2": N2}),
    "2021-02-04T00:00:00Z": (  # past the deadline, not complied
        [row(O1, 1, 1, 0, 0.3333, "partial", F1, 6.5, True, ["N-1"], False, None),
         row(O2, 4, 4, 0, 0.4, "partial", F2, 3.0, False, ["N-1", "N-2"], False, None)],
        {"@a": A_IN, "@z": Z}, {"N-1": N1, "N-2": N2}),
    "2021-02-04T01:00:00Z": (  # all_targets: complied, so no longer overdue
        [row(O1, 3, 3, 0, 1.0, "complied", F1, 6.5, False, ["N-1"], False, None),
         row(O2, 4, 4, 0, 0.4, "partial", F2, 3.0, False, ["N-1", "N-2"], False, None)],
        {"@a": A_GLOBAL, "@b": dict(A_GLOBAL), "@c": dict(A_GLOBAL), "@z": Z},
        {"N-1": N1, "N-2": N2}),
    "2021-02-05T00:45:00Z": (  # 4 + 9 capped at 10; the backdated report is latest so far
        [row(O1, 3, 3, 0, 1.0, "complied", F1, 6.5, False, ["N-1"], True, None),
         row(O2, 10, 10, 0, 1.0, "complied", F2, 3.0, False, ["N-1", "N-2"], False,
             {"actioned": 5, "specified": 10, "reporter": GOV})],
        {"@a": A_GLOBAL, "@b": dict(A_GLOBAL), "@c": dict(A_GLOBAL), "@z": Z},
        {"N-1": N1_ACK, "N-2": N2}),
    "2021-02-05": (
        [row(O1, 3, 3, 0, 1.0, "complied", F1, 6.5, False, ["N-1"], True, None),
         row(O2, 10, 10, 0, 1.0, "complied", F2, 3.0, False, ["N-1", "N-2"], False, R_TW)],
        {"@a": A_GLOBAL, "@b": dict(A_GLOBAL), "@c": dict(A_GLOBAL), "@z": Z},
        {"N-1": N1_ACK, "N-2": N2}),
    "2021-02-06T23:00:00Z": (  # restores: 3 unnamed on O-2, @b on O-1 (no order given)
        [row(O1, 2, 3, 1, 0.6667, "partial", F1, 6.5, True, ["N-1"], True, None),
         row(O2, 7, 10, 3, 0.7, "partial", F2, 3.0, False, ["N-1", "N-2"], False, R_TW)],
        {"@a": A_GLOBAL, "@b": B_BACK, "@c": dict(A_GLOBAL), "@z": Z},
        {"N-1": N1_ACK, "N-2": N2}),
    "2021-02-10T06:30:00Z": (  # O-2 reverted; its deadline's last instant
        [row(O1, 2, 3, 1, 0.6667, "partial", F1, 6.5, True, ["N-1"], True, None),
         row(O2, 0, 10, 10, 0.0, "reverted", F2, 3.0, False, ["N-1", "N-2"], True, R_TW)],
        {"@a": A_GLOBAL, "@b": B_BACK, "@c": dict(A_GLOBAL), "@z": Z},
        {"N-1": N1_ACK, "N-2": N2_ACK}),
    "2021-02-10T06:30:00.000001Z": (
        [row(O1, 2, 3, 1, 0.6667, "partial", F1, 6.5, True, ["N-1"], True, None),
         row(O2, 0, 10, 10, 0.0, "reverted", F2, 3.0, True, ["N-1", "N-2"], True, R_TW)],
        {"@a": A_GLOBAL, "@b": B_BACK, "@c": dict(A_GLOBAL), "@z": Z},
        {"N-1": N1_ACK, "N-2": N2_ACK}),
}
# seq 23 is folded from the start; seq 24 (occurred 2021-02-05T00:30Z) only from then on.
LAST_SEQ = {t: 23 for t in list(EXPECTED)[:6]}


@pytest.mark.parametrize("as_of", list(EXPECTED))
def test_state_view_by_hand(as_of):
    orders, accounts, notices = EXPECTED[as_of]
    view = view_at(as_of)
    assert list(view) == ["stream", "as_of", "known_at", "last_seq", "version", "orders",
                          "accounts", "notices", "dialogue", "challenges", "penalties",
                          "penalty_totals", "service", "fingerprint"]
    assert view["orders"] == {r["order_id"]: r for r in orders}
    for r in view["orders"].values():
        assert list(r) == FIELDS
    assert view["accounts"] == accounts
    assert view["notices"] == notices
    assert view["stream"] == STREAM and view["as_of"] == as_of and view["version"] == 24
    assert view["last_seq"] == LAST_SEQ.get(as_of, 24)  # the highest seq folded
    ref = upper_bound(as_of)
    assert compliance_rows(fold(selected(as_of)), stream=STREAM, ref_time_us=ref) == orders


def test_full_replay_without_as_of():
    view = view_at(None)
    assert view["orders"] == view_at("2021-02-10T06:30:00.000001Z")["orders"]
    assert view["dialogue"] == [{"by": TW, "addressee": GOV, "requested_at": "2021-02-07"}]
    assert view["challenges"] == {"C-1": {
        "court": "Karnataka HC", "petitioner": TW, "order_ids": ["O-1"], "filed_at": "2021-02-09",
        "rulings": [{"court": "Karnataka HC", "outcome": "dismissed", "costs": 5_000_000,
                     "currency": "INR", "ruled_at": "2021-02-11"}]}}
    # Without as_of, overdue is judged at the latest occurrence (the ruling, 2021-02-11).
    assert reference_time(fold(selected(None)), None) == time_key("2021-02-11")
    assert reference_time(fold([]), None) is None
    assert reference_time(fold([]), "2021-02-11") == time_key("2021-02-12") - 1


def test_overdue_without_as_of_follows_the_last_event():
    recs = [rec(1, "order_issued", "2021-02-01", order_id="X", issuer=GOV, platform=TW,
                target_count=2, deadline="2021-02-03"),
            rec(2, "statement_published", "2021-02-03T23:00:00Z", speaker=TW, summary="s")]
    assert view_rows(recs)[0]["overdue"] is False
    recs.append(rec(3, "statement_published", "2021-02-04", speaker=TW, summary="s"))
    assert view_rows(recs)[0]["overdue"] is True


def view_rows(recs, as_of=None):
    state = fold(selected(as_of, recs))
    return compliance_rows(state, stream="s", ref_time_us=reference_time(state, as_of))


def test_rows_sort_by_instant_then_id_and_odd_counts():
    recs = [
        rec(1, "order_issued", "2021-02-01T23:00:00-02:00", order_id="C", issuer=GOV,
            platform=TW, target_count=0),
        rec(2, "order_issued", "2021-02-02", order_id="B", issuer=GOV, platform=TW),
        rec(3, "order_issued", "2021-02-02T05:30:00+05:30", order_id="A", issuer=GOV,
            platform=TW, targets=["@p"]),
        rec(4, "accounts_blocked", "2021-02-03", order_id="C", count=3),
        rec(5, "accounts_blocked", "2021-02-03T00:45:00Z", order_id="B", count=7),
        rec(6, "accounts_unblocked", "2021-02-04", order_id="B", count=10),
    ]
    rows = view_rows(recs, "2021-02-03")
    assert [r["order_id"] for r in rows] == ["A", "B", "C"]  # C is 01:00Z, after A/B 00:00Z
    a, b, c = rows
    assert (a["target_count"], a["blocked"], a["status"], a["compliance"]) == (1, 0, "pending", 0.0)
    assert a["first_action_at"] is None and a["hours_to_first_action"] is None
    # Unknown target_count: counts stand as they are, compliance is unknown.
    assert (b["blocked"], b["ever_blocked"], b["compliance"], b["status"]) == (7, 7, None, "partial")
    assert b["hours_to_first_action"] == 24.75  # 2021-02-02 00:00Z to 02-03 00:45Z
    # target_count 0: nothing can count as blocked.
    assert (c["blocked"], c["ever_blocked"], c["compliance"], c["status"]) == (0, 0, None, "pending")
    b = view_rows(recs)[1]
    assert (b["blocked"], b["ever_blocked"], b["restored"], b["status"]) == (0, 7, 7, "reverted")


def test_direct_acknowledgement_without_notices():
    recs = [rec(1, "order_issued", "2021-02-01", order_id="X", issuer=GOV, platform=TW),
            rec(2, "notice_sent", "2021-02-02", notice_id="N", kind="final", issuer=GOV,
                recipient=TW, order_ids=["X"])]
    assert view_rows(recs)[0]["acknowledged"] is False
    assert view_rows(recs[:1])[0]["acknowledged"] is False  # no notices: nothing to acknowledge
    recs.append(rec(3, "acknowledgement_sent", "2021-02-03", ref_id="X", by=TW))
    assert view_rows(recs)[0]["acknowledged"] is True


@pytest.mark.parametrize("as_of", [None, *EXPECTED])
def test_fingerprint_is_sha256_of_canonical_json(as_of):
    view = view_at(as_of)
    assert view["fingerprint"] == view_fingerprint(view)


def test_fingerprint_ignores_the_question_not_the_answer():
    a, b = view_at("2021-02-12"), view_at("2021-02-13", known_at="2030-01-01")
    assert a["fingerprint"] == b["fingerprint"]
    c = view_at("2021-02-06T23:00:00Z")
    assert c["fingerprint"] != a["fingerprint"]
    # Same records, later as_of: O-1's overdue flips, so the answer (and fingerprint) differs.
    d, e = view_at("2021-02-03T23:59:59.999999Z"), view_at("2021-02-04T00:00:00Z")
    assert d["fingerprint"] != e["fingerprint"]
    assert canonical_view_bytes({"b": 1, "a": [2.5, 3]}) == b'{"a":[2.5,3],"b":1}'


# Keys where orders part: code points against UTF-16 (U+FFFF sorts after U+1F600 there),
# escapes (quote, backslash, controls, U+2028), and any other character JSON can hold (not a
# lone surrogate, which no view can hold either: msgspec refuses to encode one).
_KEYS = st.text(st.sampled_from(["a", "Z", "é", "\uffff", "\U0001f600", "\x00", '"', "\\",
                                 "\u2028"]) | st.characters(exclude_categories=("Cs",)),
                max_size=3)
_JSON_LEAVES = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=4)
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _JSON | st.dictionaries(
    _KEYS, _JSON_LEAVES | st.lists(_JSON_LEAVES, max_size=3), max_size=12), max_size=6),
       st.integers(1, 5))
def test_fingerprint_hashed_in_pieces_is_the_hash_of_the_whole(view, chunk):
    # Big dicts are encoded a few entries at a time (memory); keys of any script, controls
    # and astral characters included, must come out in the order and escapes msgspec gives
    # the whole view.
    whole = canonical_view_bytes(view)
    assert b"".join(bytes(p) for p in canonical_pieces(view, chunk)) == whole
    assert fingerprint(view, chunk) == "sha256:" + hashlib.sha256(whole).hexdigest()


def test_a_view_bigger_than_a_piece_keeps_its_fingerprint():
    recs = RECORDS + [
        rec(100 + i, "notice_sent", "2021-02-20", notice_id=f"N-x{i}", kind="final",
            issuer=GOV, recipient=TW, order_ids=["O-1"]) for i in range(2100)]
    view = state_view(fold(recs), stream=STREAM, as_of=None, known_at=None, version=1)
    assert len(view["notices"]) > 2048  # more than one piece
    assert view["fingerprint"] == view_fingerprint(view)


def _floats(obj):
    if isinstance(obj, float):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _floats(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _floats(v)


def test_views_hold_whole_numbers_as_ints():
    # The fingerprint encodes views as they are, so 1.0 and 1 must never both occur: every
    # whole ratio is an int (O-1 reaches 100% and hours to first action are whole here).
    for at in (None, "2021-02-03", "2021-02-12"):
        view = view_at(at)
        assert all(not f.is_integer() for f in _floats(view))
    whole_valued = [r for r in view_at(None)["orders"].values()
                    if r["compliance"] is not None and r["compliance"] in (0, 1)]
    assert whole_valued and all(type(r["compliance"]) is int for r in whole_valued)


def explain_records(records, ref, **kwargs):
    """`explain` over a fold of `records` (dicts in replay order)."""
    kwargs.setdefault("stream", records[0]["stream"] if records else None)
    return explain(lambda on_fold: fold_records(records, on_fold=on_fold, record_type=Cited),
                   ref, **kwargs)


def test_why_order_account_notice():
    recs = selected(None)
    why = explain_records(recs, "O-1")
    assert why["kind"] == "order" and why["status"] == view_at(None)["orders"]["O-1"]
    # Issue, blocks under it, the notice naming it and its acknowledgement, the orderless
    # unblock of @b that lowered its count, the direct acknowledgement, and the challenge
    # that names it (the catalogue's table of references: a challenge cites its orders).
    assert [e["seq"] for e in why["events"]] == [1, 3, 6, 8, 10, 14, 17, 19]
    assert why["events"][0] == {"seq": 1, "id": "e1", "occurred_at": "2021-02-01",
                                "type": "order_issued", "actor": GOV,
                                "confidence": "reported",
                                "summary": f"{GOV}: orders {TW} to block 3 targets (O-1, by "
                                           f"{GOV})",
                                "sources": [{"title": "source 1"}]}
    assert [e["seq"] for e in explain_records(recs, "O-2")["events"]] == [
        2, 4, 6, 7, 9, 10, 24, 11, 12, 13, 16, 18, 21]
    why = explain_records(recs, "@b")
    assert why["kind"] == "account" and why["status"] == B_BACK
    assert [e["seq"] for e in why["events"]] == [1, 8, 14]
    assert [e["seq"] for e in explain_records(recs, "@z")["events"]] == [5]
    why = explain_records(recs, "N-2")
    assert (why["ref"], why["kind"], why["status"]) == ("N-2", "notice", N2_ACK)
    assert [(e["seq"], e["type"]) for e in why["events"]] == [
        (7, "notice_sent"), (21, "acknowledgement_sent")]
    with pytest.raises(KeyError):
        explain_records(recs, "@nobody")
    with pytest.raises(KeyError):
        explain_records(selected("2021-02-01"), "O-2")  # not issued yet


def test_why_status_respects_as_of():
    as_of = "2021-02-04T00:00:00Z"
    why = explain_records(selected(as_of), "O-1", as_of=as_of)
    assert why["status"]["overdue"] is True and why["status"]["blocked"] == 1
    assert why["status"]["stream"] == STREAM
    assert [e["seq"] for e in why["events"]] == [1, 3, 6]


def test_why_listed_but_never_moved():
    recs = [rec(1, "order_issued", "2021-02-01", order_id="X", issuer=GOV, platform=TW,
                targets=["@q"])]
    why = explain_records(recs, "@q")
    assert why["kind"] == "account" and why["status"]["status"] == "active"
    assert [e["seq"] for e in why["events"]] == [1]


def test_diff_one_block():
    before, after = view_at("2021-02-04T00:00:00Z"), view_at(BLOCK_ALL)
    assert diff_views(before, after) == [
        {"kind": "order", "key": "O-1", "field": "blocked", "from": 1, "to": 3},
        {"kind": "order", "key": "O-1", "field": "ever_blocked", "from": 1, "to": 3},
        {"kind": "order", "key": "O-1", "field": "compliance", "from": 0.3333, "to": 1.0},
        {"kind": "order", "key": "O-1", "field": "status", "from": "partial", "to": "complied"},
        {"kind": "order", "key": "O-1", "field": "overdue", "from": True, "to": False},
        {"kind": "account", "key": "@a", "field": "scope", "from": "IN", "to": "global"},
        {"kind": "account", "key": "@b", "field": None, "from": None, "to": A_GLOBAL},
        {"kind": "account", "key": "@c", "field": None, "from": None, "to": A_GLOBAL},
    ]
    assert diff_views(after, after) == []


def test_diff_adds_orders_notices_dialogue_and_acks():
    before, after = view_at("2021-02-01"), view_at("2021-02-07")
    changes = diff_views(before, after)
    assert {"kind": "order", "key": "O-2", "field": None, "from": None,
            "to": after["orders"]["O-2"]} in changes
    assert {"kind": "notice", "key": "N-1", "field": None, "from": None, "to": N1_ACK} in changes
    assert changes[-1] == {"kind": "dialogue", "key": "2021-02-07", "field": None,
                           "from": None, "to": {"by": TW, "addressee": GOV,
                                                "requested_at": "2021-02-07"}}
    kinds = [c["kind"] for c in changes]
    assert kinds == sorted(kinds, key=["order", "account", "notice", "dialogue"].index)
    acked = diff_views(view_at("2021-02-08"), view_at("2021-02-10"))
    assert {"kind": "notice", "key": "N-2", "field": "acknowledged_at", "from": None,
            "to": "2021-02-09T05:00:00Z"} in acked
    assert {"kind": "challenge", "key": "C-1", "field": None, "from": None,
            "to": {"court": "Karnataka HC", "petitioner": TW, "order_ids": ["O-1"],
                   "filed_at": "2021-02-09", "rulings": []}} in acked
    # Backwards, the same changes undo.
    back = diff_views(after, before)
    assert {"kind": "order", "key": "O-2", "field": None, "from": after["orders"]["O-2"],
            "to": None} in back


# --- properties ------------------------------------------------------------------------

@st.composite
def streams(draw):
    """Random movements under two orders, in replay order (one record per hour)."""
    out = [rec(1, "order_issued", "2021-03-01T00:00:00Z", order_id="A", issuer=GOV,
               platform=TW, targets=["@a", "@b"], target_count=draw(st.integers(0, 5)),
               deadline="2021-03-01T05:00:00Z"),
           rec(2, "order_issued", "2021-03-01T00:00:00Z", order_id="B", issuer=GOV,
               platform=TW)]
    for seq in range(3, draw(st.integers(3, 25))):
        kind = draw(st.sampled_from(["accounts_blocked", "accounts_unblocked"]))
        data = {"order_id": draw(st.sampled_from(["A", "B"]))}
        choice = draw(st.sampled_from(["targets", "count", "all_targets"]))
        if choice == "targets":
            data["targets"] = draw(st.lists(st.sampled_from(["@a", "@b", "@c"]), min_size=1))
        elif choice == "count":
            data["count"] = draw(st.integers(0, 4))
        else:
            data["all_targets"] = True
        out.append(rec(seq, kind, f"2021-03-01T{seq - 2:02d}:00:00Z", **data))
    return out


@settings(max_examples=100, deadline=None)
@given(streams())
def test_row_invariants_at_every_prefix(records):
    for k in range(1, len(records) + 1):
        state = fold(records[:k])
        for r in compliance_rows(state, stream="s", ref_time_us=reference_time(state, None)):
            assert 0 <= r["blocked"] <= r["ever_blocked"]
            assert r["restored"] == r["ever_blocked"] - r["blocked"] >= 0
            if r["target_count"] is not None:
                assert r["ever_blocked"] <= r["target_count"]
            assert (r["status"] == "pending") == (r["ever_blocked"] == 0)
            # Only A has a deadline (05:00Z, the time of seq 7); the last record sets the time.
            late = r["order_id"] == "A" and k > 7
            assert r["overdue"] is (r["status"] != "complied" and late)


def _body(view):
    return {k: v for k, v in view.items() if k not in ("as_of", "known_at", "fingerprint")}


@settings(max_examples=100, deadline=None)
@given(streams(), st.data())
def test_fingerprint_changes_iff_content_changes(records, data):
    i = data.draw(st.integers(1, len(records)))
    j = data.draw(st.integers(1, len(records)))
    # Same last_seq for both, so prefixes that fold to the same content (a repeated block)
    # must hash alike; as_of/known_at differ and must not matter.
    vi = state_view(fold(records[:i]), stream="s", as_of=None, known_at=None, version=1,
                    last_seq=1)
    vj = state_view(fold(records[:j]), stream="s", as_of=None, known_at="2030-01-01",
                    version=1, last_seq=1)
    assert (vi["fingerprint"] == vj["fingerprint"]) == (_body(vi) == _body(vj))
    assert vi["fingerprint"] == view_fingerprint(vi)
    bumped = state_view(fold(records[:i]), stream="s", as_of=None, known_at=None, version=2,
                        last_seq=1)
    assert bumped["fingerprint"] != vi["fingerprint"]


@st.composite
def notices_and_acks(draw):
    """Three orders, notices citing some of them, acknowledgements of notices or orders."""
    out = [rec(i + 1, "order_issued", "2021-03-01", order_id=oid, issuer=GOV, platform=TW)
           for i, oid in enumerate("ABC")]
    notices: list[str] = []
    for seq in range(4, draw(st.integers(4, 30))):
        if not notices or draw(st.booleans()):
            notices.append(f"N{seq}")
            out.append(rec(seq, "notice_sent", f"2021-03-0{2 + seq % 7}", notice_id=notices[-1],
                           kind="non_compliance", issuer=GOV, recipient=TW,
                           order_ids=draw(st.lists(st.sampled_from("ABC"), min_size=1,
                                                   max_size=3, unique=True))))
        else:
            ref = draw(st.sampled_from([*notices, "A", "B", "C"]))
            out.append(rec(seq, "acknowledgement_sent", f"2021-03-0{2 + seq % 7}", ref_id=ref,
                           by=TW))
    return out


@settings(max_examples=150, deadline=None)
@given(notices_and_acks())
def test_acknowledged_means_every_citing_notice_or_the_order_itself(records):
    # The oracle reads the records, not the fold: an order is acknowledged when it was
    # acknowledged itself, or when it is cited and every notice citing it was acknowledged.
    acked = {r["data"]["ref_id"] for r in records if r["type"] == "acknowledgement_sent"}
    citing = {oid: {r["data"]["notice_id"] for r in records if r["type"] == "notice_sent"
                    and oid in r["data"]["order_ids"]} for oid in "ABC"}
    expected = {oid: oid in acked or bool(citing[oid]) and citing[oid] <= acked
                for oid in "ABC"}
    state = fold(records)
    rows = compliance_rows(state, stream="s", ref_time_us=None)  # one pass over the notices
    assert {r["order_id"]: r["acknowledged"] for r in rows} == expected
    assert {r["order_id"]: r["notices"] for r in rows} == {
        oid: sorted(citing[oid]) for oid in "ABC"}
    for oid in "ABC":  # one row alone looks its notices up one by one: the same answer
        assert compliance_row(state, oid, stream="s", ref_time_us=None)["acknowledged"] \
            is expected[oid]


@settings(max_examples=60, deadline=None)
@given(event_stream(streams=["s"], min_size=1, max_size=24))
def test_a_view_that_consumes_its_state_is_the_same_view(events):
    """`state_view(..., consume=True)` (the replay's and the as-of queries') empties the
    state into the view; the view is the one a state left whole gives, key order included,
    and a view made without `consume` shares no list with the state it leaves as it was."""
    records = sorted(({**e, "seq": i} for i, e in enumerate(events, 1)),
                     key=lambda r: (time_key(r["occurred_at"]), r["seq"]))

    def view(state, consume):
        return state_view(state, stream="s", as_of=None, known_at=None, version=len(events),
                          consume=consume)

    kept = fold(records)
    before = copy.deepcopy(kept)
    plain = view(kept, False)
    assert kept == before
    for n, notice in plain["notices"].items():
        assert notice["order_ids"] is not kept["notices"][n]["order_ids"]
    taken = fold(records)
    consumed = view(taken, True)
    assert taken == {}
    assert consumed == plain
    assert msgspec.json.encode(consumed) == msgspec.json.encode(plain)
