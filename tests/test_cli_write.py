"""End to end: the installed `docket` append/import/export/types in a subprocess against a
temporary SQLite file (SPEC §2, §6, §7), with exact output lines and exit codes.

Expected hashes are recomputed here from the input (SPEC §7) with hashlib, not read back from
docket; only `recorded_at` (set by the log) is taken from the export.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest
from conftest import export_of, file_bytes, invoke, run
from hypothesis import HealthCheck, given, settings
from strategies import (
    OPTIONAL,
    REQUIRED,
    ZERO_HASH,
    canonical_json,
    check_chain,
    event_stream,
    to_jsonl,
)

from docket import EventLog

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "events" / "twitter-india-2021.jsonl"
S = "twitter-india-2021"
RECORDED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")

ORDER = {"type": "order_issued", "stream": S, "occurred_at": "2021-02-04", "actor": "MeitY",
         "id": "order-2",
         "data": {"order_id": "O-2", "issuer": "MeitY", "platform": "Twitter",
                  "targets": ["@a", "#b", "https://twitter.com/c/status/1"],
                  "legal_basis": "IT Act s.69A", "procedure": "emergency"},
         "sources": [{"title": "Gazette", "url": "https://example.org/o2",
                      "published": "2021-02-08", "quote": "“block”"}],
         "confidence": "confirmed"}
BLOCK = {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-05T10:00:00+05:30",
         "id": "block-1", "data": {"order_id": "O-2", "targets": ["@a"], "scope": "IN"}}
STATEMENT = {"type": "statement_published", "stream": S, "occurred_at": "2021-02-10",
             "data": {"speaker": "Twitter", "summary": "Some accounts were withheld.\n"
                                                       "Ünïcödé \u0001 kept."}}


def expected_record(event: dict, *, seq: int, version: int, recorded_at: str, prev: str,
                    ident: str | None = None, stream: str | None = None) -> dict:
    """The record SPEC §2/§7 says the log stores for an input event (defaults filled in)."""
    return {
        "type": event["type"], "stream": stream or event["stream"],
        "occurred_at": event["occurred_at"], "actor": event.get("actor"),
        "data": event["data"], "sources": event.get("sources", []),
        "confidence": event.get("confidence", "reported"), "id": ident or event["id"],
        "seq": seq, "version": version, "recorded_at": recorded_at, "schema_version": 1,
        "prev_hash": prev,
    }


def spec_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(bytes.fromhex(body["prev_hash"]) + canonical_json(body)).hexdigest()


def receipt(seq, ident, stream, version, digest, duplicate) -> str:
    """A receipt line exactly as SPEC §6 prints it: fields in this order, compact JSON."""
    return json.dumps({"seq": seq, "id": ident, "stream": stream, "version": version,
                       "hash": digest, "duplicate": duplicate},
                      separators=(",", ":"), ensure_ascii=False)


def export_lines(db) -> list[bytes]:
    """The exported lines of the log at `db` (read in-process; `docket export` itself is
    tested against it in test_import_prints_a_summary_and_export_o_writes_the_log)."""
    return export_of(db).splitlines()


def one_error_line(err: str) -> str:
    assert err.startswith("Error: ") and err.endswith("\n"), err
    assert "\n" not in err[:-1] and "Traceback" not in err, err
    return err[:-1]


# -- append ----------------------------------------------------------------------------------

def test_append_file_prints_exact_receipts_and_stores_the_events(run_docket, backend, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(to_jsonl([ORDER, BLOCK, STATEMENT]))
    code, out, err = run_docket("append", "--db", backend, path)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 3
    generated = json.loads(lines[2])["id"]
    assert uuid.UUID(generated)  # an id is generated when absent (a UUID)

    records = check_chain(export_lines(backend))
    prev = ZERO_HASH
    expected_lines = []
    for n, (event, record) in enumerate(zip([ORDER, BLOCK, STATEMENT], records), 1):
        assert RECORDED_AT.match(record["recorded_at"])
        want = expected_record(event, seq=n, version=n, recorded_at=record["recorded_at"],
                               prev=prev, ident=event.get("id", generated))
        assert {k: v for k, v in record.items() if k != "hash"} == want
        digest = spec_hash(want)
        expected_lines.append(receipt(n, want["id"], S, n, digest, False))
        prev = digest
    assert out == "\n".join(expected_lines) + "\n"


def test_append_from_stdin_dash(run_docket, db_path):
    code, out, err = run_docket("append", "--db", db_path, "-", input=to_jsonl([ORDER, BLOCK]))
    assert (code, err) == (0, "")
    records = check_chain(export_lines(db_path))
    assert out == "".join(receipt(r["seq"], r["id"], S, r["version"], r["hash"], False) + "\n"
                          for r in records)
    assert [r["id"] for r in records] == ["order-2", "block-1"]
    assert records[1]["data"] == BLOCK["data"]
    # day precision is kept as given; a time keeps its offset
    assert records[0]["occurred_at"] == "2021-02-04"
    assert records[1]["occurred_at"] == "2021-02-05T10:00:00+05:30"


def test_append_one_event_from_options(run_docket, db_path):
    data = {"by": "Twitter", "addressee": "MeitY", "subject": "dialogue"}
    code, out, err = run_docket(
        "append", "--db", db_path, "--type", "dialogue_requested", "--stream", S,
        "--occurred-at", "2021-02-08T09:15:00Z", "--data", json.dumps(data),
        "--actor", "Twitter", "--id", "dlg-1", "--confidence", "single_source",
        "--expected-version", "0")
    assert (code, err) == (0, "")
    (record,) = check_chain(export_lines(db_path))
    want = expected_record({"type": "dialogue_requested", "stream": S,
                            "occurred_at": "2021-02-08T09:15:00Z", "actor": "Twitter",
                            "data": data, "confidence": "single_source", "id": "dlg-1"},
                           seq=1, version=1, recorded_at=record["recorded_at"], prev=ZERO_HASH)
    assert {k: v for k, v in record.items() if k != "hash"} == want
    assert out == receipt(1, "dlg-1", S, 1, spec_hash(want), False) + "\n"


@pytest.mark.parametrize("option,value", [("--id", "dlg-1"), ("--occurred-at", "1999-01-01"),
                                          ("--actor", "Someone"), ("--confidence", "disputed"),
                                          ("--data", "{}")])
def test_an_option_for_one_event_with_a_file_is_refused(run_docket, db_path, tmp_path, option,
                                                        value):
    """A script writer's review: `append --id myid FILE` appended FILE's event with a new id
    at each retry (the option was dropped without a word), as were --occurred-at, --actor
    and --confidence. Each is a usage error naming it; the log is unchanged."""
    path = tmp_path / "one.jsonl"
    path.write_bytes(to_jsonl([ORDER]))
    for source in (["-"], [str(path)]):
        before = file_bytes(db_path)
        code, out, err = run_docket("append", "--db", db_path, option, value, *source,
                                    input=to_jsonl([ORDER]))
        assert code == 2 and out == "", err
        assert one_error_line(err).startswith(
            f"Error: {option} goes with --type (a FILE's events carry their own fields"), err
        assert file_bytes(db_path) == before  # no log made, nothing appended
    code, _, err = run_docket("append", "--db", db_path, "--id", "a", "--actor", "b", str(path))
    assert code == 2 and "--actor, --id go with --type" in err


def test_three_errors_in_the_users_words(run_docket, db_path, tmp_path):
    """A script writer's review: "expected an target", "'r' is a event_retracted" and
    "expected_version needs a batch of one stream" (the library's name, not the flag)."""
    def error(*args, input=None) -> str:
        before = file_bytes(db_path)
        code, out, err = run_docket("append", "--db", db_path, *args, input=input)
        assert code == 1 and out == "" and file_bytes(db_path) == before, err
        return one_error_line(err)

    code, _, err = run_docket("append", "--db", db_path, "-", input=to_jsonl([ORDER]))
    assert code == 0, err
    assert "field `data.targets[0]`: expected a target (1 to 2048 characters), got the " \
        "whole number 5" in error("--type", "accounts_blocked", "--stream", S,
                                  "--occurred-at", "2021-02-05", "--data", '{"targets": [5]}')
    two = to_jsonl([STATEMENT, {**STATEMENT, "stream": "other"}])
    assert error("--expected-version", "1", "-", input=two) == \
        "Error: --expected-version needs a batch of one stream"
    retraction = {"type": "event_retracted", "stream": S, "occurred_at": "2021-02-06",
                  "id": "r-1", "data": {"target_id": ORDER["id"], "reason": "never issued"}}
    code, _, err = run_docket("append", "--db", db_path, "-", input=to_jsonl([retraction]))
    assert code == 0, err
    again = {**retraction, "id": "r-2", "data": {"target_id": "r-1", "reason": "twice"}}
    assert error("-", input=to_jsonl([again])).endswith(
        "field `data.target_id`: 'r-1' is itself an amendment (event_retracted); amend the "
        "original event instead")


@pytest.mark.parametrize("args", [
    ["--type", "no_such_type", "--stream", S, "--occurred-at", "2021-01-01", "--data", "{}"],
    ["--type", "dialogue_requested", "--stream", S, "--occurred-at", "2021-13-01",
     "--data", '{"by": "a", "addressee": "b"}'],
    ["FILE"],  # a file whose second line is no event
], ids=["unknown type", "impossible date", "a bad line"])
def test_bad_input_to_a_new_path_makes_no_log(run_docket, tmp_path, args):
    """Bad input was refused, but a first append to a path that did not exist left an empty
    log there (one of the script writer's stray files); it is now validated first."""
    path = tmp_path / "bad.jsonl"
    path.write_bytes(to_jsonl([ORDER]) + b'{"stream": "s"}\n')
    db = tmp_path / "new" / "docket.db"
    db.parent.mkdir()
    code, out, err = run_docket("append", "--db", db,
                                *[str(path) if a == "FILE" else a for a in args])
    assert code == 1 and out == "" and one_error_line(err), err
    assert list(db.parent.iterdir()) == []


def test_stream_option_fills_events_that_name_none(run_docket, db_path, tmp_path):
    own = {**STATEMENT, "stream": "elsewhere"}
    unnamed = {k: v for k, v in STATEMENT.items() if k != "stream"}
    path = tmp_path / "in.jsonl"
    path.write_bytes(to_jsonl([unnamed, own]))
    code, out, err = run_docket("append", "--db", db_path, "--stream", "given-stream", path)
    assert (code, err) == (0, "")
    assert [json.loads(line)["stream"] for line in out.splitlines()] == ["given-stream",
                                                                         "elsewhere"]
    assert [json.loads(line)["version"] for line in out.splitlines()] == [1, 1]


def test_duplicates_are_reported_with_the_original_seq_and_hash(run_docket, backend, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(to_jsonl([ORDER, BLOCK]))
    code, first, _ = run_docket("append", "--db", backend, path)
    assert code == 0
    before = file_bytes(backend)
    code, again, err = run_docket("append", "--db", backend, path)
    assert (code, err) == (0, "")
    assert again == first.replace('"duplicate":false', '"duplicate":true')
    assert file_bytes(backend) == before  # a duplicate writes nothing

    # The same content spelled differently (key order, defaults written out, spacing) is
    # the same event; a new event in the same batch gets the next seq.
    respelled = json.dumps({"data": BLOCK["data"], "id": "block-1", "confidence": "reported",
                            "actor": None, "sources": [], "occurred_at": BLOCK["occurred_at"],
                            "stream": S, "type": "accounts_blocked"}, indent=1)
    new = {**STATEMENT, "id": "stmt-1"}
    path.write_bytes(respelled.replace("\n", " ").encode() + b"\n" + to_jsonl([new]))
    code, out, err = run_docket("append", "--db", backend, path)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == first.splitlines()[1].replace('"duplicate":false', '"duplicate":true')
    third = json.loads(lines[1])
    assert (third["seq"], third["version"], third["duplicate"]) == (3, 3, False)
    check_chain(export_lines(backend))


def test_id_reused_with_other_content_is_an_error(run_docket, backend):
    api_log(backend, [ORDER])
    before = file_bytes(backend)
    changed = {**ORDER, "occurred_at": "2021-02-05"}
    code, out, err = run_docket("append", "--db", backend, "-", input=to_jsonl([changed]))
    message = one_error_line(err)
    assert code == 1 and out == ""
    assert "line 1" in message and "'order-2'" in message and "`id`" in message
    # which event holds the id, and what differs (a script writer's review: "other
    # content" did not say, nor that the stream was what differed)
    assert message.endswith("field `id`: already used by event #1, which differs in "
                            "`occurred_at`"), message
    elsewhere = {**ORDER, "stream": "other", "actor": "Someone"}
    code, _, err = run_docket("append", "--db", backend, "-", input=to_jsonl([elsewhere]))
    assert code == 1 and one_error_line(err).endswith("which differs in `stream`, `actor`"), err
    assert file_bytes(backend) == before


def test_expected_version_conflict_exits_3_and_writes_nothing(run_docket, backend):
    code, out, _ = run_docket("append", "--db", backend, "--expected-version", "0", "-",
                              input=to_jsonl([ORDER, BLOCK]))
    assert code == 0 and [json.loads(x)["version"] for x in out.splitlines()] == [1, 2]
    before = file_bytes(backend)
    for wrong in ("1", "3"):
        code, out, err = run_docket("append", "--db", backend, "--expected-version", wrong,
                                    "-", input=to_jsonl([STATEMENT]))
        message = one_error_line(err)
        assert code == 3 and out == ""
        assert "2" in message and wrong in message  # the current and the expected version
        assert file_bytes(backend) == before
    code, out, err = run_docket("append", "--db", backend, "--expected-version", "2", "-",
                                input=to_jsonl([STATEMENT]))
    assert code == 0 and json.loads(out)["version"] == 3


def test_expected_version_zero_on_a_new_stream_from_options(run_docket, db_path):
    args = ("append", "--db", db_path, "--type", "dialogue_requested", "--stream", "new-one",
            "--occurred-at", "2021-02-08", "--data", '{"by": "T", "addressee": "M"}',
            "--expected-version", "0")
    code, out, err = run_docket(*args)
    assert code == 0 and json.loads(out)["version"] == 1
    before = Path(db_path).read_bytes()
    code, out, err = run_docket(*args)
    one_error_line(err)
    assert code == 3 and out == ""
    assert Path(db_path).read_bytes() == before


def test_per_event_expected_version_in_the_json(run_docket, backend):
    events = [{**ORDER, "expected_version": 0}, {**BLOCK, "expected_version": 1},
              {**STATEMENT, "expected_version": 2}]
    code, out, err = run_docket("append", "--db", backend, "-", input=to_jsonl(events))
    assert (code, err) == (0, "")
    assert [json.loads(x)["version"] for x in out.splitlines()] == [1, 2, 3]
    records = check_chain(export_lines(backend))
    assert all("expected_version" not in r for r in records)  # a condition, not content
    before = file_bytes(backend)
    late = [{**STATEMENT, "id": "s-ok", "expected_version": 3},
            {**STATEMENT, "id": "s-late", "expected_version": 3}]
    code, out, err = run_docket("append", "--db", backend, "-", input=to_jsonl(late))
    message = one_error_line(err)
    assert code == 3 and out == "" and "line 2" in message and "'s-late'" in message
    assert file_bytes(backend) == before


# -- import / export -------------------------------------------------------------------------

def test_import_prints_a_summary_and_export_o_writes_the_log(run_docket, db_path, tmp_path):
    code, out, err = run_docket("import", "--db", db_path, EXAMPLE)
    n = sum(1 for line in EXAMPLE.read_text().splitlines() if line.strip())
    assert code == 0
    assert err == ""  # no progress bar when stderr is not a terminal
    assert out == f"imported {n} events (0 duplicates) into {db_path}; last seq {n}\n"

    code, out, err = run_docket("import", "--db", db_path, "--json", EXAMPLE)
    assert code == 0 and json.loads(out) == {"imported": 0, "duplicates": n, "last_seq": n,
                                             "db": db_path}

    target = tmp_path / "backup.jsonl"
    code, out, err = run_docket("export", "--db", db_path, "-o", target)
    assert (code, out, err) == (0, "", "")
    # the log, its record of the check before the import (README), and the export
    assert sorted(os.listdir(tmp_path)) == ["backup.jsonl", "docket.db", "docket.db-checked"]
    lines = target.read_bytes().splitlines(keepends=True)
    assert all(line.endswith(b"\n") for line in lines)
    code, out, err = run_docket("export", "--db", db_path)
    assert (code, err) == (0, "")
    assert out.encode() == target.read_bytes() == export_of(db_path)
    records = check_chain(lines)
    assert len(records) == n
    assert all(RECORDED_AT.match(r["recorded_at"]) for r in records)
    # every input event is there, as given
    for event, record in zip((json.loads(x) for x in EXAMPLE.read_text().splitlines()
                              if x.strip()), records):
        for key in ("type", "stream", "occurred_at", "data", "id"):
            assert record[key] == event[key]


def test_import_says_the_logs_last_seq_whatever_the_file_held(run_docket, db_path, tmp_path):
    """The summary's last seq is the log's, also for a file of duplicates or an empty one
    (it said the last line's seq: 1 for a re-sent first line, 0 for an empty file)."""
    assert run_docket("import", "--db", db_path, EXAMPLE)[0] == 0
    n = sum(1 for line in EXAMPLE.read_text().splitlines() if line.strip())
    first, empty = tmp_path / "first.jsonl", tmp_path / "empty.jsonl"
    first.write_text(EXAMPLE.read_text().splitlines()[0] + "\n")
    empty.write_text("")
    for path, duplicates in ((first, 1), (empty, 0)):
        code, out, err = run_docket("import", "--db", db_path, "--json", path)
        assert (code, err) == (0, "")
        assert json.loads(out) == {"imported": 0, "duplicates": duplicates, "last_seq": n,
                                   "db": db_path}


@pytest.mark.parametrize("how", ["flags", "file", "stdin", "import", "missing file"])
def test_a_failed_write_on_a_new_path_leaves_an_empty_log_that_says_so(run_docket, tmp_path,
                                                                       how):
    """A mistyped --db with bad input: exit 1, one Error line. `append` validates its input
    before it opens the log, so an invalid event leaves no file; `import` opens the log
    first and leaves an empty one (the file is made when the log is opened, and is kept:
    removing it again lost another process's events when that process had opened it
    meanwhile), whose reads say it holds no events yet (they said "give --stream")."""
    db = tmp_path / "typo.db"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "meeting_held", "stream": "s", "occurred_at": "2021-02-30", '
                   '"data": {"participants": ["a"]}}\n')
    args = {"flags": ("append", "--type", "meeting_held", "--stream", "s", "--occurred-at",
                      "2021-02-30", "--data", '{"participants": ["a"]}'),
            "file": ("append", bad), "stdin": ("append", "-"), "import": ("import", bad),
            "missing file": ("import", tmp_path / "nowhere.jsonl")}[how]
    code, out, err = run_docket(*args, "--db", db, input=bad.read_bytes())
    assert (code, out) == (1, "") and err.startswith("Error: ") and err.count("\n") == 1
    if args[0] == "append":
        assert not db.exists()
        return
    assert export_of(db) == b""
    for read in (("state",), ("why", "O-1"),
                 ("diff", "--from", "2021-01-01", "--to", "2021-02-01")):
        code, out, err = run_docket(*read, "--db", db)
        assert (code, out) == (1, "")
        assert err == "Error: the log holds no events yet (append or import first)\n", read


def test_a_failed_write_keeps_a_log_that_was_there(run_docket, tmp_path):
    """An empty log made before the command: a failed write leaves it as it was."""
    db = tmp_path / "empty.db"
    EventLog(str(db)).close()
    before = sorted(os.listdir(tmp_path))
    code, _, _ = run_docket("append", "--db", db, "--type", "meeting_held", "--stream", "s",
                            "--occurred-at", "2021-02-30", "--data", '{"participants": ["a"]}')
    assert code == 1 and sorted(os.listdir(tmp_path)) == before
    # and a read of the empty log says so, naming nothing it cannot fix
    code, out, err = run_docket("state", "--db", db)
    assert (code, out) == (1, "")
    assert err == "Error: the log holds no events yet (append or import first)\n"


def test_export_import_into_an_empty_log_is_byte_identical(run_docket, tmp_path,
                                                           backend_factory):
    first, second = backend_factory(), backend_factory()
    assert run_docket("import", "--db", first, EXAMPLE)[0] == 0
    dump = tmp_path / "dump.jsonl"
    assert run_docket("export", "--db", first, "-o", dump)[0] == 0
    code, out, err = run_docket("import", "--db", second, dump)
    assert code == 0, err
    assert export_of(second) == dump.read_bytes()
    # importing the same export again: every record is a duplicate, nothing changes
    before = file_bytes(second)
    code, out, err = run_docket("import", "--db", second, "--json", dump)
    assert code == 0 and json.loads(out)["imported"] == 0
    assert file_bytes(second) == before


def api_log(path, events) -> bytes:
    """Set up a log through the Python API (faster than the command); return its export."""
    log = EventLog(str(path))
    log.append(events)
    log.close()
    return export_of(path)


def test_import_refuses_an_export_that_does_not_follow_the_log(run_docket, tmp_path,
                                                               backend_factory):
    a, b = backend_factory(), backend_factory()
    dump = tmp_path / "a.jsonl"
    dump.write_bytes(api_log(a, [ORDER]))
    api_log(b, [{**STATEMENT, "stream": "unrelated", "id": "u"}])
    before = file_bytes(b)
    code, out, err = run_docket("import", "--db", b, dump)
    message = one_error_line(err)
    assert code == 1 and "line 1" in message and "seq" in message
    assert "the records before it are imported first, in their order" in message
    assert file_bytes(b) == before


def test_one_streams_export_imports_into_a_new_log_only_as_its_first_records(
        run_docket, tmp_path):
    """`export --stream S` writes S's records with their places in the whole log's chain
    (its --help says so): the stream whose records come first imports into a new log
    byte for byte; a later one is refused whole, naming the seq it does not follow."""
    source = tmp_path / "two.db"
    api_log(source, [{**STATEMENT, "stream": "first", "id": "f1"},
                     {**STATEMENT, "stream": "first", "id": "f2"},
                     {**STATEMENT, "stream": "later", "id": "l1"}])
    for stream, imports in (("first", True), ("later", False)):
        dump = tmp_path / f"{stream}.jsonl"
        assert run_docket("export", "--db", source, "--stream", stream, "-o", dump)[0] == 0
        target = tmp_path / f"new-{stream}.db"
        code, out, err = run_docket("import", "--db", target, dump)
        if imports:
            assert (code, err) == (0, ""), err
            assert export_of(target) == dump.read_bytes()
        else:
            message = one_error_line(err)
            assert code == 1 and "line 1" in message and "field `seq`: 3" in message
            assert export_of(target) == b""


def test_import_refuses_a_tampered_record(run_docket, tmp_path):
    lines = api_log(tmp_path / "a.db", [ORDER, BLOCK]).splitlines()
    record = json.loads(lines[1])
    record["data"]["targets"] = ["@someone-else"]  # content changed, hash left as it was
    dump = tmp_path / "t.jsonl"
    dump.write_bytes(lines[0] + b"\n" + canonical_json(record) + b"\n")
    code, out, err = run_docket("import", "--db", tmp_path / "b.db", dump)
    message = one_error_line(err)
    assert code == 1 and "line 2" in message and "hash" in message
    assert export_of(tmp_path / "b.db") == b""


def test_import_accepts_input_events_whose_text_says_hash(run_docket, db_path, tmp_path):
    """An input event (not a record) whose strings are "hash" and "prev_hash" is still an
    input event: import must append it like `append` does."""
    event = {"type": "statement_published", "stream": S, "occurred_at": "2021-02-10",
             "id": "words", "data": {"speaker": "hash", "summary": "prev_hash"}}
    path = tmp_path / "in.jsonl"
    path.write_bytes(to_jsonl([event]))
    code, out, err = run_docket("import", "--db", db_path, path)
    assert (code, err) == (0, ""), err
    (record,) = check_chain(export_lines(db_path))
    assert record["data"] == event["data"]


def test_hypothesis_streams_round_trip_through_the_cli(tmp_path):
    """Any valid events: append FILE → export -o → import into an empty log → export gives the
    same bytes, hashes included (CLI in-process, many examples)."""

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(events=event_stream(max_size=8))
    def check(events):
        with tempfile.TemporaryDirectory() as folder:
            f = Path(folder)
            (f / "in.jsonl").write_bytes(to_jsonl(events))
            code, out, err = invoke("append", "--db", f / "a.db", f / "in.jsonl")
            assert code == 0, err
            # split on "\n" only: str.splitlines also breaks at U+0085, which is JSON text
            assert len(out.rstrip("\n").split("\n")) == len(events)
            assert invoke("export", "--db", f / "a.db", "-o", f / "a.jsonl")[0] == 0
            code, _, err = invoke("import", "--db", f / "b.db", f / "a.jsonl")
            assert code == 0, err
            assert invoke("export", "--db", f / "b.db", "-o", f / "b.jsonl")[0] == 0
            dump = (f / "a.jsonl").read_bytes()
            assert (f / "b.jsonl").read_bytes() == dump
            records = check_chain(dump.splitlines())
            for event, record in zip(events, records):
                ident = event.get("id", record["id"])
                want = expected_record(event, seq=record["seq"], version=record["version"],
                                       recorded_at=record["recorded_at"],
                                       prev=record["prev_hash"], ident=ident)
                assert {k: v for k, v in record.items() if k != "hash"} == want

    check()


# -- types -----------------------------------------------------------------------------------

def test_types_lists_the_catalogue_of_spec_3(run_docket):
    """Each type on a line with its meaning, its data fields (`?` = optional) on the next."""
    code, out, err = run_docket("types")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2 * len(REQUIRED) + 2 and lines[-2] == ""
    seen = {}
    for line, fields in zip(lines[0:-2:2], lines[1:-2:2]):
        tag, meaning = line.split(None, 1)
        assert meaning.endswith(".") and len(meaning) > 15, line
        assert fields.split(None, 1)[0] == "data:"
        seen[tag] = set(fields.split(None, 1)[1].split(", "))
    assert seen == {tag: REQUIRED[tag] | {f + "?" for f in OPTIONAL[tag]} for tag in REQUIRED}
    assert lines[-1].startswith("`docket types TYPE`")


def test_types_json_is_the_schema_of_an_event_with_one_schema_per_type(run_docket):
    code, out, err = run_docket("types", "--json")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "event"
    assert schema["oneOf"] == [{"$ref": f"#/$defs/{tag}"} for tag in REQUIRED]
    for tag in REQUIRED:
        event = schema["$defs"][tag]
        assert event["title"] == tag and event["additionalProperties"] is False
        assert set(event["required"]) == {"type", "occurred_at", "data"}
        assert event["properties"]["type"]["const"] == tag
        assert set(event["properties"]) == {"type", "stream", "occurred_at", "actor", "data",
                                            "sources", "confidence", "id", "expected_version"}
        data = schema["$defs"][event["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        assert data["additionalProperties"] is False
        assert set(data["properties"]) == REQUIRED[tag] | OPTIONAL[tag]
        assert set(data.get("required", [])) == REQUIRED[tag]
    code, out, err = run_docket("types", "penalty_paid", "--json")
    assert (code, err) == (0, "")
    one = json.loads(out)
    assert one["title"] == "penalty_paid" and set(one["$defs"]) == {"source", "penalty_paid.data"}


def test_types_of_an_unknown_type_is_a_usage_error_listing_the_types(run_docket):
    code, out, err = run_docket("types", "order_issue")
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and len(err.splitlines()) == 1
    assert "'order_issue' is not an event type" in err
    assert all(tag in err for tag in REQUIRED)


# -- which database --------------------------------------------------------------------------

def test_db_option_env_and_default(run_docket, tmp_path):
    event = to_jsonl([STATEMENT])
    env_db = tmp_path / "from-env.db"
    code, out, err = run_docket("append", "-", input=event, env={"DOCKET_DB": str(env_db)},
                                cwd=tmp_path)
    assert code == 0 and env_db.exists() and not (tmp_path / "docket.db").exists()

    opt_db = tmp_path / "from-option.db"
    code, out, err = run_docket("append", "--db", opt_db, "-", input=event,
                                env={"DOCKET_DB": str(env_db)}, cwd=tmp_path)
    assert code == 0 and opt_db.exists()
    assert len(export_of(env_db).splitlines()) == 1  # --db wins over the environment

    code, out, err = run_docket("append", "-", input=event, cwd=tmp_path)
    assert code == 0 and (tmp_path / "docket.db").exists()  # the default: ./docket.db
    code, out, err = run_docket("export", env={"DOCKET_DB": str(env_db)}, cwd=tmp_path)
    assert code == 0 and out.encode() == export_of(env_db)


# -- failures --------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("append",),
    ("append", "x.jsonl", "--type", "dialogue_requested"),
    ("append", "--type", "dialogue_requested", "--stream", "s", "--occurred-at", "2021-02-08"),
    ("append", "--expected-version", "-1", "-"),
    ("import",),
], ids=["nothing to append", "file and options", "options without data",
        "negative expected version", "import without file"])
def test_usage_errors_exit_2(run_docket, tmp_path, args):
    # the first through the real executable, the others in-process (same click code)
    if args == ("append",):
        code, out, err = run_docket(*args, "--db", tmp_path / "u.db", input=b"", cwd=tmp_path)
    else:
        code, out, err = invoke(*args, "--db", tmp_path / "u.db", input=b"")
    assert code == 2, err
    assert "Traceback" not in err
    assert any(line.startswith("Error: ") for line in err.splitlines())
    assert not (tmp_path / "u.db").exists() or export_of(tmp_path / "u.db") == b""


def test_unreadable_inputs_give_one_error_line(run_docket, tmp_path):
    code, out, err = run_docket("append", "--db", tmp_path / "a.db", tmp_path / "missing.jsonl")
    assert code == 1 and "missing.jsonl" in one_error_line(err)
    code, out, err = run_docket("export", "--db", tmp_path / "absent.db")
    assert code == 1 and "absent.db" in one_error_line(err)
    assert not (tmp_path / "absent.db").exists()  # reading never creates a log
    code, out, err = run_docket("append", "--db", tmp_path / "no" / "such" / "dir.db", "-",
                                input=to_jsonl([STATEMENT]))
    assert code == 1 and one_error_line(err)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = foreign.read_bytes()
    code, out, err = run_docket("append", "--db", foreign, "-", input=to_jsonl([STATEMENT]))
    assert code == 1 and "foreign.db" in one_error_line(err)
    assert foreign.read_bytes() == before
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    code, out, err = run_docket("append", "--db", garbage, "-", input=to_jsonl([STATEMENT]))
    assert code == 1 and one_error_line(err)
    assert garbage.read_bytes() == b"this is not sqlite" * 100


def test_expected_version_beyond_the_integer_range_is_bad_input_not_a_conflict(run_docket,
                                                                               db_path):
    code, out, err = run_docket("append", "--db", db_path, "--type", "dialogue_requested",
                                "--stream", "s", "--occurred-at", "2021-02-08", "--data",
                                '{"by": "T", "addressee": "M"}',
                                "--expected-version", str(2**64))
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and "--expected-version" in err and len(err.splitlines()) == 1


def test_a_missing_stream_names_the_flag_and_the_library_argument(tmp_path):
    from docket import EventLog
    from docket.errors import InvalidArgument

    event = {"type": "statement_published", "occurred_at": "2021-02-01", "id": "s",
             "data": {"speaker": "x", "summary": "y"}}
    (tmp_path / "e.jsonl").write_text(json.dumps(event) + "\n")
    for command in ("append", "import"):
        code, out, err = run(command, "--db", tmp_path / "d.db", tmp_path / "e.jsonl")
        assert code == 1 and err.count("\n") == 1, err
        assert err.endswith("field `stream`: missing (give it in the event, or give "
                            "--stream)\n"), err
    with pytest.raises(InvalidArgument) as caught:
        EventLog(str(tmp_path / "d.db")).append([event])
    assert caught.value.argument == "stream" and str(caught.value).endswith("or give stream)")


@pytest.mark.parametrize("args,words", [
    (["append", "--expected-version", "abc", "-"],
     "'abc' is not a whole number (from 0 to 9007199254740991)"),
    (["append", "--expected-version", "1.5", "-"],
     "'1.5' is not a whole number (from 0 to 9007199254740991)"),
    (["log", "--follow", "--after-seq", "-1"],
     "-1 is out of range (a whole number from 0 to 9007199254740991)"),
    (["verify", "--min-witnesses", "-3"], "-3 is out of range (a whole number 0 or more)"),
    (["serve", "--port", "70000"], "70000 is out of range (a whole number from 0 to 65535)"),
])
def test_a_number_option_refuses_in_words(run_docket, db_path, args, words):
    """A script writer's review: click's own "'abc' is not a valid integer range" and
    "-1 is not in the range 0<=x<=9007199254740991" leaked through."""
    code, out, err = run_docket(*args, "--db", db_path, input=b"")
    assert code == 2 and out == "", err
    assert words in one_error_line(err), err
    assert "integer range" not in err and "<=" not in err
