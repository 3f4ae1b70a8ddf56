"""`verify` checks that every stored event is one the log takes (audit/events_check.py): a
row inserted past Docket with its hash recomputed, so the chain holds, but with bytes the
catalogue refuses or a citation its stream cannot resolve, is reported with its seq (an
auditor's review found `verify` OK and `checkpoint --sign` signing such logs, whose export
no longer imported). On both backends."""

from __future__ import annotations

import hashlib
import json

import pytest

from docket import EventLog
from docket.codec import canonical
from docket.errors import DocketError
from docket.times import parse_time

S = "s"
ORDER = {"type": "order_issued", "stream": S, "occurred_at": "2021-02-01", "id": "o",
         "data": {"order_id": "O-1", "issuer": "G", "platform": "X", "target_count": 3}}
FIXED = "2026-12-02T10:00:00.000000Z"


def _insert(backend, backend_kind, raw_sql, content: dict) -> int:
    """Append `content` past Docket: its record, hash and derived columns as Docket writes
    them (the chain holds); returns its seq."""
    log = EventLog(backend)
    last = list(log.read())[-1]
    log.close()
    seq = last["seq"] + 1
    record = {"actor": None, "confidence": "reported", "sources": [], **content,
              "seq": seq, "version": last["version"] + 1, "prev_hash": last["hash"],
              "recorded_at": FIXED, "schema_version": 1}
    body = canonical(record)
    digest = hashlib.sha256(bytes.fromhex(last["hash"]) + body).hexdigest()
    blob = f"X'{body.hex()}'" if backend_kind == "sqlite" else f"decode('{body.hex()}', 'hex')"
    raw_sql(backend, "INSERT INTO events (seq, id, stream, version, type, occurred_us, "
                     f"recorded_us, body, hash) VALUES ({seq}, '{record['id']}', '{S}', "
                     f"{record['version']}, '{record['type']}', "
                     f"{parse_time(record['occurred_at'])}, {parse_time(FIXED)}, {blob}, "
                     f"'{digest}')")
    return seq


BAD = {
    "a count below 0": (
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-02", "id": "b",
         "data": {"order_id": "O-1", "count": -5}},
        "field `data.count`"),
    "a field the type does not have": (
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-02", "id": "b",
         "data": {"order_id": "O-1", "count": 1, "bogus": 1}},
        "field `data.bogus`: not a field of accounts_blocked data"),
    "a confidence not in the catalogue": (
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-02", "id": "b",
         "confidence": "certain", "data": {"order_id": "O-1", "count": 1}},
        "field `confidence`"),
    "an order the stream never had": (
        {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-02", "id": "b",
         "data": {"order_id": "O-FAKE", "count": 1}},
        "field `data.order_id`: unknown order 'O-FAKE' in stream 's'"),
    "a retraction of no event": (
        {"type": "event_retracted", "stream": S, "occurred_at": "2021-02-02", "id": "r",
         "data": {"target_id": "nothing", "reason": "r"}},
        "field `data.target_id`: unknown event 'nothing'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_stored_event_the_log_would_refuse_is_reported(backend, backend_kind, raw_sql, case,
                                                         tmp_path):
    content, words = BAD[case]
    log = EventLog(backend)
    log.append([ORDER])
    log.close()
    seq = _insert(backend, backend_kind, raw_sql, content)
    log = EventLog(backend)
    log.rebuild()  # the views follow the log, as an ordinary command makes them
    report = log.verify()
    found = [p for p in report["problems"] if p["kind"] == "event"]
    assert not report["ok"] and len(found) == 1, report["problems"]
    assert found[0]["seq"] == seq
    assert found[0]["message"].startswith("the stored event is not one the log takes: ")
    assert words in found[0]["message"] and "(its export would not import)" in \
        found[0]["message"]
    # what the report says is so: the log's own export does not import
    lines = list(log.export_lines())
    log.close()
    fresh = EventLog(str(tmp_path / "fresh.db"))
    with pytest.raises(DocketError) as caught:
        fresh.import_lines(enumerate(lines, 1))
    assert str(caught.value).startswith(f"line {seq}: ")
    assert fresh.count() == 0
    fresh.close()


def test_a_log_of_valid_events_has_no_event_problem(backend):
    log = EventLog(backend)
    log.append([ORDER,
                {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-02",
                 "id": "b", "data": {"order_id": "O-1", "count": 2}},
                {"type": "event_corrected", "stream": S, "occurred_at": "2021-02-03",
                 "id": "c", "data": {"target_id": "b", "reason": "r",
                                     "data": {"order_id": "O-1", "count": 3}}}])
    report = log.verify()
    assert report["ok"], report["problems"]
    log.close()


def test_the_recorded_disputes_are_events_the_log_takes(tmp_path):
    from record_log import recorded_log

    log = recorded_log(tmp_path / "r.db")
    report = log.verify()
    assert report["ok"] and not [p for p in report["problems"] if p["kind"] == "event"]
    assert json.loads(json.dumps(report))["events"] == log.count()
    log.close()


def test_an_append_let_through_by_a_forged_refs_row_is_reported(backend, raw_sql):
    """A `refs` row inserted past Docket made the append accept a citation of an order the
    stream never had; verify names the row and the event (the citation is resolved
    against what the stored bodies introduce, not against the table)."""
    log = EventLog(backend)
    log.append([ORDER])
    log.close()
    raw_sql(backend, f"INSERT INTO refs (stream, kind, ref_id, seq) VALUES ('{S}', 'order', "
                     "'O-FAKE', 1)")
    log = EventLog(backend)
    (receipt,) = log.append([{"type": "accounts_blocked", "stream": S, "id": "b",
                              "occurred_at": "2021-02-02",
                              "data": {"order_id": "O-FAKE", "count": 1}}])
    report = log.verify()
    log.close()
    kinds = {(p["kind"], p["seq"]) for p in report["problems"]}
    assert ("event", receipt.seq) in kinds and ("index", 1) in kinds, report["problems"]
    (event,) = [p for p in report["problems"] if p["kind"] == "event"]
    assert "unknown order 'O-FAKE' in stream 's'" in event["message"]
