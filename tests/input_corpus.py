"""The bad-input corpus: one line per kind of mistake a writer makes, with the exact message
Docket must give (in the user's words) and whether a JSON Schema can refuse the line too.

Each bad line is line 2 of a three-line batch appended to a log holding SEED (so references
resolve or not as the case needs): the whole batch must be refused with that one message.
Used by test_input_errors (the messages) and test_json_schema (what a schema refuses).
"""

from __future__ import annotations

import json

STREAM = "dispute-1"
TYPES = ("order_issued, accounts_blocked, accounts_unblocked, notice_sent, "
         "acknowledgement_sent, dialogue_requested, meeting_held, statement_published, "
         "compliance_reported, challenge_filed, ruling_issued, event_retracted, "
         "event_corrected, penalty_imposed, penalty_paid, penalty_lifted, service_suspended, "
         "service_restored")
EVENT_FIELDS = "type, stream, occurred_at, actor, data, sources, confidence, id, expected_version"
ORDER_FIELDS = ("order_id, issuer, platform, targets, target_count, legal_basis, procedure, "
                "grounds, deadline, scope")
TIME = ("YYYY-MM-DD, or RFC 3339 with an offset, e.g. 2021-02-01T14:30:00+05:30 or "
        "2021-02-01T09:00:00Z")
WHOLE = "a whole number from 0 to 9007199254740991"
COUNTRY = "ISO 3166 alpha-2: 2 capital letters, e.g. IN, BR, AU"


def ev(kind: str, payload, **top) -> dict:
    """An event of STREAM with id 'bad' (a top-level key set to None is left out)."""
    event = {"type": kind, "stream": STREAM, "occurred_at": "2021-02-05", "id": "bad",
             "data": payload}
    for key, value in top.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


SEED = [
    ev("order_issued", {"order_id": "O-1", "issuer": "MeitY", "platform": "Twitter",
                        "targets": ["@a", "@b"]}, id="seed-order", occurred_at="2021-02-01"),
    ev("notice_sent", {"notice_id": "N-1", "kind": "final", "issuer": "MeitY",
                       "recipient": "Twitter", "order_ids": ["O-1"]}, id="seed-notice"),
    ev("challenge_filed", {"case_id": "C-1", "court": "HC", "petitioner": "Twitter"},
       id="seed-case"),
    ev("penalty_imposed", {"penalty_id": "P-1", "issuer": "HC", "against": "Twitter",
                           "amount": 5000000, "currency": "INR", "case_id": "C-1"},
       id="seed-penalty"),
    ev("accounts_blocked", {"order_id": "O-1", "targets": ["@a"]}, id="seed-block"),
]
BEFORE = ev("dialogue_requested", {"by": "Twitter", "addressee": "MeitY"}, id="good-1")
AFTER = ev("accounts_blocked", {"order_id": "O-1", "count": 1}, id="good-2")

ORDER = {"order_id": "O-2", "issuer": "MeitY", "platform": "Twitter"}
BLOCK = "accounts_blocked"
PENALTY = {"penalty_id": "P-2", "issuer": "HC", "against": "X", "amount": 1, "currency": "INR"}


def line(value) -> bytes:
    """A corpus entry as the bytes of one JSONL line."""
    return value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False).encode()


def batch(bad) -> bytes:
    """The three-line batch whose line 2 is `bad`."""
    return b"\n".join([line(BEFORE), line(bad), line(AFTER)]) + b"\n"


