"""`docket keygen`, `checkpoint --sign`, `prove`, `cosign` and `verify --key` end to end: the
installed command in a subprocess, exact exit codes, and for each bad input one `Error:`
line, exit 1 and the log byte for byte unchanged."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import time

import pytest
from conftest import file_bytes, run
from verifier_tool import run_tool

STREAM = "s1"
EVENTS = [
    {"type": "order_issued", "stream": STREAM, "occurred_at": "2021-02-01", "id": "o1",
     "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
              "targets": ["@a", "@b"]}},
    {"type": "accounts_blocked", "stream": STREAM, "occurred_at": "2021-02-02", "id": "b1",
     "data": {"order_id": "O-1", "targets": ["@a"]}},
    {"type": "statement_published", "stream": STREAM, "occurred_at": "2021-02-03", "id": "s1",
     "data": {"speaker": "Twitter", "summary": "we comply – «ça va»"}},
]
MORE = {"type": "meeting_held", "stream": STREAM, "occurred_at": "2021-02-04", "id": "m1",
        "data": {"participants": ["MeitY", "Twitter"]}}
ORIGIN = "example.org/takedowns"


def docket(work, *args):
    return run(*args, cwd=work)


def ok(work, *args) -> str:
    code, out, err = docket(work, *args)
    assert (code, err) == (0, ""), (args, code, err)
    return out


def one_error(work, *args, code=1) -> str:
    """Run a command that must fail with one `Error:` line and leave the log unchanged."""
    before = file_bytes(work / "d.db")
    got, out, err = docket(work, *args)
    assert got == code, (args, got, out, err)
    assert out == "" and err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert file_bytes(work / "d.db") == before
    return err


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The log and the two keys, made once by the commands themselves (three processes)."""
    folder = tmp_path_factory.mktemp("proofs")
    (folder / "events.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in EVENTS), encoding="utf-8")
    ok(folder, "import", "--db", "d.db", "events.jsonl")
    vkey = ok(folder, "keygen", "--origin", ORIGIN, "-o", "log.key")
    (folder / "log.vkey").write_text(vkey)
    wkey = ok(folder, "keygen", "--witness", "--origin", "witness.example", "-o", "w.key")
    (folder / "w.vkey").write_text(wkey)
    return folder


@pytest.fixture
def work(made, tmp_path):
    """A copy of them for each test (which may change any of them): modes kept."""
    shutil.copytree(made, tmp_path, dirs_exist_ok=True)
    return tmp_path


def sign(work, name="cp.note") -> str:
    note = ok(work, "checkpoint", "--db", "d.db", "--sign", "log.key")
    (work / name).write_text(note)
    return note


def append_more(work, event=MORE):
    code, _, err = run("append", "--db", "d.db", "-", input=json.dumps(event) + "\n", cwd=work)
    assert code == 0, err


# -- keygen ---------------------------------------------------------------------------------
def test_keygen_writes_a_private_file_and_prints_the_verifier_key(work):
    vkey = (work / "log.vkey").read_text()
    name, hex_id, key64 = vkey.strip().split("+", 2)
    raw = base64.b64decode(key64)
    assert name == ORIGIN and raw[0] == 1 and len(raw) == 33
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == hex_id
    assert stat.S_IMODE(os.stat(work / "log.key").st_mode) == 0o600
    secret = (work / "log.key").read_text()
    assert secret.startswith(f"PRIVATE+KEY+{ORIGIN}+{hex_id}+") and secret.count("\n") == 1
    seed64 = secret.strip().split("+", 4)[4]
    assert seed64 not in vkey
    wkey = (work / "w.vkey").read_text()
    assert base64.b64decode(wkey.strip().split("+", 2)[2])[0] == 4


def test_keygen_never_overwrites_and_refuses_bad_names(work):
    before = (work / "log.key").read_bytes()
    err = one_error(work, "keygen", "--origin", ORIGIN, "-o", "log.key")
    assert "already" in err and (work / "log.key").read_bytes() == before
    assert "--origin" in one_error(work, "keygen", "--origin", "has space", "-o", "k2")
    assert not (work / "k2").exists()


def test_key_file_with_loose_permissions_is_refused_without_showing_it(work):
    # PRIVATE+KEY+name+hash+key: the key's base64 may itself hold a "+", so split 4 times
    # (splitting at every "+" once left a tail of one digit, found in "mode 0640").
    secret = (work / "log.key").read_text().strip().split("+", 4)[4]
    for mode in (0o640, 0o604, 0o660):
        os.chmod(work / "log.key", mode)
        err = one_error(work, "checkpoint", "--db", "d.db", "--sign", "log.key")
        assert f"mode {mode:04o}" in err and "chmod 600" in err
        assert secret[:12] not in err
    os.chmod(work / "log.key", 0o600)
    sign(work)


def test_private_key_never_appears_in_any_output(work):
    secret = (work / "log.key").read_text().strip().split("+", 4)[4]
    outputs = [sign(work)]
    for args in (("verify", "--db", "d.db", "--checkpoint", "cp.note", "--key", "log.key"),
                 ("cosign", "--key", "log.key", "--old", "cp.note", "cp.note"),
                 ("verify", "--db", "d.db", "--checkpoint", "cp.note", "--key",
                  (work / "log.key").read_text().strip())):
        outputs += list(docket(work, *args)[1:])
    assert outputs[-1].startswith("Error: ") and "private" in outputs[-1]
    assert not any(secret[:12] in text for text in outputs)


# -- checkpoint --sign ----------------------------------------------------------------------
def test_signed_checkpoint_note_format_and_json_unchanged(work):
    point = json.loads(ok(work, "checkpoint", "--db", "d.db"))
    assert sorted(point) == ["fingerprint", "head", "root", "size", "version"]
    note = sign(work)
    text, sig = note.split("\n\n")
    root64 = base64.b64encode(bytes.fromhex(point["root"])).decode()
    assert text == (f"{ORIGIN}\n3\n{root64}\ndocket-head {point['head']}\n"
                    f"docket-views {point['fingerprint']}")
    hex_id = (work / "log.vkey").read_text().split("+")[1]
    assert sig.startswith(f"\u2014 {ORIGIN} ") and sig.endswith("\n") and sig.count("\n") == 1
    raw = base64.b64decode(sig.split(" ")[2])
    assert raw[:4].hex() == hex_id and len(raw) == 68
    as_json = json.loads(ok(work, "checkpoint", "--db", "d.db", "--sign", "log.key", "--json"))
    assert as_json["note"].split("\n\n")[0] == text and as_json["root"] == point["root"]
    assert ok(work, "checkpoint", "--db", "d.db") == json.dumps(point, indent=2,
                                                                 sort_keys=True) + "\n"


def test_signed_checkpoints_are_kept_append_only(work):
    first = sign(work)
    append_more(work)
    second = sign(work)
    conn = sqlite3.connect(work / "d.db")
    assert conn.execute("SELECT size, note FROM docket_checkpoints ORDER BY position").fetchall() \
        == [(3, first), (4, second)]
    for sql in ("UPDATE docket_checkpoints SET size = 9", "DELETE FROM docket_checkpoints"):
        with pytest.raises(sqlite3.IntegrityError, match="signed checkpoints"):
            conn.execute(sql)
    conn.close()
    assert ok(work, "verify", "--db", "d.db").startswith("OK: 4 events")


def test_verify_catches_a_rewrite_against_the_kept_notes(work):
    sign(work)
    append_more(work)
    conn = sqlite3.connect(work / "d.db", isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = CAST(replace(body, 'we comply', 'we refuse') AS BLOB) "
                 "WHERE seq = 3")
    conn.close()
    code, out, _ = docket(work, "verify", "--db", "d.db")
    assert code == 1
    assert "docket_checkpoints [position=1]: seq 3: the log does not extend the signed " \
           "checkpoint" in out
    assert "trigger events_no_update" in out


def test_signing_is_refused_when_the_log_no_longer_extends_the_last_note(work):
    sign(work)
    conn = sqlite3.connect(work / "d.db", isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET body = CAST(replace(body, 'we comply', 'we refuse') AS BLOB) "
                 "WHERE seq = 3")
    conn.close()
    err = one_error(work, "checkpoint", "--db", "d.db", "--sign", "log.key")
    assert "does not extend" in err and "refusing to sign" in err


def test_a_witness_key_does_not_sign_a_log_and_origins_stay(work):
    assert "witness key" in one_error(work, "checkpoint", "--db", "d.db", "--sign", "w.key")
    sign(work)
    ok(work, "keygen", "--origin", "other.example", "-o", "other.key")
    assert "signed as 'example.org/takedowns'" in one_error(
        work, "checkpoint", "--db", "d.db", "--sign", "other.key")


# -- verify --checkpoint NOTE --key ---------------------------------------------------------
def test_verify_a_signed_note_with_witnesses(work):
    sign(work, "old.note")
    append_more(work)
    sign(work, "new.note")
    ok(work, "prove", "--db", "d.db", "--old", "old.note", "--checkpoint", "new.note",
       "-o", "c.proof")
    cosigned = ok(work, "cosign", "--key", "w.key", "--old", "old.note", "--proof", "c.proof",
                  "--log-key", "log.vkey", "new.note")
    (work / "cosigned.note").write_text(cosigned)
    out = ok(work, "verify", "--db", "d.db", "--checkpoint", "cosigned.note", "--key",
             "log.vkey", "--witness", "w.vkey")
    assert out == ("OK: 4 events; chain, triggers, stored views, the kept notes' signatures "
                   "and checkpoint cosigned.note verified\n")
    # the old note, without a cosignature: enough with K = 0, refused with K = 1
    ok(work, "verify", "--db", "d.db", "--checkpoint", "old.note", "--key", "log.vkey",
       "--witness", "w.vkey", "--min-witnesses", "0")
    err = one_error(work, "verify", "--db", "d.db", "--checkpoint", "old.note", "--key",
                    "log.vkey", "--witness", "w.vkey")
    assert "0 of the 1 witness cosignatures" in err
    # today's JSON checkpoints still work
    ok(work, "checkpoint", "--db", "d.db", "-o", "cp.json")
    ok(work, "verify", "--db", "d.db", "--checkpoint", "cp.json")
    assert "not signed" in one_error(work, "verify", "--db", "d.db", "--checkpoint", "cp.json",
                                     "--key", "log.vkey", code=2)
    assert "--key" in one_error(work, "verify", "--db", "d.db", "--checkpoint", "new.note",
                                code=2)
    # witnesses without a note to cosign: a usage error, not an OK that checked none (a
    # script writer's review: `verify --min-witnesses 2` alone said OK)
    for extra in (["--min-witnesses", "2"], ["--witness", "w.vkey"]):
        assert "give --checkpoint" in one_error(work, "verify", "--db", "d.db", *extra, code=2)


def _mangle(work, note: str, name: str, change) -> str:
    (work / name).write_text(change(note), encoding="utf-8")
    return name


BAD_NOTES = {
    "wrong-origin": (lambda n: n.replace(ORIGIN + "\n", "example.org/other\n", 1), "origin"),
    "missing-blank-line": (lambda n: n.replace("\n\n", "\n"), "blank line"),
    "bad-base64": (lambda n: n[:-10] + "!" + n[-9:], "not base64"),
    "unknown-key-only": (lambda n: n.split("\u2014")[0] + "\u2014 someone.else AAAAAAAAAA==\n",
                         "no signature by a known key"),
    "changed-size": (lambda n: n.replace("\n3\n", "\n2\n", 1), "does not verify"),
}


@pytest.mark.parametrize("kind", sorted(BAD_NOTES))
def test_bad_notes_are_one_error_each(work, kind):
    note = sign(work)
    change, words = BAD_NOTES[kind]
    name = _mangle(work, note, f"{kind}.note", change)
    err = one_error(work, "verify", "--db", "d.db", "--checkpoint", name, "--key", "log.vkey")
    assert words in err and name in err
    code, _, err = run_tool("checkpoint", name, "--key", "log.vkey", cwd=work)
    assert code == 1 and err.startswith("Error: ") and err.count("\n") == 1
    if kind in ("missing-blank-line", "bad-base64"):  # malformed: prove refuses it too
        one_error(work, "prove", "--db", "d.db", "o1", "--checkpoint", name)


def test_a_signature_by_an_unknown_key_beside_the_logs_is_ignored(work):
    note = sign(work)
    ok(work, "keygen", "--origin", "stranger", "-o", "s.key")
    stranger = note + "\u2014 stranger " + base64.b64encode(b"\x01\x02\x03\x04" + bytes(64)) \
        .decode() + "\n"
    (work / "s.note").write_text(stranger)
    ok(work, "verify", "--db", "d.db", "--checkpoint", "s.note", "--key", "log.vkey")


# -- prove ----------------------------------------------------------------------------------
def test_prove_writes_a_tlog_proof_the_standalone_tool_accepts(work):
    note = sign(work)
    ok(work, "export", "--db", "d.db", "-o", "export.jsonl")
    text = (work / "export.jsonl").read_text(encoding="utf-8")
    lines = [line + "\n" for line in text.split("\n")[:-1]]  # not splitlines: U+2028 is text
    for i, event_id in enumerate(("o1", "b1", "s1")):
        proof = ok(work, "prove", "--db", "d.db", event_id)
        head, blank, rest = proof.partition("\n\n")
        assert rest == note and head.split("\n")[:2] == ["c2sp.org/tlog-proof@v1", f"index {i}"]
        (work / f"{event_id}.tlog-proof").write_text(proof, encoding="utf-8")
        (work / f"{event_id}.jsonl").write_text(lines[i], encoding="utf-8")
        code, out, err = run_tool("proof", f"{event_id}.tlog-proof", "--event-line",
                                  f"{event_id}.jsonl", "--key", "log.vkey", cwd=work)
        assert (code, err) == (0, "") and f"(seq {i + 1})" in out
    # a proof for another event: refused
    code, _, err = run_tool("proof", "o1.tlog-proof", "--event-line", "b1.jsonl", "--key",
                            "log.vkey", cwd=work)
    assert code == 1 and "another event" in err and err.count("\n") == 1


def test_prove_uses_the_latest_covering_note_and_refuses_beyond_it(work):
    assert "no signed checkpoint covers" in one_error(work, "prove", "--db", "d.db", "o1")
    sign(work, "old.note")
    append_more(work)
    err = one_error(work, "prove", "--db", "d.db", "m1")
    assert "no signed checkpoint covers event 'm1' (seq 4; the latest covers 3" in err
    assert "beyond" in one_error(work, "prove", "--db", "d.db", "m1", "--checkpoint", "old.note")
    assert "no event" in one_error(work, "prove", "--db", "d.db", "nope")
    new = sign(work, "new.note")
    assert ok(work, "prove", "--db", "d.db", "o1").endswith(new)
    ok(work, "prove", "--db", "d.db", "m1", "-o", "m1.tlog-proof")
    assert (work / "m1.tlog-proof").read_text().endswith(new)


def test_prove_refuses_a_note_of_another_log(work, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    (other / "e.jsonl").write_text(json.dumps({**EVENTS[0], "id": "x"}) + "\n")
    ok(other, "import", "--db", "d.db", "e.jsonl")
    ok(other, "keygen", "--origin", ORIGIN, "-o", "k")
    (work / "foreign.note").write_text(ok(other, "checkpoint", "--db", "d.db", "--sign", "k"))
    assert "not this log's" in one_error(work, "prove", "--db", "d.db", "o1", "--checkpoint",
                                         "foreign.note")


# -- cosign ---------------------------------------------------------------------------------
def test_cosign_adds_one_cosignature_line(work):
    sign(work, "old.note")
    append_more(work)
    new = sign(work, "new.note")
    before = int(time.time())
    out = ok(work, "cosign", "--key", "w.key", "--old", "old.note", "--db", "d.db", "new.note")
    after = int(time.time())
    assert out.startswith(new) and out.count("\n") == new.count("\n") + 1
    last = out.splitlines()[-1]
    name, sig64 = last.split(" ")[1:]
    raw = base64.b64decode(sig64)
    assert name == "witness.example" and len(raw) == 4 + 8 + 64
    assert raw[:4].hex() == (work / "w.vkey").read_text().split("+")[1]
    assert before <= int.from_bytes(raw[4:12], "big") <= after
    # cosigning again replaces this witness's line instead of adding a second
    (work / "once.note").write_text(out)
    again = ok(work, "cosign", "--key", "w.key", "--old", "old.note", "--db", "d.db",
               "once.note")
    assert again.count("witness.example") == 1


def test_cosign_refuses_a_fork_and_a_truncated_proof(work, tmp_path_factory):
    sign(work, "old.note")
    append_more(work)
    sign(work, "new.note")
    ok(work, "prove", "--db", "d.db", "--old", "old.note", "-o", "c.proof")
    # a fork: another log with the same key and origin, and other events
    fork = tmp_path_factory.mktemp("fork")
    (fork / "e.jsonl").write_text("".join(json.dumps({**e, "id": e["id"] + "x"}) + "\n"
                                          for e in EVENTS + [MORE]))
    ok(fork, "import", "--db", "d.db", "e.jsonl")
    os.link(work / "log.key", fork / "log.key")
    (work / "fork.note").write_text(ok(fork, "checkpoint", "--db", "d.db", "--sign", "log.key"))
    err = one_error(work, "cosign", "--key", "w.key", "--old", "old.note", "--proof", "c.proof",
                    "--log-key", "log.vkey", "fork.note")
    assert "does not extend" in err and "fork" in err
    assert "does not extend" in one_error(work, "cosign", "--key", "w.key", "--old", "old.note",
                                          "--db", "d.db", "fork.note")
    proof = (work / "c.proof").read_text()
    (work / "short.proof").write_text(proof[: len(proof) - 20])
    assert "--proof" in one_error(work, "cosign", "--key", "w.key", "--old", "old.note",
                                  "--proof", "short.proof", "new.note")
    (work / "fewer.proof").write_text("".join(proof.splitlines(keepends=True)[:-1]))
    assert "does not extend" in one_error(work, "cosign", "--key", "w.key", "--old", "old.note",
                                          "--proof", "fewer.proof", "new.note")
    assert "witness key" in one_error(work, "cosign", "--key", "log.key", "--old", "old.note",
                                      "--proof", "c.proof", "new.note")
    assert "fewer than the old checkpoint's 4" in one_error(
        work, "cosign", "--key", "w.key", "--old", "new.note", "--proof", "c.proof", "old.note")
    code, _, err = run_tool("consistency", "old.note", "new.note", "--proof", "short.proof",
                            "--key", "log.vkey", cwd=work)
    assert code == 1 and "truncated" in err
    assert run_tool("consistency", "old.note", "new.note", "--proof", "c.proof", "--key",
                    "log.vkey", cwd=work)[0] == 0


# -- who names what: the command its flags, the library its arguments -------------------------
def test_errors_name_the_flag_on_the_command_line_and_the_argument_in_the_library(work):
    from docket import EventLog
    from docket.errors import MissingArgument, ProofArgument

    sign(work, "old.note")
    append_more(work)
    sign(work, "new.note")
    (work / "bad.note").write_text("not a note\n")
    cases = [  # (command, the flag its message names, library call, the argument it names)
        (("checkpoint", "--db", "d.db", "--sign", "w.key"), "--sign w.key:",
         lambda log: log.sign_checkpoint(str(work / "w.key")), "key_path"),
        (("prove", "--db", "d.db", "--old", "bad.note"), "--old",
         lambda log: log.consistency_proof("not a note\n"), "old"),
        (("prove", "--db", "d.db", "--old", "old.note", "--checkpoint", "bad.note"),
         "--checkpoint", lambda log: log.consistency_proof(
             (work / "old.note").read_text(), "not a note\n"), "checkpoint"),
        (("verify", "--db", "d.db", "--checkpoint", "new.note", "--key", "w.vkey"),
         "--key witness.example:", lambda log: log.verify(
             str(work / "new.note"), key=str(work / "w.vkey")), "key"),
        (("verify", "--db", "d.db", "--checkpoint", "new.note", "--key", "log.vkey",
          "--witness", "w.vkey", "--min-witnesses", "2"), "--min-witnesses 2:",
         lambda log: log.verify(str(work / "new.note"), key=str(work / "log.vkey"),
                                witnesses=[str(work / "w.vkey")], min_witnesses=2),
         "min_witnesses"),
        (("cosign", "--key", "log.key", "--old", "old.note", "--db", "d.db", "new.note"),
         "--key log.key:", None, None),
    ]
    log = EventLog(str(work / "d.db"))
    for args, flag, call, argument in cases:
        err = one_error(work, *args)
        assert flag in err, (args, err)
        if call is None:
            continue
        with pytest.raises((ProofArgument, MissingArgument)) as caught:
            call(log)
        assert caught.value.argument == argument, (args, caught.value)
        # the library's message starts with its argument where the command's has its flag
        assert str(caught.value).startswith((argument + " ", argument + ":")), caught.value
        assert not str(caught.value).startswith("--"), caught.value
    err = one_error(work, "keygen", "--origin", "has space", "-o", "k.key")
    assert err.startswith("Error: --origin: 'has space' is not a key name"), err
    assert not (work / "k.key").exists()


@pytest.mark.parametrize("damage", ["last event deleted", "last hash rewritten"])
def test_a_write_refuses_a_log_that_lost_the_end_of_its_signed_checkpoint(work, damage):
    """Its last signed checkpoint says how far the log went and how it ended: a log that no
    longer holds that (events deleted from its end, the event there rewritten) takes no
    new event, which would reuse the seqs and fork the checkpoint an auditor holds."""
    sign(work)
    size = len(EVENTS)
    conn = sqlite3.connect(work / "d.db", isolation_level=None)
    saved = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        conn.execute(f"DROP TRIGGER {name}")
    if damage == "last event deleted":
        conn.execute("DELETE FROM events WHERE seq = ?", (size,))
        words = (f"its event at seq {size}, the last of the checkpoint it signed last, is "
                 "missing")
    else:
        conn.execute("UPDATE events SET hash = ? WHERE seq = ?", ("ab" * 32, size))
        words = f"its event at seq {size} is not the one the checkpoint it signed last ends with"
    for (sql,) in saved:
        conn.execute(sql)
    conn.close()
    (work / "more.jsonl").write_text(json.dumps(MORE) + "\n")
    err = one_error(work, "append", "--db", "d.db", "more.jsonl")
    assert words in err and "nothing was written" in err


def test_a_log_that_extends_its_signed_checkpoint_takes_new_events(work):
    sign(work)
    append_more(work)
    code, out, _ = docket(work, "verify", "--db", "d.db")
    assert code == 0


@pytest.mark.parametrize("damage", ["trigger dropped", "type column rewritten", "refs row deleted"])
def test_a_log_whose_own_audit_fails_is_not_signed(work, damage):
    """A signed note vouches for the log as it stands: one that `verify` finds a problem in
    is not signed (it was: only a log that no longer extends its last note was refused)."""
    conn = sqlite3.connect(work / "d.db", isolation_level=None)
    saved = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        conn.execute(f"DROP TRIGGER {name}")
    if damage == "type column rewritten":
        conn.execute("UPDATE events SET type = 'meeting_held' WHERE seq = 2")
    elif damage == "refs row deleted":
        conn.execute("DELETE FROM refs WHERE (stream, kind, ref_id) IN "
                     "(SELECT stream, kind, ref_id FROM refs LIMIT 1)")
    if damage != "trigger dropped":
        for (sql,) in saved:
            conn.execute(sql)
    conn.close()
    err = one_error(work, "checkpoint", "--db", "d.db", "--sign", "log.key")
    assert "refusing to sign: the log's own audit finds a problem" in err
    assert docket(work, "checkpoint", "--db", "d.db", "--json")[0] == 0  # unsigned: as before


def test_verify_with_the_log_key_alone_checks_the_kept_notes(work):
    """`verify --key VKEY` without --checkpoint checks every kept note's signature (a note
    added under another key of the log's name is reported, exit 1); --witness alone still
    needs a note to check cosignatures on."""
    sign(work)
    append_more(work)
    sign(work)
    assert ok(work, "verify", "--db", "d.db", "--key", "log.vkey") == (
        "OK: 4 events; chain, triggers, stored views and the kept notes' signatures verified\n")
    err = one_error(work, "verify", "--db", "d.db", "--witness", "w.vkey", code=2)
    assert "--checkpoint" in err
    ok(work, "keygen", "--origin", ORIGIN, "-o", "forger.key")
    conn = sqlite3.connect(work / "d.db")
    note = conn.execute("SELECT note FROM docket_checkpoints WHERE position = 2").fetchone()[0]
    conn.close()
    from docket.audit.keys import read_signer
    from docket.audit.note import sign_note

    forged = sign_note(note.split("\n\n")[0] + "\n", [read_signer(str(work / "forger.key"))])
    conn = sqlite3.connect(work / "d.db")
    with conn:
        conn.execute("INSERT INTO docket_checkpoints (size, note) VALUES (4, ?)", (forged,))
    conn.close()
    for args in ((), ("--key", "log.vkey")):
        code, out, err = docket(work, "verify", "--db", "d.db", *args)
        assert (code, err) == (1, ""), (args, out, err)
        assert out.startswith("docket_checkpoints [position=3]: ") and \
            out.endswith("FAILED: 1 problem in 4 events\n"), out
    err = one_error(work, "prove", "--db", "d.db", "m1")
    assert "not handed out" in err
