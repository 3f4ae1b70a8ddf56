"""The JSON Schemas of `docket types --json` (issue 19 item 2): valid Draft 2020-12, titled by
the types, every field described; every recorded event and every example valid; the
bad-input corpus refused wherever a schema can say so (and exactly the rest let through);
every pattern compiled by an ECMA-262 engine (node, `u` mode) and read the same as by
Python's `re`; times as strict as Docket's own parser.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import run
from hypothesis import given, settings
from hypothesis import strategies as st
from input_corpus import CORPUS
from soak import soak
from strategies import LogContext, OPTIONAL, REQUIRED, valid_event

from docket.catalog_examples import EXAMPLES
from docket.times import parse_time

EVENTS = sorted((Path(__file__).resolve().parent.parent / "events").glob("*.jsonl"))
RECORD_KEYS = ("seq", "version", "recorded_at", "schema_version", "prev_hash", "hash")
Validator = jsonschema.Draft202012Validator


@pytest.fixture(scope="module")
def schema() -> dict:
    code, out, err = run("types", "--json")
    assert (code, err) == (0, "")
    return json.loads(out)


@pytest.fixture(scope="module")
def validator(schema):
    return Validator(schema)


@pytest.fixture(scope="module")
def per_type() -> dict:
    out = {}
    for tag in REQUIRED:
        code, text, err = run("types", tag, "--json")
        assert (code, err) == (0, "")
        out[tag] = json.loads(text)
    return out


def test_the_schemas_are_draft_2020_12(schema, per_type):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Validator.check_schema(schema)
    for tag, one in per_type.items():
        assert one["$schema"] == schema["$schema"]
        Validator.check_schema(one)


def _objects(node, where=""):
    """(where, schema) of every object schema with properties, anywhere in `node`."""
    if isinstance(node, dict):
        if "properties" in node:
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{where}/{i}")


def test_titles_are_the_types_and_every_field_is_described(schema, per_type):
    assert schema["title"] == "event"
    for tag in REQUIRED:
        assert schema["$defs"][tag]["title"] == tag == per_type[tag]["title"]
        assert schema["$defs"][f"{tag}.data"]["title"] == f"{tag} data"
        assert "Data" not in json.dumps(per_type[tag]["title"])  # no Python class names
    objects = list(_objects(schema))
    assert len(objects) >= 2 * len(REQUIRED) + 1
    for where, node in objects:
        if where.endswith(("/then", "/anyOf/0", "/anyOf/1")) or "/if" in where:
            continue  # the cross-field rules restate fields, they do not define them
        assert node.get("description"), where
        for name, field in node["properties"].items():
            assert len(field.get("description", "")) > 3, f"{where}/{name}"


def test_every_type_schema_has_the_fields_of_spec_3(schema):
    for tag in REQUIRED:
        data = schema["$defs"][f"{tag}.data"]
        assert set(data["properties"]) == REQUIRED[tag] | OPTIONAL[tag]
        assert set(data.get("required", [])) == REQUIRED[tag]
        assert data["additionalProperties"] is False


def _input(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in RECORD_KEYS}


def test_every_recorded_event_is_valid(validator, per_type):
    assert EVENTS
    count = 0
    for path in EVENTS:
        for text in path.read_text().splitlines():
            event = _input(json.loads(text))
            assert not list(validator.iter_errors(event)), (path.name, event["id"])
            assert not list(Validator(per_type[event["type"]]).iter_errors(event))
            count += 1
    assert count >= 22


def test_every_example_is_valid(validator, per_type):
    for tag, event in EXAMPLES.items():
        assert not list(validator.iter_errors(event)), tag
        assert not list(Validator(per_type[tag]).iter_errors(event)), tag


@settings(max_examples=300, deadline=None)
@given(event=valid_event(context=LogContext()))
def test_every_event_docket_accepts_is_valid(validator, event):
    errors = list(validator.iter_errors(event))
    assert not errors, errors[0].message


def _parsed(value):
    """What a validator sees of a corpus line: Python's json reading, or None when the
    line is not JSON at all (no schema is asked then)."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


# What no schema can refuse: references and ids of other events, a time's UTC range, an end
# before a start, 3.0 (JSON Schema's integer), and what parsing loses or cannot read.
NOT_BY_SCHEMA = {
    "time out of range in UTC", "whole number written as a decimal",
    "penalty that ends before it starts", "key given twice", "data key given twice",
    "key given twice, once escaped", "lone surrogate", "invalid UTF-8",
    "byte-order mark inside a file", "not JSON", "nested too deeply", "unknown order",
    "order issued twice", "penalty citing an unknown case", "penalty citing an unknown order",
    "paying an unknown penalty", "lifting an unknown penalty", "penalty imposed twice",
    "suspension under an unknown order", "retracting an unknown event",
}


