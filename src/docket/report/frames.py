"""The views as of each day, for the report's date control: one fold of the timeline, read at
the end of every day on which a view can change.

Those days (the frames) are the days events occurred on, the day each deadline passes (an
order turns `overdue` with no event) and each day a daily penalty accrues (SPEC §5 v2). Between
two frames nothing in the views changes, so the views as of any day are those of the latest
frame on or before it, which is all the page's script has to pick.

Nothing is counted here: the fold is `docket.projection.evolve`, an order's row is
`docket.views.compliance.compliance_row` and every other part of the state view is
`docket.views.state.state_view` itself, applied to the fold with only the entities the
day's events touched (so a frame costs what its day changed, not the whole state). Parts of
the state view this module does not know by name (the penalties, their totals and the service
of SPEC §5 v2) are taken whole from that call and compared with the frame before.
`tests/test_report_frames.py` checks every frame against `EventLog.state(as_of=day)`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from ..projection import evolve, initial
from ..timeline import AMENDING
from ..times import time_key, upper_bound
from ..views.compliance import compliance_row
from ..views.state import state_view
from .format import DAY_US, day_label
from .series import order_refs, orders_touched

__all__ = ["Frames", "build_frames", "frame_days", "stale_frames", "ENTITY_SECTIONS",
           "MAX_ACCRUAL_DAYS"]

ENTITY_SECTIONS = ("accounts", "notices", "challenges")
"""Parts of the state view keyed by an entity a record names (read for the touched ones)."""

# Keys of the state view that are not a keyed section of their own.
_NOT_SECTIONS = {"stream", "as_of", "known_at", "last_seq", "version", "orders", "dialogue",
                 "fingerprint", *ENTITY_SECTIONS}


@dataclass
class Frames:
    """The views at the end of each frame day.

    `days`: the frames' day numbers (days since 1970-01-01 UTC), ascending; `shown[k]`: how
    many timeline records occurred by the end of day k; `record_frame[i]`: the frame of
    timeline record i; `updates[section][k]`: the entries of a section that changed at frame
    k (`{key: entry}`, None for one that is gone), for `orders` (compliance rows), `accounts`,
    `notices`, `challenges`, `dialogue` (keyed by position) and any other keyed part of the
    state view (`penalties`, `penalty_totals`, `service`); `sections`: the sections any frame
    had, in the order first seen.
    """

    days: list[int]
    shown: list[int]
    record_frame: list[int]
    updates: dict[str, list[dict[Any, Any]]] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    # Frames after whose day a daily fine goes on accruing on days that have no frame (past
    # MAX_ACCRUAL_DAYS, or after the page's last day): there the page's figures are the
    # frame's, and it says so.
    stale: set[int] = field(default_factory=set)

    def labels(self) -> list[str]:
        """The frame days as `YYYY-MM-DD`."""
        return [day_label(d) for d in self.days]


_LAST_DAY = time_key("9999-12-31") // DAY_US
_FOREVER = _LAST_DAY + 1  # after every day a view can be asked for


def _day_of(value: str) -> int:
    return time_key(value) // DAY_US


MAX_ACCRUAL_DAYS = 3660
"""The most days of a daily fine that get a frame each (ten years)."""


def _accruals(records: list[dict]) -> tuple[set[int], list[tuple[int, int | None]]]:
    """(the day after each deadline, (first day, last day or None) of each daily fine)."""
    days: set[int] = set()
    accruing: list[tuple[int, int | None, str | None]] = []
    lifted: dict[str, int] = {}
    imposed: set = set()
    for record in records:  # in replay order
        if record.get("retracted") is not None or record["type"] in AMENDING:
            continue
        d = record["data"]
        if not isinstance(d, dict):
            continue
        if record["type"] == "order_issued" and d.get("deadline"):
            days.add((upper_bound(d["deadline"]) + 1) // DAY_US)
        elif record["type"] == "penalty_imposed" and d.get("per") == "day":
            start = _day_of(d.get("starts_at") or record["occurred_at"])
            end = _day_of(d["ends_at"]) if d.get("ends_at") else None
            accruing.append((start, end, d.get("penalty_id")))
            imposed.add(d.get("penalty_id"))
        elif record["type"] == "penalty_lifted" and d.get("penalty_id") in imposed:
            # As the fold: a lift placed before the penalty's imposition lifts nothing.
            lifted.setdefault(d["penalty_id"], _day_of(record["occurred_at"]))
    windows = []
    for start, end, pid in accruing:
        stops = [x for x in (end, lifted.get(pid)) if x is not None]
        windows.append((start, min(stops) if stops else None))
    return days, windows


def _last_day(keys: list[int], as_of: str | None) -> int | None:
    if as_of is not None:
        return upper_bound(as_of) // DAY_US
    return max(k // DAY_US for k in keys) if keys else None


def frame_days(records: list[dict], keys: list[int], as_of: str | None = None) -> list[int]:
    """The days whose end can change a view: event days, the day after each deadline (the
    first day whose end lies past it) and each day a daily penalty accrues, up to the last
    of the others; with `as_of`, none after its day."""
    days, windows = _accruals(records)
    days |= {k // DAY_US for k in keys}
    # Accrual days run up to the last event's day (or `as_of`), not to a far deadline's:
    # a deadline in 9999 would otherwise give a daily fine millions of frames; and at most
    # MAX_ACCRUAL_DAYS of them per fine (`stale_frames` names the frames whose figures then
    # hold for days after them that have no frame).
    last = _last_day(keys, as_of)
    if last is not None:
        for start, stop in windows:
            stop = last if stop is None else min(stop, last)
            days.update(range(start, min(stop, start + MAX_ACCRUAL_DAYS - 1) + 1))
    if as_of is not None:
        days = {d for d in days if d <= last}
    # A deadline on 9999-12-31 passes on a day no `--as-of` can name.
    return sorted(d for d in days if d <= _LAST_DAY)


def stale_frames(records: list[dict], keys: list[int], days: list[int],
                 as_of: str | None = None) -> set[int]:
    """The frames (indexes into `days`) followed by a day without a frame on which a daily
    fine accrues: beyond its first MAX_ACCRUAL_DAYS, or after the page's last day (the last
    frame then, when a fine goes on accruing after it). On such a day the page shows the
    frame's figures, which `accrued` has outgrown."""
    if not days:
        return set()
    out: set[int] = set()
    last = _last_day(keys, as_of)
    for start, stop in _accruals(records)[1]:
        # `frame_days` gave it a frame on each day of [start, min(stop, last, start +
        # MAX_ACCRUAL_DAYS - 1)]; it accrues on every day up to `stop` (None: for ever).
        # The days after that run are covered only where another frame falls (the day after
        # a deadline may come after the last event's day), so every gap between frames that
        # meets them makes the frame before it stale.
        lo = max(start, min(last, start + MAX_ACCRUAL_DAYS - 1) + 1)
        if stop is not None and lo > stop:
            continue  # every day it accrues on is a frame
        hi = _FOREVER if stop is None else stop
        k = max(bisect.bisect_right(days, lo) - 1, 0)
        while k < len(days) and days[k] <= hi:
            after = days[k + 1] if k + 1 < len(days) else _FOREVER + 1
            if max(days[k] + 1, lo) <= min(after - 1, hi):
                out.add(k)
            k += 1
    return out


