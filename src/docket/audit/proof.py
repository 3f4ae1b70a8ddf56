"""Proof files: c2sp.org/tlog-proof@v1 for one event, and Docket's consistency proof file.

A tlog-proof (`.tlog-proof`) is the line `c2sp.org/tlog-proof@v1`, an optional `extra
<base64>` line, `index <n>` (the event's seq - 1), one base64 hash per line (RFC 9162
§2.1.3, from the leaf's sibling up), a blank line, then the checkpoint note verbatim.

A consistency proof file says what it proves and the hashes (RFC 9162 §2.1.4):

    docket/consistency-proof@v1
    old <size>
    new <size>
    <base64 hash>          one per line, zero or more

The proofs are computed from a stream of leaf hashes in one pass and O(log n) memory: each
proof hash is the root of a range of leaves, and the ranges are disjoint.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Iterable

from ..errors import InvalidProof
from ..merkle import TreeBuilder
from .note import b64decode

__all__ = [
    "CONSISTENCY_HEADER", "ConsistencyProof", "TLOG_PROOF_HEADER", "TlogProof",
    "format_consistency", "format_tlog_proof", "inclusion_ranges", "parse_consistency",
    "parse_tlog_proof", "range_roots",
]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
CONSISTENCY_HEADER = "docket/consistency-proof@v1"
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: the leaf index, the inclusion proof and the checkpoint note."""

    index: int
    hashes: tuple[bytes, ...]
    note: str
    extra: bytes | None = None


@dataclass(frozen=True)
class ConsistencyProof:
    """A parsed consistency proof: from tree size `old` to `new`."""

    old: int
    new: int
    hashes: tuple[bytes, ...]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def format_tlog_proof(index: int, hashes: Iterable[bytes], note: str) -> str:
    """The tlog-proof text."""
    return (f"{TLOG_PROOF_HEADER}\nindex {index}\n" + "".join(_b64(h) + "\n" for h in hashes)
            + "\n" + note)


def _hash_line(line: str, what: str) -> bytes:
    digest = b64decode(line, what)
    if len(digest) != 32:
        raise InvalidProof(f"{what}: {len(digest)} bytes, not a 32-byte hash")
    return digest


def _text(data: bytes | str, what: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidProof(f"{what}: not UTF-8 (byte {exc.start})") from None


def _number(line: str, key: str, n: int, what: str) -> int:
    word, _, value = line.partition(" ")
    if word != key or not _NUMBER.fullmatch(value):
        raise InvalidProof(f"{what}: line {n}: expected `{key} <number>` (decimal, no "
                           "leading zeros)")
    return int(value)


def parse_tlog_proof(data: bytes | str, what: str = "proof") -> TlogProof:
    """A tlog-proof file; InvalidProof naming the line that is wrong."""
    text = _text(data, what)
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise InvalidProof(f"{what}: no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise InvalidProof(f"{what}: line 1: not `{TLOG_PROOF_HEADER}`")
    n, extra = 1, None
    if len(lines) > 1 and lines[1].startswith("extra "):
        extra, n = b64decode(lines[1][6:], f"{what}: line 2: extra data"), 2
    if len(lines) <= n:
        raise InvalidProof(f"{what}: no `index` line")
    index = _number(lines[n], "index", n + 1, what)
    hashes = tuple(_hash_line(line, f"{what}: line {i}: proof hash")
                   for i, line in enumerate(lines[n + 1:], n + 2))
    if not note:
        raise InvalidProof(f"{what}: no checkpoint after the blank line")
    return TlogProof(index, hashes, note, extra)


def format_consistency(old: int, new: int, hashes: Iterable[bytes]) -> str:
    """The consistency proof file's text."""
    return (f"{CONSISTENCY_HEADER}\nold {old}\nnew {new}\n"
            + "".join(_b64(h) + "\n" for h in hashes))


def parse_consistency(data: bytes | str, what: str = "consistency proof") -> ConsistencyProof:
    """A consistency proof file; InvalidProof naming the line that is wrong."""
    text = _text(data, what)
    if not text.endswith("\n"):
        raise InvalidProof(f"{what}: the last line does not end with a newline (truncated?)")
    lines = text[:-1].split("\n")
    if lines[0] != CONSISTENCY_HEADER:
        raise InvalidProof(f"{what}: line 1: not `{CONSISTENCY_HEADER}`")
    if len(lines) < 3:
        raise InvalidProof(f"{what}: no `old` and `new` lines")
    old, new = _number(lines[1], "old", 2, what), _number(lines[2], "new", 3, what)
    hashes = tuple(_hash_line(line, f"{what}: line {i}: proof hash")
                   for i, line in enumerate(lines[3:], 4))
    return ConsistencyProof(old, new, hashes)


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PATH(index, D[size]), leaf to root (RFC 9162)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} out of range for tree of size {size}")
    top_down = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = lo + _split(hi - lo)
        if index < k:
            top_down.append((k, hi))
            hi = k
        else:
            top_down.append((lo, k))
            lo = k
    return top_down[::-1]


def range_roots(leaf_hashes: Iterable[bytes], size: int,
                ranges: list[tuple[int, int]]) -> tuple[bytes, list[bytes]]:
    """(root of the first `size` leaves, the root of each range in `ranges`), in one pass
    over `leaf_hashes` (which must hold at least `size`; the rest is not read)."""
    tree = TreeBuilder()
    builders = [TreeBuilder() for _ in ranges]
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    at = 0
    for i, h in enumerate(leaf_hashes):
        if i >= size:
            break
        tree.add_leaf_hash(h)
        while at < len(order) and i >= ranges[order[at]][1]:
            at += 1
        if at < len(order) and ranges[order[at]][0] <= i:
            builders[order[at]].add_leaf_hash(h)
    if tree.size < size:
        raise ValueError(f"{tree.size} leaves, fewer than {size}")
    return tree.root(), [b.root() for b in builders]
