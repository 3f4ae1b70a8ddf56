"""Hostile input (issue 6 §4): whatever arrives, Docket answers with exit codes 0–3 and one
`Error:` line, never a traceback or an "internal error", and a failed command leaves the
log exactly as it was.

- in-process, many examples: the decoder (`docket.codec.decode_event`) on random bytes,
  random JSON and mutated valid events; `EventLog.append` on arbitrary JSON values (NaN and
  infinities, integers beyond 2^63, lone surrogates, NUL, deep nesting); every command's
  options through click's CliRunner;
- in subprocesses, a modest number: huge lines, 100 000 nested arrays, lone surrogate escapes,
  NUL bytes, numbers beyond 2^63, very long strings and lists, non-UTF-8 arguments.

Tests in test_bad_input.py already cover a corpus of malformed events; these go after what
a decoder or a command line can trip on rather than what the catalogue refuses.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import DOCKET, _env, export_of, invoke, run
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from soak import soak
from strategies import canonical_json, check_chain, valid_event

from docket import EventLog
from docket.codec import MAX_LINE, canonical, content_of, decode_event
from docket.errors import DocketError

STREAM = "fuzz-stream"
CATALOG_MAX_TEXT = 10_000
CATALOG_MAX_LIST = 100_000

# -- strategies for hostile values -----------------------------------------------------------

LONE_SURROGATES = ["\ud800", "a\udfffb", "\udbff", "x\udc00", "\ud83d"]  # no pair: all lone
NASTY_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(LONE_SURROGATES),
    st.sampled_from(["\x00", "a\x00b", "\n", "a\r\nb", "\u2028", "\ufeff", "\\", '"', "'",
                     "\x1b[31m", "%s%n", "💥" * 3, "é" * 5]),
    st.builds(lambda n: "x" * n, st.sampled_from([129, 2049, 10_001, 100_000])),
)
BIG_INTS = st.one_of(
    st.sampled_from([2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, -(10**30)]),
    st.integers(min_value=2**63, max_value=2**200),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), BIG_INTS,
    st.floats(allow_nan=True, allow_infinity=True), NASTY_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NASTY_TEXT, inner, max_size=4),
    max_leaves=12,
)
KEYS = ("type", "stream", "occurred_at", "actor", "data", "sources", "confidence", "id",
        "expected_version")


def _has(value, predicate) -> bool:
    """True when `predicate` holds for some scalar or dict key inside `value` (iterative)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif predicate(item):
            return True
    return False


def _non_finite(x) -> bool:
    return isinstance(x, float) and not math.isfinite(x)


def _surrogate(x) -> bool:
    return isinstance(x, str) and any("\ud800" <= c <= "\udfff" for c in x)


def _drop_none(value):
    """What the log stores of an input value: dict entries that are null are left out."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


@st.composite
def mutated_event(draw) -> dict:
    """A valid, reference-free event with one part replaced, added or removed at random."""
    event = draw(valid_event(stream=STREAM, with_id=True, kinds=(
        "order_issued", "dialogue_requested", "statement_published", "meeting_held",
        "accounts_blocked")))
    event = json.loads(json.dumps(event))
    how = draw(st.sampled_from(["top", "data", "new_top", "new_data", "drop", "source"]))
    if how == "top":
        event[draw(st.sampled_from(KEYS))] = draw(JSON_VALUES)
    elif how == "data" and event["data"]:
        event["data"][draw(st.sampled_from(sorted(event["data"])))] = draw(JSON_VALUES)
    elif how == "new_top":
        event[draw(NASTY_TEXT)] = draw(JSON_VALUES)
    elif how == "new_data":
        event["data"][draw(NASTY_TEXT)] = draw(JSON_VALUES)
    elif how == "drop":
        event.pop(draw(st.sampled_from(sorted(event))))
    else:
        event["sources"] = [draw(st.dictionaries(
            st.sampled_from(["title", "url", "published", "quote", "extra"]), JSON_VALUES,
            max_size=4))]
    return event


def _to_bytes(value, ascii_only: bool) -> bytes:
    """JSON text of `value` as bytes; lone surrogates become `\\ud800` escapes (ascii) or raw
    CESU-8 bytes, which are not UTF-8 (non-ascii); NaN and Infinity as Python writes them."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


