"""How fold states are kept: the msgpack codec of states, fold entries and snapshots, and how
often a snapshot is taken."""

from __future__ import annotations

import msgspec

__all__ = ["SNAPSHOT_EVERY", "copy_state", "decode_state", "encode_state"]

# A snapshot of the fold every this many events of replay order: an as-of query then folds
# at most this many events past the nearest snapshot (a few % of a 200k-event stream).
SNAPSHOT_EVERY = 5_000

encode_state = msgspec.msgpack.Encoder().encode
decode_state = msgspec.msgpack.Decoder().decode


def copy_state(state: dict) -> dict:
    """A deep copy (through msgpack): callers may fold on it without touching the original."""
    return decode_state(encode_state(state))
