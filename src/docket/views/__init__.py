"""The built-in views of a folded state (SPEC §5): state, compliance, why, diff.

`canonical_view_bytes` is the one encoding that view fingerprints hash, so the stored views,
a fresh replay and committed projection files agree byte for byte.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

__all__ = [
    "canonical_view_bytes",
    "fingerprint",
    "compliance_rows",
    "reference_time",
    "state_view",
    "explain",
    "diff_views",
]


def _ints(obj: Any) -> Any:
    """`obj` with whole floats as ints, so 1.0 and 1 (from any JSON reader) hash alike."""
    if isinstance(obj, float):
        return int(obj) if obj.is_integer() else obj
    if isinstance(obj, dict):
        return {k: _ints(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_ints(v) for v in obj]
    return obj


def canonical_view_bytes(obj: Any) -> bytes:
    """Canonical JSON of a view: keys sorted, no whitespace, whole floats written as ints."""
    return msgspec.json.encode(_ints(obj), order="sorted")


def fingerprint(obj: Any) -> str:
    """`sha256:` and the hex digest of `canonical_view_bytes(obj)`."""
    return "sha256:" + hashlib.sha256(canonical_view_bytes(obj)).hexdigest()


# Imported last: the submodules use the helpers above.
from .compliance import compliance_rows, reference_time  # noqa: E402
from .diff import diff_views  # noqa: E402
from .state import state_view  # noqa: E402
from .why import explain  # noqa: E402
