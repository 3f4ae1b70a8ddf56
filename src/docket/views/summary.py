"""The one-line summary of an event: what `docket log` prints and the report shows."""

from __future__ import annotations

__all__ = ["event_summary"]


def event_summary(record: dict, width: int | None = None) -> str:
    """A one-line description of an event for the timeline (its actor is printed apart),
    cut to `width` characters with an ellipsis when given."""
    d = record["data"]
    kind = record["type"]
    if kind == "order_issued":
        n = d.get("target_count", len(d.get("targets") or ())) or "?"
        text = f"orders {d['platform']} to block {n} targets ({d['order_id']}, by {d['issuer']})"
    elif kind in ("accounts_blocked", "accounts_unblocked"):
        verb = "blocks" if kind == "accounts_blocked" else "unblocks"
        what = ("every target" if d.get("all_targets") else
                f"{len(d['targets'])} named accounts" if d.get("targets") else
                f"{d['count']} accounts" if d.get("count") is not None else "accounts")
        scope = f" in {d['scope']}" if d.get("scope") not in (None, "global") else ""
        text = f"{verb} {what}{scope}" + (f" under {d['order_id']}" if d.get("order_id") else "")
        if d.get("basis") == "platform_rules":
            text += " (platform rules)"
    elif kind == "notice_sent":
        text = f"sends {d['kind'].replace('_', '-')} notice {d['notice_id']} to {d['recipient']}"
    elif kind == "acknowledgement_sent":
        text = f"acknowledges {d['ref_id']}"
    elif kind == "dialogue_requested":
        text = f"asks {d['addressee']} for dialogue"
    elif kind == "statement_published":
        text = d["summary"]
    elif kind == "compliance_reported":
        text = f"reports {d['actioned']} of {d['specified']} actioned under {d['order_id']}"
    elif kind == "meeting_held":
        text = "meets " + ", ".join(d["participants"])
    elif kind == "challenge_filed":
        text = f"files {d['case_id']} in {d['court']}"
    elif kind == "ruling_issued":
        costs = f", costs {d['costs']} {d.get('currency') or ''}".rstrip() if d.get("costs") else ""
        text = f"{d['case_id']}: {d['outcome']}{costs}"
    elif kind == "event_retracted":
        text = f"retracts {d['target_id']}: {d['reason']}"
    elif kind == "event_corrected":
        text = f"corrects {d['target_id']}: {d['reason']}"
    else:
        text = kind
    if width is None or len(text) <= width:
        return text
    return text[: width - 1].rstrip() + "…"
