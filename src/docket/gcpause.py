"""Pausing Python's cyclic garbage collector around appends, folds and view reads.

A batch of 100k events allocates millions of small, acyclic objects (Structs, dicts, row
tuples). Each allocation burst triggers collections that walk every live object, the batch
included, so the cost of a batch grew faster than its length (measured: decoding 100k
events took 3.7 s with the collector on, 2.0 s with it paused). Reference counting still frees
everything; the collector runs again as soon as the batch ends.
"""

from __future__ import annotations

import functools
import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["collector_paused", "paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block (re-entrant; restores the prior state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def collector_paused(method):
    """Run `method` with Python's cyclic collector paused (and restored for the caller).

    Appends, folds and view reads allocate millions of small acyclic objects; each burst
    triggers collections that walk every live object again. This is the one place the
    collector is paused (bench/README.md has the figures that keep it)."""

    @functools.wraps(method)
    def paused(*args, **kwargs):
        with paused_gc():
            return method(*args, **kwargs)

    return paused
