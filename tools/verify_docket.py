#!/usr/bin/env python3
"""Check what a Docket log hands out, without Docket: one file, Python's standard library
and the `cryptography` package (Ed25519). It shares no code with `docket`.

    verify_docket.py chain EXPORT.jsonl
    verify_docket.py checkpoint NOTE --key VKEY [--export EXPORT.jsonl]
    verify_docket.py proof FILE.tlog-proof --event-line LINE_OR_FILE --key VKEY
    verify_docket.py consistency OLDNOTE NEWNOTE --proof FILE --key VKEY
    verify_docket.py vectors FOLDER

`checkpoint`, `proof` and `consistency` also take `--witness VKEY` (repeatable) and
`--min-witnesses K` (default: every witness named; for `consistency`, of the new note).
A key is given as its text or as a file holding it. Exit 0 and one `OK:` line when
everything checks; exit 1 and one `Error:` line on stderr saying which part failed.

What is checked (Docket's SPEC §7 and the C2SP specifications):
- an exported line is canonical JSON (keys sorted, no whitespace, UTF-8, RFC 8785 string
  escapes, integers only); its leaf `c` is that JSON without `hash`, and
  hash = hex(sha256(raw(prev_hash) || c)); prev_hash links to the line before;
- a Merkle tree per RFC 6962 / RFC 9162 §2.1 over the leaves `c` in seq order;
- a signed note (c2sp.org/signed-note): the log's Ed25519 signature (key type 0x01) must
  verify, signatures by unknown keys are ignored, a known key's failing one is refused;
  witness cosignatures are type 0x04 (`cosignature/v1`, c2sp.org/tlog-cosignature);
- a checkpoint (c2sp.org/tlog-checkpoint) with Docket's `docket-head` and `docket-views`
  lines; a tlog-proof (c2sp.org/tlog-proof@v1); Docket's consistency proof file
  (`docket/consistency-proof@v1`, `old N`, `new N`, base64 hashes one per line).

`vectors` runs published RFC 6962 proof vectors (the transparency-dev/merkle `testdata/`
layout: FOLDER/inclusion/**.json and FOLDER/consistency/**.json, each with `wantErr`)
through this file's own proof checks, so that the checker itself can be trusted.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Refused(Exception):
    """What failed, in one line."""


# -- RFC 6962 / RFC 9162 §2.1 ----------------------------------------------------------------
def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaf_hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes, by the RFC's recursion (split at the largest power of two < n)."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < len(leaf_hashes):
        k *= 2
    return node_hash(tree_root(leaf_hashes[:k]), tree_root(leaf_hashes[k:]))


def _hashes(*items) -> bool:
    return all(isinstance(h, bytes) and len(h) == 32 for h in items)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, given the leaf's hash."""
    if not 0 <= index < size or not _hashes(leaf, root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, root1: bytes, root2: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2; equal sizes need equal roots and no proof, size 0 the empty root."""
    empty = hashlib.sha256(b"").digest()
    if m > n:
        return False
    if m == n:
        return not proof and root1 == root2 and (m > 0 or root1 == empty)
    if m == 0:
        return not proof and root1 == empty and _hashes(root2)
    if not proof or not _hashes(root1, root2, *proof):
        return False
    path = ([root1] if m & (m - 1) == 0 else []) + list(proof)
    fn, sn = m - 1, n - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == root1 and sr == root2 and sn == 0


# -- canonical JSON and the exported lines (SPEC §7) -----------------------------------------
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
            "\t": "\\t"}


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _string(s: str) -> str:
    """A JSON string as RFC 8785 writes it: short escapes, \\u00xx for other controls."""
    return '"' + _NEEDS_ESCAPE.sub(
        lambda m: _ESCAPES.get(m.group()) or f"\\u{ord(m.group()):04x}", s) + '"'


def canonical(value) -> str:
    """RFC 8785 on a float-free subset: keys sorted by UTF-16 code units, no whitespace."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
    return "{" + ",".join(_string(k) + ":" + canonical(value[k]) for k in keys) + "}"


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise Refused(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _no_float(text):
    raise Refused(f"a number with a fraction or exponent ({text}); events hold integers")


def event_line(raw: bytes, what: str) -> tuple[dict, bytes]:
    """An exported line checked: (the record, its leaf bytes c). Refused naming `what`."""
    line = raw[:-1] if raw.endswith(b"\n") else raw
    try:
        record = json.loads(line.decode("utf-8"), object_pairs_hook=_pairs,
                            parse_float=_no_float, parse_constant=_no_float)
    except Refused as exc:
        raise Refused(f"{what}: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(f"{what}: not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise Refused(f"{what}: not a JSON object")
    # Each member is encoded once; the line is all of them, the leaf c all but `hash`.
    try:
        keys = sorted(record, key=lambda k: k.encode("utf-16-be"))
        members = {k: _string(k) + ":" + canonical(record[k]) for k in keys}
        encoded = ("{" + ",".join(members[k] for k in keys) + "}").encode()
    except UnicodeEncodeError as exc:  # a \ud800-style escape: JSON allows it, UTF-8 not
        raise Refused(f"{what}: an escape of a lone surrogate (U+{ord(exc.object[exc.start]):04X}), "
                      "which is not a character; Docket never exports one") from None
    if encoded != line:
        raise Refused(f"{what}: not in canonical form (as Docket exports it)")
    for key in ("hash", "prev_hash"):
        if not isinstance(record.get(key), str) or not re.fullmatch(r"[0-9a-f]{64}", record[key]):
            raise Refused(f"{what}: field `{key}` is not 64 hex digits")
    if not isinstance(record.get("seq"), int) or isinstance(record["seq"], bool):
        raise Refused(f"{what}: field `seq` is not a number")
    c = ("{" + ",".join(members[k] for k in keys if k != "hash") + "}").encode()
    if hashlib.sha256(bytes.fromhex(record["prev_hash"]) + c).hexdigest() != record["hash"]:
        raise Refused(f"{what} (seq {record['seq']}): its hash does not match its content")
    return record, c


def check_export(path: str) -> list[tuple[dict, bytes]]:
    """Every line of a full export, chained: seq 1, 2, 3 … and each prev_hash linking."""
    out, prev = [], "0" * 64
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            record, c = event_line(raw, f"{path}: line {n}")
            if record["seq"] != n:
                raise Refused(f"{path}: line {n}: seq {record['seq']}, expected {n} (a full "
                              "export, without --stream, starts at seq 1)")
            if record["prev_hash"] != prev:
                raise Refused(f"{path}: line {n} (seq {n}): prev_hash does not link to the "
                              "hash of the line before")
            prev = record["hash"]
            out.append((record, c))
    return out


# -- signed notes, keys and checkpoints (C2SP) -----------------------------------------------
_SPACES = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)}


def b64(text: str, what: str) -> bytes:
    """Standard base64 that re-encodes to exactly `text` (no other spelling of the bytes)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Refused(f"{what}: not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise Refused(f"{what}: not base64 in its standard form")
    return raw


def _name_ok(name: str) -> bool:
    return bool(name) and "+" not in name and not set(name) & _SPACES


def key_id(name: str, key_type: int, public: bytes) -> int:
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public)
                          .digest()[:4], "big")


def parse_vkey(text: str, what: str = "verifier key") -> tuple[str, int, int, bytes]:
    """`NAME+HEXID+base64(type || key)` -> (name, key id, type, public key)."""
    name, _, rest = text.partition("+")
    hex_id, plus, key64 = rest.partition("+")
    if not plus or not _name_ok(name) or not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise Refused(f"{what}: not NAME+KEYID+KEY (KEYID 8 hex digits, KEY base64)")
    raw = b64(key64, what)
    if len(raw) != 33 or raw[0] not in (1, 4):
        raise Refused(f"{what}: not a 32-byte key of type 0x01 (Ed25519) or 0x04 (witness)")
    if key_id(name, raw[0], raw[1:]) != int(hex_id, 16):
        raise Refused(f"{what}: the key id does not match the name and key")
    return name, int(hex_id, 16), raw[0], raw[1:]


def _signature_ok(key: tuple, text: str, sig: bytes) -> bool:
    _, _, key_type, public = key
    message = text.encode()
    if key_type == 4:  # cosignature/v1: u64 time || Ed25519 over header, time line, text
        if len(sig) != 72 or sig[0] & 0x80:
            return False
        message = (f"cosignature/v1\ntime {int.from_bytes(sig[:8], 'big')}\n").encode() + message
        sig = sig[8:]
    if len(sig) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def open_note(note: str, known: list[tuple], what: str) -> tuple[str, set]:
    """(note text, {(name, id) of the known keys whose signatures verified})."""
    for i, ch in enumerate(note):
        if ch < " " and ch != "\n":
            raise Refused(f"{what}: line {note.count(chr(10), 0, i) + 1}: a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise Refused(f"{what}: no blank line before the signatures")
    text, block = note[:split + 1], note[split + 2:]
    if not block.endswith("\n"):
        raise Refused(f"{what}: no signature line, or the last one has no newline")
    lines = block[:-1].split("\n")
    if len(lines) > 100:
        raise Refused(f"{what}: more than 100 signature lines")
    keys = {(k[0], k[1]): k for k in known}
    verified = set()
    for n, line in enumerate(lines, 1):
        name, _, sig64 = line[2:].partition(" ")
        if not line.startswith("\u2014 ") or not _name_ok(name) or not sig64:
            raise Refused(f"{what}: signature line {n}: not `\u2014 NAME SIGNATURE`")
        sig = b64(sig64, f"{what}: signature line {n}")
        if len(sig) < 5:
            raise Refused(f"{what}: signature line {n}: too short")
        ident = (name, int.from_bytes(sig[:4], "big"))
        if ident not in keys or ident in verified:
            continue  # an unknown key's signature is ignored; a repeated one too
        if not _signature_ok(keys[ident], text, sig[4:]):
            raise Refused(f"{what}: signature line {n} by {name} does not verify (the note "
                          "was changed, or the signature is damaged)")
        verified.add(ident)
    return text, verified


def checkpoint(note: str, args, what: str) -> dict:
    """A signed checkpoint under the policy of the command line: the log key's signature,
    and K of the witnesses' cosignatures. Returns origin, size, root, head, views."""
    log_key = parse_vkey(args.key, "--key")
    witnesses = [parse_vkey(w, "--witness") for w in args.witness]
    if log_key[2] != 1 or any(w[2] != 4 for w in witnesses):
        raise Refused("--key must be a log key (type 0x01), --witness a witness key (0x04)")
    need = len(witnesses) if args.min_witnesses is None else args.min_witnesses
    if not 0 <= need <= len(witnesses):
        raise Refused(f"--min-witnesses {need}: more than the witnesses named")
    text, verified = open_note(note, [log_key, *witnesses], what)
    lines = text.split("\n")[:-1]
    if len(lines) < 3:
        raise Refused(f"{what}: the text needs an origin, a size and a root line")
    if lines[0] != log_key[0]:
        raise Refused(f"{what}: line 1: origin {lines[0]!r} is not the key's name "
                      f"{log_key[0]!r}")
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", lines[1]):
        raise Refused(f"{what}: line 2: the size is not a decimal number without leading zeros")
    root = b64(lines[2], f"{what}: line 3: the root")
    ext = dict(line.partition(" ")[::2] for line in lines[3:])
    if sum(line.split(" ")[0] in ("docket-head", "docket-views") for line in lines[3:]) > 2:
        raise Refused(f"{what}: a second docket-head or docket-views line")
    if len(root) != 32 or "" in lines[3:] or not re.fullmatch(
            r"[0-9a-f]{64}", ext.get("docket-head", "")) or not re.fullmatch(
            r"sha256:[0-9a-f]{64}", ext.get("docket-views", "")):
        raise Refused(f"{what}: not a Docket checkpoint (a 32-byte root, then docket-head and "
                      "docket-views lines)")
    if (log_key[0], log_key[1]) not in verified:
        raise Refused(f"{what}: no signature by the log key {args.key}")
    done = sum((w[0], w[1]) in verified for w in witnesses)
    if done < need:
        raise Refused(f"{what}: {done} of the {need} witness cosignatures required")
    return {"origin": lines[0], "size": int(lines[1]), "root": root,
            "head": ext["docket-head"], "views": ext["docket-views"], "witnesses": done}


def _read(path: str, what: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except OSError as exc:
        raise Refused(f"{what}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise Refused(f"{what}: not UTF-8") from None


def _number(line: str, word: str, what: str) -> int:
    if not re.fullmatch(word + r" (0|[1-9][0-9]{0,18})", line):
        raise Refused(f"{what}: expected `{word} <number>`")
    return int(line.split(" ")[1])


def _proof_hashes(lines: list[str], first: int, what: str) -> list[bytes]:
    out = [b64(line, f"{what}: line {n}") for n, line in enumerate(lines, first)]
    for n, h in enumerate(out, first):
        if len(h) != 32:
            raise Refused(f"{what}: line {n}: not a 32-byte hash")
    return out


# -- the commands ----------------------------------------------------------------------------
def cmd_chain(args) -> str:
    lines = check_export(args.export)
    head = lines[-1][0]["hash"] if lines else "0" * 64
    return f"OK: {len(lines)} events; every hash and link of the chain verified (head {head})"


def cmd_checkpoint(args) -> str:
    cp = checkpoint(_read(args.note, args.note), args, f"checkpoint {args.note}")
    said = f"checkpoint {cp['origin']} at size {cp['size']} signed"
    if cp["witnesses"]:
        n = cp["witnesses"]
        said += f" and cosigned by {n} witness{'es' if n != 1 else ''}"
    if args.export is None:
        return f"OK: {said}"
    lines = check_export(args.export)
    if len(lines) < cp["size"]:
        raise Refused(f"{args.export}: {len(lines)} events, fewer than the checkpoint's "
                      f"{cp['size']}")
    if tree_root([leaf_hash(c) for _, c in lines[:cp["size"]]]) != cp["root"]:
        raise Refused(f"checkpoint {args.note}: its root is not the root of the first "
                      f"{cp['size']} events of {args.export}")
    head = lines[cp["size"] - 1][0]["hash"] if cp["size"] else "0" * 64
    if head != cp["head"]:
        raise Refused(f"checkpoint {args.note}: docket-head is not the hash of seq {cp['size']}")
    return (f"OK: {said}; root and head recomputed from {args.export} ({cp['size']} of "
            f"{len(lines)} events; the views' fingerprint needs Docket to check)")


def cmd_proof(args) -> str:
    what = f"proof {args.proof}"
    top, blank, note = _read(args.proof, what).partition("\n\n")
    lines = top.split("\n")
    if not blank or lines[0] != "c2sp.org/tlog-proof@v1":
        raise Refused(f"{what}: not a c2sp.org/tlog-proof@v1 file (header, index, hashes, a "
                      "blank line, the checkpoint)")
    start = 2 if len(lines) > 1 and lines[1].startswith("extra ") else 1
    if len(lines) <= start:
        raise Refused(f"{what}: no index line")
    index = _number(lines[start], "index", f"{what}: line {start + 1}")
    hashes = _proof_hashes(lines[start + 1:], start + 2, what)
    cp = checkpoint(note, args, f"{what}: checkpoint")
    given = args.event_line
    raw = given.encode() if given.lstrip().startswith("{") else _read(given, given).encode()
    if raw.count(b"\n") > 1 or (raw.count(b"\n") == 1 and not raw.endswith(b"\n")):
        raise Refused("--event-line: give one exported line")
    record, c = event_line(raw, "event line")
    if record["seq"] != index + 1:
        raise Refused(f"{what}: a proof for another event (index {index} is seq {index + 1}; "
                      f"the event line is seq {record['seq']})")
    if index >= cp["size"]:
        raise Refused(f"{what}: index {index} is beyond the checkpoint's {cp['size']} events")
    if not verify_inclusion(leaf_hash(c), index, cp["size"], hashes, cp["root"]):
        raise Refused(f"{what}: the inclusion proof does not lead from the event line to the "
                      "checkpoint's root")
    return (f"OK: event {record.get('id')!r} (seq {record['seq']}) is in {cp['origin']} at "
            f"size {cp['size']}")


def cmd_consistency(args) -> str:
    # The witnesses vouch for the new note; the old one needs only the log's signature.
    plain = argparse.Namespace(key=args.key, witness=[], min_witnesses=None)
    old = checkpoint(_read(args.old, args.old), plain, f"checkpoint {args.old}")
    new = checkpoint(_read(args.new, args.new), args, f"checkpoint {args.new}")
    what = f"consistency proof {args.proof}"
    text = _read(args.proof, what)
    if not text.endswith("\n"):
        raise Refused(f"{what}: the last line has no newline (truncated?)")
    lines = text[:-1].split("\n")
    if lines[0] != "docket/consistency-proof@v1" or len(lines) < 3:
        raise Refused(f"{what}: not a docket/consistency-proof@v1 file")
    sizes = (_number(lines[1], "old", f"{what}: line 2"),
             _number(lines[2], "new", f"{what}: line 3"))
    if sizes != (old["size"], new["size"]):
        raise Refused(f"{what}: proves {sizes[0]} to {sizes[1]}, the checkpoints are "
                      f"{old['size']} and {new['size']}")
    hashes = _proof_hashes(lines[3:], 4, what)
    if not verify_consistency(old["size"], new["size"], old["root"], new["root"], hashes) or (
            old["size"] == new["size"] and old["head"] != new["head"]):
        raise Refused(f"{what}: {args.new} does not extend {args.old} (the proof fails: a fork, "
                      "or a wrong proof)")
    return f"OK: {args.new} (size {new['size']}) extends {args.old} (size {old['size']})"


def _vector_hash(text, what: str):
    """A vector's base64 hash, or None where the vector itself spells it wrongly (a broken
    case: the check is then given no hash and must refuse)."""
    try:
        return b64(text, what) if isinstance(text, str) else None
    except Refused:
        return None


def _vector_ok(kind: str, case: dict, what: str) -> bool:
    proof = [_vector_hash(h, what) for h in case.get("proof") or []]
    if kind == "inclusion":
        return verify_inclusion(_vector_hash(case["leafHash"], what), case["leafIdx"],
                                case["treeSize"], proof, _vector_hash(case["root"], what))
    return verify_consistency(case["size1"], case["size2"], _vector_hash(case["root1"], what),
                              _vector_hash(case["root2"], what), proof)


def cmd_vectors(args) -> str:
    counts = {"inclusion": 0, "consistency": 0}
    for kind in counts:
        folder = os.path.join(args.folder, kind)
        if not os.path.isdir(folder):
            raise Refused(f"{folder}: no such folder (the vectors' layout: inclusion/ and "
                          "consistency/, as in transparency-dev/merkle's testdata/)")
        for top, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(f for f in files if f.endswith(".json")):
                path = os.path.join(top, name)
                try:
                    case = json.loads(_read(path, path))
                    got = _vector_ok(kind, case, path)
                    want_err = case["wantErr"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise Refused(f"{path}: not a {kind} vector ({exc})") from None
                if got == bool(want_err):
                    raise Refused(f"{path} ({case.get('desc', '')}): this tool "
                                  f"{'accepts' if got else 'refuses'} the proof, the vector "
                                  f"says a verifier must {'refuse' if want_err else 'accept'} it")
                counts[kind] += 1
    total = sum(counts.values())
    if not total:
        raise Refused(f"{args.folder}: no vectors found")
    return (f"OK: {total} vectors ({counts['inclusion']} inclusion, {counts['consistency']} "
            "consistency): each valid proof accepted, each broken one refused")


def _key_text(value: str, option: str) -> str:
    return _read(value, f"{option} {value}").strip() if os.path.isfile(value) else value


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"Error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    top = _Parser(prog="verify_docket.py", description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("chain", help="check an export's hash chain").add_argument("export")
    signed = []
    p = sub.add_parser("checkpoint", help="check a signed checkpoint note")
    p.add_argument("note")
    p.add_argument("--export", help="recompute the size, root and head from this export")
    signed.append(p)
    p = sub.add_parser("proof", help="check a tlog-proof against an event's exported line")
    p.add_argument("proof")
    p.add_argument("--event-line", required=True, help="the exported line, or a file of it")
    signed.append(p)
    p = sub.add_parser("consistency", help="check that NEW extends OLD")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--proof", required=True, help="the consistency proof file")
    signed.append(p)
    sub.add_parser("vectors", help="run RFC 6962 proof vectors through this tool's "
                   "checks").add_argument("folder")
    for p in signed:
        p.add_argument("--key", required=True, help="the log's verifier key")
        p.add_argument("--witness", action="append", default=[], help="a witness's vkey")
        p.add_argument("--min-witnesses", type=int, help="cosignatures needed (default all)")
    return top


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    command = {"chain": cmd_chain, "checkpoint": cmd_checkpoint, "proof": cmd_proof,
               "consistency": cmd_consistency, "vectors": cmd_vectors}[args.command]
    try:
        if hasattr(args, "key"):  # a key may be given as a file holding it
            args.key = _key_text(args.key, "--key")
            args.witness = [_key_text(w, "--witness") for w in args.witness]
        print(command(args))
    except Refused as exc:
        print("Error: " + str(exc).replace("\n", "\\n").replace("\r", "\\r"), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Error: {exc.filename}: cannot read it ({exc.strerror})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
