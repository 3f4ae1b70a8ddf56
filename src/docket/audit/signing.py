"""Signed checkpoints, proofs and cosignatures made from a log (SPEC §6 `checkpoint --sign`,
`prove`, `cosign`, `verify --key`; §7).

The formats are pure functions elsewhere (`note`, `checkpoint_note`, `proof`); this module
reads the log's stored bytes for them. Every checkpoint the log signs is kept in its store,
and the log refuses to sign one that does not extend the last it signed (C2SP: a log must
never sign two inconsistent checkpoints).
"""

from __future__ import annotations

import os
import time
from typing import Iterator, Sequence

import msgspec

from ..errors import (
    AuditError,
    InvalidArgument,
    InvalidProof,
    MissingArgument,
    ProofArgument,
    StorageError,
    about,
)
from ..merkle import leaf_hash, verify_consistency, verify_inclusion
from .checkpoint import _proof_ranges, checkpoint_in
from .checkpoint_note import (
    Checkpoint,
    checked_checkpoint,
    checkpoint_text,
    parse_checkpoint,
)
from .kept import signed_like_first
from .keys import read_signer
from .note import ALG_COSIGNATURE, ALG_ED25519, Verifier, sign_note, split_note
from .proof import (
    format_consistency,
    format_tlog_proof,
    inclusion_ranges,
    parse_consistency,
    range_roots,
)

__all__ = [
    "consistency_file", "cosign", "note_checkpoint", "note_fields", "prove", "sign_checkpoint",
    "signed_checkpoints",
]


_decode = msgspec.json.Decoder().decode


def _parsed(note: str, what: str) -> Checkpoint:
    return parse_checkpoint(split_note(note, what)[0], what)


class _Leaves:
    """The leaf hashes of the first `size` stored events, noting the body and hash at the
    positions asked for."""

    def __init__(self, log, size: int, keep: Sequence[int] = ()) -> None:
        self.log, self.size, self.keep = log, size, set(keep)
        self.bodies: dict[int, bytes] = {}
        self.hashes: dict[int, str] = {}
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        # The stored bytes in seq order, a page per short transaction: nothing is held while
        # the caller stops consuming (the log only grows, so the pages make one prefix).
        after, i = 0, 0
        while i < self.size:
            page = self.log.storage.read_page(None, after, 4096)
            if not page:
                return
            for seq, body, digest in page:
                if i >= self.size:
                    return
                if i in self.keep:
                    self.bodies[i], self.hashes[i] = bytes(body), digest
                self.count = i = i + 1
                yield leaf_hash(body)
            after = page[-1][0]

    def roots(self, ranges, what: str) -> tuple[bytes, list[bytes]]:
        try:
            return range_roots(self, self.size, ranges)
        except ValueError:
            raise InvalidProof(f"{what}: covers {self.size} events, the log holds {self.count}: "
                               "not this log's checkpoint, or events were removed") from None


def _extends(log, old: Checkpoint, new_size: int, new_root: bytes, what: str) -> list[bytes]:
    """The consistency proof from `old` to (new_size, new_root), from the log's bytes;
    InvalidProof when the log does not lead from one to the other."""
    if old.size > new_size:
        raise InvalidProof(f"{what}: covers {old.size} events, more than the {new_size} of the "
                           "newer checkpoint")
    leaves = _Leaves(log, new_size, [old.size - 1] if old.size else [])
    root, proof = leaves.roots(_proof_ranges(old.size, new_size), what)
    head = leaves.hashes.get(old.size - 1, "0" * 64)
    if root != new_root or not verify_consistency(old.size, new_size, old.root, root, proof) \
            or head != old.head:
        raise InvalidProof(f"{what}: the log does not extend it (at size {old.size} the log's "
                           "root or head differs from the checkpoint's)")
    return proof


def sign_checkpoint(log, key_path: str, progress=None) -> str:
    """Sign the log's checkpoint now with the key file at `key_path`, keep it, return it."""
    with about("key_path"):
        signer = read_signer(key_path, "{arg}")
    if signer.alg != ALG_ED25519:
        raise ProofArgument("key_path", f"{{arg}} {key_path}: a witness key (type 0x04) cosigns; a log's "
                           "checkpoints need a log key (`docket keygen --origin O`)")
    with log.storage.reading():
        kept = log.storage.checkpoints()
        point = checkpoint_in(log.storage, progress=progress)
    note = sign_note(checkpoint_text(signer.name, point), [signer])
    if kept:
        what = f"signed checkpoint #{len(kept)} kept in the log"
        last = _parsed(kept[-1][1], what)
        if last.origin != signer.name:
            raise ProofArgument("key_path", f"{{arg}} {key_path}: this key signs as {signer.name!r}, the "
                               f"log's checkpoints are signed as {last.origin!r}")
        try:  # the next note extends the last one, so the last must be this key's own
            checked_checkpoint(kept[-1][1], signer.verifier, what=what)
        except InvalidProof as exc:
            raise AuditError(f"{exc}: refusing to sign after a kept note this key did not sign "
                             "(one added to the log's table, or signed by another key of the "
                             "same name); run `docket verify --key VKEY`") from None
        try:
            _extends(log, last, point["size"], bytes.fromhex(point["root"]), what)
        except InvalidProof as exc:
            raise AuditError(f"{exc}; refusing to sign a checkpoint inconsistent with one the "
                             "log signed before (run `docket verify`)") from None
    _audited(log, signer.verifier)
    with log.storage.writing():
        if len(log.storage.checkpoints()) != len(kept):
            raise StorageError("another checkpoint was signed meanwhile; run the command again")
        log.storage.insert_checkpoint(point["size"], note)
    return note


