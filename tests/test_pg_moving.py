"""Moving a log between backends (issue 15, section 6): `docket export` from PostgreSQL
imports into SQLite with identical bytes and hashes, and back; a checkpoint taken on one
verifies on the other, also after the log grew there."""

from __future__ import annotations

import json

from conftest import export_of, run

EXAMPLE = "events/twitter-india-2021.jsonl"
LATER = {"type": "statement_published", "stream": "twitter-india-2021", "id": "later",
         "occurred_at": "2021-03-01", "data": {"speaker": "S", "summary": "after the move"}}


def ok(*args, input=None) -> str:
    code, out, err = run(*args, input=input)
    assert code == 0, err
    return out


def test_export_from_postgresql_imports_into_sqlite_and_back(pg_schemas, tmp_path):
    pg, lite, back = pg_schemas.new(), str(tmp_path / "moved.db"), pg_schemas.new()
    ok("import", "--db", pg, EXAMPLE)
    dump = tmp_path / "from-pg.jsonl"
    ok("export", "--db", pg, "-o", dump)
    ok("import", "--db", lite, dump)
    assert export_of(lite) == export_of(pg) == dump.read_bytes()
    # and back, from SQLite into a new PostgreSQL log, after the log grew on SQLite
    ok("append", "--db", lite, "-", input=json.dumps(LATER))
    again = tmp_path / "from-sqlite.jsonl"
    ok("export", "--db", lite, "-o", again)
    ok("import", "--db", back, again)
    assert export_of(back) == export_of(lite) == again.read_bytes()
    hashes = [json.loads(line)["hash"] for line in again.read_bytes().splitlines()]
    assert hashes[:-1] == [json.loads(line)["hash"] for line in dump.read_bytes().splitlines()]
    for db in (pg, lite, back):
        assert ok("verify", "--db", db).startswith("OK: ")
    # the views agree too
    assert ok("compliance", "--db", back, "--json") == ok("compliance", "--db", lite, "--json")


def test_a_checkpoint_taken_on_one_backend_verifies_on_the_other(pg_schemas, tmp_path):
    pg, lite = pg_schemas.new(), str(tmp_path / "moved.db")
    ok("import", "--db", pg, EXAMPLE)
    ok("checkpoint", "--db", pg, "-o", tmp_path / "pg.json")
    dump = tmp_path / "dump.jsonl"
    ok("export", "--db", pg, "-o", dump)
    ok("import", "--db", lite, dump)
    ok("checkpoint", "--db", lite, "-o", tmp_path / "lite.json")
    assert (tmp_path / "pg.json").read_bytes() == (tmp_path / "lite.json").read_bytes()
    # Each log grows on its own side (the same event), and still extends the other's.
    for db in (pg, lite):
        ok("append", "--db", db, "-", input=json.dumps(LATER))
    for db, taken in ((lite, "pg.json"), (pg, "lite.json")):
        code, out, err = run("verify", "--db", db, "--checkpoint", tmp_path / taken)
        assert (code, err) == (0, ""), out
        assert out.startswith("OK: ")
    # A checkpoint of the grown PostgreSQL log does not verify against a SQLite log whose
    # last event differs (recorded at another time): the other side of the same check.
    ok("checkpoint", "--db", pg, "-o", tmp_path / "pg2.json")
    code, out, _ = run("verify", "--db", lite, "--checkpoint", tmp_path / "pg2.json")
    assert code == 1 and "FAILED" in out
