"""Checkpoints (SPEC §6 `checkpoint`, §7): taking one, reading one, and proving that the log
still extends one.

A checkpoint is `{"size", "root", "head", "fingerprint", "version"}`: the RFC 6962 Merkle root
over every record's stored canonical bytes in seq order, the last hash, and the fingerprint of
every stream's state view from a fresh fold. Kept outside the log, it lets `docket verify
--checkpoint` catch a rewrite even when every later hash was recomputed: the consistency
proof from its size to now must verify against its root and the current root.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ..codec import json_text
from ..errors import AuditError
from ..merkle import EMPTY_ROOT, TreeBuilder, leaf_hash, verify_consistency
from ..replay import Progress, Replayed, replay_all
from ..storage.base import ZERO_HASH
from ..views import fingerprint
from ..views.state import v1_fingerprint
from .problems import Problems, short

__all__ = [
    "CHECKPOINT_VERSION",
    "ProofTree",
    "check_checkpoint",
    "check_fingerprint",
    "checkpoint",
    "checkpoint_in",
    "load_checkpoint",
    "views_fingerprint",
]

CHECKPOINT_VERSION = 1

_decode = msgspec.json.Decoder().decode
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


# -- taking one --------------------------------------------------------------------------------
def checkpoint(log, progress: Progress | None = None) -> dict:
    """`{"size", "root", "head", "fingerprint", "version"}` of the log now (SPEC §6–7).

    `root` is the RFC 6962 Merkle root (hex) over every record's stored canonical bytes in
    seq order, computed in one streaming pass; `head` the last hash; `fingerprint` the
    `sha256:` of the canonical JSON `{stream: fingerprint of its state view}` from a fresh
    fold of every stream (not the stored views, which the checkpoint must not trust).
    """
    with log.storage.reading():
        return checkpoint_in(log.storage, progress=progress)


def checkpoint_in(storage, replayed: dict[str, Replayed] | None = None,
                  progress: Progress | None = None) -> dict:
    """The checkpoint of the log as the current transaction of `storage` sees it (see
    `checkpoint`).

    `replayed`: fresh folds of every stream already made (`docket project` has them);
    without it every stream is folded here.
    """
    tree = TreeBuilder()
    head = ZERO_HASH
    add = tree.add_leaf_hash
    for rows in storage.leaves():
        try:
            for body, head in rows:
                add(leaf_hash(body))
        except TypeError:  # not bytes: a body rewritten past Docket (checked once, here)
            raise AuditError(f"the log is damaged: event {tree.size + 1} in seq order is not "
                             f"stored as bytes, so no checkpoint can be taken over it (`docket "
                             f"verify` names the damage)") from None
        if progress is not None:
            progress(len(rows))
    if replayed is None:
        replayed = replay_all(storage, storage.known_seq(), progress)
    return {"size": tree.size, "root": tree.root().hex(), "head": head,
            "fingerprint": views_fingerprint(replayed), "version": CHECKPOINT_VERSION}


def _field(data: dict, key: str):
    """`data[key]`; a key left out is said to be missing, not `null is not …`."""
    if key not in data:
        raise ValueError(f"field `{key}`: missing (a checkpoint has size, root, head, "
                         "fingerprint and version)")
    return data[key]


def _v1_views_fingerprint(replayed: dict[str, Replayed]) -> str | None:
    """The views' fingerprint as a Docket before catalogue v2 took it (projection version
    4), when no stream holds v2 content: a checkpoint taken then still verifies."""
    old = {name: v1_fingerprint(r.view) for name, r in sorted(replayed.items())}
    return None if None in old.values() else fingerprint(old)


def views_fingerprint(replayed: dict[str, Replayed]) -> str:
    """The fingerprint of every stream's state view, as a checkpoint holds it."""
    return fingerprint({name: r.view["fingerprint"] for name, r in sorted(replayed.items())})


