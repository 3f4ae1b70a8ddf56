"""The audit (SPEC §6 verify/checkpoint/project, §7): every kind of tampering is caught, at
the right seq, view row or file; an untouched log passes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import docket.stored.maintain
from docket.api import EventLog
from docket.audit import verify as audit
from docket.audit.checkpoint import ProofTree
from docket.codec import canonical
from docket.errors import AuditError
from docket.log import ZERO_HASH, chain_hash
from docket.merkle import consistency_proof, root
from docket.projection import initial
from docket.report.page import build_report
from docket.report.project import FILES
from docket.storage.sqlite import TRIGGERS
from docket.stored.snapshots import encode_state

S1, S2 = "s1", "s2"
SRC = [{"title": "a source", "url": "https://example.org/a"}]


def ev(type_, stream, at, ident, **data):
    return {"type": type_, "stream": stream, "occurred_at": at, "id": ident,
            "actor": "MeitY", "data": data, "sources": SRC}


# Five append batches (so recorded_at changes along the log), two streams, a backdated
# event, a retraction and a correction that moves an event.
BATCHES = [
    [ev("order_issued", S1, "2021-02-01", "o1", order_id="O-1", issuer="MeitY",
        platform="Twitter", targets=["@a", "@b", "@c"], deadline="2021-02-05"),
     ev("accounts_blocked", S1, "2021-02-02T10:00:00Z", "b1", order_id="O-1", targets=["@a"]),
     ev("notice_sent", S1, "2021-02-03", "n1", notice_id="N-1", kind="non_compliance",
        issuer="MeitY", recipient="Twitter", order_ids=["O-1"])],
    [ev("order_issued", S2, "2021-03-01", "p1", order_id="P-1", issuer="DoT",
        platform="Example", target_count=10),
     ev("accounts_blocked", S2, "2021-03-02", "p2", order_id="P-1", count=4)],
    [ev("acknowledgement_sent", S1, "2021-02-04", "k1", ref_id="N-1", by="Twitter"),
     ev("accounts_blocked", S1, "2021-02-01T20:00:00+05:30", "b2", order_id="O-1",
        targets=["@b"], scope="IN"),
     ev("statement_published", S1, "2021-02-05", "st1", speaker="Twitter", summary="we comply")],
    [ev("event_retracted", S1, "2021-02-06", "r1", target_id="st1", reason="misattributed"),
     ev("event_corrected", S1, "2021-02-06", "c1", target_id="b1", reason="the right day",
        occurred_at="2021-02-02T08:00:00Z")],
    [ev("compliance_reported", S2, "2021-03-03", "p3", order_id="P-1", actioned=4,
        specified=10, reporter="Example"),
     ev("accounts_unblocked", S2, "2021-03-04", "p4", order_id="P-1", count=2),
     ev("dialogue_requested", S2, "2021-03-05", "p5", by="Example", addressee="DoT"),
     ev("challenge_filed", S2, "2021-03-06", "p6", case_id="C-1", court="High Court",
        petitioner="Example", order_ids=["P-1"]),
     ev("ruling_issued", S2, "2021-03-07", "p7", case_id="C-1", court="High Court",
        outcome="dismissed")],
]
N = sum(len(b) for b in BATCHES)


def build(path, batches=BATCHES):
    log = EventLog(str(path))
    for batch in batches:
        log.append(batch)
    log.close()
    return str(path)


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    # Snapshots every 2 events, so that the audit of snapshots is exercised too.
    saved = docket.stored.maintain.SNAPSHOT_EVERY
    docket.stored.maintain.SNAPSHOT_EVERY = 2
    try:
        return build(tmp_path_factory.mktemp("master") / "docket.db")
    finally:
        docket.stored.maintain.SNAPSHOT_EVERY = saved


def copy_of(master: str, folder: Path) -> str:
    """A private copy of a log (SQLite's backup: what its -wal file holds included)."""
    path = str(folder / "docket.db")
    src, dst = sqlite3.connect(master), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return path


@pytest.fixture
def db(master, tmp_path):
    """A private copy of the master log."""
    return copy_of(master, tmp_path)


@contextlib.contextmanager
def tampering(path):
    """A raw sqlite3 connection with the immutability triggers dropped, restored after."""
    conn = sqlite3.connect(path, isolation_level=None)
    saved = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield conn
    finally:
        for (sql,) in saved:
            conn.execute(sql)
        conn.close()


def verify(path, **kwargs):
    log = EventLog(path, create=False)
    try:
        return log.verify(**kwargs)
    finally:
        log.close()


def checkpoint_of(path):
    log = EventLog(path, create=False)
    try:
        return log.checkpoint()
    finally:
        log.close()


def rows(path):
    conn = sqlite3.connect(path)
    out = conn.execute("SELECT seq, body, hash FROM events ORDER BY seq").fetchall()
    conn.close()
    return out


def chain(report, kind="chain"):
    return [p for p in report["problems"] if p["kind"] == kind]


def rewrite(conn, seq, change):
    """Rewrite event `seq` with `change(record)` and recompute every later prev_hash and hash,
    as an attacker who knows the format would."""
    prev = conn.execute("SELECT hash FROM events WHERE seq = ?", (seq - 1,)).fetchone()
    prev = prev[0] if prev else ZERO_HASH
    for s, body in conn.execute("SELECT seq, body FROM events WHERE seq >= ? ORDER BY seq",
                                (seq,)).fetchall():
        record = msgspec.json.decode(body)
        if s == seq:
            change(record)
        record["prev_hash"] = prev
        body = canonical(record)
        prev = chain_hash(prev, body)
        conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = ?", (body, prev, s))


# -- untouched ---------------------------------------------------------------------------------
def test_untouched_log_passes_every_check(db, tmp_path):
    log = EventLog(db)
    cp = log.checkpoint()
    log.project(str(tmp_path / "proj"))
    (tmp_path / "cp.json").write_text(json.dumps(cp))
    report = log.verify(str(tmp_path / "cp.json"), str(tmp_path / "proj"))
    assert report == {"ok": True, "events": N, "problems": []}
    assert log.verify(views=False) == {"ok": True, "events": N, "problems": []}


def test_snapshots_exist_and_are_audited(db):
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM docket_snapshots").fetchone()[0] >= 3
    key = conn.execute("SELECT stream, occurred_us, seq FROM docket_snapshots "
                       "ORDER BY stream, occurred_us LIMIT 1").fetchone()
    conn.execute("UPDATE docket_snapshots SET state = ? WHERE stream = ? AND occurred_us = ? "
                 "AND seq = ?", (encode_state(initial()), *key))
    conn.commit()
    conn.close()
    report = verify(db)
    assert report["ok"] is False
    assert [(p["table"], p["row"], p["seq"]) for p in report["problems"]] == [
        ("docket_snapshots", {"stream": key[0], "seq": key[2]}, key[2])]


# -- the chain ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seq", range(1, N + 1))
def test_one_changed_byte_is_caught_at_its_seq(db, seq):
    with tampering(db) as conn:
        body, = conn.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()
        body = bytearray(body)
        i = body.index(b'"a source"') + 3  # inside a string: the JSON stays valid
        body[i] ^= 0x01
        conn.execute("UPDATE events SET body = ? WHERE seq = ?", (bytes(body), seq))
    report = verify(db)
    assert report["ok"] is False
    problems = chain(report)
    assert [p["seq"] for p in problems] == [seq]
    assert problems[0]["message"].startswith("hash does not match the stored bytes")
    assert report["problems"][0] == problems[0]


def test_changed_byte_anywhere_in_a_body_is_caught(db):
    body = rows(db)[3][1]
    for i in range(0, len(body), max(1, len(body) // 16)):
        with tampering(db) as conn:
            changed = bytearray(body)
            changed[i] = (changed[i] + 1) % 256
            conn.execute("UPDATE events SET body = ? WHERE seq = 4", (bytes(changed),))
        report = verify(db)
        assert [p["seq"] for p in chain(report)] == [4], (i, report)
        with tampering(db) as conn:
            conn.execute("UPDATE events SET body = ? WHERE seq = 4", (body,))
    assert verify(db)["ok"]


def test_a_key_renamed_in_the_stored_bytes_is_reported_not_raised(db):
    """A flipped byte in a key (`stream` -> `strean`) of an order's stored bytes: verify
    names the seq (it raised KeyError from the refs check, found by the mutation property
    below)."""
    with tampering(db) as conn:
        body = conn.execute("SELECT body FROM events WHERE seq = 1").fetchone()[0]
        assert b'"stream"' in body and b'"order_issued"' in body
        conn.execute("UPDATE events SET body = ? WHERE seq = 1",
                     (body.replace(b'"stream"', b'"strean"'),))
    report = verify(db, views=False)
    assert report["ok"] is False
    assert 1 in {p["seq"] for p in chain(report)}


def test_changed_hash_column_is_caught_at_its_seq_only(db):
    with tampering(db) as conn:
        conn.execute("UPDATE events SET hash = ? WHERE seq = 4", ("ab" * 32,))
    problems = chain(verify(db, views=False))
    assert [p["seq"] for p in problems] == [4]
    assert problems[0]["message"].startswith("hash does not match the stored bytes (stored "
                                             "abababababababab…; the bytes and the previous "
                                             "hash give ")


def test_odd_ids_and_texts_verify_clean(tmp_path):
    odd = ['quote " and \\ backslash', "tab\tnew\nline\u0001", "é😀", "x" * 128]
    log = EventLog(str(tmp_path / "odd.db"))
    log.append([ev("order_issued", S1, "2021-02-01", odd[0], order_id="O-\"1", issuer="É",
                   platform="\u2028", targets=["@ä"])])
    log.append([ev("statement_published", S1, "2021-02-02T00:00:00.123456789+14:00", i,
                   speaker=i, summary=i) for i in odd[1:]])
    assert log.verify() == {"ok": True, "events": 4, "problems": []}


def test_swapped_bodies_are_caught_at_both_seqs(db):
    with tampering(db) as conn:
        (b2,), (b5,) = conn.execute("SELECT body FROM events WHERE seq IN (2, 5) ORDER BY seq")
        conn.execute("UPDATE events SET body = ? WHERE seq = 2", (b5,))
        conn.execute("UPDATE events SET body = ? WHERE seq = 5", (b2,))
    problems = chain(verify(db))
    assert [p["seq"] for p in problems] == [2, 5]
    assert "the stored bytes say seq 5, the row says 2" in problems[0]["message"]
    assert "the stored bytes say seq 2, the row says 5" in problems[1]["message"]


def test_swapped_rows_are_caught(db):
    with tampering(db) as conn:
        a = conn.execute("SELECT body, hash FROM events WHERE seq = 3").fetchone()
        b = conn.execute("SELECT body, hash FROM events WHERE seq = 4").fetchone()
        conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = 3", b)
        conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = 4", a)
    assert [p["seq"] for p in chain(verify(db))][:2] == [3, 4]


def test_deleted_last_event_is_caught(db, tmp_path):
    cp = checkpoint_of(db)
    with tampering(db) as conn:
        conn.execute("DELETE FROM events WHERE seq = ?", (N,))
    report = verify(db, checkpoint=cp)
    assert report["events"] == N - 1
    by_kind = {p["kind"]: p for p in report["problems"]}
    assert by_kind["checkpoint"]["seq"] == N
    assert by_kind["checkpoint"]["message"] == (
        f"the log has {N - 1} events but the checkpoint covers {N}: the events after seq "
        f"{N - 1} were removed")
    # Without a checkpoint, the stored views still remember how far the log went.
    assert by_kind["chain"]["seq"] == N
    plain = verify(db)
    assert [p["seq"] for p in chain(plain)] == [N]


def test_deleted_middle_event_is_caught(db):
    with tampering(db) as conn:
        conn.execute("DELETE FROM events WHERE seq = 6")
    problems = chain(verify(db))
    assert problems[0]["seq"] == 6
    assert problems[0]["message"] == "missing: the log goes from seq 5 to 7"
    assert {p["seq"] for p in problems} >= {6, 7}


def test_rewrite_with_recomputed_hashes_needs_the_checkpoint(db, tmp_path):
    cp_file = tmp_path / "cp.json"
    cp_file.write_text(json.dumps(checkpoint_of(db)))
    with tampering(db) as conn:
        rewrite(conn, 3, lambda r: r["sources"][0].update(title="a quieter source"))
    # The chain is internally consistent again and the views did not change...
    assert verify(db) == {"ok": True, "events": N, "problems": []}
    # ...but the log no longer extends the checkpoint taken before.
    report = verify(db, checkpoint=str(cp_file))
    assert report["ok"] is False
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [
        ("checkpoint", N), ("checkpoint", None)]
    assert report["problems"][1]["message"].startswith(
        f"the log does not extend the checkpoint: the consistency proof from size {N} to {N}")
    assert all(p["file"] == str(cp_file) for p in report["problems"])


def test_checkpoint_covers_only_its_prefix(db):
    cp = checkpoint_of(db)
    log = EventLog(db)
    log.append([ev("statement_published", S2, "2021-03-08", "late", speaker="DoT",
                   summary="later")])
    log.close()
    assert verify(db, checkpoint=cp)["ok"]
    with tampering(db) as conn:  # an event after the checkpoint: not its business
        rewrite(conn, N + 1, lambda r: r["data"].update(summary="changed"))
    assert verify(db, checkpoint=cp)["ok"]
    with tampering(db) as conn:  # an event it covers
        rewrite(conn, 2, lambda r: r["sources"][0].update(title="changed"))
    report = verify(db, checkpoint=cp)
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [
        ("checkpoint", N), ("checkpoint", None)]


def test_every_column_must_match_the_stored_bytes(db):
    for column, value, said in [("id", "'other'", 'id "b1", the row says "other"'),
                                ("stream", "'s3'", 'stream "s1", the row says "s3"'),
                                ("type", "'notice_sent'", ('type "accounts_blocked", the row '
                                                          'says "notice_sent"')),
                                ("recorded_us", "recorded_us + 1", ("does not match the row's "
                                                                   "recorded_us"))]:
        with tampering(db) as conn:
            old = conn.execute(f"SELECT {column} FROM events WHERE seq = 2").fetchone()[0]
            conn.execute(f"UPDATE events SET {column} = {value} WHERE seq = 2")
        problems = chain(verify(db, views=False))
        assert problems and problems[0]["seq"] == 2, column
        assert said in problems[0]["message"], (column, problems)
        with tampering(db) as conn:
            conn.execute(f"UPDATE events SET {column} = ? WHERE seq = 2", (old,))
    assert verify(db)["ok"]


def test_version_gap_is_caught(db):
    with tampering(db) as conn:
        conn.execute("UPDATE events SET version = 9 WHERE seq = 6")  # s1's 4th event
    problems = chain(verify(db, views=False))
    assert [p["seq"] for p in problems] == [6, 6, 7]
    assert problems[0]["message"] == "the stored bytes say version 4, the row says 9"
    assert problems[1]["message"] == "version 9 of stream 's1' follows version 3"
    assert problems[2]["message"] == "version 5 of stream 's1' follows version 9"


def test_recorded_at_going_back_is_caught(db):
    with tampering(db) as conn:
        first = conn.execute("SELECT recorded_us FROM events WHERE seq = 1").fetchone()[0]
        rewrite(conn, 9, lambda r: r.update(recorded_at="2020-01-01T00:00:00.000000Z"))
        conn.execute("UPDATE events SET recorded_us = ? WHERE seq = 9", (1577836800000000,))
        assert first > 1577836800000000
    problems = chain(verify(db, views=False))
    assert [p["seq"] for p in problems] == [9]
    assert problems[0]["message"] == ("recorded_at 2020-01-01T00:00:00.000000Z is earlier than "
                                      "the event before it")


def test_prev_hash_that_does_not_link_is_caught(db):
    with tampering(db) as conn:
        body, = conn.execute("SELECT body FROM events WHERE seq = 4").fetchone()
        record = msgspec.json.decode(body)
        record["prev_hash"] = "ab" * 32
        body = canonical(record)
        prev, = conn.execute("SELECT hash FROM events WHERE seq = 3").fetchone()
        conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = 4",
                     (body, chain_hash(prev, body)))
        rewrite(conn, 5, lambda r: None)
    problems = chain(verify(db, views=False))
    assert [p["seq"] for p in problems] == [4]
    assert problems[0]["message"].startswith("prev_hash abababababababab… does not link to the "
                                             "hash of seq 3")


def test_unreadable_body_is_reported_not_raised(db, tmp_path):
    with tampering(db) as conn:
        conn.execute("UPDATE events SET body = ? WHERE seq = 2", (b"\xffnot json",))
    report = verify(db, projections=str(tmp_path))
    problems = report["problems"]
    assert problems[0]["seq"] == 2 and "not valid JSON" in problems[0]["message"]
    assert any(p["kind"] == "view" and "a fresh replay fails" in p["message"] for p in problems)
    assert any(p["kind"] == "projection" and "cannot compare" in p["message"] for p in problems)
    log = EventLog(db)
    with pytest.raises(AuditError, match="stream 's1': a fresh replay fails"):
        log.checkpoint()
    with pytest.raises(AuditError):
        log.project(str(tmp_path / "out"))


# -- triggers ----------------------------------------------------------------------------------
def test_body_that_is_not_bytes_is_reported_not_raised(db):
    with tampering(db) as conn:
        conn.execute("UPDATE events SET body = 5 WHERE seq = 4")
    report = verify(db, views=False)
    assert report["ok"] is False
    problems = chain(report)
    assert [p["seq"] for p in problems][:1] == [4]
    assert "the stored bytes are not JSON text but int 5" in problems[0]["message"]


def test_dropped_trigger_is_reported(db):
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER refs_no_delete")
    conn.execute("CREATE TRIGGER refs_no_delete BEFORE DELETE ON refs BEGIN SELECT 1; END")
    conn.commit()
    conn.close()
    report = verify(db)
    assert report["problems"] == [
        {"kind": "trigger", "seq": None, "trigger": "events_no_update",
         "message": "missing: nothing refuses UPDATE on `events`"},
        {"kind": "trigger", "seq": None, "trigger": "refs_no_delete",
         "message": "does not refuse DELETE on `refs` (its SQL: CREATE TRIGGER refs_no_delete "
                    "BEFORE DELETE ON refs BEGIN SELECT 1; END)"},
    ]


# -- stored views ------------------------------------------------------------------------------
def test_edited_view_row_is_reported(db):
    conn = sqlite3.connect(db)
    blocked, = conn.execute("SELECT blocked FROM view_orders WHERE stream = 's1' AND "
                            "order_id = 'O-1'").fetchone()
    conn.execute("UPDATE view_orders SET blocked = blocked + 1, status = 'complied' "
                 "WHERE stream = 's1' AND order_id = 'O-1'")
    conn.execute("DELETE FROM view_accounts WHERE stream = 's1' AND target = '@a'")
    conn.execute("INSERT INTO view_notices (stream, notice_id, kind) VALUES ('s2', 'N-9', 'x')")
    conn.execute("INSERT INTO view_streams (stream, last_seq) VALUES ('ghost', 1)")
    conn.commit()
    conn.close()
    report = verify(db)
    assert report["ok"] is False
    problems = [(p["table"], p["row"], p["message"]) for p in report["problems"]]
    assert problems == [
        ("view_orders", {"stream": "s1", "order_id": "O-1"},
         (f"blocked is {blocked + 1} in the table, {blocked} in a fresh replay; "
         'status is "complied" in the table, "partial" in a fresh replay')),
        ("view_accounts", {"stream": "s1", "target": "@a"},
         "missing from the table (a fresh replay has it)"),
        ("view_notices", {"stream": "s2", "notice_id": "N-9"},
         "not in a fresh replay (an extra row)"),
        ("view_streams", {"stream": "ghost"}, "1 rows of a stream the log does not hold"),
    ]
    assert audit.problem_line(report["problems"][0]).startswith(
        "view_orders [stream=s1, order_id=O-1]: blocked is")


def test_saved_fold_state_is_audited(db):
    conn = sqlite3.connect(db)
    conn.execute("UPDATE docket_view_heads SET scalars = ? WHERE stream = 's2'",
                 (encode_state({"last_seq": 3, "last_occurred_at": None, "dialogue": []}),))
    conn.execute("UPDATE docket_fold SET value = ? WHERE stream = 's1' AND kind = 'orders' "
                 "AND key = 'O-1'", (encode_state({}),))
    conn.execute("DELETE FROM docket_fold WHERE stream = 's1' AND kind = 'accounts' "
                 "AND key = '@a'")
    conn.commit()
    conn.close()
    assert [(p["table"], p["row"], p["message"]) for p in verify(db)["problems"]] == [
        ("docket_fold", {"stream": "s1", "kind": "orders", "key": "O-1"},
         "differs from a fresh replay (current queries read it)"),
        ("docket_fold", {"stream": "s1", "kind": "accounts", "key": "@a"},
         "missing from the table (a fresh replay has it)"),
        ("docket_view_heads", {"stream": "s2"},
         "the saved dialogue, last_occurred_at, last_seq differ from a fresh replay"),
    ]



def test_a_dropped_touches_row_is_reported(db):
    """docket_touches must list every event a fresh fold finds touching an entity: a late
    event refolds the entity from that list. Dropping @a's entry is caught, naming the
    events (read from the log here: the blocks and unblocks whose targets name @a); an
    extra entry is not a problem (a longer history refolds to the same entry)."""
    moves = [(seq, json.loads(body)) for seq, body, _ in rows(db)]
    naming = [seq for seq, e in moves if e["type"] in ("accounts_blocked", "accounts_unblocked")
              and "@a" in e["data"].get("targets", ())]
    assert naming
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM docket_touches WHERE stream = 's1' AND kind = 'accounts' "
                 "AND key = '@a'")
    conn.execute("INSERT INTO docket_touches VALUES ('s1', 'accounts', '@zz', 1, ?)",
                 (msgspec.msgpack.encode([1]),))
    conn.commit()
    conn.close()
    report = verify(db)
    assert report["ok"] is False
    assert [(p["table"], p["row"], p["seq"]) for p in report["problems"]] == [
        ("docket_touches", {"stream": "s1", "kind": "accounts", "key": "@a"}, naming[0])]
    message = report["problems"][0]["message"]
    assert f"misses seq {', '.join(map(str, naming))} " in message
    # The stream's other entities are all still indexed: rebuild rewrites the index whole.
    log = EventLog(db)
    log.rebuild()
    log.close()
    assert verify(db)["ok"]

# -- checkpoints -------------------------------------------------------------------------------
def test_checkpoint_fields(db):
    cp = checkpoint_of(db)
    bodies = [body for _, body, _ in rows(db)]
    log = EventLog(db)
    views = {s: log.state(s)["fingerprint"] for s in (S1, S2)}
    assert cp == {
        "size": N,
        "root": root(bodies).hex(),
        "head": rows(db)[-1][2],
        "fingerprint": "sha256:" + hashlib.sha256(canonical(views)).hexdigest(),
        "version": 1,
    }


def test_empty_log_checkpoint_and_verify(tmp_path):
    log = EventLog(str(tmp_path / "empty.db"))
    cp = log.checkpoint()
    assert cp == {"size": 0, "root": hashlib.sha256(b"").hexdigest(), "head": ZERO_HASH,
                  "fingerprint": "sha256:" + hashlib.sha256(b"{}").hexdigest(), "version": 1}
    assert log.verify(cp) == {"ok": True, "events": 0, "problems": []}


def test_log_extends_every_earlier_checkpoint(tmp_path):
    log = EventLog(str(tmp_path / "grow.db"))
    events = [e for batch in BATCHES for e in batch]
    checkpoints = [log.checkpoint()]
    for e in events:
        log.append([e])
        checkpoints.append(log.checkpoint())
    for cp in checkpoints:
        assert log.verify(cp, views=False) == {"ok": True, "events": len(events), "problems": []}
    # A checkpoint of another log of the same length is refused.
    other = dict(checkpoints[5], root="00" * 32)
    assert [p["message"][:40] for p in log.verify(other, views=False)["problems"]] == [
        "the log does not extend the checkpoint: "]


def test_streamed_consistency_proofs_match_the_merkle_module():
    leaves = [bytes([i]) * (i % 5 + 1) for i in range(64)]
    for n in range(65):
        for m in range(n + 1):
            tree = ProofTree(m, n)
            for i, leaf in enumerate(leaves[:n]):
                tree.add(leaf, i + 1, "h")
            assert tree.proof() == consistency_proof(leaves[:n], m), (m, n)
            assert tree.old_root == root(leaves[:m])
            assert tree.tree.root() == root(leaves[:n])


MISSING = "missing (a checkpoint has size, root, head, fingerprint and version)"


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON (JSON is malformed: invalid character (byte 4))"),
    ("[]", "not a JSON object"),
    ('{"size": 1}', f"field `version`: {MISSING}"),  # not "null is not 1"
    ('{"version": null, "size": 1}', "field `version`: null is not 1"),
    ('{"version": 1, "size": -1}', "field `size`: -1 is not a count of events"),
    ('{"version": 1, "size": 1, "root": "xyz", "head": "' + "0" * 64 + '"}',
     'field `root`: "xyz" is not 64 hex digits'),
    ('{"version": 1, "size": 1, "root": "' + "0" * 64 + '", "head": "' + "0" * 64 + '"}',
     f"field `fingerprint`: {MISSING}"),
    ('{"version": 1, "size": 1, "root": "' + "0" * 64 + '", "head": "' + "0" * 64 + '", '
     '"fingerprint": 5}', "field `fingerprint`: not a string"),
])
def test_malformed_checkpoint_is_a_problem(db, tmp_path, content, message):
    path = tmp_path / "cp.json"
    path.write_text(content)
    report = verify(db, checkpoint=str(path), views=False)
    assert report["problems"] == [{"kind": "checkpoint", "seq": None, "file": str(path),
                                   "message": f"not a Docket checkpoint: {message}"}]


