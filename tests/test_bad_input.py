"""Bad input (SPEC §2–3, §6): exit code 1, one `Error:` line naming line, event and field,
and a log left exactly as it was.

The corpus runs the installed `docket` in subprocesses (launched a few at a time, so the
whole corpus costs a few seconds); the property test drives the same command line in-process
with many random malformed lines.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import export_of, file_bytes, invoke, run, seeded_log
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from input_corpus import STREAM, ev
from strategies import LogContext, event_stream, malformed_line

OTHER = "other-dispute"
ORDER = {"order_id": "O-3", "issuer": "MeitY", "platform": "Twitter"}

SEED = [
    ev("order_issued", {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
                        "targets": ["@a", "@b", "@c"]}, id="seed-order",
       occurred_at="2021-02-01"),
    ev("notice_sent", {"notice_id": "N-1", "kind": "non_compliance", "issuer": "MeitY",
                       "recipient": "Twitter", "order_ids": ["O-1"]}, id="seed-notice",
       occurred_at="2021-02-02T10:00:00+05:30"),
    ev("challenge_filed", {"case_id": "C-1", "court": "Karnataka HC",
                           "petitioner": "Twitter"}, id="seed-case", occurred_at="2021-07-05"),
    ev("accounts_blocked", {"order_id": "O-1", "targets": ["@a"], "scope": "IN"},
       id="seed-block", occurred_at="2021-02-03T09:00:00Z"),
    ev("statement_published", {"speaker": "Twitter", "summary": "We complied in part."},
       id="seed-statement", occurred_at="2021-02-04"),
    ev("event_retracted", {"target_id": "seed-statement", "reason": "misattributed"},
       id="seed-retract", occurred_at="2021-02-04"),
    ev("dialogue_requested", {"by": "Twitter", "addressee": "MeitY"}, id="other-1",
       stream=OTHER),
]

# The valid lines around the bad one: line 1, a blank line 2, line 3, BAD line 4, line 5.
GOOD_BEFORE = [
    ev("dialogue_requested", {"by": "Twitter", "addressee": "MeitY"}, id="good-1"),
    ev("order_issued", {"order_id": "O-2", "issuer": "MeitY", "platform": "Twitter",
                        "target_count": 5}, id="good-2"),
]
GOOD_AFTER = [ev("accounts_blocked", {"order_id": "O-2", "count": 2}, id="good-3")]
BAD_LINE = 4


def batch_file(bad: bytes) -> bytes:
    """A JSONL batch whose physical line 4 is `bad` (line 2 is blank)."""
    line = lambda e: json.dumps(e).encode()  # noqa: E731
    return b"\n".join([line(GOOD_BEFORE[0]), b"", line(GOOD_BEFORE[1]), bad,
                       line(GOOD_AFTER[0])]) + b"\n"


def as_line(bad) -> bytes:
    return bad if isinstance(bad, bytes) else json.dumps(bad, ensure_ascii=False).encode()


def without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


# name -> (bad line, fragments the message must contain). Each is placed at line 4 of 5.
# The fragments are the line, the event (its id or its type) and the offending field.
LABEL = "'bad'"
CORPUS: dict[str, tuple[object, list[str]]] = {
    "unknown top-level key": (
        {**ev("dialogue_requested", {"by": "T", "addressee": "M"}), "ocurred_at": "2021"},
        [LABEL, "ocurred_at"]),
    "unknown data key": (
        ev("order_issued", {**ORDER, "target_cnt": 3}), [LABEL, "target_cnt"]),
    "missing type": (
        ev("order_issued", ORDER, type=None), [LABEL, "type"]),
    "unknown type": (
        ev("order_issue", ORDER), [LABEL, "type"]),
    "missing stream": (
        ev("order_issued", ORDER, stream=None), [LABEL, "order_issued", "stream"]),
    "missing occurred_at": (
        ev("order_issued", ORDER, occurred_at=None), [LABEL, "order_issued", "occurred_at"]),
    "missing data": (
        ev("order_issued", ORDER, data=None), [LABEL, "order_issued", "data"]),
    "data not an object": (
        ev("order_issued", ["O-3"]), [LABEL, "order_issued", "data"]),
    "missing required data field": (
        ev("order_issued", without(ORDER, "platform")), [LABEL, "order_issued", "platform"]),
    "naive datetime": (
        ev("order_issued", ORDER, occurred_at="2021-02-01T14:30:00"),
        [LABEL, "order_issued", "occurred_at"]),
    "impossible date": (
        ev("order_issued", ORDER, occurred_at="2021-02-30"),
        [LABEL, "order_issued", "occurred_at"]),
    "impossible hour": (
        ev("order_issued", ORDER, occurred_at="2021-02-01T24:00:00Z"),
        [LABEL, "order_issued", "occurred_at"]),
    "impossible offset": (
        ev("order_issued", ORDER, occurred_at="2021-02-01T10:00:00+24:00"),
        [LABEL, "order_issued", "occurred_at"]),
    "occurred_at not a string": (
        ev("order_issued", ORDER, occurred_at=20210201), [LABEL, "order_issued", "occurred_at"]),
    "stream name with a trailing newline": (
        ev("order_issued", ORDER, stream=STREAM + "\n"), [LABEL, "order_issued", "stream"]),
    "occurred_at with a trailing newline": (
        ev("order_issued", ORDER, occurred_at="2021-02-05\n"),
        [LABEL, "order_issued", "occurred_at"]),
    "source url with a trailing newline": (
        ev("order_issued", ORDER, sources=[{"title": "t", "url": "https://example.org/\n"}]),
        [LABEL, "order_issued", "url"]),
    "bad stream name": (
        ev("order_issued", ORDER, stream="Twitter India"), [LABEL, "order_issued", "stream"]),
    "stream name too long": (
        ev("order_issued", ORDER, stream="a" * 129), [LABEL, "order_issued", "stream"]),
    "id too long": (
        ev("order_issued", ORDER, id="x" * 129), ["order_issued", "id"]),
    "empty id": (
        ev("order_issued", ORDER, id=""), ["order_issued", "id"]),
    "bad confidence": (
        ev("order_issued", ORDER, confidence="certain"), [LABEL, "order_issued", "confidence"]),
    "negative count": (
        ev("accounts_blocked", {"order_id": "O-1", "count": -1}),
        [LABEL, "accounts_blocked", "count"]),
    "float count": (
        ev("accounts_blocked", {"order_id": "O-1", "count": 3.0}),
        [LABEL, "accounts_blocked", "count"]),
    "bool where int": (
        ev("compliance_reported", {"order_id": "O-1", "actioned": True, "specified": 3,
                                   "reporter": "Twitter"}),
        [LABEL, "compliance_reported", "actioned"]),
    "int beyond 2^53": (
        ev("order_issued", {**ORDER, "target_count": 2**53 + 1}),
        [LABEL, "order_issued", "target_count"]),
    "int beyond 64 bits": (
        ev("ruling_issued", {"case_id": "C-1", "court": "HC", "outcome": "dismissed",
                             "costs": 2**64}),
        [LABEL, "ruling_issued", "costs"]),
    "negative expected_version": (
        ev("order_issued", ORDER, expected_version=-1),
        [LABEL, "order_issued", "expected_version"]),
    "bad scope country": (
        ev("accounts_blocked", {"order_id": "O-1", "targets": ["@b"], "scope": "XX"}),
        [LABEL, "accounts_blocked", "scope"]),
    "lowercase scope country": (
        ev("accounts_blocked", {"order_id": "O-1", "targets": ["@b"], "scope": "in"}),
        [LABEL, "accounts_blocked", "scope"]),
    "all_targets without order": (
        ev("accounts_blocked", {"all_targets": True}), [LABEL, "accounts_blocked", "all_targets"]),
    "unknown order reference": (
        ev("accounts_blocked", {"order_id": "O-404", "targets": ["@x"]}),
        [LABEL, "accounts_blocked", "order_id", "O-404"]),
    "unknown order in compliance report": (
        ev("compliance_reported", {"order_id": "O-404", "actioned": 1, "specified": 3,
                                   "reporter": "Twitter"}),
        [LABEL, "compliance_reported", "order_id", "O-404"]),
    "unknown order in notice order_ids": (
        ev("notice_sent", {"notice_id": "N-2", "kind": "final", "issuer": "MeitY",
                           "recipient": "Twitter", "order_ids": ["O-1", "O-404"]}),
        [LABEL, "notice_sent", "order_ids", "O-404"]),
    "order of another stream": (
        ev("accounts_blocked", {"order_id": "O-1", "targets": ["@x"]}, stream=OTHER),
        [LABEL, "accounts_blocked", "order_id", "O-1"]),
    "unknown notice in acknowledgement": (
        ev("acknowledgement_sent", {"ref_id": "N-404", "by": "Twitter"}),
        [LABEL, "acknowledgement_sent", "ref_id", "N-404"]),
    "unknown case in ruling": (
        ev("ruling_issued", {"case_id": "C-404", "court": "HC", "outcome": "dismissed"}),
        [LABEL, "ruling_issued", "case_id", "C-404"]),
    "retract unknown event": (
        ev("event_retracted", {"target_id": "no-such-event", "reason": "wrong"}),
        [LABEL, "event_retracted", "target_id", "no-such-event"]),
    "retract across streams": (
        ev("event_retracted", {"target_id": "other-1", "reason": "wrong"}),
        [LABEL, "event_retracted", "target_id", "other-1"]),
    "retract a retraction": (
        ev("event_retracted", {"target_id": "seed-retract", "reason": "undo"}),
        [LABEL, "event_retracted", "target_id"]),
    "duplicate order_id (in the log)": (
        ev("order_issued", {**ORDER, "order_id": "O-1"}), [LABEL, "order_issued", "order_id"]),
    "duplicate order_id (earlier in the batch)": (
        ev("order_issued", {**ORDER, "order_id": "O-2"}), [LABEL, "order_issued", "order_id"]),
    "duplicate notice_id": (
        ev("notice_sent", {"notice_id": "N-1", "kind": "final", "issuer": "MeitY",
                           "recipient": "Twitter"}), [LABEL, "notice_sent", "notice_id"]),
    "id reuse with other content": (
        ev("order_issued", {**ORDER, "order_id": "O-1"}, id="seed-order",
           occurred_at="2021-02-01", actor="MeitY"),
        ["'seed-order'", "order_issued", "id"]),
    "id of another stream reused": (
        ev("dialogue_requested", {"by": "Twitter", "addressee": "MeitY"}, id="other-1"),
        ["'other-1'", "dialogue_requested", "id"]),
    "correction with bad replacement data": (
        ev("event_corrected", {"target_id": "seed-block", "reason": "typo",
                               "data": {"order_id": "O-1", "count": -5}}),
        [LABEL, "event_corrected", "count"]),
    "correction with unknown replacement key": (
        ev("event_corrected", {"target_id": "seed-block", "reason": "typo",
                               "data": {"order_id": "O-1", "cuont": 5}}),
        [LABEL, "event_corrected", "cuont"]),
    "correction changing an identifier": (
        ev("event_corrected", {"target_id": "seed-order", "reason": "typo",
                               "data": {**ORDER, "order_id": "O-9"}}),
        [LABEL, "event_corrected", "order_id"]),
    "correction with naive occurred_at": (
        ev("event_corrected", {"target_id": "seed-block", "reason": "typo",
                               "occurred_at": "2021-02-03T09:00:00"}),
        [LABEL, "event_corrected", "occurred_at"]),
    "correction that changes nothing": (
        ev("event_corrected", {"target_id": "seed-block", "reason": "typo"}),
        [LABEL, "event_corrected", "occurred_at"]),
    "bad source url": (
        ev("order_issued", ORDER, sources=[{"title": "t", "url": "ftp://example.org/x"}]),
        [LABEL, "order_issued", "url"]),
    "source without title": (
        ev("order_issued", ORDER, sources=[{"url": "https://example.org/x"}]),
        [LABEL, "order_issued", "title"]),
    "impossible source date": (
        ev("order_issued", ORDER, sources=[{"title": "t", "published": "2021-02-30"}]),
        [LABEL, "order_issued", "published"]),
    "naive deadline": (
        ev("order_issued", {**ORDER, "deadline": "2021-02-10T10:00"}),
        [LABEL, "order_issued", "deadline"]),
    "bad procedure enum": (
        ev("order_issued", {**ORDER, "procedure": "secret"}), [LABEL, "order_issued", "procedure"]),
    "bad notice kind": (
        ev("notice_sent", {"notice_id": "N-2", "kind": "warning", "issuer": "MeitY",
                           "recipient": "Twitter"}), [LABEL, "notice_sent", "kind"]),
    "bad currency": (
        ev("ruling_issued", {"case_id": "C-1", "court": "HC", "outcome": "x",
                             "currency": "usd"}), [LABEL, "ruling_issued", "currency"]),
    "targets as a string": (
        ev("order_issued", {**ORDER, "targets": ""}), [LABEL, "order_issued", "targets"]),
    "empty target in list": (
        ev("accounts_blocked", {"order_id": "O-1", "targets": ["@b", ""]}),
        [LABEL, "accounts_blocked", "targets"]),
    "empty participants": (
        ev("meeting_held", {"participants": []}), [LABEL, "meeting_held", "participants"]),
    "invalid JSON": (b'{"type": "order_issued", "stream": "dispute-1", ', ["JSON"]),
    "invalid UTF-8": (b'{"type": "order_issued", "stream": "\xff\xfe"}', []),
    "non-object line": (b'["order_issued", "dispute-1"]', ["object"]),
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A log holding SEED, written by the real command: (path, file bytes, export)."""
    return seeded_log(tmp_path_factory.mktemp("seed"), SEED)


