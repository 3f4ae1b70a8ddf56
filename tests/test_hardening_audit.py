"""Tampering outside the hashed bytes (issue 20.3): with the triggers dropped, a change to a
column or table derived from the stored bytes (events.occurred_us; the `refs` rows the
append and the replay trust) changes what the log says or accepts without touching a hash.
`verify` recomputes each from the bytes and reports the change at its seq, on the sequential
and the parallel scan alike. The issue's three reproductions come first."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import invoke
from test_audit import N, build, copy_of, ev, tampering

from docket import EventLog
from docket.audit import chain_split
from docket.storage import is_url

RECORDED = Path(__file__).parent.parent / "events" / "twitter-india-2021.jsonl"
N_EVENTS = len(RECORDED.read_bytes().splitlines())  # the recorded dispute's events
S = "s"


def audit(path: str, **kwargs) -> dict:
    log = EventLog(path, create=False)
    try:
        return log.verify(**kwargs)
    finally:
        log.close()


def where(report: dict) -> list[tuple]:
    return [(p["kind"], p["seq"]) for p in report["problems"]]


@pytest.fixture(scope="module")
def dispute(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dispute") / "docket.db"
    code, _, err = invoke("import", "--db", path, RECORDED)
    assert code == 0, err
    return str(path)


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> str:
    """test_audit's log: two streams, orders, a notice, a case, a retraction, a correction."""
    return build(tmp_path_factory.mktemp("master") / "docket.db")


@contextmanager
def tampered(location: str):
    """SQL on the log past Docket with its immutability triggers off (on again after), on
    either backend: test_audit's sqlite3 `tampering`, or a psycopg connection."""
    if not is_url(location):
        with tampering(location) as conn:
            yield conn
        return
    import psycopg

    conn = psycopg.connect(location, autocommit=True)
    for table in ("events", "refs"):
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield conn
    finally:
        for table in ("events", "refs"):
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        conn.close()


def imported(location: str) -> str:
    """The recorded dispute imported into a fresh log at `location`."""
    code, _, err = invoke("import", "--db", location, RECORDED)
    assert code == 0, err
    return location


def status_of(log: EventLog, order_id: str) -> str:
    return next(r["status"] for r in log.compliance() if r["order_id"] == order_id)


# -- the reproductions -----------------------------------------------------------------
def test_an_edited_occurred_us_is_caught_at_its_seq(backend, tmp_path):
    """Seq 3 (the 1 Feb withholding) moved to 1970, before the order it carries out: after a
    rebuild the 31 Jan order reads `pending` instead of `reverted`. verify and verify
    --checkpoint said OK. On each backend."""
    db = imported(backend)
    code, _, err = invoke("checkpoint", "--db", db, "-o", tmp_path / "cp.json")
    assert code == 0, err
    log = EventLog(db)
    assert status_of(log, "O-2021-01-31") == "reverted"
    log.close()
    with tampered(db) as conn:
        conn.execute("UPDATE events SET occurred_us = 0 WHERE seq = 3")
    log = EventLog(db)
    log.rebuild()
    assert status_of(log, "O-2021-01-31") == "pending"  # what the tampering achieves
    log.close()
    report = audit(db)
    assert where(report) == [("chain", 3)]
    message = report["problems"][0]["message"]
    assert message.startswith("the stored bytes say occurred_at 2021-02-01T11:00:00+05:30 "
                              "(UTC µs 1612157400000000), the row says occurred_us 0")
    for extra in ([], ["--checkpoint", tmp_path / "cp.json"]):
        code, out, err = invoke("verify", "--db", db, *extra)
        assert code == 1 and err == ""
        assert out.splitlines()[0].startswith("seq 3: the stored bytes say occurred_at")
        # With the checkpoint, its fingerprint of the views is a second finding.
        n = "2 problems" if extra else "1 problem"
        assert out.splitlines()[-1] == f"FAILED: {n} in {N_EVENTS} events", out


