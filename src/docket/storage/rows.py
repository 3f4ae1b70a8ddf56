"""The rows the storage interface (`docket.storage.base`) passes: the head of the chain, an
event as the append inserts it and as the audit reads it."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Head", "EventRow", "ChainRow"]


class Head(NamedTuple):
    """The end of the chain: the last seq, its hash and its recorded time (UTC µs)."""

    seq: int
    hash: str
    recorded_us: int


class EventRow(NamedTuple):
    """One stored event as the append inserts it: the record's canonical bytes (`body`) and
    the columns derived from them, which every backend indexes."""

    seq: int
    id: str
    stream: str
    version: int
    type: str
    occurred_us: int
    recorded_us: int
    body: bytes
    hash: str


class ChainRow(NamedTuple):
    """What the audit reads of each stored event, in seq order (`chain_rows`)."""

    seq: int
    id: str
    stream: str
    version: int
    type: str
    recorded_us: int
    body: bytes
    hash: str
    occurred_us: int
