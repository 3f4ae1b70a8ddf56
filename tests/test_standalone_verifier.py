"""tools/verify_docket.py: it imports nothing of docket; its canonical re-encoding of an
exported line equals the bytes Docket stored and hashed; its four commands accept what
Docket hands out; and any flipped bit of an exported line, a proof line or a note is
refused with one `Error:` line that says which part."""

from __future__ import annotations

import ast
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import event_stream
from verifier_tool import TOOL, load, run_tool

tool = load()
EVENTS = [
    {"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01", "id": "o1",
     "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
              "targets": ["@a", "#tag\u00e9", "https://x.example/\u2028p"]},
     "sources": [{"title": "tab\there \"quoted\" \\ \u0001 \u007f \U0001f600"}]},
    {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-02T10:00:00+05:30",
     "id": "b1", "data": {"order_id": "O-1", "targets": ["@a"]}},
    {"type": "statement_published", "stream": "s", "occurred_at": "2021-02-03", "id": "s1",
     "data": {"speaker": "Twitter", "summary": "line\nbreak and \u00ab\u00bb"}},
]


def test_the_tool_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(TOOL.read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module}
    assert "docket" not in names
    assert names <= {"__future__", "argparse", "base64", "binascii", "hashlib", "json", "os",
                     "re", "sys", "cryptography"}


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A log of three events, a signed checkpoint, a proof per event, a fourth event, a
    second checkpoint cosigned by a witness, the consistency proof between, the export."""
    work = tmp_path_factory.mktemp("signed")
    (work / "e.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    for args in (("import", "--db", "d.db", "e.jsonl"),
                 ("keygen", "--origin", "example.org/log", "-o", "log.key"),
                 ("keygen", "--witness", "--origin", "w.example", "-o", "w.key"),
                 ("checkpoint", "--db", "d.db", "--sign", "log.key", "-o", "old.note")):
        code, out, err = run(*args, cwd=work)
        assert code == 0, err
        if args[0] == "keygen":
            (work / (args[-1].split(".")[0] + ".vkey")).write_text(out)
    for ident in ("o1", "b1", "s1"):
        assert run("prove", "--db", "d.db", ident, "-o", f"{ident}.tlog-proof", cwd=work)[0] == 0
    more = {"type": "meeting_held", "stream": "s", "occurred_at": "2021-02-04", "id": "m1",
            "data": {"participants": ["A"]}}
    steps = [("append", "--db", "d.db", "-"),
             ("checkpoint", "--db", "d.db", "--sign", "log.key", "-o", "new.note"),
             ("prove", "--db", "d.db", "--old", "old.note", "-o", "c.proof"),
             ("cosign", "--key", "w.key", "--old", "old.note", "--proof", "c.proof", "-o",
              "cosigned.note", "new.note"),
             ("export", "--db", "d.db", "-o", "export.jsonl")]
    for args in steps:
        code, _, err = run(*args, cwd=work, input=json.dumps(more) + "\n")
        assert code == 0, err
    return work


def test_reencoding_equals_the_stored_bytes(signed):
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    conn = sqlite3.connect(signed / "d.db")
    stored = [bytes(b) for (b,) in conn.execute("SELECT body FROM events ORDER BY seq")]
    conn.close()
    assert [tool.event_line(line, "line")[1] for line in lines] == stored


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_stream(max_size=8))
def test_reencoding_equals_the_stored_bytes_for_any_events(events):
    from docket.api import EventLog

    with tempfile.TemporaryDirectory() as folder:
        log = EventLog(os.path.join(folder, "d.db"))
        try:
            log.append(events)
            lines = list(log.export_lines())
            conn = sqlite3.connect(os.path.join(folder, "d.db"))
            stored = [bytes(b) for (b,) in conn.execute("SELECT body FROM events ORDER BY seq")]
            conn.close()
        finally:
            log.close()
    assert [tool.event_line(line, "line")[1] for line in lines] == stored


def test_every_command_accepts_what_docket_hands_out(signed):
    line = (signed / "export.jsonl").read_text(encoding="utf-8").split("\n")[1]
    for args, words in (
            (("chain", "export.jsonl"), "OK: 4 events"),
            (("checkpoint", "old.note", "--key", "log.vkey", "--export", "export.jsonl"),
             "size 3 signed; root and head recomputed from export.jsonl (3 of 4 events"),
            (("checkpoint", "cosigned.note", "--key", "log.vkey", "--witness", "w.vkey"),
             "cosigned by 1 witness\n"),
            (("proof", "b1.tlog-proof", "--event-line", line, "--key", "log.vkey"),
             "event 'b1' (seq 2) is in example.org/log at size 3"),
            (("consistency", "old.note", "cosigned.note", "--proof", "c.proof", "--key",
              "log.vkey"), "extends old.note (size 3)")):
        code, out, err = run_tool(*args, cwd=signed)
        assert (code, err) == (0, "") and words in out, (args, out, err)


@pytest.mark.parametrize("args, words", [
    (("checkpoint", "old.note", "--key", "w.vkey"), "log key"),
    (("checkpoint", "new.note", "--key", "log.vkey", "--witness", "w.vkey"), "0 of the 1"),
    (("proof", "o1.tlog-proof", "--event-line", "export.jsonl", "--key", "log.vkey"),
     "one exported line"),
    (("consistency", "new.note", "old.note", "--proof", "c.proof", "--key", "log.vkey"),
     "proves 3 to 4"),
    (("chain", "missing.jsonl"), "cannot read"),
])
def test_refusals_are_one_error_line(signed, args, words):
    code, out, err = run_tool(*args, cwd=signed)
    assert code == 1 and out == "" and err.startswith("Error: ") and err.count("\n") == 1
    assert words in err, err


def _flip(raw: bytes, data, at: list | None = None) -> bytes:
    i = data.draw(st.integers(0, len(raw) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    if at is not None:
        at.append(i)
    return raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1:]


class _Args:
    def __init__(self, folder: Path, **kw):
        self.key = (folder / "log.vkey").read_text().strip()
        self.witness, self.min_witnesses = [], None
        self.__dict__.update(kw)


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_bit_of_an_exported_line_is_refused(signed, data):
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    n = data.draw(st.integers(0, len(lines) - 1), label="line")
    flipped = _flip(lines[n].rstrip(b"\n"), data) + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.jsonl")
        with open(path, "wb") as fh:
            fh.write(b"".join(lines[:n] + [flipped] + lines[n + 1:]))
        with pytest.raises(tool.Refused, match=f"line {n + 1}"):
            tool.check_export(path)
    if n == 1:  # the event line of b1's proof
        with pytest.raises(tool.Refused, match="event line|another event") as caught:
            tool.cmd_proof(_Args(signed, proof=str(signed / "b1.tlog-proof"),
                                 event_line=flipped.decode("latin-1")
                                 if flipped.lstrip().startswith(b"{") else "{"))
        assert "event" in str(caught.value)


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_bit_of_a_tlog_proof_is_refused(signed, data):
    raw = (signed / "s1.tlog-proof").read_bytes()
    at: list[int] = []
    flipped = _flip(raw, data, at)
    line = (signed / "export.jsonl").read_text(encoding="utf-8").split("\n")[2]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "p.tlog-proof")
        with open(path, "wb") as fh:
            fh.write(flipped)
        with pytest.raises(tool.Refused) as caught:
            tool.cmd_proof(_Args(signed, proof=path, event_line=line))
    message = str(caught.value)
    assert message.startswith("proof "), message
    if at[0] > raw.index(b"\n\n") + 1:  # in the checkpoint note
        assert "checkpoint" in message or "UTF-8" in message, message
    else:  # the header, the index, a proof hash or the blank line
        assert any(w in message for w in ("line", "index", "inclusion proof", "another event",
                                          "tlog-proof", "checkpoint", "UTF-8")), message


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_bit_of_a_consistency_proof_is_refused(signed, data):
    raw = (signed / "c.proof").read_bytes()
    flipped = _flip(raw, data)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "c.proof")
        with open(path, "wb") as fh:
            fh.write(flipped)
        with pytest.raises(tool.Refused, match="consistency proof"):
            tool.cmd_consistency(_Args(signed, old=str(signed / "old.note"),
                                       new=str(signed / "new.note"), proof=path))


def test_an_escaped_lone_surrogate_is_one_error_line(signed):
    """JSON may escape a lone surrogate (\\ud800), which no UTF-8 text holds: the tool said
    so with a traceback (an auditor's review); now one `Error:` line, for the chain and for
    an event line given to `proof`."""
    lines = (signed / "export.jsonl").read_text(encoding="utf-8").split("\n")
    at = lines[1].index('"data":{') + len('"data":{') + 1
    lines[1] = lines[1][:at] + "\\ud800" + lines[1][at:]
    (signed / "surrogate.jsonl").write_text("\n".join(lines), encoding="utf-8")
    for args in (("chain", "surrogate.jsonl"),
                 ("proof", "b1.tlog-proof", "--event-line", lines[1], "--key", "log.vkey")):
        code, out, err = run_tool(*args, cwd=signed)
        assert (code, out) == (1, "") and err.count("\n") == 1, (args, err)
        assert "an escape of a lone surrogate (U+D800)" in err, err
        assert "Traceback" not in err


def test_the_published_vectors_run_through_the_tool(tmp_path):
    """`verify_docket.py vectors FOLDER` runs the RFC 6962 vectors through the tool's own
    proof checks (an auditor asked how to trust the checker itself): all 196 pass; a copy
    with one case's verdict flipped, or one case not a vector, is refused naming its file."""
    folder = Path(__file__).parent / "vectors" / "rfc6962"
    code, out, err = run_tool("vectors", str(folder))
    cases = sorted(folder.glob("*/**/*.json"))
    assert (code, err) == (0, "") and out == (
        f"OK: {len(cases)} vectors (98 inclusion, 98 consistency): each valid proof "
        "accepted, each broken one refused\n")
    for change, words in ((lambda case: {**case, "wantErr": not case["wantErr"]},
                           "this tool"), (lambda case: {"desc": "no fields"}, "not a")):
        copy = tmp_path / f"v{len(words)}"
        shutil.copytree(folder, copy)
        victim = copy / cases[7].relative_to(folder)
        victim.write_text(json.dumps(change(json.loads(victim.read_text()))))
        code, out, err = run_tool("vectors", str(copy))
        assert (code, out) == (1, "") and err.count("\n") == 1, err
        assert str(victim) in err and words in err, err