def _run_case(folder: Path, template: Path, args_of, stdin: bytes | None, runner=run):
    folder.mkdir()
    db = folder / "docket.db"
    shutil.copyfile(template, db)
    (folder / "batch.jsonl").write_bytes(stdin if stdin is not None else b"")
    args = args_of(db, folder / "batch.jsonl")
    code, out, err = runner(*args, input=stdin if args[-1] == "-" else None)
    return code, out, err, file_bytes(db), export_of(db)


def _cases():
    """(name, how to call docket, stdin/file bytes, expected exit, fragments)."""
    out = []
    for name, (bad, fragments) in CORPUS.items():
        out.append((name, "append FILE", batch_file(as_line(bad)), 1,
                    [f"line {BAD_LINE}"] + fragments))
    # The same checks through the other ways in: stdin, import, options.
    for name in ("unknown data key", "unknown order reference", "naive datetime"):
        bad, fragments = CORPUS[name]
        out.append((name, "append -", batch_file(as_line(bad)), 1,
                    [f"line {BAD_LINE}"] + fragments))
        out.append((name, "import FILE", batch_file(as_line(bad)), 1,
                    [f"line {BAD_LINE}"] + fragments))
    out.append(("expected_version conflict in the JSON",
                "append FILE", batch_file(as_line(ev("dialogue_requested",
                                                     {"by": "T", "addressee": "M"},
                                                     expected_version=2))), 3,
                [f"line {BAD_LINE}", LABEL, "version"]))
    return out


