"""The `data` of each event type of the catalogue (SPEC §3), and of a source, as Structs.

A data Struct's docstring is its type's one-line meaning and each field's
`Meta(description=…)` its meaning: `docket types`, `docket new`, the error messages and the
JSON Schemas read them from here. Every optional field defaults to None, so a field added
later is never stored for old events (defaults are omitted) and their hashes do not change.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from .catalog_scalars import (
    Count,
    Country,
    Currency,
    Ident,
    Idents,
    Money,
    Scope,
    Targets,
    Text,
    Texts,
    Time,
    Url,
    check_scope,
    check_time,
)
from .catalog_scalars import means as _means
from .times import parse_time

__all__ = ["Source", "DATA_TYPES", "named_twice"]


def _needs_order(all_targets: bool | None, order_id: str | None) -> None:
    if all_targets and order_id is None:
        raise ValueError("field `all_targets` needs an `order_id`")


class _Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
            omit_defaults=True):
    """Base of every `data` payload: unknown keys are errors, defaults are not stored."""


class Source(_Data):
    """Where a fact comes from: a title, and where known a URL, a date and a short quote."""

    title: Annotated[Text, _means("the outlet and the title, e.g. 'Reuters: India orders "
                                  "Twitter to block accounts'")]
    url: Annotated[Url | None, _means("where to read it")] = None
    published: Annotated[Time | None, _means("when it was published")] = None
    quote: Annotated[Text | None, _means("the exact words, where the words are the fact")] = None

    def __post_init__(self) -> None:
        check_time("published", self.published)


_ORDER = "(an order_id issued earlier in the stream)"
_ORDERS = "(order_ids issued earlier in the stream)"
_PROCEDURE = Literal["emergency", "regular", "court", "other"]
_NOTICE_KIND = Literal["non_compliance", "show_cause", "final", "other"]
_CHANNEL = Literal["press", "blog", "parliament", "social", "other"]


class OrderIssuedData(_Data):
    """A government or court orders a platform to block accounts, posts or URLs."""

    order_id: Annotated[Ident, _means("the order's identifier, new in the stream")]
    issuer: Annotated[Text, _means("who issued the order: a ministry, a court, a regulator")]
    platform: Annotated[Text, _means("the platform ordered to act")]
    targets: Annotated[Targets | None, _means("the targets named, each once: @handle, #tag, "
                                              "a http(s):// URL, or an opaque id")] = None
    target_count: Annotated[Count | None, _means("how many targets the order covers",
                                                 "the number of targets named")] = None
    legal_basis: Annotated[Text | None, _means("the law invoked, e.g. IT Act s.69A")] = None
    procedure: Annotated[_PROCEDURE | None, _means("how the order was made")] = None
    grounds: Annotated[Texts | None, _means("the reasons the order gives")] = None
    deadline: Annotated[Time | None, _means("when the order must be carried out")] = None
    scope: Annotated[Scope | None, _means(
        "where the order wants the targets gone: global (everywhere) or one country",
        "a block of any scope counts")] = None

    def __post_init__(self) -> None:
        check_time("deadline", self.deadline)
        check_scope("scope", self.scope)


def named_twice(targets: list[str] | None, field: str = "data.targets") -> str | None:
    """The problem with an order's targets that name one twice, else None. They are a set:
    one named twice would count twice in `target_count` and the order could never be
    complied with (a block counts each target once). The log refuses it in new input only
    (not in its Struct), so an older Docket's export that holds one still imports."""
    seen: set[str] = set()
    for i, target in enumerate(targets or ()):
        if target in seen:
            return (f"field `{field}[{i}]`: {target!r} is named twice (an order names "
                    "each target once)")
        seen.add(target)
    return None


class AccountsBlockedData(_Data):
    """The platform blocks or withholds targets, under an order or by its own rules."""

    order_id: Annotated[Ident | None, _means(f"the order carried out {_ORDER}")] = None
    targets: Annotated[Targets | None, _means("the targets blocked, by name")] = None
    all_targets: Annotated[bool | None, _means("true: every target of the order is blocked "
                                               "(needs order_id)")] = None
    count: Annotated[Count | None, _means("how many were blocked, when the names are "
                                          "unknown")] = None
    scope: Annotated[Scope | None, _means("where: everywhere, or withheld in one country",
                                          "global")] = None
    basis: Annotated[Literal["legal_order", "platform_rules"] | None,
                     _means("why: a legal order or the platform's own rules",
                            "legal_order")] = None

    def __post_init__(self) -> None:
        check_scope("scope", self.scope)
        _needs_order(self.all_targets, self.order_id)


