"""`docket serve`: the log in Datasette on a free loopback port, read through its JSON and
HTML pages (and one page in headless Chromium), with descriptions, hidden internal tables
and canned queries; live appends show; nothing is written; Ctrl-C stops it with exit 0.

Under CI=true a test that needs Datasette or Chromium fails when it is missing; elsewhere it
is skipped, saying why. Only loopback addresses are used (192.0.2.1, TEST-NET, is only
bound to, which fails without sending anything).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ctrl_c_reaches_it

from browse_log import SECOND, make_log

DOCKET = Path(sys.executable).with_name("docket")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CI = os.environ.get("CI") == "true"
INSTALL = "pip install 'docket[serve]'"


def _need(what: str, present: bool, install: str) -> None:
    if present:
        return
    if CI:
        pytest.fail(f"CI=true and {what} is missing: the serve tests must run ({install})")
    pytest.skip(f"{what} is not installed ({install}); under CI=true this fails instead")


def _need_datasette() -> None:
    try:
        import datasette  # noqa: F401
    except ImportError:
        _need("Datasette", False, INSTALL)


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DOCKET_DB"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class Served:
    """`docket serve --port 0` in a subprocess: `url` (read from its first line), `get()`,
    `stop()` (Ctrl-C) returning (exit code, stderr)."""

    def __init__(self, db: str, *extra: str) -> None:
        self.proc = subprocess.Popen([str(DOCKET), "serve", "--db", db, "--port", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=_env(), preexec_fn=ctrl_c_reaches_it)
        watchdog = threading.Timer(60, self.proc.kill)  # a server that never says where
        watchdog.start()
        try:
            self.url = self.proc.stdout.readline().strip()
        finally:
            watchdog.cancel()
        if not self.url.startswith("http://127.0.0.1:"):
            self.proc.kill()
            raise AssertionError(f"no URL from docket serve: {self.url!r} "
                                 f"{self.proc.stderr.read()[-2000:]}")
        self.db = Path(db).stem

    def get(self, path: str, **params) -> tuple[int, str]:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/") + query, timeout=30) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def json(self, path: str, **params):
        status, text = self.get(path, **params)
        assert status == 200, text[:2000]
        return json.loads(text)

    def stop(self, sig=signal.SIGINT) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, err


@pytest.fixture(scope="module")
def log_file(tmp_path_factory) -> str:
    """The recorded dispute and a second stream (see browse_log), in a file named log.db."""
    from conftest import run

    path = str(tmp_path_factory.mktemp("serve") / "log.db")
    make_log(path, run)
    return path


@pytest.fixture(scope="module")
def served(log_file):
    _need_datasette()
    before = Path(log_file).read_bytes()
    server = Served(log_file)
    yield server
    code, err = server.stop()
    assert code == 0, err
    assert "Traceback" not in err
    # Serving and every page read left the log's file as it was: Datasette reads it on
    # connections that cannot write.
    assert Path(log_file).read_bytes() == before


def _exported(path: str) -> list[dict]:
    from conftest import run

    code, out, err = run("export", "--db", path)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


# -- JSON pages --------------------------------------------------------------------------------
def test_the_records_view_rows_are_the_export(served, log_file):
    rows = served.json(f"{served.db}/records.json", _shape="array", _size="max")
    exported = _exported(log_file)
    assert len(rows) == len(exported) == 27
    for row, record in zip(rows, exported):
        assert {**row, "data": json.loads(row["data"]),
                "sources": json.loads(row["sources"])} == record
    order = next(r for r in rows if r["id"] == "2021-01-31-emergency-order-257-urls")
    assert (order["seq"], order["type"], order["occurred_at"], order["actor"]) == (
        2, "order_issued", "2021-01-31", "MeitY")
    assert json.loads(order["data"])["target_count"] == 258
    assert [r["seq"] for r in rows if r["stream"] == SECOND] == [23, 24, 25, 26, 27]


def test_the_compliance_query_across_both_disputes(served):
    rows = served.json(f"{served.db}/compliance.json", _shape="array")
    assert [(r["stream"], r["order_id"]) for r in rows] == [
        ("twitter-india-2021", "O-2021-01-31"), ("twitter-india-2021", "O-2021-02-04"),
        (SECOND, "O-EX-1")]
    jan31 = rows[0]  # the 31 Jan emergency order: blocked and restored on 1 Feb
    assert (jan31["target_count"], jan31["ever_blocked"], jan31["restored"], jan31["blocked"],
            jan31["status"], jan31["first_action_at"], jan31["hours_to_first_action"]) == (
        258, 258, 258, 0, "reverted", "2021-02-01T11:00:00+05:30", 29.5)
    assert (jan31["reported_actioned"], jan31["reported_specified"]) == (126, 257)
    assert (rows[1]["target_count"], rows[1]["reported_actioned"]) == (1178, 583)
    assert (rows[2]["blocked"], rows[2]["compliance"], rows[2]["status"]) == (4, 0.4, "partial")


def test_a_streams_timeline_takes_the_stream_as_a_parameter(served):
    rows = served.json(f"{served.db}/stream_timeline.json", _shape="array", stream=SECOND)
    assert [r["id"] for r in rows] == ["ex-order", "ex-statement", "ex-block", "ex-report",
                                       "ex-retract"]
    assert rows[1]["amended_by"] == "event_retracted #26" and rows[1]["actor"] is None
    dispute = served.json(f"{served.db}/stream_timeline.json", _shape="array",
                          stream="twitter-india-2021")
    assert len(dispute) == 22 and dispute[1]["id"] == "2021-01-31-emergency-order-257-urls"


def test_what_changed_recently_newest_first(served, log_file):
    rows = served.json(f"{served.db}/recent.json", _shape="array", since="")
    assert [r["seq"] for r in rows] == list(range(27, 0, -1))
    since = _exported(log_file)[22]["recorded_at"]  # when the second stream was appended
    rows = served.json(f"{served.db}/recent.json", _shape="array", since=since)
    assert [r["id"] for r in rows] == ["ex-report", "ex-retract", "ex-statement", "ex-block",
                                       "ex-order"]


def test_internal_tables_are_hidden_and_everything_is_described(served):
    data = served.json(f"{served.db}.json")
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    shown = {t["name"] for t in data["tables"] if not t["hidden"]}
    assert hidden == {"events", "refs", "docket_meta", "docket_checkpoints",
                      "docket_view_heads", "docket_fold", "docket_deadlines",
                      "docket_snapshots", "docket_touches", "docket_late"}
    assert shown == {"view_orders", "view_accounts", "view_notices", "view_dialogue",
                     "view_challenges", "view_penalties", "view_penalty_totals",
                     "view_service", "view_streams"}
    assert [v["name"] for v in data["views"]] == ["records"]
    assert {q["name"] for q in data["queries"]} == {"compliance", "stream_timeline", "recent"}
    meta = served.json("-/metadata.json")["databases"][served.db]["tables"]
    assert meta["view_orders"]["columns"]["restored"].startswith("ever_blocked − blocked")


# -- HTML pages --------------------------------------------------------------------------------
def test_the_index_page_lists_the_views_and_hides_the_internal_tables(served):
    status, page = served.get("")
    assert status == 200
    assert f'href="/{served.db}/view_orders"' in page
    for name in ("events", "refs", "docket_fold", "docket_snapshots", "docket_meta"):
        assert f'href="/{served.db}/{name}"' not in page, name
    status, page = served.get(served.db)
    assert status == 200 and f'href="/{served.db}/records"' in page
    assert "Compliance across disputes" in page and "10 hidden tables" in page
    for name in ("events", "refs", "docket_fold", "docket_view_heads"):
        assert f'href="/{served.db}/{name}"' not in page, name


def test_a_table_page_shows_the_descriptions(served):
    status, page = served.get(f"{served.db}/records")
    assert status == 200
    assert "Every event as recorded" in page
    assert "position in the whole log: 1, 2, 3, … without gaps" in page
    assert "one of confirmed, reported, single_source, disputed" in page


class _Cells(HTMLParser):
    """The rows of a Datasette results table: {column: text} from `td class="col-NAME"`."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, str]] = []
        self._col: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append({})
        classes = (dict(attrs).get("class") or "").split()
        cols = [c[4:] for c in classes if c.startswith("col-")]
        if tag == "td" and cols and self.rows:
            self._col = cols[0]
            self.rows[-1][self._col] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None

    def handle_data(self, data):
        if self._col is not None:
            self.rows[-1][self._col] += data


