"""The kinds of value a catalogue field holds (SPEC §2–3): texts, identifiers, counts, times,
scopes, countries, currencies, URLs and stream names, with their limits and checks.

Patterns are read the same by Python's `re` (Docket's validation, `jsonschema`) and by
ECMA-262 in `u` mode (whoever reads the JSON Schemas): they end in `$(?!\\n)` because Python's
`$` also matches before a final newline and `\\Z` does not exist in JavaScript, and their
classes are spelled out ([0-9], not \\d, which is Unicode-wide in Python, ASCII in JavaScript).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

from .times import parse_time

__all__ = [
    "MAX_INT", "MAX_LIST", "MAX_TEXT", "STREAM_PATTERN", "CURRENCY_PATTERN", "URL_PATTERN",
    "COUNTRY_CODES", "Count", "Money", "Text", "Ident", "Target", "Targets", "Texts",
    "Idents", "Time", "Scope", "Country", "Currency", "Url", "StreamName", "Confidence",
    "STREAM_WORDS", "means", "check_time", "check_scope", "check_stream",
]

# Integers must survive any JSON reader (RFC 8785 numbers are IEEE doubles), so they are
# kept within the exactly representable range.
MAX_INT = 2**53 - 1
MAX_LIST = 100_000
MAX_TEXT = 10_000

STREAM_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$(?!\n)"
CURRENCY_PATTERN = r"^[A-Z]{3}$(?!\n)"
# No whitespace by either engine's definition and no control character: Python's \s and
# JavaScript's \s disagree on U+001C-U+001F, U+0085 and U+FEFF.
URL_PATTERN = (r"^https?://[^\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029"
               r"\u202f\u205f\u3000\ufeff]+$(?!\n)")


def means(text: str, default: str | None = None) -> msgspec.Meta:
    """A field's one-line meaning (its JSON Schema description) and, for an optional field,
    what its absence means (`default`: a value such as 'global', or words)."""
    if default is None:
        return msgspec.Meta(description=text)
    return msgspec.Meta(description=text, extra={"default": default})


def _kind(kind: str) -> msgspec.Meta:
    """What a field holds, for the words, the prompts and the JSON Schemas."""
    return msgspec.Meta(extra={"kind": kind})


Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Money = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT), _kind("money")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=128), _kind("ident")]
Target = Annotated[str, msgspec.Meta(min_length=1, max_length=2048), _kind("target")]
Targets = Annotated[list[Target], msgspec.Meta(max_length=MAX_LIST)]
Texts = Annotated[list[Text], msgspec.Meta(max_length=1_000)]
Idents = Annotated[list[Ident], msgspec.Meta(max_length=10_000)]
# Times, scopes and countries are checked by the Structs' __post_init__ (check_time,
# check_scope): test_catalog_fields checks that every field of these kinds is.
Time = Annotated[str, _kind("time")]
Scope = Annotated[str, _kind("scope")]  # 'global' or a country code
Country = Annotated[str, _kind("country")]
Currency = Annotated[str, msgspec.Meta(pattern=CURRENCY_PATTERN), _kind("currency")]
Url = Annotated[str, msgspec.Meta(pattern=URL_PATTERN, max_length=4096), _kind("url")]
StreamName = Annotated[str, msgspec.Meta(pattern=STREAM_PATTERN), _kind("stream")]
Confidence = Literal["confirmed", "reported", "single_source", "disputed"]

# ISO 3166-1 alpha-2, for `scope` (withheld-in-country) on blocks.
COUNTRY_CODES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW""".split()
)

STREAM_WORDS = ("lowercase letters, digits, '.', '_' and '-', starting with a letter or a "
                "digit, at most 128 characters")


def check_time(name: str, value: str | None) -> None:
    """Refuse a time that is not `YYYY-MM-DD` or RFC 3339 with an offset."""
    if value is not None:
        try:
            parse_time(value)
        except ValueError as exc:
            raise ValueError(f"field `{name}`: {exc}") from None


def check_scope(name: str, value: str | None, *, allow_global: bool = True) -> None:
    """Refuse a scope that is not 'global' (where allowed) or an ISO 3166 country code."""
    if value is None or value in COUNTRY_CODES or (allow_global and value == "global"):
        return
    what = "global or an ISO 3166 alpha-2 country code" if allow_global else \
        "an ISO 3166 alpha-2 country code"
    raise ValueError(f"field `{name}`: {value!r} is not {what} (2 capital letters, e.g. IN, "
                     "BR, AU)")


_STREAM = re.compile(STREAM_PATTERN)


def check_stream(value: object) -> str | None:
    """A message in the user's words when `value` is not a stream name (SPEC §1), else None."""
    if not isinstance(value, str) or _STREAM.search(value) is None:
        return f"{value!r} is not a stream name ({STREAM_WORDS})"
    return None
