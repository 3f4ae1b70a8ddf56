"""Committed projections versus a fresh replay (SPEC §6 `verify --projections`): the files
`docket project` wrote, compared byte for byte with what it would write now.

A difference names the file and its first differing line, so a hand edit, a stale commit or
a file left behind by a stream that no longer exists is found in review, not in production.
"""

from __future__ import annotations

import os

from ..errors import AuditError
from ..replay import Replayed
from ..report.project import FILES, render
from .problems import Problems

__all__ = ["check_projections"]


def _first_difference(a: bytes, b: bytes) -> int:
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return i + 1
    return min(len(la), len(lb)) + 1


def check_projections(storage, directory: str, replayed: dict[str, Replayed],
                      problems: Problems) -> None:
    """Compare the files under `directory` with what `docket project` writes now, reporting in
    `problems` each file that differs, is missing, or belongs to a stream the log lacks.

    `replayed`: fresh folds already made (the audit's); the others are folded here. Files
    that are not projections (a README, notes) are left alone."""
    base = str(directory).rstrip("/\\") or str(directory)
    if not os.path.isdir(directory):
        problems.add("projection", "not a folder (write it with `docket project --out`)",
                     file=base)
        return
    try:
        expected = render(storage, replayed)
    except AuditError as exc:
        problems.add("projection", f"cannot compare: {exc}", file=base)
        return
    for rel in sorted(expected):
        path = os.path.join(directory, *rel.split("/"))
        name = f"{base}/{rel}"
        try:
            with open(path, "rb") as fh:
                content = fh.read()
        except OSError:
            problems.add("projection", "missing (`docket project` writes it)", file=name)
            continue
        if content != expected[rel]:
            line = _first_difference(content, expected[rel])
            problems.add("projection", f"differs from a fresh replay (from line {line}; "
                         "`docket project` rewrites it)", file=name)
    streams = {rel.split("/")[0] for rel in expected}
    for entry in sorted(os.listdir(directory)):
        sub = os.path.join(directory, entry)
        if entry in streams or not os.path.isdir(sub):
            continue
        for file in sorted(set(os.listdir(sub)) & set(FILES)):
            problems.add("projection", f"the log holds no stream {entry!r}",
                         file=f"{base}/{entry}/{file}")
