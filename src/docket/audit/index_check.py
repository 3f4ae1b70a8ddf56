"""The touches index versus a fresh replay (part of `verify`): `docket_touches` must list, for
every entity, at least the events a fresh fold finds touching it.

A late event refolds its entities from the histories this index gives (`docket.stored.patch`);
an entity whose history misses an event would be refolded without it, and the stored views
would go wrong only at the next late event. Extra entries are harmless (an entity refolded
from a longer history comes out the same), so only missing ones are problems.
"""

from __future__ import annotations

import msgspec

from ..stored.entities import touches
from .problems import Problems

__all__ = ["TouchesSeen", "check_touches"]

_decode_seqs = msgspec.msgpack.Decoder(list[int]).decode


class TouchesSeen:
    """What a fresh fold finds each event touching, gathered by `hook` as it folds (the same
    question the stored fold's index asks: `touches` with the orders as folded so far)."""

    def __init__(self) -> None:
        self.seqs: dict[tuple[str, str], list[int]] = {}

    def hook(self, then=None):
        """An `on_fold` recording each record's entities, then calling `then`."""
        seqs = self.seqs

        def on_fold(key, record, state, n):
            for entity in touches(record.type, record.data, state["orders"].get):
                found = seqs.get(entity)
                if found is None:
                    seqs[entity] = [record.seq]
                else:
                    found.append(record.seq)
            if then is not None:
                then(key, record, state, n)

        return on_fold


def check_touches(storage, stream: str, seen: TouchesSeen, problems: Problems) -> None:
    """Report each (entity, event) a fresh fold of `stream` found that the index lacks."""
    stored: dict[tuple[str, str], set[int]] = {}
    for kind, key, chunk in storage.select("docket_touches", (stream,),
                                           ("kind", "key", "seqs")):
        stored.setdefault((kind, key), set()).update(_decode_seqs(chunk))
    for (kind, key), seqs in sorted(seen.seqs.items()):
        have = stored.get((kind, key), ())
        missing = [s for s in seqs if s not in have]
        if missing:
            what = f"{kind} {key!r}" if key else kind
            listed = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
            problems.add("view", f"the index of what touches {what} misses seq {listed} (a late "
                         "event would refold it without them; `docket rebuild` rewrites it)",
                         seq=missing[0], table="docket_touches",
                         row={"stream": stream, "kind": kind, "key": key})
