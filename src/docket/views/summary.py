"""How an event reads to a person: its one-line summary (what `docket log` prints and the
report shows), who acted, and its sources."""

from __future__ import annotations

import re

__all__ = ["event_summary", "event_line", "event_actor", "source_line", "plural", "printable"]

# Every C0 control, DEL and every C1 control (U+0080–U+009F: U+009B is a one-byte CSI),
# the bidirectional embeddings, overrides and isolates (which reorder what a terminal shows:
# "Trojan Source"), and the Unicode line and paragraph separators.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})
_ESCAPES.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                            0x2028, 0x2029)})
_ESCAPES_BUT_NEWLINE = {c: e for c, e in _ESCAPES.items() if c != 0x0A}
# Most text has none of them: one search in C finds that, and the text is returned as it is.
_ANY = re.compile("[" + "".join(f"\\u{c:04x}" for c in _ESCAPES) + "]")
_ANY_BUT_NEWLINE = re.compile("[" + "".join(f"\\u{c:04x}" for c in _ESCAPES_BUT_NEWLINE) + "]")


def printable(text, *, newlines: bool = False) -> str:
    """`text` with every control character written as an escape (`\\x1b`, `\\n`,
    `\\u202e`), so that shown on a terminal it cannot move the cursor, retitle the window,
    erase a line or reorder what is shown; `newlines` keeps `\\n` (for text whose lines
    were composed by Docket itself)."""
    text = str(text)
    if (_ANY_BUT_NEWLINE if newlines else _ANY).search(text) is None:
        return text
    return text.translate(_ESCAPES_BUT_NEWLINE if newlines else _ESCAPES)


# The `data` fields that say who acted, for an event recorded without an `actor`, in the
# order they are looked at: who issued, acknowledged, asked, reported or spoke; who filed a
# case before the court it was filed in; the court that ruled; who ordered a suspension.
_ACTOR_FIELDS = ("issuer", "by", "reporter", "speaker", "petitioner", "court", "ordered_by")


def plural(n, one: str, many: str | None = None) -> str:
    """`1 account`, `2 accounts`, `? accounts`: a count with its noun."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def event_actor(record: dict) -> str | None:
    """Who acted: the record's `actor`, or else the first of its data's issuer, by,
    reporter, speaker, petitioner, court or ordered_by; None when it names none."""
    actor = record.get("actor")
    if actor:
        return actor
    data = record.get("data")
    if isinstance(data, dict):
        for name in _ACTOR_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and value:
                return value
    return None


def event_line(record: dict, width: int | None = None) -> str:
    """`Actor: summary` (the summary alone when no one is named): how `docket log` and
    `docket why` word an event; the summary cut to `width` characters when given."""
    actor = event_actor(record)
    text = event_summary(record, width)
    return f"{actor}: {text}" if actor else text


def source_line(source: dict, url: bool = False) -> str:
    """A source as people read it: its title (which by the house rule of the records
    starts with the outlet, `Times Now: Tractor rally…`), the day it was published in
    brackets, and with `url` its address in angle brackets."""
    text = str(source.get("title") or "")
    if source.get("published"):
        text += f" ({source['published']})"
    if url and source.get("url"):
        text += f" <{source['url']}>"
    return text


def _money(data: dict) -> str:
    """`18,350,000 BRL`: a whole amount with its thousands marked, and its currency."""
    return f"{data['amount']:,} {data['currency']}"


def event_summary(record: dict, width: int | None = None) -> str:
    """A one-line description of an event for the timeline (its actor is printed apart),
    cut to `width` characters with an ellipsis when given."""
    d = record["data"]
    kind = record["type"]
    if kind == "order_issued":
        n = d.get("target_count", len(d.get("targets") or ())) or "?"
        text = (f"orders {d['platform']} to block {plural(n, 'target')} ({d['order_id']}, "
                f"by {d['issuer']})")
    elif kind in ("accounts_blocked", "accounts_unblocked"):
        verb = "blocks" if kind == "accounts_blocked" else "unblocks"
        what = ("every target" if d.get("all_targets") else
                plural(len(d["targets"]), "named account") if d.get("targets") else
                plural(d["count"], "account") if d.get("count") is not None else "accounts")
        scope = f" in {d['scope']}" if d.get("scope") not in (None, "global") else ""
        text = f"{verb} {what}{scope}" + (f" under {d['order_id']}" if d.get("order_id") else "")
        if d.get("basis") == "platform_rules":
            text += " (platform rules)"
    elif kind == "notice_sent":
        text = f"sends {d['kind'].replace('_', '-')} notice {d['notice_id']} to {d['recipient']}"
        if d.get("penalty_cited"):
            text += f", citing {d['penalty_cited']}"
    elif kind == "acknowledgement_sent":
        text = f"acknowledges {d['ref_id']}"
    elif kind == "dialogue_requested":
        text = f"asks {d['addressee']} for dialogue"
    elif kind == "statement_published":
        text = d["summary"]
    elif kind == "compliance_reported":
        text = f"reports {d['actioned']} of {d['specified']} actioned under {d['order_id']}"
    elif kind == "meeting_held":
        # The participants are everyone who met, often the actor's own people among them.
        text = "meeting of " + ", ".join(d["participants"])
    elif kind == "challenge_filed":
        text = f"files {d['case_id']} in {d['court']}"
    elif kind == "ruling_issued":
        costs = f", costs {d['costs']} {d.get('currency') or ''}".rstrip() if d.get("costs") else ""
        text = f"rules on {d['case_id']}: {d['outcome']}{costs}"
    elif kind == "event_retracted":
        text = f"retracts {d['target_id']}: {d['reason']}"
    elif kind == "event_corrected":
        text = f"corrects {d['target_id']}: {d['reason']}"
    elif kind == "penalty_imposed":
        per = " a day" if d.get("per") == "day" else ""
        text = f"fines {d['against']} {_money(d)}{per} ({d['penalty_id']}" + (
            f", under {', '.join(d['order_ids'])})" if d.get("order_ids") else ")")
    elif kind == "penalty_paid":
        towards = f" towards {', '.join(d['penalty_ids'])}" if d.get("penalty_ids") else ""
        payer, actor = d.get("by"), record.get("actor") or ""
        # The actor is who reports or orders it; a payer who is someone else is named, or
        # the line would say a court paid what it took from the platform's accounts.
        text = (f"payment of {_money(d)}{towards} by {payer}"
                if payer and not (actor and payer.startswith(actor))
                else f"pays {_money(d)}{towards}")
    elif kind == "penalty_lifted":
        text = f"lifts {d['penalty_id']}"
    elif kind in ("service_suspended", "service_restored"):
        verb = "suspends" if kind == "service_suspended" else "restores"
        text = f"{verb} {d['platform']} in {d['scope']}" + (
            f" under {d['order_id']}" if d.get("order_id") else "")
    else:
        text = kind
    if width is None or len(text) <= width:
        return text
    return text[: width - 1].rstrip() + "…"
