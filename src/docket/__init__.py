"""Docket: an event-sourced timeline engine for takedown disputes.

`from docket import EventLog` is the Python API (SPEC §8). Names are imported lazily so that
the command line starts fast.
"""

from __future__ import annotations

__all__ = ["EventLog", "Receipt", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "EventLog":
        from .api import EventLog

        return EventLog
    if name == "Receipt":
        from .log import Receipt

        return Receipt
    raise AttributeError(f"module 'docket' has no attribute {name!r}")
