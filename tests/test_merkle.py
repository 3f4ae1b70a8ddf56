"""Tests for docket.merkle.

Known-answer vectors are copied from the certificate-transparency reference tests:
google/certificate-transparency cpp/merkletree/merkle_tree_test.cc (kInputs,
kSHA256Roots, kSHA256Paths, kSHA256Proofs) and transparency-dev/merkle
proof/verify_test.go (same values plus the 6 -> 7 consistency proof).  Those
files number leaves from 1; the indices below are converted to 0-based.
"""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docket.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_proof,
    consistency_proof_from_hashes,
    inclusion_proof,
    inclusion_proof_from_hashes,
    leaf_hash,
    node_hash,
    root,
    root_from_hashes,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

H = bytes.fromhex

LEAVES = [H(x) for x in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]

ROOTS = [H(x) for x in (  # ROOTS[n] = root of the first n leaves
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]

INCLUSION = [  # (0-based index, tree size, proof)
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]

CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]

SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- Reference implementation: the RFC 9162 §2.1 recursions, written as literally as possible.

def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d):
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m, d):
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m, d, b):
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


DATA64 = [bytes([i]) * (i % 5) for i in range(64)]  # mixed lengths, includes b""
ROOTS64 = [ref_mth(DATA64[:n]) for n in range(65)]


# --- Known answers.

def test_hash_primitives():
    # From transparency-dev/merkle rfc6962/rfc6962_test.go.
    assert leaf_hash(b"") == H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456") == H(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert node_hash(b"N123", b"N456") == H(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")
    assert EMPTY_ROOT == ROOTS[0]


@pytest.mark.parametrize("n", range(9))
def test_roots(n):
    assert root(LEAVES[:n]) == ROOTS[n]
    assert root_from_hashes([leaf_hash(x) for x in LEAVES[:n]]) == ROOTS[n]
    assert ref_mth(LEAVES[:n]) == ROOTS[n]


def test_tree_builder_incremental():
    b = TreeBuilder()
    assert b.root() == ROOTS[0]
    for n, leaf in enumerate(LEAVES, 1):
        b.add_leaf(leaf)
        assert (b.size, b.root()) == (n, ROOTS[n])


@pytest.mark.parametrize("index,size,proof", INCLUSION)
def test_inclusion_vectors(index, size, proof):
    proof = [H(p) for p in proof]
    assert inclusion_proof(LEAVES[:size], index) == proof
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize("old,new,proof", CONSISTENCY)
def test_consistency_vectors(old, new, proof):
    proof = [H(p) for p in proof]
    assert consistency_proof(LEAVES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


# Proof shapes from transparency-dev/merkle proof/proof_test.go (node IDs, no hashes),
# rewritten as leaf ranges; the hashes are then taken from the reference MTH.
SHAPES_INCLUSION = [
    (7, 0, [(1, 2), (2, 4), (4, 7)]), (7, 3, [(2, 3), (0, 2), (4, 7)]),
    (7, 4, [(5, 6), (6, 7), (0, 4)]), (7, 6, [(4, 6), (0, 4)]),
    (5, 3, [(2, 3), (0, 2), (4, 5)]), (6, 4, [(5, 6), (0, 4)]),
]
SHAPES_CONSISTENCY = [
    (1, 6, [(1, 2), (2, 4), (4, 6)]), (2, 8, [(2, 4), (4, 8)]),
    (3, 7, [(2, 3), (3, 4), (0, 2), (4, 7)]), (4, 7, [(4, 7)]),
    (5, 7, [(4, 5), (5, 6), (6, 7), (0, 4)]), (6, 7, [(4, 6), (6, 7), (0, 4)]),
    (7, 8, [(6, 7), (7, 8), (4, 6), (0, 4)]), (3, 5, [(2, 3), (3, 4), (0, 2), (4, 5)]),
]


@pytest.mark.parametrize("size,index,ranges", SHAPES_INCLUSION)
def test_inclusion_shapes(size, index, ranges):
    want = [ref_mth(LEAVES[a:b]) for a, b in ranges]
    assert inclusion_proof(LEAVES[:size], index) == want


@pytest.mark.parametrize("old,new,ranges", SHAPES_CONSISTENCY)
def test_consistency_shapes(old, new, ranges):
    want = [ref_mth(LEAVES[a:b]) for a, b in ranges]
    assert consistency_proof(LEAVES[:new], old) == want
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], want)


# --- Negative cases (mutations as in the reference verifier tests).  The tree size is
# deliberately never nudged by one: a proof does not bind the size on its own (the signed
# tree head does), e.g. the path for leaf 0 of 8 also reads as a path in a 7-leaf tree
# whose last proof node is a 3-leaf subtree root, so such probes legitimately verify.

def flips(proof):
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 0x10]) + bad[i][1:]
        yield bad