# -- the decoder ------------------------------------------------------------------------------

def check_decoded(raw: bytes):
    """decode_event either returns an Event that round-trips exactly, or raises InvalidEvent;
    anything else (RecursionError, UnicodeError, OverflowError, …) is a bug."""
    try:
        event = decode_event(raw, line=7)
    except DocketError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        return None
    ident = event.id or "generated"
    content = content_of(event, event.stream or STREAM, ident)
    body = canonical(content)  # encodable: no lone surrogate slipped through
    body.decode("utf-8")
    assert decode_event(body).data == event.data  # what was accepted decodes the same again
    return event


@settings(max_examples=soak(300, 6000), deadline=None)
@given(raw=st.binary(max_size=200))
def test_decoder_on_random_bytes(raw):
    check_decoded(raw)


@settings(max_examples=soak(200, 4000), deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_decoder_on_random_json(value, ascii_only):
    assert check_decoded(_to_bytes(value, ascii_only)) is None  # never an event


@settings(max_examples=soak(200, 4000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=mutated_event(), ascii_only=st.booleans())
def test_decoder_on_mutated_events(event, ascii_only):
    decoded = check_decoded(_to_bytes(event, ascii_only))
    if decoded is not None:
        # Accepted: then it held no NaN, no infinity, no lone surrogate, no big integer.
        assert not _has(event, _non_finite)
        assert not _has(event, _surrogate)
        assert not _has(event, lambda x: isinstance(x, int) and not isinstance(x, bool)
                        and abs(x) > 2**53 - 1)


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("where", ["top", "data", "unknown key", "source"])
def test_decoder_on_deep_nesting(depth, where):
    nested = b"[" * depth + b"]" * depth
    raw = {
        "top": nested,
        "data": b'{"type":"meeting_held","stream":"s","occurred_at":"2021-01-01","data":'
                b'{"participants":' + nested + b"}}",
        "unknown key": b'{"type":"meeting_held","zzz":' + nested + b',"stream":"s"}',
        "source": b'{"type":"dialogue_requested","stream":"s","occurred_at":"2021-01-01",'
                  b'"data":{"by":"a","addressee":"b"},"sources":[{"title":' + nested + b"}]}",
    }[where]
    with pytest.raises(DocketError):
        decode_event(raw)


def test_decoder_limits_at_their_edges():
    def line(data, kind="statement_published"):
        return json.dumps({"type": kind, "stream": "s", "occurred_at": "2021-01-01",
                           "data": data}).encode()

    ok = line({"speaker": "a", "summary": "y" * CATALOG_MAX_TEXT})
    assert decode_event(ok).data.summary == "y" * CATALOG_MAX_TEXT
    with pytest.raises(DocketError, match="summary"):
        decode_event(line({"speaker": "a", "summary": "y" * (CATALOG_MAX_TEXT + 1)}))
    targets = [f"@{i}" for i in range(CATALOG_MAX_LIST)]
    assert len(decode_event(line({"targets": targets}, "accounts_blocked")).data.targets) \
        == CATALOG_MAX_LIST
    with pytest.raises(DocketError, match="targets"):
        decode_event(line({"targets": targets + ["@x"]}, "accounts_blocked"))
    with pytest.raises(DocketError, match="longer than"):
        decode_event(b" " * (MAX_LINE + 1))
    for big in (2**53, 2**63, 2**64, 10**40):
        with pytest.raises(DocketError, match="count"):
            decode_event(line({"count": big}, "accounts_blocked"))
    for escape in ("\\ud800", "\\udfff", "\\ud800\\u0041", "\\udc00\\ud800"):
        raw = ('{"type":"dialogue_requested","stream":"s","occurred_at":"2021-01-01",'
               '"data":{"by":"' + escape + '","addressee":"b"}}').encode()
        with pytest.raises(DocketError):
            decode_event(raw)
    # A surrogate pair written as two escapes is one character, and fine.
    raw = ('{"type":"dialogue_requested","stream":"s","occurred_at":"2021-01-01",'
           '"data":{"by":"\\ud83d\\udca5","addressee":"b"}}').encode()
    assert decode_event(raw).data.by == "💥"
    # NUL: escaped it is text; raw inside a string it is not JSON.
    raw = b'{"type":"dialogue_requested","stream":"s","occurred_at":"2021-01-01",' \
          b'"data":{"by":"a\\u0000","addressee":"b"}}'
    assert decode_event(raw).data.by == "a\x00"
    with pytest.raises(DocketError):
        decode_event(raw.replace(b"\\u0000", b"\x00"))


# -- EventLog.append with arbitrary values ------------------------------------------------------

@pytest.fixture(scope="module")
def api_log(tmp_path_factory):
    log = EventLog(str(tmp_path_factory.mktemp("api") / "docket.db"))
    log.append([{"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01",
                 "id": "seed-order", "data": {"order_id": "O-1", "issuer": "G",
                                              "platform": "P", "targets": ["@a", "@b"]}}])
    yield log
    log.close()


def _append_checked(log, events):
    """Append; on an error the export must be unchanged, on success each stored record must
    hold exactly what was given (nulls left out, defaults filled in)."""
    before = b"".join(log.export_lines())
    try:
        receipts = log.append(events)
    except DocketError as exc:
        assert "\n" not in str(exc)
        assert b"".join(log.export_lines()) == before
        return None
    records = {r["seq"]: r for r in log.read(after_seq=receipts[0].seq - 1)} if receipts else {}
    for event, receipt in zip(events, receipts):
        if receipt.duplicate:
            continue
        stored = records[receipt.seq]
        given_ = _drop_none(event)
        assert stored["data"] == given_["data"]
        assert stored["occurred_at"] == given_["occurred_at"]
        assert stored["actor"] == given_.get("actor")
        assert stored["sources"] == given_.get("sources", [])
        assert stored["confidence"] == given_.get("confidence", "reported")
        if "id" in given_:
            assert stored["id"] == given_["id"]
    check_chain(b"".join(log.export_lines()).splitlines())
    return receipts


@settings(max_examples=soak(150, 3000), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=mutated_event())
def test_api_append_of_mutated_events(api_log, event):
    got = _append_checked(api_log, [event])
    if got is not None:
        assert not _has(event, _non_finite), "NaN/Infinity must be refused, not stored as null"
        assert not _has(event, _surrogate)


@settings(max_examples=soak(150, 3000), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES)
def test_api_append_of_arbitrary_values(api_log, value):
    """Not an event at all, or an event with arbitrary data: refused (the log as it was), or
    stored exactly as given."""
    got = _append_checked(api_log, [value])
    if not isinstance(value, dict):
        assert got is None
    _append_checked(api_log, [{"type": "accounts_blocked", "stream": STREAM,
                               "occurred_at": "2021-02-02", "data": value}])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")],
                         ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("field", ["data.count", "data.scope", "actor", "id", "confidence",
                                   "sources.0.url"])
def test_api_refuses_non_finite_floats_anywhere(api_log, value, field):
    """NaN and the infinities are not JSON: msgspec would write them as null, and a null
    optional field is left out, so without a check the value would vanish silently."""
    event = {"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-03",
             "data": {"order_id": "O-1", "targets": ["@a"]},
             "sources": [{"title": "t", "url": "https://example.org/x"}]}
    parts = field.split(".")
    target = event
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    target[parts[-1]] = value
    before = b"".join(api_log.export_lines())
    with pytest.raises(DocketError):
        api_log.append([event])
    assert b"".join(api_log.export_lines()) == before


@pytest.mark.parametrize("depth", [100_000])
def test_api_refuses_deep_nesting(api_log, depth):
    nested: list = []
    for _ in range(depth):
        nested = [nested]
    before = b"".join(api_log.export_lines())
    for event in ({"type": "meeting_held", "stream": STREAM, "occurred_at": "2021-02-01",
                   "data": {"participants": nested}},
                  {"type": "meeting_held", "stream": STREAM, "occurred_at": "2021-02-01",
                   "data": {"participants": ["a"]}, "actor": nested}):
        with pytest.raises(DocketError):
            api_log.append([event])
    assert b"".join(api_log.export_lines()) == before


# -- every command's options, in-process -------------------------------------------------------

@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    db = folder / "docket.db"
    log = EventLog(str(db))
    log.append([
        {"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01", "id": "o1",
         "data": {"order_id": "O-1", "issuer": "G", "platform": "P", "targets": ["@a"]}},
        {"type": "notice_sent", "stream": STREAM, "occurred_at": "2021-02-02", "id": "n1",
         "data": {"notice_id": "N-1", "kind": "final", "issuer": "G", "recipient": "P"}},
        {"type": "dialogue_requested", "stream": "other", "occurred_at": "2021-02-03",
         "data": {"by": "P", "addressee": "G"}},
    ])
    log.close()
    return folder




def as_argv(text: str) -> str:
    """What a process gets for `text` written as UTF-8 (lone surrogates as CESU-8) on its
    command line: Python decodes argv with surrogateescape, so bytes that are not UTF-8
    arrive as U+DC80..U+DCFF."""
    return os.fsdecode(text.encode("utf-8", "surrogatepass"))


# An argument on a real command line cannot hold a NUL (argv elements are C strings).
OPT_TEXT = NASTY_TEXT.filter(lambda t: "\x00" not in t).map(as_argv)
TIMES = st.one_of(st.sampled_from(["2021-02-01", "2021-02-02T10:00:00+05:30", "2021-02-30",
                                   "2021-02-01T10:00:00", "9999-12-31", "0001-01-01",
                                   "2024-02-29", "2023-02-29"]), OPT_TEXT)
STREAMS = st.one_of(st.sampled_from([STREAM, "other", "nope", "UPPER", ""]), OPT_TEXT)
ARG = st.one_of(TIMES, STREAMS, BIG_INTS.map(str), JSON_VALUES.map(
    lambda v: json.dumps(v, ensure_ascii=False)).filter(lambda t: "\x00" not in t).map(as_argv))


@st.composite
def command_line(draw) -> list[str]:
    """A random command with random values for its options."""
    def maybe(flag, strategy):
        return [flag, draw(strategy)] if draw(st.booleans()) else []

    name = draw(st.sampled_from(["append", "state", "compliance", "log", "diff", "why",
                                 "export", "verify", "import", "rebuild", "checkpoint"]))
    args = [name]
    if name == "append":
        args += ["--type", draw(st.one_of(st.sampled_from(
            ["dialogue_requested", "accounts_blocked", "order_issued"]), OPT_TEXT))]
        args += ["--occurred-at", draw(TIMES), "--data", draw(st.one_of(
            st.just('{"by": "T", "addressee": "M"}'),
            JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)).filter(
                lambda t: "\x00" not in t).map(as_argv),
            JSON_VALUES.map(lambda v: json.dumps({"by": v, "addressee": "M"})),
            OPT_TEXT))]
        args += maybe("--stream", STREAMS) + maybe("--actor", OPT_TEXT)
        args += maybe("--id", OPT_TEXT) + maybe("--expected-version", ARG)
        args += maybe("--confidence", st.one_of(st.just("confirmed"), OPT_TEXT))
    elif name in ("state", "compliance", "log", "why"):
        if name == "why":
            args.append(draw(st.one_of(st.sampled_from(["O-1", "N-1", "@a"]), OPT_TEXT)))
        args += maybe("--stream", STREAMS) + maybe("--as-of", TIMES)
        args += maybe("--known-at", TIMES)
        if name == "log":
            args += maybe("--from", TIMES)
        args += draw(st.sampled_from([[], ["--json"], ["--csv"]]))
    elif name == "diff":
        args += ["--from", draw(TIMES), "--to", draw(TIMES)]
        args += maybe("--stream", STREAMS) + maybe("--known-at", TIMES)
    elif name == "export":
        args += maybe("--stream", STREAMS)
    elif name == "verify":
        args += maybe("--checkpoint", OPT_TEXT) + maybe("--projections", OPT_TEXT)
    elif name == "import":
        args.append(draw(OPT_TEXT))
    if draw(st.integers(0, 9)) == 0:  # now and then an unknown option or a stray argument
        args.insert(draw(st.integers(1, len(args))), draw(st.sampled_from(
            ["--bogus", "--json=1", "extra", "--", "-"])))
    return args


