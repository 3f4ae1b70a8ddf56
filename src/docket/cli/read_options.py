"""What every read command shares: its options (`--stream` and the three times; `--json`,
`--csv`, `--excel-safe`) and the notes it prints: when the times leave every event out,
when a diff runs backwards, and when an order was acted on where its scope counts nothing."""

from __future__ import annotations

import click

from ..errors import spelled
from ..views.compliance import uncounted_actions
from ..views.diff import runs_backwards
from ..views.summary import printable
from .group import option_name

__all__ = ["PUBLIC_AT_HELP", "format_options", "note_if_backwards", "note_if_nothing",
           "note_uncounted", "read_options", "wide_option"]


PUBLIC_AT_HELP = ("Only events public by this time: with a source published by then (an "
                  "event without a dated source: once the log recorded it), and occurred by "
                  "then.")


def read_options(one_stream: bool = False):
    """`--stream`, `--as-of`, `--known-at`, `--public-at` of every read command; a
    `one_stream` command reads the only stream unless told which (SPEC §6), the others
    every stream."""
    default = "the only one" if one_stream else "every stream"

    def add(func):
        func = click.option("--public-at", help=PUBLIC_AT_HELP)(func)
        func = click.option("--known-at", help="Only what the log held at this time.")(func)
        func = click.option("--as-of",
                            help="Only what occurred by this time (a day: all of it).")(func)
        return click.option("--stream", help=f"The stream (default: {default}).")(func)
    return add


def wide_option(func):
    """`--wide`: every column of a table, however narrow the terminal."""
    return click.option("--wide", is_flag=True,
                        help="Every column, however narrow the terminal (a table too wide "
                             "for it leaves columns out and says which).")(func)


def note_if_nothing(log, printed_nothing: bool, stream, as_of, known_at, public_at) -> None:
    """When the view printed holds nothing, say on stderr which time left every event out
    (stdout stays the view, for scripts)."""
    note = printed_nothing and log.nothing_in_view(stream, as_of, known_at, public_at,
                                                   spell=option_name)
    if note:
        click.echo(f"Note: {printable(note)}", err=True)


def note_if_backwards(from_: str, to: str) -> None:
    """When `diff --from` is later than `--to`, say so on stderr (the diff is still
    printed: it reads from the later view to the earlier one)."""
    note = runs_backwards(from_, to)
    if note:
        click.echo(f"Note: {printable(spelled(note, option_name))}", err=True)


def note_uncounted(rows: list[dict]) -> None:
    """For each compliance row acted on where its scope counts nothing, say why on stderr
    (`views.compliance.uncounted_actions`)."""
    for note in uncounted_actions(rows):
        click.echo(f"Note: {printable(note)}", err=True)


def format_options(func):
    """`--json`, `--csv` and `--excel-safe`; a readable table by default."""
    func = click.option("--excel-safe", is_flag=True,
                        help="With --csv: put a ' before every cell a spreadsheet would read "
                             "as a formula (one starting with =, +, -, @, tab or CR).")(func)
    func = click.option("--csv", "as_csv", is_flag=True,
                        help="CSV, every text whole (state: a file per section, in -o DIR).")(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)
    return func