CASES = _cases()

OPTIONS = {
    # name -> (extra args, fragments)
    "--data not JSON": (["--type", "dialogue_requested", "--occurred-at", "2021-02-05",
                         "--data", "{by: T}"], ["dialogue_requested", "data"]),
    "--data with an unknown key": (["--type", "dialogue_requested", "--occurred-at",
                                    "2021-02-05", "--data", '{"by": "T", "addressee": "M", '
                                    '"subjcet": "x"}'], ["dialogue_requested", "subjcet"]),
    "--occurred-at naive": (["--type", "dialogue_requested", "--occurred-at",
                             "2021-02-05T10:00:00", "--data", '{"by": "T", "addressee": "M"}'],
                            ["dialogue_requested", "occurred_at"]),
    "--type unknown": (["--type", "dialog_requested", "--occurred-at", "2021-02-05",
                        "--data", '{"by": "T", "addressee": "M"}'], ["type"]),
}


# The corpus runs in-process (click's CliRunner: the same command code, milliseconds a case);
# these cases also run the installed executable in subprocesses, a few at a time.
SUBPROCESS = {
    ("unknown top-level key", "append FILE"), ("missing stream", "append FILE"),
    ("float count", "append FILE"), ("retract across streams", "append FILE"),
    ("invalid JSON", "append FILE"), ("invalid UTF-8", "append FILE"),
    ("unknown data key", "append -"), ("naive datetime", "import FILE"),
    ("stream name with a trailing newline", "append FILE"),
    ("expected_version conflict in the JSON", "append FILE"),
    ("--data not JSON", "options"),
}


