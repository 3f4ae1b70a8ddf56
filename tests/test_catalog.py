"""The catalogue (`docket.catalog`, SPEC §3, v2): 18 frozen, tagged Structs, their fields and
enums as the SPEC lists them, defaults for every optional field, and the v2 rules."""

from __future__ import annotations

import msgspec
import pytest
from strategies import OPTIONAL, REQUIRED, TYPES

from docket.catalog import (
    COUNTRY_CODES,
    DATA_TYPES,
    EVENT_TYPES,
    REFERENCES,
    SCHEMA_VERSION,
    AnyEvent,
    Event,
    Ref,
    Source,
)

# SPEC §2–3, by hand: every enumeration of the catalogue.
ENUMS = {
    ("order_issued", "procedure"): {"emergency", "regular", "court", "other"},
    ("accounts_blocked", "basis"): {"legal_order", "platform_rules"},
    ("notice_sent", "kind"): {"non_compliance", "show_cause", "final", "other"},
    ("statement_published", "channel"): {"press", "blog", "parliament", "social", "other"},
    ("penalty_imposed", "per"): {"once", "day"},
}
CONFIDENCE = {"confirmed", "reported", "single_source", "disputed"}
# The smallest valid data of each type (required fields only), and which refs it needs.
MINIMAL = {
    "order_issued": {"order_id": "O", "issuer": "I", "platform": "P"},
    "accounts_blocked": {},
    "accounts_unblocked": {},
    "notice_sent": {"notice_id": "N", "kind": "final", "issuer": "I", "recipient": "R"},
    "acknowledgement_sent": {"ref_id": "N", "by": "B"},
    "dialogue_requested": {"by": "B", "addressee": "A"},
    "meeting_held": {"participants": ["A"]},
    "statement_published": {"speaker": "S", "summary": "X"},
    "compliance_reported": {"order_id": "O", "actioned": 0, "specified": 0, "reporter": "R"},
    "challenge_filed": {"case_id": "C", "court": "HC", "petitioner": "P"},
    "ruling_issued": {"case_id": "C", "court": "HC", "outcome": "X"},
    "event_retracted": {"target_id": "E", "reason": "R"},
    "event_corrected": {"target_id": "E", "reason": "R", "occurred_at": "2021-01-01"},
    "penalty_imposed": {"penalty_id": "P", "issuer": "I", "against": "A", "amount": 0,
                        "currency": "BRL"},
    "penalty_paid": {"amount": 0, "currency": "BRL", "by": "B"},
    "penalty_lifted": {"penalty_id": "P", "by": "B"},
    "service_suspended": {"platform": "X", "scope": "BR", "ordered_by": "STF"},
    "service_restored": {"platform": "X", "scope": "BR", "by": "STF"},
}


def optional_fields(data_type) -> set[str]:
    fields = data_type.__struct_fields__
    return set(fields[len(fields) - len(data_type.__struct_defaults__):])


def test_the_catalogue_has_the_18_types_of_spec_3():
    assert set(DATA_TYPES) == set(EVENT_TYPES) == set(TYPES)
    assert len(TYPES) == 18


@pytest.mark.parametrize("tag", TYPES)
def test_fields_and_optionality_match_spec_3(tag):
    data_type = DATA_TYPES[tag]
    assert set(data_type.__struct_fields__) == REQUIRED[tag] | OPTIONAL[tag]
    assert optional_fields(data_type) == OPTIONAL[tag]
    # schema evolution: an optional field defaults to None, so it is never stored when absent
    assert all(d is None for d in data_type.__struct_defaults__)


@pytest.mark.parametrize("tag", TYPES)
def test_each_type_is_a_frozen_struct_tagged_by_type(tag):
    cls = EVENT_TYPES[tag]
    assert issubclass(cls, Event)
    assert cls.__struct_config__.tag == tag and cls.__struct_config__.tag_field == "type"
    assert cls.__struct_config__.frozen and DATA_TYPES[tag].__struct_config__.frozen
    e = msgspec.json.decode(msgspec.json.encode({"type": tag, "occurred_at": "2021-01-01",
                                                  "data": MINIMAL[tag]}), type=AnyEvent)
    assert type(e) is cls
    with pytest.raises(AttributeError):
        e.occurred_at = "2021-01-02"
    with pytest.raises(AttributeError):
        e.data.x = 1
    # the stored form omits what was not given
    assert msgspec.to_builtins(e.data) == MINIMAL[tag]


@pytest.mark.parametrize("tag", TYPES)
def test_required_fields_are_required_and_unknown_fields_refused(tag):
    for field in REQUIRED[tag]:
        data = {k: v for k, v in MINIMAL[tag].items() if k != field}
        with pytest.raises(msgspec.ValidationError, match=field):
            msgspec.convert(data, DATA_TYPES[tag], strict=True)
    with pytest.raises(msgspec.ValidationError, match="zzz"):
        msgspec.convert({**MINIMAL[tag], "zzz": 1}, DATA_TYPES[tag], strict=True)