def _audited(log, key: Verifier) -> None:
    """A signed note vouches for the log as it stands, so a log whose own audit finds a
    problem (a trigger dropped, a column that disagrees with the bytes, a damaged index or
    page, a kept note that `key` did not sign) is not signed: `verify` without the stored
    views' replay (which the checkpoint's fingerprint folds afresh anyway)."""
    from .problems import problem_line
    from .verify import verify

    report = verify(log, views=False, key=key)
    if not report["ok"]:
        found = report["problems"]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise AuditError(f"refusing to sign: the log's own audit finds a problem: "
                         f"{problem_line(found[0])}{more}; run `docket verify`")


def note_fields(note: str) -> dict:
    """The JSON checkpoint a signed checkpoint note says (`checkpoint --sign --json`)."""
    return _parsed(note, "checkpoint").as_dict()


def signed_checkpoints(log) -> list[tuple[int, str]]:
    """Every signed checkpoint the log kept, as (size, note), oldest first."""
    with log.storage.reading():
        return log.storage.checkpoints()


def prove(log, event_id: str, note: str | None = None) -> str:
    """The c2sp.org/tlog-proof@v1 text proving that event `event_id` is in the checkpointed
    log (`note`, or the latest kept signed checkpoint that covers the event); a `note` that
    does not prove it is a ProofArgument about `checkpoint`."""
    with about("checkpoint"):
        return _prove(log, event_id, note, "{arg}")


def _prove(log, event_id: str, note: str | None, what: str) -> str:
    with log.storage.reading():
        found = log.storage.event_by_id(event_id)
        kept = log.storage.checkpoints()
    if found is None:
        raise InvalidArgument("event_id", f"{{arg}}: no event {event_id!r} in the log")
    seq = _decode(found[2])["seq"]
    if note is None:
        covering = [(n, text) for n, (size, text) in enumerate(kept, 1) if size >= seq]
        if not covering:
            latest = f"the latest covers {kept[-1][0]} events" if kept else "none is kept"
            raise InvalidProof(f"no signed checkpoint covers event {event_id!r} (seq {seq}; "
                               f"{latest}): sign one with `docket checkpoint --sign KEY`")
        note, what = _kept_note(kept, *covering[-1]), "the latest signed checkpoint"
    point = _parsed(note, what)
    if seq > point.size:
        raise InvalidProof(f"{what}: covers {point.size} events; event {event_id!r} is seq "
                           f"{seq}, beyond it: sign a newer checkpoint")
    leaves = _Leaves(log, point.size, [seq - 1])
    root, proof = leaves.roots(inclusion_ranges(seq - 1, point.size), what)
    if root != point.root:
        raise InvalidProof(f"{what}: its root is not the log's root at size {point.size}: not "
                           "this log's checkpoint, or the log was changed")
    if not verify_inclusion(leaves.bodies[seq - 1], seq - 1, point.size, proof, root):
        raise AuditError(f"the inclusion proof made for seq {seq} does not verify")  # a bug
    return format_tlog_proof(seq - 1, proof, note)


def _kept_note(kept: list[tuple[int, str]], position: int, note: str) -> str:
    """Kept note #`position`, to hand out: not when it is signed by another key than the
    log's first kept note (`docket.audit.kept`: a note added to the table)."""
    if not signed_like_first(kept[0][1], note):
        raise AuditError(f"signed checkpoint #{position} kept in the log is not signed by the "
                         "key that signed the log's first one: a note added to the table, not "
                         "one this log signed; it is not handed out (run `docket verify --key "
                         "VKEY`; a note you hold can be given as the checkpoint)")
    return note


def consistency_file(log, old: str, checkpoint: str | None = None) -> str:
    """The consistency proof file from the checkpoint note `old` to the note `checkpoint`
    (default: the latest kept signed checkpoint), computed from the log. Errors are
    ProofArgument about `old` or `checkpoint`."""
    if checkpoint is None:
        kept = signed_checkpoints(log)
        if not kept:
            raise MissingArgument("checkpoint", "{arg}: none given and no signed checkpoint "
                                  "is kept")
        checkpoint = _kept_note(kept, len(kept), kept[-1][1])
    with about("old"):
        old_point = _parsed(old, "{arg}")
    with about("checkpoint"):
        new = _parsed(checkpoint, "{arg}")
    if old_point.origin != new.origin:
        raise ProofArgument("checkpoint", f"{{arg}}: origin {new.origin!r}, the old one's is "
                            f"{old_point.origin!r}")
    with about("old"):
        proof = _extends(log, old_point, new.size, new.root, "{arg}")
    return format_consistency(old_point.size, new.size, proof)


