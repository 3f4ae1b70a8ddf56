"""Shared fixtures: a temporary database path and ways to run the `docket` command.

- `db_path`: a path to a not-yet-existing SQLite file in a fresh temporary folder.
- `run_docket(*args, input=None, env=None, cwd=None)`: runs the installed `docket`
  executable (the one next to sys.executable) in a subprocess; returns (code, stdout, stderr)
  as text. `DOCKET_DB` is removed from the environment unless `env` sets it.
- `invoke_docket(*args, input=None, env=None)`: the same command line run in-process through
  click's CliRunner (fast, for property tests with many examples); returns
  (code, stdout, stderr) and fails the test if the command raised anything but SystemExit.
- `export_bytes(db)`, `db_bytes(db)`: the log's export (read in-process) and the raw file.
- `pg_server` (session): the PostgreSQL server of DOCKET_TEST_PG (tests/pgtest.py), able to
  create and drop databases; skipped with the reason when none is configured, and a
  failure instead under CI=true.
- `pg_url`: the URL of a fresh, empty PostgreSQL database, dropped after the test.
- `backend`: parametrized over "sqlite" and "postgres": a `--db` value for a new log, a
  SQLite path (not yet existing) or a `postgresql://` URL of a fresh database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import pgtest


def ctrl_c_reaches_it() -> None:
    """`preexec_fn` of a child a test stops with SIGINT: the default action back, so the
    child's Python turns Ctrl-C into KeyboardInterrupt even when the suite runs from a shell
    that ignores SIGINT in its background jobs (`cmd &` without job control, nohup), where
    the child would inherit the ignoring and never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(proc: subprocess.Popen, timeout: float = 30) -> tuple:
    """Ctrl-C to a child and its (stdout, stderr) once it exits; one that does not exit in
    `timeout` seconds is killed (not left running after the test) and the test fails."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise

DOCKET = Path(sys.executable).with_name("docket")


def _env(extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DB"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


def _as_bytes(data) -> bytes | None:
    if data is None or isinstance(data, bytes):
        return data
    return data.encode("utf-8")


def run(*args, input=None, env=None, cwd=None, timeout=120) -> tuple[int, str, str]:
    """Run the installed `docket` with `args`; return (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [str(DOCKET), *map(str, args)], input=_as_bytes(input), capture_output=True,
        env=_env(env), cwd=cwd, timeout=timeout,
    )
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"))


def on_pty(*args, on: str, env=None, timeout=120) -> tuple[int, bytes, bytes]:
    """Run the installed `docket` with its stdout or stderr (`on`) on a pseudo-terminal and
    the other piped: (exit code, what the pipe got, what the terminal showed)."""
    import pty

    master, slave = pty.openpty()
    streams = {"stdout": slave, "stderr": subprocess.PIPE} if on == "stdout" else \
        {"stdout": subprocess.PIPE, "stderr": slave}
    proc = subprocess.run([str(DOCKET), *map(str, args)], env=_env(env), timeout=timeout,
                          check=False, **streams)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:     # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.returncode, proc.stderr if on == "stdout" else proc.stdout, seen


def invoke(*args, input=None, env=None) -> tuple[int, str, str]:
    """Run the `docket` command line in-process (click's CliRunner)."""
    from click.testing import CliRunner

    from docket.cli import main

    runner = CliRunner()
    result = runner.invoke(main, [str(a) for a in args], input=_as_bytes(input),
                           env={"DOCKET_DB": None, **(env or {})}, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"docket {' '.join(map(str, args))} raised "
                             f"{result.exception!r}") from result.exception
    return result.exit_code, result.stdout, result.stderr


def export_of(db) -> bytes:
    """The export of the log at `db`, read in-process (b'' when the file does not exist)."""
    from docket.storage import is_url

    if not is_url(str(db)) and not Path(db).exists():
        return b""
    from docket.log import Log

    log = Log(str(db), create=False)
    try:
        return b"".join(log.export_lines())
    finally:
        log.close()


def file_bytes(path) -> bytes | None:
    """The bytes of a file, or None when it does not exist; for a PostgreSQL log, every
    row of every table of its schema and their triggers (None when it has no table): what
    "the log is byte for byte unchanged" means there."""
    from docket.storage import is_url

    if is_url(str(path)):
        return pgtest.dump_schema(str(path))
    p = Path(path)
    return p.read_bytes() if p.exists() else None