def test_fingerprint_change_at_the_same_size_is_reported(db):
    cp = dict(checkpoint_of(db), fingerprint="sha256:" + "0" * 64)
    problems = verify(db, checkpoint=cp)["problems"]
    assert [p["kind"] for p in problems] == ["checkpoint"]
    assert "differs from the checkpoint's" in problems[0]["message"]


# -- projections -------------------------------------------------------------------------------
def test_project_writes_stable_files(db, tmp_path):
    log = EventLog(db)
    out = tmp_path / "proj"
    first = log.project(str(out))
    assert first["streams"] == 2
    assert first["files"] == ["index.html", "index.md",
                              *(f"{s}/{f}" for s in (S1, S2) for f in sorted(FILES))]
    assert first["changed"] == first["files"]
    assert log.project(str(out))["changed"] == []
    state = (out / S1 / "state.json").read_text()
    assert state.endswith("}\n") and state.startswith('{\n  "accounts": {')
    assert json.loads(state) == log.state(S1)
    assert json.loads((out / S1 / "compliance.json").read_text()) == log.compliance(S1)
    assert json.loads((out / S2 / "timeline.json").read_text()) == log.timeline(S2)
    summary = (out / S1 / "summary.md").read_text()
    assert f"- fingerprint: `{log.state(S1)['fingerprint']}`" in summary
    assert "| O-1 | 2021-02-01 | MeitY | 3 |" in summary
    # The same log elsewhere (imported from an export) gives the same bytes.
    export = tmp_path / "export.jsonl"
    export.write_bytes(b"".join(log.export_lines()))
    other = EventLog(str(tmp_path / "other.db"))
    other.import_lines(enumerate(export.read_bytes().splitlines(), 1))
    other.project(str(tmp_path / "elsewhere"))
    for rel in first["files"]:
        assert (out / rel).read_bytes() == (tmp_path / "elsewhere" / rel).read_bytes()


