"""The PostgreSQL test plumbing, on the real server: the fixtures of conftest.py and pgtest.py.

These tests talk to the server through psycopg directly (no Docket code yet): they prove
that the server `make test` starts is the one the issue names (PostgreSQL 15, durable
settings, run by an unprivileged user), that each test gets a database of its own that
is empty, writable and dropped afterwards, and that the loopback URL needs its password.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import pgtest

try:
    import psycopg
except ImportError:  # the `postgres` extra is missing: loud under CI, a skip with why elsewhere
    pgtest.not_here("psycopg is not installed (pip install -e '.[test,postgres]')", module=True)


def _user_tables(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")]


def test_the_server_is_postgresql_15_with_durable_settings(pg_url):
    with psycopg.connect(pg_url) as conn:
        assert conn.info.server_version // 10000 == 15, conn.info.server_version
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("fsync", "synchronous_commit", "full_page_writes",
                                 "server_encoding", "TimeZone")}
    assert settings == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
                        "server_encoding": "UTF8", "TimeZone": "UTC"}


def test_a_fresh_database_is_empty_and_keeps_what_is_committed(pg_url):
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0].startswith(pgtest.PREFIX)
        assert _user_tables(conn) == []
        conn.execute("CREATE TABLE events (seq bigint PRIMARY KEY, body text NOT NULL)")
        conn.execute("INSERT INTO events VALUES (1, 'first'), (2, 'second')")
        conn.commit()
        conn.execute("INSERT INTO events VALUES (3, 'rolled back')")
        conn.rollback()
    with psycopg.connect(pg_url) as other:  # a second session sees exactly the commit
        rows = other.execute("SELECT seq, body FROM events ORDER BY seq").fetchall()
        assert rows == [(1, "first"), (2, "second")]
        assert _user_tables(other) == ["public.events"]


def test_each_database_is_separate_and_is_dropped(pg_server):
    a, b = pg_server.create_database("one"), pg_server.create_database("two")
    assert a != b and a.startswith(pgtest.PREFIX + "one_") and b.startswith(pgtest.PREFIX + "two_")
    ca = psycopg.connect(pg_server.url_for(a), autocommit=True)
    cb = psycopg.connect(pg_server.url_for(b), autocommit=True)
    try:
        ca.execute("CREATE TABLE only_in_a (x int)")
        assert _user_tables(ca) == ["public.only_in_a"]
        assert _user_tables(cb) == []
        # still connected (as a leaked connection or a stuck follower would be): the drop
        # ends these sessions rather than waiting for them
        pg_server.drop_database(a)
        pg_server.drop_database(b)
        with pytest.raises(psycopg.OperationalError):
            ca.execute("SELECT 1")
    finally:
        ca.close()
        cb.close()
    assert not pg_server.database_exists(a) and not pg_server.database_exists(b)
    assert a not in pg_server.created and b not in pg_server.created


def test_the_server_runs_as_an_unprivileged_user(pg_server):
    if not pg_server.cluster_dir:
        pgtest.not_here("DOCKET_TEST_PG is not a cluster of tests/pgcluster.py (no "
                        "DOCKET_TEST_PG_DIR): its owner is not ours to check")
    data = pg_server.admin.execute("SHOW data_directory").fetchone()[0]
    owner = Path(data).stat().st_uid
    assert Path(data).parent == Path(pg_server.cluster_dir)
    if os.geteuid() == 0:
        assert owner != 0
    else:
        assert owner == os.geteuid()
    assert Path(data).stat().st_mode & 0o077 == 0  # PostgreSQL insists on a private folder


def test_the_loopback_url_needs_the_password(pg_server):
    if not pg_server.tcp_url:
        pgtest.not_here("DOCKET_TEST_PG_TCP is not set (make test sets it)")
    name = pg_server.create_database("tcp")
    try:
        good = pg_server.url_for(name, tcp=True)
        with psycopg.connect(good) as conn:
            assert conn.execute("SELECT current_database(), inet_server_addr()::text"
                                ).fetchone() == (name, "127.0.0.1/32")
        parts = urlsplit(good)
        wrong = urlunsplit(parts._replace(netloc=f"postgres:wrong@{parts.hostname}:{parts.port}"))
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(wrong, connect_timeout=10)
    finally:
        pg_server.drop_database(name)


@pytest.mark.parametrize("backend_kind", ["sqlite", "postgres"])
def test_the_backend_fixture_gives_a_new_log_location(backend, backend_kind):
    kind = backend_kind
    if kind == "sqlite":
        assert not Path(backend).exists() and Path(backend).parent.is_dir()
        assert backend.endswith(".db")
    else:
        assert backend.startswith("postgresql://")
        with psycopg.connect(backend) as conn:  # a fresh schema of the session's database
            assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = "
                                "current_schema()::regnamespace").fetchone() == (0,)


def test_with_dbname_keeps_host_port_and_options():
    assert pgtest.with_dbname("postgresql://postgres@/postgres?host=/tmp/x&port=5", "d1") == \
        "postgresql://postgres@/d1?host=/tmp/x&port=5"
    assert pgtest.with_dbname("postgresql://u:p@127.0.0.1:5432/postgres", "d2") == \
        "postgresql://u:p@127.0.0.1:5432/d2"
    assert pgtest.redacted("postgresql://u:s3cret@h:1/db") == "postgresql://u:***@h:1/db"
    assert "s3cret" not in pgtest.redacted("postgresql://u:s3cret@h/db?sslmode=require")
