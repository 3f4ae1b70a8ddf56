"""`verify` against every signed checkpoint the log kept (SPEC §7).

Each kept note must still describe the log: its size at most the log's, the root of the log's
first `size` events equal to its root (so the log extends it), the hash at that size equal to
its `docket-head`, and, at the log's current size, its `docket-views` equal to a fresh fold's
fingerprint. The roots are taken from one tree built in the chain's single pass.

Whose note it is: with the log's verifier key (`verify --key VKEY`) every kept note must carry
its valid signature. Without it (the public key is not in the log) the notes must at least
all be signed by the key that signed the first one, by name and key id: a note added to the
table under another key is caught, a note altered under a copied signature line is not. A
note that fails either is reported and not compared with the log: its content is not the
log's word. Where a note's root and head disagree with each other on a sound chain, the
note was altered, not the events, and the problem says so.
"""

from __future__ import annotations

from ..errors import InvalidProof
from ..merkle import EMPTY_ROOT, TreeBuilder, leaf_hash
from .checkpoint import ProofTree, check_fingerprint
from .checkpoint_note import Checkpoint, checked_checkpoint, parse_checkpoint
from .note import Verifier, split_note
from .problems import Problems, short

__all__ = ["KeptTrees", "log_signers", "signed_like_first"]

_TABLE = "docket_checkpoints"


def log_signers(note: str) -> set[tuple[str, int]]:
    """The (name, key id) of each signature line of `note` named as its origin: the log's
    own signatures (a witness signs under its own name)."""
    text, sigs = split_note(note)
    origin = text.split("\n", 1)[0]
    return {(s.name, s.key_id) for s in sigs if s.name == origin}


def signed_like_first(first: str, note: str) -> bool:
    """Does `note` carry a log signature by a key that signed `first` (name and key id)?"""
    return bool(log_signers(first) & log_signers(note))


def _signers_text(note: str) -> str:
    return ", ".join(f"{n}+{i:08x}" for n, i in sorted(log_signers(note))) or "no log key"


class KeptTrees:
    """Fed every row by the chain's pass (as a `ProofTree` is, which it also feeds when
    `verify --checkpoint` gave one); then reports where the log left a kept checkpoint.
    `key`: the log's verifier key, which every kept note must carry the signature of."""

    def __init__(self, kept: list[tuple[int, str]], problems: Problems,
                 other: ProofTree | None = None, key: Verifier | None = None) -> None:
        self.points: list[tuple[int, Checkpoint]] = []
        first = None
        for position, (size, note) in enumerate(kept, 1):
            where = {"table": _TABLE, "row": {"position": position}}
            try:
                point = parse_checkpoint(split_note(note)[0])
            except InvalidProof as exc:
                problems.add("checkpoint", f"not a checkpoint note ({exc})", **where)
                continue
            if key is not None:
                try:
                    checked_checkpoint(note, key, what="its note")
                except InvalidProof as exc:
                    problems.add("checkpoint", f"{exc}; so it is not compared with the log "
                                 "(what it says is not what the key signed)", **where)
                    continue
            elif first is None:
                first = note
            elif not signed_like_first(first, note):
                problems.add("checkpoint", f"its note is signed by {_signers_text(note)}, the "
                             f"log's first kept note by {_signers_text(first)}: a note added to "
                             "the table, not one this log signed (`verify --key VKEY` checks "
                             "each note's signature); not compared with the log", **where)
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
        # Where the chain check found a stored hash wrong, the stored heads are no witness.
        broken = min((p["seq"] for p in problems.items
                      if p["kind"] == "chain" and p["seq"] is not None), default=None)
        for position, point in self.points:
            where = {"table": _TABLE, "row": {"position": position}}
            size = point.size
            if size > events:
                problems.add("checkpoint", f"the log has {events} events but the signed "
                             f"checkpoint covers {size}: the events after seq {events} "
                             "were removed", seq=events + 1, **where)
                continue
            seq = size or None
            head_ok, root_ok = self.heads[size] == point.head, self.roots[size] == point.root
            if head_ok != root_ok and (broken is None or broken > size):
                # The chain's hash at `size` and the root are both fixed by the same bytes:
                # a sound chain that matches one of them and not the other has the bytes
                # the note was signed over, so the note's other line is what changed.
                line, other = ("root", "head") if head_ok else ("head", "root")
                problems.add("checkpoint", f"its note's {line} is not the log's at seq {size}, "
                             f"yet its {other} is: the note was altered after it was signed, "
                             "not the events (`verify --key VKEY` checks its signature)",
                             seq=seq, **where)
                continue
            if not head_ok:
                problems.add("checkpoint", f"the hash at seq {size} is "
                             f"{short(self.heads[size])}, the signed checkpoint's head is "
                             f"{short(point.head)}", seq=seq, **where)
            if not root_ok:
                problems.add("checkpoint", "the log does not extend the signed checkpoint: the "
                             f"root of its first {size} events differs from the note's, so "
                             f"an event at or before seq {size} was changed since it was "
                             "signed", seq=seq, **where)

    def check_views(self, replayed: dict, events: int, problems: Problems) -> None:
        """At a kept checkpoint's own size, the events must still fold to its views."""
        for position, point in self.points:
            check_fingerprint(point.as_dict(), replayed, events, f"{_TABLE} [position="
                              f"{position}]", problems)
