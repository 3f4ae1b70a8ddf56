"""`Log`: the append-only log of events, with its hash chain (SPEC §1–2, §7).

It writes events and returns what it wrote (`Appended`: the receipts and, per stream, the
earliest replay position the batch changes); it knows nothing of the views. `docket.api`
composes it with the stored views, which apply that in the same transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

import msgspec

from .batch import Batch
from .references import check_refs
from .catalog import AMENDING, SCHEMA_VERSION, Event, introduced
from .catalog_data import named_twice
from .codec import (
    canonical,
    check_after_seq,
    check_append,
    content_of,
    decode_event,
    decode_record,
    event_from_dict,
    is_record,
)
from .errors import ConflictError, InvalidArgument, InvalidEvent, StorageError, Unavailable
from .storage import open_storage
from .storage.base import ZERO_HASH, EventRow
from .times import format_utc, parse_time, time_key

__all__ = ["Appended", "FUTURE_TOLERANCE_US", "Log", "Receipt", "ZERO_HASH", "chain_hash"]

_decode_body = msgspec.json.Decoder().decode
_AMENDING = AMENDING
# Records per page when reading the log (each page its own short transaction).
PAGE = 2048
# How far an imported record's recorded_at may lie ahead of the clock (clocks of two machines
# differ a little); later is refused, or every append after it would inherit that time.
FUTURE_TOLERANCE_US = 5 * 60_000_000


class Receipt(msgspec.Struct, frozen=True):
    """What `append` reports per event: where it landed, or that it was already there."""

    seq: int
    id: str
    stream: str
    version: int
    hash: str
    duplicate: bool

    def as_dict(self) -> dict:
        """The receipt as a dict, the object `docket append --json` prints (for json.dumps)."""
        return msgspec.structs.asdict(self)


def chain_hash(prev_hash: str, body: bytes) -> str:
    """SPEC §7: hex(sha256(raw(prev_hash) || canonical bytes without `hash`))."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


class Appended(NamedTuple):
    """What one append wrote: a receipt per event, and for each stream it changed the
    earliest replay position (occurred_us, seq) its events change (a retraction or a
    correction changes its target's old and new positions), and the rows it inserted."""

    receipts: list[Receipt]
    touched: dict[str, tuple[int, int]]
    rows: Sequence[EventRow] = ()  # the rows inserted, in seq order (no shared list)


# An event ready to be written: its line (or None), the event, its record fields (an
# exported record's seq, hashes and times) or None.
Decoded = tuple[int | None, Event, dict | None]


