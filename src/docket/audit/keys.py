"""Key files: making a signing key, writing it for its owner alone, reading it back.

A key file holds one line, the signer key in Go's signed-note form
`PRIVATE+KEY+<name>+<hex key id>+base64(type || 32-byte Ed25519 seed)`: type 0x01 for a
log's key (the name is the log's origin), 0x04 for a witness's cosigning key. It is created
with mode 0600 in the same call that creates it (never readable by others, not even for an
instant), never over an existing file, and refused on use when group or others may read or
write it. A verifier key (`--key`, `--witness`) is given as its text or as a file holding it.
"""

from __future__ import annotations

import os
import stat

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import InvalidProof, ProofArgument, StorageError
from .note import (
    ALG_COSIGNATURE,
    ALG_ED25519,
    Signer,
    Verifier,
    parse_signer_key,
    parse_vkey,
    valid_name,
)

__all__ = ["generate", "read_log_verifier", "read_signer", "read_verifier", "write_key_file"]

_MAX_KEY_FILE = 4096


def generate(name: str, *, witness: bool = False) -> Signer:
    """A new Ed25519 key signing as `name` (a log's origin, or a witness's name)."""
    if not valid_name(name):
        raise ProofArgument("origin", f"{{arg}}: {name!r} is not a key name (non-empty, no spaces, no '+')")
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return Signer(name, ALG_COSIGNATURE if witness else ALG_ED25519, seed)


def write_key_file(path: str, signer: Signer) -> None:
    """Create `path` (mode 0600, never over an existing file) holding the signer key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise StorageError(f"{path}: a file is there already; a key is never "
                           "overwritten") from None
    except OSError as exc:
        raise StorageError(f"{path}: cannot create it ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(signer.signer_key + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        os.unlink(path)
        raise StorageError(f"{path}: cannot write it ({exc.strerror or exc})") from None


def read_signer(path: str, option: str = "key file") -> Signer:
    """The signer key in the file at `path`, refused when others may read or write it
    (messages start with `option` and the path)."""
    what = f"{option} {path}"
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InvalidProof(f"{what}: cannot read the key file ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise InvalidProof(f"{what}: not a regular file")
        if mode & 0o077:
            raise InvalidProof(f"{what}: the key file has mode {stat.S_IMODE(mode):04o}, so "
                               f"group or others may read it; make it private with "
                               f"`chmod 600 {path}`")
        data = fh.read(_MAX_KEY_FILE + 1)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    lines = text.split("\n")
    if len(data) > _MAX_KEY_FILE or not text or lines[1:] not in ([], [""]):
        raise InvalidProof(f"{what}: not a key file (one line PRIVATE+KEY+NAME+KEYID+KEY, "
                           "as `docket keygen` writes it)")
    return parse_signer_key(lines[0], what)


def read_verifier(value: str, option: str = "verifier key") -> Verifier:
    """A verifier key given as its text `NAME+KEYID+KEY`, or as a file holding that line."""
    if os.path.isfile(value):
        try:
            with open(value, "rb") as fh:
                text = fh.read(_MAX_KEY_FILE).decode("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidProof(f"{option} {value}: cannot read the verifier key ({exc})") from None
        if text.startswith("PRIVATE+KEY+"):
            raise InvalidProof(f"{option} {value}: a private signing key, not a verifier key "
                               "(give the key `docket keygen` printed)")
        return parse_vkey(text, f"{option} {value}")
    if value.startswith("PRIVATE+KEY+"):
        raise InvalidProof(f"{option}: a private signing key, not a verifier key (give the "
                           "key `docket keygen` printed)")
    return parse_vkey(value, f"{option} {value}")


def read_log_verifier(value: str, option: str = "verifier key") -> Verifier:
    """`read_verifier` for a log's key (type 0x01): a witness's key is refused by name."""
    verifier = read_verifier(value, option)
    if verifier.alg != ALG_ED25519:
        raise InvalidProof(f"{option} {verifier.name}: a witness key (type 0x04), not the "
                           "log's key (`docket keygen --origin O` printed it)")
    return verifier
