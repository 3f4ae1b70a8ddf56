"""Signed notes against the known answers of the reference implementation
(golang.org/x/mod/sumdb/note, note_test.go), for docket.audit.note and for the standalone
verifier: key ids, verifier and signer keys (every proper substring and every one-byte
increment refused), the exact signature bytes, and Open's semantics. Then the properties:
any flipped bit of a signed note is refused, by both, with a message that says which part."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from verifier_tool import load

from docket.audit.checkpoint_note import checked_checkpoint, checkpoint_text
from docket.audit.keys import generate
from docket.audit.note import (
    ALG_COSIGNATURE,
    Signer,
    cosignature_message,
    key_id,
    open_note,
    parse_signer_key,
    parse_vkey,
    sign_note,
)
from docket.errors import InvalidProof

tool = load()

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
SEED64 = PETER_SKEY.rsplit("+", 2)[-2] + "+" + PETER_SKEY.rsplit("+", 1)[-1]  # type || seed
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")
PETER_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
             "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG"
             "01oOTGwnWLox33WWd1RvMc+QQ=\n")


def _variants(key: str) -> list[str]:
    """Every proper substring and every single-byte increment (the Go test's manglings)."""
    out = {key[i:j] for i in range(len(key)) for j in range(i + 1, len(key) + 1)} - {key}
    out |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1:] for i in range(len(key))}
    return sorted(out)


def _tool_open(note, *vkeys):
    return tool.open_note(note, [tool.parse_vkey(v) for v in vkeys], "note")


# -- keys -----------------------------------------------------------------------------------
def test_verifier_key_known_answer():
    v = parse_vkey(PETER_VKEY)
    assert (v.name, v.key_id, v.alg) == ("PeterNeumann", 0xC74F20A3, 1)
    assert v.vkey == PETER_VKEY
    assert key_id("PeterNeumann", 1, v.public) == 0xC74F20A3
    assert tool.parse_vkey(PETER_VKEY) == ("PeterNeumann", 0xC74F20A3, 1, v.public)
    assert parse_vkey(ENOCH_VKEY).key_id == 0xAF0CFE78 == tool.parse_vkey(ENOCH_VKEY)[1]


def test_every_mangled_verifier_key_is_refused():
    manglings = _variants(PETER_VKEY) + [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]
    assert len(manglings) > 2000
    for bad in manglings:
        with pytest.raises(InvalidProof, match="^verifier key"):
            parse_vkey(bad)
        with pytest.raises(tool.Refused):
            tool.parse_vkey(bad)


def test_signer_key_known_answer():
    s = parse_signer_key(PETER_SKEY)
    assert (s.name, s.alg, s.verifier.vkey) == ("PeterNeumann", 1, PETER_VKEY)
    assert s.signer_key == PETER_SKEY


def test_every_mangled_signer_key_is_refused_without_showing_it():
    for bad in _variants(PETER_SKEY):
        with pytest.raises(InvalidProof) as caught:
            parse_signer_key(bad)
        message = str(caught.value)
        assert not any(SEED64[k:k + 6] in message for k in range(len(SEED64) - 5)), message


def test_signer_never_shows_its_seed():
    s = parse_signer_key(PETER_SKEY)
    assert SEED64 not in repr(s) and s.seed.hex() not in repr(s) and "AYEKFALV" not in repr(s)


# -- signing and opening --------------------------------------------------------------------
def test_signature_known_answer():
    assert sign_note(TEXT, [parse_signer_key(PETER_SKEY)]) == TEXT + "\n" + PETER_SIG


def test_signing_a_text_without_final_newline_is_refused():
    with pytest.raises(InvalidProof, match="newline"):
        sign_note("abc", [parse_signer_key(PETER_SKEY)])


def test_open_ignores_unknown_keys_and_verifies_known_ones():
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    peter, enoch = parse_vkey(PETER_VKEY), parse_vkey(ENOCH_VKEY)
    opened = open_note(note, [peter])
    assert opened.text == TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]
    both = open_note(note, [peter, enoch])
    assert [s.name for s in both.verified] == ["PeterNeumann", "EnochRoot"] and not both.unverified
    with pytest.raises(InvalidProof, match="no signature by a known key"):
        open_note(note, [])
    assert _tool_open(note, PETER_VKEY) == (TEXT, {("PeterNeumann", 0xC74F20A3)})
    assert _tool_open(note, PETER_VKEY, ENOCH_VKEY)[1] == {("PeterNeumann", 0xC74F20A3),
                                                           ("EnochRoot", 0xAF0CFE78)}
    assert _tool_open(note)[1] == set()  # the tool's policy then asks for the log key's


def test_unknown_key_sharing_a_name_or_an_id_is_ignored():
    other = Signer("PeterNeumann", 1, bytes(32))  # same name, another key: another id
    note = TEXT + "\n" + PETER_SIG + sign_note(TEXT, [other]).split("\n\n")[1]
    opened = open_note(note, [parse_vkey(PETER_VKEY)])
    assert len(opened.verified) == 1 and len(opened.unverified) == 1
    assert _tool_open(note, PETER_VKEY)[1] == {("PeterNeumann", 0xC74F20A3)}


