"""The two times of an event: parsing `occurred_at` and stamping `recorded_at`.

Times are compared as integer microseconds since the Unix epoch (UTC). A day-precision
value (`YYYY-MM-DD`) counts as 00:00 UTC that day; as an upper bound (`--as-of`) a day means
the whole day, i.e. everything before the next day 00:00 UTC.
"""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone

__all__ = [
    "parse_time",
    "is_day",
    "time_key",
    "upper_bound",
    "format_utc",
    "now_utc",
]

# \Z, not $: `$` would also accept a trailing newline.
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\Z")
# RFC 3339 date-time: seconds required, optional fraction, an offset required.
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\Z"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US_PER_DAY = 86_400_000_000


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
    m = _DAY.match(value)
    if m:
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise ValueError(f"impossible date {value!r} ({exc})") from None
        return (d.toordinal() - 719163) * _US_PER_DAY
    m = _DATETIME.match(value)
    if not m:
        if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", value):
            raise ValueError(f"time {value!r} has no offset (add Z or +HH:MM)")
        raise ValueError(f"{value!r} is not YYYY-MM-DD or an RFC 3339 time with offset")
    frac = (m[7] or ".")[1:]
    micro = int((frac + "000000")[:6])
    off = m[8]
    if off in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = 1 if off[0] == "+" else -1
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            raise ValueError(f"impossible offset in {value!r}")
        tz = timezone(sign * timedelta(hours=oh, minutes=om))
    try:
        dt = datetime(
            int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), micro, tzinfo=tz
        )
    except ValueError as exc:
        raise ValueError(f"impossible time {value!r} ({exc})") from None
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def time_key(value: str) -> int:
    """The replay-order key of a stored (already valid) time: UTC microseconds."""
    return parse_time(value)


def upper_bound(value: str) -> int:
    """The inclusive upper bound of `--as-of`/`--known-at` T, in UTC microseconds.

    A day means the whole day: everything before the next day 00:00 UTC.
    """
    key = parse_time(value)
    return key + _US_PER_DAY - 1 if is_day(value) else key


def format_utc(micros: int) -> str:
    """Format UTC microseconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (sortable as text)."""
    dt = _EPOCH + timedelta(microseconds=micros)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_utc() -> int:
    """The wall clock in UTC microseconds."""
    delta = datetime.now(timezone.utc) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
