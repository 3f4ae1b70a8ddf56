"""A log with two streams for the browsing tests (the `records` view, `docket serve`): the
recorded dispute, then a small illustrative second stream with what the recorded one lacks:
a backdated event, a missing actor, non-ASCII text, a lowercase RFC 3339 time, a retraction.

Second stream, in append order (seq 23–27), and what a reader should see:
- 23 `ex-order`: order O-EX-1, 10 targets, occurred 2022-03-01
- 24 `ex-block`: 4 of them blocked, 2022-03-03T09:30:00+01:00 (08:30 UTC)
- 25 `ex-statement`: no actor, occurred 2022-03-02, so it comes before the block in replay
- 26 `ex-retract`: retracts the statement, 2022-03-05
- 27 `ex-report`: 4 of 10 reported, 2022-03-04t12:00:00z (lowercase)
Replay order of the stream: 23, 25, 24, 27, 26. O-EX-1: blocked 4 of 10, compliance 0.4,
status partial.
"""

from __future__ import annotations

import json
from pathlib import Path

from record_log import AS_FIRST_RECORDED

EVENTS = Path(__file__).resolve().parent.parent / "events" / "twitter-india-2021.jsonl"
SECOND = "example-2022"

SECOND_EVENTS = [
    {"type": "order_issued", "stream": SECOND, "occurred_at": "2022-03-01", "id": "ex-order",
     "actor": "Ministry", "confidence": "confirmed",
     "data": {"order_id": "O-EX-1", "issuer": "Ministry", "platform": "ExampleNet",
              "target_count": 10, "procedure": "regular"},
     "sources": [{"title": "Gazette: order O-EX-1", "url": "https://example.org/o-ex-1",
                  "published": "2022-03-01"}]},
    {"type": "accounts_blocked", "stream": SECOND, "occurred_at": "2022-03-03T09:30:00+01:00",
     "id": "ex-block", "actor": "ExampleNet", "data": {"order_id": "O-EX-1", "count": 4}},
    {"type": "statement_published", "stream": SECOND, "occurred_at": "2022-03-02",
     "id": "ex-statement",
     "data": {"speaker": "ExampleNet",
              "summary": "„Wir prüfen die Anordnung“ — ñ, 東京, \t tab"},
     "sources": [{"title": "Zeitung: Sperren — „Prüfung“", "published": "2022-03-02"}]},
    {"type": "event_retracted", "stream": SECOND, "occurred_at": "2022-03-05",
     "id": "ex-retract", "actor": "editor",
     "data": {"target_id": "ex-statement", "reason": "misattributed"}},
    {"type": "compliance_reported", "stream": SECOND, "occurred_at": "2022-03-04t12:00:00z",
     "id": "ex-report", "actor": "ExampleNet", "confidence": "single_source",
     "data": {"order_id": "O-EX-1", "actioned": 4, "specified": 10, "reporter": "ExampleNet"}},
]


def second_stream_jsonl() -> str:
    """The second stream as JSONL input."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in SECOND_EVENTS)


def make_log(path: str, run_docket) -> None:
    """Import the recorded dispute into a new log at `path`, then append the second stream."""
    # The dispute as first recorded (record_log.AS_FIRST_RECORDED): the figures of the
    # browsing tests are its.
    first = Path(f"{path}.first.jsonl")
    first.write_bytes(b"".join(EVENTS.read_bytes().splitlines(keepends=True)[:AS_FIRST_RECORDED]))
    code, _, err = run_docket("import", "--db", path, str(first))
    assert code == 0, err
    code, _, err = run_docket("append", "--db", path, "-", input=second_stream_jsonl())
    assert code == 0, err
