"""The problems an audit finds: kept in the order found, capped per kind, and their text.

Each problem is a dict: its `kind` (`database`, `chain`, `index`, `event`, `trigger`, `view`,
`checkpoint`, `projection`), the `seq` it concerns (or None), a `message`, and where that
applies the `table` and `row`, the `trigger`, or the `file`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_LISTED", "Problems", "problem_line", "short"]

# At most this many problems of one kind are listed; the rest are counted in one more line.
MAX_LISTED = 1000


class Problems:
    """The problems found, in the order found, at most MAX_LISTED of each kind."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.count: dict[str, int] = {}

    def add(self, kind: str, message: str, seq: int | None = None, **where: Any) -> None:
        """Record one problem (or only count it, past MAX_LISTED of its kind)."""
        n = self.count.get(kind, 0) + 1
        self.count[kind] = n
        if n <= MAX_LISTED:
            self.items.append({"kind": kind, "seq": seq, "message": message, **where})

    def merge(self, other: "Problems") -> None:
        """Add the problems `other` found after the ones found here, as if found here."""
        for item in other.items:
            self.add(**item)
        for kind, n in other.count.items():
            listed = sum(1 for item in other.items if item["kind"] == kind)
            self.count[kind] = self.count.get(kind, 0) + n - listed

    def result(self) -> list[dict]:
        """The problems listed, then one line per kind saying how many were not."""
        out = list(self.items)
        for kind, n in self.count.items():
            if n > MAX_LISTED:
                out.append({"kind": kind, "seq": None,
                            "message": f"{n - MAX_LISTED} more {kind} problems not listed"})
        return out


def problem_line(problem: dict) -> str:
    """One line of the text report for a problem."""
    where = []
    if problem.get("file"):
        where.append(problem["file"])
    if problem.get("trigger"):
        where.append(f"trigger {problem['trigger']}")
    if problem.get("table"):
        row = problem.get("row") or {}
        where.append(f"{problem['table']} [" + ", ".join(f"{k}={v}" for k, v in row.items()) + "]")
    if problem.get("seq") is not None:
        where.append(f"seq {problem['seq']}")
    return (": ".join(where) + ": " if where else "") + problem["message"]


def short(hex_digest: Any) -> str:
    """A hash cut to 16 digits and an ellipsis, as messages show it."""
    text = str(hex_digest)
    return text[:16] + "…" if len(text) > 16 else text
