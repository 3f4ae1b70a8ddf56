"""DOCKET_BUSY_TIMEOUT_MS, how long a writer waits for another writer's lock: read the same
way by every backend, so a value one refuses the other refuses too."""

from __future__ import annotations

import os

__all__ = ["DEFAULT_MS", "busy_timeout"]

DEFAULT_MS = 30000


def busy_timeout() -> tuple[int, str | None]:
    """(milliseconds, None), or (the default, why the variable's value cannot be used)."""
    text = os.environ.get("DOCKET_BUSY_TIMEOUT_MS", str(DEFAULT_MS))
    digits = text.strip()
    if digits.isascii() and digits.isdigit() and int(digits) <= 2**31 - 1:
        return int(digits), None
    return DEFAULT_MS, (f"DOCKET_BUSY_TIMEOUT_MS is {text!r}: give a whole number of "
                        "milliseconds from 0 to 2147483647 (30000 waits 30 s for another "
                        "writer), or unset it")
