"""The Python API as a notebook uses it: one event passed alone, dates as objects, `with`,
receipts as dicts, a published vector's `null` proof (found by a review of the API against
the SPEC; each failed before its fix)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import invoke

from docket import EventLog
from docket.errors import InvalidArgument, StorageError
from docket.merkle import verify_consistency, verify_inclusion_hash

VECTORS = Path(__file__).parent / "vectors"


def order(oid: str, at, targets) -> dict:
    return {"type": "order_issued", "stream": "s", "occurred_at": at,
            "data": {"order_id": oid, "issuer": "Gov", "platform": "X", "targets": targets}}


def block(oid: str, at, targets) -> dict:
    return {"type": "accounts_blocked", "stream": "s", "occurred_at": at,
            "data": {"order_id": oid, "targets": targets}}


@pytest.fixture
def log(backend):
    log = EventLog(backend)
    yield log
    log.close()


def test_one_event_passed_alone_is_named_as_such(log):
    with pytest.raises(InvalidArgument) as caught:
        log.append(order("O-1", "2024-01-01", ["@a"]))
    assert str(caught.value) == ("events: expected a list of events, got one event (put it in "
                                 "a list: [event])")
    with pytest.raises(InvalidArgument, match=r"^events: expected a list of events, got None$"):
        log.append(None)
    with pytest.raises(InvalidArgument, match=r"^events: expected a list of events$"):
        log.append('{"type": "order_issued"}')
    assert log.count() == 0
    assert [r.seq for r in log.append([order("O-1", "2024-01-01", ["@a"])])] == [1]


def test_query_times_may_be_dates_and_aware_datetimes(log):
    log.append([order("O-1", "2024-01-01", ["@a", "@b"]),
                block("O-1", "2024-01-03T10:00:00Z", ["@a"])])
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    for as_of, text in [(dt.date(2024, 1, 2), "2024-01-02"),
                        (dt.date(2024, 1, 3), "2024-01-03"),
                        (dt.datetime(2024, 1, 3, 15, 29, tzinfo=ist), "2024-01-03T15:29:00+05:30"),
                        (dt.datetime(2024, 1, 3, 15, 30, tzinfo=ist), "2024-01-03T15:30:00+05:30")]:
        assert log.state("s", as_of=as_of) == log.state("s", as_of=text)
        assert log.compliance("s", as_of=as_of) == log.compliance("s", as_of=text)
    blocked = [log.compliance("s", as_of=d)[0]["blocked"] for d in
               (dt.date(2024, 1, 2), dt.datetime(2024, 1, 3, 15, 29, tzinfo=ist),
                dt.datetime(2024, 1, 3, 15, 30, tzinfo=ist))]
    assert blocked == [0, 0, 1]
    assert log.diff(dt.date(2024, 1, 2), dt.date(2024, 1, 4), "s") == \
        log.diff("2024-01-02", "2024-01-04", "s")
    # A datetime without a zone is refused as a string without an offset is.
    with pytest.raises(InvalidArgument, match=r"^as_of: time '2024-01-03T10:00:00' has no "
                                              r"offset \(add Z or \+HH:MM\)$"):
        log.state("s", as_of=dt.datetime(2024, 1, 3, 10, 0))
    with pytest.raises(InvalidArgument, match=r"^known_at: expected a time string, got int$"):
        log.state("s", known_at=20240103)


def test_a_log_is_a_context_manager(backend):
    with EventLog(backend) as log:
        assert log.append([order("O-1", "2024-01-01", ["@a"])])[0].seq == 1
    with pytest.raises(StorageError, match="is closed"):
        log.count()
    with EventLog(backend, create=False) as again:
        assert again.count() == 1


def test_a_receipt_is_the_object_the_command_line_prints(log):
    receipt = log.append([order("O-1", "2024-01-01", ["@a"])])[0]
    as_dict = receipt.as_dict()
    assert as_dict == {"seq": 1, "id": receipt.id, "stream": "s", "version": 1,
                       "hash": receipt.hash, "duplicate": False}
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_a_vectors_null_proof_is_the_empty_proof():
    inclusion = json.loads((VECTORS / "rfc6962/inclusion/0/happy-path.json").read_text())
    consistency = json.loads((VECTORS / "rfc6962/consistency/0/happy-path.json").read_text())
    assert inclusion["proof"] is None and consistency["proof"] is None  # as published
    b64 = base64.b64decode
    assert verify_inclusion_hash(b64(inclusion["leafHash"]), inclusion["leafIdx"],
                                 inclusion["treeSize"], inclusion["proof"], b64(inclusion["root"]))
    assert verify_consistency(consistency["size1"], consistency["size2"],
                              b64(consistency["root1"]), b64(consistency["root2"]),
                              consistency["proof"])
    # None is no proof at all where a path is needed.
    assert not verify_inclusion_hash(b64(inclusion["leafHash"]), 0, 2, None,
                                     b64(inclusion["root"]))


def test_a_stream_the_log_does_not_hold_is_refused_by_read_and_export(log, backend, tmp_path):
    """Before 2026-12-02 `read`, `export_lines` and `docket export --stream` gave nothing
    and exit 0 for a typo, where every other reading command refuses it."""
    log.append([order("O-1", "2024-01-01", ["@a"]), block("O-1", "2024-01-02", ["@a"])])
    for call in (lambda: log.read(stream="S"), lambda: log.read("s ", after_seq=1),
                 lambda: log.export_lines("nope")):
        with pytest.raises(InvalidArgument) as caught:
            call()  # at the call, before any record is asked for
        assert "no stream" in str(caught.value) and "(streams: s)" in str(caught.value)
    assert [r["seq"] for r in log.read(stream="s", after_seq=1)] == [2]
    assert len(list(log.export_lines("s"))) == 2
    code, out, err = invoke("export", "--db", backend, "--stream", "nope",
                            "-o", tmp_path / "out.jsonl")
    assert (code, out) == (1, "")
    assert err == "Error: --stream: no stream 'nope' in the log (streams: s)\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("out.jsonl")]
    code, out, err = invoke("export", "--db", backend, "--stream", "s")
    assert code == 0 and out.count("\n") == 2
