"""How views hold numbers and how a view is fingerprinted.

`canonical_view_bytes` is the one encoding that view fingerprints hash, so the stored views,
a fresh replay and committed projection files agree byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterator

import msgspec

__all__ = ["canonical_view_bytes", "canonical_pieces", "fingerprint", "whole"]

_encode = msgspec.json.encode


def whole(number: float | None) -> float | int | None:
    """A whole float as an int (1.0 -> 1): views hold whole numbers as ints, so a view
    built by a fold and one read back from SQLite's REAL columns encode alike."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def canonical_view_bytes(obj: Any) -> bytes:
    """Canonical JSON of a view: keys sorted, no whitespace.

    Views hold whole numbers as ints (see `whole`: the two computed ratios, and the REAL
    columns read back), so no walk over the view is needed here: at a million events the
    walk cost more than the fold of an as-of query."""
    return msgspec.json.encode(obj, order="sorted")


def fingerprint(obj: Any, chunk: int = 2048) -> str:
    """`sha256:` and the hex digest of `canonical_view_bytes(obj)`.

    The bytes are hashed piece by piece (see `canonical_pieces`), never held whole: a view
    of 200k events is 7 MB of JSON, which was a third of what building the view added to a
    replay's peak memory."""
    digest = hashlib.sha256()
    for piece in canonical_pieces(obj, chunk):
        digest.update(piece)
    return "sha256:" + digest.hexdigest()


def canonical_pieces(obj: Any, chunk: int = 2048) -> Iterator[bytes | memoryview]:
    """`canonical_view_bytes(obj)` in pieces, whose concatenation is exactly those bytes.

    A dict is written a key at a time; a dict value of more than `chunk` entries is encoded
    `chunk` entries at a time, in the sorted order of its keys, each part by msgspec with
    its braces cut off (so keys and values are escaped as msgspec escapes them). Python's
    order of strings is msgspec's: code points, which UTF-8's bytes keep (msgspec sorts
    only str keys)."""
    if type(obj) is not dict or not obj:
        yield _encode(obj, order="sorted")
        return
    sep = b"{"
    for key in sorted(obj):
        # msgspec writes the key as it writes any key: `"key":` of a one-entry dict.
        yield sep
        yield memoryview(_encode({key: None}))[1:-5]
        yield from _big_dict(obj[key], chunk)
        sep = b","
    yield b"}"


def _big_dict(value: Any, chunk: int) -> Iterator[bytes | memoryview]:
    if type(value) is not dict or len(value) <= chunk:
        yield _encode(value, order="sorted")
        return
    keys = sorted(value)
    yield b"{"
    for start in range(0, len(keys), chunk):
        if start:
            yield b","
        part = _encode({k: value[k] for k in keys[start:start + chunk]}, order="sorted")
        yield memoryview(part)[1:-1]
    yield b"}"