# -- reading one -------------------------------------------------------------------------------
def load_checkpoint(source: Any) -> dict:
    """A checkpoint from a path or a dict, validated; raises ValueError saying what is wrong."""
    if isinstance(source, dict):
        data = source
    else:
        try:
            with open(source, "rb") as fh:
                data = _decode(fh.read())
        except OSError as exc:
            raise ValueError(f"cannot read it ({exc.strerror or exc})") from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - bad content, one error type
    if _field(data, "version") != CHECKPOINT_VERSION:
        raise ValueError(f"field `version`: {json_text(data['version'])} is not "
                         f"{CHECKPOINT_VERSION}")
    size = _field(data, "size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        message = f"field `size`: {json_text(size)} is not a count of events"
        raise ValueError(message)
    for key in ("root", "head"):
        if not isinstance(_field(data, key), str) or not _HEX64.match(data[key]):
            raise ValueError(f"field `{key}`: {json_text(data[key])} is not 64 hex digits")
    if not isinstance(_field(data, "fingerprint"), str):
        raise ValueError("field `fingerprint`: not a string")  # noqa: TRY004
    return data


# -- checking the log against one --------------------------------------------------------------
class ProofTree:
    """The Merkle work of `verify --checkpoint`, done in the chain's single pass.

    Builds the current root, the root of the first `old_size` leaves, and the subtree roots
    a consistency proof from `old_size` to `new_size` needs (RFC 9162 §2.1.4.1): those are
    disjoint leaf ranges, so each is folded with its own `TreeBuilder` as the leaves stream
    by, and no leaf hash is kept in memory.
    """

    def __init__(self, old_size: int, new_size: int) -> None:
        self.old_size = old_size
        self.tree = TreeBuilder()
        self.ranges = _proof_ranges(old_size, new_size) if old_size <= new_size else []
        self.builders = [TreeBuilder() for _ in self.ranges]
        self.order = sorted(range(len(self.ranges)), key=lambda i: self.ranges[i][0])
        self.next = 0  # index into self.order of the range the coming leaves may fall in
        self.old_root: bytes | None = EMPTY_ROOT if old_size == 0 else None
        self.old_head: str | None = None
        self.old_seq: int | None = None

    def add(self, body: bytes, seq: int, digest: str) -> None:
        """Add the next leaf: the stored bytes of event `seq`, whose stored hash is `digest`."""
        i = self.tree.size
        h = leaf_hash(body)
        self.tree.add_leaf_hash(h)
        order = self.order
        while self.next < len(order) and i >= self.ranges[order[self.next]][1]:
            self.next += 1
        if self.next < len(order) and i >= self.ranges[order[self.next]][0]:
            self.builders[order[self.next]].add_leaf_hash(h)
        if i + 1 == self.old_size:
            self.old_root, self.old_head, self.old_seq = self.tree.root(), digest, seq

    def proof(self) -> list[bytes]:
        """PROOF(old_size, D[new_size]), once every leaf was added."""
        return [b.root() for b in self.builders]


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _proof_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots form PROOF(m, D[n]), in proof order (RFC 9162 §2.1.4.1).

    The same walk as `merkle.consistency_proof_from_hashes`, recording ranges, not roots.
    """
    if m in (0, n):
        return []
    top_down: list[tuple[int, int]] = []
    lo, hi, k_old, whole = 0, n, m, True
    while k_old != hi - lo:
        k = _split(hi - lo)
        if k_old <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo, k_old, whole = lo + k, k_old - k, False
    return ([] if whole else [(lo, hi)]) + top_down[::-1]


def check_checkpoint(cp: dict, tree: ProofTree, events: int, name: str,
                     problems: Problems) -> None:
    """Report in `problems` where the log (fed through `tree`) no longer extends `cp`."""
    size = cp["size"]
    if size > events:
        problems.add("checkpoint", f"the log has {events} events but the checkpoint covers "
                     f"{size}: the events after seq {events} were removed", seq=events + 1,
                     file=name)
        return
    if tree.old_head is not None and tree.old_head != cp["head"]:
        problems.add("checkpoint", f"the hash at seq {tree.old_seq} is {short(tree.old_head)}, "
                     f"the checkpoint's head is {short(cp['head'])}", seq=tree.old_seq,
                     file=name)
    current = tree.tree.root()
    if not verify_consistency(size, events, bytes.fromhex(cp["root"]), current, tree.proof()):
        problems.add("checkpoint", f"the log does not extend the checkpoint: the consistency "
                     f"proof from size {size} to {events} fails against the checkpoint's root, "
                     f"so an event at or before seq {tree.old_seq or size} was changed since it "
                     "was taken",
                     file=name)


def check_fingerprint(cp: dict, replayed: dict[str, Replayed], events: int, name: str,
                      problems: Problems) -> None:
    """At the checkpoint's own size, the same events must still fold to the same views.

    Only when every stream could be folded (`replayed` holds them all)."""
    if cp["size"] != events:
        return
    fresh = views_fingerprint(replayed)
    if fresh != cp["fingerprint"] and cp["fingerprint"] != _v1_views_fingerprint(replayed):
        problems.add("checkpoint", f"the views' fingerprint {short(fresh)} differs from the "
                     f"checkpoint's {short(cp['fingerprint'])} at the same size: the same "
                     "events now fold to other views", file=name)