def test_the_compliance_page_renders_in_headless_chromium(served, tmp_path):
    _need("Chromium", os.path.exists(CHROMIUM), "apt-get install -y chromium")
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    try:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", "--dump-dom",
             f"{served.url}{served.db}/compliance"],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Compliance across disputes" in done.stdout
    rows = {r["order_id"].strip(): r for r in _Cells(done.stdout).rows if "order_id" in r}
    assert set(rows) == {"O-2021-01-31", "O-2021-02-04", "O-EX-1"}
    jan31 = {k: v.strip() for k, v in rows["O-2021-01-31"].items()}
    assert (jan31["status"], jan31["ever_blocked"], jan31["restored"], jan31["stream"]) == (
        "reverted", "258", "258", "twitter-india-2021")
    assert rows["O-EX-1"]["status"].strip() == "partial"


# -- live, read-only, stopping --------------------------------------------------------------
def test_appends_while_serving_show_on_the_next_page_and_nothing_can_write(tmp_path):
    _need_datasette()
    from conftest import run

    path = str(tmp_path / "live.db")
    make_log(path, run)
    server = Served(path)
    try:
        assert len(server.json("live/records.json", _shape="array", _size="max")) == 27
        code, _, err = run("append", "--db", path, "--type", "meeting_held", "--stream", SECOND,
                           "--occurred-at", "2022-03-06", "--id", "ex-meeting",
                           "--data", '{"participants": ["Ministry", "ExampleNet"]}')
        assert code == 0, err
        rows = server.json("live/records.json", _shape="array", _size="max")
        assert [r["id"] for r in rows[-1:]] == ["ex-meeting"] and len(rows) == 28
        recent = server.json("live/recent.json", _shape="array", since="")
        assert recent[0]["id"] == "ex-meeting"
        exported = _exported(path)
        for sql in ("DELETE FROM events", "UPDATE docket_meta SET value = 'x'",
                    "INSERT INTO refs VALUES ('a', 'b', 'c', 1)"):
            status, _ = server.get("live.json", sql=sql)
            assert status != 200, sql
        assert _exported(path) == exported
    finally:
        code, err = server.stop()
    assert code == 0, err
    code, out, _ = run("verify", "--db", path)
    assert code == 0 and out.startswith("OK: 28 events")


