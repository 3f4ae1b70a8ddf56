"""Projections: each stream's views written as files a repository can commit (`docket project`).

For every stream, `DIR/<stream>/` gets `state.json` (the SPEC §5 state view now),
`compliance.json` (the stream's rows of `docket compliance --json`), `timeline.json` (the
stream's records as `docket log --json` prints them), `summary.md` (a Markdown table of
the compliance view and the fingerprint) and `report.html` (the page `docket report --stream`
makes of the whole stream, issue 8). JSON files have sorted keys, a 2-space indent and a
trailing newline; nothing depends on the wall clock or on where the files are written, so
the same log always gives the same bytes and a diff shows only what the events changed.
`DIR/index.md` and `DIR/index.html` compare the streams (`docket.report.index`).

Everything here is computed by a fresh fold of the log from its first event (no stored view,
no snapshot; see `docket.replay.replay_stream`), so `docket verify --projections DIR` can compare committed
files with exactly what a replay gives, and the audit shares the same fold.
"""

from __future__ import annotations

from typing import Any

from ..audit.checkpoint import checkpoint_in
from ..codec import pretty_json
from ..files import write_inside
from ..replay import (
    Progress,
    Replayed,
    records_in_order,
    replay_stream,
    unreadable,
    with_progress,
)
from ..times import time_key
from ..views import compliance_rows, reference_time
from ..views.summary import printable
from .index import dispute_rows, index_html, index_markdown, order_rows, plain

__all__ = [
    "FILES",
    "markdown_text",
    "project",
    "render",
    "render_stream",
    "write_files",
]

# The files written per stream, in the order they are listed.
FILES = ("state.json", "compliance.json", "timeline.json", "summary.md", "report.html")


def _json(obj: Any) -> bytes:
    return (pretty_json(obj) + "\n").encode()


# Markdown's inline punctuation (emphasis, code, links, tables, strikethrough, escapes) is
# backslash-escaped and `<`, `>`, `&` become entities, so no field becomes markup or HTML; a
# line break becomes a space (a row stays one row) and other controls are written as escapes.
_MARKDOWN = {ord(c): "\\" + c for c in "\\`*_[]|~"}
_MARKDOWN.update({ord("<"): "&lt;", ord(">"): "&gt;", ord("&"): "&amp;"})


def markdown_text(value: Any) -> str:
    """`value` as literal text in Markdown (and in the HTML it renders to), on one line."""
    return printable(" ".join(str(value).splitlines())).translate(_MARKDOWN)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return markdown_text(f"{value['actioned']}/{value['specified']} ({value['reporter']})")
    return markdown_text(plain(value))


_SUMMARY_COLUMNS = (
    ("order", "order_id"), ("issued", "issued_at"), ("issuer", "issuer"),
    ("targets", "target_count"), ("blocked", "blocked"), ("restored", "restored"),
    ("compliance", "compliance"), ("status", "status"), ("overdue", "overdue"),
    ("notices", "notices"), ("acknowledged", "acknowledged"), ("reported", "reported"),
)


def _summary(view: dict, rows: list[dict]) -> bytes:
    lines = [
        f"# {markdown_text(view['stream'])}",
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


def render_stream(storage, replayed: Replayed, checkpoint: dict,
                  seen: dict | None = None) -> dict[str, bytes]:
    """The files of one stream (name -> bytes), from a fresh fold.

    `checkpoint`: the whole log's (`checkpoint.checkpoint_in`), which the report page shows;
    `seen`, when given, gets the stream's compliance rows and timeline (for the index).
    """
    # Imported here: the page's modules are only needed when projections are written or
    # compared, and `docket verify` without --projections should not load them.
    from .page import render_page

    state, stream = replayed.state, replayed.stream
    rows = compliance_rows(state, stream=stream, ref_time_us=reference_time(state, None))
    # The order `EventLog.compliance` gives (stable for orders issued at the same time).
    rows.sort(key=lambda r: (time_key(r["issued_at"]), r["stream"], r["order_id"]))
    try:
        timeline = [record for _, record in records_in_order(
            storage, stream, replayed.known_seq, replayed.amend)]
        # The same page as `docket report --stream S` with no as_of/known_at: the state,
        # compliance and timeline views now, which a fresh fold gives exactly.
        page = render_page(replayed.view, rows, timeline, checkpoint).encode()
    except Exception as exc:  # noqa: BLE001 - stored bytes the timeline or page cannot read
        raise unreadable(stream, exc) from None
    if seen is not None:
        seen[stream] = (rows, timeline)
    return {
        "state.json": _json(replayed.view),
        "compliance.json": _json(rows),
        "timeline.json": _json(timeline),
        "summary.md": _summary(replayed.view, rows),
        "report.html": page,
    }


def render(storage, replayed: dict[str, Replayed] | None = None,
           progress: Progress | None = None) -> dict[str, bytes]:
    """Every projection file (`<stream>/<name>` -> bytes) of the log as the current
    transaction of `storage` sees it.

    `replayed` reuses folds already made (the audit's); missing streams are folded here.
    `progress` is ticked with the records folded and then with the rows the checkpoint
    hashes (twice the log's length in all when every stream is folded here).
    """
    known_seq = storage.known_seq()
    streams = storage.stream_names()
    folds = {}
    for stream in streams:
        done = (replayed or {}).get(stream)
        folds[stream] = done if done is not None else replay_stream(
            storage, stream, known_seq, with_progress(None, progress))
    # Every stream's page shows the whole log's checkpoint, taken once, in this transaction.
    checkpoint = checkpoint_in(storage, folds, progress=progress)
    out: dict[str, bytes] = {}
    seen: dict[str, tuple] = {}
    for stream in streams:
        for name, content in render_stream(storage, folds[stream], checkpoint, seen).items():
            out[f"{stream}/{name}"] = content
    if streams:
        rows = {s: seen[s][0] for s in streams}
        disputes = dispute_rows(folds, rows, {s: seen[s][1] for s in streams})
        orders = order_rows(rows)
        out["index.md"] = index_markdown(disputes, orders, markdown_text)
        out["index.html"] = index_html(disputes, orders)
    return out


def write_files(out_dir: str, files: dict[str, bytes]) -> list[str]:
    """Write `files` (relative paths, `/` between parts) under `out_dir`, creating the
    folders they need; only files whose bytes change are rewritten.

    Every path is checked to stay inside `out_dir` before anything is written (a stream
    named `../x` cannot write elsewhere), and each file is written whole or not at all
    (`docket.files`), so a reader never sees half a file. Returns the relative paths that
    changed, sorted; raises StorageError naming the file and the reason.
    """
    return write_inside(out_dir, files)


def project(log, out_dir: str, progress: Progress | None = None) -> dict:
    """Write each stream's views under `out_dir` (`docket project --out DIR`).

    Returns `{"streams", "files", "changed"}`: the stream count, every file written (relative
    paths, sorted) and those whose content changed. `progress`: see `render`.
    """
    with log.storage.reading():
        files = render(log.storage, progress=progress)
    changed = write_files(str(out_dir), files)
    streams = len({rel.split("/")[0] for rel in files if "/" in rel})
    return {"streams": streams, "files": sorted(files), "changed": changed}
