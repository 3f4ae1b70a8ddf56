"""The `records` view: every event as `docket export` says it, one readable column per key;
created with a new log and on the first write to a log made before it; read-only; and
invisible to `verify`. Also the canned queries of `docket serve`, run here with sqlite3 (the
Datasette tests run them through Datasette)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from hypothesis import HealthCheck, given, settings

from browse_log import SECOND, make_log
from strategies import canonical_json, event_stream

from docket.api import EventLog
from docket.storage.browse import CANNED_QUERIES, POSTGRES_RECORDS_VIEW, RECORDS_COLUMNS

EXPORT_KEYS = ("seq", "id", "stream", "version", "type", "occurred_at", "recorded_at", "actor",
               "confidence", "data", "sources", "schema_version", "prev_hash", "hash")


def _rows(path: str, sql: str = "SELECT * FROM records ORDER BY seq", params=()) -> list[dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def _objects(path: str) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, type FROM sqlite_master"))
    finally:
        conn.close()


def _exported(run_docket, path: str) -> list[dict]:
    code, out, err = run_docket("export", "--db", path)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _assert_rows_are_the_export(rows: list[dict], exported: list[dict]) -> None:
    assert len(rows) == len(exported)
    for row, record in zip(rows, exported):
        assert tuple(row) == EXPORT_KEYS == tuple(sorted(record, key=EXPORT_KEYS.index))
        for key in EXPORT_KEYS:
            if key in ("data", "sources"):
                # The exact canonical text (keys sorted, no spaces), not just equal JSON.
                assert row[key] == canonical_json(record[key]).decode(), (record["seq"], key)
                assert json.loads(row[key]) == record[key]
            elif key == "actor" and record[key] is not None and "\x00" in record[key]:
                # SQLite's JSON functions end a string at an escaped U+0000 (the README says
                # so): the one field of a record that can hold it and is read as SQL text.
                assert row[key] == record[key].partition("\x00")[0]
            else:
                assert row[key] == record[key], (record["seq"], key)


def test_the_view_lists_what_an_export_line_holds():
    assert RECORDS_COLUMNS == EXPORT_KEYS


def test_every_row_of_the_view_is_the_exported_record(db_path, run_docket):
    make_log(db_path, run_docket)
    rows = _rows(db_path)
    _assert_rows_are_the_export(rows, _exported(run_docket, db_path))
    order = rows[1]  # the 31 Jan order, as the recorded dispute gives it
    assert (order["id"], order["type"], order["occurred_at"]) == (
        "2021-01-31-emergency-order-257-urls", "order_issued", "2021-01-31")
    assert json.loads(order["data"])["target_count"] == 258
    assert json.loads(order["data"])["procedure"] == "emergency"
    statement = next(r for r in rows if r["id"] == "ex-statement")
    assert statement["actor"] is None  # a missing actor is SQL NULL, as JSON null in export
    assert "東京" in json.loads(statement["data"])["summary"]
    report = next(r for r in rows if r["id"] == "ex-report")
    assert report["occurred_at"] == "2022-03-04t12:00:00z"  # as written, not rewritten


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(events=event_stream(max_size=8))
def test_the_view_equals_the_export_for_any_events(tmp_path_factory, events):
    # Any Unicode, control characters, the largest integers, every type: SQLite's JSON
    # functions give back exactly the canonical text of data and sources.
    path = str(tmp_path_factory.mktemp("records") / "docket.db")
    log = EventLog(path)
    try:
        log.append(events)
        exported = [json.loads(line) for line in log.export_lines()]
    finally:
        log.close()
    _assert_rows_are_the_export(_rows(path), exported)


def test_the_view_cannot_be_written(db_path, run_docket):
    make_log(db_path, run_docket)
    conn = sqlite3.connect(db_path)
    try:
        for sql in ("INSERT INTO records (seq) VALUES (99)", "UPDATE records SET actor = 'x'",
                    "DELETE FROM records"):
            try:
                conn.execute(sql)
            except sqlite3.OperationalError as exc:
                assert "view" in str(exc)
            else:
                raise AssertionError(f"{sql} was accepted")
    finally:
        conn.close()


def test_a_log_made_before_the_view_gets_it_on_its_first_write_only(db_path, run_docket,
                                                                     db_bytes):
    make_log(db_path, run_docket)
    before = _exported(run_docket, db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("DROP VIEW records")  # the log as a Docket without the view left it
    conn.close()
    code, out, _ = run_docket("verify", "--db", db_path)
    assert code == 0 and out.startswith("OK: 27 events")
    unchanged = db_bytes(db_path)
    for command in (("compliance",), ("log",), ("export",), ("state", "--stream", SECOND)):
        assert run_docket(*command, "--db", db_path)[0] == 0
    assert db_bytes(db_path) == unchanged and "records" not in _objects(db_path)

    code, _, err = run_docket("append", "--db", db_path, "--type", "meeting_held", "--stream",
                              SECOND, "--occurred-at", "2022-03-06",
                              "--data", '{"participants": ["Ministry", "ExampleNet"]}')
    assert code == 0, err
    assert _objects(db_path)["records"] == "view"
    after = _exported(run_docket, db_path)
    assert after[:-1] == before  # no stored record changed, hashes included
    _assert_rows_are_the_export(_rows(db_path), after)
    code, out, _ = run_docket("verify", "--db", db_path)
    assert code == 0 and out.startswith("OK: 28 events")


def test_verify_is_not_confused_by_the_view(db_path, run_docket):
    make_log(db_path, run_docket)
    assert _objects(db_path)["records"] == "view"
    code, out, err = run_docket("verify", "--db", db_path)
    assert (code, err) == (0, "") and out.startswith("OK: 27 events")


def test_the_postgres_view_has_the_same_columns_in_the_same_order():
    # (No PostgreSQL here: its backend's contract tests run the view; this pins its shape.)
    select = POSTGRES_RECORDS_VIEW.split("SELECT", 1)[1].split("FROM events", 1)[0]
    names = [part.strip().rpartition(" AS ")[2].removeprefix("e.") for part in select.split(",")]
    assert tuple(names) == RECORDS_COLUMNS


# -- the canned queries ---------------------------------------------------------------------
def _query(path: str, name: str, **params) -> list[dict]:
    sql, names = CANNED_QUERIES[name]
    assert set(params) == set(names)
    return _rows(path, sql, params)


def test_compliance_across_disputes(db_path, run_docket):
    make_log(db_path, run_docket)
    rows = _query(db_path, "compliance")
    assert [(r["stream"], r["order_id"]) for r in rows] == [
        ("twitter-india-2021", "O-2021-01-31"), ("twitter-india-2021", "O-2021-02-04"),
        (SECOND, "O-EX-1")]  # by issue time: 31 Jan 2021, 4 Feb 2021, 1 Mar 2022
    jan31 = rows[0]
    assert (jan31["target_count"], jan31["blocked"], jan31["ever_blocked"], jan31["restored"],
            jan31["status"], jan31["procedure"]) == (258, 0, 258, 258, "reverted", "emergency")
    assert (jan31["reported_actioned"], jan31["reported_specified"]) == (126, 257)
    assert json.loads(jan31["notices"]) == ["N-2021-02-02-non-compliance"]
    assert jan31["acknowledged"] == 1
    assert (rows[1]["reported_actioned"], rows[1]["status"]) == (583, "pending")
    ex = rows[2]
    assert (ex["blocked"], ex["compliance"], ex["status"], ex["reported_by"]) == (
        4, 0.4, "partial", "ExampleNet")
    # The same figures as `docket compliance --json`, field by field.
    code, out, _ = run_docket("compliance", "--db", db_path, "--json")
    by_id = {r["order_id"]: r for r in json.loads(out)}
    for row in rows:
        want = by_id[row["order_id"]]
        for key in ("stream", "issuer", "platform", "issued_at", "target_count", "blocked",
                    "ever_blocked", "restored", "compliance", "status", "first_action_at",
                    "hours_to_first_action", "deadline", "overdue", "acknowledged"):
            assert row[key] == want[key], (row["order_id"], key)
        assert json.loads(row["notices"]) == want["notices"]


def test_a_streams_timeline_is_in_replay_order_with_its_amendments(db_path, run_docket):
    make_log(db_path, run_docket)
    rows = _query(db_path, "stream_timeline", stream=SECOND)
    assert [r["seq"] for r in rows] == [23, 25, 24, 27, 26]  # see browse_log
    assert {r["id"]: r["amended_by"] for r in rows}["ex-statement"] == "event_retracted #26"
    assert [r["amended_by"] for r in rows if r["id"] != "ex-statement"] == [None] * 4
    dispute = _query(db_path, "stream_timeline", stream="twitter-india-2021")
    assert [r["seq"] for r in dispute] == list(range(1, 23))
    assert _query(db_path, "stream_timeline", stream="no-such-stream") == []


def test_what_changed_recently(db_path, run_docket):
    make_log(db_path, run_docket)
    rows = _rows(db_path)
    assert [r["seq"] for r in _query(db_path, "recent", since="")] == list(range(27, 0, -1))
    # The second stream was recorded after the import: since its first recorded_at (the
    # same instant written with another offset too), exactly its five events.
    first = rows[22]["recorded_at"]
    at = dt.datetime.fromisoformat(first.replace("Z", "+00:00"))
    for since in (first, at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
                  .isoformat(timespec="microseconds"), first.lower()):
        assert [r["seq"] for r in _query(db_path, "recent", since=since)] == [27, 26, 25, 24, 23]
    later = (at + dt.timedelta(milliseconds=2)).isoformat(timespec="milliseconds")
    assert 23 not in [r["seq"] for r in _query(db_path, "recent", since=later)]
    day = rows[0]["recorded_at"][:10]  # the day the recorded dispute was recorded
    assert [r["seq"] for r in _query(db_path, "recent", since=day)] == list(range(27, 0, -1))
    assert _query(db_path, "recent", since="2999-01-01") == []
    assert _query(db_path, "recent", since="not a time") == []


def test_recent_events_walk_back_from_the_end_only():
    # The plan SQLite makes: the view read by a rowid range, never a scan of the whole log
    # for a blank `since`.
    conn = sqlite3.connect(":memory:")
    from docket.storage.sqlite_ddl import _LOG_SCHEMA, RECORDS_VIEW_SQL

    conn.executescript(_LOG_SCHEMA + RECORDS_VIEW_SQL)
    plan = " / ".join(r[-1] for r in conn.execute(
        "EXPLAIN QUERY PLAN " + CANNED_QUERIES["recent"][0], {"since": ""}))
    assert "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)" in plan, plan
