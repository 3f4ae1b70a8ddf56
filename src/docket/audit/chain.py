"""The hash chain (SPEC §7): every row of `events` checked against its stored bytes and the
row before it, in one pass; and the triggers that keep the table append-only.

A row is right when its `hash` recomputes from the stored bytes and the previous row's hash,
its `prev_hash` links, `seq` runs 1, 2, 3, … without gaps, its stream's versions likewise,
`recorded_at` never decreases, and the stored bytes agree with the row's indexed columns
(seq, id, stream, version, type, occurred_us, recorded_us); and, given a list, what the
`refs` table must hold (`docket.audit.refs_check` compares).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import msgspec

from ..catalog import AMENDING, REFERENCES, SCHEMA_VERSION, introduced
from ..codec import canonical, json_text
from ..replay import Progress
from ..storage.base import ZERO_HASH
from ..times import parse_time, time_key
from .checkpoint import ProofTree
from .problems import Problems, short

__all__ = ["REF_TYPES", "ScanState", "check_triggers", "ref_of", "scan_range", "scan_rows"]

_decode = msgspec.json.Decoder().decode
_BATCH = 4096
_ALL = 2**63 - 1  # every seq lies in (-_ALL, _ALL]
_EPOCH, _ONE_US = datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta(microseconds=1)

# The event types that put a row in `refs`: those introducing an entity, and the amendments.
REF_TYPES = frozenset({k for k, r in REFERENCES.items() if r.introduces is not None}
                      | AMENDING)


def check_triggers(storage, problems: Problems) -> None:
    """Report each immutability trigger that is missing or does not refuse its change."""
    for name, message in storage.immutability_problems():
        problems.add("trigger", message, trigger=name)


def _diagnose(row: tuple, prev_hex: str, prev_seq: int, last_us: int) -> list[str]:
    """Why a row failed the fast checks: decode the stored bytes and compare field by field.

    An empty list means the row is right after all (some valid record the fast path's
    fragments did not foresee)."""
    seq, ident, stream, version, kind, recorded_us, body, stored_hash, occurred_us = row[:9]
    out = []
    recomputed = _recompute(prev_hex, body)
    if isinstance(body, str):
        out.append("the body is stored as TEXT, where the log keeps its bytes as a BLOB")
    elif recomputed != stored_hash:
        out.append(f"hash does not match the stored bytes (stored {short(stored_hash)}; "
                   f"the bytes and the previous hash give {short(recomputed)})")
    try:
        record = _decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return out + [f"the stored bytes are not valid JSON ({exc})"]
    except TypeError:  # a number or NULL where the bytes belong
        return out + [f"the stored bytes are not JSON text but {type(body).__name__} {body!r}"[:200]]
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
            out.append(f"the stored bytes say {field} {json_text(record.get(field))}, "
                       f"the row says {json_text(column)}")
    occurred = record.get("occurred_at")
    try:
        key = time_key(occurred) if isinstance(occurred, str) else None
    except ValueError as exc:
        out.append(f"occurred_at: {exc}")
    else:
        if key is None:
            out.append("occurred_at: missing, or not text")
        elif key != occurred_us:
            out.append(f"the stored bytes say occurred_at {record['occurred_at']} (UTC µs "
                       f"{key}), the row says occurred_us {json_text(occurred_us)}")
    schema = record.get("schema_version")
    if not (isinstance(schema, int) and 1 <= schema <= SCHEMA_VERSION):
        out.append(f"unknown schema_version {json_text(schema)}")
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
    occurred_at: str


_decode_head = msgspec.json.Decoder(_Head).decode


def ref_of(body: bytes) -> tuple[str, str, str, int] | None:
    """The `refs` row (stream, kind, ref_id, seq) the stored bytes of an event call for, or
    None (no row, or bytes too damaged to say: the chain check reports those)."""
    try:
        record = _decode(body)
        kind, data = record["type"], record["data"]
        if kind in AMENDING:
            return record["stream"], kind, record["id"], record["seq"]
        new = introduced(kind, data)
        # Inside the try too: bytes with a flipped byte in a key (`strean`) lack it.
        return None if new is None else (record["stream"], *new, record["seq"])
    except Exception:  # noqa: BLE001 - damaged bytes, reported by the chain check
        return None


class ScanState:
    """Where a scan of the chain stands after some rows: all it needs to go on from there.

    `expect` is the next seq; `prev_hex`/`prev_raw` the previous row's stored hash (the next
    row must link to it) as text and bytes; `prev_seq` that row's seq; `alt_hex`, after a
    row whose hash failed, what its bytes actually hash to; `last_us` the latest recorded
    time so far; `versions` each stream's last version. Equal states give equal scans of the
    rows after them, which is what lets `docket.chain_split` scan pieces of the log at once.
    """

    __slots__ = ("expect", "prev_hex", "prev_raw", "prev_seq", "alt_hex", "last_us",
                 "versions")

    def __init__(self, expect: int = 1, prev_hex: str = ZERO_HASH, prev_raw: bytes = bytes(32),
                 prev_seq: int = 0, alt_hex: str | None = None, last_us: int = 0,
                 versions: dict | None = None) -> None:
        self.expect, self.prev_hex, self.prev_raw = expect, prev_hex, prev_raw
        self.prev_seq, self.alt_hex, self.last_us = prev_seq, alt_hex, last_us
        self.versions = {} if versions is None else versions

    def __getstate__(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)

    def key(self) -> tuple:
        """Everything but `versions`, for comparing two states."""
        return (self.expect, self.prev_hex, self.prev_raw, self.prev_seq, self.alt_hex,
                self.last_us)


def scan_rows(rows, state: ScanState, problems: Problems, tree: ProofTree | None = None,
              first_seen: dict | None = None, refs: list | None = None) -> int:
    """Check `rows` (`ChainRow` tuples in seq order) going on from `state`, which is updated;
    returns how many rows there were.

    With `first_seen` (a dict), a stream not yet in `state.versions` is not checked at its
    first row here: its version goes into `first_seen`, for the caller who knows what came
    before to check (`docket.chain_split`). With `refs` (a list), the `refs` row each event's
    stored bytes call for is appended to it (`ref_of`).

    Speed matters (≥ 300k events/s is the goal), so the common case builds no dict: msgspec
    decodes only the eight header fields of each record into a small Struct and skips
    `data` and `sources` in C (still checking that the whole record is valid JSON), which
    costs about as much as the SHA-256 itself; byte-fragment searches were tried and were
    slower, and less exact. The `recorded_at` text is parsed only when it changes (once per
    append batch). A row that fails any check is decoded in full and compared field by
    field (`_diagnose`), which writes the message.
    """
    sha256, fromhex, head, current = hashlib.sha256, bytes.fromhex, _decode_head, SCHEMA_VERSION
    ref_types, fromiso, epoch, one_us = REF_TYPES, datetime.fromisoformat, _EPOCH, _ONE_US
    expect, prev_hex, prev_raw = state.expect, state.prev_hex, state.prev_raw
    prev_seq, alt_hex, last_us, versions = state.prev_seq, state.alt_hex, state.last_us, state.versions
    last_rec = None  # the recorded_at text that last parsed to last_us
    count = 0
    for row in rows:
        seq, ident, stream, version, kind, recorded_us, body, stored, occurred_us = row
        count += 1
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
                  and h.type == kind and h.schema_version == current)
            if ok:
                # time_key's own reading, without its cache (every row's time differs).
                at = h.occurred_at
                ok = (fromiso(at) - epoch) // one_us == occurred_us if len(at) > 10 else (
                    time_key(at) == occurred_us)
            if ok and (h.recorded_at != last_rec or recorded_us != last_us):
                ok = last_us <= recorded_us == parse_time(h.recorded_at)
                if ok:
                    last_rec, last_us = h.recorded_at, recorded_us
        except Exception:  # noqa: BLE001 - odd column types or bytes: diagnose below
            ok = False
        if not ok:
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
        before = versions.get(stream)
        if before is None and first_seen is not None:
            first_seen[stream] = version  # a version that is not an integer fails there
            if not isinstance(version, int):
                version = 0
        else:
            before = before or 0
            if version != before + 1:
                problems.add("chain", f"version {version} of stream {stream!r} follows version "
                             f"{before}" + (" (versions must run 1, 2, 3, …)" if before == 0
                                            else ""), seq=seq)
                if not isinstance(version, int):
                    version = before
        versions[stream] = version
        if tree is not None:
            # TEXT where the bytes belong (damage, reported above): the tree hashes what is there.
            tree.add(body if type(body) is bytes else str(body).encode(), seq, stored)
        if refs is not None and (kind in ref_types or not ok):
            ref = ref_of(body)
            if ref is not None:
                refs.append(ref)
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
    state.expect, state.prev_hex, state.prev_raw = expect, prev_hex, prev_raw
    state.prev_seq, state.alt_hex, state.last_us = prev_seq, alt_hex, last_us
    return count


def scan_range(storage, lo: int, hi: int, state: ScanState, problems: Problems,
               tree: ProofTree | None = None, first_seen: dict | None = None,
               progress: Progress | None = None, refs: list | None = None) -> int:
    """`scan_rows` over the rows with lo < seq <= hi, read in batches; returns their count."""
    count = 0
    for rows in storage.chain_rows(lo, hi):
        count += scan_rows(rows, state, problems, tree, first_seen, refs)
        if progress is not None:
            progress(len(rows))
    return count
