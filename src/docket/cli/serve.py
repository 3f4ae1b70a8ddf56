"""`docket serve`: the log in Datasette, read-only (see `docket.serve`; extra `serve`)."""

from __future__ import annotations

import click

from .group import _errors, db_option, keep_collecting, main
from .params import WholeNumber


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen on this address (0.0.0.0: every interface, so anyone who can "
                   "reach this machine can read the log).")
@click.option("--port", type=WholeNumber(0, 65535), default=8001, show_default=True,
              help="Listen on this port (0: a free one).")
@db_option
@_errors
def serve(host, port, db):
    """Browse the log in Datasette, read-only, until Ctrl-C.

    Prints the address. `records` shows every event with readable columns; the view_
    tables hold each stream's views now; canned queries: compliance across disputes, a
    stream's timeline, what changed recently. Appends by others show on the next page.
    Needs the `serve` extra: pip install 'docket[serve]'.

    \b
    Example:
      docket serve --db docket.db
      docket serve --port 0          # any free port
    """
    from ..serve import prepare_server

    keep_collecting()
    server = prepare_server(db, host=host, port=port)
    try:  # from here on, Ctrl-C is how a server is stopped: not an error
        for note in server.notes:
            click.echo(f"docket: {note}", err=True)
        click.echo(server.url)
        click.echo(f"docket: serving {db} read-only; Ctrl-C stops", err=True)
        server.run()
    except KeyboardInterrupt:
        server.close()
