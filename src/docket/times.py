"""The two times of an event: parsing `occurred_at` and stamping `recorded_at`.

Times are compared as integer microseconds since the Unix epoch (UTC). A day-precision
value (`YYYY-MM-DD`) counts as 00:00 UTC that day; as an upper bound (`--as-of`) a day means
the whole day, i.e. everything before the next day 00:00 UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

__all__ = [
    "parse_time",
    "is_day",
    "time_key",
    "upper_bound",
    "stored_upper_bound",
    "format_utc",
    "now_utc",
]

# \Z, not $: `$` would also accept a trailing newline. A day, or an RFC 3339 date-time
# (seconds required, an optional fraction, an offset required).
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))?\Z",
    re.ASCII,  # \d must not match other scripts' digits
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US_PER_DAY = 86_400_000_000
_ONE_US = timedelta(microseconds=1)
_MIN_US = (date(1, 1, 1).toordinal() - 719163) * _US_PER_DAY
_MAX_US = (date(9999, 12, 31).toordinal() - 719163 + 1) * _US_PER_DAY - 1


def is_day(value: str) -> bool:
    """True when `value` is a day-precision time (`YYYY-MM-DD`)."""
    return len(value) == 10 and _DAY.match(value) is not None


def parse_time(value: object) -> int:
    """Validate a time string and return its instant in UTC microseconds.

    Accepts `YYYY-MM-DD` or an RFC 3339 date-time with an offset. Raises ValueError with a
    message fit for a user for anything else (naive times, impossible dates, non-strings).
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a time string, got {type(value).__name__}")
    return _parse(value)


# Each event's time is parsed when it is validated and again when it is stored or replayed;
# a cache makes the second parse free (errors are not cached: they raise).
@lru_cache(maxsize=65_536)
def _parse(value: str) -> int:
    # One regex validates the shape; datetime.fromisoformat (C) does the arithmetic.
    m = _TIME.match(value)
    if m is None:
        short = re.match(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(Z|z|[+-]\d{2}:\d{2})?\Z",
                         value)
        if short is not None:  # RFC 3339 wants seconds: say so, and with the offset too
            offset = short[3] or "Z"
            raise ValueError(f"time {value!r} has no seconds{'' if short[3] else ' and no offset'}"
                             f" (RFC 3339 writes HH:MM:SS, as in "
                             f"'{short[1]}T{short[2]}:00{offset}'{'' if short[3] else ', in UTC'})")
        if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?\Z", value):
            raise ValueError(f"time {value!r} has no offset (add Z or +HH:MM)")
        raise ValueError(f"{value!r} is not YYYY-MM-DD or an RFC 3339 time with offset")
    try:
        if m[4] is None:
            return (date(int(m[1]), int(m[2]), int(m[3])).toordinal() - 719163) * _US_PER_DAY
        off, frac = m[8], m[7] or ""
        if off not in ("Z", "z") and (int(off[1:3]) > 23 or int(off[4:6]) > 59):
            raise ValueError("offset out of range")
        # fromisoformat wants `T`, at most 6 fraction digits and `+00:00` spelled out.
        text = f"{value[:10]}T{value[11:19]}{frac[:7]}{'+00:00' if off in ('Z', 'z') else off}"
        micros = (datetime.fromisoformat(text) - _EPOCH) // _ONE_US
        if not _MIN_US <= micros <= _MAX_US:
            # An offset can carry a time past year 9999 (or before year 1) in UTC, where
            # nothing could format it again.
            raise ValueError("out of range: it must fall between 0001-01-01 and 9999-12-31 "
                             "in UTC")
        return micros
    except ValueError as exc:
        kind = "date" if m[4] is None else "time"
        raise ValueError(f"impossible {kind} {value!r} ({exc})") from None


@lru_cache(maxsize=65_536)
def time_key(value: str) -> int:
    """The replay-order key of a stored (already valid) time: UTC microseconds.

    Stored times were validated on the way in, so the common spellings go straight to
    datetime.fromisoformat (C) without the validating regex: the views parse one or two
    times per order, and at a million events that regex cost more than the view's other
    work. Anything fromisoformat reads differently (a naive value, lowercase `t`/`z`) takes
    the full parse; the tests check both give the same key for every valid time."""
    if len(value) > 10:
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return parse_time(value)
        if dt.tzinfo is not None:
            return (dt - _EPOCH) // _ONE_US
    return parse_time(value)


def upper_bound(value: str) -> int:
    """The inclusive upper bound of `--as-of`/`--known-at` T, in UTC microseconds.

    A day means the whole day: everything before the next day 00:00 UTC.
    """
    return _through_the_day(parse_time(value), value)


def stored_upper_bound(value: str) -> int:
    """`upper_bound` of a stored (already valid) time, through `time_key`'s cache. The
    views take one per order's deadline."""
    return _through_the_day(time_key(value), value)


def _through_the_day(key: int, value: str) -> int:
    # `value` is valid by now, and a valid time of ten characters can only be a day.
    return key + _US_PER_DAY - 1 if len(value) == 10 else key


def format_utc(micros: int) -> str:
    """Format UTC microseconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (sortable as text)."""
    dt = _EPOCH + timedelta(microseconds=micros)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # glibc's %Y writes the year 3 as "3", which is no RFC 3339 time (and sorts wrong).
    return text if dt.year >= 1000 else f"{dt.year:04d}{text[text.index('-'):]}"


def now_utc() -> int:
    """The wall clock in UTC microseconds."""
    delta = datetime.now(timezone.utc) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