L = "line 2: event 'bad'"
# name -> (the bad line, the exact message after "Error: ", a JSON Schema refuses it too)
CORPUS: dict[str, tuple[object, str, bool]] = {
    "unknown type": (
        ev("order_issue", ORDER),
        f"{L} (order_issue): field `type`: 'order_issue' is not an event type; did you mean "
        f"order_issued? (the types: {TYPES})", True),
    "missing type": (
        ev("order_issued", ORDER, type=None),
        f"{L}: field `type`: missing (required: the kind of development)", True),
    "unknown top-level key": (
        {**ev("statement_published", {"speaker": "S", "summary": "x"}), "ocurred_at": "2021"},
        f"{L} (statement_published): field `ocurred_at`: not a field of an event; did you "
        f"mean occurred_at? (its fields: {EVENT_FIELDS})", True),
    "unknown data key": (
        ev("order_issued", {**ORDER, "target_cnt": 3}),
        f"{L} (order_issued): field `data.target_cnt`: not a field of order_issued data; did "
        f"you mean target_count? (its fields: {ORDER_FIELDS})", True),
    "missing required data field": (
        ev("order_issued", {"order_id": "O-2", "issuer": "MeitY"}),
        f"{L} (order_issued): field `data.platform`: missing (required: the platform ordered "
        "to act)", True),
    "missing occurred_at": (
        ev("order_issued", ORDER, occurred_at=None),
        f"{L} (order_issued): field `occurred_at`: missing (required: when it happened in the "
        "world)", True),
    "missing data": (
        ev("order_issued", ORDER, data=None),
        f"{L} (order_issued): field `data`: missing (required: what happened: order_issued "
        "data)", True),
    "data not an object": (
        ev("order_issued", ["O-2"]),
        f"{L} (order_issued): field `data`: expected an object (order_id, issuer, platform, "
        "targets?, target_count?, legal_basis?, procedure?, grounds?, deadline?, scope?), got "
        "a list", True),
    "value not among the allowed": (
        ev("order_issued", {**ORDER, "procedure": "urgent"}),
        f"{L} (order_issued): field `data.procedure`: 'urgent' is not one of emergency, "
        "regular, court, other", True),
    "confidence not among the allowed": (
        ev("order_issued", ORDER, confidence="certain"),
        f"{L} (order_issued): field `confidence`: 'certain' is not one of confirmed, reported, "
        "single_source, disputed", True),
    "time without an offset": (
        ev("order_issued", ORDER, occurred_at="2021-02-01T14:30:00"),
        f"{L} (order_issued): field `occurred_at`: time '2021-02-01T14:30:00' has no offset "
        "(add Z or +HH:MM)", True),
    "impossible date": (
        ev("order_issued", ORDER, occurred_at="2021-02-29"),
        f"{L} (order_issued): field `occurred_at`: impossible date '2021-02-29' (day is out "
        "of range for month)", True),
    "impossible second": (
        ev("order_issued", {**ORDER, "deadline": "2021-02-10T10:00:60Z"}),
        f"{L} (order_issued): field `data.deadline`: impossible time "
        "'2021-02-10T10:00:60Z' (second must be in 0..59)", True),
    "time in another format": (
        ev("order_issued", ORDER, occurred_at="01/02/2021"),
        f"{L} (order_issued): field `occurred_at`: '01/02/2021' is not YYYY-MM-DD or an RFC "
        "3339 time with offset", True),
    "time that is a number": (
        ev("order_issued", ORDER, occurred_at=20210201),
        f"{L} (order_issued): field `occurred_at`: expected a time ({TIME}), got the whole "
        "number 20210201", True),
    "time out of range in UTC": (
        ev("order_issued", ORDER, occurred_at="0001-01-01T00:30:00+01:00"),
        f"{L} (order_issued): field `occurred_at`: impossible time "
        "'0001-01-01T00:30:00+01:00' (out of range: it must fall between 0001-01-01 and "
        "9999-12-31 in UTC)", False),
    "negative number": (
        ev(BLOCK, {"order_id": "O-1", "count": -1}),
        f"{L} (accounts_blocked): field `data.count`: -1 is below 0; expected {WHOLE}", True),
    "number as text": (
        ev(BLOCK, {"order_id": "O-1", "count": "3"}),
        f"{L} (accounts_blocked): field `data.count`: expected {WHOLE}, got the text '3'",
        True),
    "number with a fraction": (
        ev(BLOCK, {"order_id": "O-1", "count": 2.5}),
        f"{L} (accounts_blocked): field `data.count`: expected {WHOLE}, got the number 2.5",
        True),
    "whole number written as a decimal": (
        ev(BLOCK, {"order_id": "O-1", "count": 3.0}),
        f"{L} (accounts_blocked): field `data.count`: expected {WHOLE}, got the number 3.0",
        False),
    "true where a number belongs": (
        ev(BLOCK, {"order_id": "O-1", "count": True}),
        f"{L} (accounts_blocked): field `data.count`: expected {WHOLE}, got true", True),
    "number beyond 2^53 - 1": (
        ev("order_issued", {**ORDER, "target_count": 2**53}),
        f"{L} (order_issued): field `data.target_count`: 9007199254740992 is above "
        f"9007199254740991; expected {WHOLE}", True),
    "number beyond any JSON reader": (
        line(ev(BLOCK, {"order_id": "O-1", "count": 1})).replace(b'"count": 1', b'"count": 1e400'),
        f"{L} (accounts_blocked): field `data.count`: 1e400 is beyond the numbers a JSON "
        f"reader can hold; expected {WHOLE}", True),
    "empty text": (
        ev("order_issued", {**ORDER, "issuer": ""}),
        f"{L} (order_issued): field `data.issuer`: empty; give text (1 to 10000 characters)",
        True),
    "text too long": (
        ev("order_issued", {**ORDER, "legal_basis": "x" * 10_001}),
        f"{L} (order_issued): field `data.legal_basis`: too long: 10001 characters (at most "
        "10000)", True),
    "id too long": (
        ev("order_issued", ORDER, id="x" * 129),
        f"line 2: event '{'x' * 129}' (order_issued): field `id`: too long: 129 characters "
        "(at most 128)", True),
    "id that is a number": (
        ev("order_issued", ORDER, id=7),
        "line 2: event (order_issued): field `id`: expected an identifier (1 to 128 "
        "characters), got the whole number 7", True),
    "text where a list belongs": (
        ev("order_issued", {**ORDER, "targets": "@a, @b"}),
        f"{L} (order_issued): field `data.targets`: expected a list of targets, each 1 to "
        "2048 characters: @handle, #tag, a http(s):// URL, or an opaque id, got the text "
        "'@a, @b'", True),
    "empty list where one is needed": (
        ev("meeting_held", {"participants": []}),
        f"{L} (meeting_held): field `data.participants`: an empty list; give at least 1",
        True),
    "number in a list of texts": (
        ev("order_issued", {**ORDER, "grounds": ["incitement", 7]}),
        f"{L} (order_issued): field `data.grounds[1]`: expected text (1 to 10000 "
        "characters), got the whole number 7", True),
    "bad stream name": (
        ev("order_issued", ORDER, stream="Twitter India"),
        f"{L} (order_issued): field `stream`: 'Twitter India' is not a stream name "
        "(lowercase letters, digits, '.', '_' and '-', starting with a letter or a digit, at "
        "most 128 characters)", True),
    "stream name with a trailing newline": (
        ev("order_issued", ORDER, stream=STREAM + "\n"),
        f"{L} (order_issued): field `stream`: 'dispute-1\\n' is not a stream name (lowercase "
        "letters, digits, '.', '_' and '-', starting with a letter or a digit, at most 128 "
        "characters)", True),
    "url that is not http": (
        ev("order_issued", ORDER, sources=[{"title": "t", "url": "ftp://example.org/x"}]),
        f"{L} (order_issued): field `sources[0].url`: 'ftp://example.org/x' is not a URL "
        "(http:// or https://, without spaces)", True),
    "url with a space": (
        ev("order_issued", ORDER, sources=[{"title": "t", "url": "https://example.org/a b"}]),
        f"{L} (order_issued): field `sources[0].url`: 'https://example.org/a b' is not a URL "
        "(http:// or https://, without spaces)", True),
    "source without a title": (
        ev("order_issued", ORDER, sources=[{"url": "https://example.org/x"}]),
        f"{L} (order_issued): field `sources[0].title`: missing (required: the outlet and "
        "the title, e.g. 'Reuters: India orders Twitter to block accounts')", True),
    "source with a misspelt key": (
        ev("order_issued", ORDER, sources=[{"titel": "t"}]),
        f"{L} (order_issued): field `sources[0].titel`: not a field of a source; did you "
        "mean title? (its fields: title, url, published, quote)", True),
    "scope that is no country": (
        ev(BLOCK, {"order_id": "O-1", "targets": ["@b"], "scope": "XX"}),
        f"{L} (accounts_blocked): field `data.scope`: 'XX' is not global or an ISO 3166 "
        "alpha-2 country code (2 capital letters, e.g. IN, BR, AU)", True),
    "country in lowercase": (
        ev("order_issued", {**ORDER, "scope": "in"}),
        f"{L} (order_issued): field `data.scope`: 'in' is not global or an ISO 3166 alpha-2 "
        "country code (2 capital letters, e.g. IN, BR, AU)", True),
    "a suspension everywhere": (
        ev("service_suspended", {"platform": "X", "scope": "global", "ordered_by": "STF"}),
        f"{L} (service_suspended): field `data.scope`: 'global' is not an ISO 3166 alpha-2 "
        "country code (2 capital letters, e.g. IN, BR, AU)", True),
    "currency in lowercase": (
        ev("penalty_imposed", {**PENALTY, "currency": "inr"}),
        f"{L} (penalty_imposed): field `data.currency`: 'inr' is not a currency code (3 "
        "capital letters, ISO 4217, e.g. INR, BRL, AUD)", True),
    "currency symbol": (
        ev("ruling_issued", {"case_id": "C-1", "court": "HC", "outcome": "x", "costs": 5,
                             "currency": "₹"}),
        f"{L} (ruling_issued): field `data.currency`: '₹' is not a currency code (3 capital "
        "letters, ISO 4217, e.g. INR, BRL, AUD)", True),
    "penalty per week": (
        ev("penalty_imposed", {**PENALTY, "per": "week"}),
        f"{L} (penalty_imposed): field `data.per`: 'week' is not one of once, day", True),
    "penalty that ends before it starts": (
        ev("penalty_imposed", {**PENALTY, "starts_at": "2024-08-30", "ends_at": "2024-08-29"}),
        f"{L} (penalty_imposed): field `data.ends_at`: '2024-08-29' is before starts_at "
        "'2024-08-30'", False),
    "a target an order names twice": (
        ev("order_issued", {**ORDER, "targets": ["@a", "@b", "@a"]}),
        f"{L} (order_issued): field `data.targets[2]`: '@a' is named twice (an order names "
        "each target once)", True),
    "all targets of no order": (
        ev(BLOCK, {"all_targets": True}),
        f"{L} (accounts_blocked): field `data.all_targets` needs an `order_id`", True),
    "correction that changes nothing": (
        ev("event_corrected", {"target_id": "seed-block", "reason": "typo"}),
        f"{L} (event_corrected): field `data`: a correction needs `occurred_at` or `data`",
        True),
    "correction with bad data": (
        ev("event_corrected", {"target_id": "seed-block", "reason": "typo",
                               "data": {"order_id": "O-1", "count": -5}}),
        f"{L} (event_corrected): field `data.data.count`: -5 is below 0; expected {WHOLE}",
        True),
    "negative expected_version": (
        ev("order_issued", ORDER, expected_version=-1),
        f"{L} (order_issued): field `expected_version`: -1 is below 0; expected {WHOLE}", True),
    "expected_version as text": (
        ev("order_issued", ORDER, expected_version="5"),
        f"{L} (order_issued): field `expected_version`: expected {WHOLE}, got the text '5'",
        True),
    "key given twice": (
        line(ev("order_issued", ORDER))[:-1] + b', "id": "bad"}',
        f"{L} (order_issued): field `id`: given twice; each key may appear once in an object "
        "(RFC 7493)", False),
    "data key given twice": (
        line(ev("order_issued", ORDER)).replace(b'"platform": "Twitter"',
                                                b'"platform": "Twitter", "platform": "X"'),
        f"{L} (order_issued): field `data.platform`: given twice; each key may appear once "
        "in an object (RFC 7493)", False),
    "type given twice, the types differing": (
        line(ev("order_issued", ORDER))[:-1] + b', "type": "meeting_held"}',
        "line 2: event 'bad' (meeting_held): field `type`: given twice; each key may appear "
        "once in an object (RFC 7493)", True),  # a schema sees the last type with an order's data
    "key given twice, the second invalid": (
        line(ev("order_issued", ORDER)).replace(b'"data"', b'"occurred_at": "2021-02-30", "data"'),
        f"{L} (order_issued): field `occurred_at`: given twice; each key may appear once in "
        "an object (RFC 7493)", True),  # a schema sees the last: no such day
    "key given twice, once escaped": (
        line(ev("order_issued", ORDER)).replace(b'"id": "bad"', b'"id": "bad", "\\u0069d": "b"'),
        "line 2: event 'b' (order_issued): field `id`: given twice; each key may appear once "
        "in an object (RFC 7493)", False),
    "lone surrogate": (
        line(ev("statement_published", {"speaker": "S", "summary": "x"})).replace(
            b'"summary": "x"', b'"summary": "x\\ud800"'),
        f"{L} (statement_published): field `data.summary`: \\ud800 is a lone surrogate (half "
        "of a UTF-16 pair), not a character; write the character itself or both halves",
        False),
    "invalid UTF-8": (
        line(ev("statement_published", {"speaker": "S", "summary": "x"})).replace(
            b'"summary": "x"', b'"summary": "x\xff"'),
        f"{L} (statement_published): field `data.summary`: not valid UTF-8 (byte 136 of the "
        "line: 0xff)", False),
    "byte-order mark inside a file": (
        b"\xef\xbb\xbf" + line(ev("statement_published", {"speaker": "S", "summary": "x"})),
        f"{L} (statement_published): starts with a byte-order mark (U+FEFF), which only the "
        "start of a file may carry", False),
    "not JSON": (
        b'{"type": "order_issued", "stream": "dispute-1", "id": "bad", ',
        f"{L} (order_issued): not valid JSON: it ends before the JSON does", False),
    "not an object": (
        b'["order_issued", "dispute-1"]',
        "line 2: expected an object (one event), got a list", True),
    "nested too deeply": (
        line(ev("event_corrected", {"target_id": "seed-block", "reason": "r",
                                    "data": {"count": "D"}}))
        .replace(b'"D"', b"[" * 100_000 + b"]" * 100_000),
        f"{L} (event_corrected): nested too deeply to be an event", False),
    "unknown order": (
        ev(BLOCK, {"order_id": "O-404", "targets": ["@x"]}),
        f"{L} (accounts_blocked): field `data.order_id`: unknown order 'O-404' in stream "
        "'dispute-1'", False),
    "order issued twice": (
        ev("order_issued", {**ORDER, "order_id": "O-1"}),
        f"{L} (order_issued): field `data.order_id`: order 'O-1' already exists in stream "
        "'dispute-1'", False),
    "penalty citing an unknown case": (
        ev("penalty_imposed", {**PENALTY, "case_id": "C-404"}),
        f"{L} (penalty_imposed): field `data.case_id`: unknown case 'C-404' in stream "
        "'dispute-1'", False),
    "penalty citing an unknown order": (
        ev("penalty_imposed", {**PENALTY, "order_ids": ["O-1", "O-404"]}),
        f"{L} (penalty_imposed): field `data.order_ids[1]`: unknown order 'O-404' in stream "
        "'dispute-1'", False),
    "paying an unknown penalty": (
        ev("penalty_paid", {"amount": 5, "currency": "INR", "by": "X", "penalty_ids": ["P-9"]}),
        f"{L} (penalty_paid): field `data.penalty_ids[0]`: unknown penalty 'P-9' in stream "
        "'dispute-1'", False),
    "lifting an unknown penalty": (
        ev("penalty_lifted", {"penalty_id": "P-9", "by": "HC"}),
        f"{L} (penalty_lifted): field `data.penalty_id`: unknown penalty 'P-9' in stream "
        "'dispute-1'", False),
    "penalty imposed twice": (
        ev("penalty_imposed", {**PENALTY, "penalty_id": "P-1"}),
        f"{L} (penalty_imposed): field `data.penalty_id`: penalty 'P-1' already exists in "
        "stream 'dispute-1'", False),
    "suspension under an unknown order": (
        ev("service_suspended", {"platform": "X", "scope": "IN", "ordered_by": "DoT",
                                 "order_id": "O-404"}),
        f"{L} (service_suspended): field `data.order_id`: unknown order 'O-404' in stream "
        "'dispute-1'", False),
    "retracting an unknown event": (
        ev("event_retracted", {"target_id": "no-such-event", "reason": "wrong"}),
        f"{L} (event_retracted): field `data.target_id`: unknown event 'no-such-event' in "
        "stream 'dispute-1'", False),
}
