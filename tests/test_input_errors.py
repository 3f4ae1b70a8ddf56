"""Every input error in the user's words (issue 19 item 1, issue 20 item 10): for each kind
of mistake in the corpus (tests/input_corpus.py), the exact message, exit code 1, one line,
nothing printed on stdout and the log byte for byte as it was; and the API's own edges."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import export_of, invoke, run, seeded_log
from input_corpus import CORPUS, SEED, STREAM, batch, ev, line
from strategies import to_jsonl

from docket import EventLog
from docket.errors import ConflictError, InvalidEvent

# These run the installed executable too (the rest in-process: the same click code).
SUBPROCESS = {"unknown type", "time without an offset", "key given twice",
              "invalid UTF-8", "nested too deeply", "paying an unknown penalty"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    return seeded_log(tmp_path_factory.mktemp("seed"), SEED)


def _attempt(seeded, folder, name, runner):
    template, _, _ = seeded
    folder.mkdir()
    db = folder / "docket.db"
    shutil.copyfile(template, db)
    (folder / "batch.jsonl").write_bytes(batch(CORPUS[name][0]))
    code, out, err = runner("append", "--db", db, folder / "batch.jsonl")
    return code, out, err, db.read_bytes(), export_of(db)


@pytest.fixture(scope="module")
def results(seeded, tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    out = {(name, "in-process"): _attempt(seeded, root / f"i{i}", name, invoke)
           for i, name in enumerate(CORPUS)}
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = {(name, "subprocess"): pool.submit(_attempt, seeded, root / f"s{i}", name, run)
                for i, name in enumerate(sorted(SUBPROCESS))}
        out.update({key: job.result() for key, job in jobs.items()})
    return out


RUNS = [(name, "in-process") for name in CORPUS] + [(n, "subprocess") for n in sorted(SUBPROCESS)]


@pytest.mark.parametrize("name,mode", RUNS, ids=[f"{m}: {n}" for n, m in RUNS])
def test_each_kind_of_mistake_gets_its_exact_message(results, seeded, name, mode):
    _, seed_bytes, seed_export = seeded
    code, out, err, after_bytes, after_export = results[(name, mode)]
    assert err == f"Error: {CORPUS[name][1]}\n"
    assert code == 1 and out == ""
    assert after_bytes == seed_bytes and after_export == seed_export


def test_no_message_names_a_python_type_or_a_regex():
    for name, (_, message, _) in CORPUS.items():
        for word in ("`str`", "`int", "null`", "NoneType", "regex", "\\Z", "msgspec",
                     "Expected `", "array", "Object "):
            assert word not in message, (name, word)


def test_the_corpus_covers_every_kind_of_mistake_once():
    messages = [m for _, m, _ in CORPUS.values()]
    assert len(CORPUS) >= 60 and len(set(messages)) == len(messages)


# -- byte-order marks ----------------------------------------------------------------------

def test_a_byte_order_mark_at_the_start_of_a_file_is_skipped(run_docket, db_path, tmp_path):
    events = [ev("dialogue_requested", {"by": "T", "addressee": "M"}, id=f"d{i}")
              for i in range(2)]
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + to_jsonl(events))
    code, out, err = run_docket("import", "--db", db_path, path)
    assert (code, err) == (0, "")
    plain = tmp_path / "plain.db"
    (tmp_path / "plain.jsonl").write_bytes(to_jsonl(events))
    assert invoke("import", "--db", plain, tmp_path / "plain.jsonl")[0] == 0
    # the same events as without the mark (the times of recording and the hashes aside)
    def content(db):
        return [{k: v for k, v in json.loads(r).items()
                 if k not in ("recorded_at", "hash", "prev_hash")}
                for r in export_of(db).splitlines()]

    assert content(db_path) == content(plain) and len(content(plain)) == 2
    code, out, err = invoke("append", "--db", db_path, "-", input=b"\xef\xbb\xbf" + line(
        ev("dialogue_requested", {"by": "T", "addressee": "M"}, id="d9")))
    assert code == 0, err  # stdin is a file too


# -- the stream given apart from the events ------------------------------------------------

BAD_STREAMS = ["../../../tmp/x/pwned", "UPPER", "", "a" * 300, "esc\x1b[2Jape"]
STATEMENT = {"type": "statement_published", "occurred_at": "2021-03-01",
             "data": {"speaker": "x", "summary": "s"}}


@pytest.mark.parametrize("stream", BAD_STREAMS, ids=["path", "upper", "empty", "long", "esc"])
def test_a_bad_stream_name_is_refused_on_every_path(tmp_path, stream):
    db = tmp_path / "docket.db"
    (tmp_path / "in.jsonl").write_bytes(to_jsonl([STATEMENT]))
    shown = repr(stream).replace("\x1b", "\\x1b")
    want = (f"Error: --stream: {shown} is not a stream name (lowercase letters, digits, '.', "
            "'_' and '-', starting with a letter or a digit, at most 128 characters)\n")
    for args, stdin in (
        (["append", "--type", "statement_published", "--occurred-at", "2021-03-01",
          "--data", '{"speaker": "x", "summary": "s"}'], None),
        (["append", "-"], to_jsonl([STATEMENT])),
        (["append", tmp_path / "in.jsonl"], None),
        (["import", tmp_path / "in.jsonl"], None),
    ):
        code, out, err = invoke(*args, "--stream", stream, "--db", db, input=stdin)
        assert (code, out, err) == (1, "", want.replace("\x1b", "\\x1b")), args
    assert not db.exists() or export_of(db) == b""
    log = EventLog(str(db))
    for call in (lambda: log.append([STATEMENT], stream=stream),
                 lambda: log.import_lines([(1, line(STATEMENT))], stream=stream)):
        with pytest.raises(InvalidEvent, match="is not a stream name"):
            call()
    assert list(log.read()) == []
    log.close()


# -- the API's own arguments ---------------------------------------------------------------

@pytest.mark.parametrize("bad,error", [("22", TypeError), (True, TypeError), (1.0, TypeError),
                                       (-1, InvalidEvent), (2**53, InvalidEvent)])
def test_expected_version_of_the_wrong_kind_is_not_a_conflict(tmp_path, bad, error):
    log = EventLog(str(tmp_path / "docket.db"))
    event = {**STATEMENT, "stream": STREAM}
    with pytest.raises(error, match="expected_version") as caught:
        log.append([event], expected_version=bad)
    assert not isinstance(caught.value, ConflictError)
    assert list(log.read()) == []
    assert log.append([event], expected_version=0)[0].version == 1
    log.close()


@pytest.mark.parametrize("bad,error", [("x", TypeError), (None, TypeError), (1.5, TypeError),
                                       (True, TypeError), (-1, ValueError)])
def test_read_after_a_seq_that_is_not_one_raises(tmp_path, bad, error):
    log = EventLog(str(tmp_path / "docket.db"))
    log.append([{**STATEMENT, "stream": STREAM}])
    with pytest.raises(error, match="after_seq"):
        list(log.read(after_seq=bad))
    assert [r["seq"] for r in log.read(after_seq=0)] == [1]
    log.close()


def test_the_api_names_a_duplicate_key_too(tmp_path):
    log = EventLog(str(tmp_path / "docket.db"))
    raw = line({**STATEMENT, "stream": STREAM})[:-1] + b', "stream": "other"}'
    with pytest.raises(InvalidEvent, match=r"line 1: event \(statement_published\): field "
                                           r"`stream`: given twice"):
        log.import_lines([(1, raw)])
    assert list(log.read()) == []
    log.close()


def test_data_given_by_option_with_a_key_twice_is_refused(db_path):
    code, out, err = invoke("append", "--db", db_path, "--stream", STREAM, "--type",
                            "dialogue_requested", "--occurred-at", "2021-02-08", "--data",
                            '{"by": "T", "addressee": "M", "by": "X"}')
    assert (code, out) == (1, "")
    assert err == ("Error: event (dialogue_requested): field `data.by`: given twice; each key "
                   "may appear once in an object (RFC 7493)\n")
    assert export_of(db_path) == b""