def cosign(new_note: str, old_note: str, key_path: str, *, proof: bytes | None = None,
           log=None, log_key: Verifier | None = None, timestamp: int | None = None,
           new_name: str = "the new checkpoint") -> str:
    """A witness's cosignature: `new_note` with one more `cosignature/v1` line, after checking
    that it extends `old_note` (the consistency proof file `proof`, or one computed from
    `log`). A checkpoint that does not extend the old one (a fork) is refused. Messages
    name the new note `new_name`; errors about the other inputs are ProofArgument about
    `key_path`, `old_note`, `proof` or `log_key`."""
    with about("key_path"):
        signer = read_signer(key_path, "{arg}")
    if signer.alg != ALG_COSIGNATURE:
        raise ProofArgument("key_path", f"{{arg}} {key_path}: a log key (type 0x01); a witness "
                            "cosigns with a witness key (`docket keygen --witness --origin "
                            "NAME`)")
    with about("old_note"):
        if log_key is not None:
            checked_checkpoint(old_note, log_key, what="{arg}", key_argument="log_key")
        old = _parsed(old_note, "{arg}")
    if log_key is not None:
        checked_checkpoint(new_note, log_key, what=new_name, key_argument="log_key")
    new = _parsed(new_note, new_name)
    if new.origin != old.origin:
        raise InvalidProof(f"{new_name}: line 1: origin {new.origin!r}, the old checkpoint's "
                           f"is {old.origin!r}")
    if log_key is None and not signed_like_first(old_note, new_note):
        # Without the log's key, the witness still holds the old note's signer: a checkpoint
        # under another key of the same name is someone else's note, not the log's next.
        raise InvalidProof(f"{new_name}: not signed by the key that signed the old "
                           "checkpoint (same name, another key id); give the log's verifier "
                           "key to check both signatures")
    if new.size < old.size:
        raise InvalidProof(f"{new_name}: covers {new.size} events, fewer than the old "
                           f"checkpoint's {old.size}: it cannot extend it")
    if proof is not None:
        with about("proof"):
            parsed = parse_consistency(proof, "{arg}")
        if (parsed.old, parsed.new) != (old.size, new.size):
            raise ProofArgument("proof", f"{{arg}}: proves size {parsed.old} to {parsed.new}, the "
                               f"checkpoints are {old.size} and {new.size}")
        hashes = list(parsed.hashes)
    elif log is not None:
        try:
            hashes = _extends(log, old, new.size, new.root, "the old checkpoint")
        except InvalidProof as exc:
            raise ProofArgument("old_note", f"{new_name} does not extend {{arg}}: {exc}; not "
                                "cosigned") from None
    elif old.size == new.size:
        hashes = []
    else:
        raise MissingArgument("proof", "give the consistency proof ({arg}), or the log to "
                              "compute it from")
    if not verify_consistency(old.size, new.size, old.root, new.root, hashes) or (
            old.size == new.size and old.head != new.head):
        raise ProofArgument("old_note", f"{new_name} does not extend {{arg}}: the consistency "
                            f"proof from size "
                           f"{old.size} to {new.size} fails (a fork of the log, or a wrong "
                           "proof); not cosigned")
    text, sigs = split_note(new_note, new_name)
    me = signer.verifier
    stamp = int(time.time()) if timestamp is None else timestamp
    lines = [s.text for s in sigs if (s.name, s.key_id) != (me.name, me.key_id)]
    fresh = sign_note(text, [signer], stamp).split("\n\n", 1)[1]
    return text + "\n" + "".join(line + "\n" for line in lines) + fresh


def note_checkpoint(path, log_key: Verifier | None, witnesses: Sequence[Verifier],
                    min_witnesses: int | None) -> tuple[str, dict] | None:
    """For `verify --checkpoint PATH`: a signed note checked under the key policy, as
    (file name, the JSON checkpoint it says); None when PATH holds the JSON form."""
    from .checkpoint_note import is_note, read_note

    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        data = b"{"  # unreadable: the JSON path reports it as it always did
    keyed = log_key is not None or bool(witnesses)
    # Without a key, only a file that looks signed is read as a note: anything else stays
    # the JSON checkpoint it always was, with the JSON path's messages.
    if not is_note(data) or (not keyed and "\n\n\u2014 ".encode() not in data):
        if keyed:
            raise MissingArgument("checkpoint", f"{{arg}} {name}: a JSON checkpoint is not "
                                  "signed; verifier and witness keys check a signed "
                                  "checkpoint note")
        return None
    if log_key is None:
        raise MissingArgument("key", f"checkpoint {name} is a signed checkpoint: give the "
                              "log's verifier key ({arg})")
    point, _ = checked_checkpoint(read_note(path), log_key, witnesses, min_witnesses,
                                  f"checkpoint {name}")
    return name, point.as_dict()
