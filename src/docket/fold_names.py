"""One string object per name in a fold's state.

Each decoded record brings its own copy of every name it holds: at 200k events the state
held 512k string objects for 89k distinct values (28 of its 47 MB), most of them targets
repeated across orders, blocks and accounts. The fold's handlers (`docket.projection`)
keep the names through here instead, one object each.

A dict of our own rather than `sys.intern`: the interpreter's table holds every identifier
of every module, and a fold's lookups in it missed the CPU's caches (0.46 us a name in a
200k replay). It outlives a fold, up to `KEPT` names, then starts again: sharing saves
memory, nothing needs it to be right. Threads folding at once share it safely, a setdefault
being one step under the GIL.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KEPT", "table", "shared", "names_of"]

KEPT = 65_536
_NAMES: dict[str, str] = {}


def table() -> dict[str, str]:
    """The table of shared names (`setdefault(name, name)` gives the one kept), emptied
    first when it holds more than `KEPT`."""
    if len(_NAMES) > KEPT:
        _NAMES.clear()
    return _NAMES


def shared(value: Any) -> Any:
    """The one string object kept for `value` (anything but a string as it is)."""
    return _NAMES.setdefault(value, value) if value.__class__ is str else value


def names_of(values: list) -> list:
    """`values` with each string replaced by the one object kept for it."""
    names = table()
    try:
        return list(map(names.setdefault, values, values))
    except TypeError:  # the catalogue keeps these strings; the fold must not fail if not
        return [names.setdefault(v, v) if v.__class__ is str else v for v in values]
