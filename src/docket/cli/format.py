"""Formatting results for people and scripts: JSON lines, CSV, plain tables, progress bars.

What people read (tables, the lines of `log`, `why`, `diff`, `verify`) never carries a control
character from the data: `printable` writes each as an escape (`\\x1b`, `\\n`, `\\u202e`), so
a field cannot move the cursor, retitle the terminal, erase its line or reorder what is
shown. JSON and CSV carry the data exactly (JSON escapes C0 controls as the format says).
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..codec import canonical
from ..codec import json_text as json_line
from ..codec import pretty_json
from ..views.summary import printable

__all__ = ["json_line", "pretty_json", "table", "fit_table", "terminal_width", "csv_text",
           "progress", "cell", "printable", "say", "say_lines", "echo_lines", "exact",
           "EXCEL_LEADS"]

def exact(text: str) -> None:
    """Print text for programs (CSV) as it is: click would otherwise strip what looks like
    a colour code (`ESC [ … m`) whenever stdout is not a terminal, changing the data."""
    import click

    click.echo(text, nl=False, color=True)


def say(text: str = "", nl: bool = True) -> None:
    """Print text for people: the lines Docket composed, with no control character left."""
    import click

    click.echo(printable(text, newlines=True), nl=nl)


# click.echo writes and flushes at each call: a call a line was most of the time of a long
# listing (`docket log` of 200k events; bench/README), so long ones go this many at a time.
_LINES_AT_ONCE = 4096


def say_lines(lines: Iterable[str]) -> None:
    """`say` each line, a few thousand lines a call."""
    _in_chunks(lines, say)


def echo_lines(lines: Iterable[str]) -> None:
    """Print lines for programs (JSON lines, exactly as given), a few thousand a call."""
    import click

    _in_chunks(lines, click.echo)


def _in_chunks(lines: Iterable[str], write: Callable[[str], None]) -> None:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == _LINES_AT_ONCE:
            write("\n".join(chunk))
            chunk.clear()
    if chunk:
        write("\n".join(chunk))


def cell(value: Any) -> str:
    """A value as tables print it: yes/no, `-` for nothing, lists comma-joined, escaped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return printable(_json_cell(value))
    return printable(value)


def table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """A plain, aligned text table of `columns` of `rows` (every cell escaped)."""
    return fit_table(rows, columns, None)[0]


def fit_table(rows: Sequence[dict], columns: Sequence[str], width: int | None,
              leave_out: Sequence[str] = ()) -> tuple[str, list[str]]:
    """`table`, no wider than `width` characters when that is given: columns are left out
    until it fits, those in `leave_out` first (in its order), then the others widest first
    (a long text goes before the short figures beside it); the first column, which names
    the row, always stays. Returns the table and the columns left out, in the table's
    order."""
    columns = list(columns)
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    kept = list(range(len(columns)))
    if width is not None:
        order = [columns.index(c) for c in leave_out if c in columns]
        order += sorted((i for i in kept[1:] if i not in order), key=lambda i: -widths[i])
        for i in order:
            if sum(widths[k] for k in kept) + 2 * (len(kept) - 1) <= width:
                break
            kept.remove(i)
    lines = ["  ".join(columns[k].ljust(widths[k]) for k in kept).rstrip(),
             "  ".join("-" * widths[k] for k in kept)]
    lines += ["  ".join(row[k].ljust(widths[k]) for k in kept).rstrip() for row in cells]
    return "\n".join(lines), [c for i, c in enumerate(columns) if i not in kept]


def terminal_width() -> int | None:
    """The width of the terminal stdout is on (`COLUMNS` when set), or None when stdout
    is not a terminal: a file or a pipe gets whole tables."""
    import shutil

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


# What a spreadsheet may read as the start of a formula (OWASP's list: =, +, -, @, and a
# tab or carriage return before one of them).
EXCEL_LEADS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_QUOTE = re.compile('[,"\n\r]')


def _json_cell(v: Any) -> str:
    # Canonical (keys sorted), as `--json` prints them: the same data is the same cell
    # whichever path built it (a view read back from the stored tables has its objects'
    # keys sorted, a fold's are in the order the fold made them).
    return canonical(v).decode()


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        if any(isinstance(x, (dict, list, tuple)) for x in v):
            return _json_cell(list(v))
        return ";".join(_csv_value(x) for x in v)
    if isinstance(v, dict):
        return _json_cell(v)
    return str(v)


def _excel_safe(text: str) -> str:
    # A number (`-3`, `0.5`) stays a number; anything else that a spreadsheet would start
    # evaluating is made text by a leading apostrophe.
    if text.startswith(EXCEL_LEADS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _quoted(text: str) -> str:
    # RFC 4180 quoting: a cell holding a comma, a quote or a line break (LF or CR) is quoted,
    # so every reader gets it back whole (Python's writer leaves a lone CR unquoted when
    # lines end in LF, and readers then split the row there).
    if _QUOTE.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def check_formats(as_json: bool, as_csv: bool, excel_safe: bool) -> None:
    """One output format: --json or --csv (with --excel-safe), not both."""
    import click

    if as_json and as_csv:
        raise click.UsageError("--json and --csv do not go together: give one")
    if excel_safe and not as_csv:
        raise click.UsageError("--excel-safe goes with --csv")


# Object columns a CSV spreads into a column per part, for spreadsheets (an analyst's
# review: `reported` as one JSON cell): `reported_actioned`, `reported_specified`, …
_SPREAD = {"reported": ("actioned", "specified", "reporter")}


def csv_text(rows: Sequence[dict], columns: Sequence[str], *, excel_safe: bool = False) -> str:
    """CSV with a header, every value whole: a compliance report in a column per figure
    (`_SPREAD`), lists of ids joined by `;`, other dicts (and lists holding them) as JSON,
    None as empty. `excel_safe` puts a `'` before any cell a spreadsheet would read as a
    formula (one starting with =, +, -, @, tab or CR)."""
    header = [f"{c}_{part}" if c in _SPREAD else c
              for c in columns for part in _SPREAD.get(c, (None,))]
    lines = [",".join(_quoted(c) for c in header)]
    for r in rows:
        out = [_csv_value((r.get(c) or {}).get(part) if c in _SPREAD else r.get(c))
               for c in columns for part in _SPREAD.get(c, (None,))]
        if excel_safe:
            out = [_excel_safe(v) for v in out]
        lines.append(",".join(_quoted(v) for v in out))
    return "\n".join(lines) + "\n"


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; a silent no-op when piped.

    The work ticks it as it goes; when the block ends without an error the bar is filled,
    since `total` is an estimate (a fold ticks every 1,000 events, so each stream's last
    few and the records it never folds, such as retractions, are not counted); with no
    `total` (a damaged log that cannot say how many events it holds), no bar."""
    if total is None or not sys.stderr.isatty():
        yield lambda n: None
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update
        if total and bar.pos < total:
            bar.update(total - bar.pos)