class AccountsUnblockedData(_Data):
    """The platform restores targets it had blocked."""

    order_id: Annotated[Ident | None, _means(f"the order whose targets are restored "
                                             f"{_ORDER}")] = None
    targets: Annotated[Targets | None, _means("the targets restored, by name")] = None
    all_targets: Annotated[bool | None, _means("true: every target of the order is "
                                               "restored (needs order_id)")] = None
    count: Annotated[Count | None, _means("how many were restored, when the names are "
                                          "unknown")] = None
    unilateral: Annotated[bool | None, _means("true: the platform restored them on its own, "
                                              "without the issuer's consent")] = None
    reason: Annotated[Text | None, _means("why they were restored")] = None

    def __post_init__(self) -> None:
        _needs_order(self.all_targets, self.order_id)


class NoticeSentData(_Data):
    """An authority sends the platform a notice: of non-compliance, to show cause, a final one."""

    notice_id: Annotated[Ident, _means("the notice's identifier, new in the stream")]
    kind: Annotated[_NOTICE_KIND, _means("what kind of notice")]
    issuer: Annotated[Text, _means("who sent it")]
    recipient: Annotated[Text, _means("who received it")]
    order_ids: Annotated[Idents | None, _means(f"the orders it is about {_ORDERS}")] = None
    penalty_cited: Annotated[Text | None, _means("the penalty it threatens, in words")] = None
    deadline: Annotated[Time | None, _means("when it must be answered")] = None

    def __post_init__(self) -> None:
        check_time("deadline", self.deadline)


class AcknowledgementSentData(_Data):
    """A party acknowledges a notice or an order."""

    ref_id: Annotated[Ident, _means("the notice_id or order_id acknowledged (earlier in the "
                                    "stream)")]
    by: Annotated[Text, _means("who acknowledged it")]


class DialogueRequestedData(_Data):
    """A party asks the other for talks."""

    by: Annotated[Text, _means("who asked")]
    addressee: Annotated[Text, _means("who was asked")]
    subject: Annotated[Text | None, _means("what the talks would be about")] = None


class MeetingHeldData(_Data):
    """The parties meet."""

    participants: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=1_000),
                            _means("who took part")]
    outcome: Annotated[Text | None, _means("what came of it")] = None


class StatementPublishedData(_Data):
    """A party states its position in public."""

    speaker: Annotated[Text, _means("who spoke or wrote")]
    summary: Annotated[Text, _means("what was said, in our own words")]
    channel: Annotated[_CHANNEL | None, _means("where it was said")] = None
    quote: Annotated[Text | None, _means("the exact words, where they are the fact")] = None


class ComplianceReportedData(_Data):
    """Someone reports how much of an order was carried out (actioned of specified)."""

    order_id: Annotated[Ident, _means(f"the order reported on {_ORDER}")]
    actioned: Annotated[Count, _means("how many targets were acted on")]
    specified: Annotated[Count, _means("how many targets the report counts in all")]
    reporter: Annotated[Text, _means("who reported the figures")]


class ChallengeFiledData(_Data):
    """A party takes an order to court."""

    case_id: Annotated[Ident, _means("the case's identifier, new in the stream")]
    court: Annotated[Text, _means("the court")]
    petitioner: Annotated[Text, _means("who filed the case")]
    order_ids: Annotated[Idents | None, _means(f"the orders challenged {_ORDERS}")] = None


class RulingIssuedData(_Data):
    """A court rules on a case."""

    case_id: Annotated[Ident, _means("the case ruled on (a case_id filed earlier in the "
                                     "stream)")]
    court: Annotated[Text, _means("the court")]
    outcome: Annotated[Text, _means("what the court decided, in words")]
    costs: Annotated[Money | None, _means("costs awarded, in whole units of the currency")] \
        = None
    currency: Annotated[Currency | None, _means("the currency of the costs")] = None


class EventRetractedData(_Data):
    """An earlier event of the stream is withdrawn: it should not have been recorded."""

    target_id: Annotated[Ident, _means("the id of the event withdrawn (same stream)")]
    reason: Annotated[Text, _means("why it is withdrawn")]


