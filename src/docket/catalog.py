"""The built-in catalogue of takedown-dispute events (SPEC §3), as msgspec Structs.

Each event type is a frozen Struct tagged by its `type`, so one typed decoder validates and
dispatches an input line at C speed, with errors that carry a path (`at $.data.targets[2]`).
Schema evolution is by rule: a field added later gets a default, so stored events of an
older `schema_version` still decode; data is stored with defaults omitted, so adding a
defaulted field never changes the bytes (and hashes) of old events.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple, Union

import msgspec

from .times import parse_time

__all__ = [
    "SCHEMA_VERSION",
    "COUNTRY_CODES",
    "Source",
    "Event",
    "EVENT_TYPES",
    "DATA_TYPES",
    "AnyEvent",
    "AMENDING",
    "Ref",
    "References",
    "REFERENCES",
    "introduced",
    "citations",
    "json_schemas",
]

SCHEMA_VERSION = 1

# Integers must survive any JSON reader (RFC 8785 numbers are IEEE doubles), so they are
# kept within the exactly representable range.
MAX_INT = 2**53 - 1
MAX_LIST = 100_000
MAX_TEXT = 10_000
# Patterns end in \Z, not $: `$` also matches before a trailing newline.

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Money = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Target = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
Targets = Annotated[list[Target], msgspec.Meta(max_length=MAX_LIST)]
Texts = Annotated[list[Text], msgspec.Meta(max_length=1_000)]
Idents = Annotated[list[Ident], msgspec.Meta(max_length=10_000)]
StreamName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{0,127}\Z")]
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


def _check_time(name: str, value: str | None) -> None:
    if value is not None:
        try:
            parse_time(value)
        except ValueError as exc:
            raise ValueError(f"field `{name}`: {exc}") from None


class _Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every `data` payload: unknown keys are errors, defaults are not stored."""


class Source(_Data):
    """Where a fact comes from: a title, and where known a URL, a date and a short quote."""

    title: Text
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://\S+\Z", max_length=4096)] | None = None
    published: str | None = None
    quote: Text | None = None

    def __post_init__(self) -> None:
        _check_time("published", self.published)


class OrderIssuedData(_Data):
    order_id: Ident
    issuer: Text
    platform: Text
    targets: Targets | None = None
    target_count: Count | None = None
    legal_basis: Text | None = None
    procedure: Literal["emergency", "regular", "court", "other"] | None = None
    grounds: Texts | None = None
    deadline: str | None = None

    def __post_init__(self) -> None:
        _check_time("deadline", self.deadline)


class _Movement(_Data):
    order_id: Ident | None = None
    targets: Targets | None = None
    all_targets: bool | None = None
    count: Count | None = None


class AccountsBlockedData(_Movement):
    scope: str | None = None
    basis: Literal["legal_order", "platform_rules"] | None = None

    def __post_init__(self) -> None:
        if self.scope is not None and self.scope != "global" and self.scope not in COUNTRY_CODES:
            raise ValueError(
                f"field `scope`: {self.scope!r} is not 'global' or an ISO 3166 country code"
            )
        if self.all_targets and self.order_id is None:
            raise ValueError("field `all_targets` needs an `order_id`")


class AccountsUnblockedData(_Movement):
    unilateral: bool | None = None
    reason: Text | None = None

    def __post_init__(self) -> None:
        if self.all_targets and self.order_id is None:
            raise ValueError("field `all_targets` needs an `order_id`")


class NoticeSentData(_Data):
    notice_id: Ident
    kind: Literal["non_compliance", "show_cause", "final", "other"]
    issuer: Text
    recipient: Text
    order_ids: Idents | None = None
    penalty_cited: Text | None = None
    deadline: str | None = None

    def __post_init__(self) -> None:
        _check_time("deadline", self.deadline)


class AcknowledgementSentData(_Data):
    ref_id: Ident
    by: Text


class DialogueRequestedData(_Data):
    by: Text
    addressee: Text
    subject: Text | None = None


class MeetingHeldData(_Data):
    participants: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=1_000)]
    outcome: Text | None = None


class StatementPublishedData(_Data):
    speaker: Text
    summary: Text
    channel: Literal["press", "blog", "parliament", "social", "other"] | None = None
    quote: Text | None = None


class ComplianceReportedData(_Data):
    order_id: Ident
    actioned: Count
    specified: Count
    reporter: Text


class ChallengeFiledData(_Data):
    case_id: Ident
    court: Text
    petitioner: Text
    order_ids: Idents | None = None


class RulingIssuedData(_Data):
    case_id: Ident
    court: Text
    outcome: Text
    costs: Money | None = None
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}\Z")] | None = None


class EventRetractedData(_Data):
    target_id: Ident
    reason: Text


class EventCorrectedData(_Data):
    target_id: Ident
    reason: Text
    occurred_at: str | None = None
    # The replacement data is validated against the target's type at append time.
    data: dict | None = None

    def __post_init__(self) -> None:
        _check_time("occurred_at", self.occurred_at)
        if self.occurred_at is None and self.data is None:
            raise ValueError("a correction needs `occurred_at` or `data`")


