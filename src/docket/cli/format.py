"""Formatting results for people and scripts: JSON lines, CSV, plain tables, progress bars."""

from __future__ import annotations

import csv
import io
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from ..codec import json_text as json_line
from ..codec import pretty_json

__all__ = ["json_line", "pretty_json", "table", "csv_text", "progress", "cell"]


def cell(value: Any) -> str:
    """A value as tables print it: yes/no, `-` for nothing, lists comma-joined."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return json_line(value)
    return str(value)


def table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """A plain, aligned text table of `columns` of `rows`."""
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def csv_text(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """CSV with a header; lists joined by `;`, dicts as JSON, None as empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        out = []
        for c in columns:
            v = r.get(c)
            if v is None:
                out.append("")
            elif isinstance(v, bool):
                out.append("true" if v else "false")
            elif isinstance(v, list):
                out.append(";".join(str(x) for x in v))
            elif isinstance(v, dict):
                out.append(json_line(v))
            else:
                out.append(v)
        writer.writerow(out)
    return buf.getvalue()


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; a silent no-op when piped.

    The work ticks it as it goes; when the block ends without an error the bar is filled,
    since `total` is an estimate (a fold ticks every 1,000 events, so each stream's last
    few and the records it never folds, such as retractions, are not counted)."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
        if total and bar.pos < total:
            bar.update(total - bar.pos)