def test_edited_projection_file_is_reported(db, tmp_path):
    log = EventLog(db)
    out = tmp_path / "proj"
    log.project(str(out))
    state = out / S1 / "state.json"
    lines = state.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace('"', "'", 1)
    state.write_text("".join(lines))
    (out / S2 / "summary.md").unlink()
    (out / "gone").mkdir()
    (out / "gone" / "state.json").write_text("{}\n")
    (out / "notes.txt").write_text("not ours")  # other files are left alone
    report = log.verify(projections=str(out))
    assert [(p["file"], p["message"]) for p in report["problems"]] == [
        (f"{out}/{S1}/state.json",
         "differs from a fresh replay (from line 4; `docket project` rewrites it)"),
        (f"{out}/{S2}/summary.md", "missing (`docket project` writes it)"),
        (f"{out}/gone/state.json", "the log holds no stream 'gone'"),
    ]
    log.project(str(out))
    shutil.rmtree(out / "gone")
    assert log.verify(projections=str(out))["ok"]


def test_project_writes_the_report_page_and_verify_compares_it(db, tmp_path):
    log = EventLog(db)
    out = tmp_path / "proj"
    log.project(str(out))
    # The page `docket report --stream S` builds of the whole stream, byte for byte.
    for stream in (S1, S2):
        assert (out / stream / "report.html").read_bytes() == build_report(log, stream).encode()
    assert log.verify(projections=str(out)) == {"ok": True, "events": N, "problems": []}
    page = out / S1 / "report.html"
    text = page.read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "<h1>" in t)
    page.write_text(text.replace("<h1>Docket report:", "<h1>Docket report (edited):", 1))
    (out / S2 / "report.html").unlink()
    report = log.verify(projections=str(out))
    assert [(p["kind"], p["file"], p["message"]) for p in report["problems"]] == [
        ("projection", f"{out}/{S1}/report.html",
         f"differs from a fresh replay (from line {line}; `docket project` rewrites it)"),
        ("projection", f"{out}/{S2}/report.html", "missing (`docket project` writes it)"),
    ]
    assert log.project(str(out))["changed"] == [f"{S1}/report.html", f"{S2}/report.html"]
    assert log.verify(projections=str(out))["ok"]
    # The page shows the whole log's checkpoint: an event in one stream changes every page.
    log.append([ev("statement_published", S2, "2021-03-08", "p8", speaker="DoT",
                   summary="noted")])
    stale = [p["file"] for p in log.verify(projections=str(out))["problems"]]
    assert stale == [f"{out}/{S1}/report.html", f"{out}/{S2}/report.html",
                     f"{out}/{S2}/state.json", f"{out}/{S2}/summary.md",
                     f"{out}/{S2}/timeline.json"]


