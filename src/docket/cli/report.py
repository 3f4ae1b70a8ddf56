"""`docket report`: the analyst's page, a self-contained HTML file (see `docket.report`)."""

from __future__ import annotations

import click

from .format import printable
from .group import _errors, db_option, main, open_log
from .read_options import PUBLIC_AT_HELP


@main.command()
@click.option("--stream", help="The stream (default: the only one).")
@click.option("--as-of", help="Only what occurred by this time (a day: all of it).")
@click.option("--known-at", help="Only what the log held at this time.")
@click.option("--public-at", help=PUBLIC_AT_HELP)
@click.option("-o", "--output", "output", required=True, metavar="FILE.html",
              help="Write the page here, whole or not at all (`-` for stdout).")
@db_option
@_errors
def report(stream, as_of, known_at, public_at, output, db):
    """A self-contained HTML page: the timeline, per-order charts, compliance, checkpoint.

    Inline CSS, SVG and one script (a date control: FILE.html#as-of=2021-02-08 shows the
    views of that day), nothing from the network: open it offline, mail it or publish it.

    \b
    Example:
      docket report --stream brazil-x-2024 -o brazil.html
      docket report --stream twitter-india-2021 --as-of 2021-02-11 -o feb11.html
    """
    from ..report.page import build_report

    page = build_report(open_log(db), stream, as_of=as_of, known_at=known_at,
                        public_at=public_at)
    if output == "-":
        click.echo(page, nl=False)
        return
    from ..files import write_atomic

    write_atomic(output, page.encode("utf-8"))
    click.echo(f"wrote {printable(output)}", err=True)
