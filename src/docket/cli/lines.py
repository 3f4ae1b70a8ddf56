"""Events written as lines for people: `docket log`'s timeline and the events behind a
`docket why`, each with its marks (a weak confidence, the corrections applied, a
retraction) and its sources. Every text is escaped (`printable`)."""

from __future__ import annotations

from typing import Iterator

from ..views.summary import event_line, printable, source_line

__all__ = ["SUMMARY_WIDTH", "summary_line", "log_lines", "because_lines"]

# How much of an event's summary (or of a correction's or retraction's reason) a line shows
# (`--wide`, CSV and JSON: all of it).
SUMMARY_WIDTH = 110
# The confidences a line says (the default, `reported`, and `confirmed` go unsaid).
_WEAK = {"disputed": "disputed", "single_source": "single source"}


def summary_line(record: dict, wide: bool) -> str:
    """`Actor: summary`, escaped; the summary cut unless `wide`."""
    return printable(event_line(record, width=None if wide else SUMMARY_WIDTH))


def _cut(text: str, wide: bool) -> str:
    text = str(text)
    if wide or len(text) <= SUMMARY_WIDTH:
        return printable(text)
    return printable(text[:SUMMARY_WIDTH - 1].rstrip() + "…")


def marks(record: dict, wide: bool) -> str:
    """What a line adds after the summary: `(disputed)` or `(single source)`, each
    correction applied (`[corrected by #24: reason]`, so a corrected date or figure does not
    read as first recorded) and a retraction (`[retracted: reason]`)."""
    out = ""
    weak = _WEAK.get(record.get("confidence"))
    if weak:
        out += f"  ({weak})"
    for c in record.get("corrected") or ():
        out += f"  [corrected by #{c['seq']}: {_cut(c['reason'], wide)}]"
    if record.get("retracted"):
        out += f"  [retracted: {_cut(record['retracted']['reason'], wide)}]"
    return out


def log_lines(records, several: bool, width: int, wide: bool) -> Iterator[str]:
    """`docket log`'s lines: occurred_at, seq, (the stream), type, summary and marks, then
    a line per source."""
    for r in records:
        where = f"{printable(r['stream']):<{width}} " if several else ""
        head = f"{printable(r['occurred_at']):<26} #{r['seq']:<5} {where}"
        yield f"{head}{printable(r['type']):<21} {summary_line(r, wide)}{marks(r, wide)}"
        for source in r["sources"]:
            yield f"{'':{len(head)}}source: {printable(source_line(source, url=wide))}"


def because_lines(events: list[dict]) -> Iterator[str]:
    """`docket why`'s events behind a fact: each whole, with its id, marks and sources."""
    for e in events:
        yield (f"  #{e['seq']} {printable(e['occurred_at'])} {printable(e['type'])} "
               f"{printable(e['summary'])} [{printable(e['id'])}]{marks(e, True)}")
        for s in e["sources"]:
            yield f"      source: {printable(source_line(s, url=True))}"
