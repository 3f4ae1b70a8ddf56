"""A complete example event of each type (`docket types TYPE` prints it).

Together they tell one small, made-up dispute in the stream `example` (a court, a platform,
two accounts), so every reference an example makes resolves to an earlier example: append
them in this order, or an example after the examples it cites, and each is accepted.
"""

from __future__ import annotations

__all__ = ["EXAMPLES", "STREAM"]

STREAM = "example"
_COURT = "Supreme Court"


def _source(title: str, slug: str, published: str) -> list[dict]:
    return [{"title": f"Example News: {title}", "url": f"https://example.org/news/{slug}",
             "published": published}]


def _event(kind: str, ident: str, at: str, actor: str, data: dict, title: str,
           confidence: str = "reported") -> dict:
    return {"type": kind, "stream": STREAM, "occurred_at": at, "actor": actor, "data": data,
            "sources": _source(title, ident.removeprefix("ex-"), at[:10]),
            "confidence": confidence, "id": ident}


EXAMPLES: dict[str, dict] = {
    "order_issued": _event(
        "order_issued", "ex-order", "2024-04-08", _COURT,
        {"order_id": "O-1", "issuer": _COURT, "platform": "X",
         "targets": ["@account1", "@account2"], "target_count": 2,
         "legal_basis": "Inquiry 4874", "procedure": "court", "grounds": ["incitement"],
         "deadline": "2024-04-10T23:59:00-03:00", "scope": "BR"},
        "Court orders X to block two accounts", "confirmed"),
    "accounts_blocked": _event(
        "accounts_blocked", "ex-block", "2024-04-09T10:00:00-03:00", "X",
        {"order_id": "O-1", "targets": ["@account1"], "scope": "BR", "basis": "legal_order"},
        "X withholds one account in Brazil"),
    "accounts_unblocked": _event(
        "accounts_unblocked", "ex-unblock", "2024-04-10T09:00:00-03:00", "X",
        {"order_id": "O-1", "targets": ["@account1"], "unilateral": True,
         "reason": "X says the order is unlawful"},
        "X restores the account it had withheld"),
    "notice_sent": _event(
        "notice_sent", "ex-notice", "2024-04-11", _COURT,
        {"notice_id": "N-1", "kind": "non_compliance", "issuer": _COURT, "recipient": "X",
         "order_ids": ["O-1"], "penalty_cited": "a daily fine", "deadline": "2024-04-12"},
        "Court tells X it has not complied"),
    "acknowledgement_sent": _event(
        "acknowledgement_sent", "ex-ack", "2024-04-12", "X", {"ref_id": "N-1", "by": "X"},
        "X acknowledges the court's notice"),
    "dialogue_requested": _event(
        "dialogue_requested", "ex-dialogue", "2024-04-12", "X",
        {"by": "X", "addressee": _COURT, "subject": "the scope of the order"},
        "X asks the court for a hearing"),
    "meeting_held": _event(
        "meeting_held", "ex-meeting", "2024-04-15", _COURT,
        {"participants": [_COURT, "X"], "outcome": "no agreement"},
        "Court and X meet without agreement", "single_source"),
    "statement_published": _event(
        "statement_published", "ex-statement", "2024-04-15", "X",
        {"speaker": "X", "summary": "X says it will contest the order in court.",
         "channel": "social", "quote": "We will challenge this order."},
        "X says it will go to court"),
    "compliance_reported": _event(
        "compliance_reported", "ex-compliance", "2024-04-16", "X",
        {"order_id": "O-1", "actioned": 1, "specified": 2, "reporter": "X"},
        "X reports acting on one of two accounts"),
    "challenge_filed": _event(
        "challenge_filed", "ex-challenge", "2024-04-17", "X",
        {"case_id": "C-1", "court": _COURT, "petitioner": "X", "order_ids": ["O-1"]},
        "X challenges the order"),
    "ruling_issued": _event(
        "ruling_issued", "ex-ruling", "2024-05-02", _COURT,
        {"case_id": "C-1", "court": _COURT, "outcome": "challenge dismissed",
         "costs": 10000, "currency": "BRL"},
        "Court dismisses X's challenge", "confirmed"),
    "event_retracted": _event(
        "event_retracted", "ex-retraction", "2024-05-03", "the editors",
        {"target_id": "ex-meeting", "reason": "no meeting took place: the report was wrong"},
        "Correction: no meeting was held"),
    "event_corrected": _event(
        "event_corrected", "ex-correction", "2024-05-03", "the editors",
        {"target_id": "ex-compliance", "reason": "the report said two of two",
         "data": {"order_id": "O-1", "actioned": 2, "specified": 2, "reporter": "X"}},
        "Correction: X acted on both accounts"),
    "penalty_imposed": _event(
        "penalty_imposed", "ex-penalty", "2024-05-06", _COURT,
        {"penalty_id": "P-1", "issuer": _COURT, "against": "X", "amount": 50000,
         "currency": "BRL", "per": "day", "order_ids": ["O-1"], "case_id": "C-1",
         "starts_at": "2024-05-07", "reason": "the accounts are still online"},
        "Court fines X 50,000 reais a day", "confirmed"),
    "penalty_paid": _event(
        "penalty_paid", "ex-payment", "2024-05-20", "X",
        {"amount": 650000, "currency": "BRL", "by": "X", "penalty_ids": ["P-1"],
         "reason": "funds frozen by the court and transferred"},
        "X's fines are paid from frozen funds"),
    "penalty_lifted": _event(
        "penalty_lifted", "ex-lift", "2024-05-21", _COURT,
        {"penalty_id": "P-1", "by": _COURT, "reason": "the order has been complied with"},
        "Court lifts the daily fine"),
    "service_suspended": _event(
        "service_suspended", "ex-suspension", "2024-05-10", _COURT,
        {"platform": "X", "scope": "BR", "ordered_by": _COURT, "order_id": "O-1",
         "method": "internet providers told to block access"},
        "Court suspends X in Brazil", "confirmed"),
    "service_restored": _event(
        "service_restored", "ex-restoration", "2024-05-22", _COURT,
        {"platform": "X", "scope": "BR", "by": _COURT, "reason": "the fines were paid"},
        "X is available again in Brazil", "confirmed"),
}
