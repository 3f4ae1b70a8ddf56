"""`verify` against every signed checkpoint the log kept (SPEC §7).

Each kept note must still describe the log: its size at most the log's, the root of the log's
first `size` events equal to its root (so the log extends it), the hash at that size equal to
its `docket-head`, and, at the log's current size, its `docket-views` equal to a fresh fold's
fingerprint. The roots are taken from one tree built in the chain's single pass. The notes'
signatures are not checked here: the public key is not in the log, and an auditor's trust
comes from the notes they hold (`verify --checkpoint NOTE --key VKEY`).
"""

from __future__ import annotations

from ..errors import InvalidProof
from ..merkle import EMPTY_ROOT, TreeBuilder, leaf_hash
from .checkpoint import ProofTree, check_fingerprint
from .checkpoint_note import Checkpoint, parse_checkpoint
from .note import split_note
from .problems import Problems, short

__all__ = ["KeptTrees"]

_TABLE = "docket_checkpoints"


class KeptTrees:
    """Fed every row by the chain's pass (as a `ProofTree` is, which it also feeds when
    `verify --checkpoint` gave one); then reports where the log left a kept checkpoint."""

    def __init__(self, kept: list[tuple[int, str]], problems: Problems,
                 other: ProofTree | None = None) -> None:
        self.points: list[tuple[int, Checkpoint]] = []
        for position, (size, note) in enumerate(kept, 1):
            where = {"table": _TABLE, "row": {"position": position}}
            try:
                point = parse_checkpoint(split_note(note)[0])
            except InvalidProof as exc:
                problems.add("checkpoint", f"not a checkpoint note ({exc})", **where)
                continue
            if point.size != size:
                problems.add("checkpoint", f"the row says size {size}, its note {point.size}",
                             **where)
            self.points.append((position, point))
        self.sizes = {p.size for _, p in self.points}
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}
        self.heads: dict[int, str] = {0: "0" * 64}
        self.tree = TreeBuilder()
        self.other = other

    def add(self, body: bytes, seq: int, digest: str) -> None:
        """Add the next leaf: the stored bytes of event `seq`, whose stored hash is `digest`."""
        if not isinstance(body, bytes):  # damage (TEXT where the bytes belong): the chain
            body = str(body).encode()    # check reports it; the tree hashes what is there
        if self.other is not None:
            self.other.add(body, seq, digest)
        tree = self.tree
        tree.add_leaf_hash(leaf_hash(body))
        if tree.size in self.sizes:
            self.roots[tree.size], self.heads[tree.size] = tree.root(), digest

    def check(self, events: int, problems: Problems) -> None:
        """Report each kept checkpoint the log (`events` long) no longer extends."""
        for position, point in self.points:
            where = {"table": _TABLE, "row": {"position": position}}
            if point.size > events:
                problems.add("checkpoint", f"the log has {events} events but the signed "
                             f"checkpoint covers {point.size}: the events after seq {events} "
                             "were removed", seq=events + 1, **where)
                continue
            seq = point.size or None
            if self.heads[point.size] != point.head:
                problems.add("checkpoint", f"the hash at seq {point.size} is "
                             f"{short(self.heads[point.size])}, the signed checkpoint's head is "
                             f"{short(point.head)}", seq=seq, **where)
            if self.roots[point.size] != point.root:
                problems.add("checkpoint", "the log does not extend the signed checkpoint: the "
                             f"root of its first {point.size} events differs from the note's, so "
                             f"an event at or before seq {point.size} was changed since it was "
                             "signed", seq=seq, **where)

    def check_views(self, replayed: dict, events: int, problems: Problems) -> None:
        """At a kept checkpoint's own size, the events must still fold to its views."""
        for position, point in self.points:
            check_fingerprint(point.as_dict(), replayed, events, f"{_TABLE} [position="
                              f"{position}]", problems)
