"""What only the PostgreSQL backend has to get right: its URLs and their faults (each one
`Error:` line, nothing written, never the password), a database that is not Docket's or is
newer, the missing extra, TRUNCATE refused and the safeguards audited, the write lock's
timeout naming the lock, text PostgreSQL cannot hold, and the tables readable by any client.
"""

from __future__ import annotations

import json
import multiprocessing
import secrets
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pgtest
import psycopg
import pytest
from conftest import RAW_SQL, export_of, invoke, run

from docket import EventLog
from docket.errors import StorageError
from docket.storage import open_storage

SECRET = "s3cr3t-pw-Zq"
raw_sql = RAW_SQL["postgres"]
EVENT = ('{"type": "statement_published", "stream": "s", "id": "e1", '
         '"occurred_at": "2021-02-01", "data": {"speaker": "S", "summary": "x"}}\n')


@pytest.fixture
def pg_url(pg_schemas) -> str:
    """A new, empty log location: a fresh schema (conftest's pg_url is a fresh database,
    whose DROP forces a checkpoint)."""
    return pg_schemas.new()


def _one_error(code: int, err: str, expected_code: int, *words: str) -> None:
    lines = err.strip().splitlines()
    assert code == expected_code, err
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for word in words:
        assert word in lines[0], lines[0]
    assert SECRET not in err


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def test_malformed_urls_exit_2_naming_the_url_without_its_password():
    for url in (f"postgresql://u:{SECRET}@[::1/db", f"postgresql://u:{SECRET}@localhost:port/db",
                f"postgresql://u:{SECRET}@localhost/db?nonsense=1", f"postgres://u:{SECRET}@h"):
        code, _, err = invoke("append", "--db", url, "-", input=EVENT)
        _one_error(code, err, 2, "malformed PostgreSQL URL")


def test_a_refused_password_an_unreachable_host_no_database_and_no_role_are_one_line_each(
        pg_server):
    tcp = pg_server.url_for("postgres", tcp=True)
    missing = "docket_t_never_made"
    cases = [
        (_with_password(tcp, SECRET), "refused the password"),
        (f"postgresql://docket:{SECRET}@127.0.0.1:1/x", "database unavailable"),
        (_with_password(pg_server.url_for(missing, tcp=True),
                        urlsplit(tcp).password or ""), f"no database '{missing}'"),
        # the server was reached (until 2026-12-02 "cannot reach", and `log --follow`
        # waited for it for ever)
        (pg_server.url_for("postgres").replace("postgres@", "docket_no_role@", 1),
         "has no role 'docket_no_role' (an administrator creates it: CREATE ROLE"),
    ]
    for url, words in cases:
        for args in (("append", "--db", url), ("log", "--db", url)):
            code, out, err = invoke(*args, *(["-"] if args[0] == "append" else []), input=EVENT)
            _one_error(code, err, 1, words)
            assert out == ""
    assert not pg_server.database_exists(missing)
    with psycopg.connect(pg_server.url_for("postgres"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'events'"
                            ).fetchone()[0] == 0  # nothing written where it connected


def test_the_location_of_a_log_never_holds_its_password(pg_server, pg_url):
    tcp = pgtest.tcp_of(pg_server, pg_url)
    password = urlsplit(tcp).password
    log = EventLog(tcp)
    assert password and password not in log.storage.location
    assert log.storage.location.startswith("postgresql://postgres@127.0.0.1:")
    log.close()


def test_a_database_of_a_newer_format_or_not_dockets_is_refused_untouched(pg_url):
    EventLog(pg_url).append([{"type": "statement_published", "stream": "s", "id": "e0",
                              "occurred_at": "2021-02-01",
                              "data": {"speaker": "S", "summary": "x"}}])
    before = export_of(pg_url)
    raw_sql(pg_url, "UPDATE docket_meta SET value = '99' WHERE key = 'format'")
    for args in (("append", "--db", pg_url), ("log", "--db", pg_url)):
        code, _, err = invoke(*args, *(["-"] if args[0] == "append" else []), input=EVENT)
        _one_error(code, err, 1, "newer Docket", "format 99")
    raw_sql(pg_url, "UPDATE docket_meta SET value = '1' WHERE key = 'format'")
    assert export_of(pg_url) == before


def test_a_schema_holding_other_tables_is_not_a_docket_log(pg_server, pg_url):
    raw_sql(pg_url, "CREATE TABLE invoices (n int)")
    code, _, err = invoke("append", "--db", pg_url, "-", input=EVENT)
    _one_error(code, err, 1, "not a Docket log")
    with psycopg.connect(pg_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace")}
    assert tables == {"invoices"}


def test_reading_an_empty_database_writes_nothing(pg_url):
    code, out, err = invoke("log", "--db", pg_url)
    _one_error(code, err, 1, "holds no Docket log yet")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = "
                            "current_schema()::regnamespace").fetchone()[0] == 0


def test_without_psycopg_one_line_names_the_extra(tmp_path):
    script = ("import sys; sys.modules['psycopg'] = None; from docket.cli import main; "
              "sys.argv = ['docket', 'log', '--db', 'postgresql://u@localhost/db']; main()")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "Error: the PostgreSQL backend needs psycopg: install it with "
        "pip install 'docket[postgres]'"]


