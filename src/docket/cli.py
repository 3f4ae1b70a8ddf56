"""The `docket` command line: each command parses, calls one library function, formats.

Errors from the library become one line `Error: …` on stderr with the SPEC §6 exit code;
never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys

import click

from .errors import DocketError

__all__ = ["main"]

DB_HELP = "SQLite file of the log (env DOCKET_DB; default ./docket.db)."


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _errors(func):
    """Turn library errors (and anything unexpected) into `Error:` lines and exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DocketError as exc:
            _fail(str(exc), exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted; the log is as it was before this command", 1)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
            _fail(f"internal error ({type(exc).__name__}: {exc}); the log is unchanged", 1)

    return wrapper


def db_option(func):
    """The `--db PATH` option every command takes."""
    return click.option(
        "--db", "db", envvar="DOCKET_DB", default="docket.db", show_default=True, help=DB_HELP,
        type=click.Path(dir_okay=False),
    )(func)


def open_log(db: str, *, create: bool = False):
    """Open the log for a command; reading commands refuse a file that does not exist."""
    from .api import EventLog

    return EventLog(db, create=create)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="docket", message="docket %(version)s")
def main() -> None:
    """Docket: an event-sourced timeline of takedown disputes.

    \b
    Example:
      docket import events/twitter-india-2021.jsonl
      docket compliance --as-of 2021-02-08
    """


from . import cli_write  # noqa: E402,F401  (registers the commands)
from . import cli_read  # noqa: E402,F401
from . import cli_report  # noqa: E402,F401
from . import cli_audit  # noqa: E402,F401
