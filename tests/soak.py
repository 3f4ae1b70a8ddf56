"""How long the adversarial tests run: short in `make test`, long under `make soak`
(DOCKET_SOAK=1), which repeats them with many more writers, kills, damaged copies and
fuzzed inputs than a test run can afford."""

from __future__ import annotations

import os

__all__ = ["SOAK", "soak"]

SOAK = os.environ.get("DOCKET_SOAK", "") not in ("", "0")


def soak(short: int, long: int) -> int:
    """`long` under `make soak`, else `short`."""
    return long if SOAK else short
