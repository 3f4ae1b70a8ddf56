"""A new user records an 11-event dispute with nothing but what `docket types TYPE` prints
(issue 19 item 1: it took 21 attempts before). The user's notes are in their own words;
for each development they read the type's help, check every fact against the field list
(is there such a field, is it required, which values are allowed, which format), convert it
the way the help's words say, lay the event out like the printed example, and append it.
Each event must go in at the first attempt."""

from __future__ import annotations

import json
import re

from conftest import export_of, run
from types_text import Field, parse

STREAM = "brazil-x-2024"
# (type, when, who, facts about the development, sources, confidence) as a user notes them:
# numbers and lists as typed, lists separated by ';'.
NOTES = [
    ("order_issued", "2024-08-28T20:07:00-03:00", "STF",
     {"order_id": "STF-PET-12404", "issuer": "Supreme Federal Court", "platform": "X",
      "target_count": "7", "legal_basis": "Inquiry 4781", "procedure": "court",
      "deadline": "2024-08-29T20:07:00-03:00", "scope": "BR",
      "grounds": "name a legal representative in Brazil"},
     [("Example News: Court gives X 24 hours to name a representative",
       "https://example.org/1", "2024-08-28")], "confirmed"),
    ("statement_published", "2024-08-29", "X",
     {"speaker": "X Global Government Affairs",
      "summary": "X expects the court to order its suspension and says it will not comply.",
      "channel": "social"},
     [("Example News: X says it expects to be shut down in Brazil", "", "2024-08-29")],
     "confirmed"),
    ("notice_sent", "2024-08-29", "STF",
     {"notice_id": "STF-SUMMONS-1", "kind": "final", "issuer": "Supreme Federal Court",
      "recipient": "X", "order_ids": "STF-PET-12404", "penalty_cited": "suspension of X",
      "deadline": "2024-08-29T20:07:00-03:00"},
     [("Example News: Court summons X through its own platform", "https://example.org/3",
       "2024-08-29")], "reported"),
    ("penalty_imposed", "2024-08-30", "STF",
     {"penalty_id": "STF-FINE-1", "issuer": "Supreme Federal Court", "against": "X",
      "amount": "50000", "currency": "BRL", "per": "day", "order_ids": "STF-PET-12404",
      "starts_at": "2024-08-30", "reason": "evading the suspension through a VPN"},
     [("Example News: Daily fine for using VPNs to reach X", "https://example.org/4",
       "2024-08-30")], "reported"),
    ("service_suspended", "2024-08-30T18:00:00-03:00", "STF",
     {"platform": "X", "scope": "BR", "ordered_by": "Supreme Federal Court",
      "order_id": "STF-PET-12404", "method": "the telecoms regulator told providers to block"},
     [("Example News: Brazil suspends X", "https://example.org/5", "2024-08-30")],
     "confirmed"),
    ("challenge_filed", "2024-08-31", "X",
     {"case_id": "STF-REF-1", "court": "Supreme Federal Court (First Panel)",
      "petitioner": "X", "order_ids": "STF-PET-12404"},
     [("Example News: The suspension goes to the full panel", "", "2024-08-31")],
     "single_source"),
    ("ruling_issued", "2024-09-02", "STF",
     {"case_id": "STF-REF-1", "court": "Supreme Federal Court (First Panel)",
      "outcome": "the panel upholds the suspension unanimously"},
     [("Example News: Panel upholds the suspension of X", "https://example.org/7",
       "2024-09-02")], "confirmed"),
    ("accounts_blocked", "2024-09-20", "X",
     {"order_id": "STF-PET-12404", "count": "7", "scope": "BR"},
     [("Example News: X blocks the accounts named by the court", "", "2024-09-20")],
     "reported"),
    ("penalty_paid", "2024-10-04", "X",
     {"amount": "28600000", "currency": "BRL", "by": "X", "penalty_ids": "STF-FINE-1",
      "reason": "paid into the right account after a transfer to the wrong bank"},
     [("Example News: X pays its fines", "https://example.org/9", "2024-10-04")],
     "confirmed"),
    ("penalty_lifted", "2024-10-08", "STF",
     {"penalty_id": "STF-FINE-1", "by": "Supreme Federal Court",
      "reason": "the fines were paid"}, [], "reported"),
    ("service_restored", "2024-10-08T16:00:00-03:00", "STF",
     {"platform": "X", "scope": "BR", "by": "Supreme Federal Court",
      "reason": "X complied and paid"},
     [("Example News: X is back in Brazil", "https://example.org/11", "2024-10-08")],
     "confirmed"),
]


