"""The `docket` command line: each command parses, calls one library function, formats.

Errors from the library become one line `Error: …` on stderr with the SPEC §6 exit code;
never a traceback. `group` holds the click group, the common options and that mapping; the
commands live in one module per family (write, read, audit, proofs,
report, serve) and `format` prints.
"""

from __future__ import annotations

from . import audit, new, proofs, read, report, serve, write  # noqa: F401  (registers the commands)
from .group import main

__all__ = ["main"]
