"""Every stored event is one the log takes (SPEC §2, §3; `verify`'s kind `event`).

The chain proves the bytes were not changed after they were hashed, not that they were
ever an event: a row inserted with its hash recomputed, or an append let through while a
`refs` row was forged, holds bytes the catalogue refuses (an unknown field, a count below
0) or a citation of an entity its stream never had. The views then show what no valid log
can (`blocked` -5), and the log's own export no longer imports (SPEC §2: an export
imports to the same log). So each stored event is checked as the import checks an exported
record: against its type in the catalogue, and each id it cites against the entities its
stream introduced before it (a retraction's or correction's target: an ordinary event of
its stream, recorded before it; a correction's replacement data valid for that type and
keeping its identifier). Rules for new input only (an order naming a target twice) are
not asked of records, which an older Docket may have written.

Citations are resolved against the entities the stored bodies introduce (the chain scan
gathers them for `refs_check`), each at the seq that introduced it (an entity counts for
the events after it), not against the `refs` table, which a forged row would sway. So the
rows check independently, and a large log is checked in pieces by several processes at once
(`chain_split`'s forked readers), each returning only what it found. The common event
costs one typed decode in C and a dict lookup a citation; a decode of the whole record
and the import's own message only for an event that fails, or that amends another.
"""

from __future__ import annotations

from typing import Union

import msgspec

from ..catalog import AMENDING, EVENT_TYPES, REFERENCES
from ..codec import RECORD_KEYS, event_from_dict
from ..errors import DocketError
from ..references import check_refs, unresolved
from .chain_split import PARALLEL_MIN_ROWS, _can_fork, forked_map, workers
from .problems import Problems

__all__ = ["check_events"]

_decode_dict = msgspec.json.Decoder().decode
_NEVER = float("inf")


def _stored(tag: str, event_type: type) -> type:
    """`event_type` as stored: with the record's own fields (the chain check checks them)."""
    namespace = {"__annotations__": {"seq": int, "version": int, "recorded_at": str,
                                     "schema_version": int, "prev_hash": str},
                 "__module__": __name__}
    return type(f"Stored{event_type.__name__}", (event_type,), namespace, tag=tag,
                kw_only=True)


_STORED = Union[tuple(_stored(t, e) for t, e in EVENT_TYPES.items())]  # type: ignore
_decode_stored = msgspec.json.Decoder(_STORED).decode


class _Before:
    """What `references.check_refs` asks of a batch, answered for the events before seq
    `seq`: the entities the stored bodies introduced by then, and the stored event an
    amendment names (recorded before it)."""

    def __init__(self, storage, introduced: dict) -> None:
        self.storage, self.introduced, self.seq = storage, introduced, 0

    def has_ref(self, stream: str, kind: str, value: str) -> bool:
        return self.introduced.get((stream, kind, value), _NEVER) < self.seq

    def find_event(self, ident: str):
        found = self.storage.event_by_id(ident)
        if found is None:
            return None
        stream, kind, body, _ = found
        try:
            record = _decode_dict(body)
        except (msgspec.DecodeError, UnicodeDecodeError, TypeError):
            return None  # damaged bytes: the chain check names them
        seq = record.get("seq") if isinstance(record, dict) else None
        return (stream, kind, record) if isinstance(seq, int) and seq < self.seq else None


def _refused(before: _Before, body: bytes) -> str | None:
    """Why the import would refuse this stored event (at `before.seq`), or None."""
    if not isinstance(body, bytes):
        return None  # a body that is not bytes at all: the chain check reports it
    try:
        event = _decode_stored(body)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        event = None
    if event is None or event.__struct_config__.tag in AMENDING:
        return _refused_slowly(before, body)
    data = event.data
    for ref in REFERENCES[event.__struct_config__.tag].cites:  # no event targets: amending
        value = getattr(data, ref.field)
        problem = None if value is None else unresolved(ref, value, before.has_ref,
                                                        event.stream)
        if problem is not None:
            return problem
    return None


def _refused_slowly(before: _Before, body: bytes) -> str | None:
    """The import's own check and message, for a stored event that fails the typed decode
    or amends another."""
    try:
        obj = _decode_dict(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None  # not JSON: the chain check reports the bytes
    if not isinstance(obj, dict):
        return None
    content = {k: v for k, v in obj.items() if k not in RECORD_KEYS}
    try:
        event = event_from_dict(content)
        check_refs(before, event.__struct_config__.tag, content["data"], obj.get("stream"),
                   "", new=False)
    except DocketError as exc:
        return str(exc)
    return None


def _check_range(storage, introduced: dict, lo: int, hi: int, problems: Problems) -> None:
    before = _Before(storage, introduced)
    for rows in storage.chain_rows(lo, hi):
        for row in rows:  # ChainRow: seq first, body 7th
            before.seq = seq = row[0]
            why = _refused(before, row[6])
            if why is not None:
                problems.add("event", f"the stored event is not one the log takes: {why} "
                             "(its export would not import)", seq=seq)


# What the forked workers read (set in the parent just before the pool forks).
_SHARED: list = []


def _worker(job: tuple[int, int]) -> Problems:
    storage, introduced = _SHARED
    reader = storage.forked_reader()
    problems = Problems()
    try:
        with reader.reading():
            _check_range(reader, introduced, *job, problems)
    finally:
        reader.close()
    return problems


def check_events(storage, refs: list[tuple[str, str, str, int]], problems: Problems) -> None:
    """Report (kind `event`, with its seq) each stored event the log's import refuses
    (inside a read transaction, which the parent holds while workers read). `refs`: the
    (stream, kind, ref_id, seq) rows the stored bodies call for (the chain scan's), so a
    forged `refs` row resolves nothing here."""
    introduced: dict = {}
    for stream, kind, ref_id, seq in refs:
        key = (stream, kind, ref_id)
        introduced[key] = min(seq, introduced.get(key, seq))
    lo, hi, rows = storage.seq_range()
    if not isinstance(hi, int):
        return
    n = workers()
    if n < 2 or rows < PARALLEL_MIN_ROWS or not _can_fork() \
            or not hasattr(storage, "forked_reader"):
        _check_range(storage, introduced, lo - 1, hi, problems)
        return
    cuts = [lo - 1 + (hi - lo + 1) * i // n for i in range(n)] + [hi]
    _SHARED[:] = [storage, introduced]
    try:
        for found in forked_map(_worker, list(zip(cuts, cuts[1:])), n):
            problems.merge(found)
    finally:
        _SHARED.clear()
