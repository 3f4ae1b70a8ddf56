"""The times the Python API's queries take (`as_of`, `known_at`, `public_at`, `since`, `from_`,
`to`): a time string as the SPEC gives it, or a `datetime.date` / aware `datetime.datetime`,
which `append` takes in an event too (a notebook's dates come as objects)."""

from __future__ import annotations

from datetime import date

import msgspec

from .errors import InvalidArgument
from .times import parse_time

__all__ = ["query_times"]


def query_times(**times: object) -> tuple[str | None, ...]:
    """Each time given, as its string (a date or datetime object as `append` writes it), in
    the order given; InvalidArgument names the argument of one that does not parse."""
    out = []
    for name, value in times.items():
        if isinstance(value, date):  # a datetime is a date too
            value = msgspec.to_builtins(value)
        if value is not None:
            try:
                parse_time(value)
            except ValueError as exc:
                raise InvalidArgument(name, "{arg}: " + str(exc)) from None
        out.append(value)
    return tuple(out)
