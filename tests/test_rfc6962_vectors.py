"""The 196 published RFC 6962 proof vectors (transparency-dev/merkle testdata, in
../shared/vectors/rfc6962/) against docket.merkle and against the standalone verifier:
every happy path accepted, every deliberately broken proof (`wantErr`) refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from verifier_tool import load

from docket.merkle import verify_consistency, verify_inclusion_hash

# A copy of the published vectors (../shared/vectors/rfc6962/ beside the project, as
# published), committed so a clean checkout anywhere runs them; byte for byte the same files.
VECTORS = Path(__file__).resolve().parent / "vectors" / "rfc6962"
INCLUSION = sorted(VECTORS.glob("inclusion/**/*.json"))
CONSISTENCY = sorted(VECTORS.glob("consistency/**/*.json"))
tool = load()


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _name(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def test_all_196_vectors_are_there():
    assert (len(INCLUSION), len(CONSISTENCY)) == (98, 98), f"vectors not found at {VECTORS}"
    wanted = [json.loads(p.read_text())["wantErr"] for p in INCLUSION + CONSISTENCY]
    assert any(wanted) and not all(wanted)  # both kinds of case are exercised


@pytest.mark.parametrize("path", INCLUSION, ids=_name)
def test_inclusion_vector(path):
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    args = (_b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"]))
    assert verify_inclusion_hash(*args) is (not case["wantErr"]), case["desc"]
    assert tool.verify_inclusion(*args) is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=_name)
def test_consistency_vector(path):
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    args = (case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof)
    assert verify_consistency(*args) is (not case["wantErr"]), case["desc"]
    assert tool.verify_consistency(*args) is (not case["wantErr"]), case["desc"]
