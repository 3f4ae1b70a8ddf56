"""Projections: each stream's views written as files a repository can commit (`docket project`).

For every stream, `DIR/<stream>/` gets `state.json` (the SPEC §5 state view now),
`compliance.json` (the stream's rows of `docket compliance --json`), `timeline.json` (the
stream's records as `docket log --json` prints them) and `summary.md` (a Markdown table of
the compliance view and the fingerprint). JSON files have sorted keys, a 2-space indent and
a trailing newline; nothing depends on the wall clock or on where the files are written, so
the same log always gives the same bytes and a diff shows only what the events changed.

Everything here is computed by a fresh fold of the log from its first event (no stored view,
no snapshot), so `docket verify --projections DIR` can compare committed files with exactly
what a replay gives, and the audit shares the same fold.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import AuditError
from .output import pretty_json
from .replay import Selection, amendments, fold_from, ordered_records
from .times import time_key
from .views import compliance_rows, reference_time

__all__ = [
    "FILES",
    "Replayed",
    "project",
    "render",
    "render_stream",
    "replay_stream",
    "write_files",
]

# The files written per stream, in the order they are listed.
FILES = ("state.json", "compliance.json", "timeline.json", "summary.md")


class Replayed(NamedTuple):
    """One stream folded from scratch: the state, its amendments and the SPEC §5 state view."""

    stream: str
    state: dict
    amend: Any
    view: dict
    known_seq: int


def replay_stream(conn, views, stream: str, known_seq: int,
                  on_fold: Callable[[tuple[int, int], dict, int], None] | None = None) -> Replayed:
    """Fold `stream` from its first event (events up to `known_seq`), ignoring every snapshot.

    `views` is the log's `StoredViews` (for `view_of`); `on_fold(key, state, n)` is called
    after each record, as `replay.fold_from` does.
    """
    try:
        amend = amendments(conn, stream, known_seq)
        state = fold_from(None, ordered_records(conn, stream, known_seq, amend), on_fold)[0]
        view = views.view_of(conn, stream, state, amend, known_seq)
    except Exception as exc:  # noqa: BLE001 - stored bytes the fold cannot read
        raise _unreadable(stream, exc) from None
    return Replayed(stream, state, amend, view, known_seq)


def _unreadable(stream: str, exc: Exception) -> AuditError:
    return AuditError(f"stream {stream!r}: a fresh replay fails ({type(exc).__name__}: {exc}); "
                      "`docket verify` shows which events are damaged")


def _json(obj: Any) -> bytes:
    return (pretty_json(obj) + "\n").encode()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return f"{value['actioned']}/{value['specified']} ({value['reporter']})"
    return str(value).replace("|", "\\|").replace("\n", " ")


_SUMMARY_COLUMNS = (
    ("order", "order_id"), ("issued", "issued_at"), ("issuer", "issuer"),
    ("targets", "target_count"), ("blocked", "blocked"), ("restored", "restored"),
    ("compliance", "compliance"), ("status", "status"), ("overdue", "overdue"),
    ("notices", "notices"), ("acknowledged", "acknowledged"), ("reported", "reported"),
)


def _summary(view: dict, rows: list[dict]) -> bytes:
    lines = [
        f"# {view['stream']}",
        "",
        (f"Written by `docket project` from the log at seq {view['last_seq']} "
         f"(stream version {view['version']}); do not edit by hand."),
        "",
        f"- fingerprint: `{view['fingerprint']}`",
        (f"- orders: {len(rows)}, accounts: {len(view['accounts'])}, "
         f"notices: {len(view['notices'])}, challenges: {len(view['challenges'])}"),
        "",
    ]
    if rows:
        lines.append("| " + " | ".join(h for h, _ in _SUMMARY_COLUMNS) + " |")
        lines.append("|" + "|".join("---" for _ in _SUMMARY_COLUMNS) + "|")
        for row in rows:
            lines.append("| " + " | ".join(_cell(row.get(k)) for _, k in _SUMMARY_COLUMNS) + " |")
    else:
        lines.append("No orders.")
    return ("\n".join(lines) + "\n").encode()


def render_stream(conn, replayed: Replayed) -> dict[str, bytes]:
    """The files of one stream (name -> bytes), from a fresh fold."""
    state, stream = replayed.state, replayed.stream
    rows = compliance_rows(state, stream=stream, ref_time_us=reference_time(state, None))
    # The order `EventLog.compliance` gives (stable for orders issued at the same time).
    rows.sort(key=lambda r: (time_key(r["issued_at"]), r["stream"], r["order_id"]))
    try:
        timeline = [record for _, record in ordered_records(
            conn, stream, replayed.known_seq, replayed.amend, annotate=True)]
    except Exception as exc:  # noqa: BLE001 - stored bytes the timeline cannot read
        raise _unreadable(stream, exc) from None
    return {
        "state.json": _json(replayed.view),
        "compliance.json": _json(rows),
        "timeline.json": _json(timeline),
        "summary.md": _summary(replayed.view, rows),
    }


def render(conn, views, replayed: dict[str, Replayed] | None = None) -> dict[str, bytes]:
    """Every projection file (`<stream>/<name>` -> bytes) of the log as `conn` sees it.

    `replayed` reuses folds already made (the audit's); missing streams are folded here.
    """
    known_seq = Selection(conn).known_seq
    streams = [r[0] for r in conn.execute("SELECT DISTINCT stream FROM events ORDER BY stream")]
    out: dict[str, bytes] = {}
    for stream in streams:
        done = (replayed or {}).get(stream)
        if done is None:
            done = replay_stream(conn, views, stream, known_seq)
        for name, content in render_stream(conn, done).items():
            out[f"{stream}/{name}"] = content
    return out


def write_files(out_dir: str, files: dict[str, bytes]) -> list[str]:
    """Write `files` under `out_dir`; only files whose bytes change are rewritten.

    Each file is written to a temporary name and renamed, so a reader never sees half a
    file. Returns the relative paths that changed, sorted.
    """
    changed = []
    for rel in sorted(files):
        path = os.path.join(out_dir, *rel.split("/"))
        content = files[rel]
        try:
            with open(path, "rb") as fh:
                if fh.read() == content:
                    continue
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
        changed.append(rel)
    return changed


def project(log, out_dir: str) -> dict:
    """Write each stream's views under `out_dir` (`docket project --out DIR`).

    Returns `{"streams", "files", "changed"}`: the stream count, every file written (relative
    paths, sorted) and those whose content changed.
    """
    from .errors import StorageError

    with log.store.read() as conn:
        files = render(conn, log.views)
    try:
        changed = write_files(str(out_dir), files)
    except OSError as exc:
        reason = exc.strerror or exc
        raise StorageError(f"cannot write projections to {out_dir}: {reason}") from None
    streams = len({rel.split("/")[0] for rel in files})
    return {"streams": streams, "files": sorted(files), "changed": changed}