def test_the_corpus_is_refused_wherever_a_schema_can(validator):
    refused = set()
    for name, (value, _, _) in CORPUS.items():
        event = _parsed(value)
        if event is not None and list(validator.iter_errors(event)):
            refused.add(name)
    assert set(CORPUS) - refused == NOT_BY_SCHEMA
    assert {n for n, (_, _, by_schema) in CORPUS.items() if not by_schema} == NOT_BY_SCHEMA


# -- patterns: one meaning in ECMA-262 and in Python ---------------------------------------

def _patterns(node) -> set[str]:
    if isinstance(node, dict):
        own = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return own.union(*(_patterns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(v) for v in node))
    return set()


PROBES = [
    "", "\n", "a", "twitter-india-2021", "twitter-india-2021\n", "Twitter", "-x", "a" * 128,
    "a" * 129, "a\u0660b", "INR", "INR\n", "inr", "IN", "\u0660\u0661\u0662", "IÑR",
    "https://example.org/a?b=c", "http://x", "https://x.org/a b", "https://x.org/\n",
    "https://x.org/\x1c", "https://x.org/\x85", "https://x.org/\ufeff", "https://x.org/\u00a0",
    "https://x.org/é", "ftp://x.org", "2021-02-05", "2021-02-05\n", "2021-02-30", "2024-02-29",
    "2023-02-29", "2000-02-29", "1900-02-29", "0000-01-01", "0001-01-01", "9999-12-31",
    "2021-04-31", "2021-13-01", "2021-02-01T14:30:00+05:30", "2021-02-01T14:30:00",
    "2021-02-01t14:30:00z", "2021-02-01T24:00:00Z", "2021-02-01T23:59:60Z",
    "2021-02-01T10:00:00.123456789Z", "2021-02-01T10:00:00.1234567890Z",
    "2021-02-01T10:00:00+24:00", "2021-02-01T10:00:00-00:00", "2021-02-01 10:00:00Z",
    "２０２１-02-01", "2021-02-01T10:00:00Z\n",
]


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node")
    if path is None:
        pytest.skip("node (an ECMA-262 engine) is not installed; .ci/run installs it")
    return path


def _ecma(node: str, patterns: list[str], probes: list[str]) -> list[list[bool]]:
    script = ("const {patterns, probes} = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(patterns.map(p => { const r = new RegExp(p, 'u');"
              " return probes.map(s => r.test(s)); })));")
    done = subprocess.run([node, "-e", script], input=json.dumps(
        {"patterns": patterns, "probes": probes}), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_pattern_compiles_in_ecma_262_and_agrees_with_python(schema, node):
    patterns = sorted(_patterns(schema))
    assert len(patterns) == 4  # time, stream name, currency, URL
    assert not any("\\Z" in p or "\\d" in p or "\\s" in p or "\\S" in p for p in patterns)
    verdicts = _ecma(node, patterns, PROBES)
    for pattern, row in zip(patterns, verdicts):
        for probe, ecma in zip(PROBES, row):
            assert ecma == (re.search(pattern, probe) is not None), (pattern, probe)
    by_use = {name: next(p for p in patterns if key in p) for name, key in
              (("stream", "a-z0-9._-"), ("currency", "[A-Z]{3}"), ("url", "https?"),
               ("time", "02-29"))}
    accepts = {name: {probe for probe, ok in zip(PROBES, verdicts[patterns.index(p)]) if ok}
               for name, p in by_use.items()}
    assert {"twitter-india-2021", "a", "a" * 128} <= accepts["stream"]
    assert not {"twitter-india-2021\n", "a" * 129, "Twitter", "-x", ""} & accepts["stream"]
    assert accepts["currency"] == {"INR"}
    assert not {"https://x.org/\n", "https://x.org/\x85", "https://x.org/\ufeff",
                "ftp://x.org"} & accepts["url"]
    assert "https://x.org/é" in accepts["url"]


def test_the_time_pattern_accepts_what_docket_accepts():
    """Every probe and many generated times: the pattern and parse_time agree, except that
    an offset can carry a valid-looking time outside years 1-9999 in UTC."""
    from docket.catalog_schema import TIME_PATTERN

    def docket_accepts(value):
        try:
            parse_time(value)
            return True
        except ValueError:
            return False

    for probe in PROBES:
        assert docket_accepts(probe) == (re.search(TIME_PATTERN, probe) is not None), probe

    # 500 generated times in make test (6 s at 2000), 5000 under make soak.
    @settings(max_examples=soak(500, 5000), deadline=None)
    @given(st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
                         r"(\.[0-9]{1,10})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?", fullmatch=True))
    def agree(value):
        schema_ok = re.search(TIME_PATTERN, value) is not None
        if value[:4] in ("0001", "9999") and len(value) > 10:
            assert docket_accepts(value) <= schema_ok  # Docket stays at least as strict
        else:
            assert docket_accepts(value) == schema_ok, value

    agree()