def test_101_signatures_are_refused_100_accepted():
    unknown = ENOCH_SIG
    ok = TEXT + "\n" + PETER_SIG + unknown * 99
    assert len(open_note(ok, [parse_vkey(PETER_VKEY)]).verified) == 1
    _tool_open(ok, PETER_VKEY)
    with pytest.raises(InvalidProof, match="101 signature lines"):
        open_note(ok + unknown, [parse_vkey(PETER_VKEY)])
    with pytest.raises(tool.Refused, match="100"):
        _tool_open(ok + unknown, PETER_VKEY)


def test_a_known_keys_bad_signature_refuses_the_note():
    line = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidProof, match="signature line 1 by PeterNeumann .* does not verify"):
        open_note(TEXT + "\n" + line, [parse_vkey(PETER_VKEY)])
    with pytest.raises(tool.Refused, match="does not verify"):
        _tool_open(TEXT + "\n" + line, PETER_VKEY)


@pytest.mark.parametrize("note", [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
    TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
                  "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
], ids=["text", "text-blank", "no-final-newline", "control", "not-utf8", "bad-name",
        "unexpected-line"])
def test_malformed_notes_are_refused(note):
    with pytest.raises(InvalidProof):
        open_note(note, [parse_vkey(PETER_VKEY)])
    text = note.decode("utf-8", "replace") if isinstance(note, bytes) else note
    if isinstance(note, bytes):
        assert "\ufffd" in text  # the tool reads files as UTF-8 and refuses this earlier
    else:
        with pytest.raises(tool.Refused):
            _tool_open(text, PETER_VKEY)


# -- cosignatures ---------------------------------------------------------------------------
def test_cosignature_signs_time_and_text():
    witness = generate("witness.example", witness=True)
    note = sign_note(TEXT, [witness], timestamp=1_700_000_000)
    opened = open_note(note, [witness.verifier])
    raw = opened.verified[0].sig
    assert raw[:8] == (1_700_000_000).to_bytes(8, "big") and len(raw) == 72
    assert cosignature_message(TEXT, 1_700_000_000) == (
        b"cosignature/v1\ntime 1700000000\n" + TEXT.encode())
    assert _tool_open(note, witness.verifier.vkey)[1] == {(witness.name, witness.verifier.key_id)}
    as_log_key = witness.verifier.__class__(witness.name, witness.verifier.key_id, 1,
                                            witness.verifier.public)
    with pytest.raises(InvalidProof):  # the same bytes read as a plain Ed25519 signature fail
        open_note(note, [as_log_key])
    assert witness.verifier.alg == ALG_COSIGNATURE
    assert key_id(witness.name, 4, witness.verifier.public) == witness.verifier.key_id


# -- checkpoints and bit flips --------------------------------------------------------------
LOG = generate("example.org/log")
WITNESS = generate("witness.example", witness=True)
POINT = {"size": 5, "root": "ab" * 32, "head": "cd" * 32, "fingerprint": "sha256:" + "ef" * 32}
ROOT64 = base64.b64encode(bytes.fromhex("ab" * 32)).decode()
CP_TEXT = checkpoint_text(LOG.name, POINT)
CP_NOTE = sign_note(CP_TEXT, [LOG]) + sign_note(CP_TEXT, [WITNESS], 1_700_000_000).split(
    "\n\n")[1]


class _Args:
    key = LOG.verifier.vkey
    witness = [WITNESS.verifier.vkey]
    min_witnesses = None


def test_checkpoint_note_round_trip():
    point, _ = checked_checkpoint(CP_NOTE, LOG.verifier, [WITNESS.verifier], 1)
    assert point.as_dict() == {**POINT, "version": 1}
    assert CP_TEXT == (f"example.org/log\n5\n{ROOT64}\n"
                       f"docket-head {'cd' * 32}\ndocket-views sha256:{'ef' * 32}\n")
    assert tool.checkpoint(CP_NOTE, _Args, "cp")["size"] == 5


@pytest.mark.parametrize("text, part", [
    ("example.org/other\n5\n" + CP_TEXT.split("\n", 2)[2], "origin"),
    (CP_TEXT.replace("\n5\n", "\n05\n"), "line 2"),
    (CP_TEXT.replace(ROOT64, ROOT64[:-1]), "line 3"),
    (CP_TEXT.replace("docket-head", "docket-hed"), "docket-head"),
])
def test_bad_checkpoint_text_refused_naming_the_part(text, part):
    note = sign_note(text, [LOG])
    with pytest.raises(InvalidProof, match=part):
        checked_checkpoint(note, LOG.verifier)
    with pytest.raises(tool.Refused, match=part if part != "docket-head" else "not a Docket"):
        tool.checkpoint(note, type("A", (), {"key": LOG.verifier.vkey, "witness": [],
                                             "min_witnesses": None}), "cp")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_flipped_bit_of_a_signed_checkpoint_is_refused(data):
    raw = CP_NOTE.encode()
    i = data.draw(st.integers(0, len(raw) - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    flipped = raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1:]
    sig_start = raw.index(b"\n\n") + 2
    with pytest.raises(InvalidProof) as caught:
        checked_checkpoint(flipped, LOG.verifier, [WITNESS.verifier], 1)
    message = str(caught.value)
    if i >= sig_start and _utf8(flipped):
        assert "signature" in message or "witness" in message or "line" in message, message
    else:
        assert any(w in message for w in ("line", "signature", "blank", "origin", "UTF-8",
                                          "control", "Docket", "witness")), message
    if _utf8(flipped):
        with pytest.raises(tool.Refused):
            tool.checkpoint(flipped.decode(), _Args, "cp")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