def test_truncate_is_refused_and_the_audit_reports_a_dropped_or_disabled_trigger(pg_url):
    log = EventLog(pg_url)
    log.append([{"type": "statement_published", "stream": "s", "id": "e1",
                 "occurred_at": "2021-02-01", "data": {"speaker": "S", "summary": "x"}}])
    for table in ("events", "refs", "docket_checkpoints"):
        with pytest.raises(psycopg.Error, match="docket: .* are append-only"):
            raw_sql(pg_url, f"TRUNCATE {table}")
    storage = open_storage(pg_url)
    with storage.reading():
        assert storage.immutability_problems() == []
    raw_sql(pg_url, "DROP TRIGGER events_no_truncate ON events")
    raw_sql(pg_url, "ALTER TABLE refs DISABLE TRIGGER refs_no_update")
    with storage.reading():
        problems = dict(storage.immutability_problems())
    assert set(problems) == {"events_no_truncate", "refs_no_update"}
    assert "TRUNCATE on `events`" in problems["events_no_truncate"]
    assert problems["refs_no_update"].startswith("disabled")
    storage.close()
    assert not log.verify()["ok"]
    log.close()


def test_a_writer_waiting_too_long_for_the_lock_names_it(pg_url):
    log = EventLog(pg_url)
    log.append([{"type": "statement_published", "stream": "s", "id": "e0",
                 "occurred_at": "2021-02-01", "data": {"speaker": "S", "summary": "x"}}])
    before = export_of(pg_url)
    holder = open_storage(pg_url)
    with holder.writing():
        code, _, err = run("append", "--db", pg_url, "-", input=EVENT,
                           env={"DOCKET_BUSY_TIMEOUT_MS": "300"})
        _one_error(code, err, 1, "write lock is held by another writer", "waited 300 ms",
                   "DOCKET_BUSY_TIMEOUT_MS")
    holder.close()
    assert export_of(pg_url) == before
    assert run("append", "--db", pg_url, "-", input=EVENT)[0] == 0  # and it goes on
    log.close()


def test_a_busy_timeout_of_zero_does_not_wait_for_the_lock(pg_url):
    # PostgreSQL's lock_timeout 0 means no limit: Docket's 0 means not waiting, as on SQLite.
    EventLog(pg_url).append([{"type": "statement_published", "stream": "s", "id": "e0",
                              "occurred_at": "2021-02-01",
                              "data": {"speaker": "S", "summary": "x"}}])
    before = export_of(pg_url)
    holder = open_storage(pg_url)
    with holder.writing():
        started = time.monotonic()
        code, _, err = run("append", "--db", pg_url, "-", input=EVENT, timeout=60,
                           env={"DOCKET_BUSY_TIMEOUT_MS": "0"})
        waited = time.monotonic() - started
        _one_error(code, err, 1, "write lock is held by another writer", "waited 0 ms")
    holder.close()
    assert waited < 30  # not until the holder let go (it never would while we waited)
    assert export_of(pg_url) == before


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", ""])
def test_a_busy_timeout_that_is_not_a_number_is_the_sqlite_error(pg_url, value, monkeypatch):
    EventLog(pg_url).close()
    for args in (("log", "--db", pg_url), ("append", "--db", pg_url, "-")):
        code, _, err = run(*args, input=EVENT, env={"DOCKET_BUSY_TIMEOUT_MS": value})
        _one_error(code, err, 1, f"DOCKET_BUSY_TIMEOUT_MS is {value!r}: give a whole number "
                   "of milliseconds from 0 to 2147483647")
    assert export_of(pg_url) == b""
    monkeypatch.setenv("DOCKET_BUSY_TIMEOUT_MS", value)  # the library: a StorageError
    with pytest.raises(StorageError, match="DOCKET_BUSY_TIMEOUT_MS is"):
        EventLog(pg_url)


