"""The audit (SPEC §6 `verify`, `checkpoint`; §7): trust the log without trusting its operator.

`verify` checks, inside one read transaction (one consistent snapshot of the file):

0. the database itself: its own full integrity check (SQLite's `PRAGMA integrity_check`:
   pages, b-trees, every index against its table), each line a problem of kind `database`;
   a file too damaged to read to the end is reported, not raised;
1. the chain: every `hash` recomputes from the stored bytes and the previous row's hash,
   every `prev_hash` links, `seq` runs 1, 2, 3, … without gaps, each stream's versions
   likewise, `recorded_at` never decreases, the stored bytes agree with the row's indexed
   columns (seq, id, stream, version, type, occurred_us, recorded_us), and the immutability
   triggers are in place (`docket.audit.chain`); every row of `refs`, the index the append
   and the replay trust, is what the stored bytes call for, none missing, none extra
   (`docket.audit.refs_check`, kind `index`); and every stored event is one the log takes
   on import: valid for the catalogue, its citations introduced before it by the stored
   bodies (`docket.audit.events_check`, kind `event`);
2. the stored views: every view table row, the saved fold state, the index of deadlines
   and every snapshot equal a fresh fold of the log from its first event
   (`docket.audit.replay_check`);
3. with a checkpoint: the log still extends it (an RFC 6962 consistency proof from its size
   to now verifies against its root and the current root; its head is still the hash at
   that size), which catches a rewrite even when every later hash was recomputed
   (`docket.audit.checkpoint`); so it does every signed checkpoint the log kept
   (`docket.audit.kept`);
4. with a projections folder: the files `docket project` wrote equal a fresh replay's
   (`docket.audit.projections`).

It returns a report `{"ok", "events", "problems"}`; each problem names its `kind`
(`database`, `chain`, `index`, `event`, `trigger`, `view`, `checkpoint`, `projection`), the
`seq` it concerns (or null), a `message`, and where that applies the `table` and `row`, or
the `file` (`docket.audit.problems`).

This module runs the checks in order; each lives in the module named above. The names the
API and the command line use are importable from here.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import DamagedDatabase, StorageError
from ..replay import Progress, Replayed, replay_all
from .chain import check_triggers
from .chain_split import scan_chain
from .checkpoint import (
    CHECKPOINT_VERSION,
    ProofTree,
    check_checkpoint,
    check_fingerprint,
    checkpoint,
    load_checkpoint,
)
from .kept import KeptTrees
from .problems import MAX_LISTED, Problems, problem_line
from .projections import check_projections
from .events_check import check_events
from .refs_check import check_refs
from .replay_check import check_views

__all__ = [
    "CHECKPOINT_VERSION",
    "MAX_LISTED",
    "checkpoint",
    "load_checkpoint",
    "problem_line",
    "unreadable_report",
    "verify",
]


def verify(log, checkpoint: Any = None, projections: str | os.PathLike | None = None, *,
           views: bool = True, progress: Progress | None = None, key: Any = None) -> dict:
    """Audit the log; returns `{"ok": bool, "events": n, "problems": [...]}` (SPEC §6).

    `checkpoint`: a path to a checkpoint file (or the dict `checkpoint()` returned) that the
    log must still extend. `projections`: a folder written by `project` to compare with a
    fresh replay. `views=False` skips the fresh replay of the stored views (the chain,
    triggers and checkpoint are still checked; projections still need the replay).
    `key`: the log's verifier key (a `note.Verifier`), whose signature every kept signed
    checkpoint must carry (`docket.audit.kept`).
    """
    problems = Problems()
    cp, cp_name = None, None
    if isinstance(checkpoint, tuple):  # a signed note, its signatures checked: (file, dict)
        cp_name, checkpoint = checkpoint
    if checkpoint is not None:
        cp_name = cp_name or ("checkpoint" if isinstance(checkpoint, dict)
                              else os.fspath(checkpoint))
        try:
            cp = load_checkpoint(checkpoint)
        except ValueError as exc:
            problems.add("checkpoint", f"not a Docket checkpoint: {exc}", file=cp_name)
    storage = log.storage
    try:
        events = _audit(log, storage, problems, cp, cp_name, projections, views, progress, key)
    except StorageError as exc:
        if not problems.count.get("database") and not isinstance(exc, DamagedDatabase):
            raise
        # A file too damaged to read to the end: what was found, and where reading stopped
        # (in SQLite's words: the error's own advice is to run this audit).
        said = f"the database is damaged (SQLite says: {exc.said})" \
            if isinstance(exc, DamagedDatabase) else str(exc)
        problems.add("database", f"the audit stopped here: {said}")
        events = _count(storage)
    found = problems.result()
    return {"ok": not found, "events": events, "problems": found}


def unreadable_report(location: str, exc: DamagedDatabase) -> dict:
    """`verify`'s report on a database too damaged to be opened or counted (its schema's or
    its first pages unreadable: a truncated copy): one `database` problem and no event
    count (None), as a report, not an error, so that an audit script still gets one."""
    problems = Problems()
    problems.add("database", f"{location} cannot be read, so nothing in it could be checked "
                             f"(SQLite says: {exc.said}); restore it from a backup or an export")
    return {"ok": False, "events": None, "problems": problems.result()}


def _count(storage) -> int | None:
    """How many events a damaged database says it holds (None when it cannot say)."""
    try:
        with storage.reading():
            return storage.count()
    except StorageError:
        return None


def _audit(log, storage, problems: Problems, cp, cp_name, projections, views: bool,
           progress: Progress | None, key) -> int:
    with storage.reading():
        for line in storage.integrity_problems():
            problems.add("database", line)
        check_triggers(storage, problems)
        tree = None
        if cp is not None:
            tree = ProofTree(cp["size"], storage.count())
        kept = KeptTrees(storage.checkpoints(), problems, tree, key)
        # Kept notes need every leaf in order: one pass in this process feeds them all.
        refs: list = []
        events, _ = scan_chain(storage, problems, kept if kept.points else tree, progress, refs)
        check_refs(storage, refs, problems)
        check_events(storage, refs, problems)  # citations against what the bodies introduce
        del refs
        kept.check(events, problems)
        if cp is not None:
            check_checkpoint(cp, tree, events, cp_name, problems)
        replayed: dict[str, Replayed] = {}
        if views or projections is not None:
            known_seq = storage.known_seq()
            if views:
                replayed = check_views(storage, log.views, known_seq, problems, progress)
            else:
                replayed = replay_all(storage, known_seq, progress, _view_problem(problems))
            streams = len(storage.stream_names())
            # A stream that could not be folded was reported already; a fingerprint without
            # it would only add a second, vaguer report of the same damage.
            if len(replayed) == streams:
                kept.check_views(replayed, events, problems)
            if cp is not None and len(replayed) == streams:
                check_fingerprint(cp, replayed, events, cp_name, problems)
        if projections is not None:
            check_projections(storage, os.fspath(projections), replayed, problems)
    return events


def _view_problem(problems: Problems):
    def on_error(stream: str, exc: Exception) -> None:
        # The report is the audit: not its advice to run it (`replay.unreadable`).
        problems.add("view", getattr(exc, "finding", str(exc)), table="events",
                     row={"stream": stream})

    return on_error