def test_a_retractions_deleted_refs_row_is_caught(backend):
    """Without its refs row a retraction is not found by any replay: the retracted order
    comes back. On each backend."""
    db = backend
    log = EventLog(db)
    log.append([ev("order_issued", S, "2021-02-01", "o1", order_id="O-1", issuer="G",
                   platform="P", targets=["@a"]),
                ev("event_retracted", S, "2021-02-03", "r1", target_id="o1", reason="void")])
    assert log.compliance() == []
    log.close()
    with tampered(db) as conn:
        conn.execute("DELETE FROM refs WHERE kind = 'event_retracted'")
    log = EventLog(db)
    log.rebuild()
    assert [r["order_id"] for r in log.compliance()] == ["O-1"]  # what the tampering achieves
    log.close()
    report = audit(db)
    assert where(report) == [("index", 2)]
    problem = report["problems"][0]
    assert problem["table"] == "refs"
    assert problem["row"] == {"stream": S, "kind": "event_retracted", "ref_id": "r1"}
    assert problem["message"] == ("missing: no `refs` row for retraction 'r1', which the stored "
                                  "bytes of seq 2 call for (replays ignore it)")


def test_an_orders_deleted_refs_row_letting_a_duplicate_in_is_caught(backend):
    """On each backend."""
    db = backend
    order = ev("order_issued", S, "2021-02-01", "o1", order_id="O-1", issuer="G",
               platform="P", targets=["@a"])
    log = EventLog(db)
    log.append([order])
    log.close()
    with tampered(db) as conn:
        conn.execute("DELETE FROM refs WHERE kind = 'order'")
    log = EventLog(db)
    log.append([{**order, "id": "o2", "occurred_at": "2021-02-02"}])  # accepted: the repro
    log.close()
    report = audit(db)
    assert where(report) == [("index", 2), ("index", 1)]
    again, moved = report["problems"]
    row = {"stream": S, "kind": "order", "ref_id": "O-1"}
    assert again["row"] == moved["row"] == row
    assert again["message"].startswith("order 'O-1' is introduced again here, after seq 1")
    assert moved["message"] == ("the `refs` row points at seq 2, but the stored bytes say "
                                "seq 1 introduced order 'O-1'")


# -- every other change to refs --------------------------------------------------------------
REFS_TAMPERING = {
    "deleted": ("DELETE FROM refs WHERE kind = 'notice'",
                [("index", 3, "notice", "N-1", "missing: no `refs` row for notice 'N-1'")]),
    "an extra stream's": ("INSERT INTO refs VALUES ('ghost', 'order', 'O-9', 1)",
                          [("index", 1, "order", "O-9", "an extra row")]),
    "an extra id": ("INSERT INTO refs VALUES ('s1', 'order', 'O-9', 2)",
                    [("index", 2, "order", "O-9", "an extra row")]),
    "moved": ("UPDATE refs SET seq = 2 WHERE kind = 'order' AND ref_id = 'O-1'",
              [("index", 1, "order", "O-1", "the `refs` row points at seq 2")]),
    "renamed": ("UPDATE refs SET ref_id = 'C-2' WHERE kind = 'case'",
                [("index", 14, "case", "C-1", "missing"),
                 ("index", 14, "case", "C-2", "an extra row")]),
    "another kind": ("UPDATE refs SET kind = 'event_corrected' WHERE kind = 'event_retracted'",
                     [("index", 9, "event_retracted", "r1", "missing"),
                      ("index", 9, "event_corrected", "r1", "an extra row")]),
}


@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "pieces"])
@pytest.mark.parametrize("name", list(REFS_TAMPERING))
def test_every_change_to_refs_is_caught_at_its_seq(master, tmp_path, monkeypatch, name,
                                                   parallel):
    if parallel:
        monkeypatch.setattr(chain_split, "PARALLEL_MIN_ROWS", 0)
        monkeypatch.setenv("DOCKET_WORKERS", "2")
    db = copy_of(master, tmp_path)
    sql, expected = REFS_TAMPERING[name]
    with tampering(db) as conn:
        conn.execute(sql)
    report = audit(db, views=False)
    got = [(p["kind"], p["seq"], p["row"]["kind"], p["row"]["ref_id"], p["message"])
           for p in report["problems"]]
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    for g, e in zip(got, expected):
        assert g[4].startswith(e[4]), g
    assert all(p["table"] == "refs" for p in report["problems"])
    assert report["events"] == N


