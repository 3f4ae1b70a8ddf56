"""The audit (SPEC §6 `verify`, `checkpoint`; §7): trust the log without trusting its operator.

`verify` checks, inside one read transaction (one consistent snapshot of the file):

1. the chain: every `hash` recomputes from the stored bytes and the previous row's hash,
   every `prev_hash` links, `seq` runs 1, 2, 3, … without gaps, each stream's versions
   likewise, `recorded_at` never decreases, the stored bytes agree with the row's indexed
   columns (seq, id, stream, version, type, recorded_us), and the immutability triggers are
   in place;
2. the stored views: every view table row, the saved fold state and every snapshot equal a
   fresh fold of the log from its first event;
3. with a checkpoint: the log still extends it (an RFC 6962 consistency proof from its size
   to now verifies against its root and the current root; its head is still the hash at
   that size), which catches a rewrite even when every later hash was recomputed;
4. with a projections folder: the files `docket project` wrote equal a fresh replay's.

It returns a report `{"ok", "events", "problems"}`; each problem names its `kind` (`chain`,
`trigger`, `view`, `checkpoint`, `projection`), the `seq` it concerns (or null), a `message`,
and where that applies the view `table` and `row`, or the `file`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Any

import msgspec

from .catalog import SCHEMA_VERSION
from .codec import canonical
from .errors import AuditError
from .log import ZERO_HASH
from .merkle import EMPTY_ROOT, TreeBuilder, leaf_hash, verify_consistency
from .output import json_line
from .project import FILES, Replayed, render, replay_stream
from .replay import Selection, decode_state, encode_state
from .store import TRIGGERS
from .stored import TABLES, view_rows
from .times import parse_time
from .views import fingerprint

__all__ = [
    "CHECKPOINT_VERSION",
    "MAX_LISTED",
    "checkpoint",
    "load_checkpoint",
    "problem_line",
    "verify",
]

CHECKPOINT_VERSION = 1
# At most this many problems of one kind are listed; the rest are counted in one more line.
MAX_LISTED = 1000

Progress = Callable[[int], None]
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_BATCH = 4096
_MISSING = object()


class _Problems:
    """The problems found, in the order found, at most MAX_LISTED of each kind."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.count: dict[str, int] = {}

    def add(self, kind: str, message: str, seq: int | None = None, **where: Any) -> None:
        n = self.count.get(kind, 0) + 1
        self.count[kind] = n
        if n <= MAX_LISTED:
            self.items.append({"kind": kind, "seq": seq, "message": message, **where})

    def result(self) -> list[dict]:
        out = list(self.items)
        for kind, n in self.count.items():
            if n > MAX_LISTED:
                out.append({"kind": kind, "seq": None,
                            "message": f"{n - MAX_LISTED} more {kind} problems not listed"})
        return out


def problem_line(problem: dict) -> str:
    """One line of the text report for a problem."""
    where = []
    if problem.get("file"):
        where.append(problem["file"])
    if problem.get("trigger"):
        where.append(f"trigger {problem['trigger']}")
    if problem.get("table"):
        row = problem.get("row") or {}
        where.append(f"{problem['table']} [" + ", ".join(f"{k}={v}" for k, v in row.items()) + "]")
    if problem.get("seq") is not None:
        where.append(f"seq {problem['seq']}")
    return (": ".join(where) + ": " if where else "") + problem["message"]


def _short(hex_digest: Any) -> str:
    text = str(hex_digest)
    return text[:16] + "…" if len(text) > 16 else text