def test_text_postgresql_cannot_hold_round_trips_exactly(pg_url, tmp_path):
    events = [
        {"type": "order_issued", "stream": "s", "id": "o\x00\ufffe0\ufffe",
         "occurred_at": "2021-02-01",
         "data": {"order_id": "O\x00", "issuer": "G\ufffe0", "platform": "P"}},
        {"type": "accounts_blocked", "stream": "s", "id": "b\x00",
         "occurred_at": "2021-02-02", "data": {"order_id": "O\x00", "count": 1}},
    ]
    sqlite = str(tmp_path / "same.db")
    log = EventLog(pg_url)
    log.append(events)
    lines = list(log.export_lines())
    assert [r.duplicate for r in log.append(events)] == [True, True]  # found by its id
    log.close()
    copy = EventLog(sqlite)
    copy.import_lines(list(enumerate(lines, 1)))
    copy.close()
    assert export_of(pg_url) == export_of(sqlite) == b"".join(lines)
    pg, lite = EventLog(pg_url), EventLog(sqlite)
    assert pg.state("s") == lite.state("s")
    assert pg.verify()["ok"]
    pg.close()
    lite.close()


def _open(location: str, start) -> None:
    start.wait(60)
    EventLog(location).close()


def test_processes_creating_one_log_at_once_agree(pg_url):
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_open, args=(pg_url, start)) for _ in range(3)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT value FROM docket_meta WHERE key = 'format'"
                            ).fetchone() == ("1",)


def test_the_views_are_ordinary_tables_any_client_reads(pg_url):
    code, _, err = invoke("import", "--db", pg_url, "events/twitter-india-2021.jsonl")
    assert code == 0, err
    log = EventLog(pg_url)
    streams = log.storage.stream_names()
    state = log.state(streams[0])
    log.close()
    with psycopg.connect(pg_url) as conn:
        orders = dict(conn.execute("SELECT order_id, overdue FROM view_orders WHERE stream = "
                                   "%s", (streams[0],)).fetchall())
        records = conn.execute("SELECT count(*), min(seq), max(seq) FROM records").fetchone()
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    assert set(orders) == set(state["orders"])
    assert all(isinstance(v, bool) for v in orders.values())  # a real BOOLEAN for BI tools
    assert {k: v["overdue"] for k, v in state["orders"].items()} == orders
    assert records == (events, 1, events)


def _follow_one(url: str, after: int, out: list, poll: float) -> None:
    log = EventLog(url, create=False)
    for record in log.follow(after, poll=poll):
        out.append((record["id"], time.monotonic()))
        break
    log.close()


def _statement(ident: str) -> dict:
    return {"type": "statement_published", "stream": "s", "id": ident,
            "occurred_at": "2021-02-01", "data": {"speaker": "S", "summary": ident}}


def test_a_follower_wakes_on_notify_not_on_its_polling_interval(pg_url):
    log = EventLog(pg_url)
    log.append([_statement("e0")])
    seen: list = []
    follower = threading.Thread(target=_follow_one, args=(pg_url, 1, seen, 60.0))
    follower.start()
    time.sleep(0.5)  # the follower has read to the end and waits (60 s between looks)
    assert seen == []
    code, _, err = run("append", "--db", pg_url, "-", input=json.dumps(_statement("e1")))
    committed = time.monotonic()
    assert code == 0, err
    follower.join(30)
    assert not follower.is_alive()
    assert seen[0][0] == "e1" and seen[0][1] - committed < 5  # woken by the commit
    log.close()


def test_a_lost_notification_loses_nothing(pg_url, monkeypatch):
    log = EventLog(pg_url)
    log.append([_statement("e0")])
    seen: list = []
    follower = threading.Thread(target=_follow_one, args=(pg_url, 1, seen, 0.5))
    follower.start()
    time.sleep(0.3)
    writer = EventLog(pg_url)
    # This writer's NOTIFY goes nowhere: the follower finds the event when it looks again.
    monkeypatch.setattr(writer.storage, "_channel", "docket_nobody_listens")
    writer.append([_statement("e1")])
    follower.join(30)
    assert [i for i, _ in seen] == ["e1"]
    writer.close()
    log.close()


def test_no_output_of_a_command_holds_the_password(pg_server, pg_url, tmp_path):
    tcp = pgtest.tcp_of(pg_server, pg_url)
    password = urlsplit(tcp).password
    dump = tmp_path / "one.jsonl"
    dump.write_text(EVENT)
    for args in (("import", "--db", tcp, dump), ("import", "--db", tcp, "--json", dump)):
        code, out, err = invoke(*args)
        assert code == 0, err
        assert password not in out and password not in err
        assert "postgresql://postgres@127.0.0.1:" in out  # the log, named without it