# -- occurred_us ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["occurred_us + 1", "occurred_us - 86400000000", "0",
                                   "'2021-02-02'"])
@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "pieces"])
def test_any_occurred_us_change_is_caught_at_its_seq(master, tmp_path, monkeypatch, value,
                                                      parallel):
    if parallel:
        monkeypatch.setattr(chain_split, "PARALLEL_MIN_ROWS", 0)
        monkeypatch.setenv("DOCKET_WORKERS", "2")
    db = copy_of(master, tmp_path)
    with tampering(db) as conn:
        conn.execute(f"UPDATE events SET occurred_us = {value} WHERE seq = 7")
    report = audit(db, views=False)
    assert where(report) == [("chain", 7)]
    assert "the row says occurred_us" in report["problems"][0]["message"]


def test_untouched_logs_verify_clean_in_pieces_too(master, dispute, monkeypatch):
    """The refs and occurred_us checks find nothing on logs nobody touched (the recorded
    dispute's days, times and offsets; both streams of test_audit's log)."""
    assert audit(master) == {"ok": True, "events": N, "problems": []}
    assert audit(dispute)["ok"]
    monkeypatch.setattr(chain_split, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setenv("DOCKET_WORKERS", "2")
    assert audit(master, views=False)["ok"] and audit(dispute, views=False)["ok"]


def test_refs_problems_in_the_json_report_name_table_and_row(master, tmp_path):
    db = copy_of(master, tmp_path)
    with tampering(db) as conn:
        conn.execute("DELETE FROM refs WHERE kind = 'notice'")
    code, out, err = invoke("verify", "--db", db, "--no-views", "--json")
    assert code == 1 and err == ""
    problems = json.loads(out)["problems"]
    assert [(p["kind"], p["seq"], p["table"], p["row"]) for p in problems] == [
        ("index", 3, "refs", {"stream": "s1", "kind": "notice", "ref_id": "N-1"})]
    code, out, _ = invoke("verify", "--db", db, "--no-views")
    assert out.splitlines()[0].startswith(
        "refs [stream=s1, kind=notice, ref_id=N-1]: seq 3: missing: no `refs` row")


def test_a_database_level_problem_is_reported_first(master, tmp_path):
    """An index whose entries do not match its table (here: made by editing the schema, as
    a damaged page would leave it) is SQLite's integrity check's finding, kind `database`."""
    db = copy_of(master, tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, '(stream, occurred_us, seq)', "
                 "'(stream, recorded_us, seq)') WHERE name = 'events_replay'")
    conn.commit()
    conn.close()
    report = audit(db, views=False)
    kinds = {p["kind"] for p in report["problems"]}
    assert kinds == {"database"}, report
    assert report["problems"][0]["message"].startswith("SQLite's integrity_check: ")
    assert "events_replay" in " ".join(p["message"] for p in report["problems"])


# -- the index of deadlines --------------------------------------------------------------------
@pytest.mark.parametrize("sql,message", [
    ("DELETE FROM docket_deadlines", "missing from the table"),
    ("UPDATE docket_deadlines SET end_us = end_us + 1", "end_us is "),
    ("INSERT INTO docket_deadlines VALUES ('s1', 'O-9', 0)", "not in a fresh replay"),
])
def test_an_edited_deadline_index_is_reported(master, tmp_path, sql, message):
    """The append trusts docket_deadlines to find the orders a new reference time makes
    overdue: a row edited there would leave an order's `overdue` wrong after later appends."""
    db = copy_of(master, tmp_path)
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.close()
    report = audit(db)
    assert [(p["kind"], p["table"]) for p in report["problems"]] == [
        ("view", "docket_deadlines")]
    assert report["problems"][0]["row"]["stream"] == "s1"
    assert report["problems"][0]["message"].startswith(message)


# -- a type the catalogue does not know ------------------------------------------------------
NOTICE = "2021-02-02-notice-non-compliance"  # seq 5 of the recorded dispute


def with_unknown_type(db: str) -> str:
    """Seq 5 (the 2 Feb notice) rewritten to type `bogus_type`, its row and bytes alike."""
    with tampered(db) as conn:
        mark = "%s" if is_url(db) else "?"
        (body,) = conn.execute(f"SELECT body FROM events WHERE seq = {mark}", (5,)).fetchone()
        assert b'"type":"notice_sent"' in bytes(body)
        forged = bytes(body).replace(b'"type":"notice_sent"', b'"type":"bogus_type"')
        conn.execute(f"UPDATE events SET type = 'bogus_type', body = {mark} WHERE seq = 5",
                     (forged,))
    return db


def test_a_stored_event_of_an_unknown_type_is_reported_not_an_internal_error(backend,
                                                                           tmp_path):
    """Seq 5 (the 2 Feb notice) rewritten to a type no catalogue has, row and bytes alike:
    the fold ignores such an event (a newer catalogue's), so rebuild and project go on and
    verify names the event and its type among its findings, with no internal error. The
    rebuild once raised KeyError from the stored views' table of entities. On each backend."""
    db = with_unknown_type(imported(backend))
    code, out, err = invoke("rebuild", "--db", db)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"rebuilt the views of 1 stream from {N_EVENTS} events")
    code, out, err = invoke("project", "--db", db, "--out", tmp_path / "views")
    assert (code, err) == (0, ""), err
    code, out, err = invoke("verify", "--db", db)
    assert code == 1 and err == ""
    assert "internal error" not in out and "Error" not in out
    unknown = [line for line in out.splitlines() if "'bogus_type' is not an event type" in line]
    assert len(unknown) == 1 and unknown[0].startswith("seq 5: the stored event is not one "
                                                       "the log takes"), out
    assert out.splitlines()[-1].startswith("FAILED: ")