def _dirty_entities(state: dict, record: dict, out: dict[str, set]) -> None:
    """Note the accounts, notices and challenges `record` may change (before it is folded)."""
    d = record["data"]
    kind = record["type"]
    if kind in ("accounts_blocked", "accounts_unblocked"):
        names = set(d.get("targets") or ())
        order = state["orders"].get(d.get("order_id"))
        if d.get("all_targets") and order is not None:
            names.update(order["targets"] or ())
        out["accounts"].update(names)
    for key in ("notice_id", "ref_id"):
        if d.get(key) is not None:
            out["notices"].add(d[key])
    if d.get("case_id") is not None:
        out["challenges"].add(d["case_id"])


def build_frames(records: list[dict], keys: list[int], stream: str,
                 as_of: str | None = None) -> Frames:
    """Fold the timeline `records` (replay order, retractions marked, as `EventLog.timeline`
    gives them; `keys` their `time_key(occurred_at)`) and read the views at each frame.

    `as_of`: the page's own selection (no frame after its day; the last frame's `overdue`
    and accruals are judged at it when it ends before that day does).
    """
    days = frame_days(records, keys, as_of)
    frames = Frames(days=days, shown=[], record_frame=[
        bisect.bisect_left(days, k // DAY_US) for k in keys],
        stale=stale_frames(records, keys, days, as_of))
    state = initial()
    current: dict[str, dict] = {}
    flips: dict[int, set] = {}
    dirty_orders: set = set()
    dirty: dict[str, set] = {name: set() for name in ENTITY_SECTIONS}
    dialogue_seen = 0
    i, n = 0, len(records)
    cap = upper_bound(as_of) if as_of is not None else None

    def update(section: str, k: int, key: Any, entry: Any) -> None:
        if section not in frames.updates:
            frames.updates[section] = [{} for _ in days]
            frames.sections.append(section)
            current[section] = {}
        if current[section].get(key) != entry:
            frames.updates[section][k][key] = entry
            current[section][key] = entry

    for k, day in enumerate(days):
        end = (day + 1) * DAY_US
        while i < n and keys[i] < end:
            record = records[i]
            i += 1
            if record.get("retracted") is not None or record["type"] in AMENDING:
                continue
            dirty_orders.update(orders_touched(state, record))
            _dirty_entities(state, record, dirty)
            evolve(state, record)
            dirty_orders.update(order_refs(state, record))
        frames.shown.append(i)
        label = day_label(day)
        if cap is not None and cap < upper_bound(label):
            label = as_of
        ref = upper_bound(label)
        for oid in sorted(dirty_orders | flips.pop(k, set()), key=str):
            if oid not in state["orders"]:
                continue
            row = compliance_row(state, oid, stream=stream, ref_time_us=ref)
            update("orders", k, oid, row)
            if row["deadline"] is not None and not row["overdue"]:
                j = bisect.bisect_left(days, (upper_bound(row["deadline"]) + 1) // DAY_US)
                if j > k and j < len(days):
                    flips.setdefault(j, set()).add(oid)
        dirty_orders.clear()
        # The state view of the fold with only what the day touched (and every other part
        # whole): the view's own shaping of each entry, at the cost of the day's changes.
        sub = dict(state)
        sub["orders"], sub["order_notices"] = {}, {}
        for name in ENTITY_SECTIONS:
            table = state[name]
            sub[name] = {key: table[key] for key in dirty[name] if key in table}
            dirty[name].clear()
        sub["dialogue"] = state["dialogue"][dialogue_seen:]
        view = state_view(sub, stream=stream, as_of=label, known_at=None, version=0,
                          last_seq=0)
        for name in ENTITY_SECTIONS:
            for key, entry in sorted(view[name].items(), key=lambda kv: str(kv[0])):
                update(name, k, key, entry)
        for j, entry in enumerate(view["dialogue"]):
            update("dialogue", k, dialogue_seen + j, entry)
        dialogue_seen = len(state["dialogue"])
        for name, part in view.items():
            if name in _NOT_SECTIONS or not isinstance(part, dict):
                continue
            for key in sorted(set(part) | set(current.get(name, ())), key=str):
                update(name, k, key, part.get(key))
    return frames
