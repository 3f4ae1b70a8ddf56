"""The append's reference check (SPEC §3): every id an event cites resolves in its stream,
an id it introduces is new there, and a retraction or correction names an ordinary event of
the stream, all read off the catalogue's table of references."""

from __future__ import annotations

from .batch import Batch
from .catalog import AMENDING, REFERENCES
from .codec import normalize_data
from .errors import InvalidEvent, UnknownReference

__all__ = ["check_refs", "unresolved"]

_TARGET = ("event",)  # the kinds of a retraction's or correction's `target_id`


def check_refs(
    batch: Batch, kind: str, data: dict, stream: str, where: str, new: bool = True
) -> dict:
    """Refuse references the stream cannot resolve; return the (normalized) data.

    `new` is False when checking the replacement data of a correction, whose identifier
    (order_id, notice_id, case_id) is the one already in the stream.
    """
    refs = REFERENCES[kind]
    new_ref = refs.introduces
    if new and new_ref is not None:
        ref_kind, value = new_ref.kinds[0], data[new_ref.field]
        if batch.has_ref(stream, ref_kind, value):
            raise InvalidEvent(f"{where}field `data.{new_ref.field}`: {ref_kind} {value!r} "
                               f"already exists in stream {stream!r}")
    has_ref, cited = batch.has_ref, data
    # Read off the table of references (not `citations()`, which builds every path):
    # each import resolves every cited id, and a path is only needed for the error.
    for ref in refs.cites:
        value = cited.get(ref.field)
        if value is None:
            continue
        kinds = ref.kinds
        if kinds == _TARGET:
            data = _check_target(batch, kind, data, stream, where)
            continue
        problem = unresolved(ref, value, has_ref, stream)
        if problem is not None:
            raise UnknownReference(where + problem)
    return data


def unresolved(ref, value, has_ref, stream: str) -> str | None:
    """What is wrong with the id (or ids) `value` a field `ref` of the catalogue's table
    cites, when `has_ref(stream, kind, id)` knows none of them (the append's batch, or
    `verify`'s events before the one checked), else None."""
    kinds = ref.kinds
    for i, v in enumerate(value if ref.many else (value,)):
        if not (has_ref(stream, kinds[0], v) if len(kinds) == 1
                else any(has_ref(stream, k, v) for k in kinds)):
            path = f"{ref.field}[{i}]" if ref.many else ref.field
            return (f"field `data.{path}`: unknown {' or '.join(kinds)} {v!r} in stream "
                    f"{stream!r}")
    return None


def _check_target(batch: Batch, kind: str, data: dict, stream: str, where: str) -> dict:
    """A retraction or correction names an ordinary event of the same stream; a
    correction's replacement data is valid for the target's type, keeps its identifier,
    and its references resolve. Returns the data (replacement normalized)."""
    target = batch.find_event(data["target_id"])
    if target is None or target[0] != stream:
        raise UnknownReference(f"{where}field `data.target_id`: unknown event "
                               f"{data['target_id']!r} in stream {stream!r}")
    if target[1] in AMENDING:
        raise InvalidEvent(f"{where}field `data.target_id`: {data['target_id']!r} is itself "
                           f"an amendment ({target[1]}); amend the original event instead")
    if kind == "event_corrected" and data.get("data") is not None:
        t_kind, original = target[1], target[2]["data"]
        if t_kind not in REFERENCES:  # stored by a newer catalogue, or a tampered log
            raise InvalidEvent(f"{where}field `data.target_id`: {data['target_id']!r} is an "
                               f"event of type {t_kind!r}, which this version does not know, "
                               "so its data cannot be corrected (`docket verify` checks it)")
        data = {**data, "data": normalize_data(t_kind, data["data"], where=where)}
        ref = REFERENCES[t_kind].introduces
        if ref is not None and data["data"][ref.field] != original[ref.field]:
            raise InvalidEvent(f"{where}field `data.data.{ref.field}`: a correction "
                               "cannot change an identifier")
        check_refs(batch, t_kind, data["data"], stream, where, new=False)
    return data
