"""`docket verify`, `docket checkpoint` and `docket project` end to end: the installed command
in a subprocess, exact exit codes and output lines, on each backend (tampering goes through
each one's own SQL, the immutability triggers dropped first, as an operator could)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import msgspec
import pytest

from docket.codec import canonical
from docket.log import chain_hash
from docket.storage.postgres_ddl import REFUSE

DOCKET = Path(sys.executable).parent / "docket"
STREAM = "s1"
EVENTS = [
    {"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01", "id": "o1",
     "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
              "targets": ["@a", "@b"]},
     "sources": [{"title": "a source", "url": "https://example.org/a"}]},
    {"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-02", "id": "b1",
     "data": {"order_id": "O-1", "targets": ["@a"]},
     "sources": [{"title": "a source"}]},
    {"type": "notice_sent", "stream": STREAM, "occurred_at": "2021-02-03", "id": "n1",
     "data": {"notice_id": "N-1", "kind": "final", "issuer": "MeitY", "recipient": "Twitter",
              "order_ids": ["O-1"]}},
    {"type": "statement_published", "stream": STREAM, "occurred_at": "2021-02-04", "id": "s1",
     "data": {"speaker": "Twitter", "summary": "we comply"}},
]
N = len(EVENTS)


class Work(NamedTuple):
    """A test's folder (the commands' working directory), its log and the log's backend."""

    path: Path
    db: str
    kind: str