def assert_clean(code: int, out: str, err: str, args) -> None:
    assert code in (0, 1, 2, 3), (args, code, err)
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    if code != 0:
        assert err.startswith("Error: ") and err.endswith("\n"), (args, err)
        assert "\n" not in err[:-1] and "\r" not in err, f"more than one line: {err!r}"


@settings(max_examples=soak(150, 3000), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=command_line())
def test_every_command_on_random_options(cli_db, args):
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "docket.db"
        db.write_bytes((cli_db / "docket.db").read_bytes())
        before = export_of(db)
        full = [*args, "--db", str(db)]
        code, out, err = invoke(*full, input=b"")
        assert_clean(code, out, err, full)
        after = export_of(db)
        if code != 0 or args[0] != "append":
            assert after == before, (full, code, err)
        else:
            assert after.startswith(before) and len(after.splitlines()) == 4


# -- in subprocesses: the real executable ------------------------------------------------------

def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _line(data: bytes, kind: bytes = b"dialogue_requested") -> bytes:
    return (b'{"type":"' + kind + b'","stream":"' + STREAM.encode()
            + b'","occurred_at":"2021-02-05","data":' + data + b"}")


HOSTILE_FILES = {
    "100k nested arrays": _nested(100_000),
    "100k nested arrays in data": _line(b'{"by":' + _nested(100_000) + b',"addressee":"M"}'),
    "100k nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "line over 16 MiB": _line(b'{"by":"' + b"x" * (MAX_LINE + 1) + b'","addressee":"M"}'),
    "lone surrogate escape": _line(b'{"by":"\\ud800","addressee":"M"}'),
    "lone low surrogate escape": _line(b'{"by":"ok\\udc00","addressee":"M"}'),
    "raw CESU-8 surrogate": _line(b'{"by":"\xed\xa0\x80","addressee":"M"}'),
    "raw NUL byte": _line(b'{"by":"a\x00b","addressee":"M"}'),
    "number beyond 2^63": _line(b'{"count":' + str(2**63).encode() + b"}", b"accounts_blocked"),
    "number beyond 2^64 negative": _line(b'{"count":-' + str(2**64).encode() + b"}",
                                         b"accounts_blocked"),
    "number 1e400": _line(b'{"count":1e400}', b"accounts_blocked"),
    "NaN literal": _line(b'{"count":NaN}', b"accounts_blocked"),
    "text over the limit": _line(b'{"by":"' + b"x" * (CATALOG_MAX_TEXT + 1)
                                 + b'","addressee":"M"}'),
    "list over the limit": _line(json.dumps({"targets": ["@x"] * (CATALOG_MAX_LIST + 1)})
                                 .encode(), b"accounts_blocked"),
}


