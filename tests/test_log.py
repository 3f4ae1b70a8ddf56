"""The append-only log (`docket.log.Log` through `docket.EventLog`, SPEC §1–2, §7–8):
the hash chain, gapless positions, idempotency, expected_version, atomic batches,
references, recorded_at, the database's own guards, and lossless import."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import canonical_json, check_chain, event_stream, stream_names

from docket import EventLog, Receipt
from docket.codec import decode_event
from docket.errors import ConflictError, InvalidEvent, UnknownReference
from docket.log import ZERO_HASH, chain_hash

S = "twitter-india-2021"
RECORDED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def event(type_, data, *, stream=S, occurred_at="2021-02-04", **top):
    return {"type": type_, "stream": stream, "occurred_at": occurred_at, "data": data, **top}


def order(order_id="O-1", **top):
    return event("order_issued", {"order_id": order_id, "issuer": "MeitY",
                                  "platform": "Twitter", "targets": ["@a", "@b"]}, **top)


def dialogue(**top):
    return event("dialogue_requested", {"by": "Twitter", "addressee": "MeitY"}, **top)


@pytest.fixture
def log(tmp_path):
    opened = EventLog(str(tmp_path / "docket.db"))
    yield opened
    opened.close()


def rows(log) -> list[tuple]:
    """(seq, id, stream, version, body, hash) straight from the events table."""
    with sqlite3.connect(log.path) as conn:
        return conn.execute(
            "SELECT seq, id, stream, version, body, hash FROM events ORDER BY seq").fetchall()


def dump(log) -> bytes:
    return b"".join(log.export_lines())


# -- the hash chain (SPEC §7) ----------------------------------------------------------------

def test_chain_hash_is_sha256_of_raw_prev_and_body():
    # sha256 of 32 zero bytes, a well-known constant
    assert chain_hash(ZERO_HASH, b"") == (
        "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
    prev = "ab" * 32
    assert chain_hash(prev, b'{"a":1}') == hashlib.sha256(
        b"\xab" * 32 + b'{"a":1}').hexdigest()
    assert ZERO_HASH == "0" * 64


def test_stored_bytes_are_canonical_and_hashed_as_stored(log):
    receipts = log.append([order(id="o1"), dialogue(id="d1", stream="other"),
                           event("accounts_blocked", {"order_id": "O-1", "targets": ["@a"]},
                                 id="b1", occurred_at="2021-02-05T10:00:00+05:30",
                                 actor="Twitter", confidence="confirmed",
                                 sources=[{"title": "Gazette", "url": "https://x.org/a"}])])
    stored = rows(log)
    prev = ZERO_HASH
    for r, (seq, ident, stream, version, body, digest) in zip(receipts, stored):
        assert isinstance(r, Receipt) and r.duplicate is False
        assert (r.seq, r.id, r.stream, r.version, r.hash) == (seq, ident, stream, version, digest)
        record = json.loads(body)
        assert "hash" not in record
        assert canonical_json(record) == bytes(body)  # stored bytes are canonical
        assert record["prev_hash"] == prev
        assert digest == hashlib.sha256(bytes.fromhex(prev) + bytes(body)).hexdigest()
        assert record["schema_version"] == 1
        prev = digest
    assert [(s[0], s[2], s[3]) for s in stored] == [(1, S, 1), (2, "other", 1), (3, S, 2)]
    block = json.loads(stored[2][4])
    assert block == {
        "type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-05T10:00:00+05:30",
        "actor": "Twitter", "data": {"order_id": "O-1", "targets": ["@a"]},
        "sources": [{"title": "Gazette", "url": "https://x.org/a"}], "confidence": "confirmed",
        "id": "b1", "seq": 3, "version": 2, "recorded_at": block["recorded_at"],
        "schema_version": 1, "prev_hash": stored[1][5]}
    # read() and the export give the stored record plus its hash
    exported = dump(log).splitlines()
    check_chain(exported)
    for line, (*_, body, digest) in zip(exported, stored):
        assert json.loads(line) == {**json.loads(body), "hash": digest}


def test_hash_does_not_depend_on_how_the_input_is_spelled(tmp_path):
    a = EventLog(str(tmp_path / "a.db"))
    b = EventLog(str(tmp_path / "b.db"))
    one = order(id="o1")
    other = json.loads(json.dumps(dict(reversed(list(one.items())))))
    other.update(confidence="reported", actor=None, sources=[])  # defaults written out
    other["data"] = {**one["data"], "procedure": None}            # a null optional field
    ra, rb = a.append([one])[0], b.append([other])[0]
    body_a, body_b = rows(a)[0][4], rows(b)[0][4]
    ra_rec, rb_rec = json.loads(body_a), json.loads(body_b)
    assert {**ra_rec, "recorded_at": 0} == {**rb_rec, "recorded_at": 0}
    if ra_rec["recorded_at"] == rb_rec["recorded_at"]:
        assert ra.hash == rb.hash
    a.close()
    b.close()


# -- positions -------------------------------------------------------------------------------

def test_seq_and_versions_are_gapless_across_batches_and_streams(log):
    log.append([order(id="o1"), dialogue(stream="b")])
    log.append([dialogue(stream="c"), dialogue(), dialogue(stream="b")])
    log.append([dialogue()])
    got = [(r["seq"], r["stream"], r["version"]) for r in log.read()]
    assert got == [(1, S, 1), (2, "b", 1), (3, "c", 1), (4, S, 2), (5, "b", 2), (6, S, 3)]
    assert [r["seq"] for r in log.read(stream="b")] == [2, 5]
    assert [r["seq"] for r in log.read(after_seq=4)] == [5, 6]
    assert [r["seq"] for r in log.read(stream=S, after_seq=1)] == [4, 6]
    assert log.stream_version(S) == 3 and log.stream_version("nobody") == 0


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(names=st.lists(stream_names(), min_size=0, max_size=8), data=st.data())
def test_streams_lists_each_stream_once_in_name_order(names, data):
    # `streams()` skips through the (stream, version) index; the plain DISTINCT query over
    # every row is the oracle, and so is Python's sort (names are ASCII: byte order).
    appends = data.draw(st.lists(st.sampled_from(names), max_size=20)) if names else []
    with tempfile.TemporaryDirectory() as folder:
        opened = EventLog(str(Path(folder) / "d.db"))
        try:
            assert opened.streams() == []
            for name in appends:
                opened.append([dialogue(stream=name)])
            with sqlite3.connect(opened.path) as conn:
                oracle = [r[0] for r in conn.execute(
                    "SELECT DISTINCT stream FROM events ORDER BY stream")]
            assert opened.streams() == oracle == sorted(set(appends))
        finally:
            opened.close()


def test_streams_whose_names_are_prefixes_of_each_other(log):
    names = ["a0", "a", "b", "a-b", "a.", "a-", "a"]
    for name in names:
        log.append([dialogue(stream=name)])
    assert log.streams() == ["a", "a-", "a-b", "a.", "a0", "b"]


# -- idempotency -----------------------------------------------------------------------------

def test_same_id_same_content_is_a_duplicate_with_the_original_position(log):
    (first,) = log.append([order(id="o1")])
    log.append([dialogue(id="d1")])
    before = dump(log)
    (again,) = log.append([order(id="o1")])
    assert again == Receipt(first.seq, "o1", S, first.version, first.hash, True)
    assert dump(log) == before
    # within one batch: the second copy is the duplicate of the first
    r = log.append([dialogue(id="d2"), dialogue(id="d2"), dialogue(id="d3")])
    assert [(x.seq, x.id, x.duplicate) for x in r] == [(3, "d2", False), (3, "d2", True),
                                                      (4, "d3", False)]
    assert r[0].hash == r[1].hash


def test_same_id_other_content_is_an_error_and_writes_nothing(log):
    log.append([order(id="o1")])
    before = dump(log)
    for changed in (order(id="o1", occurred_at="2021-02-05"),
                    order(id="o1", actor="MeitY"),
                    order(id="o1", confidence="confirmed"),
                    order(id="o1", stream="another-stream"),
                    dialogue(id="o1")):
        with pytest.raises(InvalidEvent) as err:
            log.append([dialogue(id="fresh"), changed])
        assert "'o1'" in str(err.value) and "`id`" in str(err.value)
        assert dump(log) == before


# -- expected_version ------------------------------------------------------------------------

def test_expected_version_zero_means_a_new_stream(log):
    (r,) = log.append([order(id="o1")], expected_version=0)
    assert r.version == 1
    before = dump(log)
    with pytest.raises(ConflictError) as err:
        log.append([dialogue()], expected_version=0)
    assert err.value.exit_code == 3
    assert dump(log) == before
    assert [x.version for x in log.append([dialogue(), dialogue()], expected_version=1)] == [2, 3]
    with pytest.raises(ConflictError):
        log.append([dialogue()], expected_version=2)
    with pytest.raises(ConflictError):
        log.append([dialogue()], expected_version=4)
    assert log.stream_version(S) == 3


def test_expected_version_in_each_event(log):
    log.append([order(id="o1", expected_version=0), dialogue(expected_version=1),
                dialogue(stream="b", expected_version=0), dialogue(expected_version=2)])
    assert [(r["stream"], r["version"]) for r in log.read()] == [(S, 1), (S, 2), ("b", 1),
                                                                 (S, 3)]
    assert all("expected_version" not in r for r in log.read())
    before = dump(log)
    with pytest.raises(ConflictError):
        log.append([dialogue(expected_version=3), dialogue(stream="b", expected_version=0)])
    assert dump(log) == before


def test_batch_expected_version_across_streams_is_refused(log):
    with pytest.raises(InvalidEvent):
        log.append([dialogue(), dialogue(stream="b")], expected_version=0)
    assert dump(log) == b""


# -- atomic batches and references -----------------------------------------------------------

def test_a_batch_is_all_or_nothing(log):
    log.append([order(id="o1")])
    before = dump(log)
    bad_batches = [
        [dialogue(id="x1"), order("O-2", id="x2"), event("accounts_blocked", {"count": -1})],
        [dialogue(id="x1"), order("O-2", id="x2"),
         event("accounts_blocked", {"order_id": "O-9", "targets": ["@z"]})],
        [dialogue(id="x1"), order("O-2", id="x2"), order("O-2", id="x3")],
        [dialogue(id="x1"), dialogue(id="x1", stream="elsewhere")],
    ]
    for batch in bad_batches:
        with pytest.raises(InvalidEvent):
            log.append(batch)
        assert dump(log) == before
    # nothing of a failed batch lingers: its ids and order_ids are still free
    r = log.append([dialogue(id="x1"), order("O-2", id="x2")])
    assert [x.seq for x in r] == [2, 3]


def test_references_resolve_within_the_stream_and_the_batch(log):
    log.append([
        order("O-1", id="o1"),
        event("accounts_blocked", {"order_id": "O-1", "all_targets": True}, id="b1"),
        event("notice_sent", {"notice_id": "N-1", "kind": "show_cause", "issuer": "MeitY",
                              "recipient": "Twitter", "order_ids": ["O-1"]}, id="n1"),
        event("acknowledgement_sent", {"ref_id": "N-1", "by": "Twitter"}),
        event("acknowledgement_sent", {"ref_id": "O-1", "by": "Twitter"}),
        event("compliance_reported", {"order_id": "O-1", "actioned": 2, "specified": 2,
                                      "reporter": "Twitter"}),
        event("challenge_filed", {"case_id": "C-1", "court": "HC", "petitioner": "Twitter",
                                  "order_ids": ["O-1"]}),
        event("ruling_issued", {"case_id": "C-1", "court": "HC", "outcome": "dismissed",
                                "costs": 500000, "currency": "INR"}),
        event("event_retracted", {"target_id": "n1", "reason": "misdated"}),
        event("event_corrected", {"target_id": "b1", "reason": "partial",
                                  "occurred_at": "2021-02-05T01:00:00Z",
                                  "data": {"order_id": "O-1", "targets": ["@a"],
                                           "count": None}}),
    ])
    records = list(log.read())
    assert len(records) == 10
    # the replacement data is validated for the target's type and stored without defaults
    assert records[-1]["data"]["data"] == {"order_id": "O-1", "targets": ["@a"]}
    # the same identifiers in another stream are unknown there
    before = dump(log)
    for bad in (event("accounts_blocked", {"order_id": "O-1"}, stream="b"),
                event("acknowledgement_sent", {"ref_id": "N-1", "by": "T"}, stream="b"),
                event("ruling_issued", {"case_id": "C-1", "court": "HC", "outcome": "x"},
                      stream="b"),
                event("event_retracted", {"target_id": "o1", "reason": "r"}, stream="b"),
                event("event_corrected", {"target_id": "o1", "reason": "r",
                                          "occurred_at": "2021-01-01"}, stream="b")):
        with pytest.raises(UnknownReference):
            log.append([bad])
    assert dump(log) == before


def test_corrections_keep_identifiers_and_amend_only_originals(log):
    log.append([order("O-1", id="o1"), dialogue(id="d1"),
                event("event_retracted", {"target_id": "d1", "reason": "r"}, id="r1")])
    before = dump(log)
    bad = [
        event("event_corrected", {"target_id": "o1", "reason": "r",
                                  "data": {"order_id": "O-2", "issuer": "M", "platform": "T"}}),
        event("event_corrected", {"target_id": "o1", "reason": "r",
                                  "data": {"order_id": "O-1", "issuer": "M"}}),
        event("event_corrected", {"target_id": "o1", "reason": "r",
                                  "data": {"order_id": "O-1", "issuer": "M", "platform": "T",
                                           "target_count": 1.5}}),
        event("event_corrected", {"target_id": "r1", "reason": "r",
                                  "occurred_at": "2021-01-01"}),
        event("event_retracted", {"target_id": "r1", "reason": "r"}),
        event("event_corrected", {"target_id": "d1", "reason": "r",
                                  "data": {"by": "T", "addressee": "M", "extra": 1}}),
    ]
    for e in bad:
        with pytest.raises(InvalidEvent):
            log.append([e])
        assert dump(log) == before
    (ok,) = log.append([event("event_corrected", {
        "target_id": "o1", "reason": "r",
        "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "X", "target_count": 9}})])
    assert ok.seq == 4


def test_api_refuses_floats_bools_and_huge_ints_where_ints_belong(log):
    for value in (1.0, 2.5, True, 2**53, -1, "3"):
        with pytest.raises(InvalidEvent) as err:
            log.append([event("accounts_blocked", {"count": value})])
        assert "count" in str(err.value)
    assert dump(log) == b""
    (r,) = log.append([event("accounts_blocked", {"count": 2**53 - 1})])
    assert next(log.read())["data"]["count"] == 2**53 - 1


def test_append_accepts_decoded_events_and_a_default_stream(log):
    e = decode_event(json.dumps({"type": "dialogue_requested", "occurred_at": "2021-02-08",
                                 "data": {"by": "T", "addressee": "M"}, "id": "d1"}))
    (r,) = log.append([e], stream="given")
    assert (r.stream, r.version) == ("given", 1)
    with pytest.raises(InvalidEvent) as err:
        log.append([{k: v for k, v in dialogue().items() if k != "stream"}])
    assert "stream" in str(err.value)


# -- recorded_at -----------------------------------------------------------------------------

def utc_now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_recorded_at_is_utc_now_and_never_decreases(log, monkeypatch):
    start = utc_now_text()
    log.append([order(id="o1"), dialogue()])
    log.append([dialogue()])
    end = utc_now_text()
    stamps = [r["recorded_at"] for r in log.read()]
    assert all(RECORDED_AT.match(s) for s in stamps)
    assert start <= stamps[0] <= stamps[1] <= stamps[2] <= end
    # The wall clock steps back an hour: recorded_at still does not decrease.
    import docket.batch as batch_module

    real = batch_module.now_utc
    monkeypatch.setattr(batch_module, "now_utc", lambda: real() - 3_600_000_000)
    log.append([dialogue(id="late")])
    later = [r["recorded_at"] for r in log.read()]
    assert later[3] == later[2]


# -- the database's own guards ---------------------------------------------------------------

@pytest.mark.parametrize("sql,message", [
    ("UPDATE events SET stream = 'x'", "immutable"),
    ("UPDATE events SET body = X'00' WHERE seq = 1", "immutable"),
    ("DELETE FROM events WHERE seq = 2", "append-only"),
    ("DELETE FROM events", "append-only"),
    ("UPDATE refs SET ref_id = 'x'", "immutable"),
    ("DELETE FROM refs", "append-only"),
])
def test_direct_update_and_delete_are_refused_by_the_database(log, sql, message):
    log.append([order(id="o1"), dialogue()])
    before = dump(log)
    conn = sqlite3.connect(log.path)
    try:
        with pytest.raises(sqlite3.DatabaseError) as err:
            conn.execute(sql)
        assert isinstance(err.value, sqlite3.IntegrityError)
        assert "docket" in str(err.value) and message in str(err.value)
        conn.commit()
    finally:
        conn.close()
    assert dump(log) == before
    check_chain(before.splitlines())


def test_database_enforces_unique_ids_and_stream_versions(log):
    log.append([order(id="o1")])
    conn = sqlite3.connect(log.path)
    row = conn.execute("SELECT seq, id, stream, version, type, occurred_us, recorded_us, "
                       "body, hash FROM events").fetchone()
    for changed in ((2, "o1", "elsewhere", 1), (2, "new", S, 1)):
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?)",
                         (*changed, *row[4:]))
    conn.rollback()
    conn.close()


def test_wal_and_full_synchronous(log):
    conn = log.storage._conn  # the backend's own connection: its pragmas are the point
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


# -- import: lossless ------------------------------------------------------------------------

def _import(path, data: bytes):
    target = EventLog(str(path))
    try:
        lines = [(n, raw) for n, raw in enumerate(data.splitlines(keepends=True), 1)
                 if raw.strip()]
        return target.import_lines(lines), dump(target)
    finally:
        target.close()


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=event_stream(max_size=10), cuts=st.lists(st.integers(0, 10), max_size=3))
def test_any_events_round_trip_through_export_and_import(events, cuts):
    """Appended in any batches, then exported and imported into an empty log: the same
    bytes; and every record holds the input as given."""
    with tempfile.TemporaryDirectory() as folder:
        source = EventLog(str(Path(folder) / "a.db"))
        bounds = sorted({0, len(events), *[min(c, len(events)) for c in cuts]})
        receipts = []
        for lo, hi in zip(bounds, bounds[1:]):
            receipts += source.append(events[lo:hi])
        exported = dump(source)
        source.close()
        records = check_chain(exported.splitlines())
        versions: dict[str, int] = {}
        for e, r, rec in zip(events, receipts, records):
            versions[e["stream"]] = versions.get(e["stream"], 0) + 1
            assert (r.seq, r.version, r.hash, r.duplicate) == (rec["seq"], rec["version"],
                                                               rec["hash"], False)
            assert rec["version"] == versions[e["stream"]]
            assert rec["data"] == e["data"] and rec["occurred_at"] == e["occurred_at"]
            assert rec["sources"] == e.get("sources", [])
            assert rec["actor"] == e.get("actor")
            assert rec["confidence"] == e.get("confidence", "reported")
            assert rec["id"] == e.get("id", rec["id"])
        receipts2, again = _import(Path(folder) / "b.db", exported)
        assert again == exported
        assert receipts2 == receipts


def test_import_into_a_log_that_holds_it_reports_duplicates(tmp_path):
    a = EventLog(str(tmp_path / "a.db"))
    a.append([order(id="o1"), dialogue(id="d1")])
    exported = dump(a)
    a.close()
    _, first = _import(tmp_path / "b.db", exported)
    receipts, second = _import(tmp_path / "b.db", exported)
    assert first == second == exported
    assert [r.duplicate for r in receipts] == [True, True]


@pytest.mark.parametrize(("key", "value"), [
    ("hash", "f" * 64), ("prev_hash", "0" * 63 + "1"),
    ("recorded_at", "2020-01-01T00:00:00.000000Z"),
    ("version", 3), ("version", 2.0), ("seq", 1),
])
def test_a_reimported_record_must_be_the_logs_own(tmp_path, key, value):
    """A record the log holds is a duplicate only when the line is the log's record exactly:
    one with another hash, previous hash, time, version or seq is refused, naming the field
    and the seq, and the log is unchanged."""
    a = EventLog(str(tmp_path / "a.db"))
    a.append([order(id="o1"), dialogue(id="d1")])
    exported = dump(a)
    a.close()
    _import(tmp_path / "b.db", exported)
    lines = exported.splitlines(keepends=True)
    record = json.loads(lines[1])
    assert record[key] != value or type(record[key]) is not type(value)
    doctored = lines[0] + json.dumps({**record, key: value}).encode() + b"\n"
    before = (tmp_path / "b.db").read_bytes()
    with pytest.raises(InvalidEvent) as caught:
        _import(tmp_path / "b.db", doctored)
    assert str(caught.value).startswith(f"line 2: event 'd1' (dialogue_requested): field `{key}`: ")
    assert "seq 2" in str(caught.value)
    assert (tmp_path / "b.db").read_bytes() == before
    again, after = _import(tmp_path / "b.db", exported)
    assert after == exported
    assert [r.duplicate for r in again] == [True, True]


def _record_line(record: dict, *, as_stored: bool = True) -> bytes:
    """An exported line for `record` with a hash that checks out: computed over the record as
    the log would store it (numbers as integers) or, with as_stored=False, over the line as
    written (SPEC §7 applied literally)."""
    body = {k: v for k, v in record.items() if k != "hash"}
    if as_stored:
        body = {**body, **{k: int(body[k]) for k in ("seq", "version", "schema_version")}}
        hashed = canonical_json(body)
    else:
        hashed = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(bytes.fromhex(body["prev_hash"]) + hashed).hexdigest()
    return json.dumps({**record, "hash": digest}).encode() + b"\n"


@pytest.fixture
def one_record(tmp_path) -> dict:
    a = EventLog(str(tmp_path / "src.db"))
    a.append([dialogue(id="d1")])
    record = json.loads(dump(a))
    a.close()
    return record


@pytest.mark.parametrize("recorded_at", [
    "2021-02-08T15:30:00.000000+05:30", "2021-02-08", "2021-02-08T10:00:00Z",
    "2021-02-08T10:00:00.000000z", "2021-02-08t10:00:00.000000Z",
])
def test_import_refuses_a_recorded_at_that_is_not_utc_in_the_log_format(tmp_path, one_record,
                                                                        recorded_at):
    """recorded_at is set by the log: UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (SPEC §1). A record
    with its hash recomputed but another spelling of the time must not enter the log."""
    line = _record_line({**one_record, "recorded_at": recorded_at})
    with pytest.raises(InvalidEvent) as err:
        _import(tmp_path / "b.db", line)
    assert "recorded_at" in str(err.value)


@pytest.mark.parametrize("as_stored", [True, False], ids=["hash-as-stored", "hash-as-written"])
@pytest.mark.parametrize("key,value", [("seq", 1.0), ("seq", True), ("version", 1.0),
                                       ("schema_version", True), ("schema_version", 1.0)])
def test_import_refuses_non_integer_record_numbers(tmp_path, one_record, key, value,
                                                   as_stored):
    """Numbers in events are integers (SPEC §7); a record whose seq/version/schema_version is
    a float or a bool is not an exported record, whichever way its hash was computed."""
    line = _record_line({**one_record, key: value}, as_stored=as_stored)
    with pytest.raises(InvalidEvent) as err:
        _import(tmp_path / "b.db", line)
    assert key in str(err.value) or "hash" in str(err.value)


@pytest.mark.parametrize("change", ["schema_version", "hash", "prev_hash", "recorded_at",
                                    "data"])
def test_import_refuses_records_that_do_not_check_out(tmp_path, one_record, change):
    bad = dict(one_record)
    if change == "schema_version":
        bad["schema_version"] = 2
    elif change == "hash":
        bad["hash"] = "f" * 64
    elif change == "prev_hash":
        bad["prev_hash"] = "1" * 64
    elif change == "recorded_at":
        bad["recorded_at"] = "2021-02-30T00:00:00.000000Z"
    else:
        bad["data"] = {**bad["data"], "subject": "added later"}
    with pytest.raises(InvalidEvent) as err:
        _import(tmp_path / "b.db", json.dumps(bad).encode() + b"\n")
    assert change in str(err.value) or (change == "data" and "hash" in str(err.value))
    assert not (tmp_path / "b.db").exists() or EventLog(str(tmp_path / "b.db")).count() == 0


def test_a_stale_expected_version_is_a_conflict_even_when_the_event_is_also_invalid(tmp_path):
    """Writers racing to create the same order: the loser must see the conflict (exit 3),
    not the duplicate order_id its stale batch would also cause."""
    from docket import EventLog
    from docket.errors import ConflictError

    log = EventLog(str(tmp_path / "race.db"))
    order = {"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01",
             "data": {"order_id": "O-1", "issuer": "M", "platform": "T"}}
    log.append([order], expected_version=0)
    with pytest.raises(ConflictError, match="expected_version.*version 1, expected 0"):
        log.append([order], expected_version=0)
    assert [r["seq"] for r in log.read()] == [1]


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"])
def test_times_beyond_the_utc_calendar_are_refused(tmp_path, value):
    from docket import EventLog
    from docket.errors import InvalidEvent

    log = EventLog(str(tmp_path / "t.db"))
    with pytest.raises(InvalidEvent, match="occurred_at.*out of range"):
        log.append([{"type": "dialogue_requested", "stream": "s", "occurred_at": value,
                     "data": {"by": "T", "addressee": "M"}}])
    assert list(log.read()) == []
