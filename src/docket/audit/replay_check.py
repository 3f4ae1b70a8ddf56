"""The stored views versus a fresh replay (SPEC §6 `verify`): every view table row, the saved
fold state and every snapshot must equal a fresh fold of the log from its first event, and the
touches index must list what the fold finds each event touching (`index_check`).

Current queries read the saved fold state and the view tables, appends trust the index of
deadlines (`docket_deadlines`), and as-of queries start from the snapshots, so a row edited
in any of them changes an answer without touching the log: this check is what catches it,
naming the table and row.
"""

from __future__ import annotations

from ..codec import json_text
from ..errors import AuditError
from ..replay import Progress, Replayed, replay_stream, with_progress
from ..stored.rows import TABLES, view_rows
from ..stored.snapshots import decode_state, encode_state
from ..times import upper_bound
from .index_check import TouchesSeen, check_touches
from .problems import Problems

__all__ = ["check_views"]

_MISSING = object()


def _row_key(table: str, row: tuple) -> tuple:
    columns, pk = TABLES[table].names, TABLES[table].key
    return tuple(row[columns.index(c)] for c in pk)


def _compare_rows(table: str, expected: list[tuple], stored: list[tuple],
                  problems: Problems) -> None:
    columns, pk = TABLES[table].names, TABLES[table].key
    want = {_row_key(table, r): r for r in expected}
    have = {_row_key(table, r): r for r in stored}
    for key, row in want.items():
        where = {"table": table, "row": dict(zip(pk, key))}
        if key not in have:
            problems.add("view", "missing from the table (a fresh replay has it)", **where)
            continue
        got = have[key]
        diffs = [f"{c} is {json_text(g)} in the table, {json_text(w)} in a fresh replay"
                 for c, g, w in zip(columns, got, row) if g != w]
        if diffs:
            problems.add("view", "; ".join(diffs), **where)
    for key in have:
        if key not in want:
            problems.add("view", "not in a fresh replay (an extra row)",
                         table=table, row=dict(zip(pk, key)))


def check_views(storage, views, known_seq: int, problems: Problems,
                progress: Progress | None) -> dict[str, Replayed]:
    """Compare every stored view of every stream with a fresh fold, reporting in `problems`;
    returns the folds (streams a fold cannot read are reported and left out). `views` is the
    log's `StoredViews`."""
    streams = storage.stream_names()
    stale = views.stale()
    if stale is not None:
        # Another fold wrote them: comparing rows would list every difference of the two
        # folds. Queries do not read them; the next write or `docket rebuild` rewrites them.
        problems.add("view", stale, table="docket_meta", row={"key": "projection"})
    # Only the keys: a snapshot's state is read when the fresh fold reaches its position.
    snapshots: dict[str, set[tuple[int, int]]] = {}
    taken: dict[tuple, int] = {}  # (stream, key) -> the log's seq when it was taken
    for stream, occurred_us, seq, log_seq in storage.select(
            "docket_snapshots", (), ("stream", "occurred_us", "seq", "log_seq")):
        snapshots.setdefault(stream, set()).add((occurred_us, seq))
        taken[(stream, occurred_us, seq)] = log_seq
    all_heads = {r[0]: r[1:] for r in storage.select("docket_view_heads", (),
                                                     ("stream", "scalars", "log_seq"))}
    heads = dict(all_heads)
    bad: list[tuple[int, int]] = []

    def on_stream(stream):
        mine = snapshots.get(stream)
        if not mine or stale is not None:
            return None

        def on_fold(key, record, state, n):
            if key in mine:
                mine.discard(key)
                # As an as-of query reads it: with the late events since, patched in.
                try:
                    saved = views.snapshot_state(stream, key, taken[(stream, *key)],
                                                 known_seq)
                except Exception:  # noqa: BLE001 - a snapshot the engine cannot read
                    saved = None
                if saved != state:
                    bad.append(key)

        return on_fold

    replayed = {}
    for stream in streams:
        bad.clear()
        seen = TouchesSeen()
        try:
            replayed[stream] = done = replay_stream(
                storage, stream, known_seq,
                with_progress(seen.hook(on_stream(stream)), progress))
        except AuditError as exc:
            problems.add("view", getattr(exc, "finding", str(exc)), table="events",
                         row={"stream": stream})
            continue
        if stale is not None:
            continue
        for key in bad:
            problems.add("view", f"the snapshot at seq {key[1]} differs from a fresh replay to "
                         "that point (as-of queries from it are wrong)", seq=key[1],
                         table="docket_snapshots", row={"stream": stream, "seq": key[1]})
        for key in sorted(snapshots.pop(stream, ())):
            problems.add("view", f"a snapshot at seq {key[1]}, occurred_us {key[0]}, matches no "
                         "position of a fresh replay", seq=key[1], table="docket_snapshots",
                         row={"stream": stream, "seq": key[1]})
        check_touches(storage, stream, seen, problems)
        head = heads.pop(stream, None)
        _check_head(storage, stream, head[0] if head else None, done.state, problems)
        if head is not None and head[1] <= known_seq:
            _check_position(storage, stream, head[1], problems)
        _check_deadlines(storage, stream, done.state, problems)
        stored = views.stored_rows(stream)
        for table, rows in view_rows(done.view).items():
            _compare_rows(table, rows, stored[table], problems)
    # Rows of streams the log does not hold.
    known = set(streams)
    # (A log whose views another fold wrote may lack tables this one has.)
    for table in (*(TABLES if stale is None else ()), "docket_view_heads", "docket_fold",
                  "docket_snapshots", "docket_touches"):
        for stream, n in storage.streams_in(table):
            if stream not in known:
                problems.add("view", f"{n} rows of a stream the log does not hold", table=table,
                             row={"stream": stream})
    last_view = max((h[1] for h in all_heads.values()), default=None)
    if last_view is not None and last_view > known_seq:
        problems.add("chain", f"the stored views were last brought up to seq {last_view} but "
                     f"the log ends at seq {known_seq}: events after it were removed",
                     seq=known_seq + 1)
    return replayed