def _args_of(how: str, extra=()):
    if how == "append FILE":
        return lambda db, f: ("append", "--db", db, f)
    if how == "append -":
        return lambda db, f: ("append", "--db", db, "-")
    if how == "import FILE":
        return lambda db, f: ("import", "--db", db, f)
    return lambda db, f: ("append", "--db", db, "--stream", STREAM, *extra)


@pytest.fixture(scope="module")
def results(seeded, tmp_path_factory):
    """Run every case against its own copy of the seeded log: {(name, how, mode): result}."""
    template = seeded[0]
    root = tmp_path_factory.mktemp("corpus")
    todo = [(name, how, payload, ()) for name, how, payload, _, _ in CASES]
    todo += [(name, "options", None, extra) for name, (extra, _) in OPTIONS.items()]
    out = {}
    for i, (name, how, payload, extra) in enumerate(todo):
        out[(name, how, "in-process")] = _run_case(root / f"i{i}", template,
                                                   _args_of(how, extra), payload, invoke)
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = {(name, how, "subprocess"): pool.submit(_run_case, root / f"s{i}", template,
                                                       _args_of(how, extra), payload)
                for i, (name, how, payload, extra) in enumerate(todo)
                if (name, how) in SUBPROCESS}
        out.update({key: job.result() for key, job in jobs.items()})
    return out


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 25
    assert len(SUBPROCESS) == len([r for r in CORPUS_RUNS + OPTION_RUNS if r[0] == "subprocess"])


