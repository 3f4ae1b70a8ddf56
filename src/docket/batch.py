"""`Batch`: what one append transaction knows while it checks and builds its records.

The head of the chain, each stream's version, the references and event ids the log and the
batch already hold, and the rows to insert. Lookups go to the database once and are
remembered; a big batch loads a stream's references in one query.
"""

from __future__ import annotations

import msgspec

from .times import format_utc, now_utc

__all__ = ["Batch"]

_decode_body = msgspec.json.Decoder().decode


class Batch:
    """The state one append transaction needs: head, stream versions and known references."""

    def __init__(self, storage, head: tuple[int, str, int]) -> None:
        self.storage = storage
        self.seq, self.hash, self.last_recorded = head
        self.now = now_utc()
        self._formatted = (-1, "")
        self.versions: dict[str, int] = {}
        self.refs: dict[tuple[str, str, str], int] = {}
        self.loaded_refs: set[str] = set()
        self.bulk = False  # set for batches big enough to load references in bulk
        self.stored_ids: set[str] = set()
        self.asked: set[str] = set()  # ids whose presence in the log prefetch_ids checked
        self.events: dict[str, tuple[str, str, bytes | None]] = {}  # id -> (stream, type, content)
        self.rows: list[tuple] = []
        self.ref_rows: list[tuple] = []
        self.touched: dict[str, tuple[int, int]] = {}  # stream -> earliest replay key changed

    def format_recorded(self, micros: int) -> str:
        """format_utc, once per distinct value (a batch shares one recorded_at)."""
        if micros != self._formatted[0]:
            self._formatted = (micros, format_utc(micros))
        return self._formatted[1]

    def version(self, stream: str) -> int:
        if stream not in self.versions:
            self.versions[stream] = self.storage.stream_version(stream)
        return self.versions[stream]

    def has_ref(self, stream: str, kind: str, ref_id: str) -> bool:
        key = (stream, kind, ref_id)
        if key in self.refs:
            return True
        if stream in self.loaded_refs:
            return False
        if self.bulk:
            # A big batch loads the stream's references once and resolves them in memory.
            self.loaded_refs.add(stream)
            for ref_kind, ident, seq in self.storage.refs(stream):
                self.refs[(stream, ref_kind, ident)] = seq
            return key in self.refs
        seq = self.storage.ref_seq(*key)
        if seq is not None:
            self.refs[key] = seq
        return seq is not None

    def corrected_times(self, stream: str, target_id: str) -> list[str]:
        """The occurred_at values earlier corrections gave to one event (stored or batched)."""
        bodies = [b for _, (st, kind, b) in self.events.items()
                  if st == stream and kind == "event_corrected"]
        bodies += self.storage.amending_bodies(stream, 2**63 - 1, ("event_corrected",))
        out = []
        for body in bodies:
            data = _decode_body(body)["data"]
            if data["target_id"] == target_id and data.get("occurred_at"):
                out.append(data["occurred_at"])
        return out

    def prefetch_ids(self, ids: list[str], streams: list[str] = ()) -> None:
        """Learn which of a batch's ids the log already holds, and the versions of
        `streams`, in a few queries (one on a server)."""
        found, *versions = self.storage.read_many(
            [("existing_ids", (ids,)), *(("stream_version", (s,)) for s in streams)])
        self.stored_ids.update(found)
        self.asked.update(ids)
        self.versions.update(zip(streams, versions))

    def find_event(self, ident: str) -> tuple[str, str, dict] | None:
        """(stream, type, record) of a stored or batched event with this id."""
        if ident in self.events:
            stream, kind, body = self.events[ident]
            return stream, kind, _decode_body(body)
        if ident in self.asked and ident not in self.stored_ids:
            return None
        row = self.storage.event_by_id(ident)
        if row is None:
            return None
        return row[0], row[1], _decode_body(row[2])

    def stored_hash(self, ident: str) -> str:
        """The hash of an event with this id, batched or stored."""
        for row in self.rows:
            if row[1] == ident:
                return row[8]
        return self.storage.event_by_id(ident)[3]