def docket(cwd, *args):
    cwd = cwd.path if isinstance(cwd, Work) else cwd
    return subprocess.run([str(DOCKET), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def work(tmp_path, backend, backend_kind):
    """The log of EVENTS on each backend: `d.db` in the test's folder, or a PostgreSQL
    schema."""
    db = "d.db" if backend_kind == "sqlite" else backend
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    done = docket(tmp_path, "import", "--db", db, "events.jsonl")
    assert done.returncode == 0, done.stderr
    return Work(tmp_path, db, backend_kind)


class Raw:
    """SQL on the log past Docket (sqlite3, or psycopg with `?` placeholders as `%s`)."""

    def __init__(self, work: Work) -> None:
        self.pg = work.kind == "postgres"
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(work.db, autocommit=True)
        else:
            self.conn = sqlite3.connect(work.path / work.db, isolation_level=None)

    def execute(self, sql: str, params=()):
        if self.pg:  # no parameters: SQL holding `%` (a function body) is sent as it is
            return self.conn.execute(sql.replace("?", "%s"), params) if params else \
                self.conn.execute(sql)
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


# The immutability triggers as each backend writes them, for a tamperer putting them back.
RESTORE_TRIGGERS = {
    "sqlite": ["CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
               "BEGIN SELECT RAISE(ABORT, 'no'); END",
               "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
               "BEGIN SELECT RAISE(ABORT, 'no'); END"],
    "postgres": ["CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH STATEMENT "
                 "EXECUTE FUNCTION docket_refuse('immutable')",
                 "CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH STATEMENT "
                 "EXECUTE FUNCTION docket_refuse('append-only')"],
}


def raw(work):
    """SQL on the log with the immutability triggers dropped (and so reported)."""
    conn = Raw(work)
    for name in ("events_no_update", "events_no_delete"):
        conn.execute(f"DROP TRIGGER {name}" + (" ON events" if conn.pg else ""))
    return conn


def test_clean_log(work):
    done = docket(work, "verify", "--db", work.db)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, f"OK: {N} events; chain, triggers and stored views verified\n", "")
    done = docket(work, "verify", "--db", work.db, "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"ok": True, "events": N, "problems": []}
    done = docket(work, "verify", "--db", work.db, "--no-views")
    assert done.stdout == f"OK: {N} events; chain and triggers verified\n"


def test_checkpoint_project_and_verify_them(work):
    done = docket(work, "checkpoint", "--db", work.db, "-o", "cp.json")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    printed = docket(work, "checkpoint", "--db", work.db)
    assert printed.stdout == (work.path / "cp.json").read_text()
    cp = json.loads(printed.stdout)
    assert sorted(cp) == ["fingerprint", "head", "root", "size", "version"]
    assert (cp["size"], cp["version"]) == (N, 1)

    done = docket(work, "project", "--db", work.db, "--out", "proj")
    assert (done.returncode, done.stdout) == (
        0, "wrote 7 files for 1 stream into proj (7 changed)\n")
    done = docket(work, "project", "--db", work.db, "--out", "proj", "--json")
    assert json.loads(done.stdout) == {
        "streams": 1, "changed": [],
        "files": ["index.html", "index.md", *(
            f"{STREAM}/{f}" for f in ("compliance.json", "report.html", "state.json",
                                      "summary.md", "timeline.json"))]}
    state = docket(work, "state", "--db", work.db, "--json")
    assert (work.path / "proj" / STREAM / "state.json").read_text() == state.stdout
    page = docket(work, "report", "--db", work.db, "--stream", STREAM, "-o", "-")
    assert (work.path / "proj" / STREAM / "report.html").read_text() == page.stdout

    done = docket(work, "verify", "--db", work.db, "--checkpoint", "cp.json",
                  "--projections", "proj")
    assert (done.returncode, done.stdout) == (
        0, (f"OK: {N} events; chain, triggers, stored views, checkpoint cp.json and "
           "projections proj verified\n"))


def test_changed_byte_is_reported_at_its_seq(work):
    conn = raw(work)
    prev, = conn.execute("SELECT hash FROM events WHERE seq = 1").fetchone()
    body, stored = conn.execute("SELECT body, hash FROM events WHERE seq = 2").fetchone()
    body = body.replace(b"a source", b"a sourcf")
    conn.execute("UPDATE events SET body = ? WHERE seq = 2", (body,))
    conn.close()
    recomputed = hashlib.sha256(bytes.fromhex(prev) + body).hexdigest()
    done = docket(work, "verify", "--db", work.db)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "trigger events_no_update: missing: nothing refuses UPDATE on `events`",
        "trigger events_no_delete: missing: nothing refuses DELETE on `events`",
        (f"seq 2: hash does not match the stored bytes (stored {stored[:16]}…; the bytes and "
         f"the previous hash give {recomputed[:16]}…)"),
        f"FAILED: 3 problems in {N} events",
    ]
    assert done.stderr == ""
    report = json.loads(docket(work, "verify", "--db", work.db, "--json").stdout)
    assert report["ok"] is False and report["events"] == N
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [
        ("trigger", None), ("trigger", None), ("chain", 2)]


def test_rewrite_with_recomputed_hashes_fails_the_checkpoint(work):
    assert docket(work, "checkpoint", "--db", work.db, "-o", "cp.json").returncode == 0
    conn = raw(work)
    prev = conn.execute("SELECT hash FROM events WHERE seq = 1").fetchone()[0]
    for seq, body in conn.execute("SELECT seq, body FROM events WHERE seq >= 2").fetchall():
        record = msgspec.json.decode(body)
        if seq == 2:
            record["sources"][0]["title"] = "a kinder source"
        record["prev_hash"] = prev
        body = canonical(record)
        prev = chain_hash(prev, body)
        conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = ?", (body, prev, seq))
    for sql in RESTORE_TRIGGERS[work.kind]:
        conn.execute(sql)
    conn.close()
    assert docket(work, "verify", "--db", work.db).returncode == 0  # consistent again...
    cp = json.loads((work.path / "cp.json").read_text())
    done = docket(work, "verify", "--db", work.db, "--checkpoint", "cp.json")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        (f"cp.json: seq {N}: the hash at seq {N} is {prev[:16]}…, the checkpoint's head is "
        f"{cp['head'][:16]}…"),
        (f"cp.json: the log does not extend the checkpoint: the consistency proof from size {N} "
        f"to {N} fails against the checkpoint's root, so an event at or before seq {N} was "
        "changed since it was taken"),
        f"FAILED: 2 problems in {N} events",
    ]


def test_edited_view_row_and_projection_file(work):
    assert docket(work, "project", "--db", work.db, "--out", "proj").returncode == 0
    path = work.path / "proj" / STREAM / "compliance.json"
    path.write_text(path.read_text().replace('"blocked": 1', '"blocked": 2'))
    conn = Raw(work)
    conn.execute("UPDATE view_accounts SET status = 'active' WHERE target = '@a'")
    conn.close()
    done = docket(work, "verify", "--db", work.db, "--projections", "proj")
    assert done.returncode == 1
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if '"blocked"' in text)
    assert done.stdout.splitlines() == [
        ('view_accounts [stream=s1, target=@a]: status is "active" in the table, "blocked" in a '
        "fresh replay"),
        (f"proj/{STREAM}/compliance.json: differs from a fresh replay (from line {line}; "
        "`docket project` rewrites it)"),
        f"FAILED: 2 problems in {N} events",
    ]