def assert_one_error_line(err: str) -> str:
    assert err.startswith("Error: "), err
    assert err.endswith("\n")
    assert "\n" not in err[:-1] and "\r" not in err, f"more than one line: {err!r}"
    assert "Traceback" not in err
    return err[:-1]


CORPUS_RUNS = [(mode, *case) for case in CASES for mode in ("in-process", "subprocess")
               if mode == "in-process" or (case[0], case[1]) in SUBPROCESS]


@pytest.mark.parametrize("mode,name,how,payload,code,fragments", CORPUS_RUNS,
                         ids=[f"{c[0]}: {c[2]}: {c[1]}" for c in CORPUS_RUNS])
def test_corpus(results, seeded, mode, name, how, payload, code, fragments):
    _, seed_bytes, seed_export = seeded
    got_code, out, err, after_bytes, after_export = results[(name, how, mode)]
    message = assert_one_error_line(err)
    assert got_code == code, message
    assert out == "", "nothing was appended, so no receipt may be printed"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # No other line is blamed, and the log is exactly as it was: not one event of the batch.
    for other in ("line 1", "line 3", "line 5"):
        assert other + ":" not in message
    assert after_export == seed_export
    assert after_bytes == seed_bytes


OPTION_RUNS = [(mode, name) for name in OPTIONS for mode in ("in-process", "subprocess")
               if mode == "in-process" or (name, "options") in SUBPROCESS]


@pytest.mark.parametrize("mode,name", OPTION_RUNS, ids=[f"{m}: {n}" for m, n in OPTION_RUNS])
def test_corpus_options(results, seeded, mode, name):
    _, seed_bytes, seed_export = seeded
    code, out, err, after_bytes, after_export = results[(name, "options", mode)]
    message = assert_one_error_line(err)
    assert code == 1, message
    assert out == ""
    for fragment in OPTIONS[name][1]:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "line " not in message  # no file, so no line number
    assert after_export == seed_export and after_bytes == seed_bytes


@pytest.fixture(scope="module")
def pg_results(request, tmp_path_factory):
    """The in-process corpus against one PostgreSQL log holding SEED: every case must leave
    it as it was, so they can share it. {(name, how): result}, and the log's export before."""
    from strategies import to_jsonl

    url = request.getfixturevalue("pg_schemas").new()
    root = tmp_path_factory.mktemp("corpus-pg")
    (root / "seed.jsonl").write_bytes(to_jsonl(SEED))
    code, _, err = invoke("append", "--db", url, root / "seed.jsonl")
    assert code == 0, err
    before = export_of(url)
    todo = [(name, how, payload, ()) for name, how, payload, _, _ in CASES]
    todo += [(name, "options", None, extra) for name, (extra, _) in OPTIONS.items()]
    out = {}
    for i, (name, how, payload, extra) in enumerate(todo):
        folder = root / f"p{i}"
        folder.mkdir()
        (folder / "batch.jsonl").write_bytes(payload if payload is not None else b"")
        args = _args_of(how, extra)(url, folder / "batch.jsonl")
        code, got, err = invoke(*args, input=payload if args[-1] == "-" else None)
        out[(name, how)] = (code, got, err, export_of(url))
    return out, before