class Event(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type"
):
    """One event as written (SPEC §2); subclasses fix `type` and the shape of `data`."""

    stream: StreamName | None = None
    occurred_at: str
    actor: Text | None = None
    sources: Annotated[list[Source], msgspec.Meta(max_length=1_000)] = []
    confidence: Confidence = "reported"
    id: Ident | None = None
    expected_version: Count | None = None

    def __post_init__(self) -> None:
        _check_time("occurred_at", self.occurred_at)


def _event(tag: str, data_type: type) -> type:
    """Make the event Struct for `tag`, whose `data` is `data_type`."""
    name = "".join(part.title() for part in tag.split("_"))
    namespace = {
        "__annotations__": {"data": data_type},
        "__doc__": f"The `{tag}` event; `data` is a {data_type.__name__}.",
        "__module__": __name__,
    }
    return type(name, (Event,), namespace, tag=tag, kw_only=True)


DATA_TYPES: dict[str, type] = {
    "order_issued": OrderIssuedData,
    "accounts_blocked": AccountsBlockedData,
    "accounts_unblocked": AccountsUnblockedData,
    "notice_sent": NoticeSentData,
    "acknowledgement_sent": AcknowledgementSentData,
    "dialogue_requested": DialogueRequestedData,
    "meeting_held": MeetingHeldData,
    "statement_published": StatementPublishedData,
    "compliance_reported": ComplianceReportedData,
    "challenge_filed": ChallengeFiledData,
    "ruling_issued": RulingIssuedData,
    "event_retracted": EventRetractedData,
    "event_corrected": EventCorrectedData,
}

EVENT_TYPES: dict[str, type] = {tag: _event(tag, dt) for tag, dt in DATA_TYPES.items()}
AnyEvent = Union[tuple(EVENT_TYPES.values())]  # type: ignore[valid-type]


class Ref(NamedTuple):
    """A `data` field that names an entity of the stream: which kinds it may name, the field,
    and whether it holds a list of ids."""

    kinds: tuple[str, ...]
    field: str
    many: bool = False


class References(NamedTuple):
    """What one event type does to the stream's entities: the field that introduces a new
    one (its id must be new), and the fields that cite existing ones (each must resolve)."""

    introduces: Ref | None = None
    cites: tuple[Ref, ...] = ()


_ORDER, _ORDERS = Ref(("order",), "order_id"), Ref(("order",), "order_ids", many=True)
_EVENT = Ref(("event",), "target_id")

# The one table of references (SPEC §3): the append's reference check, `why`, the report and
# the test strategies read it. An entity is an order, notice, case or an event (by its id).
REFERENCES: dict[str, References] = {
    "order_issued": References(introduces=_ORDER),
    "accounts_blocked": References(cites=(_ORDER,)),
    "accounts_unblocked": References(cites=(_ORDER,)),
    "notice_sent": References(introduces=Ref(("notice",), "notice_id"), cites=(_ORDERS,)),
    "acknowledgement_sent": References(cites=(Ref(("notice", "order"), "ref_id"),)),
    "dialogue_requested": References(),
    "meeting_held": References(),
    "statement_published": References(),
    "compliance_reported": References(cites=(_ORDER,)),
    "challenge_filed": References(introduces=Ref(("case",), "case_id"), cites=(_ORDERS,)),
    "ruling_issued": References(cites=(Ref(("case",), "case_id"),)),
    "event_retracted": References(cites=(_EVENT,)),
    "event_corrected": References(cites=(_EVENT,)),
}

# The types that amend another event instead of telling a development.
AMENDING = frozenset({"event_retracted", "event_corrected"})


def introduced(kind: str, data: dict) -> tuple[str, str] | None:
    """(entity kind, id) of the entity an event of type `kind` introduces, if any."""
    ref = REFERENCES[kind].introduces
    if ref is None or data.get(ref.field) is None:
        return None
    return ref.kinds[0], data[ref.field]


def citations(kind: str, data: dict) -> list[tuple[Ref, str, str]]:
    """(ref, field path, id) of every id an event of type `kind` cites in `data`, in field
    order; the path names a list's element (`order_ids[1]`)."""
    out = []
    for ref in REFERENCES[kind].cites:
        value = data.get(ref.field)
        if value is None:
            continue
        if ref.many:
            out += [(ref, f"{ref.field}[{i}]", v) for i, v in enumerate(value)]
        else:
            out.append((ref, ref.field, value))
    return out


def json_schemas() -> dict[str, dict]:
    """The JSON Schema of every event type's input, keyed by type (`docket types --json`)."""
    out = {}
    for tag, cls in EVENT_TYPES.items():
        (ref,), components = msgspec.json.schema_components([cls])
        out[tag] = {"$ref": ref["$ref"], "$defs": components}
    return out