def test_ctrl_c_stops_it_with_exit_0_and_sigterm_stops_it_too(log_file):
    _need_datasette()
    server = Served(log_file)
    assert server.get("")[0] == 200
    code, err = server.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in err and "Error" not in err
    assert err.strip().splitlines() == [f"docket: serving {log_file} read-only; Ctrl-C stops"]
    server = Served(log_file)
    assert server.get("-/versions.json")[0] == 200
    code, err = server.stop(signal.SIGTERM)
    assert code in (0, -signal.SIGTERM) and "Traceback" not in err


def test_a_log_made_before_the_view_is_served_with_it(tmp_path):
    _need_datasette()
    from conftest import run

    path = str(tmp_path / "old.db")
    make_log(path, run)
    before = _exported(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP VIEW records")
    conn.close()
    server = Served(path)
    try:
        rows = server.json("old/records.json", _shape="array", _size="max")
    finally:
        assert server.stop()[0] == 0
    assert len(rows) == 27 and rows[1]["type"] == "order_issued"
    assert _exported(path) == before
    code, out, _ = run("verify", "--db", path)
    assert code == 0 and out.startswith("OK: 27 events")


# -- errors ------------------------------------------------------------------------------------
def _serve(*args, env=None) -> tuple[int, str, str]:
    proc = subprocess.run([str(DOCKET), "serve", *args], capture_output=True, text=True,
                          timeout=60, env=env or _env())
    return proc.returncode, proc.stdout, proc.stderr


def test_without_the_extra_one_error_line_names_the_install(tmp_path, log_file):
    # Datasette made unimportable, as in an environment without the extra.
    code = ("import sys; sys.modules['datasette'] = None; sys.argv = ['docket', 'serve', "
            f"'--db', {log_file!r}]; from docket.cli import main; main()")
    before = Path(log_file).read_bytes()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=_env())
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "Error: docket serve needs Datasette, which is not installed: " + INSTALL]
    assert Path(log_file).read_bytes() == before


