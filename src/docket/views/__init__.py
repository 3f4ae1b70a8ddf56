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
    "whole",
    "explain",
    "diff_views",
]


def whole(number: float | None) -> float | int | None:
    """A whole float as an int (1.0 -> 1): views hold whole numbers as ints, so a view
    built by a fold and one read back from SQLite's REAL columns encode alike."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def canonical_view_bytes(obj: Any) -> bytes:
    """Canonical JSON of a view: keys sorted, no whitespace.

    Views hold whole numbers as ints (see `whole`: the two computed ratios, and the REAL
    columns read back), so no walk over the view is needed here: at a million events the
    walk cost more than the fold of an as-of query."""
    return msgspec.json.encode(obj, order="sorted")


def fingerprint(obj: Any) -> str:
    """`sha256:` and the hex digest of `canonical_view_bytes(obj)`."""
    return "sha256:" + hashlib.sha256(canonical_view_bytes(obj)).hexdigest()


# Imported last: the submodules use the helpers above.
from .compliance import compliance_rows, reference_time  # noqa: E402
from .diff import diff_views  # noqa: E402
from .state import state_view  # noqa: E402
from .why import explain  # noqa: E402
