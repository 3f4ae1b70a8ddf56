"""Signed notes (c2sp.org/signed-note@v1): keys, key ids, signing and opening a note.

Two signature types: Ed25519 over the note text (0x01, the log's), and the timestamped
Ed25519 witness cosignature `cosignature/v1` (0x04, c2sp.org/tlog-cosignature), whose
signed message is "cosignature/v1\\ntime <t>\\n" + the note text. Keys are written as Go's
golang.org/x/mod/sumdb/note writes them: a verifier key `NAME+HEXID+base64(type || public
key)`, a signer key `PRIVATE+KEY+NAME+HEXID+base64(type || 32-byte seed)`.

Opening follows the reference implementation: UTF-8 without control characters but newline;
the text ends at the last blank line; at most 100 signatures; signatures by unknown keys are
ignored, a known key's signature that fails refuses the note, and a note with no verified
signature is refused. Base64 is checked strictly (it must re-encode to the same text), so a
changed character never decodes to the same bytes. Every error is an `InvalidProof` whose
message says which part is wrong; a signer key's text never appears in one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..errors import InvalidProof

__all__ = [
    "ALG_COSIGNATURE", "ALG_ED25519", "MAX_SIGNATURES", "Opened", "Signature", "Signer",
    "Verifier", "b64decode", "cosignature_message", "key_id", "open_note", "parse_signer_key",
    "parse_vkey", "sign_note", "split_note", "valid_name",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE = 0x04
_ALGS = {ALG_ED25519: "Ed25519", ALG_COSIGNATURE: "witness cosignature (timestamped Ed25519)"}
MAX_SIGNATURES = 100
_PREFIX = "\u2014 "  # em dash, space
_HEX8 = re.compile(r"[0-9a-f]{8}")
# Unicode White_Space: what Go's unicode.IsSpace refuses in a key name.
_SPACES = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)}
_MAX_TIME = 2**63 - 1


def b64decode(text: str, what: str) -> bytes:
    """Standard base64, strictly: padded, and re-encoding to exactly `text`."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidProof(f"{what}: not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise InvalidProof(f"{what}: not base64 in its standard form")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def valid_name(name: str) -> bool:
    """A key name: non-empty, no Unicode space, no '+'."""
    return bool(name) and "+" not in name and not any(c in _SPACES for c in name)


