"""The `docket` click group, its common options and the error -> exit code mapping.

Errors from the library become one line `Error: …` on stderr with the SPEC §6 exit code;
never a traceback.
"""

from __future__ import annotations

import functools
import gc
import os
import signal
import sys
from contextlib import contextmanager
from typing import Iterator

import click

from ..errors import DocketError, InvalidArgument, MissingArgument, ProofArgument, as_flag
from ..views.summary import printable

__all__ = ["main"]

DB_HELP = "SQLite file of the log (env DOCKET_DB; default ./docket.db)."


def _fail(message: str, code: int) -> None:
    # One line, whatever the message quotes from the input, with no control character left.
    message = printable(message)
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _check_text(kwargs: dict) -> None:
    """Refuse a text option that is not UTF-8 (on Linux, argv is bytes; Python hands such
    bytes over as lone surrogates, which nothing downstream can encode). File names are
    exempt: they are bytes to the operating system and work as they are."""
    ctx = click.get_current_context(silent=True)
    params = {p.name: p for p in ctx.command.params} if ctx is not None else {}
    for name, value in kwargs.items():
        param = params.get(name)
        if not isinstance(value, str) or isinstance(getattr(param, "type", None), click.Path):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            label = (param.opts[0] if param.param_type_name == "option"
                     else param.human_readable_name) if param is not None else name
            _fail(f"{label}: not valid UTF-8 text", 1)


def option_name(argument: str) -> str:
    """How the running command spells the library's argument `argument` (`as_of` is
    `--as-of`, `since` is `--from`, `ref` is `REF`)."""
    ctx = click.get_current_context(silent=True)
    for param in (ctx.command.params if ctx is not None else ()):
        if param.name == argument:
            if param.param_type_name == "option":
                return param.opts[0]
            return param.human_readable_name
    return as_flag(argument)


def _errors(func):
    """Turn library errors (and anything unexpected) into `Error:` lines and exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            _check_text(kwargs)
            return func(*args, **kwargs)
        except (InvalidArgument, MissingArgument, ProofArgument) as exc:
            _fail(exc.message_for(option_name), exc.exit_code)
        except DocketError as exc:
            _fail(str(exc), exc.exit_code)
        except RecursionError:
            _fail("input nested too deeply to be an event; the log is unchanged", 1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise  # click's own (an Abort: Ctrl-C at a prompt, or "no" to `new`'s question)
        except KeyboardInterrupt:
            _fail("interrupted; the log is as it was before this command", 1)
        except BrokenPipeError:
            _closed_pipe()
        except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
            _fail(f"internal error ({type(exc).__name__}: {exc}); the log is unchanged", 1)

    return wrapper


def _closed_pipe() -> None:
    """The reader of stdout went away (`docket export | head -1`): end quietly with 141, the
    status of a program ended by SIGPIPE, not 1 (bad input, which has an `Error:` line)."""
    # Python flushes stdout once more at exit; into /dev/null that cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


def db_option(func):
    """The `--db PATH` option every command takes."""
    return click.option(
        "--db", "db", envvar="DOCKET_DB", default="docket.db", show_default=True, help=DB_HELP,
        type=click.Path(dir_okay=False),
    )(func)


def open_log(db: str, *, create: bool = False):
    """Open the log for a command; reading commands refuse a file that does not exist.
    The log closes when the command ends: a SQLite writer then records the check of the
    file it left (storage/sqlite_record.py), so the next command need not read it all."""
    from ..api import EventLog

    log = EventLog(db, create=create)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(log.close)
    return log


class _Group(click.Group):
    """A click group whose usage errors are one line `Error: …` (exit 2), as SPEC §6 says."""

    def main(self, args=None, prog_name=None, complete_var=None, **extra):  # noqa: D102
        # A command is one short process, so Python's cyclic collector stays off for it
        # (the library pauses it only inside its own calls): what a command then does with
        # a big result, such as the table of a million-event log's 40k orders, made the
        # collector walk every row again and again, ~0.4 s of `docket compliance`'s 2 s
        # (bench/README). Commands that run until stopped turn it back on
        # (`keep_collecting`); an in-process caller gets its own setting back.
        collecting = gc.isenabled()
        gc.disable()
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "docket"
            _fail(f"{_hinted(where, exc.format_message())} (see {where} --help)", 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        finally:
            (gc.enable if collecting else gc.disable)()
        sys.exit(code if isinstance(code, int) else 0)


# Options given where a command does not take them, and what it takes instead (an
# analyst's review: click's own "Did you mean '--json'?" for `diff --as-of`).
_MISPLACED = {
    ("", "--db"): "options go after the command: docket COMMAND --db PATH",
    ("", "--stream"): "options go after the command: docket COMMAND --stream S",
    ("diff", "--as-of"): "diff compares two as-of times: --from T1 --to T2",
    ("log", "--to"): "the latest time `log` shows is --as-of T",
}


def _hinted(where: str, message: str) -> str:
    """click's message, or for an option given where it does not go, what goes there (in
    place of click's guess)."""
    command = where.partition(" ")[2]  # the command path without the program's name
    for (name, option), hint in _MISPLACED.items():
        if command == name and message.startswith(f"No such option '{option}'"):
            return f"No such option '{option}' here: {hint}."
    return message


def keep_collecting() -> None:
    """Turn the cyclic collector back on, for a command that runs until it is stopped
    (`log --follow`, `serve`): the cyclic garbage of every request or record would
    otherwise stay for as long as it runs."""
    gc.enable()


@contextmanager
def stop_on_terminate() -> Iterator[None]:
    """While the block runs, let SIGTERM (what a service manager or `kill` sends) end a
    command that runs until it is stopped as Ctrl-C does: quietly, exit 0 (SPEC §6: `log
    --follow` runs until interrupted), instead of dying with 143 and no word. The handler
    before it is put back after: a caller in the same process (a test, a notebook) keeps its
    own, and so do the processes it forks later (left in place, it made a later `verify`'s
    workers turn their pool's SIGTERM into KeyboardInterrupt, and the pool hung)."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="docket", message="docket %(version)s")
def main() -> None:
    """Docket: an event-sourced timeline of takedown disputes.

    \b
    Example:
      docket import events/twitter-india-2021.jsonl
      docket compliance --as-of 2021-02-08
    """

