"""The stored views: ordinary SQLite tables beside the log, kept equal to a fresh replay.

They are updated in the same transaction as each append. When an event lands after
everything already folded, it is folded onto the saved state; when it lands earlier in
replay order (backdated, or a retraction/correction of an earlier event), the snapshots from
that point on are dropped and the stream is refolded from the nearest snapshot before it.
"""

from __future__ import annotations

from typing import Any, Callable

from .codec import canonical
from .replay import (
    SNAPSHOT_EVERY, Selection, amendments, decode_state, encode_state, fold_from,
    ordered_records,
)
from .views import state_view

__all__ = ["StoredViews", "TABLES", "view_rows"]

_MAX = 2**63 - 1

# table -> (columns, primary key). Lists and objects are stored as canonical JSON text.
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "view_orders": (
        ("stream", "order_id", "issuer", "platform", "issued_at", "legal_basis", "procedure",
         "target_count", "blocked", "ever_blocked", "restored", "compliance", "status",
         "first_action_at", "hours_to_first_action", "deadline", "overdue", "notices",
         "acknowledged", "reported"),
        ("stream", "order_id"),
    ),
    "view_accounts": (("stream", "target", "status", "scope", "order_id", "since"),
                      ("stream", "target")),
    "view_notices": (("stream", "notice_id", "kind", "sent_at", "order_ids", "acknowledged_at"),
                     ("stream", "notice_id")),
    "view_dialogue": (("stream", "position", "by", "addressee", "requested_at"),
                      ("stream", "position")),
    "view_challenges": (("stream", "case_id", "court", "petitioner", "order_ids", "filed_at",
                         "rulings"), ("stream", "case_id")),
    "view_streams": (("stream", "last_seq", "version", "fingerprint"), ("stream",)),
}
_TYPES = {"target_count": int, "blocked": int, "ever_blocked": int, "restored": int,
          "compliance": float, "hours_to_first_action": float, "overdue": int,
          "acknowledged": int, "last_seq": int, "version": int, "position": int}

