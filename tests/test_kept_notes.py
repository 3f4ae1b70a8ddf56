"""Whose word a kept signed checkpoint is (audit/kept.py, signing.py), on both backends.

An auditor's review found that a note altered in the log's table was blamed on the events
("an event at or before seq N was changed"), and that a note added to the table under
another key of the log's name was reported only while the log stayed at its size, then
went quiet, and `prove` handed it out. Now: with the log's verifier key every kept note's
signature is checked; without it every note must be signed by the key of the first; a
note whose root and head disagree on a sound chain is said to be altered, not the events;
`prove`, `prove --old`, `checkpoint --sign` and `cosign` refuse such notes."""

from __future__ import annotations

import base64

import pytest

from docket import EventLog
from docket.audit.keys import generate, write_key_file
from docket.audit.note import sign_note, split_note
from docket.audit.signing import cosign
from docket.errors import AuditError, InvalidProof, ProofArgument

S = "s"
ORIGIN = "example.org/takedowns"
EVENTS = [
    {"type": "order_issued", "stream": S, "occurred_at": "2021-02-01", "id": "o",
     "data": {"order_id": "O-1", "issuer": "G", "platform": "X", "targets": ["@a", "@b"]}},
    {"type": "accounts_blocked", "stream": S, "occurred_at": "2021-02-02", "id": "b",
     "data": {"order_id": "O-1", "targets": ["@a"]}},
]
MORE = {"type": "meeting_held", "stream": S, "occurred_at": "2021-02-04", "id": "m",
        "data": {"participants": ["G", "X"]}}


def _key(tmp_path, name: str, witness: bool = False):
    signer = generate(ORIGIN if not witness else "witness.example", witness=witness)
    path = tmp_path / name
    write_key_file(str(path), signer)
    return str(path), signer


@pytest.fixture
def signed(backend, tmp_path):
    """A log with two kept notes (sizes 2 and 3) signed by the log's key; a forger's key of
    the same name; the log's verifier key text."""
    key_path, signer = _key(tmp_path, "log.key")
    _, forger = _key(tmp_path, "forger.key")
    log = EventLog(backend)
    log.append(EVENTS)
    first = log.sign_checkpoint(key_path)
    log.append([MORE])
    second = log.sign_checkpoint(key_path)
    log.close()
    return {"db": backend, "key_path": key_path, "vkey": signer.verifier.vkey,
            "forger": forger, "notes": [first, second], "tmp": tmp_path}


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _add_note(raw_sql, db, size: int, note: str) -> None:
    raw_sql(db, f"INSERT INTO docket_checkpoints (size, note) VALUES ({size}, {_sql_text(note)})")


def _rewrite_note(raw_sql, backend_kind, db, position: int, note: str) -> None:
    """Change kept note #position past Docket, its immutability trigger off for the time."""
    update = f"UPDATE docket_checkpoints SET note = {_sql_text(note)} WHERE position = {position}"
    if backend_kind == "postgres":
        raw_sql(db, "ALTER TABLE docket_checkpoints DISABLE TRIGGER docket_checkpoints_no_update")
        raw_sql(db, update)
        raw_sql(db, "ALTER TABLE docket_checkpoints ENABLE TRIGGER docket_checkpoints_no_update")
        return
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = "
                       "'docket_checkpoints_no_update'").fetchone()[0]
    conn.execute("DROP TRIGGER docket_checkpoints_no_update")
    conn.execute(update)
    conn.execute(ddl)
    conn.close()


def _verify(db, **kw) -> list[dict]:
    log = EventLog(db)
    try:
        report = log.verify(**kw)
    finally:
        log.close()
    assert report["ok"] == (not report["problems"])
    return report["problems"]


def _forged(signed, text_of: str) -> str:
    """The text of note `text_of`, signed by the forger's key (the log's name, another id)."""
    return sign_note(split_note(text_of)[0], [signed["forger"]])


def test_the_kept_notes_pass_with_and_without_the_key(signed):
    assert _verify(signed["db"]) == []
    assert _verify(signed["db"], key=signed["vkey"]) == []