class EventCorrectedData(_Data):
    """An earlier event of the stream is corrected: a new time, new data, or both."""

    target_id: Annotated[Ident, _means("the id of the event corrected (same stream)")]
    reason: Annotated[Text, _means("why it is corrected")]
    occurred_at: Annotated[Time | None, _means("the corrected time (give it, data, or "
                                               "both)")] = None
    # The replacement data is validated against the target's type at append time.
    data: Annotated[dict | None, _means("the corrected data, whole, of the target's type, "
                                        "its identifier unchanged")] = None

    def __post_init__(self) -> None:
        check_time("occurred_at", self.occurred_at)
        if self.occurred_at is None and self.data is None:
            raise ValueError("a correction needs `occurred_at` or `data`")


class PenaltyImposedData(_Data):
    """An authority fines a party: one sum, or an amount for every day until it stops."""

    penalty_id: Annotated[Ident, _means("the penalty's identifier, new in the stream")]
    issuer: Annotated[Text, _means("who imposed it: a court, a regulator, a ministry")]
    against: Annotated[Text, _means("who must pay")]
    amount: Annotated[Money, _means("how much, in whole units of the currency (a day's "
                                    "amount when per is day)")]
    currency: Annotated[Currency, _means("the currency of the amount")]
    per: Annotated[Literal["once", "day"] | None, _means(
        "once: a single sum; day: the amount accrues for every day begun", "once")] = None
    order_ids: Annotated[Idents | None, _means(f"the orders it enforces {_ORDERS}")] = None
    case_id: Annotated[Ident | None, _means("the case it was imposed in (a case_id filed "
                                            "earlier in the stream)")] = None
    starts_at: Annotated[Time | None, _means("when it starts to accrue",
                                             "the event's occurred_at")] = None
    ends_at: Annotated[Time | None, _means("when it stops accruing, where set in "
                                           "advance")] = None
    reason: Annotated[Text | None, _means("what it punishes")] = None

    def __post_init__(self) -> None:
        check_time("starts_at", self.starts_at)
        check_time("ends_at", self.ends_at)
        if self.starts_at is not None and self.ends_at is not None \
                and parse_time(self.ends_at) < parse_time(self.starts_at):
            raise ValueError(f"field `ends_at`: {self.ends_at!r} is before starts_at "
                             f"{self.starts_at!r}")


class PenaltyPaidData(_Data):
    """A party pays a sum towards one or more penalties."""

    amount: Annotated[Money, _means("how much was paid, in whole units of the currency")]
    currency: Annotated[Currency, _means("the currency of the payment")]
    by: Annotated[Text, _means("who paid")]
    penalty_ids: Annotated[Idents | None, _means(
        "the penalties it pays (penalty_ids imposed earlier in the stream)")] = None
    reason: Annotated[Text | None, _means("how or why it was paid, e.g. funds seized")] = None


class PenaltyLiftedData(_Data):
    """A penalty is stayed, waived or annulled: a daily penalty stops accruing."""

    penalty_id: Annotated[Ident, _means("the penalty lifted (a penalty_id imposed earlier in "
                                        "the stream)")]
    by: Annotated[Text, _means("who lifted it")]
    reason: Annotated[Text | None, _means("a stay, a waiver or an annulment, in words")] = None


class ServiceSuspendedData(_Data):
    """The platform's whole service is blocked in a country."""

    platform: Annotated[Text, _means("the platform suspended")]
    scope: Annotated[Country, _means("the country where it is suspended")]
    ordered_by: Annotated[Text, _means("who ordered the suspension")]
    order_id: Annotated[Ident | None, _means(f"the order behind it {_ORDER}")] = None
    method: Annotated[Text | None, _means("how, e.g. internet providers told to block "
                                          "access")] = None

    def __post_init__(self) -> None:
        check_scope("scope", self.scope, allow_global=False)


class ServiceRestoredData(_Data):
    """The platform's service is available again in a country."""

    platform: Annotated[Text, _means("the platform restored")]
    scope: Annotated[Country, _means("the country where it is available again")]
    by: Annotated[Text, _means("who restored it or allowed it back")]
    reason: Annotated[Text | None, _means("why it was restored")] = None

    def __post_init__(self) -> None:
        check_scope("scope", self.scope, allow_global=False)


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
    # catalogue v2
    "penalty_imposed": PenaltyImposedData,
    "penalty_paid": PenaltyPaidData,
    "penalty_lifted": PenaltyLiftedData,
    "service_suspended": ServiceSuspendedData,
    "service_restored": ServiceRestoredData,
}
