"""The hash chain (SPEC §7): every row of `events` checked against its stored bytes and the
row before it, in one pass; and the triggers that keep the table append-only.

A row is right when its `hash` recomputes from the stored bytes and the previous row's hash,
its `prev_hash` links, `seq` runs 1, 2, 3, … without gaps, its stream's versions likewise,
`recorded_at` never decreases, and the stored bytes agree with the row's indexed columns
(seq, id, stream, version, type, recorded_us).
"""

from __future__ import annotations

import hashlib

import msgspec

from .catalog import SCHEMA_VERSION
from .checkpoint import ProofTree
from .codec import canonical
from .fresh import Progress
from .log import ZERO_HASH
from .output import json_line
from .problem import Problems, short
from .store import TRIGGERS
from .times import parse_time

__all__ = ["check_triggers", "scan_chain"]

_decode = msgspec.json.Decoder().decode
_BATCH = 4096


def check_triggers(conn, problems: Problems) -> None:
    """Report each immutability trigger that is missing or does not refuse its change."""
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


def _diagnose(row: tuple, prev_hex: str, prev_seq: int, last_us: int) -> list[str]:
    """Why a row failed the fast checks: decode the stored bytes and compare field by field.

    An empty list means the row is right after all (some valid record the fast path's
    fragments did not foresee)."""
    seq, ident, stream, version, kind, recorded_us, body, stored_hash = row
    out = []
    recomputed = _recompute(prev_hex, body)
    if recomputed != stored_hash:
        out.append(f"hash does not match the stored bytes (stored {short(stored_hash)}, "
                   f"recomputed from the bytes and the previous hash {short(recomputed)})")
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
        out.append(f"prev_hash {short(record.get('prev_hash'))} does not link to the hash of "
                   f"{what} ({short(prev_hex)})")
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


def scan_chain(conn, problems: Problems, tree: ProofTree | None,
               progress: Progress | None) -> tuple[int, str]:
    """Check the hash chain in one pass over the rows; returns (events, last hash).

    `tree`, with `verify --checkpoint`, is fed every row on the way (the checkpoint's proof).

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
