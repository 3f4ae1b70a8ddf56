"""Hypothesis strategies for Docket input (SPEC §2–3), shared by every test module.

Valid input:
- `day()`, `rfc3339_time()`, `day_or_time()`: the accepted spellings of a time;
- `stream_names()`, `identifiers()`, `texts()`, `targets()`, `urls()`, `sources()`;
- `valid_event(stream=..., context=..., kinds=...)`: one event as a dict, of any catalogue
  type (v1 and v2; `V1_TYPES` for the first catalogue only) whose references resolve in
  `context` (a `LogContext`, empty when not given);
- `event_stream(...)`: a list of events over one or more streams, in append order, where every
  reference (order, notice, case, event id) resolves at the point it is appended.

Bad input:
- `malformed_line()`: bytes of one JSONL line that is invalid on its own, with what is wrong.

Checking helpers (independent of `docket`'s own code):
- `canonical_json(obj)`: RFC 8785 bytes for float-free JSON (keys sorted, no whitespace);
- `check_chain(lines)`: recompute the SPEC §7 hash chain of exported lines with hashlib.

Strategies never emit `null` for an optional field: they leave the field out, so the data
a test appends is exactly the data the log stores (defaults are not stored).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import string
from dataclasses import dataclass, field

from hypothesis import strategies as st

# The catalogue's list (test_catalog checks it on its own): a "bad scope" is never a real
# country by chance.
from docket.catalog import COUNTRY_CODES

__all__ = [
    "MAX_INT", "TYPES", "V1_TYPES", "V2_TYPES", "REQUIRED", "OPTIONAL", "CONFIDENCES",
    "COUNTRIES", "ZERO_HASH",
    "day", "rfc3339_time", "day_or_time", "stream_names", "identifiers", "texts", "targets",
    "urls", "sources", "counts", "StreamContext", "LogContext", "data_for", "valid_event",
    "event_stream", "malformed_line", "canonical_json", "view_fingerprint", "check_chain",
    "to_jsonl",
]

MAX_INT = 2**53 - 1
ZERO_HASH = "0" * 64
CONFIDENCES = ("confirmed", "reported", "single_source", "disputed")
# A few ISO 3166-1 alpha-2 codes (a subset is enough for valid input).
COUNTRIES = ("IN", "US", "DE", "FR", "BR", "TR", "RU", "GB", "JP", "NG", "ID", "PK")

# SPEC §3, copied by hand: required and optional `data` fields of each type.
REQUIRED: dict[str, set[str]] = {
    "order_issued": {"order_id", "issuer", "platform"},
    "accounts_blocked": set(),
    "accounts_unblocked": set(),
    "notice_sent": {"notice_id", "kind", "issuer", "recipient"},
    "acknowledgement_sent": {"ref_id", "by"},
    "dialogue_requested": {"by", "addressee"},
    "meeting_held": {"participants"},
    "statement_published": {"speaker", "summary"},
    "compliance_reported": {"order_id", "actioned", "specified", "reporter"},
    "challenge_filed": {"case_id", "court", "petitioner"},
    "ruling_issued": {"case_id", "court", "outcome"},
    "event_retracted": {"target_id", "reason"},
    "event_corrected": {"target_id", "reason"},
    # catalogue v2
    "penalty_imposed": {"penalty_id", "issuer", "against", "amount", "currency"},
    "penalty_paid": {"amount", "currency", "by"},
    "penalty_lifted": {"penalty_id", "by"},
    "service_suspended": {"platform", "scope", "ordered_by"},
    "service_restored": {"platform", "scope", "by"},
}
OPTIONAL: dict[str, set[str]] = {
    "order_issued": {"targets", "target_count", "legal_basis", "procedure", "grounds",
                     "deadline", "scope"},
    "accounts_blocked": {"order_id", "targets", "all_targets", "count", "scope", "basis"},
    "accounts_unblocked": {"order_id", "targets", "all_targets", "count", "unilateral",
                           "reason"},
    "notice_sent": {"order_ids", "penalty_cited", "deadline"},
    "acknowledgement_sent": set(),
    "dialogue_requested": {"subject"},
    "meeting_held": {"outcome"},
    "statement_published": {"channel", "quote"},
    "compliance_reported": set(),
    "challenge_filed": {"order_ids"},
    "ruling_issued": {"costs", "currency"},
    "event_retracted": set(),
    "event_corrected": {"occurred_at", "data"},
    "penalty_imposed": {"per", "order_ids", "case_id", "starts_at", "ends_at", "reason"},
    "penalty_paid": {"penalty_ids", "reason"},
    "penalty_lifted": {"reason"},
    "service_suspended": {"order_id", "method"},
    "service_restored": {"reason"},
}
TYPES = tuple(REQUIRED)
V2_TYPES = ("penalty_imposed", "penalty_paid", "penalty_lifted", "service_suspended",
            "service_restored")
V1_TYPES = tuple(t for t in TYPES if t not in V2_TYPES)
_AMENDING = ("event_retracted", "event_corrected")
# The field of a type that introduces a new identifier into its stream.
_NEW_IDENT = {"order_issued": "order_id", "notice_sent": "notice_id",
              "challenge_filed": "case_id", "penalty_imposed": "penalty_id"}

# -- times -----------------------------------------------------------------------------------

_dates = st.dates()  # 0001-01-01 .. 9999-12-31
# A date-time's offset can carry it past 0001-01-01 or 9999-12-31 in UTC, which the log
# refuses (tests/test_log.py checks those edges); accepted times keep a day away.
_time_dates = st.dates(min_value=_dt.date(1, 1, 2), max_value=_dt.date(9999, 12, 30))


def day() -> st.SearchStrategy[str]:
    """A day-precision time, `YYYY-MM-DD`."""
    return _dates.map(lambda d: d.isoformat())


_OFFSETS = ["Z", "Z", "z", "+00:00", "-00:00", "+05:30", "-03:00", "+23:59", "-23:59",
            "+14:00", "-12:00", "+01:00", "+09:45"]
_FRACTIONS = ["", "", "", ".0", ".5", ".25", ".123", ".000001", ".999999", ".123456789",
              ".100000000"]


@st.composite
def rfc3339_time(draw) -> str:
    """An RFC 3339 date-time with an offset (`Z`, `z` or `±HH:MM`), seconds required, that
    falls within years 1–9999 in UTC."""
    d = draw(_time_dates)
    secs = draw(st.integers(0, 86_399))
    sep = draw(st.sampled_from("TTTt"))
    frac = draw(st.sampled_from(_FRACTIONS))
    offset = draw(st.sampled_from(_OFFSETS))
    hh, mm, ss = secs // 3600, secs // 60 % 60, secs % 60
    return f"{d.isoformat()}{sep}{hh:02d}:{mm:02d}:{ss:02d}{frac}{offset}"


def day_or_time() -> st.SearchStrategy[str]:
    """Any accepted spelling of a time: a day or an RFC 3339 date-time with offset."""
    return st.one_of(day(), rfc3339_time())


# -- scalars ---------------------------------------------------------------------------------

# Any Unicode scalar value (no lone surrogates: they cannot be UTF-8), control characters
# included, so canonical escaping is exercised.
_chars = st.characters(exclude_categories=("Cs",))
_ascii_ident = string.ascii_letters + string.digits + "-_.:/"


def texts(min_size: int = 1, max_size: int = 30) -> st.SearchStrategy[str]:
    """Free text (a `Text` field): 1.. characters of any Unicode."""
    return st.text(_chars, min_size=min_size, max_size=max_size)


def identifiers(max_size: int = 128) -> st.SearchStrategy[str]:
    """An identifier (`id`, order_id, …): 1–128 characters, mostly readable."""
    return st.one_of(
        st.text(_ascii_ident, min_size=1, max_size=min(max_size, 24)),
        st.text(_chars, min_size=1, max_size=max_size),
        st.just("x" * max_size),
    )


def stream_names() -> st.SearchStrategy[str]:
    """A stream name, `[a-z0-9][a-z0-9._-]{0,127}`."""
    return st.one_of(
        st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
        st.from_regex(r"[a-z0-9][a-z0-9._-]{0,127}", fullmatch=True),
        st.just("z" * 128),
    )


def counts() -> st.SearchStrategy[int]:
    """A non-negative integer that any JSON reader keeps exactly (≤ 2^53 − 1)."""
    return st.one_of(st.integers(0, 5000), st.integers(0, MAX_INT), st.just(MAX_INT))


def urls() -> st.SearchStrategy[str]:
    """An http(s) URL without whitespace."""
    path = st.text(string.ascii_letters + string.digits + "/._~-%?=&#", max_size=30)
    host = st.from_regex(r"[a-z][a-z0-9-]{0,15}\.(org|com|in|net)", fullmatch=True)
    return st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]),
                     host, path)


def targets() -> st.SearchStrategy[str]:
    """A target: `@handle`, `#tag`, a URL, or an opaque id."""
    word = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=15)
    return st.one_of(word.map("@".__add__), word.map("#".__add__), urls(),
                     texts(1, 40))


def sources() -> st.SearchStrategy[dict]:
    """A source: a title, and optionally a URL, a publication time and a quote."""
    return st.fixed_dictionaries(
        {"title": texts()},
        optional={"url": urls(), "published": day_or_time(), "quote": texts()},
    )


def _optional(draw, out: dict, key: str, strategy) -> None:
    if draw(_BOOL):
        out[key] = draw(strategy)


def _pick(draw, items):
    """One of `items`, a list that changes between draws (cheaper than a new sampled_from)."""
    return items[draw(st.integers(0, len(items) - 1))]


# Built once: building strategies afresh inside every draw makes generation several times
# slower.
_BOOL = st.booleans()
_TEXT = texts()
_LONG_TEXT = texts(1, 200)
_IDENT = identifiers()
# Any time, or one in nine days of February 2021 (a day, or a whole hour with an offset), so
# events tie, deadlines pass between them and daily fines accrue for days, not millennia.
_NEAR_TIME = st.one_of(
    st.integers(1, 9).map(lambda d: f"2021-02-{d:02d}"),
    st.builds(lambda d, h, o: f"2021-02-{d:02d}T{h:02d}:00:00{o}", st.integers(1, 9),
              st.sampled_from((0, 6, 23)), st.sampled_from(("Z", "+05:30", "-03:00"))))
_TIME = st.one_of(day_or_time(), _NEAR_TIME)
_COUNT = counts()
_TARGETS = st.lists(targets(), max_size=6)
_ORDER_TARGETS = st.lists(targets(), max_size=6, unique=True)  # an order names each once
_TEXTS = st.lists(texts(), max_size=3)
_PARTICIPANTS = st.lists(texts(), min_size=1, max_size=4)
_SOURCES = st.lists(sources(), max_size=3)
# Mostly a few currencies, so payments meet the penalties they name in the same one (and
# in another) and penalty_totals sums several of each; sometimes any code.
_CURRENCY = st.one_of(st.sampled_from(("INR", "BRL", "EUR")),
                      st.from_regex(r"[A-Z]{3}", fullmatch=True))
_PROCEDURE = st.sampled_from(["emergency", "regular", "court", "other"])
_NOTICE_KIND = st.sampled_from(["non_compliance", "show_cause", "final", "other"])
_CHANNEL = st.sampled_from(["press", "blog", "parliament", "social", "other"])
_SCOPE = st.sampled_from(("global",) + COUNTRIES)
_BASIS = st.sampled_from(["legal_order", "platform_rules"])
_CONFIDENCE = st.sampled_from(CONFIDENCES)
_CORRECTS = st.sampled_from(["occurred_at", "data", "both"])
_PER = st.sampled_from(["once", "day"])
_COUNTRY = st.sampled_from(COUNTRIES)
_STREAM = stream_names()


# -- what a log holds ------------------------------------------------------------------------

@dataclass
class StreamContext:
    """What one stream holds: its version and the identifiers references may name."""

    name: str
    version: int = 0
    orders: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    penalties: list[str] = field(default_factory=list)
    # (id, type, data) of events with a known id that a retraction/correction may target.
    amendable: list[tuple[str, str, dict]] = field(default_factory=list)


@dataclass
class LogContext:
    """What a log holds: its streams and every event id in use (ids are global)."""

    streams: dict[str, StreamContext] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def stream(self, name: str) -> StreamContext:
        if name not in self.streams:
            self.streams[name] = StreamContext(name)
        return self.streams[name]

    def add(self, event: dict, stream: str | None = None) -> None:
        """Record that `event` was appended (after drawing it)."""
        ctx = self.stream(stream or event["stream"])
        ctx.version += 1
        kind, data = event["type"], event["data"]
        if kind == "order_issued":
            ctx.orders.append(data["order_id"])
        elif kind == "notice_sent":
            ctx.notices.append(data["notice_id"])
        elif kind == "challenge_filed":
            ctx.cases.append(data["case_id"])
        elif kind == "penalty_imposed":
            ctx.penalties.append(data["penalty_id"])
        if "id" in event:
            self.ids.add(event["id"])
            if kind not in _AMENDING:
                ctx.amendable.append((event["id"], kind, data))


def _possible(kind: str, ctx: StreamContext) -> bool:
    if kind == "acknowledgement_sent":
        return bool(ctx.notices or ctx.orders)
    if kind == "compliance_reported":
        return bool(ctx.orders)
    if kind == "ruling_issued":
        return bool(ctx.cases)
    if kind == "penalty_lifted":
        return bool(ctx.penalties)
    if kind in _AMENDING:
        return bool(ctx.amendable)
    return True


def _new_ident(draw, taken) -> str:
    """An identifier not in `taken` (made unique with a suffix rather than by filtering)."""
    ident = draw(_IDENT)
    n = 0
    while ident in taken:
        n += 1
        ident = f"{ident[:100]}~{n}"
    return ident


def _some(draw, items: list[str], max_size: int = 3) -> list[str]:
    return [_pick(draw, items) for _ in range(draw(st.integers(0, max_size)))]


def data_for(draw, kind: str, ctx: StreamContext) -> dict:
    """Valid `data` of type `kind` whose references resolve in `ctx` (call inside a composite)."""
    d: dict = {}

    def opt(key, strategy):
        _optional(draw, d, key, strategy)

    if kind == "order_issued":
        d.update(order_id=_new_ident(draw, ctx.orders), issuer=draw(_TEXT),
                 platform=draw(_TEXT))
        opt("targets", _ORDER_TARGETS)
        opt("target_count", _COUNT)
        opt("legal_basis", _TEXT)
        opt("procedure", _PROCEDURE)
        opt("grounds", _TEXTS)
        opt("deadline", _TIME)
        opt("scope", _SCOPE)
    elif kind in ("accounts_blocked", "accounts_unblocked"):
        if ctx.orders and draw(_BOOL):
            d["order_id"] = _pick(draw, ctx.orders)
            opt("all_targets", _BOOL)
        opt("targets", _TARGETS)
        opt("count", _COUNT)
        if kind == "accounts_blocked":
            opt("scope", _SCOPE)
            opt("basis", _BASIS)
        else:
            opt("unilateral", _BOOL)
            opt("reason", _TEXT)
    elif kind == "notice_sent":
        d.update(notice_id=_new_ident(draw, ctx.notices), kind=draw(_NOTICE_KIND),
                 issuer=draw(_TEXT), recipient=draw(_TEXT))
        if ctx.orders and draw(_BOOL):
            d["order_ids"] = _some(draw, ctx.orders)
        opt("penalty_cited", _TEXT)
        opt("deadline", _TIME)
    elif kind == "acknowledgement_sent":
        d.update(ref_id=_pick(draw, ctx.notices + ctx.orders), by=draw(_TEXT))
    elif kind == "dialogue_requested":
        d.update(by=draw(_TEXT), addressee=draw(_TEXT))
        opt("subject", _TEXT)
    elif kind == "meeting_held":
        d["participants"] = draw(_PARTICIPANTS)
        opt("outcome", _TEXT)
    elif kind == "statement_published":
        d.update(speaker=draw(_TEXT), summary=draw(_LONG_TEXT))
        opt("channel", _CHANNEL)
        opt("quote", _TEXT)
    elif kind == "compliance_reported":
        d.update(order_id=_pick(draw, ctx.orders), actioned=draw(_COUNT),
                 specified=draw(_COUNT), reporter=draw(_TEXT))
    elif kind == "challenge_filed":
        d.update(case_id=_new_ident(draw, ctx.cases), court=draw(_TEXT),
                 petitioner=draw(_TEXT))
        if ctx.orders and draw(_BOOL):
            d["order_ids"] = _some(draw, ctx.orders)
    elif kind == "ruling_issued":
        d.update(case_id=_pick(draw, ctx.cases), court=draw(_TEXT), outcome=draw(_TEXT))
        opt("costs", _COUNT)
        opt("currency", _CURRENCY)
    elif kind == "penalty_imposed":
        d.update(penalty_id=_new_ident(draw, ctx.penalties), issuer=draw(_TEXT),
                 against=draw(_TEXT), amount=draw(_COUNT), currency=draw(_CURRENCY))
        opt("per", _PER)
        if ctx.orders and draw(_BOOL):
            d["order_ids"] = _some(draw, ctx.orders)
        if ctx.cases and draw(_BOOL):
            d["case_id"] = _pick(draw, ctx.cases)
        if draw(_BOOL):  # both ends: days in order, so the end is never before the start
            first, last = sorted([draw(_dates), draw(_dates)])
            d["starts_at"], d["ends_at"] = first.isoformat(), last.isoformat()
        else:
            opt("starts_at", _TIME)
        opt("reason", _TEXT)
    elif kind == "penalty_paid":
        d.update(amount=draw(_COUNT), currency=draw(_CURRENCY), by=draw(_TEXT))
        if ctx.penalties and draw(_BOOL):
            d["penalty_ids"] = _some(draw, ctx.penalties)
        opt("reason", _TEXT)
    elif kind == "penalty_lifted":
        d.update(penalty_id=_pick(draw, ctx.penalties), by=draw(_TEXT))
        opt("reason", _TEXT)
    elif kind == "service_suspended":
        d.update(platform=draw(_TEXT), scope=draw(_COUNTRY), ordered_by=draw(_TEXT))
        if ctx.orders and draw(_BOOL):
            d["order_id"] = _pick(draw, ctx.orders)
        opt("method", _TEXT)
    elif kind == "service_restored":
        d.update(platform=draw(_TEXT), scope=draw(_COUNTRY), by=draw(_TEXT))
        opt("reason", _TEXT)
    elif kind == "event_retracted":
        target_id, _, _ = _pick(draw, ctx.amendable)
        d.update(target_id=target_id, reason=draw(_TEXT))
    elif kind == "event_corrected":
        target_id, t_kind, t_data = _pick(draw, ctx.amendable)
        d.update(target_id=target_id, reason=draw(_TEXT))
        what = draw(_CORRECTS)
        if what in ("occurred_at", "both"):
            d["occurred_at"] = draw(_TIME)
        if what in ("data", "both"):
            replacement = data_for(draw, t_kind, ctx)
            if t_kind in _NEW_IDENT:  # a correction keeps the identifier
                replacement[_NEW_IDENT[t_kind]] = t_data[_NEW_IDENT[t_kind]]
            d["data"] = replacement
    else:  # pragma: no cover
        raise ValueError(kind)
    return d


@st.composite
def valid_event(
    draw,
    stream: str | None = None,
    *,
    context: LogContext | None = None,
    kinds: tuple[str, ...] | None = None,
    with_id: bool | None = None,
    expected_version: bool = False,
    include_stream: bool = True,
) -> dict:
    """One valid input event (a dict) for `stream` (drawn when None).

    `context` says what the log already holds, so references resolve (empty when None; then
    only types that need no reference are drawn). It is not modified: call
    `context.add(event)` after appending. `with_id`: always (True), never (False) or
    sometimes (None) give an `id`. `expected_version`: include the stream's right version.
    `include_stream=False` leaves `stream` out (for `--stream`).
    """
    context = context if context is not None else LogContext()
    if stream is None:
        stream = draw(_STREAM)
    ctx = context.streams.get(stream) or StreamContext(stream)
    possible = [k for k in (kinds or TYPES) if _possible(k, ctx)]
    if not possible:
        raise ValueError(f"no type of {kinds} can be drawn in this context")
    kind = _pick(draw, possible)
    event: dict = {"type": kind}
    if include_stream:
        event["stream"] = stream
    event["occurred_at"] = draw(_TIME)
    event["data"] = data_for(draw, kind, ctx)
    _optional(draw, event, "actor", _TEXT)
    _optional(draw, event, "sources", _SOURCES)
    _optional(draw, event, "confidence", _CONFIDENCE)
    if with_id or (with_id is None and draw(_BOOL)):
        event["id"] = _new_ident(draw, context.ids)
    if expected_version:
        event["expected_version"] = ctx.version
    return event


@st.composite
def event_stream(
    draw,
    streams: list[str] | None = None,
    *,
    min_size: int = 1,
    max_size: int = 12,
    max_streams: int = 3,
    context: LogContext | None = None,
    kinds: tuple[str, ...] | None = None,
    with_id: bool | None = None,
    expected_version: bool = False,
) -> list[dict]:
    """Valid events over one or more streams, in append order, references resolving.

    `streams` fixes the stream names (otherwise 1..max_streams are drawn). `context` is what
    the log already holds (copied, not modified).
    """
    if streams is None:
        streams = draw(st.lists(stream_names(), min_size=1, max_size=max_streams, unique=True))
    ctx = LogContext()
    if context is not None:  # copy so the caller's context is left as it was
        ctx.ids = set(context.ids)
        for name, sc in context.streams.items():
            ctx.streams[name] = StreamContext(name, sc.version, list(sc.orders),
                                              list(sc.notices), list(sc.cases),
                                              list(sc.penalties), list(sc.amendable))
    n = draw(st.integers(min_size, max_size))
    events = []
    for _ in range(n):
        stream = _pick(draw, streams)
        event = draw(valid_event(stream, context=ctx, kinds=kinds, with_id=with_id,
                                 expected_version=expected_version))
        ctx.add(event)
        events.append(event)
    return events


def to_jsonl(events: list[dict]) -> bytes:
    """Events as JSONL bytes (UTF-8, one object a line)."""
    return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in events)


# -- bad input -------------------------------------------------------------------------------

_TOP_KEYS = {"type", "stream", "occurred_at", "actor", "data", "sources", "confidence", "id",
             "expected_version"}


@st.composite
def malformed_line(draw) -> tuple[bytes, str]:
    """One JSONL line (no newline) that no log accepts, and what is wrong with it.

    Starts from a valid, reference-free event with an id and breaks it in one way that is
    wrong whatever the log holds (one way is leaving out `stream`: do not pass `--stream`).
    """
    base = draw(valid_event(with_id=True, kinds=("order_issued", "dialogue_requested",
                                                 "statement_published", "meeting_held",
                                                 "accounts_blocked")))
    how = draw(st.sampled_from([
        "unknown_key", "unknown_data_key", "missing", "naive_time", "impossible_date",
        "time_not_string", "bad_stream", "long_id", "empty_id", "bad_confidence",
        "bad_type", "data_not_object", "negative_count", "float_count", "bool_count",
        "huge_count", "truncated_json", "not_object", "garbage", "bad_scope",
        "bad_currency", "bad_country", "duplicate_key",
    ]))
    e = dict(base)
    data = dict(e["data"])
    e["data"] = data
    if how == "unknown_key":
        e[draw(st.text(string.ascii_letters + "_", min_size=1, max_size=12)
               .filter(lambda k: k not in _TOP_KEYS))] = draw(st.integers() | st.text())
    elif how == "unknown_data_key":
        allowed = REQUIRED[e["type"]] | OPTIONAL[e["type"]]
        data[draw(st.text(string.ascii_letters + "_", min_size=1, max_size=12)
                  .filter(lambda k: k not in allowed))] = draw(st.integers() | st.text())
    elif how == "missing":
        del e[draw(st.sampled_from(["type", "stream", "occurred_at", "data"]))]
    elif how == "naive_time":
        e["occurred_at"] = draw(st.from_regex(
            r"20[0-9]{2}-0[1-9]-1[0-9][T ][01][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?",
            fullmatch=True))
    elif how == "impossible_date":
        e["occurred_at"] = draw(st.sampled_from(
            ["2021-02-30", "2021-02-29", "2021-13-01", "2021-00-10", "2021-04-31",
             "2021-01-01T24:00:00Z", "2021-01-01T10:60:00Z", "2021-01-01T10:00:61Z",
             "2021-01-01T10:00:00+24:00", "2021-1-1", "21-01-01", "yesterday"]))
    elif how == "time_not_string":
        e["occurred_at"] = draw(st.one_of(st.integers(), st.booleans(), st.none(),
                                          st.lists(st.integers(), max_size=2)))
    elif how == "bad_stream":
        e["stream"] = draw(st.one_of(
            st.from_regex(r"[A-Z_.-][a-z0-9]{0,10}", fullmatch=True),
            st.from_regex(r"[a-z][a-z]{0,5}[ /A-Z!@][a-z]{0,5}", fullmatch=True),
            st.just("a" * 129), st.just(""), st.integers()))
    elif how == "long_id":
        e["id"] = draw(st.text(_chars, min_size=129, max_size=200))
    elif how == "empty_id":
        e["id"] = ""
    elif how == "bad_confidence":
        e["confidence"] = draw(st.text(max_size=12).filter(lambda c: c not in CONFIDENCES))
    elif how == "bad_type":
        e["type"] = draw(st.one_of(st.text(max_size=20).filter(lambda t: t not in TYPES),
                                   st.integers()))
    elif how == "data_not_object":
        e["data"] = draw(st.one_of(st.lists(st.integers(), max_size=2), st.text(),
                                   st.integers(), st.none()))
    elif how in ("negative_count", "float_count", "bool_count", "huge_count"):
        e["type"], e["data"] = "accounts_blocked", {}
        e["data"]["count"] = {
            "negative_count": draw(st.integers(max_value=-1)),
            "float_count": draw(st.floats(allow_nan=False, allow_infinity=False, min_value=0,
                                          max_value=1e6)),
            "bool_count": draw(st.booleans()),
            "huge_count": draw(st.integers(min_value=MAX_INT + 1, max_value=2**70)),
        }[how]
    elif how == "bad_scope":
        e["type"], e["data"] = "accounts_blocked", {
            "scope": draw(st.text(max_size=4).filter(lambda s: s != "global"
                                                     and s not in COUNTRY_CODES))}
    elif how == "bad_currency":
        e["type"], e["data"] = "penalty_imposed", {
            "penalty_id": "P", "issuer": "I", "against": "A", "amount": 1,
            "currency": draw(st.text(max_size=5).filter(
                lambda c: not (len(c) == 3 and all("A" <= ch <= "Z" for ch in c))))}
    elif how == "bad_country":
        e["type"], e["data"] = "service_suspended", {
            "platform": "X", "ordered_by": "STF",
            "scope": draw(st.text(max_size=4).filter(lambda s: s not in COUNTRY_CODES))}
    if how == "duplicate_key":
        # RFC 7493: a key given twice in one object (JSON readers disagree on which wins).
        raw = json.dumps(e, ensure_ascii=False)
        key = draw(st.sampled_from(sorted(set(e) - {"data"})))
        return (raw[:-1] + ", " + json.dumps(key) + ": " + json.dumps(e[key]) + "}").encode(), how
    if how == "truncated_json":
        raw = json.dumps(e).encode()
        return raw[:draw(st.integers(1, len(raw) - 1))].rstrip(b"\r\n") or b"{", how
    if how == "not_object":
        value = draw(st.one_of(st.lists(st.integers(), max_size=3), st.integers(),
                               st.text(max_size=10), st.none(), st.booleans()))
        return json.dumps(value).encode(), how
    if how == "garbage":
        raw = draw(st.binary(min_size=1, max_size=40).filter(
            lambda b: b.strip() and b"\n" not in b and b"\r" not in b))
        return raw, how
    return json.dumps(e, ensure_ascii=False).encode(), how


# -- independent checks ----------------------------------------------------------------------

def canonical_json(obj) -> bytes:
    """RFC 8785 bytes of float-free JSON, written without docket's code.

    Python's json with sorted keys, no whitespace and ensure_ascii=False escapes exactly as
    RFC 8785 does (`\\"`, `\\\\`, short escapes for \\b \\t \\n \\f \\r, lowercase `\\u00xx`
    for the other controls, everything else literal); keys here are ASCII, so code-point
    order equals the UTF-16 order RFC 8785 asks for.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def view_fingerprint(view: dict) -> str:
    """SPEC §5 fingerprint written without docket's code: sha256 of the canonical JSON (whole
    numbers without `.0`, as RFC 8785 writes them) of the view without as_of, known_at and
    the fingerprint itself."""
    def whole(o):
        if isinstance(o, float) and o.is_integer():
            return int(o)
        if isinstance(o, dict):
            return {k: whole(v) for k, v in o.items()}
        if isinstance(o, list):
            return [whole(v) for v in o]
        return o

    rest = {k: v for k, v in view.items() if k not in ("as_of", "known_at", "fingerprint")}
    return "sha256:" + hashlib.sha256(canonical_json(whole(rest))).hexdigest()


def check_chain(lines: list[bytes]) -> list[dict]:
    """Recompute the SPEC §7 chain of exported lines with hashlib; return the records.

    Asserts: each line is canonical; `prev_hash` links to the line before (64 zeros first);
    `hash` = hex(sha256(raw(prev_hash) || canonical bytes without `hash`)); seq is 1, 2, …
    """
    prev = ZERO_HASH
    records = []
    for n, line in enumerate(lines, 1):
        line = line.rstrip(b"\n")
        record = json.loads(line)
        assert canonical_json(record) == line, f"line {n} is not canonical"
        assert record["seq"] == n, f"line {n} has seq {record['seq']}"
        assert record["prev_hash"] == prev, f"line {n}: prev_hash does not link"
        body = {k: v for k, v in record.items() if k != "hash"}
        want = hashlib.sha256(bytes.fromhex(prev) + canonical_json(body)).hexdigest()
        assert record["hash"] == want, f"line {n}: hash does not match its content"
        prev = record["hash"]
        records.append(record)
    return records