def test_a_correction_of_an_event_of_an_unknown_type_is_refused_in_words(backend):
    """Correcting its data needs its type's fields: one Error: line naming the event and the
    type (it said "internal error (KeyError)"); the log is unchanged. On each backend."""
    db = with_unknown_type(imported(backend))
    before = exported(db)
    correction = {"id": "c-x", "stream": "twitter-india-2021", "type": "event_corrected",
                  "occurred_at": "2021-02-03", "actor": "a",
                  "sources": [{"url": "https://example.org/a", "title": "t"}],
                  "data": {"target_id": NOTICE, "reason": "r",
                           "data": {"notice_id": "N-2021-02-02-non-compliance"}}}
    code, out, err = invoke("append", "-", "--db", db, input=json.dumps(correction))
    assert (code, out) == (1, "")
    assert err == (f"Error: line 1: event 'c-x' (event_corrected): field `data.target_id`: "
                   f"'{NOTICE}' is an event of type 'bogus_type', which this version does "
                   "not know, so its data cannot be corrected (`docket verify` checks it)\n")
    assert exported(db) == before


def exported(db: str) -> list[bytes]:
    log = EventLog(db)
    try:
        return list(log.export_lines())
    finally:
        log.close()


def test_a_body_rewritten_as_text_stops_checkpoint_and_project_in_words(dispute, tmp_path):
    """SQLite keeps what a column is given: a body rewritten as TEXT (same characters) made
    `project` and `checkpoint` say "internal error (TypeError)". Now each refuses with one
    line naming the event's place and `docket verify` (which names the damage), writing
    nothing. (PostgreSQL's bytea column cannot hold text.)"""
    db = tmp_path / "text.db"
    db.write_bytes(Path(dispute).read_bytes())
    with tampering(str(db)) as conn:
        conn.execute("UPDATE events SET body = CAST(body AS TEXT) WHERE seq = 3")
    before = db.read_bytes()
    assert invoke("keygen", "--origin", "t", "-o", tmp_path / "k")[0] == 0
    for args in (["project", "--out", tmp_path / "p"], ["checkpoint"],
                 ["checkpoint", "--sign", tmp_path / "k"]):
        code, out, err = invoke(*args, "--db", db)
        assert code == 1 and out == "", (args, out)
        assert err == ("Error: the log is damaged: event 3 in seq order is not stored as "
                       "bytes, so no checkpoint can be taken over it (`docket verify` names "
                       "the damage)\n"), (args, err)
    assert not (tmp_path / "p").exists() and db.read_bytes() == before
    code, out, _ = invoke("verify", "--db", db)
    assert code == 1 and out.startswith("seq 3: the body is stored as TEXT")