def test_a_page_that_cannot_be_drawn_is_reported_not_raised(db, tmp_path):
    EventLog(db).project(str(tmp_path / "proj"))
    with tampering(db) as conn:
        rewrite(conn, 3, lambda r: r.update(sources="not a list"))  # folds, but no page
    report = verify(db, projections=str(tmp_path / "proj"))
    # the stored event is not one the log takes (audit/events_check), and the page it
    # would be on cannot be drawn
    assert [(p["kind"], p["message"][:40]) for p in report["problems"]] == [
        ("event", "the stored event is not one the log take"),
        ("projection", "cannot compare: stream 's1': a fresh rep")]
    assert "field `sources`" in report["problems"][0]["message"]


# -- any log, any one-byte change --------------------------------------------------------------
@st.composite
def disputes(draw):
    """Valid batches of events over one or two streams, some backdated."""
    batches, orders, n = [], {}, 0
    for _ in range(draw(st.integers(1, 3))):
        batch = []
        for _ in range(draw(st.integers(1, 4))):
            n += 1
            stream = draw(st.sampled_from(["x", "y"]))
            day = f"2021-01-{draw(st.integers(1, 28)):02d}"
            mine = orders.setdefault(stream, [])
            kind = draw(st.sampled_from(["order_issued", "accounts_blocked", "notice_sent",
                                         "statement_published"])) if mine else "order_issued"
            if kind == "order_issued":
                targets = draw(st.lists(st.sampled_from(["@a", "@b", "@c", "#t"]), min_size=1,
                                        max_size=3, unique=True))
                mine.append((f"O-{n}", targets))
                data = {"order_id": f"O-{n}", "issuer": "MeitY", "platform": "Twitter",
                        "targets": targets}
            elif kind == "accounts_blocked":
                order_id, targets = draw(st.sampled_from(mine))
                data = {"order_id": order_id,
                        "targets": targets[:draw(st.integers(1, len(targets)))]}
            elif kind == "notice_sent":
                data = {"notice_id": f"N-{n}", "kind": "final", "issuer": "MeitY",
                        "recipient": "Twitter", "order_ids": [draw(st.sampled_from(mine))[0]]}
            else:
                data = {"speaker": "Twitter", "summary": draw(st.text(
                    st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12))}
            batch.append(ev(kind, stream, day, f"e{n}", **data))
        batches.append(batch)
    return batches


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=disputes(), data=st.data())
def test_any_single_byte_mutation_is_caught_at_its_seq(batches, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = build(os.path.join(tmp, "h.db"), batches)
        assert verify(path)["ok"]
        bodies = rows(path)
        seq, body, _ = data.draw(st.sampled_from(bodies))
        i = data.draw(st.integers(0, len(body) - 1))
        changed = bytearray(body)
        changed[i] ^= data.draw(st.integers(1, 255))
        with tampering(path) as conn:
            conn.execute("UPDATE events SET body = ? WHERE seq = ?", (bytes(changed), seq))
        report = verify(path)
        assert report["ok"] is False
        assert [p["seq"] for p in chain(report)] == [seq]