@pytest.fixture
def db_path(tmp_path) -> str:
    """A path for a new log in a fresh temporary folder (the file does not exist yet)."""
    return str(tmp_path / "docket.db")


@pytest.fixture
def run_docket():
    """`run_docket(*args, input=None, env=None, cwd=None) -> (code, stdout, stderr)`."""
    assert DOCKET.exists(), f"docket is not installed next to {sys.executable}"
    return run


@pytest.fixture
def invoke_docket():
    """`invoke_docket(*args, input=None, env=None) -> (code, stdout, stderr)`, in-process."""
    return invoke


@pytest.fixture
def export_bytes():
    return export_of


@pytest.fixture
def db_bytes():
    return file_bytes


# ------------------------------------------------------------------------------ PostgreSQL

@pytest.fixture(scope="session")
def pg_server():
    """The PostgreSQL server to test on (tests/pgtest.py); never skipped under CI=true."""
    server, why, broken = None, None, None
    try:
        server = pgtest.open_server()
    except pgtest.Unavailable as exc:
        why = str(exc)
    except ConnectionError as exc:  # configured but unreachable: a failure, never a skip
        broken = str(exc)
    if broken:
        pytest.fail(broken, pytrace=False)
    if why:
        pgtest.not_here(f"PostgreSQL tests did not run: {why}")
    yield server
    server.close()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """The URL of a new, empty database on the test server; dropped after the test."""
    name = pg_server.create_database(request.node.name)
    yield pg_server.url_for(name)
    pg_server.drop_database(name)


# -- storage backends ------------------------------------------------------------------------
# Each test that asks for `backend` runs once per backend, on a fresh empty log location.
BACKENDS = ["sqlite", "postgres"]


def _raw_sqlite(location: str, sql: str) -> None:
    import sqlite3

    conn = sqlite3.connect(location, isolation_level=None)
    try:
        conn.execute(sql)
    finally:
        conn.close()


def _raw_postgres(location: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute(sql)


RAW_SQL = {"sqlite": _raw_sqlite, "postgres": _raw_postgres}


@pytest.fixture(params=BACKENDS)
def backend_kind(request) -> str:
    """The name of the backend a test runs on."""
    return request.param


@pytest.fixture(scope="module")
def pg_schemas(request):
    """One database for this module's PostgreSQL logs, a schema per log (`new()` -> URL):
    a schema costs a few ms where CREATE DATABASE and its DROP cost ~0.5 s."""
    server = request.getfixturevalue("pg_server")
    schemas = pgtest.Schemas(server, request.module.__name__)
    yield schemas
    schemas.close()


@pytest.fixture
def backend_factory(backend_kind, tmp_path, request):
    """`make()` -> the location (`--db` value) of a new, empty log on this test's backend:
    a SQLite file, or a fresh schema of this module's PostgreSQL database."""
    made: list[str] = []
    schemas = request.getfixturevalue("pg_schemas") if backend_kind == "postgres" else None

    def make() -> str:
        if schemas is not None:
            return schemas.new()
        made.append(str(tmp_path / f"log{len(made)}.db"))
        return made[-1]

    return make


@pytest.fixture
def backend(backend_factory) -> str:
    """The location of a fresh, empty log (a SQLite path, or a PostgreSQL URL)."""
    return backend_factory()


@pytest.fixture
def raw_sql(backend_kind):
    """`raw_sql(location, sql)`: run SQL on the log's database past Docket, as an operator
    with a database client could (immutability triggers stay in force)."""
    return RAW_SQL[backend_kind]


def seeded_log(folder: Path, events: list[dict]) -> tuple[Path, bytes, bytes]:
    """A log at folder/seed.db holding `events`, written by the real `docket append`:
    (its path, its file bytes, its export)."""
    from strategies import to_jsonl

    db = folder / "seed.db"
    (folder / "seed.jsonl").write_bytes(to_jsonl(events))
    code, out, err = run("append", "--db", db, folder / "seed.jsonl")
    assert code == 0, err
    assert len(out.splitlines()) == len(events)
    wal = Path(str(db) + "-wal")  # closed cleanly: the file's bytes are the whole log
    assert not wal.exists() or wal.stat().st_size == 0
    return db, db.read_bytes(), export_of(db)
