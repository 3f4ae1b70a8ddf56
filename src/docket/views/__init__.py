"""The built-in views of a folded state (SPEC §5): state, compliance, why, diff, and the
one-line event summary; `numbers` holds how views keep numbers and are fingerprinted."""

from __future__ import annotations

from .compliance import compliance_rows, reference_time
from .diff import diff_views
from .numbers import canonical_view_bytes, fingerprint, whole
from .state import state_view
from .summary import event_summary
from .why import explain, with_amendments

__all__ = [
    "canonical_view_bytes",
    "fingerprint",
    "compliance_rows",
    "reference_time",
    "state_view",
    "whole",
    "explain",
    "with_amendments",
    "diff_views",
    "event_summary",
]
