"""The `refs` table versus the stored bytes (SPEC §6 `verify`): the index the engine trusts to
resolve references and to find amendments, recomputed from the events.

The append refuses a second order, notice or case with an id its stream already has, and
resolves citations, by looking in `refs`; every replay finds a stream's retractions and
corrections there. So a row deleted, added or changed outside Docket changes what the log
accepts and what it says without touching a hashed byte: deleting an order's row lets a
second order with its id in, deleting a retraction's brings the retracted event back. Each
row must be what the stored bytes of its event call for (`docket.audit.chain.ref_of`, fed by
the chain's single pass), and every such row must be there.
"""

from __future__ import annotations

from .problems import Problems

__all__ = ["check_refs"]


_AMENDMENT = {"event_retracted": "retraction", "event_corrected": "correction"}


def _what(kind: str, ref_id: str) -> str:
    return f"{_AMENDMENT.get(kind, kind)} {ref_id!r}"


def check_refs(storage, expected: list[tuple[str, str, str, int]], problems: Problems) -> None:
    """Report (kind `index`, table `refs`) each row of `refs` missing, extra or pointing at
    another event than the stored bytes say, and each entity introduced twice in a stream.

    `expected`: the (stream, kind, ref_id, seq) rows the events call for, in seq order."""
    want: dict[tuple[str, str, str], int] = {}
    for stream, kind, ref_id, seq in expected:
        key = (stream, kind, ref_id)
        first = want.setdefault(key, seq)
        if first != seq:
            problems.add("index", f"{_what(kind, ref_id)} is introduced again here, after seq "
                         f"{first}: the log refuses a second one, so the `refs` row that "
                         "would have refused it was changed or removed", seq=seq,
                         **_where(key))
    have = {(stream, kind, ref_id): seq for stream, kind, ref_id, seq in storage.all_refs()}
    for key, seq in want.items():
        got = have.get(key)
        if got is None:
            consequence = ("replays ignore it" if key[1] in _AMENDMENT else
                           "the log would accept a second one with this id, and citations "
                           "of it are refused")
            problems.add("index", f"missing: no `refs` row for {_what(key[1], key[2])}, which "
                         f"the stored bytes of seq {seq} call for ({consequence})", seq=seq,
                         **_where(key))
        elif got != seq:
            problems.add("index", f"the `refs` row points at seq {got}, but the stored bytes "
                         f"say seq {seq} introduced {_what(key[1], key[2])}", seq=seq,
                         **_where(key))
    for key, seq in have.items():
        if key not in want:
            problems.add("index", f"an extra row: no event's stored bytes call for it (it "
                         f"points at seq {seq})", seq=seq if isinstance(seq, int) else None,
                         **_where(key))


def _where(key: tuple[str, str, str]) -> dict:
    return {"table": "refs", "row": {"stream": key[0], "kind": key[1], "ref_id": key[2]}}