# -- the chain ---------------------------------------------------------------------------------
def _check_triggers(conn, problems: _Problems) -> None:
    found = {name: sql for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for name in TRIGGERS:
        table, _, op = name.partition("_no_")
        sql = " ".join((found.get(name) or "").upper().split())
        if name not in found:
            problems.add("trigger", f"missing: nothing refuses {op.upper()} on `{table}`",
                         trigger=name)
        elif f"BEFORE {op.upper()} ON {table.upper()}" not in sql or "RAISE(ABORT" not in sql:
            problems.add("trigger", f"does not refuse {op.upper()} on `{table}` (its SQL: "
                         f"{found[name]})", trigger=name)


class _Tree:
    """The Merkle work of `verify --checkpoint`, done in the chain's single pass.

    Builds the current root, the root of the first `old_size` leaves, and the subtree roots
    a consistency proof from `old_size` to `new_size` needs (RFC 9162 §2.1.4.1): those are
    disjoint leaf ranges, so each is folded with its own `TreeBuilder` as the leaves stream
    by, and no leaf hash is kept in memory.
    """

    def __init__(self, old_size: int, new_size: int) -> None:
        self.old_size = old_size
        self.tree = TreeBuilder()
        self.ranges = _proof_ranges(old_size, new_size) if old_size <= new_size else []
        self.builders = [TreeBuilder() for _ in self.ranges]
        self.order = sorted(range(len(self.ranges)), key=lambda i: self.ranges[i][0])
        self.next = 0  # index into self.order of the range the coming leaves may fall in
        self.old_root: bytes | None = EMPTY_ROOT if old_size == 0 else None
        self.old_head: str | None = None
        self.old_seq: int | None = None

    def add(self, body: bytes, seq: int, digest: str) -> None:
        i = self.tree.size
        h = leaf_hash(body)
        self.tree.add_leaf_hash(h)
        order = self.order
        while self.next < len(order) and i >= self.ranges[order[self.next]][1]:
            self.next += 1
        if self.next < len(order) and i >= self.ranges[order[self.next]][0]:
            self.builders[order[self.next]].add_leaf_hash(h)
        if i + 1 == self.old_size:
            self.old_root, self.old_head, self.old_seq = self.tree.root(), digest, seq

    def proof(self) -> list[bytes]:
        return [b.root() for b in self.builders]


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _proof_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PROOF(m, D[n]), in proof order (RFC 9162 §2.1.4.1).

    The same walk as `merkle.consistency_proof_from_hashes`, recording ranges, not roots.
    """
    if m in (0, n):
        return []
    top_down: list[tuple[int, int]] = []
    lo, hi, k_old, whole = 0, n, m, True
    while k_old != hi - lo:
        k = _split(hi - lo)
        if k_old <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo, k_old, whole = lo + k, k_old - k, False
    return ([] if whole else [(lo, hi)]) + top_down[::-1]


def _diagnose(row: tuple, prev_hex: str, prev_seq: int, last_us: int) -> list[str]:
    """Why a row failed the fast checks: decode the stored bytes and compare field by field.

    An empty list means the row is right after all (some valid record the fast path's
    fragments did not foresee)."""
    seq, ident, stream, version, kind, recorded_us, body, stored_hash = row
    out = []
    recomputed = _recompute(prev_hex, body)
    if recomputed != stored_hash:
        out.append(f"hash does not match the stored bytes (stored {_short(stored_hash)}, "
                   f"recomputed from the bytes and the previous hash {_short(recomputed)})")
    try:
        record = _decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return out + [f"the stored bytes are not valid JSON ({exc})"]
    if not isinstance(record, dict):
        return out + ["the stored bytes are not a JSON object"]
    try:
        if canonical(record) != bytes(body):
            out.append("the stored bytes are not canonical JSON")
    except Exception:  # noqa: BLE001 - a float or a huge integer: still report the rest
        out.append("the stored bytes are not canonical JSON")
    if record.get("prev_hash") != prev_hex:
        what = f"seq {prev_seq}" if prev_seq else "the start of the log (64 zeros)"
        out.append(f"prev_hash {_short(record.get('prev_hash'))} does not link to the hash of "
                   f"{what} ({_short(prev_hex)})")
    for field, column in (("seq", seq), ("id", ident), ("stream", stream),
                          ("version", version), ("type", kind)):
        if record.get(field) != column:
            out.append(f"the stored bytes say {field} {json_line(record.get(field))}, "
                       f"the row says {json_line(column)}")
    schema = record.get("schema_version")
    if not (isinstance(schema, int) and 1 <= schema <= SCHEMA_VERSION):
        out.append(f"unknown schema_version {json_line(schema)}")
    try:
        at = parse_time(record.get("recorded_at"))
    except ValueError as exc:
        out.append(f"recorded_at: {exc}")
    else:
        if at != recorded_us:
            out.append(f"recorded_at {record['recorded_at']} does not match the row's "
                       f"recorded_us {recorded_us}")
        if at < last_us:
            out.append(f"recorded_at {record['recorded_at']} is earlier than the event before it")
    return out


def _recompute(prev_hex: str, body: bytes) -> str:
    try:
        return hashlib.sha256(bytes.fromhex(prev_hex) + body).hexdigest()
    except (ValueError, TypeError):
        return "?"  # a hash or body of the wrong type: compares unequal to any stored hash


class _Head(msgspec.Struct, gc=False):
    """The fields of a stored record that the chain check compares with its row."""

    seq: int
    id: str
    stream: str
    version: int
    type: str
    prev_hash: str
    recorded_at: str
    schema_version: int


_decode_head = msgspec.json.Decoder(_Head).decode


def _scan_chain(conn, problems: _Problems, tree: _Tree | None,
                progress: Progress | None) -> tuple[int, str]:
    """Check the hash chain in one pass over the rows; returns (events, last hash).

    Speed matters (≥ 300k events/s is the goal), so the common case builds no dict: msgspec
    decodes only the eight header fields of each record into a small Struct and skips
    `data` and `sources` in C (still checking that the whole record is valid JSON), which
    costs about as much as the SHA-256 itself; byte-fragment searches were tried and were
    slower, and less exact. The `recorded_at` text is parsed only when it changes (once per
    append batch). A row that fails any check is decoded in full and compared field by
    field (`_diagnose`), which writes the message.
    """
    sha256, fromhex, head = hashlib.sha256, bytes.fromhex, _decode_head
    versions: dict[str, int] = {}
    expect, count = 1, 0
    prev_hex, prev_raw, prev_seq = ZERO_HASH, bytes(32), 0
    alt_hex = None  # after a row whose hash failed: what its bytes actually hash to
    last_rec, last_us = None, 0
    cur = conn.execute("SELECT seq, id, stream, version, type, recorded_us, body, hash "
                       "FROM events ORDER BY seq")
    while rows := cur.fetchmany(_BATCH):
        count += len(rows)
        for seq, ident, stream, version, kind, recorded_us, body, stored in rows:
            if seq != expect:
                problems.add("chain", f"missing: the log goes from seq {expect - 1} to {seq}"
                             if seq > expect else f"seq {seq} after seq {expect - 1}", seq=expect)
            expect = seq + 1
            digest_ok = ok = False
            try:
                digest = sha256(prev_raw + body).digest()
                digest_ok = digest.hex() == stored
                h = head(body)
                ok = (digest_ok and h.prev_hash == prev_hex and h.seq == seq
                      and h.version == version and h.id == ident and h.stream == stream
                      and h.type == kind and h.schema_version == SCHEMA_VERSION)
                if ok and (h.recorded_at != last_rec or recorded_us != last_us):
                    ok = last_us <= recorded_us == parse_time(h.recorded_at)
                    if ok:
                        last_rec, last_us = h.recorded_at, recorded_us
            except Exception:  # noqa: BLE001 - odd column types or bytes: diagnose below
                ok = False
            if not ok:
                row = (seq, ident, stream, version, kind, recorded_us, body, stored)
                messages = _diagnose(row, prev_hex, prev_seq, last_us)
                if messages and alt_hex is not None and not _diagnose(row, alt_hex, prev_seq,
                                                                      last_us):
                    # It links to what the previous row's bytes hash to: the damage was that
                    # row's stored hash alone, already reported there.
                    messages, digest_ok = [], True
                    digest = fromhex(stored)
                if messages:
                    problems.add("chain", "; ".join(messages), seq=seq)
                if isinstance(recorded_us, int) and recorded_us > last_us:
                    last_us = recorded_us
                last_rec = None
            before = versions.get(stream, 0)
            if version != before + 1:
                problems.add("chain", f"version {version} of stream {stream!r} follows version "
                             f"{before}" + (" (versions must run 1, 2, 3, …)" if before == 0
                                            else ""), seq=seq)
                if not isinstance(version, int):
                    version = before
            versions[stream] = version
            if tree is not None:
                tree.add(body, seq, stored)
            # The next row links to this row's stored hash, so a changed row is reported at
            # its own seq and not again at the next one.
            if digest_ok:
                prev_raw, alt_hex = digest, None
            else:
                try:
                    prev_raw = fromhex(stored)
                except (ValueError, TypeError):
                    prev_raw = b""
                alt_hex = _recompute(prev_hex, body)
            prev_hex, prev_seq = stored, seq
        if progress is not None:
            progress(len(rows))
    return count, prev_hex


# -- checkpoints -------------------------------------------------------------------------------
def load_checkpoint(source: Any) -> dict:
    """A checkpoint from a path or a dict, validated; raises ValueError saying what is wrong."""
    if isinstance(source, dict):
        data = source
    else:
        try:
            with open(source, "rb") as fh:
                data = _decode(fh.read())
        except OSError as exc:
            raise ValueError(f"cannot read it ({exc.strerror or exc})") from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - bad content, one error type
    if data.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"field `version`: {json_line(data.get('version'))} is not "
                         f"{CHECKPOINT_VERSION}")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        message = f"field `size`: {json_line(size)} is not a count of events"
        raise ValueError(message)
    for key in ("root", "head"):
        if not isinstance(data.get(key), str) or not _HEX64.match(data[key]):
            raise ValueError(f"field `{key}`: {json_line(data.get(key))} is not 64 hex digits")
    if not isinstance(data.get("fingerprint"), str):
        raise ValueError("field `fingerprint`: missing or not a string")  # noqa: TRY004
    return data


def _views_fingerprint(replayed: dict[str, Replayed]) -> str:
    return fingerprint({name: r.view["fingerprint"] for name, r in sorted(replayed.items())})


def _replay_all(conn, views, known_seq: int, progress: Progress | None,
                problems: _Problems | None = None) -> dict[str, Replayed]:
    """Fold every stream afresh; a stream that cannot be folded raises AuditError, or is
    reported in `problems` (and left out) when that is given."""
    out = {}
    for (stream,) in conn.execute("SELECT DISTINCT stream FROM events ORDER BY stream").fetchall():
        try:
            out[stream] = replay_stream(conn, views, stream, known_seq,
                                        _with_progress(None, progress))
        except AuditError as exc:
            if problems is None:
                raise
            problems.add("view", str(exc), table="events", row={"stream": stream})
    return out


def _with_progress(hook, progress: Progress | None):
    if progress is None:
        return hook

    def on_fold(key, state, n):
        if n % 1000 == 0:
            progress(1000)
        if hook is not None:
            hook(key, state, n)

    return on_fold


def checkpoint(log, progress: Progress | None = None) -> dict:
    """`{"size", "root", "head", "fingerprint", "version"}` of the log now (SPEC §6–7).

    `root` is the RFC 6962 Merkle root (hex) over every record's stored canonical bytes in
    seq order, computed in one streaming pass; `head` the last hash; `fingerprint` the
    `sha256:` of the canonical JSON `{stream: fingerprint of its state view}` from a fresh
    fold of every stream (not the stored views, which the checkpoint must not trust).
    """
    tree = TreeBuilder()
    head = ZERO_HASH
    with log.store.read() as conn:
        cur = conn.execute("SELECT body, hash FROM events ORDER BY seq")
        add = tree.add_leaf_hash
        while rows := cur.fetchmany(_BATCH):
            for body, head in rows:
                add(leaf_hash(body))
            if progress is not None:
                progress(len(rows))
        known_seq = Selection(conn).known_seq
        replayed = _replay_all(conn, log.views, known_seq, progress)
    return {"size": tree.size, "root": tree.root().hex(), "head": head,
            "fingerprint": _views_fingerprint(replayed), "version": CHECKPOINT_VERSION}


def _check_checkpoint(cp: dict, tree: _Tree, events: int, name: str,
                      problems: _Problems) -> None:
    size = cp["size"]
    if size > events:
        problems.add("checkpoint", f"the log has {events} events but the checkpoint covers "
                     f"{size}: the events after seq {events} were removed", seq=events + 1,
                     file=name)
        return
    if tree.old_head is not None and tree.old_head != cp["head"]:
        problems.add("checkpoint", f"the hash at seq {tree.old_seq} is {_short(tree.old_head)}, "
                     f"the checkpoint's head is {_short(cp['head'])}", seq=tree.old_seq,
                     file=name)
    current = tree.tree.root()
    if not verify_consistency(size, events, bytes.fromhex(cp["root"]), current, tree.proof()):
        problems.add("checkpoint", f"the log does not extend the checkpoint: the consistency "
                     f"proof from size {size} to {events} fails against the checkpoint's root, "
                     f"so an event at or before seq {tree.old_seq or size} was changed since it "
                     "was taken",
                     file=name)


# -- the stored views --------------------------------------------------------------------------
def _row_key(table: str, row: tuple) -> tuple:
    columns, pk = TABLES[table]
    return tuple(row[columns.index(c)] for c in pk)


def _compare_rows(table: str, expected: list[tuple], stored: list[tuple],
                  problems: _Problems) -> None:
    columns, pk = TABLES[table]
    want = {_row_key(table, r): r for r in expected}
    have = {_row_key(table, r): r for r in stored}
    for key, row in want.items():
        where = {"table": table, "row": dict(zip(pk, key))}
        if key not in have:
            problems.add("view", "missing from the table (a fresh replay has it)", **where)
            continue
        got = have[key]
        diffs = [f"{c} is {json_line(g)} in the table, {json_line(w)} in a fresh replay"
                 for c, g, w in zip(columns, got, row) if g != w]
        if diffs:
            problems.add("view", "; ".join(diffs), **where)
    for key in have:
        if key not in want:
            problems.add("view", "not in a fresh replay (an extra row)",
                         table=table, row=dict(zip(pk, key)))


def _check_views(conn, views, known_seq: int, problems: _Problems,
                 progress: Progress | None) -> dict[str, Replayed]:
    streams = [r[0] for r in conn.execute("SELECT DISTINCT stream FROM events ORDER BY stream")]
    # Only the keys: a snapshot's state is read when the fresh fold reaches its position.
    snapshots: dict[str, set[tuple[int, int]]] = {}
    for stream, occurred_us, seq in conn.execute(
            "SELECT stream, occurred_us, seq FROM docket_snapshots"):
        snapshots.setdefault(stream, set()).add((occurred_us, seq))
    heads = dict(conn.execute("SELECT stream, scalars FROM docket_view_heads"))
    bad: list[tuple[int, int]] = []

    def on_stream(stream):
        mine = snapshots.get(stream)
        if not mine:
            return None

        def on_fold(key, state, n):
            if key in mine:
                mine.discard(key)
                saved = conn.execute(
                    "SELECT state FROM docket_snapshots WHERE stream = ? AND occurred_us = ? "
                    "AND seq = ?", (stream, *key)).fetchone()[0]
                # Equal bytes settle it cheaply; else compare decoded (key order may differ).
                if saved != encode_state(state) and decode_state(saved) != state:
                    bad.append(key)

        return on_fold

    replayed = {}
    for stream in streams:
        bad.clear()
        try:
            replayed[stream] = done = replay_stream(
                conn, views, stream, known_seq, _with_progress(on_stream(stream), progress))
        except AuditError as exc:
            problems.add("view", str(exc), table="events", row={"stream": stream})
            continue
        for key in bad:
            problems.add("view", f"the snapshot at seq {key[1]} differs from a fresh replay to "
                         "that point (as-of queries from it are wrong)", seq=key[1],
                         table="docket_snapshots", row={"stream": stream, "seq": key[1]})
        for key in sorted(snapshots.pop(stream, ())):
            problems.add("view", f"a snapshot at seq {key[1]}, occurred_us {key[0]}, matches no "
                         "position of a fresh replay", seq=key[1], table="docket_snapshots",
                         row={"stream": stream, "seq": key[1]})
        _check_head(conn, stream, heads.pop(stream, None), done.state, problems)
        stored = views.stored_rows(conn, stream)
        for table, rows in view_rows(done.view).items():
            _compare_rows(table, rows, stored[table], problems)
    # Rows of streams the log does not hold.
    for table in (*TABLES, "docket_view_heads", "docket_fold", "docket_snapshots"):
        marks = ",".join("?" * len(streams))
        for stream, n in conn.execute(
                f"SELECT stream, count(*) FROM {table} WHERE stream NOT IN ({marks}) "
                "GROUP BY stream ORDER BY stream", streams):
            problems.add("view", f"{n} rows of a stream the log does not hold", table=table,
                         row={"stream": stream})
    last_view = conn.execute("SELECT max(log_seq) FROM docket_view_heads").fetchone()[0]
    if last_view is not None and last_view > known_seq:
        problems.add("chain", f"the stored views were last brought up to seq {last_view} but "
                     f"the log ends at seq {known_seq}: events after it were removed",
                     seq=known_seq + 1)
    return replayed


def _check_head(conn, stream: str, scalars: bytes | None, fresh: dict,
                problems: _Problems) -> None:
    """The saved fold state (what current queries and the next append start from): its
    scalars in `docket_view_heads`, its entities one row each in `docket_fold`."""
    if scalars is None:
        problems.add("view", "no saved fold state for this stream (`docket rebuild` makes it)",
                     table="docket_view_heads", row={"stream": stream})
        return
    saved = decode_state(scalars)
    differ = sorted(k for k, v in saved.items() if fresh.get(k, _MISSING) != v)
    if differ:
        problems.add("view", f"the saved {', '.join(differ)} differ from a fresh replay",
                     table="docket_view_heads", row={"stream": stream})
    kinds = [k for k in fresh if k not in saved]  # the entities, kept one row each
    seen: dict[str, set] = {k: set() for k in kinds}
    for kind, key, value in conn.execute(
            "SELECT kind, key, value FROM docket_fold WHERE stream = ? ORDER BY kind, key",
            (stream,)):
        where = {"table": "docket_fold", "row": {"stream": stream, "kind": kind, "key": key}}
        if kind not in seen or key not in fresh[kind]:
            problems.add("view", "not in a fresh replay (an extra row)", **where)
            continue
        seen[kind].add(key)
        if value != encode_state(fresh[kind][key]) and decode_state(value) != fresh[kind][key]:
            problems.add("view", "differs from a fresh replay (current queries read it)", **where)
    for kind in kinds:
        for key in fresh[kind]:
            if key not in seen[kind]:
                problems.add("view", "missing from the table (a fresh replay has it)",
                             table="docket_fold", row={"stream": stream, "kind": kind, "key": key})


# -- projections -------------------------------------------------------------------------------
def _first_difference(a: bytes, b: bytes) -> int:
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return i + 1
    return min(len(la), len(lb)) + 1


def _check_projections(conn, views, directory: str, replayed: dict[str, Replayed],
                       problems: _Problems) -> None:
    base = str(directory).rstrip("/\\") or str(directory)
    if not os.path.isdir(directory):
        problems.add("projection", "not a folder (write it with `docket project --out`)",
                     file=base)
        return
    try:
        expected = render(conn, views, replayed)
    except AuditError as exc:
        problems.add("projection", f"cannot compare: {exc}", file=base)
        return
    for rel in sorted(expected):
        path = os.path.join(directory, *rel.split("/"))
        name = f"{base}/{rel}"
        try:
            with open(path, "rb") as fh:
                content = fh.read()
        except OSError:
            problems.add("projection", "missing (`docket project` writes it)", file=name)
            continue
        if content != expected[rel]:
            line = _first_difference(content, expected[rel])
            problems.add("projection", f"differs from a fresh replay (from line {line}; "
                         "`docket project` rewrites it)", file=name)
    streams = {rel.split("/")[0] for rel in expected}
    for entry in sorted(os.listdir(directory)):
        sub = os.path.join(directory, entry)
        if entry in streams or not os.path.isdir(sub):
            continue
        for file in sorted(set(os.listdir(sub)) & set(FILES)):
            problems.add("projection", f"the log holds no stream {entry!r}",
                         file=f"{base}/{entry}/{file}")


# -- verify ------------------------------------------------------------------------------------
def verify(log, checkpoint: Any = None, projections: str | os.PathLike | None = None, *,
           views: bool = True, progress: Progress | None = None) -> dict:
    """Audit the log; returns `{"ok": bool, "events": n, "problems": [...]}` (SPEC §6).

    `checkpoint`: a path to a checkpoint file (or the dict `checkpoint()` returned) that the
    log must still extend. `projections`: a folder written by `project` to compare with a
    fresh replay. `views=False` skips the fresh replay of the stored views (the chain,
    triggers and checkpoint are still checked; projections still need the replay).
    """
    problems = _Problems()
    cp, cp_name = None, None
    if checkpoint is not None:
        cp_name = "checkpoint" if isinstance(checkpoint, dict) else os.fspath(checkpoint)
        try:
            cp = load_checkpoint(checkpoint)
        except ValueError as exc:
            problems.add("checkpoint", f"not a Docket checkpoint: {exc}", file=cp_name)
    with log.store.read() as conn:
        _check_triggers(conn, problems)
        size = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        tree = _Tree(cp["size"], size) if cp is not None else None
        events, _ = _scan_chain(conn, problems, tree, progress)
        if cp is not None:
            _check_checkpoint(cp, tree, events, cp_name, problems)
        replayed: dict[str, Replayed] = {}
        if views or projections is not None:
            known_seq = Selection(conn).known_seq
            if views:
                replayed = _check_views(conn, log.views, known_seq, problems, progress)
            else:
                replayed = _replay_all(conn, log.views, known_seq, progress, problems)
            streams = conn.execute("SELECT count(DISTINCT stream) FROM events").fetchone()[0]
            if cp is not None and cp["size"] == events and len(replayed) == streams and \
                    _views_fingerprint(replayed) != cp["fingerprint"]:
                problems.add("checkpoint", "the views' fingerprint "
                             f"{_short(_views_fingerprint(replayed))} differs from the "
                             f"checkpoint's {_short(cp['fingerprint'])} at the same size: the "
                             "same events now fold to other views", file=cp_name)
        if projections is not None:
            _check_projections(conn, log.views, os.fspath(projections), replayed, problems)
    found = problems.result()
    return {"ok": not found, "events": events, "problems": found}
