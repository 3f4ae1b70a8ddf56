"""The benchmark workload: a deterministic takedown dispute of N events (SPEC §2, §3).

`generate(n)` returns N event dicts in append order, the same for every run with the same
seed, for every store under test. The story: a ministry issues orders naming accounts
(`@acct123`, a few thousand in all); the platform blocks and unblocks named accounts under
those orders (and sometimes an unnamed count); notices cite orders and are acknowledged;
compliance is reported now and then; a few events arrive backdated (their `occurred_at` is
earlier than events already generated). Every reference resolves at append time: a block
names an order issued earlier in the list, an acknowledgement names a notice sent earlier.

Numbers are integers only, times are RFC 3339 with `Z` or `+00:00`, and each event carries
an `id` so that the idempotency path is exercised too.

The first `n` events of `generate(n + k)` are exactly `generate(n)`: the mix does not depend
on `n`, so a harness can take a log of N events plus a tail of K events to append one by one.

Two shapes (`WORKLOADS`). In the default, "growing", new orders and notices keep coming (4%
and 10% of events), so the folded state grows with the log: 40k orders and 100k notices at
a million events. In "bounded", each stream issues at most 300 orders and 1,000 notices and
later events move accounts, report and comment on those: the state stops growing while the
log goes on, which separates the cost of the log's length from the cost of the state's size.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

__all__ = ["generate", "stream_names", "time_range", "EPOCH", "WORKLOADS"]

EPOCH = datetime(2021, 1, 1, tzinfo=timezone.utc)

# Share of each kind of event (before fallbacks when the state does not allow one).
_MIX = [
    ("order_issued", 4),
    ("accounts_blocked", 42),
    ("accounts_unblocked", 27),
    ("notice_sent", 10),
    ("acknowledgement_sent", 9),
    ("compliance_reported", 4),
    ("statement_published", 4),
]
_KINDS = [k for k, _ in _MIX]
_WEIGHTS = [w for _, w in _MIX]
BACKDATE_EVERY = 500  # about one event in BACKDATE_EVERY is backdated
_ISSUERS = ["MeitY", "MHA", "DoT", "Court"]
_PROCEDURES = ["emergency", "regular", "court", "other"]
_NOTICE_KINDS = ["non_compliance", "show_cause", "final", "other"]
# Per stream: (most orders, most notices); None is no limit.
WORKLOADS = {"growing": (None, None), "bounded": (300, 1_000)}


def stream_names(streams: int = 1) -> list[str]:
    """The stream names of a workload with `streams` streams."""
    return ["bench"] if streams == 1 else [f"bench-{i + 1}" for i in range(streams)]


def _fmt(seconds: int, z: bool) -> str:
    s = (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return s + ("Z" if z else "+00:00")


class _Order:
    __slots__ = ("order_id", "targets", "issued", "unnamed", "unnamed_blocked", "blocked")

    def __init__(self, order_id: str, targets: list[str], issued: int, unnamed: int):
        self.order_id = order_id
        self.targets = targets
        self.issued = issued  # seconds after EPOCH
        self.unnamed = unnamed  # targets counted but not named
        self.unnamed_blocked = 0
        self.blocked: set[str] = set()


class _Stream:
    """What the generator must remember about one stream so that references resolve."""

    def __init__(self, name: str):
        self.name = name
        self.orders: list[_Order] = []
        self.by_id: dict[str, _Order] = {}
        self.blocked_list: list[str] = []  # targets blocked now, for O(1) random choice
        self.blocked_pos: dict[str, int] = {}
        self.blocked_by: dict[str, _Order] = {}
        self.open_notices: list[str] = []
        self.n_notices = 0

    def mark_blocked(self, t: str, order: _Order) -> None:
        self.blocked_pos[t] = len(self.blocked_list)
        self.blocked_list.append(t)
        self.blocked_by[t] = order
        order.blocked.add(t)

    def mark_unblocked(self, t: str) -> None:
        i = self.blocked_pos.pop(t)
        last = self.blocked_list.pop()
        if last != t:
            self.blocked_list[i] = last
            self.blocked_pos[last] = i
        self.blocked_by.pop(t).blocked.discard(t)


def generate(
    n: int, *, seed: int = 20210204, streams: int = 1, accounts: int = 3000,
    workload: str = "growing",
) -> list[dict]:
    """Return `n` event dicts (SPEC §2) in append order; deterministic for a given seed."""
    max_orders, max_notices = WORKLOADS[workload]
    rng = random.Random(seed)
    states = [_Stream(name) for name in stream_names(streams)]
    pool = [f"@acct{i}" for i in range(accounts)]
    now = 0  # seconds after EPOCH of the latest non-backdated event
    events: list[dict] = []
    n_orders = 0

    for i in range(n):
        st = states[rng.randrange(streams)] if streams > 1 else states[0]
        now += rng.randint(1, 900)
        at = now
        kind = "order_issued" if not st.orders else rng.choices(_KINDS, _WEIGHTS)[0]
        if kind == "order_issued" and max_orders is not None and len(st.orders) >= max_orders:
            kind = "accounts_blocked"
        backdated = bool(st.orders) and rng.randrange(BACKDATE_EVERY) == 0
        if backdated:
            kind = rng.choice(["accounts_blocked", "notice_sent", "compliance_reported"])

        data: dict
        if kind == "accounts_unblocked" and not st.blocked_list:
            kind = "accounts_blocked"
        if kind == "acknowledgement_sent" and not st.open_notices:
            kind = "notice_sent"

        if kind == "accounts_blocked":
            for _ in range(4):
                order = rng.choice(st.orders)
                free = [t for t in order.targets if t not in st.blocked_by]
                if free or order.unnamed_blocked < order.unnamed:
                    break
            else:  # every order we looked at is fully blocked: unblock something instead
                kind = "notice_sent" if backdated or not st.blocked_list else "accounts_unblocked"
        if kind == "notice_sent" and max_notices is not None and st.n_notices >= max_notices:
            kind = "compliance_reported"

        if kind == "accounts_blocked":
            if backdated:
                at = rng.randint(order.issued, now - 1) if now - 1 > order.issued else now
            if free:
                chosen = rng.sample(free, min(len(free), rng.randint(1, 4)))
                for t in chosen:
                    st.mark_blocked(t, order)
                data = {"order_id": order.order_id, "targets": chosen}
            else:
                k = rng.randint(1, order.unnamed - order.unnamed_blocked)
                order.unnamed_blocked += k
                data = {"order_id": order.order_id, "count": k}
            if rng.randrange(10) == 0:
                data["scope"] = "IN"
        elif kind == "accounts_unblocked":
            t = rng.choice(st.blocked_list)
            order = st.blocked_by[t]
            others = sorted(x for x in order.blocked if x != t)  # sets: hash order
            chosen = [t] + rng.sample(others, min(len(others), rng.randint(0, 2)))
            for x in chosen:
                st.mark_unblocked(x)
            data = {"order_id": order.order_id, "targets": chosen}
            if rng.randrange(8) == 0:
                data["unilateral"] = True
                data["reason"] = "restored after review"
        elif kind == "order_issued":
            n_orders += 1
            order_id = f"O-{n_orders}"
            targets = rng.sample(pool, rng.randint(5, 60))
            unnamed = rng.randint(1, 50) if rng.randrange(5) == 0 else 0
            order = _Order(order_id, targets, at, unnamed)
            st.orders.append(order)
            st.by_id[order_id] = order
            data = {
                "order_id": order_id,
                "issuer": rng.choice(_ISSUERS),
                "platform": "Twitter",
                "targets": targets,
                "target_count": len(targets) + unnamed,
                "legal_basis": "IT Act s.69A",
                "procedure": rng.choice(_PROCEDURES),
            }
            if rng.randrange(3) == 0:
                data["deadline"] = _fmt(at + 86400 * rng.randint(1, 14), True)
        elif kind == "notice_sent":
            cited = rng.sample(st.orders, min(len(st.orders), rng.randint(1, 3)))
            if backdated:
                latest = max(o.issued for o in cited)
                at = rng.randint(latest, now - 1) if now - 1 > latest else now
            st.n_notices += 1
            notice_id = f"N-{st.n_notices}"
            st.open_notices.append(notice_id)
            data = {
                "notice_id": notice_id,
                "kind": rng.choice(_NOTICE_KINDS),
                "issuer": "MeitY",
                "recipient": "Twitter",
                "order_ids": [o.order_id for o in cited],
            }
        elif kind == "acknowledgement_sent":
            j = rng.randrange(len(st.open_notices))
            st.open_notices[j], st.open_notices[-1] = st.open_notices[-1], st.open_notices[j]
            data = {"ref_id": st.open_notices.pop(), "by": "Twitter"}
        elif kind == "compliance_reported":
            order = rng.choice(st.orders)
            if backdated:
                at = rng.randint(order.issued, now - 1) if now - 1 > order.issued else now
            data = {
                "order_id": order.order_id,
                "actioned": len(order.blocked) + order.unnamed_blocked,
                "specified": len(order.targets) + order.unnamed,
                "reporter": "Twitter",
            }
        else:  # statement_published
            data = {"speaker": "Twitter", "channel": "blog", "summary": f"statement {i}"}

        event = {
            "type": kind,
            "stream": st.name,
            "occurred_at": _fmt(at, rng.randrange(2) == 0),
            "data": data,
            "id": f"ev-{i + 1}",
        }
        if kind == "order_issued" and rng.randrange(4) == 0:
            event["confidence"] = "confirmed"
        events.append(event)
    return events


def time_range(events: list[dict]) -> tuple[datetime, datetime]:
    """The earliest and latest `occurred_at` in a workload (as aware datetimes)."""
    times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    return min(times), max(times)


def asof_dates(events: list[dict], rng: random.Random, k: int) -> list[str]:
    """`k` random instants (whole seconds, sorted) between a workload's first and last
    `occurred_at`: the dates of the bench's as-of queries."""
    lo, hi = time_range(events)
    span = int((hi - lo).total_seconds())
    return sorted(
        datetime.fromtimestamp(lo.timestamp() + rng.randint(0, span), timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(k))


if __name__ == "__main__":  # python -m bench.workload N > events.jsonl
    import json
    import sys

    for ev in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1000):
        sys.stdout.write(json.dumps(ev, separators=(",", ":")) + "\n")
