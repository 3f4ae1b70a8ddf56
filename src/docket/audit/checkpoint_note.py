"""Signed checkpoints (c2sp.org/tlog-checkpoint@v1 with Docket's extension lines, SPEC §7).

The note text is the origin, the tree size (decimal, no leading zero), the base64 RFC 6962
root, then the extension lines `docket-head <hex>` (the hash at that size) and
`docket-views sha256:<hex>` (the views' fingerprint). The log's signature line carries the
origin as its key name. `checked_checkpoint` applies a verifier's policy: the log's key must
have signed it, and at least K of the named witnesses must have cosigned it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Sequence

from ..errors import InvalidProof, ProofArgument
from .note import (
    ALG_COSIGNATURE,
    ALG_ED25519,
    Opened,
    Verifier,
    b64decode,
    open_note,
    split_note,
)

__all__ = [
    "Checkpoint", "checked_checkpoint", "checkpoint_text", "is_note", "parse_checkpoint",
    "read_note",
]

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Checkpoint:
    """The content of a checkpoint note's text."""

    origin: str
    size: int
    root: bytes
    head: str
    views: str
    text: str

    def as_dict(self) -> dict:
        """The JSON checkpoint (`docket checkpoint --json`) that says the same."""
        from .checkpoint import CHECKPOINT_VERSION

        return {"size": self.size, "root": self.root.hex(), "head": self.head,
                "fingerprint": self.views, "version": CHECKPOINT_VERSION}


def checkpoint_text(origin: str, point: dict) -> str:
    """The note text of a JSON checkpoint `point`, under `origin`."""
    root = bytes.fromhex(point["root"])
    return (f"{origin}\n{point['size']}\n{base64.b64encode(root).decode()}\n"
            f"docket-head {point['head']}\ndocket-views {point['fingerprint']}\n")


def parse_checkpoint(text: str, what: str = "checkpoint") -> Checkpoint:
    """The checkpoint a note's text holds; InvalidProof naming the line that is wrong."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise InvalidProof(f"{what}: the note text needs at least an origin, a size and a root "
                           "line, each ending with a newline")
    lines.pop()
    origin, size, root = lines[:3]
    if not origin:
        raise InvalidProof(f"{what}: line 1: the origin is empty")
    if not _SIZE.fullmatch(size):
        raise InvalidProof(f"{what}: line 2: the tree size {size!r} is not a decimal number "
                           "without leading zeros")
    digest = b64decode(root, f"{what}: line 3: the root hash")
    if len(digest) != 32:
        raise InvalidProof(f"{what}: line 3: the root hash is {len(digest)} bytes, not 32")
    ext: dict[str, str] = {}
    for n, line in enumerate(lines[3:], 4):
        if not line:
            raise InvalidProof(f"{what}: line {n}: an empty extension line")
        key, _, value = line.partition(" ")
        if key in ("docket-head", "docket-views"):
            if key in ext:
                raise InvalidProof(f"{what}: line {n}: a second {key} line")
            ext[key] = value
    head = ext.get("docket-head")
    if head is None or not _HEX64.fullmatch(head):
        raise InvalidProof(f"{what}: no line `docket-head` with 64 hex digits (not a Docket "
                           "checkpoint)")
    views = ext.get("docket-views")
    if views is None or not views.startswith("sha256:") or not _HEX64.fullmatch(views[7:]):
        raise InvalidProof(f"{what}: no line `docket-views sha256:` with 64 hex digits (not a "
                           "Docket checkpoint)")
    return Checkpoint(origin, int(size), digest, head, views, text)


def is_note(data: bytes) -> bool:
    """Could a checkpoint file hold a signed note (rather than the JSON form)?"""
    return not data.lstrip().startswith((b"{", b"["))


def read_note(path, what: str | None = None) -> str:
    """A note file's text (UTF-8), or InvalidProof naming the file."""
    what = what or f"checkpoint {path}"
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InvalidProof(f"{what}: cannot read it ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidProof(f"{what}: not UTF-8 (byte {exc.start})") from None


def checked_checkpoint(note: str, log_key: Verifier, witnesses: Sequence[Verifier] = (),
                       min_witnesses: int | None = None,
                       what: str = "checkpoint", key_argument: str = "key"
                       ) -> tuple[Checkpoint, Opened]:
    """Open a checkpoint note under a verifier's policy; InvalidProof when it fails.

    The log's signature (`log_key`, type 0x01, named as the origin) is required; of
    `witnesses` (type 0x04), `min_witnesses` must have cosigned (default: all named).
    Signatures by other keys are ignored; a known key's failing signature refuses the note.
    A key of the wrong kind is a ProofArgument about `key_argument` (or `witnesses`), a
    `min_witnesses` out of range one about `min_witnesses`.
    """
    if log_key.alg != ALG_ED25519:
        raise ProofArgument(key_argument, f"{{arg}} {log_key.name}: a witness key (type 0x04), not a log key")
    for w in witnesses:
        if w.alg != ALG_COSIGNATURE:
            raise ProofArgument("witnesses", f"{{arg}} {w.name}: a log key (type 0x01), not a witness key")
    need = len(witnesses) if min_witnesses is None else min_witnesses
    if not 0 <= need <= len(witnesses):
        raise ProofArgument("min_witnesses", f"{{arg}} {need}: must be from 0 to the {len(witnesses)} "
                           "witness keys given")
    # Form first: a malformed note is refused before any key is tried.
    point = parse_checkpoint(split_note(note, what)[0], what)
    if point.origin != log_key.name:
        raise InvalidProof(f"{what}: line 1: the origin {point.origin!r} is not the log key's "
                           f"name {log_key.name!r}")
    opened = open_note(note, [log_key, *witnesses], what)
    done = {(s.name, s.key_id) for s in opened.verified}
    if (log_key.name, log_key.key_id) not in done:
        raise InvalidProof(f"{what}: no signature by the log key {log_key.name}+"
                           f"{log_key.key_id:08x}")
    cosigned = [w for w in witnesses if (w.name, w.key_id) in done]
    if len(cosigned) < need:
        missing = ", ".join(w.name for w in witnesses if w not in cosigned)
        raise InvalidProof(f"{what}: {len(cosigned)} of the {need} witness cosignatures "
                           f"required (missing: {missing})")
    return point, opened
