"""A log that lost an immutability trigger takes no event (storage/write_guard.py), on both
backends: an auditor's review found appends going on with `events_no_update` dropped (only
`checkpoint --sign` refused). Each trigger, dropped past Docket: the append is refused with
one `Error:` line naming it, exit 1, the log unchanged; with the trigger back, it goes on."""

from __future__ import annotations

import json

import pytest
from conftest import RAW_SQL, export_of, file_bytes, run

from docket import EventLog
from docket.errors import StorageError
from docket.storage.postgres_schema import TRIGGERS as PG_TRIGGERS
from docket.storage.sqlite_ddl import TRIGGERS as SQLITE_TRIGGERS

S = "s"
FIRST = {"type": "order_issued", "stream": S, "occurred_at": "2021-02-01", "id": "o",
         "data": {"order_id": "O-1", "issuer": "G", "platform": "X", "target_count": 3}}
NEXT = {"type": "meeting_held", "stream": S, "occurred_at": "2021-02-04", "id": "m",
        "data": {"participants": ["G", "X"]}}
TRIGGERS = {"sqlite": SQLITE_TRIGGERS, "postgres": PG_TRIGGERS}


def _drop(raw_sql, backend_kind, db, name: str) -> None:
    table = name.partition("_no_")[0]
    raw_sql(db, f"DROP TRIGGER {name}" + (f" ON {table}" if backend_kind == "postgres" else ""))


def _log_with_one_event(db) -> None:
    log = EventLog(db)
    log.append([FIRST])
    log.close()


def test_each_trigger_dropped_stops_the_next_append(backend_factory, backend_kind, raw_sql):
    for name in TRIGGERS[backend_kind]:
        db = backend_factory()
        _log_with_one_event(db)
        _drop(raw_sql, backend_kind, db, name)
        before = export_of(db)
        log = EventLog(db)
        try:
            with pytest.raises(StorageError, match=f"lost a safeguard of its log, so nothing "
                                                   f"was written: trigger {name}: missing"):
                log.append([NEXT])
        finally:
            log.close()
        assert export_of(db) == before, name


def test_the_command_says_it_in_one_line_and_leaves_the_file_as_it_was(tmp_path):
    db = str(tmp_path / "d.db")
    _log_with_one_event(db)
    RAW_SQL["sqlite"](db, "DROP TRIGGER events_no_delete")
    (tmp_path / "next.jsonl").write_text(json.dumps(NEXT) + "\n")
    before = file_bytes(db)
    code, out, err = run("append", "--db", db, tmp_path / "next.jsonl")
    assert (code, out) == (1, "") and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Error: database {db} lost a safeguard of its log, so nothing "
                          "was written: trigger events_no_delete: missing: nothing refuses "
                          "DELETE on `events`; `docket verify` says"), err
    assert file_bytes(db) == before


def test_a_trigger_put_back_lets_the_log_go_on(backend, backend_kind, raw_sql):
    _log_with_one_event(backend)
    log = EventLog(backend)
    storage = log.storage
    with storage.reading():
        assert storage.immutability_problems() == []
    log.close()
    _drop(raw_sql, backend_kind, backend, "events_no_update")
    if backend_kind == "postgres":
        raw_sql(backend, "CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH "
                         "STATEMENT EXECUTE FUNCTION docket_refuse('immutable')")
    else:
        raw_sql(backend, "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN "
                         "SELECT RAISE(ABORT, 'docket: events are immutable'); END")
    log = EventLog(backend)
    try:
        assert [r.seq for r in log.append([NEXT])] == [2]
    finally:
        log.close()
