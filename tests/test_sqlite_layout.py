"""SQLite's table layout: a new log keeps every table but the snapshots' in key order
(WITHOUT ROWID), and a log made by a Docket that kept rowid tables keeps them and goes on
answering exactly as a new log does, written to, verified and rebuilt."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import export_of

from docket import EventLog
from docket.storage import schema, sqlite_ddl, sqlite_wal

EVENTS = Path(__file__).resolve().parent.parent / "events"
DISPUTE = EVENTS / "twitter-india-2021.jsonl"
STREAM = "twitter-india-2021"


def _rowid_tables(path: Path) -> set[str]:
    """The tables of the file at `path` that have a rowid."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = set()
        for name in names:
            try:
                con.execute(f"SELECT rowid FROM {name} LIMIT 1")
                out.add(name)
            except sqlite3.OperationalError:  # "no such column: rowid"
                pass
        return out
    finally:
        con.close()


def _import(log: EventLog, lines: list[bytes], first: int = 1) -> None:
    log.import_lines(enumerate(lines, first))


def test_a_new_log_keeps_its_tables_in_key_order(tmp_path):
    db = tmp_path / "new.db"
    log = EventLog(str(db))
    _import(log, DISPUTE.read_bytes().splitlines(keepends=True))
    log.close()
    rowid = _rowid_tables(db)
    assert "docket_snapshots" in rowid and "events" in rowid
    # Every table the stored views keep is clustered by its key.
    assert not rowid & set(schema.TABLES) - {"docket_snapshots"}, rowid


def test_a_log_with_rowid_tables_answers_as_a_new_one(tmp_path, monkeypatch):
    lines = DISPUTE.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    old_db, new_db = tmp_path / "old.db", tmp_path / "new.db"
    # The layout an earlier Docket made: only the fold and the touches clustered by key.
    with monkeypatch.context() as m:
        m.setattr(sqlite_ddl, "_WITHOUT_ROWID", {"docket_fold", "docket_touches"})
        old = EventLog(str(old_db))
        _import(old, lines[:half])
        old.close()
    assert {"view_orders", "view_notices", "view_accounts"} <= _rowid_tables(old_db)

    old = EventLog(str(old_db))
    _import(old, lines[half:], half + 1)
    new = EventLog(str(new_db))
    _import(new, lines)
    assert old.state(STREAM) == new.state(STREAM)
    assert old.compliance(STREAM) == new.compliance(STREAM)
    assert old.state(STREAM, as_of="2021-02-08") == new.state(STREAM, as_of="2021-02-08")
    assert old.verify()["ok"] and new.verify()["ok"]
    old.rebuild()
    assert old.state(STREAM) == new.state(STREAM) and old.verify()["ok"]
    old.close()
    new.close()
    assert export_of(old_db) == export_of(new_db)
    # Nothing converted them behind the user's back.
    assert {"view_orders", "view_notices", "view_accounts"} <= _rowid_tables(old_db)


def _wal_frames(db: Path) -> int:
    """The most frames the WAL file has held (it is overwritten, not shrunk, after each
    checkpoint): its size less the 32-byte header, over 24 bytes of frame header and a
    4 KB page."""
    size = Path(f"{db}-wal").stat().st_size
    return (size - 32) // (24 + 4096)


def test_appends_checkpoint_the_wal_every_4000_pages(tmp_path):
    # A single append writes ~16 pages, mostly the same ones: at SQLite's default of 1,000
    # the commit that crosses it (and pays the copy into the file) came every ~61 appends.
    # Ten events a commit here, to get there sooner.
    db = tmp_path / "wal.db"
    log = EventLog(str(db))
    log.append([{"type": "order_issued", "stream": "s", "occurred_at": "2021-02-01",
                 "data": {"order_id": "O-1", "issuer": "MeitY", "platform": "X",
                          "targets": ["@a"]}}])
    seen, i, still = [_wal_frames(db)], 0, 0
    while still < 15:  # until the WAL has stopped growing for 15 commits
        i += 1
        log.append([{"type": "notice_sent", "stream": "s", "occurred_at": "2021-02-02",
                     "data": {"notice_id": f"N-{i}-{k}", "kind": "other", "issuer": "MeitY",
                              "recipient": "X", "order_ids": ["O-1"]}} for k in range(10)])
        seen.append(_wal_frames(db))
        still = still + 1 if seen[-1] == seen[-2] else 0
        assert i < 2000, seen[-20:]
    log.close()
    # On its first pass the file grows by each commit's frames; the commit that crossed the
    # threshold started below it, so the file ends under the threshold plus one commit.
    biggest = max(b - a for a, b in zip(seen, seen[1:]))
    assert seen[-1] > 2000  # no checkpoint at 1,000 pages...
    assert seen[-1] < sqlite_wal.WAL_AUTOCHECKPOINT + biggest, (seen[-1], biggest)  # ...at 4,000
