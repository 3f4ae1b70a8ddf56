"""Option types whose refusals read as the rest of Docket's errors do (click's own say "is
not a valid integer range" and "0<=x<=9007199254740991")."""

from __future__ import annotations

import re

import click

__all__ = ["WholeNumber"]

_DIGITS = re.compile(r"[+-]?\d+")


class WholeNumber(click.ParamType):
    """A whole number from `low` to `high` (no upper bound when None), given in digits."""

    name = "integer"

    def __init__(self, low: int = 0, high: int | None = None) -> None:
        self.low, self.high = low, high

    def _words(self) -> str:
        return (f"{self.low} or more" if self.high is None
                else f"from {self.low} to {self.high}")

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            number = int(value)
        else:
            self.fail(f"{value!r} is not a whole number ({self._words()})", param, ctx)
        if number < self.low or (self.high is not None and number > self.high):
            self.fail(f"{number} is out of range (a whole number {self._words()})", param, ctx)
        return number