def test_bad_input_is_one_error_line_and_the_log_unchanged(tmp_path, log_file):
    _need_datasette()
    before = Path(log_file).read_bytes()
    foreign = tmp_path / "other.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    foreign_bytes = foreign.read_bytes()
    odd = tmp_path / "a#b.db"
    shutil.copy(log_file, odd)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        cases = [
            (("--db", str(tmp_path / "missing.db")), 1, "Error: no database at"),
            (("--db", str(foreign)), 1, "Error: " + str(foreign) + " is a SQLite database but "
                                        "not a Docket log"),
            (("--db", "postgresql://u@localhost/x"), 1,
             "Error: --db: docket serve opens a SQLite log"),
            (("--db", str(odd)), 1, "Error: --db: Datasette cannot open a path holding ?, #"),
            (("--db", log_file, "--port", str(taken.getsockname()[1])), 1,
             f"Error: --port: cannot listen on 127.0.0.1 port {taken.getsockname()[1]} "
             "(Address already in use)"),
            (("--db", log_file, "--host", "192.0.2.1", "--port", "0"), 1,
             "Error: --host: cannot listen on 192.0.2.1"),
            (("--db", log_file, "--port", "70000"), 2, "Error: Invalid value for '--port'"),
        ]
        for args, want_code, start in cases:
            code, out, err = _serve(*args)
            assert (code, out) == (want_code, ""), (args, err)
            assert len(err.splitlines()) == 1 and err.startswith(start), (args, err)
    finally:
        taken.close()
    assert not (tmp_path / "missing.db").exists()
    assert foreign.read_bytes() == foreign_bytes
    assert Path(log_file).read_bytes() == before


def test_stale_stored_views_are_said_on_stderr(tmp_path):
    _need_datasette()
    from conftest import run

    path = str(tmp_path / "stale.db")
    make_log(path, run)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE docket_meta SET value = '1' WHERE key = 'projection'")
    conn.commit()
    conn.close()
    server = Served(path)
    code, err = server.stop()
    assert code == 0
    assert "written by projection version 1" in err and "Datasette shows them as they are" in err


# -- the metadata (no Datasette needed) ----------------------------------------------------
def test_the_metadata_describes_every_table_and_column(log_file):
    from docket.serve import HIDDEN_TABLES, metadata
    from docket.storage.schema import TABLES

    tables = metadata("log")["databases"]["log"]["tables"]
    for name, table in TABLES.items():  # every table schema.py describes …
        assert tables[name]["description"], name
        assert set(tables[name]["columns"]) == set(table.names), name
        assert all(tables[name]["columns"].values()), name
    conn = sqlite3.connect(f"file:{log_file}?mode=ro", uri=True)
    try:  # … and every table and view a log holds, each with all of its columns
        objects = [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        columns = {n: [c[1] for c in conn.execute(f"PRAGMA table_info({n})")] for n in objects}
    finally:
        conn.close()
    assert set(objects) == set(tables)
    for name, names in columns.items():
        described = tables[name]["columns"]
        assert list(described) == names, name  # in the table's order
        assert all(described.values()), name
    assert {n for n, t in tables.items() if t.get("hidden")} == set(HIDDEN_TABLES) == {
        "events", "refs", *(n for n in objects if n.startswith("docket_"))}
    queries = metadata("log")["databases"]["log"]["queries"]
    assert queries["stream_timeline"]["params"] == ["stream"]
    assert queries["recent"]["params"] == ["since"]
    assert all(q["title"] and q["description"] and q["sql"] for q in queries.values())
