"""The `docket_touches` index written while a stream is folded: which entities each event
touches (`docket.stored.entities`), the histories a late event's entities are refolded from."""

from __future__ import annotations

import msgspec

from .entities import touches
from .patch import history

__all__ = ["Index"]

_encode_seqs = msgspec.msgpack.Encoder().encode
# Index entries are written out when a long fold has gathered this many (~40 bytes an entry
# and ~200 a distinct entity: 20-100 MB at most): every flush starts new chunks,
# so a larger one writes fewer rows (100k events: 26k chunks at 500k, 48k at 50k, where the
# rows' inserts cost 0.07 s against 0.18 s) and later reads fewer chunks per history.
_FLUSH = 500_000


class Index:
    """The `docket_touches` entries of a fold: which entities each folded event touches,
    written as one chunk (a msgpack list of seqs) per entity and fold, not a row per event:
    an import of 100k events writes some 26k chunks instead of 230k rows (measured: 0.17 s
    instead of 0.74 s)."""

    def __init__(self, storage, stream: str, indexed: int = 0) -> None:
        # Events with seq up to `indexed` are in the index already: a fold that meets one
        # again (a correction moved it past the head) does not add it twice.
        self.storage, self.stream, self.indexed = storage, stream, indexed
        self.groups: dict[tuple[str, str], list[int]] = {}
        self.size = 0

    def add(self, seq: int, entities) -> None:
        """Index a new event: its seq is above every seq indexed before."""
        groups = self.groups
        for entity in entities:
            seqs = groups.get(entity)
            if seqs is None:
                groups[entity] = [seq]
            else:
                seqs.append(seq)
        self.size += len(entities)
        if self.size >= _FLUSH:
            self.flush()

    def add_old(self, seq: int, entities) -> None:
        """Index an event already in the log under more entities (a correction made it
        touch them): each entity's chunks are merged into one that holds it."""
        self.flush()
        storage, stream = self.storage, self.stream
        for kind, key in entities:
            seqs = history(storage, stream, [(kind, key)]) | {seq}
            storage.delete_prefix("docket_touches", (stream, kind, key))
            ordered = sorted(seqs)
            storage.upsert("docket_touches", [(stream, kind, key, ordered[0],
                                               _encode_seqs(ordered))])

    def flush(self) -> None:
        if self.groups:
            stream = self.stream
            self.storage.upsert("docket_touches", [
                (stream, kind, key, seqs[0], _encode_seqs(seqs))
                for (kind, key), seqs in self.groups.items()])
            self.groups, self.size = {}, 0

    def hook(self, then):
        """An `on_fold` that indexes each record, then calls `then`."""
        add, indexed = self.add, self.indexed

        def on_fold(key, record, state, n):
            if record.seq > indexed:
                add(record.seq, touches(record.type, record.data, state["orders"].get))
            then(key, record, state, n)

        return on_fold
