"""The PostgreSQL side of the test fixtures: which server, and a fresh database per test.

The server comes from the environment, set by `make test` (tests/pgcluster.py):

- `DOCKET_TEST_PG`: the URL of a database on the server whose user may CREATE DATABASE
  (the throwaway cluster's `postgres` through its Unix socket). `auto` starts a throwaway
  cluster for this pytest session and stops it at the end (for running one test file by
  hand: `DOCKET_TEST_PG=auto .venv/bin/python -m pytest tests/test_pgserver.py`).
- `DOCKET_TEST_PG_TCP` (optional): the same server over 127.0.0.1 with a password.
- `DOCKET_TEST_PG_DIR` (optional): the cluster's folder.
- `DOCKET_TEST_PG_KEEP=1`: keep each test's database after it ends (to look at it in psql).

When no server is configured, `Unavailable` says why; conftest.py turns that into a skip
with that reason, or a failure under CI=true: the PostgreSQL tests never skip silently.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from urllib.parse import quote, urlsplit, urlunsplit

import pgcluster

PREFIX = "docket_t_"


class Unavailable(Exception):
    """No PostgreSQL server to test on; the message says why and what to do."""


def under_ci() -> bool:
    """True under CI=true (also 1/yes), where a PostgreSQL test may not be skipped."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def not_here(reason: str, module: bool = False) -> None:
    """Skip this test (or module) for `reason`; under CI=true, fail it instead."""
    import pytest

    if under_ci():
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not be skipped)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def with_dbname(url: str, dbname: str) -> str:
    """`url` with its database replaced by `dbname` (host, port, user, options kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))


def redacted(url: str) -> str:
    """`url` without its password, for messages."""
    return re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)


class PgServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    def __init__(self, url: str, tcp_url: str | None = None, cluster_dir: str | None = None,
                 owned: bool = False):
        try:
            import psycopg
        except ImportError:
            raise Unavailable("psycopg is not installed (pip install -e '.[test,postgres]')") \
                from None
        self.url, self.tcp_url, self.cluster_dir, self.owned = url, tcp_url, cluster_dir, owned
        self.created: list[str] = []
        self.keep = os.environ.get("DOCKET_TEST_PG_KEEP") == "1"
        try:
            self.admin = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise ConnectionError(f"cannot connect to DOCKET_TEST_PG={redacted(url)}: "
                                  f"{str(exc).strip().splitlines()[0]}") from None
        self.version_num = self.admin.info.server_version

    def create_database(self, hint: str = "") -> str:
        """A new, empty database (from template0); returns its name."""
        slug = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[:30]
        name = f"{PREFIX}{slug}_{secrets.token_hex(4)}" if slug else \
            f"{PREFIX}{secrets.token_hex(4)}"
        self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending any session still connected to it."""
        if self.keep:
            return
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def log_database(self):
        """(name, autocommit connection) of the one database this session keeps its schema
        logs in (tests/pgtest.Schemas), made on first use."""
        if getattr(self, "_logs", None) is None:
            import psycopg

            name = self.create_database("logs")
            self._logs = (name, psycopg.connect(self.url_for(name), autocommit=True))
        return self._logs

    def database_exists(self, name: str) -> bool:
        row = self.admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return row.fetchone() is not None

    def url_for(self, name: str, tcp: bool = False) -> str:
        """The URL of database `name` (through DOCKET_TEST_PG_TCP when `tcp`)."""
        if tcp and not self.tcp_url:
            raise Unavailable("DOCKET_TEST_PG_TCP is not set")
        return with_dbname(self.tcp_url if tcp else self.url, name)

    def close(self) -> None:
        """Drop what is left of this session's databases; stop the cluster if we started it."""
        try:
            if getattr(self, "_logs", None) is not None:
                self._logs[1].close()
            for name in list(self.created):
                self.drop_database(name)
            self.admin.close()
        finally:
            if self.owned and self.cluster_dir:
                pgcluster.stop(self.cluster_dir)


class Schemas:
    """Many logs in one database of the test server, one a schema (`new()` -> the URL of a
    log in a fresh schema, through `options=-csearch_path=...`, as a team would pick one).

    One database serves the whole session (`server.log_database()`): DROP DATABASE forces a
    checkpoint, which on a loaded machine took seconds; the schemas go with it at the end."""

    def __init__(self, server: PgServer, hint: str) -> None:
        self.server, self.count = server, 0
        self.name = server.log_database()[0]
        self.prefix = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[-40:]

    def new(self) -> str:
        self.count += 1
        schema = f"{self.prefix}_{self.count}_{secrets.token_hex(2)}"
        self.server.log_database()[1].execute(f'CREATE SCHEMA "{schema}"')
        return with_options(self.server.url_for(self.name), f"-csearch_path={schema}")

    def close(self) -> None:
        """Nothing to do: the session's database goes at the end, with every schema."""


def tcp_of(server: PgServer, url: str) -> str:
    """`url` (a database and options on the test server) reached over loopback TCP with the
    password instead."""
    tcp = urlsplit(server.url_for(urlsplit(url).path.lstrip("/"), tcp=True))
    options = [p for p in urlsplit(url).query.split("&") if p.startswith("options=")]
    return urlunsplit(tcp._replace(query="&".join(options)))


def dump_schema(url: str) -> bytes | None:
    """Every row of every table in the current schema of `url`, and its triggers, as bytes
    (None when the schema holds no table): equal before and after iff nothing changed."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind = 'r' ORDER BY relname")]
        if not tables:
            return None
        out = [repr(conn.execute(
            "SELECT t.tgname, t.tgenabled, p.prosrc FROM pg_trigger t JOIN pg_class c ON "
            "c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid WHERE c.relnamespace = "
            "current_schema()::regnamespace ORDER BY 1").fetchall())]
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            out.append(repr((table, sorted(map(repr, rows)))))
    return "\n".join(out).encode()


def with_options(url: str, options: str) -> str:
    """`url` with the connection parameter `options` set (e.g. `-csearch_path=x`)."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("options="))
    query = (query + "&" if query else "") + "options=" + quote(options, safe="")
    return urlunsplit(parts._replace(query=query))


def open_server() -> PgServer:
    """The server named by DOCKET_TEST_PG (or a throwaway one for `auto`).

    Raises `Unavailable` when none is configured, ConnectionError when the configured one
    cannot be reached (a configured server that fails is a failure, never a skip)."""
    url = os.environ.get("DOCKET_TEST_PG", "").strip()
    if url == "auto":
        d = tempfile.mkdtemp(prefix="docket-pg.")
        try:
            pgcluster.start(d, stop_when_gone=os.getpid())
        except pgcluster.NotFound as exc:
            shutil.rmtree(d, ignore_errors=True)  # ours, and still empty
            raise Unavailable(str(exc)) from None
        except BaseException:
            pgcluster.stop(d)
            raise
        try:
            return PgServer(pgcluster.url(d), pgcluster.url(d, tcp=True), d, owned=True)
        except BaseException:
            pgcluster.stop(d)
            raise
    if not url:
        raise Unavailable("DOCKET_TEST_PG is not set (`make test` sets it; or set it to "
                          "`auto`, or to a server where you may CREATE DATABASE)")
    return PgServer(url, os.environ.get("DOCKET_TEST_PG_TCP") or None,
                    os.environ.get("DOCKET_TEST_PG_DIR") or None)