PG_RUNS = [(name, how, code, fragments) for name, how, _, code, fragments in CASES] + [
    (name, "options", 1, fragments) for name, (_, fragments) in OPTIONS.items()]


@pytest.mark.parametrize("name,how,code,fragments", PG_RUNS,
                         ids=[f"{how}: {name}" for name, how, _, _ in PG_RUNS])
def test_corpus_on_postgresql(pg_results, name, how, code, fragments):
    """The same refusals on PostgreSQL: one Error line naming the same things, the same exit
    code, and the log unchanged (its export, byte for byte)."""
    results, before = pg_results
    got_code, out, err, after = results[(name, how)]
    message = assert_one_error_line(err)
    assert got_code == code, message
    assert out == ""
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert after == before


def test_bad_line_deep_in_a_large_batch(seeded, tmp_path):
    """Line 700 of 1000 is bad: none of the 699 good lines before it is written."""
    template, seed_bytes, seed_export = seeded
    db = tmp_path / "docket.db"
    shutil.copyfile(template, db)
    lines = [json.dumps(ev("accounts_blocked", {"order_id": "O-1", "targets": [f"@u{i}"]},
                           id=f"bulk-{i}")) for i in range(1, 1001)]
    lines[699] = json.dumps(ev("accounts_blocked", {"order_id": "O-1", "count": -3},
                               id="bulk-700"))
    (tmp_path / "bulk.jsonl").write_text("\n".join(lines) + "\n")
    code, out, err = run("append", "--db", db, tmp_path / "bulk.jsonl")
    message = assert_one_error_line(err)
    assert code == 1
    assert "line 700" in message and "'bulk-700'" in message and "count" in message
    assert out == ""
    assert export_of(db) == seed_export and db.read_bytes() == seed_bytes


def test_reference_error_after_many_good_lines_names_its_line(seeded, tmp_path):
    """An error found while appending (not while decoding) still names its physical line."""
    template, seed_bytes, seed_export = seeded
    db = tmp_path / "docket.db"
    shutil.copyfile(template, db)
    lines = [json.dumps(ev("dialogue_requested", {"by": "T", "addressee": "M"},
                           id=f"d-{i}")) for i in range(1, 301)]
    lines.insert(150, "")  # a blank line: physical numbering goes on
    lines[250] = json.dumps(ev("acknowledgement_sent", {"ref_id": "N-9", "by": "T"},
                               id="ack-x"))
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    code, out, err = run("import", "--db", db, tmp_path / "b.jsonl")
    message = assert_one_error_line(err)
    assert code == 1
    assert "line 251" in message and "'ack-x'" in message and "ref_id" in message
    assert export_of(db) == seed_export and db.read_bytes() == seed_bytes


# -- property: random malformed input ------------------------------------------------------

def seed_context() -> LogContext:
    ctx = LogContext()
    for event in SEED:
        ctx.add(event)
    return ctx


SEED_CONTEXT = seed_context()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(good=event_stream(streams=[STREAM, "fresh-stream"], context=SEED_CONTEXT, min_size=0,
                         max_size=4),
       bad=malformed_line(), where=st.integers(0, 4), via_stdin=st.booleans())
def test_random_malformed_input_is_refused_whole(seeded, good, bad, where, via_stdin):
    template, seed_bytes, seed_export = seeded
    bad_line, how = bad
    where = min(where, len(good))
    lines = [json.dumps(e, ensure_ascii=False).encode() for e in good]
    lines.insert(where, bad_line)
    payload = b"\n".join(lines) + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "docket.db"
        shutil.copyfile(template, db)
        if via_stdin:
            code, out, err = invoke("append", "--db", db, "-", input=payload)
        else:
            (Path(folder) / "in.jsonl").write_bytes(payload)
            code, out, err = invoke("append", "--db", db, Path(folder) / "in.jsonl")
        message = assert_one_error_line(err)
        assert code == 1, (how, message)
        assert out == ""
        assert f"line {where + 1}:" in message, (how, message)
        assert db.read_bytes() == seed_bytes
        assert export_of(db) == seed_export