class Log:
    """Streams of immutable events in one database: append and read.

    `location` is a SQLite path or a `postgresql://` URL (see `docket.storage`), or an open
    `Storage`."""

    def __init__(self, location="docket.db", *, create: bool = True) -> None:
        self.storage = open_storage(location, create=create)
        self.path = self.storage.location

    # -- writing ---------------------------------------------------------------------------
    def append(
        self,
        events: Iterable[dict | Event],
        expected_version: int | None = None,
        *,
        stream: str | None = None,
        lines: Iterable[int] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Receipt]:
        """Append events atomically: every one is appended (or found a duplicate) or none.

        `expected_version` checks the version of the batch's single stream before it;
        `stream` fills in events that name none; `lines` numbers them for error messages.
        """
        decoded = self.decode(events, lines)
        with self.storage.writing():
            return self.write(decoded, expected_version, stream, progress).receipts

    def import_lines(
        self,
        numbered_lines: Iterable[tuple[int, bytes]],
        *,
        stream: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Receipt]:
        """Import JSONL: input events, or exported records (kept exactly, hashes included)."""
        decoded = self.decode_lines(numbered_lines)
        with self.storage.writing():
            return self.write(decoded, None, stream, progress).receipts

    @staticmethod
    def decode(events: Iterable[dict | Event], lines: Iterable[int] | None = None
               ) -> list[Decoded]:
        """Validate events given as dicts (or Events), numbered by `lines` for errors."""
        if isinstance(events, (dict, Event, str, bytes)) or not isinstance(events, Iterable):
            # One event passed alone would be read key by key ("expected an object").
            one = isinstance(events, (dict, Event))
            raise InvalidArgument("events", "{arg}: expected a list of events" + (
                ", got one event (put it in a list: [event])" if one else
                ", got None" if events is None else ""))
        line_numbers = list(lines) if lines is not None else None
        decoded = []
        for i, obj in enumerate(events):
            line = line_numbers[i] if line_numbers else None
            decoded.append((line, event_from_dict(obj, line=line), None))
        return decoded

    @staticmethod
    def decode_lines(numbered_lines: Iterable[tuple[int, bytes]]) -> list[Decoded]:
        """Validate JSONL lines: input events, or exported records (with their record
        fields, which the append keeps exactly)."""
        decoded = []
        for line, raw in numbered_lines:
            if is_record(raw):
                event, meta = decode_record(raw, line=line)
                decoded.append((line, event, meta))
            else:
                decoded.append((line, decode_event(raw, line=line), None))
        return decoded

    def write(self, decoded: list[Decoded], expected_version: int | None = None,
              default_stream: str | None = None,
              progress: Callable[[int], None] | None = None) -> Appended:
        """Write decoded events inside the caller's write transaction (`storage.writing()`)
        and return what was written; raises (and the caller rolls back) on the first
        invalid event, so a batch is all or nothing."""
        check_append(default_stream, expected_version)
        if expected_version is not None:
            streams = {(e.stream or default_stream) for _, e, _ in decoded}
            if len(streams) > 1:
                raise InvalidArgument("expected_version", "{arg} needs a batch of one stream")
        storage = self.storage
        batch = Batch(storage, storage.head())
        batch.bulk = len(decoded) > 200
        # A small batch's streams' versions are asked with its ids (one round trip).
        streams = () if batch.bulk else {e.stream or default_stream for _, e, _ in decoded}
        batch.prefetch_ids([e.id for _, e, _ in decoded if e.id is not None],
                           [s for s in streams if s is not None])
        checked_batch_version = expected_version is None
        receipts: list[Receipt] = []
        for n, (line, event, meta) in enumerate(decoded, 1):
            where = f"line {line}: " if line is not None else (
                f"event #{n}: " if len(decoded) > 1 else "")
            stream = event.stream or default_stream
            if stream is None:
                raise InvalidArgument("stream", f"{where}{_label(event)}: field `stream`: "
                                      "missing (give it in the event, or give {arg})")
            # The batch's expected_version is checked at its first new event, before
            # anything else about that event, so a stale writer always sees exit 3.
            receipt = self._append_one(batch, event, meta, stream, where,
                                       None if checked_batch_version else expected_version)
            if not receipt.duplicate:
                checked_batch_version = True
            receipts.append(receipt)
            if progress is not None and n % 1000 == 0:
                progress(1000)
        if batch.rows:
            storage.insert_events(batch.rows, batch.ref_rows)
        if progress is not None:
            progress(len(decoded) % 1000)
        return Appended(receipts, batch.touched, batch.rows)

    def _append_one(self, batch: Batch, event: Event, meta, stream: str, where: str,
                    batch_expected: int | None = None) -> Receipt:
        kind = type(event).__struct_config__.tag
        ident = event.id or str(uuid.uuid4())
        label = _label(event)
        content = content_of(event, stream, ident)
        found = batch.find_event(ident) if event.id is not None else None
        if found is not None:
            f_stream, _, record = found
            stored = {k: record[k] for k in content}
            if canonical(stored) != canonical(content):
                differ = [k for k in content if canonical(stored[k]) != canonical(content[k])]
                raise InvalidEvent(f"{where}{label}: field `id`: already used by event "
                                   f"#{record['seq']}, which differs in `{'`, `'.join(differ)}`")
            stored_hash = batch.stored_hash(ident)
            if meta is not None:
                _same_record(meta, {**record, "hash": stored_hash}, f"{where}{label}: ")
            return Receipt(record["seq"], ident, f_stream, record["version"], stored_hash, True)
        version = batch.version(stream) + 1
        for expected in (batch_expected, event.expected_version):
            if expected is not None and expected != version - 1:
                raise ConflictError(
                    f"{where}{label}: field `expected_version`: stream {stream!r} is at "
                    f"version {version - 1}, expected {expected}; nothing was written"
                )
        content["data"] = check_refs(batch, kind, content["data"], stream, f"{where}{label}: ")
        if meta is None:  # new input: an exported record imports as its Docket wrote it
            _check_targets_once(batch, kind, content["data"], f"{where}{label}: ")
        seq = batch.seq + 1
        if meta is not None:
            # An exported record is kept exactly as it was: its position, time and hash.
            for key, want in (("seq", seq), ("version", version), ("prev_hash", batch.hash)):
                # type() too: JSON's 1.0 and true compare equal to 1 in Python.
                if type(meta[key]) is not type(want) or meta[key] != want:
                    hint = ("; an exported record keeps its place in the log it came from, "
                            "so the records before it are imported first, in their order"
                            if key == "seq" else "")
                    raise InvalidEvent(f"{where}{label}: field `{key}`: {meta[key]!r} does not "
                                       f"follow this log (expected {want!r}){hint}")
            try:
                recorded_us = parse_time(meta["recorded_at"])
            except (ValueError, TypeError) as exc:
                raise InvalidEvent(f"{where}{label}: field `recorded_at`: {exc}") from None
            if format_utc(recorded_us) != meta["recorded_at"]:
                raise InvalidEvent(f"{where}{label}: field `recorded_at`: not in the log's form "
                                   "YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC)")
            if recorded_us < batch.last_recorded:
                raise InvalidEvent(f"{where}{label}: field `recorded_at`: earlier than the "
                                   "event before it")
            if recorded_us > batch.now + FUTURE_TOLERANCE_US:
                # Every later append would inherit it (recorded_at never decreases).
                raise InvalidEvent(f"{where}{label}: field `recorded_at`: "
                                   f"{meta['recorded_at']} is later than this machine's clock "
                                   f"({format_utc(batch.now)}) by more than the "
                                   f"{FUTURE_TOLERANCE_US // 60_000_000} minutes allowed")
            recorded_at = meta["recorded_at"]
        else:
            # recorded_at never decreases along seq, even when the wall clock steps back.
            recorded_us = max(batch.now, batch.last_recorded)
            recorded_at = batch.format_recorded(recorded_us)
        batch.last_recorded = recorded_us
        record = {**content, "seq": seq, "version": version, "recorded_at": recorded_at,
                  "schema_version": SCHEMA_VERSION, "prev_hash": batch.hash}
        body = canonical(record)
        digest = chain_hash(batch.hash, body)
        if meta is not None and meta["hash"] != digest:
            raise InvalidEvent(f"{where}{label}: field `hash`: does not match the record "
                               f"(expected {digest})")
        occurred_us = time_key(content["occurred_at"])  # validated when decoded
        batch.rows.append(EventRow(seq, ident, stream, version, kind, occurred_us, recorded_us,
                                   body, digest))
        batch.events[ident] = (stream, kind, body)
        batch.seq, batch.hash, batch.versions[stream] = seq, digest, version
        new = introduced(kind, content["data"])
        if new is not None:
            key = (stream, *new)
            batch.refs[key] = seq
            batch.ref_rows.append((*key, seq))
        elif kind in _AMENDING:
            batch.ref_rows.append((stream, kind, ident, seq))
        # The earliest replay position this event changes: its own, or for a retraction or
        # correction the target's old and new positions. The stored views refold from there.
        earliest = (occurred_us, seq)
        if kind in _AMENDING:
            target = batch.find_event(content["data"]["target_id"])[2]
            # Wherever the story has placed the target: as written, as corrected before,
            # and as this correction places it.
            times = [target["occurred_at"], content["data"].get("occurred_at"),
                     *batch.corrected_times(stream, target["id"])]
            earliest = min([earliest] + [(parse_time(t), target["seq"]) for t in times if t])
        if stream not in batch.touched or earliest < batch.touched[stream]:
            batch.touched[stream] = earliest
        return Receipt(seq, ident, stream, version, digest, False)

    # -- reading ---------------------------------------------------------------------------
    def read(self, stream: str | None = None, after_seq: int = 0,
             limit: int | None = None) -> Iterator[dict]:
        """Records (dicts, `hash` included) in seq order after `after_seq` (of `stream`), at
        most `limit` of them, streamed in pages: each page is its own short transaction, so
        a reader left suspended holds nothing and never blocks an append. Bad arguments are
        refused here, before the first record (a stream the log does not hold too)."""
        check_after_seq(after_seq)
        if stream is not None:
            with self.storage.reading():
                self.require_stream(stream)
        return self._pages(stream, after_seq, limit)

    def require_stream(self, stream: str) -> None:
        """Refuse a stream the log holds no event of, naming those it holds (in a txn)."""
        if not self.storage.has_stream(stream):
            known = ", ".join(self.storage.stream_names()) or "none"
            raise InvalidArgument("stream", f"{{arg}}: no stream {stream!r} in the log "
                                  f"(streams: {known})")

    def _pages(self, stream: str | None, after_seq: int, limit: int | None) -> Iterator[dict]:
        left = limit
        while left is None or left > 0:
            size = PAGE if left is None else min(PAGE, left)
            try:
                page = self.storage.read_page(stream, after_seq, size)
            except Unavailable:
                raise  # the server, not the data: a follower waits for it (api._follow)
            except StorageError:
                # A damaged file: one event at a time up to the first one that cannot be
                # read, so the error names where the damage starts.
                page = self._narrow(stream, after_seq, size)
            for seq, body, digest in page:
                yield self._record(seq, body, digest)
            if len(page) < size:
                return
            after_seq = page[-1][0]
            if left is not None:
                left -= len(page)

    def _narrow(self, stream: str | None, after_seq: int, size: int) -> list[tuple]:
        page: list[tuple] = []
        while len(page) < size:
            try:
                row = self.storage.read_page(stream, after_seq, 1)
            except StorageError as exc:  # an unreachable server is not damage: as it is
                raise (exc if isinstance(exc, Unavailable) else StorageError(
                    f"cannot read the event after seq {after_seq}: {exc}")) from None
            if not row:
                break
            page += row
            after_seq = row[0][0]
        return page

    def _record(self, seq: int, body: bytes, digest: str) -> dict:
        try:
            record = _decode_body(body)
            if not isinstance(record, dict):
                raise TypeError("not a JSON object")
        except (msgspec.DecodeError, TypeError) as exc:
            raise StorageError(f"cannot read the event at seq {seq} of {self.path}: its "
                               f"stored bytes are damaged ({exc}); `docket verify` lists "
                               "the damage") from None
        record["hash"] = digest
        return record

    def export_lines(self, stream: str | None = None) -> Iterator[bytes]:
        """Exported JSONL lines (canonical records with `hash`), newline-terminated; an
        unknown stream is refused at the call, as `read` refuses it."""
        return (canonical(record) + b"\n" for record in self.read(stream))

    def streams(self) -> list[str]:
        """The names of the streams in the log, sorted."""
        with self.storage.reading():
            return self.storage.stream_names()

    def stream_version(self, stream: str) -> int:
        """The current version of a stream (0 when it has no events)."""
        with self.storage.reading():
            return self.storage.stream_version(stream)

    def close(self) -> None:
        """Close the underlying database; later calls raise StorageError."""
        self.storage.close()