def _reltuples(url: str, table: str) -> float:
    """The planner's row estimate of `table` in the log's schema (-1, or 0 before
    PostgreSQL 14: never analyzed)."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT reltuples FROM pg_class WHERE relname = %s AND "
                            "relnamespace = current_schema()::regnamespace",
                            (table,)).fetchone()[0]


def test_a_bulk_append_leaves_the_planner_statistics(pg_url):
    """Without statistics (a table that grew from nothing, before autovacuum's ANALYZE), the
    replay's pages were planned as a scan and sort of every remaining row: a bulk append
    analyzes the log's tables in its own transaction; a small one does not."""
    log = EventLog(pg_url)
    log.append([_statement(f"a{i}") for i in range(10)])
    assert _reltuples(pg_url, "events") <= 0         # never analyzed: a small append
    log.append([_statement(f"b{i}") for i in range(10_000)])
    assert _reltuples(pg_url, "events") == 10_010    # counted in the append's transaction
    assert _reltuples(pg_url, "refs") >= 0
    assert [r["id"] for r in log.read(after_seq=10_008)] == ["b9998", "b9999"]
    log.close()


def test_a_failed_analyze_costs_only_the_statistics(pg_url, monkeypatch):
    """A failure of the ANALYZE (here: refused, as a lock held past lock_timeout would be)
    leaves the append whole."""
    log = EventLog(pg_url)
    conn_execute = psycopg.Connection.execute
    refused = []

    def refuse_analyze(self, query, *args, **kwargs):
        if str(query).startswith("ANALYZE"):
            refused.append(query)
            query = "SELECT 1/0"  # an error inside the savepoint
        return conn_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", refuse_analyze)
    receipts = log.append([_statement(f"c{i}") for i in range(10_000)])
    monkeypatch.undo()
    assert refused == ["ANALYZE (SKIP_LOCKED) events, refs"]
    assert len(receipts) == 10_000 and log.storage.count() == 10_000
    assert log.verify()["ok"]
    log.close()


def test_a_writer_not_owning_the_tables_appends_with_the_grants_the_readme_lists(pg_url):
    """README (Teams): a writer that does not own the tables needs USAGE on the schema,
    SELECT and INSERT on the log's tables, and SELECT, INSERT, UPDATE and DELETE on the
    others. Its bulk append goes through though the ANALYZE after it is the owner's right
    (the server warns and skips it)."""
    log = EventLog(pg_url)
    log.append([_statement("first")])
    log.close()
    role = f"docket_writer_{secrets.token_hex(3)}"
    log_tables = ["docket_checkpoints", "events", "refs"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        others = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            if r[0] not in log_tables]
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        conn.execute(f'GRANT SELECT, INSERT ON {", ".join(log_tables)} TO "{role}"')
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(others)} TO "{role}"')
    parts = urlsplit(pg_url)
    as_writer = urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}"))
    try:
        log = EventLog(as_writer)
        receipts = log.append([_statement(f"w{i}") for i in range(10_000)])
        assert len(receipts) == 10_000 and log.storage.count() == 10_001
        assert log.verify()["ok"]
        log.close()
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def test_a_single_append_costs_few_round_trips(pg_url, monkeypatch):
    """A single append on a log with views is a handful of round trips (each ~0.2 ms on a
    server): the begin with the lock and the head; the ids with the stream's version; its
    reference; the views' head, amendments and snapshots' count (with the event's rows);
    the fold's page; the deadlines; the writes with the COMMIT. No COPY; the new events
    are not read back (the append hands them to the views)."""
    log = EventLog(pg_url)
    log.append([{"type": "order_issued", "stream": "s", "id": "o1",
                 "occurred_at": "2021-02-01", "data": {"order_id": "O1", "issuer": "G",
                                                       "platform": "P", "targets": ["@a"]}}])
    trips = []
    execute, copy = psycopg.Cursor.execute, psycopg.Cursor.copy
    monkeypatch.setattr(psycopg.Cursor, "execute",
                        lambda self, *a, **kw: trips.append("x") or execute(self, *a, **kw))
    monkeypatch.setattr(psycopg.Cursor, "copy",
                        lambda self, *a, **kw: trips.append("copy") or copy(self, *a, **kw))
    log.append([{"type": "accounts_blocked", "stream": "s", "id": "b1",
                 "occurred_at": "2021-02-02", "data": {"order_id": "O1",
                                                       "targets": ["@a"]}}])
    assert "copy" not in trips and len(trips) <= 7, trips
    monkeypatch.undo()
    assert log.state("s")["accounts"]
    log.close()
