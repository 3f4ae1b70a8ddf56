"""Input decoding and canonical bytes (`docket.codec`), and the two times (`docket.times`):
SPEC §2 (input), §4 (a day as a time), §7 (canonical JSON)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from input_corpus import CORPUS, line
from strategies import canonical_json, day, rfc3339_time, valid_event

from docket import codec
from docket.catalog import EVENT_TYPES, Event
from docket.codec import (
    RECORD_KEYS,
    canonical,
    content_of,
    decode_event,
    decode_record,
    event_from_dict,
    iter_lines,
    normalize_data,
)
from docket.errors import InvalidEvent
from docket.times import (
    format_utc,
    is_day,
    parse_time,
    stored_upper_bound,
    time_key,
    upper_bound,
)

US = 1_000_000
DAY_US = 86_400 * US

# -- canonical bytes (SPEC §7, RFC 8785 on a float-free subset) ------------------------------


def test_canonical_sorts_keys_drops_whitespace_and_escapes_like_rfc8785():
    obj = {"b": [3, {"z": None, "a": True}], "a": "é😀\u2028\x7f",
           "c": "\"\\/\b\f\n\r\t\x00\x1f"}
    want = ('{"a":"é😀\u2028\x7f","b":[3,{"a":true,"z":null}],'
            '"c":"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f"}').encode("utf-8")
    assert canonical(obj) == want
    assert canonical({"n": -(2**53 - 1), "m": 0}) == b'{"m":0,"n":-9007199254740991}'
    assert canonical([]) == b"[]" and canonical({}) == b"{}"


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(codec="ascii"), max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_canonical_equals_an_independent_rfc8785_encoder(obj):
    assert canonical(obj) == canonical_json(obj)
    assert json.loads(canonical(obj)) == obj


# -- decoding events -------------------------------------------------------------------------

def test_decode_event_returns_the_struct_of_its_type():
    e = decode_event(b'{"type": "dialogue_requested", "stream": "s", '
                     b'"occurred_at": "2021-02-08", "data": {"by": "T", "addressee": "M"}}')
    assert isinstance(e, EVENT_TYPES["dialogue_requested"]) and isinstance(e, Event)
    assert (e.stream, e.occurred_at, e.data.by, e.data.addressee) == ("s", "2021-02-08", "T", "M")
    assert (e.confidence, e.id, e.actor, e.sources, e.expected_version) == (
        "reported", None, None, [], None)
    with pytest.raises(AttributeError):
        e.stream = "other"  # frozen


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_event())
def test_every_valid_event_decodes_and_keeps_its_content(event):
    e = decode_event(json.dumps(event).encode())
    assert type(e).__struct_config__.tag == event["type"]
    content = content_of(e, event["stream"], event.get("id", "generated"))
    assert content == {
        "type": event["type"], "stream": event["stream"], "occurred_at": event["occurred_at"],
        "actor": event.get("actor"), "data": event["data"],
        "sources": event.get("sources", []), "confidence": event.get("confidence", "reported"),
        "id": event.get("id", "generated")}
    assert event_from_dict(event) == e


def test_decode_errors_name_line_event_and_field():
    with pytest.raises(InvalidEvent) as err:
        decode_event(b'{"type": "accounts_blocked", "id": "b-7", "stream": "s", '
                     b'"occurred_at": "2021-02-08", "data": {"count": -2}}', line=12)
    message = str(err.value)
    assert message.startswith("line 12: ")
    assert "'b-7'" in message and "accounts_blocked" in message and "data.count" in message
    with pytest.raises(InvalidEvent) as err:
        decode_event(b"{not json", line=3)
    assert str(err.value).startswith("line 3: ") and "JSON" in str(err.value)
    with pytest.raises(InvalidEvent) as err:  # without a line: no line prefix
        decode_event(b'{"type": "meeting_held", "stream": "s", "occurred_at": "2021-02-08", '
                     b'"data": {"participants": "everyone"}}')
    assert "line" not in str(err.value) and "participants" in str(err.value)


def test_event_from_dict_is_as_strict_as_the_json_decoder():
    base = {"type": "accounts_blocked", "stream": "s", "occurred_at": "2021-02-08"}
    for count in (1.0, True, False, 2**53, -1):
        with pytest.raises(InvalidEvent):
            event_from_dict({**base, "data": {"count": count}})
    assert event_from_dict({**base, "data": {"count": 0}}).data.count == 0
    for not_a_dict in ([base], "event", None, 3):
        with pytest.raises(InvalidEvent) as err:
            event_from_dict(not_a_dict, line=5)
        assert str(err.value).startswith("line 5: ")
    with pytest.raises(InvalidEvent):
        event_from_dict({**base, "data": {"targets": [object()]}})
    decoded = event_from_dict({**base, "data": {}})
    assert event_from_dict(decoded) is decoded  # an Event passes through


def test_normalize_data_validates_for_a_type_and_omits_defaults():
    assert normalize_data("accounts_blocked", {"order_id": "O-1", "count": 3, "scope": None,
                                               "targets": None}) == {"order_id": "O-1",
                                                                     "count": 3}
    with pytest.raises(InvalidEvent) as err:
        normalize_data("accounts_blocked", {"count": "3"}, where="line 2: ")
    assert str(err.value).startswith("line 2: ") and "count" in str(err.value)
    with pytest.raises(InvalidEvent):
        normalize_data("order_issued", {"order_id": "O-1", "issuer": "M"})  # platform missing
    with pytest.raises(InvalidEvent):
        normalize_data("dialogue_requested", {"by": "T", "addressee": "M", "x": 1})


def test_decode_record_splits_record_fields_and_checks_them():
    record = {"type": "dialogue_requested", "stream": "s", "occurred_at": "2021-02-08",
              "actor": None, "data": {"by": "T", "addressee": "M"}, "sources": [],
              "confidence": "reported", "id": "d1", "seq": 1, "version": 1,
              "recorded_at": "2021-02-08T00:00:00.000000Z", "schema_version": 1,
              "prev_hash": "0" * 64, "hash": "1" * 64}
    event, meta = decode_record(json.dumps(record).encode(), line=1)
    assert set(meta) == set(RECORD_KEYS)
    assert meta["seq"] == 1 and meta["hash"] == "1" * 64
    assert event.id == "d1" and event.data.by == "T"
    for key in RECORD_KEYS:
        with pytest.raises(InvalidEvent) as err:
            decode_record(json.dumps({k: v for k, v in record.items() if k != key}).encode(),
                          line=4)
        assert key in str(err.value) and "line 4" in str(err.value)
    with pytest.raises(InvalidEvent) as err:
        decode_record(json.dumps({**record, "schema_version": 2}).encode())
    assert "schema_version" in str(err.value)
    with pytest.raises(InvalidEvent):
        decode_record(json.dumps({**record, "extra": 1}).encode())


def test_iter_lines_counts_physical_lines_and_skips_blank_ones():
    data = [b'{"a": 1}\n', b"\n", b"   \t\n", b'{"b": 2}\r\n', b'{"c": 3}']
    assert list(iter_lines(data)) == [(1, b'{"a": 1}\n'), (4, b'{"b": 2}\r\n'),
                                      (5, b'{"c": 3}')]
    assert list(iter_lines([])) == []


def test_crlf_lines_decode():
    e = decode_event(b'{"type": "dialogue_requested", "stream": "s", '
                     b'"occurred_at": "2021-02-08", "data": {"by": "T", "addressee": "M"}}\r\n')
    assert e.data.by == "T"


# -- times (SPEC §2, §4) ---------------------------------------------------------------------

def test_parse_time_of_days_and_offsets():
    assert parse_time("1970-01-01") == 0
    assert parse_time("1970-01-02") == DAY_US
    assert parse_time("1969-12-31") == -DAY_US
    # 2021-02-01 is day 18659 after the epoch: 51 years with 13 leap days, plus 31 days
    assert parse_time("2021-02-01") == (51 * 365 + 13 + 31) * DAY_US
    t = (51 * 365 + 13 + 31) * DAY_US + 9 * 3600 * US  # 2021-02-01 09:00 UTC
    assert parse_time("2021-02-01T09:00:00Z") == t
    assert parse_time("2021-02-01T14:30:00+05:30") == t
    assert parse_time("2021-02-01T04:00:00-05:00") == t
    assert parse_time("2021-02-01t09:00:00z") == t
    assert parse_time("2021-02-01T09:00:00.5Z") == t + US // 2
    assert parse_time("2021-02-01T09:00:00.000001Z") == t + 1
    assert parse_time("2021-02-01T09:00:00.123456789Z") == t + 123456  # below µs: cut
    assert parse_time("2020-02-29") == parse_time("2020-03-01") - DAY_US  # a leap day


@pytest.mark.parametrize("value", [
    "2021-02-30", "2021-02-29", "2021-13-01", "2021-00-01", "2021-04-31", "0000-01-01",
    "2021-02-01T14:30:00", "2021-02-01T14:30", "2021-02-01 14:30:00", "2021-02-01T24:00:00Z",
    "2021-02-01T23:60:00Z", "2021-02-01T23:59:60Z", "2021-02-01T10:00:00+24:00",
    "2021-02-01T10:00:00+05:60", "2021-02-01T10:00:00+0530", "2021-2-1", "21-02-01", "",
    "2021-02-01Z", "2021-02-01T10:00:00.Z", "yesterday", " 2021-02-01", "2021-02-01\n",
    "2021-02-01T10:00:00Z\n",
])
def test_parse_time_refuses(value):
    with pytest.raises(ValueError):
        parse_time(value)


@pytest.mark.parametrize("value", [20210201, None, 1.5, True, ["2021-02-01"]])
def test_parse_time_refuses_non_strings(value):
    with pytest.raises(ValueError):
        parse_time(value)


@settings(max_examples=200, deadline=None)
@given(rfc3339_time())
def test_parse_time_agrees_with_datetime(value):
    text = value.upper().replace("Z", "+00:00")
    main, _, offset = text[:-6], None, text[-6:]
    if "." in main:
        head, frac = main.split(".")
        main = head + "." + (frac + "000000")[:6]
    dt = datetime.fromisoformat(main + offset)
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert parse_time(value) == (dt - epoch) // timedelta(microseconds=1)


@settings(deadline=None)
@given(day())
def test_a_day_is_midnight_utc_and_an_upper_bound_covers_it(value):
    d = date.fromisoformat(value)
    midnight = (d - date(1970, 1, 1)).days * DAY_US
    assert is_day(value)
    assert parse_time(value) == midnight
    assert upper_bound(value) == midnight + DAY_US - 1
    assert not is_day(value + "T00:00:00Z")
    assert upper_bound(value + "T00:00:00Z") == midnight


@settings(max_examples=300, deadline=None)
@given(rfc3339_time() | day())
def test_stored_times_keep_their_key_and_upper_bound_through_the_fast_path(value):
    # The views read stored times through time_key/stored_upper_bound (no validating
    # regex); they must give what the validating parse gives for every valid spelling.
    assert time_key(value) == parse_time(value)
    assert stored_upper_bound(value) == upper_bound(value)


def _decoded_both_ways(monkeypatch, raw):
    """decode_event of `raw` by the line's own type's decoder (a process's first events) and
    by the decoder of every type: (event or error message) each way."""
    out = []
    for alone in (1, 0):
        monkeypatch.setattr(codec, "_decoder", None)
        monkeypatch.setattr(codec, "_FIRST_ALONE", [alone])
        try:
            out.append(decode_event(raw, line=2))
        except InvalidEvent as exc:
            out.append(str(exc))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(valid_event())
def test_an_event_decodes_alike_by_its_own_type_and_by_every_type(monkeypatch, event):
    one, union = _decoded_both_ways(monkeypatch, json.dumps(event).encode())
    assert not isinstance(one, str) and one == union


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_bad_line_gets_the_same_words_either_way(monkeypatch, name):
    # The first events of a process skip the decoder of every type (~11 ms to build); what
    # is wrong with a line must not depend on that.
    one, union = _decoded_both_ways(monkeypatch, line(CORPUS[name][0]))
    assert one == union


def test_format_utc():
    assert format_utc(0) == "1970-01-01T00:00:00.000000Z"
    assert format_utc(parse_time("2021-02-01T14:30:00.25+05:30")) == (
        "2021-02-01T09:00:00.250000Z")
    assert format_utc(1) == "1970-01-01T00:00:00.000001Z"


@given(st.integers(min_value=parse_time("0001-01-01"),
                   max_value=parse_time("9999-12-31T23:59:59.999998Z")))
def test_format_utc_is_a_time_that_parses_back_and_sorts_as_text(micros):
    """Every instant, years before 1000 included (glibc's %Y writes the year 3 as "3")."""
    text = format_utc(micros)
    assert len(text) == 27 and parse_time(text) == micros
    assert text < format_utc(micros + 1)


@pytest.mark.parametrize("value,words,suggested", [
    ("2021-02-08T10:00", "has no seconds and no offset", "2021-02-08T10:00:00Z"),
    ("2021-02-08 10:00", "has no seconds and no offset", "2021-02-08T10:00:00Z"),
    ("2021-02-08T10:00Z", "has no seconds", "2021-02-08T10:00:00Z"),
    ("2021-02-08T10:00+05:30", "has no seconds", "2021-02-08T10:00:00+05:30"),
])
def test_a_time_without_seconds_says_so_and_how_to_write_it(value, words, suggested):
    """An analyst's review: `2021-02-08T10:00` was told to add an offset, and then
    `2021-02-08T10:00Z` only that it was no RFC 3339 time. Now each says the seconds are
    missing (and the offset, when it is) and spells a time that parses."""
    with pytest.raises(ValueError) as caught:
        parse_time(value)
    message = str(caught.value)
    assert message.startswith(f"time {value!r} {words} (RFC 3339 writes HH:MM:SS, as in "
                              f"'{suggested}'"), message
    assert ("no offset" in message) == (value[-6] not in "+-" and not value.endswith("Z"))
    assert parse_time(suggested) is not None
