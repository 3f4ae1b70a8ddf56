"""Replaying a stream from the log: its records in replay order, amended, and folded.

Everything here reads inside the caller's transaction of a `docket.storage.base.Storage`, so
a view is computed from one consistent snapshot. The fold itself is `projection.fold_pages`,
the one fold loop; this module feeds it:

- a stream without retractions or corrections (most streams, and every replay's hot path)
  feeds the stored rows straight through, each body decoded into a slim `Folded` record in
  the loop (msgspec skips sources and hashes in C);
- a stream with amendments feeds records already amended (retracted ones and the amending
  records themselves dropped, corrected ones replaced), with the few events a correction
  moved merged in at their new place.

`replay_stream` folds a stream from its first event, trusting no stored view or snapshot:
the audit compares the stored views, a checkpoint's fingerprint and the committed
projections with it, and `docket project` writes its files from it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Iterator, NamedTuple

import msgspec

from .errors import AuditError
from .projection import Cited, Folded, OnFold, fold_pages
from .timeline import Amendments, amendments
from .times import time_key
from .views import state_view

__all__ = [
    "Progress",
    "Replayed",
    "fold_decoded",
    "fold_stream",
    "records_in_order",
    "replay_all",
    "replay_stream",
    "unreadable",
    "with_progress",
]

Progress = Callable[[int], None]
_MAX = 2**63 - 1
_FIRST = (-_MAX, 0)
_decode_dict = msgspec.json.Decoder().decode
_DECODERS = {Folded: msgspec.json.Decoder(Folded).decode,
             Cited: msgspec.json.Decoder(Cited).decode}


def _same(item: Any) -> Any:
    return item


def _amended_pages(storage, stream: str, known_seq: int, amend: Amendments,
                   after: tuple[int, int], until_us: int, decode, apply
                   ) -> Iterator[list[tuple[int, int, Any]]]:
    """Pages of (occurred_us, seq, record) in replay order, each record decoded and amended
    (`apply` returns None for one to drop); events a correction moved are skipped at their
    stored place and merged in at their new one."""
    moved = amend.moved()
    pages = storage.replay_rows(stream, known_seq, after, until_us)
    if not moved:
        for rows in pages:
            page = []
            for occurred_us, seq, body in rows:
                record = apply(decode(body))
                if record is not None:
                    page.append((occurred_us, seq, record))
            yield page
        return

    def scanned():
        for rows in pages:
            for occurred_us, seq, body in rows:
                record = apply(decode(body))
                if record is not None and _ident(record) not in moved:
                    yield occurred_us, seq, record

    extra = []
    for body in storage.bodies_by_id(list(moved), known_seq):
        record = apply(decode(body))
        if record is None:
            continue
        key = (time_key(_occurred(record)), _seq(record))
        if after < key and key[0] <= until_us:
            extra.append((*key, record))
    extra.sort(key=lambda item: (item[0], item[1]))
    page: list = []
    for item in heapq.merge(scanned(), extra, key=lambda item: (item[0], item[1])):
        page.append(item)
        if len(page) == 4096:
            yield page
            page = []
    yield page


def _ident(record) -> str:
    return record["id"] if isinstance(record, dict) else record.id


def _occurred(record) -> str:
    return record["occurred_at"] if isinstance(record, dict) else record.occurred_at


def _seq(record) -> int:
    return record["seq"] if isinstance(record, dict) else record.seq


def fold_stream(
    storage, stream: str, known_seq: int, amend: Amendments, state: dict | None = None,
    after: tuple[int, int] = _FIRST, until_us: int = _MAX, on_fold: OnFold | None = None,
    record_type: type = Folded,
) -> tuple[dict, tuple[int, int] | None, int]:
    """Fold `stream`'s records in (after, until_us] known by `known_seq` onto `state` (or the
    initial state), through `projection.fold_pages`; returns (state, last key, count).

    `record_type` is what each record is decoded as (`Cited` for folds that cite them)."""
    decode = _DECODERS[record_type]
    if not amend:
        return fold_pages(state, storage.replay_rows(stream, known_seq, after, until_us),
                          decode, on_fold)
    pages = _amended_pages(storage, stream, known_seq, amend, after, until_us, decode,
                           amend.apply_struct)
    return fold_pages(state, pages, _same, on_fold)


def fold_decoded(state: dict, records: list[tuple[int, int, Any]], amend: Amendments,
                 on_fold: OnFold | None = None) -> tuple[dict, tuple[int, int] | None, int]:
    """`fold_stream` of records the caller holds decoded already, (occurred_us, seq,
    `Folded`) in any order: sorted into replay order, each amended as `fold_stream` would
    (for an append's own events, which need no read of the log and no second decode)."""
    page = sorted(records)  # seqs are unique, so two records are never compared
    if amend:
        page = [(occ, seq, rec) for occ, seq, rec in
                ((occ, seq, amend.apply_struct(rec)) for occ, seq, rec in page)
                if rec is not None]
    return fold_pages(state, [page], _same, on_fold)


def records_in_order(storage, stream: str, known_seq: int, amend: Amendments,
                     after: tuple[int, int] = _FIRST, until_us: int = _MAX,
                     ) -> Iterator[tuple[tuple[int, int], dict]]:
    """(replay key, record) of the stream in replay order in (after, until_us], as the
    timeline shows it: whole records (dicts), corrected, retracted ones marked `retracted`
    and the amending records themselves kept (`docket log`)."""
    for page in _amended_pages(storage, stream, known_seq, amend, after, until_us,
                               _decode_dict, amend.annotate):
        for occurred_us, seq, record in page:
            yield (occurred_us, seq), record


class Replayed(NamedTuple):
    """One stream folded from scratch: the state, its amendments and the SPEC §5 state view."""

    stream: str
    state: dict
    amend: Any
    view: dict
    known_seq: int


def view_of(storage, stream: str, state: dict, amend: Amendments, known_seq: int,
            as_of: str | None = None, known_at: str | None = None,
            consume: bool = False, judged_at: str | None = None) -> dict:
    """The SPEC §5 state view of a folded `state` of `stream` (its version as of
    `known_seq`; `last_seq` counts the amending records too). With `consume` the state is
    emptied into the view (see `state_view`)."""
    last_seq = max([state["last_seq"], *amend.seqs])
    return state_view(state, stream=stream, as_of=as_of, known_at=known_at,
                      version=storage.stream_version(stream, known_seq), last_seq=last_seq,
                      consume=consume, judged_at=judged_at)


def replay_stream(storage, stream: str, known_seq: int,
                  on_fold: OnFold | None = None, view_only: bool = False) -> Replayed:
    """Fold `stream` from its first event (events up to `known_seq`), ignoring every stored
    view and snapshot. Raises AuditError when the stored bytes cannot be folded.

    `view_only`: the caller wants the view alone, so the state is emptied into it
    (`Replayed.state` is then an empty dict) and the replay's peak memory is lower."""
    try:
        amend = amendments(storage, stream, known_seq)
        state = fold_stream(storage, stream, known_seq, amend, on_fold=on_fold)[0]
        view = view_of(storage, stream, state, amend, known_seq, consume=view_only)
    except AuditError:
        raise
    except Exception as exc:  # noqa: BLE001 - stored bytes the fold cannot read
        raise unreadable(stream, exc) from None
    return Replayed(stream, state, amend, view, known_seq)


def unreadable(stream: str, exc: Exception) -> AuditError:
    """The error for a stream whose stored bytes a fresh replay cannot read; its `finding`
    is the message without the advice to run `docket verify` (for verify's own report)."""
    finding = f"stream {stream!r}: a fresh replay fails ({type(exc).__name__}: {exc})"
    error = AuditError(f"{finding}; `docket verify` shows which events are damaged")
    error.finding = finding
    return error


def replay_all(storage, known_seq: int, progress: Progress | None = None,
               on_error: Callable[[str, AuditError], None] | None = None
               ) -> dict[str, Replayed]:
    """Fold every stream afresh; a stream that cannot be folded raises AuditError, or is
    passed to `on_error(stream, error)` (and left out) when that is given."""
    out = {}
    for stream in storage.stream_names():
        try:
            out[stream] = replay_stream(storage, stream, known_seq, with_progress(None, progress))
        except AuditError as exc:
            if on_error is None:
                raise
            on_error(stream, exc)
    return out


def with_progress(hook: OnFold | None, progress: Progress | None) -> OnFold | None:
    """`hook`, also ticking `progress` every 1000 records folded."""
    if progress is None:
        return hook

    def on_fold(key, record, state, n):
        if n % 1000 == 0:
            progress(1000)
        if hook is not None:
            hook(key, record, state, n)

    return on_fold
