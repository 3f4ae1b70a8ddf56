"""Fresh folds: each stream folded from its first event, trusting no stored view or snapshot.

The audit compares the stored views, a checkpoint's fingerprint and the committed projections
with these folds, and `docket project` writes its files from them, so all of them share one
fold and one way of reporting a stream the fold cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import AuditError
from .gcpause import paused_gc
from .replay import amendments, fold_stream
from .storage.sqlite import stream_names

__all__ = ["Progress", "Replayed", "replay_all", "replay_stream", "unreadable", "with_progress"]

Progress = Callable[[int], None]
OnFold = Callable[[tuple[int, int], dict, int], None]


class Replayed(NamedTuple):
    """One stream folded from scratch: the state, its amendments and the SPEC §5 state view."""

    stream: str
    state: dict
    amend: Any
    view: dict
    known_seq: int


def replay_stream(conn, views, stream: str, known_seq: int,
                  on_fold: OnFold | None = None) -> Replayed:
    """Fold `stream` from its first event (events up to `known_seq`), ignoring every snapshot.

    `views` is the log's `StoredViews` (for `view_of`); `on_fold(key, state, n)` is called
    after each record, as `replay.fold_stream` does.
    """
    try:
        amend = amendments(conn, stream, known_seq)
        state = fold_stream(conn, stream, known_seq, amend, on_fold=on_fold)[0]
        with paused_gc():  # a view of a big state is a burst of small acyclic objects
            view = views.view_of(conn, stream, state, amend, known_seq)
    except Exception as exc:  # noqa: BLE001 - stored bytes the fold cannot read
        raise unreadable(stream, exc) from None
    return Replayed(stream, state, amend, view, known_seq)


def unreadable(stream: str, exc: Exception) -> AuditError:
    """The error for a stream whose stored bytes a fresh replay cannot read."""
    return AuditError(f"stream {stream!r}: a fresh replay fails ({type(exc).__name__}: {exc}); "
                      "`docket verify` shows which events are damaged")


def replay_all(conn, views, known_seq: int, progress: Progress | None = None,
               on_error: Callable[[str, AuditError], None] | None = None
               ) -> dict[str, Replayed]:
    """Fold every stream afresh; a stream that cannot be folded raises AuditError, or is
    passed to `on_error(stream, error)` (and left out) when that is given."""
    out = {}
    for stream in stream_names(conn):
        try:
            out[stream] = replay_stream(conn, views, stream, known_seq,
                                        with_progress(None, progress))
        except AuditError as exc:
            if on_error is None:
                raise
            on_error(stream, exc)
    return out


def with_progress(hook: OnFold | None, progress: Progress | None) -> OnFold | None:
    """`hook`, also ticking `progress` every 1000 records folded."""
    if progress is None:
        return hook

    def on_fold(key, state, n):
        if n % 1000 == 0:
            progress(1000)
        if hook is not None:
            hook(key, state, n)

    return on_fold