def test_a_note_added_under_another_key_is_reported_and_never_handed_out(signed, raw_sql):
    db = signed["db"]
    _add_note(raw_sql, db, 3, _forged(signed, signed["notes"][1]))
    without = _verify(db)
    assert [(p["kind"], p["row"]) for p in without] == [("checkpoint", {"position": 3})]
    assert "a note added to the table" in without[0]["message"]
    with_key = _verify(db, key=signed["vkey"])
    assert [p["row"] for p in with_key] == [{"position": 3}]
    assert "no signature by a known key" in with_key[0]["message"]
    log = EventLog(db)
    try:
        with pytest.raises(AuditError, match="signed checkpoint #3 .* not handed out"):
            log.prove("b")
        with pytest.raises(AuditError, match="signed checkpoint #3"):
            log.consistency_proof(signed["notes"][0])
        # a note the auditor holds still proves the event
        assert log.prove("b", signed["notes"][1]).startswith("c2sp.org/tlog-proof@v1")
        with pytest.raises(AuditError, match="refusing to sign after a kept note this key did "
                                             "not sign"):
            log.sign_checkpoint(signed["key_path"])
        assert len(log.signed_checkpoints()) == 3
    finally:
        log.close()


def test_a_forged_note_stays_reported_after_the_log_grows(signed, raw_sql):
    # Its views line is wrong: at the log's size only the fingerprint could have told.
    text = split_note(signed["notes"][1])[0]
    lines = text.split("\n")
    lines[4] = "docket-views sha256:" + "0" * 64
    _add_note(raw_sql, signed["db"], 3, sign_note("\n".join(lines), [signed["forger"]]))
    log = EventLog(signed["db"])
    log.append([{**MORE, "id": "m2"}])
    log.close()
    for kw in ({}, {"key": signed["vkey"]}):
        found = _verify(signed["db"], **kw)
        assert [p["row"] for p in found] == [{"position": 3}], kw


@pytest.mark.parametrize("line", ["root", "head"])
@pytest.mark.parametrize("position", [1, 2])
def test_an_altered_note_is_blamed_on_the_note_not_the_events(signed, raw_sql, backend_kind,
                                                               line, position):
    note = signed["notes"][position - 1]
    lines = note.split("\n")
    if line == "root":
        lines[2] = base64.b64encode(bytes(32)).decode()
    else:
        lines[3] = "docket-head " + "ab" * 32
    _rewrite_note(raw_sql, backend_kind, signed["db"], position, "\n".join(lines))
    size = position + 1
    without = _verify(signed["db"])
    assert [(p["row"], p["seq"]) for p in without] == [({"position": position}, size)]
    other = "head" if line == "root" else "root"
    assert (f"its note's {line} is not the log's at seq {size}, yet its {other} is: the note "
            "was altered after it was signed, not the events") in without[0]["message"]
    with_key = _verify(signed["db"], key=signed["vkey"])
    assert [p["row"] for p in with_key] == [{"position": position}]
    assert "does not verify: the note was changed after it was signed" in \
        with_key[0]["message"]
    if position == 2:  # the last note: the next signature would extend an altered note
        log = EventLog(signed["db"])
        try:
            with pytest.raises(AuditError, match="does not verify"):
                log.sign_checkpoint(signed["key_path"])
        finally:
            log.close()


def test_events_changed_under_a_note_are_still_blamed_on_the_events(signed, raw_sql,
                                                                    backend_kind):
    # The note's head and root both differ from the log's: the bytes it signed are gone.
    note = signed["notes"][0]
    lines = note.split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    lines[3] = "docket-head " + "ab" * 32
    _rewrite_note(raw_sql, backend_kind, signed["db"], 1, "\n".join(lines))
    messages = [p["message"] for p in _verify(signed["db"])]
    assert len(messages) == 2 and not any("altered" in m for m in messages)
    assert "the log does not extend the signed checkpoint" in messages[1]


def test_the_key_must_be_the_logs(signed, tmp_path):
    _, witness = _key(tmp_path, "w.key", witness=True)
    log = EventLog(signed["db"])
    try:
        with pytest.raises(ProofArgument, match="a witness key") as caught:
            log.verify(key=witness.verifier.vkey)
        assert caught.value.argument == "key"
    finally:
        log.close()


def test_a_witness_without_the_log_key_refuses_another_keys_note(signed, tmp_path):
    w_path, _ = _key(tmp_path, "w.key", witness=True)
    old, new = signed["notes"]
    log = EventLog(signed["db"])
    try:
        assert cosign(new, old, w_path, log=log).startswith(new.split("\n\n")[0])
        with pytest.raises(InvalidProof, match="not signed by the key that signed the old"):
            cosign(_forged(signed, new), old, w_path, log=log)
    finally:
        log.close()
