"""The head fold state of a stream, kept entry by entry in `docket_fold` and read lazily.

An append reads only the entries its events touch, so its cost does not grow with the log.
"""

from __future__ import annotations

from .snapshots import decode_state

__all__ = ["Entries", "completed", "held", "prefetch"]


class Entries(dict):
    """One keyed part of a stream's head fold state (orders, accounts, …), read from
    `docket_fold` one entry at a time as the fold asks for it, so that an append costs the
    same on a log of ten events or ten million. It remembers the keys the fold looked up
    or set: the rows to rewrite. Whole-dict use (iterating, `len`, encoding) first calls
    `complete()`, which reads the rest.
    """

    __slots__ = ("keys_seen", "_storage", "_where", "_absent", "_complete")

    def __init__(self, storage, stream: str, kind: str) -> None:
        super().__init__()
        self.keys_seen: set = set()
        self._storage, self._where = storage, (stream, kind)
        self._absent: set = set()
        self._complete = False

    @classmethod
    def holding(cls, storage, stream: str, kind: str, entries: dict) -> "Entries":
        """Entries already all in memory (after a refold)."""
        out = cls(storage, stream, kind)
        dict.update(out, entries)
        out._complete = True
        return out

    def _load(self, key) -> bool:
        if self._complete or key in self._absent:
            return False
        row = self._storage.get("docket_fold", (*self._where, key), ("value",))
        if row is None:
            self._absent.add(key)
            return False
        dict.__setitem__(self, key, decode_state(row[0]))
        return True

    def complete(self) -> "Entries":
        """Read every entry not read yet."""
        if not self._complete:
            for key, value in self._storage.select("docket_fold", self._where,
                                                   ("key", "value")):
                if not dict.__contains__(self, key) and key not in self._absent:
                    dict.__setitem__(self, key, decode_state(value))
            self._complete = True
        return self

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or self._load(key)

    def get(self, key, default=None):
        self.keys_seen.add(key)
        return dict.__getitem__(self, key) if key in self else default

    def __getitem__(self, key):
        self.keys_seen.add(key)
        if key in self:
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def __setitem__(self, key, value) -> None:
        self.keys_seen.add(key)
        self._absent.discard(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key) -> None:
        self.keys_seen.add(key)
        if key in self:  # read it first, so it is not read back from the table later
            dict.__delitem__(self, key)
        self._absent.add(key)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def __iter__(self):
        return dict.__iter__(self.complete())

    def __len__(self) -> int:
        return dict.__len__(self.complete())

    def keys(self):
        return dict.keys(self.complete())

    def values(self):
        return dict.values(self.complete())

    def items(self):
        return dict.items(self.complete())


def held(storage, stream: str, state: dict, kinds) -> dict:
    """`state` with each part in `kinds` that is a plain dict (a state this process folded
    from scratch) turned into `Entries` holding it all, in place.

    The copy costs O(the state) (7 ms at 1M events), so it is made when a refold saves its
    head (in the batch or rebuild that refolded) rather than by the next append."""
    for kind in kinds:
        if not isinstance(state[kind], Entries):
            state[kind] = Entries.holding(storage, stream, kind, state[kind])
    return state


def completed(state: dict) -> dict:
    """`state` with every lazily read part read in full (before encoding or copying it)."""
    for value in state.values():
        if isinstance(value, Entries):
            value.complete()
    return state


def prefetch(state: dict, wanted: dict[str, set]) -> None:
    """Read the entries of `wanted` ({kind: keys}) that the lazily read parts of `state` do
    not hold yet, all in one query, as the fold would read them one by one (on a server
    each read is a round trip). They do not count as looked up (`keys_seen`)."""
    ask = [(kind, key) for kind, keys in wanted.items()
           if isinstance(state.get(kind), Entries) and not state[kind]._complete
           for key in keys
           if not dict.__contains__(state[kind], key) and key not in state[kind]._absent]
    if not ask:
        return
    entries = next(state[kind] for kind, _ in ask)
    stream = entries._where[0]
    found = {(kind, key): value for kind, key, value in
             entries._storage.get_many("docket_fold", (stream,), ask, ("value",))}
    for kind, key in ask:
        value = found.get((kind, key))
        if value is None:
            state[kind]._absent.add(key)
        else:
            dict.__setitem__(state[kind], key, decode_state(value))