def _check_deadlines(storage, stream: str, fresh: dict, problems: Problems) -> None:
    """The index of deadlines (which orders a new reference time can make overdue, so the
    append refreshes their rows): one row per order with a deadline, ending where it ends."""
    want = {k: upper_bound(o["deadline"]) for k, o in fresh["orders"].items() if o["deadline"]}
    have = dict(storage.select("docket_deadlines", (stream,), ("order_id", "end_us")))
    for key in sorted(want.keys() | have.keys()):
        if want.get(key) != have.get(key):
            what = ("missing from the table" if key not in have else
                    "not in a fresh replay (an extra row)" if key not in want else
                    f"end_us is {have[key]} in the table, {want[key]} in a fresh replay")
            problems.add("view", f"{what} (appends would not refresh the order's overdue)",
                         table="docket_deadlines", row={"stream": stream, "order_id": key})


def _check_position(storage, stream: str, log_seq: int, problems: Problems) -> None:
    """The views keep their own position per stream (the log's seq when they were last
    brought up to date): it must cover the stream's last event."""
    last = storage.last_seq_of(stream)
    if last > log_seq:
        problems.add("view", f"the stored views stop at seq {log_seq}, but the stream's last "
                     f"event is seq {last} (`docket rebuild` brings them up to date)",
                     seq=last, table="docket_view_heads", row={"stream": stream})


def _check_head(storage, stream: str, scalars: bytes | None, fresh: dict,
                problems: Problems) -> None:
    """The saved fold state (what current queries and the next append start from): its
    scalars in `docket_view_heads`, its entities one row each in `docket_fold`."""
    if scalars is None:
        problems.add("view", "no saved fold state for this stream (`docket rebuild` makes it)",
                     table="docket_view_heads", row={"stream": stream})
        return
    saved = decode_state(scalars)
    differ = sorted(k for k, v in saved.items() if fresh.get(k, _MISSING) != v)
    if differ:
        problems.add("view", f"the saved {', '.join(differ)} differ from a fresh replay",
                     table="docket_view_heads", row={"stream": stream})
    kinds = [k for k in fresh if k not in saved]  # the entities, kept one row each
    seen: dict[str, set] = {k: set() for k in kinds}
    for kind, key, value in storage.select("docket_fold", (stream,), ("kind", "key", "value")):
        where = {"table": "docket_fold", "row": {"stream": stream, "kind": kind, "key": key}}
        if kind not in seen or key not in fresh[kind]:
            problems.add("view", "not in a fresh replay (an extra row)", **where)
            continue
        seen[kind].add(key)
        if value != encode_state(fresh[kind][key]) and decode_state(value) != fresh[kind][key]:
            problems.add("view", "differs from a fresh replay (current queries read it)", **where)
    for kind in kinds:
        for key in fresh[kind]:
            if key not in seen[kind]:
                problems.add("view", "missing from the table (a fresh replay has it)",
                             table="docket_fold", row={"stream": stream, "kind": kind, "key": key})
