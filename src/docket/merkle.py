"""RFC 6962 / RFC 9162 §2.1 Merkle tree: roots, inclusion and consistency proofs.

Only hashlib is used, so an auditor can read and re-implement this file alone.
Generation functions raise ValueError on impossible arguments (they are called
by our own code); verification functions never raise: anything malformed -- a
hash that is not 32 bytes, a non-list proof, index >= size, old_size > new_size
-- makes them return False, because an auditor feeding hostile input must get
a verdict, not a traceback.
"""

from __future__ import annotations

import hashlib
from typing import Iterable

__all__ = [
    "EMPTY_ROOT", "leaf_hash", "node_hash", "root", "inclusion_proof", "consistency_proof",
    "verify_inclusion", "verify_inclusion_hash", "verify_consistency", "TreeBuilder", "root_from_leaf_hashes",
    "root_from_hashes", "inclusion_proof_from_hashes", "consistency_proof_from_hashes",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1)."""


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d); the prefix stops a leaf posing as a node."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node = SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """One-pass root computation in O(log n) memory.

    Leaves are pushed like a binary counter: after the i-th leaf the stack holds
    one perfect subtree per set bit of i, largest first.  Those are exactly the
    subtrees RFC 6962's "split at the largest power of two" recursion produces,
    so folding the stack from the right yields the RFC root.
    """

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    def add_leaf(self, leaf: bytes) -> None:
        """Append raw leaf data."""
        self.add_leaf_hash(leaf_hash(leaf))

    def add_leaf_hash(self, h: bytes) -> None:
        """Append an already computed leaf hash."""
        stack = self._stack
        stack.append(h)
        self.size += 1
        c = self.size
        while not c & 1:  # each trailing zero bit = two equal subtrees to merge
            r = stack.pop()
            stack[-1] = hashlib.sha256(b"\x01" + stack[-1] + r).digest()
            c >>= 1

    def root(self) -> bytes:
        """Root of the leaves added so far (EMPTY_ROOT if none)."""
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            r = node_hash(h, r)
        return r


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """Root from an iterable of leaf hashes, streamed (never materialised)."""
    b = TreeBuilder()
    for h in leaf_hashes:
        b.add_leaf_hash(h)
    return b.root()


def root_from_hashes(leaf_hashes: list[bytes]) -> bytes:
    """Root over a list of precomputed leaf hashes."""
    return root_from_leaf_hashes(leaf_hashes)


def _range_root(hashes: list[bytes], lo: int, hi: int) -> bytes:
    # Proof siblings are disjoint ranges, so streaming each one costs O(n) in total.
    return root_from_leaf_hashes(hashes[i] for i in range(lo, hi))


def inclusion_proof_from_hashes(leaf_hashes: list[bytes], index: int) -> list[bytes]:
    """RFC 9162 PATH(index, D[n]) over leaf hashes; leaf-to-root order."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ValueError(f"index {index} out of range for tree of size {n}")
    top_down: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:  # walk down from the root, recording the sibling at each split
        k = lo + _split(hi - lo)
        if index < k:
            top_down.append(_range_root(leaf_hashes, k, hi))
            hi = k
        else:
            top_down.append(_range_root(leaf_hashes, lo, k))
            lo = k
    return top_down[::-1]


def consistency_proof_from_hashes(leaf_hashes: list[bytes], old_size: int) -> list[bytes]:
    """RFC 9162 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) over leaf hashes."""
    n = len(leaf_hashes)
    if not 0 <= old_size <= n:
        raise ValueError(f"old_size {old_size} out of range for tree of size {n}")
    if old_size in (0, n):
        return []
    top_down: list[bytes] = []
    lo, hi, m, b = 0, n, old_size, True  # m counts leaves of the old tree inside [lo, hi)
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:  # old tree ends in the left half: right half is new, record it
            top_down.append(_range_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:  # left half is shared and complete: record it, recurse right
            top_down.append(_range_root(leaf_hashes, lo, lo + k))
            lo, m, b = lo + k, m - k, False
    # Base case m == n: the verifier already holds the old root only when b is true.
    base = [] if b else [_range_root(leaf_hashes, lo, hi)]
    return base + top_down[::-1]


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over raw leaf data."""
    return root_from_leaf_hashes(map(leaf_hash, leaves))


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """Audit path for leaves[index] (raw leaf data)."""
    return inclusion_proof_from_hashes([leaf_hash(x) for x in leaves], index)


def consistency_proof(leaves: list[bytes], old_size: int) -> list[bytes]:
    """Proof that the first old_size leaves are a prefix of leaves."""
    return consistency_proof_from_hashes([leaf_hash(x) for x in leaves], old_size)


def _is_hash(h: object) -> bool:
    return isinstance(h, (bytes, bytearray)) and len(h) == 32


def _is_size(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _is_proof(p: object) -> bool:
    return isinstance(p, (list, tuple)) and all(_is_hash(h) for h in p)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does raw `leaf` sit at `index` in the tree (`size`, `root`)?"""
    if not isinstance(leaf, (bytes, bytearray)):
        return False
    return verify_inclusion_hash(leaf_hash(bytes(leaf)), index, size, proof, root)


def verify_inclusion_hash(leaf_digest: bytes, index: int, size: int, proof: list[bytes],
                          root: bytes) -> bool:
    """`verify_inclusion` given the leaf's hash (as published test vectors give it). A proof
    of None is the empty proof (the vectors' `null`)."""
    proof = [] if proof is None else proof
    if not (_is_hash(leaf_digest) and _is_size(index) and _is_size(size)
            and _is_proof(proof) and _is_hash(root)) or index >= size:
        return False
    fn, sn, r = index, size - 1, bytes(leaf_digest)
    for p in proof:
        if sn == 0:  # proof longer than the path: reject rather than ignore extras
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:  # skip levels where our node has no right sibling
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (new_size, new_root) an extension of (old_size, old_root)?

    Sizes equal: the proof must be empty and the roots equal (compared as they are:
    the published vectors expect two equal roots of any length to pass), and at size 0
    both must be EMPTY_ROOT.  old_size 0: the proof must be empty and old_root must be
    EMPTY_ROOT (stricter than RFC, which leaves size 0 undefined: a nonsense old root is
    refused, not waved through). A proof of None is the empty proof (the vectors' `null`).
    """
    proof = [] if proof is None else proof
    if (_is_size(old_size) and old_size == new_size and isinstance(old_root, (bytes, bytearray))
            and isinstance(new_root, (bytes, bytearray)) and isinstance(proof, (list, tuple))):
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if not (_is_size(old_size) and _is_size(new_size) and _is_hash(old_root)
            and _is_hash(new_root) and _is_proof(proof)) or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # power of two: old root is itself a node of the new tree
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:  # levels where the old tree's last node is a right child: path[0] covers them
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