def test_edited_report_page_is_reported(work):
    assert docket(work, "project", "--db", work.db, "--out", "proj").returncode == 0
    page = work.path / "proj" / STREAM / "report.html"
    text = page.read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "we comply" in t)
    page.write_text(text.replace("we comply", "we never complied"))
    done = docket(work, "verify", "--db", work.db, "--projections", "proj")
    assert (done.returncode, done.stdout.splitlines()) == (1, [
        (f"proj/{STREAM}/report.html: differs from a fresh replay (from line {line}; "
         "`docket project` rewrites it)"),
        f"FAILED: 1 problem in {N} events",
    ])
    done = docket(work, "project", "--db", work.db, "--out", "proj")
    assert done.stdout == "wrote 7 files for 1 stream into proj (1 changed)\n"
    assert docket(work, "verify", "--db", work.db, "--projections", "proj").returncode == 0


def test_usage_and_missing_files(work):
    done = docket(work, "verify", "--db", work.db, "--checkpoint", "nope.json")
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = docket(work, "verify", "--db", "missing.db")
    assert (done.returncode, done.stderr) == (
        1, "Error: no database at missing.db (append or import first)\n")
    (work.path / "bad.json").write_text("{}")
    done = docket(work, "verify", "--db", work.db, "--checkpoint", "bad.json", "--no-views")
    assert (done.returncode, done.stdout) == (
        1, ("bad.json: not a Docket checkpoint: field `version`: missing (a checkpoint has "
            "size, root, head, fingerprint and version)\n"
           f"FAILED: 1 problem in {N} events\n"))
    done = docket(work, "project", "--db", work.db)
    assert done.returncode == 2 and "--out" in done.stderr


@pytest.mark.parametrize("command", ["verify", "checkpoint", "project"])
def test_help(command):
    done = subprocess.run([str(DOCKET), command, "--help"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    assert "Example" in done.stdout and "--db" in done.stdout



# Ways an operator can leave a trigger in place, with its words, that refuses nothing: the
# SQL that does it, the SQL that puts it back as Docket wrote it, and how many triggers it
# hollows (PostgreSQL's nine share one function).
HOLLOW_TRIGGERS = {
    "sqlite": [
        (["DROP TRIGGER events_no_update",
          "CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN 0 "
          "BEGIN SELECT RAISE(ABORT, 'docket: events are immutable'); END"],  # never true
         ["DROP TRIGGER events_no_update",
          "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
          "BEGIN SELECT RAISE(ABORT, 'docket: events are immutable'); END"], 1),
    ],
    "postgres": [
        (["ALTER TABLE events ENABLE REPLICA TRIGGER events_no_update"],  # replicas only
         ["ALTER TABLE events ENABLE TRIGGER events_no_update"], 1),
        (["CREATE OR REPLACE FUNCTION docket_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
          "BEGIN IF current_user = 'nobody' THEN RAISE EXCEPTION 'docket: % are %', "
          "TG_TABLE_NAME, TG_ARGV[0]; END IF; RETURN NULL; END $$"],  # raises for another
         [REFUSE], 9),
    ],
}


def test_a_trigger_that_keeps_its_words_and_refuses_nothing_is_reported(work):
    for tamper, restore, hollowed in HOLLOW_TRIGGERS[work.kind]:
        conn = Raw(work)
        for sql in tamper:
            conn.execute(sql)
        # The trigger lets an UPDATE through now (the type is rewritten to itself).
        conn.execute("UPDATE events SET type = type WHERE seq = 1")
        conn.close()
        done = docket(work, "verify", "--db", work.db)
        assert done.returncode == 1, (tamper, done.stdout)
        found = [line for line in done.stdout.splitlines() if "events_no_update" in line]
        assert len(found) == 1 and "UPDATE on `events`" in found[0], done.stdout
        assert done.stdout.splitlines()[-1] == (
            f"FAILED: {hollowed} problem{'s' if hollowed > 1 else ''} in {N} events"), done.stdout
        conn = Raw(work)
        for sql in restore:
            conn.execute(sql)
        conn.close()
        assert docket(work, "verify", "--db", work.db).returncode == 0, tamper  # as written