def _as_the_help_says(field: Field, note: str):
    """A noted value converted the way the field's printed type says, or an AssertionError
    saying what the help left the user to guess."""
    words = field.words
    if words.startswith("whole number"):
        assert re.fullmatch(r"[0-9]+", note), (field.name, words, note)
        return int(note)
    if words == "true or false":
        return {"true": True, "false": False}[note]
    if words.startswith("one of: "):
        assert note in words[len("one of: "):].split(", "), (field.name, words, note)
        return note
    if words.startswith("list of"):
        return [v.strip() for v in note.split(";")]
    if words.startswith(("global or a country code", "country code")):
        assert "ISO 3166" in words and re.fullmatch(r"[A-Z]{2}", note), (field.name, note)
        return note
    if words.startswith("currency code"):
        assert "ISO 4217" in words and re.fullmatch(r"[A-Z]{3}", note), (field.name, note)
        return note
    if words.startswith("time: "):
        assert "YYYY-MM-DD, or RFC 3339 with an offset" in words
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z))?",
                            note), (field.name, note)
        return note
    assert words.startswith(("text", "identifier", "URL")), (field.name, words)
    return note


def _event(help_, kind, when, actor, facts, sources, confidence, n):
    data_fields, event_fields = help_.fields["data"], help_.fields["event"]
    source_fields = help_.fields["source"]
    missing = {name for name, f in data_fields.items() if f.required} - set(facts)
    assert not missing, f"{kind}: the help says {missing} are required"
    unknown = set(facts) - set(data_fields)
    assert not unknown, f"{kind}: the help lists no field {unknown}"
    data = {name: _as_the_help_says(data_fields[name], note) for name, note in facts.items()}
    # Laid out like the printed example, top-level fields in its order.
    layout = list(help_.example)
    assert layout[:5] == ["type", "stream", "occurred_at", "actor", "data"], layout
    event = {"type": kind, "stream": STREAM,
             "occurred_at": _as_the_help_says(event_fields["occurred_at"], when),
             "actor": actor, "data": data,
             "confidence": _as_the_help_says(event_fields["confidence"], confidence),
             "id": f"{STREAM}-{n:02d}"}
    if sources:
        event["sources"] = []
        for title, url, published in sources:
            source = {"title": title}
            if url:
                source["url"] = _as_the_help_says(source_fields["url"], url)
            source["published"] = _as_the_help_says(source_fields["published"], published)
            event["sources"].append(source)
    assert set(event) <= set(event_fields)
    return event


def test_eleven_events_from_the_help_alone_one_attempt_each(tmp_path):
    db = tmp_path / "docket.db"
    attempts = 0
    for n, (kind, when, actor, facts, sources, confidence) in enumerate(NOTES, 1):
        code, text, err = run("types", kind)
        assert (code, err) == (0, "")
        event = _event(parse(text), kind, when, actor, facts, sources, confidence, n)
        attempts += 1
        code, out, err = run("append", "--db", db, "-", input=json.dumps(event))
        assert (code, err) == (0, ""), f"event {n} ({kind}) needed another attempt: {err}"
        assert json.loads(out)["version"] == n
    assert attempts == len(NOTES) == 11
    records = [json.loads(r) for r in export_of(db).splitlines()]
    assert [r["type"] for r in records] == [note[0] for note in NOTES]
    assert records[3]["data"]["amount"] == 50000 and records[3]["data"]["per"] == "day"
    assert records[8]["data"]["penalty_ids"] == ["STF-FINE-1"]
    code, out, err = run("log", "--db", db)
    assert code == 0 and out.count("\n") >= 11, err