# These run through the real executable too; the rest in-process (the same command code).
HOSTILE_IN_SUBPROCESS = {("100k nested arrays", "append"), ("100k nested objects", "import"),
                         ("line over 16 MiB", "append"), ("raw CESU-8 surrogate", "import"),
                         ("NaN literal", "append")}


def _run_file(folder: Path, template: Path, command: str, payload: bytes, runner):
    folder.mkdir()
    db = folder / "docket.db"
    db.write_bytes(template.read_bytes())
    good = json.dumps({"type": "dialogue_requested", "stream": STREAM,
                       "occurred_at": "2021-02-04", "id": "good-before",
                       "data": {"by": "T", "addressee": "M"}}).encode()
    (folder / "in.jsonl").write_bytes(good + b"\n" + payload + b"\n")
    code, out, err = runner(command, "--db", db, folder / "in.jsonl")
    return code, out, err, db.read_bytes(), export_of(db)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tpl")
    db = folder / "docket.db"
    log = EventLog(str(db))
    log.append([{"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01",
                 "data": {"order_id": "O-1", "issuer": "G", "platform": "P"}}])
    log.close()
    return db


HOSTILE_RUNS = [(name, command, mode) for name in HOSTILE_FILES for command in ("append", "import")
                for mode in ("in-process", "subprocess")
                if mode == "in-process" or (name, command) in HOSTILE_IN_SUBPROCESS]