@pytest.mark.parametrize("tag,field", list(ENUMS))
def test_enumerations(tag, field):
    for value in ENUMS[(tag, field)]:
        msgspec.convert({**MINIMAL[tag], field: value}, DATA_TYPES[tag], strict=True)
    for value in ("", "Emergency", "unknown", " press"):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({**MINIMAL[tag], field: value}, DATA_TYPES[tag], strict=True)


def test_confidence_values_and_default():
    base = {"type": "accounts_blocked", "occurred_at": "2021-01-01", "data": {}}
    for value in CONFIDENCE:
        assert msgspec.convert({**base, "confidence": value}, AnyEvent).confidence == value
    assert msgspec.convert(base, AnyEvent).confidence == "reported"
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**base, "confidence": "sure"}, AnyEvent)


def test_country_codes_are_iso_3166_alpha_2():
    assert len(COUNTRY_CODES) == 249  # officially assigned ISO 3166-1 alpha-2 codes
    assert {"IN", "US", "DE", "BR", "TR", "RU", "GB", "AQ", "ZW"} <= COUNTRY_CODES
    assert not {"UK", "EU", "XK", "ZZ", "in"} & COUNTRY_CODES
    for code in sorted(COUNTRY_CODES) + ["global"]:
        msgspec.convert({"scope": code}, DATA_TYPES["accounts_blocked"], strict=True)
    for bad in ("GLOBAL", "in", "IND", "UK", "", "I N"):
        with pytest.raises(msgspec.ValidationError, match="scope"):
            msgspec.convert({"scope": bad}, DATA_TYPES["accounts_blocked"], strict=True)


@pytest.mark.parametrize("tag,field", [
    ("order_issued", "target_count"), ("accounts_blocked", "count"),
    ("accounts_unblocked", "count"), ("compliance_reported", "actioned"),
    ("compliance_reported", "specified"), ("ruling_issued", "costs"),
    ("penalty_imposed", "amount"), ("penalty_paid", "amount"),
])
def test_counts_are_integers_from_0_to_2_pow_53_minus_1(tag, field):
    cls = DATA_TYPES[tag]
    for ok in (0, 1, 2**53 - 1):
        assert getattr(msgspec.convert({**MINIMAL[tag], field: ok}, cls, strict=True),
                       field) == ok
    for bad in (-1, 2**53, 2**64, 1.0, 0.5, True, "1", None if field in REQUIRED[tag] else []):
        with pytest.raises(msgspec.ValidationError, match=field):
            msgspec.json.decode(msgspec.json.encode({**MINIMAL[tag], field: bad}), type=cls)


@pytest.mark.parametrize("tag,field", [
    ("order_issued", "deadline"), ("notice_sent", "deadline"),
    ("event_corrected", "occurred_at"), ("penalty_imposed", "starts_at"),
    ("penalty_imposed", "ends_at"),
])
def test_time_fields_accept_days_and_offsets_only(tag, field):
    cls = DATA_TYPES[tag]
    for ok in ("2021-02-10", "2021-02-10T18:00:00+05:30", "2021-02-10T12:30:00Z"):
        msgspec.convert({**MINIMAL[tag], field: ok}, cls, strict=True)
    for bad in ("2021-02-10T18:00:00", "2021-02-31", "10 Feb 2021", 20210210):
        with pytest.raises(msgspec.ValidationError, match=field):
            msgspec.convert({**MINIMAL[tag], field: bad}, cls, strict=True)


def test_sources():
    Source(title="t")
    ok = msgspec.convert({"title": "t", "url": "http://example.org/a?b=c",
                          "published": "2021-02-08T10:00:00Z", "quote": "q"}, Source)
    assert ok.url == "http://example.org/a?b=c"
    for bad in ({"url": "https://x.org"}, {"title": ""}, {"title": "t", "url": "ftp://x.org"},
                {"title": "t", "url": "https://x.org/a b"}, {"title": "t", "url": "x.org"},
                {"title": "t", "published": "2021-02-30"}, {"title": "t", "extra": 1}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, Source, strict=True)


def test_movement_rules():
    for tag in ("accounts_blocked", "accounts_unblocked"):
        cls = DATA_TYPES[tag]
        with pytest.raises(msgspec.ValidationError, match="all_targets"):
            msgspec.convert({"all_targets": True}, cls, strict=True)
        msgspec.convert({"all_targets": True, "order_id": "O"}, cls, strict=True)
        msgspec.convert({"all_targets": False}, cls, strict=True)


def test_a_correction_must_change_something():
    cls = DATA_TYPES["event_corrected"]
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"target_id": "E", "reason": "R"}, cls, strict=True)
    msgspec.convert({"target_id": "E", "reason": "R", "data": {}}, cls, strict=True)