@pytest.mark.parametrize("index,size,proof", [v for v in INCLUSION if v[1] > 1])
def test_inclusion_rejects(index, size, proof):
    proof, rt, leaf = [H(p) for p in proof], ROOTS[size], LEAVES[index]
    bad_args = [
        (leaf, index - 1, size, proof, rt), (leaf, index + 1, size, proof, rt),
        (leaf, index ^ 2, size, proof, rt), (leaf, index, size * 2, proof, rt),
        (leaf, index, size // 2, proof, rt), (leaf, size, size, proof, rt),
        (b"WrongLeaf", index, size, proof, rt), (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH), (leaf, index, size, proof[:-1], rt),
        (leaf, index, size, proof + [rt], rt), (leaf, index, size, proof + [b""], rt),
        (leaf, index, size, [rt] + proof, rt), (leaf, index, size, [b""] + proof, rt),
        (leaf, index, size, [proof[0], SOME_HASH] + proof[1:], rt),
        (leaf, index, size, proof, rt[:31]), (leaf, index, size, proof, rt + b"\0"),
        (leaf, index, size, proof[:-1] + [proof[-1] + b"\0"], rt),
        (leaf, index, size, proof, rt.hex()), (leaf, index, size, [p.hex() for p in proof], rt),
        (leaf, index, size, None, rt), (leaf.hex(), index, size, proof, rt),
        (leaf, -1, size, proof, rt), (leaf, index, -size, proof, rt),
        (leaf, float(index), size, proof, rt),
    ]
    bad_args += [(leaf, index, size, bad, rt) for bad in flips(proof)]
    for args in bad_args:
        assert verify_inclusion(*args) is False, args


@pytest.mark.parametrize("old,new,proof", [v for v in CONSISTENCY if v[2]])
def test_consistency_rejects(old, new, proof):
    proof, r1, r2 = [H(p) for p in proof], ROOTS[old], ROOTS[new]
    bad_args = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof), (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof), (new, old, r2, r1, proof),
        (old, new, SOME_HASH, r2, proof), (old, new, r1, SOME_HASH, proof),
        (old, new, r2, r1, proof), (old, new, r1, r2, []), (old, new, r1, r2, proof[:-1]),
        (old, new, r1, r2, proof + [b""]), (old, new, r1, r2, proof + [r1]),
        (old, new, r1, r2, proof + [r2]), (old, new, r1, r2, [b""] + proof),
        (old, new, r1, r2, [r1] + proof), (old, new, r1, r2, [r2] + proof),
        (old, new, r1, r2, [proof[0]] + proof),
        (old, new, r1[:31], r2, proof), (old, new, r1, r2 + b"\0", proof),
        (old, new, r1, r2, [p[:31] for p in proof]), (old, new, r1.hex(), r2, proof),
        (old, new, r1, r2, None), (-old, new, r1, r2, proof), (old, True, r1, r2, proof),
    ]
    bad_args += [(old, new, r1, r2, bad) for bad in flips(proof)]
    for args in bad_args:
        assert verify_consistency(*args) is False, args


def test_trivial_and_degenerate_cases():
    # Equal sizes: empty proof and equal roots, nothing else.
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[3], [EMPTY_ROOT])
    # From size 0: empty proof, and the old root must be the empty-tree hash.
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, SOME_HASH, ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [EMPTY_ROOT])
    assert not verify_consistency(1, 0, ROOTS[1], EMPTY_ROOT, [])
    assert not verify_consistency(1, 2, ROOTS[1], ROOTS[2], [])
    # Nothing is included in an empty tree; index must be < size.
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1)]:
        assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
        assert not verify_inclusion(b"", index, size, [], ROOTS[1])
    assert verify_inclusion(b"", 0, 1, [], ROOTS[1])
    assert not verify_inclusion(b"", 0, 1, [], ROOTS[1][:16])
    assert consistency_proof(LEAVES, 0) == [] and consistency_proof(LEAVES, 8) == []
    assert consistency_proof([], 0) == []


def test_generation_rejects_bad_arguments():
    for leaves, index in [([], 0), (LEAVES, 8), (LEAVES, -1)]:
        with pytest.raises(ValueError):
            inclusion_proof(leaves, index)
    for leaves, old in [(LEAVES, 9), (LEAVES, -1), ([], 1)]:
        with pytest.raises(ValueError):
            consistency_proof(leaves, old)


# --- Exhaustive small trees, checked against the reference recursions.

def test_all_inclusion_proofs_up_to_64():
    hashes = [leaf_hash(x) for x in DATA64]
    for n in range(1, 65):
        for i in range(n):
            proof = inclusion_proof_from_hashes(hashes[:n], i)
            assert proof == ref_path(i, DATA64[:n]), (i, n)
            assert verify_inclusion(DATA64[i], i, n, proof, ROOTS64[n])
            assert not verify_inclusion(DATA64[i], i, n, proof, ROOTS64[n - 1])
            for bad in flips(proof):
                assert not verify_inclusion(DATA64[i], i, n, bad, ROOTS64[n])


def test_all_consistency_proofs_up_to_64():
    hashes = [leaf_hash(x) for x in DATA64]
    for n in range(1, 65):
        for m in range(1, n + 1):
            proof = consistency_proof_from_hashes(hashes[:n], m)
            assert proof == ref_subproof(m, DATA64[:n], True), (m, n)
            assert verify_consistency(m, n, ROOTS64[m], ROOTS64[n], proof)
            if m < n:
                assert not verify_consistency(m, n, ROOTS64[m], ROOTS64[n], proof[:-1])
                assert not verify_consistency(m, n, ROOTS64[n], ROOTS64[m], proof)
                for bad in flips(proof):
                    assert not verify_consistency(m, n, ROOTS64[m], ROOTS64[n], bad)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=140))
def test_streaming_root_matches_recursive_root(leaves):
    want = ref_mth(leaves)
    assert root(leaves) == want
    assert root_from_leaf_hashes(iter([leaf_hash(x) for x in leaves])) == want
    b = TreeBuilder()
    for x in leaves:
        b.add_leaf(x)
    assert b.root() == want


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.data())
def test_random_proofs_verify(n, data):
    leaves = [i.to_bytes(2, "big") for i in range(n)]
    i = data.draw(st.integers(0, n - 1))
    m = data.draw(st.integers(0, n))
    assert verify_inclusion(leaves[i], i, n, inclusion_proof(leaves, i), root(leaves))
    assert verify_consistency(m, n, root(leaves[:m]), root(leaves),
                              consistency_proof(leaves, m))