@pytest.fixture(scope="module")
def hostile_results(template, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    out = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {key: pool.submit(_run_file, root / f"s{i}", template, key[1],
                                 HOSTILE_FILES[key[0]], run)
                for i, key in enumerate(HOSTILE_RUNS) if key[2] == "subprocess"}
        for i, key in enumerate(HOSTILE_RUNS):
            if key[2] == "in-process":
                out[key] = _run_file(root / f"i{i}", template, key[1], HOSTILE_FILES[key[0]],
                                     invoke)
        out.update({key: job.result() for key, job in jobs.items()})
    return out


@pytest.mark.parametrize("name,command,mode", HOSTILE_RUNS,
                         ids=[f"{m}: {c}: {n}" for n, c, m in HOSTILE_RUNS])
def test_hostile_file_is_refused_whole(hostile_results, template, name, command, mode):
    code, out, err, after_bytes, after_export = hostile_results[(name, command, mode)]
    assert_clean(code, out, err, name)
    assert code == 1, err
    assert "line 2" in err, err  # the good line 1 is not blamed, the hostile line 2 is
    assert out == ""
    assert after_bytes == template.read_bytes()


def test_nul_escape_and_astral_text_are_stored_exactly(run_docket, tmp_path):
    """The other side: hostile-looking but valid text is kept byte for byte."""
    db = tmp_path / "docket.db"
    text = "a\x00b\u2028c💥\x1b[0m\\\"'" + "é" * 50
    event = {"type": "dialogue_requested", "stream": STREAM, "occurred_at": "2021-02-04",
             "id": "nul", "data": {"by": text, "addressee": "x" * CATALOG_MAX_TEXT}}
    (tmp_path / "in.jsonl").write_bytes(json.dumps(event).encode() + b"\n")
    code, out, err = run_docket("append", "--db", db, tmp_path / "in.jsonl")
    assert code == 0, err
    [record] = check_chain(export_of(db).splitlines())
    assert record["data"] == event["data"]
    assert canonical_json(record).count(b"\\u0000") == 1


BAD_ARGS = [
    # (argv as bytes, the exit code, a fragment of the message)
    ([b"state", b"--stream", b"\xff"], 1, "--stream"),
    ([b"why", b"\xff\xfe", b"--stream", STREAM.encode()], 1, None),
    ([b"append", b"--type", b"dialogue_requested", b"--stream", STREAM.encode(),
      b"--occurred-at", b"2021-02-05", b"--data", b'{"by":"\xff","addressee":"M"}'], 1, "data"),
    ([b"append", b"--type", b"dialogue_requested", b"--stream", STREAM.encode(),
      b"--occurred-at", b"2021-02-05", b"--actor", b"\xc3\x28",
      b"--data", b'{"by":"T","addressee":"M"}'], 1, "actor"),
    ([b"append", b"--type", b"dialogue_requested", b"--stream", STREAM.encode(),
      b"--occurred-at", b"2021-02-05", b"--data", _nested(60_000)], 1, "nested"),
    ([b"append", b"--type", b"dialogue_requested", b"--stream", STREAM.encode(),
      b"--occurred-at", b"2021-02-05", b"--data", b'{"by":"T","addressee":"M"}',
      b"--expected-version", str(2**64).encode()], 2, "--expected-version"),
    ([b"append", b"--type", b"accounts_blocked", b"--stream", STREAM.encode(),
      b"--occurred-at", b"2021-02-05", b"--data", b'{"count":' + str(2**63).encode() + b"}"],
     1, "count"),
    ([b"log", b"--from", b"x" * 100_000], 1, "--from"),
    ([b"diff", b"--from", b"2021-02-01", b"--to", b"\xed\xa0\x80"], 1, "--to"),
]


def _run_bytes(args: list[bytes], db: Path):
    proc = subprocess.run([os.fsencode(DOCKET), *args, b"--db", os.fsencode(db)],
                          capture_output=True, env=_env(None), timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), \
        proc.stderr.decode("utf-8", "replace")


def test_non_utf8_and_huge_arguments(template, tmp_path):
    """Arguments are bytes on Linux: non-UTF-8 ones, lone surrogates (CESU-8), 100 kB ones and
    60 000 nested arrays are each one `Error:` line, with the right exit code."""
    def one(i_args):
        i, (args, _, _) = i_args
        db = tmp_path / f"d{i}.db"
        db.write_bytes(template.read_bytes())
        return (*_run_bytes(args, db), db.read_bytes())

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, enumerate(BAD_ARGS)))
    for (args, want, fragment), (code, out, err, after) in zip(BAD_ARGS, results):
        assert_clean(code, out, err, args[:2])
        assert code == want, (args[:2], err)
        if fragment is not None:
            assert fragment in err, (args[:2], err)
        assert after == template.read_bytes()


