"""`docket types TYPE` (issue 19 item 1): every field with its type in plain words, allowed
values, format, whether it is required, a meaning and a complete example — valid: each
example is appended to a fresh log after the examples it refers to."""

from __future__ import annotations

import json
import re

import msgspec
import pytest
from conftest import export_of, invoke, run
from strategies import OPTIONAL, REQUIRED, to_jsonl
from types_text import parse

from docket.catalog import DATA_TYPES, Source
from docket.catalog_fields import source_fields, struct_fields

TIME = ("time: YYYY-MM-DD, or RFC 3339 with an offset, e.g. 2021-02-01T14:30:00+05:30 or "
        "2021-02-01T09:00:00Z")
# SPEC §3 by hand: the enumerations, the times, the countries and the currencies.
ENUMS = {
    ("order_issued", "procedure"): "emergency, regular, court, other",
    ("accounts_blocked", "basis"): "legal_order, platform_rules",
    ("notice_sent", "kind"): "non_compliance, show_cause, final, other",
    ("statement_published", "channel"): "press, blog, parliament, social, other",
    ("penalty_imposed", "per"): "once, day",
}
TIMES = {("order_issued", "deadline"), ("notice_sent", "deadline"),
         ("event_corrected", "occurred_at"), ("penalty_imposed", "starts_at"),
         ("penalty_imposed", "ends_at")}
SCOPES = {("order_issued", "scope"), ("accounts_blocked", "scope")}
COUNTRIES = {("service_suspended", "scope"), ("service_restored", "scope")}
CURRENCIES = {("ruling_issued", "currency"), ("penalty_imposed", "currency"),
              ("penalty_paid", "currency")}
# Which data field of which type introduces an entity, and which cite one (SPEC §3).
INTRODUCES = {"order_issued": "order_id", "notice_sent": "notice_id",
              "challenge_filed": "case_id", "penalty_imposed": "penalty_id"}
CITES = ("order_id", "order_ids", "ref_id", "case_id", "penalty_id", "penalty_ids",
         "target_id")


@pytest.fixture(scope="module")
def helps() -> dict:
    out = {}
    for tag in REQUIRED:
        code, text, err = invoke("types", tag)
        assert (code, err) == (0, ""), tag
        out[tag] = parse(text)
    code, text, err = run("types", "order_issued")  # the installed command prints the same
    assert (code, err) == (0, "") and parse(text) == out["order_issued"]
    return out


@pytest.mark.parametrize("tag", list(REQUIRED))
def test_every_data_field_is_shown_required_or_optional(helps, tag):
    fields = helps[tag].fields["data"]
    assert {n for n, f in fields.items() if f.required} == REQUIRED[tag]
    assert {n for n, f in fields.items() if not f.required} == OPTIONAL[tag]
    assert all(len(f.meaning) > 5 and len(f.words) > 3 for f in fields.values())
    assert helps[tag].meaning.endswith(".")
    event = helps[tag].fields["event"]
    assert list(event) == ["type", "stream", "occurred_at", "actor", "data", "sources",
                           "confidence", "id", "expected_version"]
    assert event["occurred_at"].words == TIME and event["type"].words == tag
    assert event["confidence"].words == "one of: confirmed, reported, single_source, disputed"
    assert event["confidence"].absent == "reported"
    assert event["stream"].required and "--stream" in event["stream"].meaning
    assert list(helps[tag].fields["source"]) == ["title", "url", "published", "quote"]
    assert helps[tag].fields["source"]["published"].words == TIME


def test_allowed_values_formats_and_defaults_are_shown(helps):
    for (tag, name), values in ENUMS.items():
        assert helps[tag].fields["data"][name].words == f"one of: {values}"
    for tag, name in TIMES:
        assert helps[tag].fields["data"][name].words == TIME
    for tag, name in SCOPES:
        assert helps[tag].fields["data"][name].words == (
            "global or a country code: ISO 3166 alpha-2: 2 capital letters, e.g. IN, BR, AU")
    for tag, name in COUNTRIES:
        assert helps[tag].fields["data"][name].words == (
            "country code: ISO 3166 alpha-2: 2 capital letters, e.g. IN, BR, AU")
    for tag, name in CURRENCIES:
        assert helps[tag].fields["data"][name].words == (
            "currency code: 3 capital letters, ISO 4217, e.g. INR, BRL, AUD")
    assert helps["compliance_reported"].fields["data"]["actioned"].words == (
        "whole number from 0 to 9007199254740991")
    assert helps["accounts_blocked"].fields["data"]["all_targets"].words == "true or false"
    assert helps["meeting_held"].fields["data"]["participants"].words == (
        "list of texts, each 1 to 10000 characters (at least 1)")
    assert helps["accounts_blocked"].fields["data"]["scope"].absent == "global"
    assert helps["accounts_blocked"].fields["data"]["basis"].absent == "legal_order"
    assert helps["penalty_imposed"].fields["data"]["per"].absent == "once"
    assert helps["order_issued"].fields["data"]["target_count"].absent == (
        "the number of targets named")