def _check_targets_once(batch: Batch, kind: str, data: dict, where: str) -> None:
    """An order, or a correction's replacement of one, names each target once."""
    field = "data.targets"
    if kind == "event_corrected" and data.get("data") is not None:
        kind, data, field = batch.find_event(data["target_id"])[1], data["data"], "data.data.targets"
    problem = named_twice(data.get("targets"), field) if kind == "order_issued" else None
    if problem is not None:
        raise InvalidEvent(where + problem)


def _same_record(meta: dict, record: dict, where: str) -> None:
    """An exported record whose event the log holds is a duplicate only when it is the
    log's record exactly: a copy with another position, time or hash is refused, so a
    re-import can confirm that a backup matches the log (and a doctored one cannot pass)."""
    if meta["seq"] != record["seq"]:
        raise InvalidEvent(f"{where}field `seq`: the log holds it at seq {record['seq']}, "
                           f"not {meta['seq']}")
    for key in ("version", "recorded_at", "prev_hash", "hash"):
        # type() too: JSON's 1.0 and true compare equal to 1 in Python.
        if type(meta[key]) is not type(record[key]) or meta[key] != record[key]:
            raise InvalidEvent(f"{where}field `{key}`: {meta[key]!r} is not the log's record "
                               f"of this event (seq {record['seq']} has {record[key]!r})")


def _label(event: Event) -> str:
    kind = type(event).__struct_config__.tag
    return f"event {event.id!r} ({kind})" if event.id else f"event ({kind})"