def test_non_utf8_file_and_db_names_are_fine(run_docket, tmp_path):
    """A file name is bytes, not text: a name that is not UTF-8 must still work."""
    folder = os.fsencode(tmp_path)
    src = folder + b"/in-\xff.jsonl"
    db = folder + b"/log-\xfe.db"
    with open(src, "wb") as f:
        f.write(json.dumps({"type": "dialogue_requested", "stream": STREAM,
                            "occurred_at": "2021-02-05", "data": {"by": "T", "addressee": "M"}})
                .encode() + b"\n")
    proc = subprocess.run([os.fsencode(DOCKET), b"append", b"--db", db, src],
                          capture_output=True, env=_env(None), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["seq"] == 1
    proc = subprocess.run([os.fsencode(DOCKET), b"export", b"--db", db, b"-o",
                           folder + b"/out-\xfd.jsonl"], capture_output=True, env=_env(None))
    assert proc.returncode == 0, proc.stderr
    assert len(check_chain(open(folder + b"/out-\xfd.jsonl", "rb").read().splitlines())) == 1


@settings(max_examples=soak(4, 80), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(
    st.binary(min_size=1, max_size=60).filter(lambda b: b"\n" not in b and b.strip()),
    st.builds(_to_bytes, JSON_VALUES, st.booleans()),
    st.builds(_to_bytes, mutated_event(), st.booleans()),
), min_size=1, max_size=4))
def test_random_files_through_the_executable(template, lines):
    """A few random files through the real `docket append` and `docket import`."""
    assume(all(b"\n" not in line and b"\r" not in line for line in lines))
    with tempfile.TemporaryDirectory() as folder:
        for command in ("append", "import"):
            db = Path(folder) / f"{command}.db"
            db.write_bytes(template.read_bytes())
            (Path(folder) / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
            code, out, err = run(command, "--db", db, Path(folder) / "in.jsonl")
            assert_clean(code, out, err, lines)
            if code != 0:
                assert db.read_bytes() == template.read_bytes()
            else:
                check_chain(export_of(db).splitlines())