def test_no_python_type_names_or_regex_in_the_help():
    for tag in REQUIRED:
        text = invoke("types", tag)[1]
        words = re.findall(r"\b(str|int|None|null|bool|dict|list\[|Struct|\w+Data|Annotated|"
                           r"Literal)\b", text)
        assert not words, (tag, words)
        for fragment in ("\\Z", "[a-z", "{0,", "(?!", "^["):
            assert fragment not in text, (tag, fragment)


def _ids_cited(event: dict) -> set[str]:
    data = event["data"]
    out = set()
    for key in CITES:
        if key == INTRODUCES.get(event["type"]):
            continue
        value = data.get(key)
        out |= set(value) if isinstance(value, list) else {value} if value else set()
    return out


def _introduced(event: dict) -> set[str]:
    field = INTRODUCES.get(event["type"])
    return {event["id"]} | ({event["data"][field]} if field else set())


def _with_what_it_needs(tag: str, examples: dict) -> list[dict]:
    """The examples `tag`'s example refers to (and theirs), then it: an append order."""
    out: list[dict] = []

    def add(event):
        for ident in _ids_cited(event):
            (source,) = [e for e in examples.values() if ident in _introduced(e)]
            if source not in out:
                add(source)
        if event not in out:
            out.append(event)

    add(examples[tag])
    return out


@pytest.mark.parametrize("tag", list(REQUIRED))
def test_each_example_appends_to_a_fresh_log_after_what_it_refers_to(helps, tag, tmp_path):
    examples = {t: h.example for t, h in helps.items()}
    assert examples[tag]["type"] == tag and examples[tag]["sources"]
    batch = _with_what_it_needs(tag, examples)
    assert batch[-1] == examples[tag]
    (tmp_path / "batch.jsonl").write_bytes(to_jsonl(batch))
    code, out, err = invoke("append", "--db", tmp_path / "docket.db", tmp_path / "batch.jsonl")
    assert (code, err) == (0, ""), err
    receipts = [json.loads(r) for r in out.splitlines()]
    assert len(receipts) == len(batch) and not any(r["duplicate"] for r in receipts)
    stored = json.loads(export_of(tmp_path / "docket.db").splitlines()[-1])
    assert stored["data"] == examples[tag]["data"] and stored["type"] == tag


def test_the_option_form_of_an_example_appends_the_same_event(helps, tmp_path):
    import shlex

    for tag in ("order_issued", "statement_published"):
        db = tmp_path / f"{tag}.db"
        args = shlex.split(helps[tag].command)
        assert args[:2] == ["docket", "append"]
        code, out, err = run(*args[1:], "--db", db)
        assert (code, err) == (0, ""), err
        record = json.loads(export_of(db))
        example = helps[tag].example
        assert {k: record[k] for k in example} == example


def test_every_time_scope_and_country_field_is_checked_as_the_help_says():
    """The words come from the kind a field is marked with; each such field refuses what its
    words exclude (the marks and the Structs' checks cannot drift apart)."""
    checked = 0
    for cls in [*DATA_TYPES.values()]:
        for spec in struct_fields(cls):
            base = {f.name: _some(f) for f in struct_fields(cls) if f.required}
            bad = {"time": "2021-02-30", "scope": "XX", "country": "global",
                   "currency": "usd"}.get(spec.kind)
            if bad is None:
                continue
            with pytest.raises(msgspec.ValidationError, match=spec.name):
                msgspec.convert({**base, spec.name: bad}, cls, strict=True)
            checked += 1
    assert checked == len(TIMES) + len(SCOPES) + len(COUNTRIES) + len(CURRENCIES)
    assert [s.name for s in source_fields() if s.kind == "time"] == ["published"]
    with pytest.raises(msgspec.ValidationError, match="published"):
        msgspec.convert({"title": "t", "published": "2021-02-30"}, Source, strict=True)


def _some(spec):
    """A valid value for a required field."""
    return {"count": 1, "money": 1, "enum": spec.values[0] if spec.values else "x",
            "list": ["x"], "country": "BR", "scope": "global", "currency": "BRL",
            "time": "2021-02-01", "bool": True}.get(spec.kind, "x")