def key_id(name: str, alg: int, public: bytes) -> int:
    """The 4-byte key id: SHA-256(name || 0x0A || type || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a `cosignature/v1` signs: the header, the time line, then the note text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


@dataclass(frozen=True)
class Verifier:
    """A public key that checks signatures of one name and key id."""

    name: str
    key_id: int
    alg: int
    public: bytes

    @property
    def vkey(self) -> str:
        """The verifier key text `NAME+HEXID+base64(type || key)`."""
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([self.alg]) + self.public)}"

    def verify(self, text: str, sig: bytes) -> bool:
        """Does `sig` (without its key id) sign `text`?"""
        if self.alg == ALG_COSIGNATURE:
            if len(sig) != 72:
                return False
            stamp = int.from_bytes(sig[:8], "big")
            if stamp > _MAX_TIME:
                return False
            message, sig = cosignature_message(text, stamp), sig[8:]
        else:
            message = text.encode()
        if len(sig) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(sig, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, repr=False)
class Signer:
    """A private key (its 32-byte Ed25519 seed) that signs as one name."""

    name: str
    alg: int
    seed: bytes

    def __repr__(self) -> str:  # the seed must not reach a log or a traceback
        return f"Signer({self.name!r}, type 0x{self.alg:02x})"

    @property
    def verifier(self) -> Verifier:
        """The matching verifier."""
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return Verifier(self.name, key_id(self.name, self.alg, public), self.alg, public)

    @property
    def signer_key(self) -> str:
        """The signer key text `PRIVATE+KEY+NAME+HEXID+base64(type || seed)`."""
        return (f"PRIVATE+KEY+{self.name}+{self.verifier.key_id:08x}+"
                f"{_b64(bytes([self.alg]) + self.seed)}")

    def sign(self, text: str, timestamp: int | None = None) -> bytes:
        """The signature of `text` (a cosignature needs its `timestamp`), with no key id."""
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        if self.alg == ALG_COSIGNATURE:
            if timestamp is None or not 0 <= timestamp <= _MAX_TIME:
                raise InvalidProof("a cosignature needs a time from 0 to 2^63-1")
            return timestamp.to_bytes(8, "big") + key.sign(cosignature_message(text, timestamp))
        return key.sign(text.encode())


def _key_parts(text: str, what: str) -> tuple[str, int, int, bytes]:
    name, _, rest = text.partition("+")
    hex_id, plus, b64 = rest.partition("+")
    if not plus:
        raise InvalidProof(f"{what}: expected NAME+KEYID+KEY (KEYID 8 hex digits, KEY base64)")
    if not valid_name(name):
        raise InvalidProof(f"{what}: the name is empty or holds a space or '+'")
    if not _HEX8.fullmatch(hex_id):
        raise InvalidProof(f"{what}: the key id is not 8 lowercase hex digits")
    raw = b64decode(b64, f"{what}: the key")
    if not raw or raw[0] not in _ALGS:
        kind = f"0x{raw[0]:02x}" if raw else "none"
        raise InvalidProof(f"{what}: unknown key type {kind} (known: 0x01 Ed25519, 0x04 "
                           "witness cosignature)")
    if len(raw) != 33:
        raise InvalidProof(f"{what}: the key is {len(raw) - 1} bytes, not 32")
    return name, int(hex_id, 16), raw[0], raw[1:]


def parse_vkey(text: str, what: str = "verifier key") -> Verifier:
    """A verifier key `NAME+HEXID+base64(type || 32-byte key)`, its id checked."""
    name, ident, alg, public = _key_parts(text, what)
    if key_id(name, alg, public) != ident:
        raise InvalidProof(f"{what}: the key id {ident:08x} does not match the name and key")
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        raise InvalidProof(f"{what}: not an Ed25519 public key") from None
    return Verifier(name, ident, alg, public)


def parse_signer_key(text: str, what: str = "signer key") -> Signer:
    """A signer key `PRIVATE+KEY+NAME+HEXID+base64(type || seed)`, its id checked.

    Messages describe the form, never the text (it holds the private key)."""
    if not text.startswith("PRIVATE+KEY+"):
        raise InvalidProof(f"{what}: does not start with PRIVATE+KEY+")
    name, ident, alg, seed = _key_parts(text[len("PRIVATE+KEY+"):], what)
    signer = Signer(name, alg, seed)
    if signer.verifier.key_id != ident:
        raise InvalidProof(f"{what}: the key id {ident:08x} does not match the name and key")
    return signer


@dataclass(frozen=True)
class Signature:
    """One signature line: its position (1-based), name, key id and signature bytes."""

    line: int
    name: str
    key_id: int
    sig: bytes
    text: str  # the whole line, without its newline


@dataclass(frozen=True)
class Opened:
    """An opened note: its text and the signatures by known keys and by unknown ones."""

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def split_note(note: bytes | str, what: str = "note") -> tuple[str, list[Signature]]:
    """The text and the signature lines of a note, checked for form (not verified)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidProof(f"{what}: not UTF-8 (byte {exc.start})") from None
    for i, c in enumerate(note):
        if (c < " " and c != "\n") or "\ud800" <= c <= "\udfff":
            line = note.count("\n", 0, i) + 1
            raise InvalidProof(f"{what}: line {line}: a control character (U+{ord(c):04X})")
    split = note.rfind("\n\n")
    if split < 0:
        raise InvalidProof(f"{what}: no blank line before the signatures")
    text, block = note[:split + 1], note[split + 2:]
    if not block:
        raise InvalidProof(f"{what}: no signature lines after the blank line")
    if not block.endswith("\n"):
        raise InvalidProof(f"{what}: the last signature line does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidProof(f"{what}: {len(lines)} signature lines (at most {MAX_SIGNATURES})")
    sigs = []
    for n, line in enumerate(lines, 1):
        where = f"{what}: signature line {n}"
        if not line.startswith(_PREFIX):
            raise InvalidProof(f"{where}: does not start with an em dash and a space")
        name, _, b64 = line[len(_PREFIX):].partition(" ")
        if not valid_name(name):
            raise InvalidProof(f"{where}: the key name is empty or holds a '+'")
        if not b64:
            raise InvalidProof(f"{where}: no signature after the key name")
        raw = b64decode(b64, f"{where}: the signature")
        if len(raw) < 5:
            raise InvalidProof(f"{where}: the signature is {len(raw)} bytes (a key id and more)")
        sigs.append(Signature(n, name, int.from_bytes(raw[:4], "big"), raw[4:], line))
    return text, sigs


def open_note(note: bytes | str, known: Iterable[Verifier], what: str = "note") -> Opened:
    """Open a note: every known key's signature verified, unknown keys' ignored.

    Refused (InvalidProof): a malformed note, a known key's signature that fails, a note
    that no known key signed."""
    text, sigs = split_note(note, what)
    keys = {(v.name, v.key_id): v for v in known}
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set = set()
    for sig in sigs:
        verifier = keys.get((sig.name, sig.key_id))
        if verifier is None:
            if sig.text not in {u.text for u in unverified}:
                unverified.append(sig)
            continue
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        if not verifier.verify(text, sig.sig):
            raise InvalidProof(f"{what}: signature line {sig.line} by {sig.name} (key id "
                               f"{sig.key_id:08x}) does not verify: the note was changed "
                               "after it was signed, or the signature is damaged")
        verified.append(sig)
    if not verified:
        names = ", ".join(f"{n}+{i:08x}" for n, i in keys) or "none"
        found = ", ".join(f"{s.name}+{s.key_id:08x}" for s in sigs)
        raise InvalidProof(f"{what}: no signature by a known key (known: {names}; signed "
                           f"by: {found})")
    return Opened(text, tuple(verified), tuple(unverified))


def sign_note(text: str, signers: Iterable[Signer], timestamp: int | None = None,
              what: str = "note") -> str:
    """The note: `text` (ending in a newline, no blank line), a blank line, one line per key."""
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise InvalidProof(f"{what}: the text must end with a newline and hold no blank line")
    split_note(text + "\n" + _PREFIX + "x AAAAAAAA\n", what)  # the text's characters
    lines = "".join(f"{_PREFIX}{s.name} "
                    f"{_b64(s.verifier.key_id.to_bytes(4, 'big') + s.sign(text, timestamp))}\n"
                    for s in signers)
    return text + "\n" + lines