_INTERNAL = """
CREATE TABLE IF NOT EXISTS docket_view_heads (
    stream TEXT PRIMARY KEY, occurred_us INTEGER, seq INTEGER, log_seq INTEGER NOT NULL,
    folded INTEGER NOT NULL, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS docket_snapshots (
    stream TEXT NOT NULL, occurred_us INTEGER NOT NULL, seq INTEGER NOT NULL,
    log_seq INTEGER NOT NULL, folded INTEGER NOT NULL, state BLOB NOT NULL,
    PRIMARY KEY (stream, occurred_us, seq));
"""


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return canonical(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


def view_rows(view: dict) -> dict[str, list[tuple]]:
    """The rows of each view table for one stream's state view (SPEC §5 state)."""
    stream = view["stream"]
    out: dict[str, list[tuple]] = {}
    sources = {
        "view_orders": [dict(row) for row in view["orders"].values()],
        "view_accounts": [{"target": t, **a} for t, a in view["accounts"].items()],
        "view_notices": [{"notice_id": n, **x} for n, x in view["notices"].items()],
        "view_dialogue": [{"position": i, **d} for i, d in enumerate(view["dialogue"], 1)],
        "view_challenges": [{"case_id": c, **x} for c, x in view["challenges"].items()],
        "view_streams": [{"last_seq": view["last_seq"], "version": view["version"],
                          "fingerprint": view["fingerprint"]}],
    }
    for table, items in sources.items():
        columns = TABLES[table][0]
        out[table] = [tuple(_cell({**item, "stream": stream}.get(c)) for c in columns)
                      for item in items]
    return out


class StoredViews:
    """The built-in projection's stored views and snapshots in one SQLite file."""

    def __init__(self, store) -> None:
        self.store = store
        self._ensure_tables()

    def _ensure_tables(self) -> None:
        conn = self.store.conn
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if all(t in have for t in TABLES) and "docket_snapshots" in have:
            return
        import sqlite_utils  # lazily: only the first open of a file pays for it

        db = sqlite_utils.Database(conn)
        conn.executescript(_INTERNAL)
        for table, (columns, pk) in TABLES.items():
            db[table].create({c: _TYPES.get(c, str) for c in columns}, pk=pk, if_not_exists=True)
            if table != "view_streams":
                db[table].create_index(["stream"], if_not_exists=True)

    # -- maintenance ---------------------------------------------------------------------
    def after_append(self, conn, touched: dict[str, tuple[int, int]]) -> None:
        """Bring the stored views of the touched streams up to date (inside the append)."""
        log_seq = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
        for stream, earliest in touched.items():
            self._refresh(conn, stream, earliest, log_seq)

    def rebuild(self, conn, progress: Callable[[int], None] | None = None) -> int:
        """Drop every stored view and snapshot and refold each stream from the log."""
        for table in (*TABLES, "docket_view_heads", "docket_snapshots"):
            conn.execute(f"DELETE FROM {table}")
        log_seq = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        streams = [r[0] for r in conn.execute("SELECT DISTINCT stream FROM events")]
        for stream in streams:
            self._refresh(conn, stream, (-_MAX, 0), log_seq, progress)
        return len(streams)

    def _refresh(self, conn, stream, earliest, log_seq, progress=None) -> None:
        head = conn.execute(
            "SELECT occurred_us, seq, folded, state FROM docket_view_heads WHERE stream = ?",
            (stream,)).fetchone()
        if head is not None and head[0] is not None and earliest > (head[0], head[1]):
            start_key, folded, state = (head[0], head[1]), head[2], decode_state(head[3])
        else:
            # Backdated: every snapshot at or after the change is stale.
            conn.execute("DELETE FROM docket_snapshots WHERE stream = ? AND (occurred_us, seq)"
                         " >= (?, ?)", (stream, *earliest))
            snap = conn.execute(
                "SELECT occurred_us, seq, folded, state FROM docket_snapshots WHERE stream = ? "
                "ORDER BY occurred_us DESC, seq DESC LIMIT 1", (stream,)).fetchone()
            if snap is None:
                start_key, folded, state = (-_MAX, 0), 0, None
            else:
                start_key, folded, state = (snap[0], snap[1]), snap[2], decode_state(snap[3])
        amend = amendments(conn, stream, log_seq)

        def snapshot(key, st, n):
            if progress is not None and n % 1000 == 0:
                progress(1000)
            if (folded + n) % SNAPSHOT_EVERY == 0:
                conn.execute("INSERT OR REPLACE INTO docket_snapshots VALUES (?,?,?,?,?,?)",
                             (stream, key[0], key[1], log_seq, folded + n, encode_state(st)))

        pairs = ordered_records(conn, stream, log_seq, amend, after=start_key)
        state, last, n = fold_from(state, pairs, snapshot)
        last = last or (start_key if start_key[0] != -_MAX else (None, None))
        conn.execute("INSERT OR REPLACE INTO docket_view_heads VALUES (?,?,?,?,?,?)",
                     (stream, last[0], last[1], log_seq, folded + n, encode_state(state)))
        self._write_tables(conn, self.view_of(conn, stream, state, amend, log_seq))

    def view_of(self, conn, stream: str, state: dict, amend, known_seq: int,
                as_of: str | None = None, known_at: str | None = None) -> dict:
        """The SPEC §5 state view of a folded state of `stream`."""
        version = conn.execute("SELECT max(version) FROM events WHERE stream = ? AND seq <= ?",
                               (stream, known_seq)).fetchone()[0] or 0
        last_seq = max([state["last_seq"], *amend.seqs])
        return state_view(state, stream=stream, as_of=as_of, known_at=known_at,
                          version=version, last_seq=last_seq)

    def _write_tables(self, conn, view: dict) -> None:
        for table, rows in view_rows(view).items():
            columns = TABLES[table][0]
            conn.execute(f"DELETE FROM {table} WHERE stream = ?", (view["stream"],))
            if rows:
                marks = ",".join("?" * len(columns))
                conn.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})",
                                 rows)

    # -- queries ---------------------------------------------------------------------------
    def state(self, conn, stream: str, selection: Selection) -> dict:
        """The folded state of `stream` for `selection`, from the nearest usable snapshot."""
        amend = amendments(conn, stream, selection.known_seq)
        if selection.is_current:
            head = conn.execute("SELECT state FROM docket_view_heads WHERE stream = ?",
                                (stream,)).fetchone()
            if head is not None:
                return decode_state(head[0]), amend
        # A snapshot taken when the log was at log_seq holds exactly the events known then
        # before its key (any later event landing earlier would have dropped it), so it
        # serves every query that knows at least that much.
        snap = conn.execute(
            "SELECT occurred_us, seq, state FROM docket_snapshots WHERE stream = ? AND "
            "log_seq <= ? AND occurred_us <= ? ORDER BY occurred_us DESC, seq DESC LIMIT 1",
            (stream, selection.known_seq, selection.until_us)).fetchone()
        start, state = ((snap[0], snap[1]), decode_state(snap[2])) if snap else ((-_MAX, 0), None)
        pairs = ordered_records(conn, stream, selection.known_seq, amend, after=start,
                                until_us=selection.until_us)
        return fold_from(state, pairs)[0], amend

    def stored_rows(self, conn, stream: str) -> dict[str, list[tuple]]:
        """The rows the view tables hold for `stream` (for the audit)."""
        out = {}
        for table, (columns, pk) in TABLES.items():
            out[table] = list(conn.execute(
                f"SELECT {','.join(columns)} FROM {table} WHERE stream = ? ORDER BY "
                f"{','.join(pk)}", (stream,)))
        return out
