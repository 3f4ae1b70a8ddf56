"""Docket's exceptions. Library code raises them; only the CLI prints them."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = [
    "DocketError",
    "InvalidEvent",
    "UnknownReference",
    "ConflictError",
    "StorageError",
    "DamagedDatabase",
    "Unavailable",
    "AuditError",
    "InvalidProof",
    "UsageError",
    "InvalidArgument",
    "MissingArgument",
    "ProofArgument",
    "about",
    "spelled",
    "as_flag",
]


class DocketError(Exception):
    """Base of every error Docket raises on purpose; `exit_code` is the CLI's."""

    exit_code = 1


class InvalidEvent(DocketError, ValueError):
    """Input that is not a valid event (the message names the line, event and field)."""


class UnknownReference(InvalidEvent):
    """An event that refers to an order, notice or event the stream does not have."""


class ConflictError(DocketError):
    """`expected_version` did not match the stream's current version; nothing was written."""

    exit_code = 3


class StorageError(DocketError, OSError):
    """The database cannot be opened, read or written (locked, read-only, full, foreign)."""


class DamagedDatabase(StorageError):
    """A database file whose pages do not hold together (flipped bytes, a truncated copy):
    damaged, not foreign. `said` is what SQLite said of it."""

    def __init__(self, message: str, said: str) -> None:
        super().__init__(message)
        self.said = said


class Unavailable(StorageError):
    """The database server cannot be reached now, or the connection to it was lost (a
    restart, a failover, the network): the same call may work later. `log.follow()` waits
    for the server instead of ending."""


class AuditError(DocketError):
    """An audit found a problem (`verify`)."""


class InvalidProof(DocketError, ValueError):
    """A key, signed note, checkpoint or proof that is malformed or does not verify."""


class UsageError(DocketError):
    """The command needs something it was not given (e.g. which stream); exit code 2."""

    exit_code = 2


def spelled(template: str, spell: Callable[[str], str], argument: str = "") -> str:
    """`template` with its placeholders filled: `{arg}` names `argument` and `{arg:NAME}`
    the argument NAME, each as `spell` names it (the library: `as_of`; the CLI: `--as-of`)."""
    return _PLACEHOLDER.sub(lambda m: spell(m.group(1) or argument), template)


_PLACEHOLDER = re.compile(r"\{arg(?::([a-z_]+))?\}")


def as_flag(argument: str) -> str:
    """A library argument as the command line's flag: `as_of` is `--as-of`, `from_`
    `--from` (a `spell` for `spelled` where no command is at hand, as in the report)."""
    return "--" + argument.rstrip("_").replace("_", "-")


class _ArgumentMixin:
    """An error about one argument of a library call. The message names it as the library
    does (`as_of`), and other arguments it mentions too; `message_for(spell)` names them as
    `spell` does (the CLI: its flags)."""

    def __init__(self, argument: str, template: str) -> None:
        self.argument, self.template = argument, template
        super().__init__(spelled(template, str, argument))  # type: ignore[call-arg]

    def message_for(self, spell: Callable[[str], str]) -> str:
        """The message naming each argument as `spell` names it."""
        return spelled(self.template, spell, self.argument)


class InvalidArgument(_ArgumentMixin, InvalidEvent):
    """An argument that is not valid (a time that is not a time, a stream the log lacks)."""


class MissingArgument(_ArgumentMixin, UsageError):
    """A call that needs an argument it was not given (which stream, of several)."""


class ProofArgument(_ArgumentMixin, InvalidProof):
    """A key, note or proof given as one argument of a library call that is malformed or
    does not verify; the message names the argument as the library does (`key_path`)."""


@contextmanager
def about(argument: str) -> Iterator[None]:
    """Inside, an InvalidProof whose message holds the placeholder `{arg}` (a `what` label
    passed down to the parsers) becomes a ProofArgument about `argument`."""
    try:
        yield
    except ProofArgument:
        raise
    except InvalidProof as exc:
        text = str(exc)
        if "{arg}" not in text:
            raise
        raise ProofArgument(argument, text) from None