def test_text_and_identifier_limits():
    base = {"type": "dialogue_requested", "occurred_at": "2021-01-01",
            "data": {"by": "B", "addressee": "A"}}
    assert msgspec.convert({**base, "id": "x" * 128}, AnyEvent).id == "x" * 128
    for bad_id in ("", "x" * 129):
        with pytest.raises(msgspec.ValidationError, match="id"):
            msgspec.convert({**base, "id": bad_id}, AnyEvent)
    assert msgspec.convert({**base, "stream": "a" * 128}, AnyEvent).stream == "a" * 128
    for bad in ("a" * 129, "", "Upper", "-dash-first", ".dot-first", "_under", "with space",
                "ünï", "a/b", "a\n"):
        with pytest.raises(msgspec.ValidationError, match="stream"):
            msgspec.convert({**base, "stream": bad}, AnyEvent)
    for ok in ("0", "a", "twitter-india-2021", "x.y_z-9"):
        msgspec.convert({**base, "stream": ok}, AnyEvent)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**base, "data": {"by": "", "addressee": "A"}}, AnyEvent)


def test_schema_version_is_1():
    assert SCHEMA_VERSION == 1


# -- catalogue v2 (SPEC §3) --------------------------------------------------------------

@pytest.mark.parametrize("tag", ["order_issued", "accounts_blocked"])
def test_a_scope_is_global_or_a_country(tag):
    cls = DATA_TYPES[tag]
    for ok in ("global", "IN", "BR", "AU"):
        assert msgspec.convert({**MINIMAL[tag], "scope": ok}, cls, strict=True).scope == ok
    for bad in ("GLOBAL", "in", "UK", "EU", "", "IND"):
        with pytest.raises(msgspec.ValidationError, match="scope"):
            msgspec.convert({**MINIMAL[tag], "scope": bad}, cls, strict=True)


@pytest.mark.parametrize("tag", ["service_suspended", "service_restored"])
def test_a_service_scope_is_a_country_never_global(tag):
    cls = DATA_TYPES[tag]
    for bad in ("global", "XX", "br", ""):
        with pytest.raises(msgspec.ValidationError, match="scope"):
            msgspec.convert({**MINIMAL[tag], "scope": bad}, cls, strict=True)


@pytest.mark.parametrize("tag", ["penalty_imposed", "penalty_paid", "ruling_issued"])
def test_a_currency_is_three_capital_letters(tag):
    cls = DATA_TYPES[tag]
    base = MINIMAL[tag] if tag != "ruling_issued" else {**MINIMAL[tag], "costs": 1}
    for ok in ("INR", "BRL", "AUD"):
        msgspec.convert({**base, "currency": ok}, cls, strict=True)
    for bad in ("inr", "RS", "EURO", "INR\n", "€", "ІNR"):  # the last starts with a Cyrillic І
        with pytest.raises(msgspec.ValidationError, match="currency"):
            msgspec.convert({**base, "currency": bad}, cls, strict=True)


def test_a_penalty_is_once_or_per_day_and_ends_after_it_starts():
    cls = DATA_TYPES["penalty_imposed"]
    base = MINIMAL["penalty_imposed"]
    for per in ("once", "day"):
        assert msgspec.convert({**base, "per": per}, cls, strict=True).per == per
    with pytest.raises(msgspec.ValidationError, match="per"):
        msgspec.convert({**base, "per": "week"}, cls, strict=True)
    msgspec.convert({**base, "starts_at": "2024-08-30", "ends_at": "2024-08-30"}, cls,
                    strict=True)
    msgspec.convert({**base, "starts_at": "2024-08-30T10:00:00-03:00",
                     "ends_at": "2024-08-30T13:00:01Z"}, cls, strict=True)
    with pytest.raises(msgspec.ValidationError, match="ends_at"):
        msgspec.convert({**base, "starts_at": "2024-08-30T10:00:00-03:00",
                         "ends_at": "2024-08-30T12:59:59Z"}, cls, strict=True)


def test_the_v2_references_are_those_of_spec_3():
    """A penalty introduces itself and cites orders and a case; payments and lifts cite
    penalties; a suspension may cite an order; a restoration cites nothing."""
    assert REFERENCES["penalty_imposed"].introduces == Ref(("penalty",), "penalty_id")
    assert set(REFERENCES["penalty_imposed"].cites) == {
        Ref(("order",), "order_ids", True), Ref(("case",), "case_id")}
    assert REFERENCES["penalty_paid"].cites == (Ref(("penalty",), "penalty_ids", True),)
    assert REFERENCES["penalty_lifted"].cites == (Ref(("penalty",), "penalty_id"),)
    assert REFERENCES["service_suspended"].cites == (Ref(("order",), "order_id"),)
    assert REFERENCES["service_restored"] == REFERENCES["statement_published"]
    assert set(REFERENCES) == set(DATA_TYPES)
