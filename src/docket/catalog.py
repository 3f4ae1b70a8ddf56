"""The built-in catalogue of takedown-dispute events (SPEC §3), as msgspec Structs.

Each event type is a frozen Struct tagged by its `type`, so one typed decoder validates and
dispatches an input line at C speed, with errors that carry a path (`at $.data.targets[2]`).
Schema evolution is by rule: a field added later gets a default, so stored events of an
older `schema_version` still decode; data is stored with defaults omitted, so adding a
defaulted field never changes the bytes (and hashes) of old events.

The `data` Structs live in `catalog_data` and the kinds of value in `catalog_scalars`; the
meanings are written there, once (a docstring per type, a `Meta(description=…)` per field),
and `catalog_fields` (the words of `docket types`, `docket new` and the error messages) and
`catalog_schema` (the JSON Schemas) read them from the Structs.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple, Union

import msgspec

from .catalog_data import DATA_TYPES, Source
from .catalog_scalars import COUNTRY_CODES, Confidence, Count, Ident, StreamName, Text, Time
from .catalog_scalars import check_time
from .catalog_scalars import means as _means

__all__ = [
    "SCHEMA_VERSION",
    "COUNTRY_CODES",
    "Source",
    "Event",
    "EVENT_TYPES",
    "DATA_TYPES",
    "AnyEvent",
    "AMENDING",
    "Ref",
    "References",
    "REFERENCES",
    "introduced",
    "citations",
]

SCHEMA_VERSION = 1


class Event(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type",
    omit_defaults=True,
):
    """One event as written (SPEC §2); subclasses fix `type` and the shape of `data`.

    Encoding an Event leaves out what was not given (omit_defaults): the decoder's check for
    duplicate keys compares it with the input line."""

    stream: Annotated[StreamName | None, _means(
        "the dispute it belongs to; required, unless given with --stream")] = None
    occurred_at: Annotated[Time, _means("when it happened in the world")]
    actor: Annotated[Text | None, _means("who acted")] = None
    sources: Annotated[list[Source], msgspec.Meta(max_length=1_000),
                       _means("where the facts come from")] = []
    confidence: Annotated[Confidence, _means("how sure the record is")] = "reported"
    id: Annotated[Ident | None, _means(
        "an idempotency key: the same id with the same content again is a no-op",
        "a new UUID")] = None
    expected_version: Annotated[Count | None, _means(
        "append only if the stream is at this version (0: the stream must be new)")] = None

    def __post_init__(self) -> None:
        check_time("occurred_at", self.occurred_at)


def _event(tag: str, data_type: type) -> type:
    """Make the event Struct for `tag`, whose `data` is `data_type`."""
    name = "".join(part.title() for part in tag.split("_"))
    namespace = {
        "__annotations__": {"data": Annotated[data_type, _means(f"what happened: {tag} data")]},
        "__doc__": f"The `{tag}` event; `data` is a {data_type.__name__}.",
        "__module__": __name__,
    }
    return type(name, (Event,), namespace, tag=tag, kw_only=True)


EVENT_TYPES: dict[str, type] = {tag: _event(tag, dt) for tag, dt in DATA_TYPES.items()}
AnyEvent = Union[tuple(EVENT_TYPES.values())]  # type: ignore[valid-type]


class Ref(NamedTuple):
    """A `data` field that names an entity of the stream: which kinds it may name, the field,
    and whether it holds a list of ids."""

    kinds: tuple[str, ...]
    field: str
    many: bool = False


class References(NamedTuple):
    """What one event type does to the stream's entities: the field that introduces a new
    one (its id must be new), and the fields that cite existing ones (each must resolve)."""

    introduces: Ref | None = None
    cites: tuple[Ref, ...] = ()


_ORDER, _ORDERS = Ref(("order",), "order_id"), Ref(("order",), "order_ids", many=True)
_CASE = Ref(("case",), "case_id")
_PENALTY = Ref(("penalty",), "penalty_id")
_EVENT = Ref(("event",), "target_id")

# The one table of references (SPEC §3): the append's reference check, `why`, the report and
# the test strategies read it. An entity is an order, notice, case, penalty or an event (by
# its id). A field that is absent cites nothing.
REFERENCES: dict[str, References] = {
    "order_issued": References(introduces=_ORDER),
    "accounts_blocked": References(cites=(_ORDER,)),
    "accounts_unblocked": References(cites=(_ORDER,)),
    "notice_sent": References(introduces=Ref(("notice",), "notice_id"), cites=(_ORDERS,)),
    "acknowledgement_sent": References(cites=(Ref(("notice", "order"), "ref_id"),)),
    "dialogue_requested": References(),
    "meeting_held": References(),
    "statement_published": References(),
    "compliance_reported": References(cites=(_ORDER,)),
    "challenge_filed": References(introduces=_CASE, cites=(_ORDERS,)),
    "ruling_issued": References(cites=(_CASE,)),
    "event_retracted": References(cites=(_EVENT,)),
    "event_corrected": References(cites=(_EVENT,)),
    "penalty_imposed": References(introduces=_PENALTY, cites=(_ORDERS, _CASE)),
    "penalty_paid": References(cites=(Ref(("penalty",), "penalty_ids", many=True),)),
    "penalty_lifted": References(cites=(_PENALTY,)),
    "service_suspended": References(cites=(_ORDER,)),
    "service_restored": References(),
}

# The types that amend another event instead of telling a development.
AMENDING = frozenset({"event_retracted", "event_corrected"})


def introduced(kind: str, data: dict) -> tuple[str, str] | None:
    """(entity kind, id) of the entity an event of type `kind` introduces, if any."""
    ref = REFERENCES[kind].introduces
    if ref is None or data.get(ref.field) is None:
        return None
    return ref.kinds[0], data[ref.field]


def citations(kind: str, data: dict) -> list[tuple[Ref, str, str]]:
    """(ref, field path, id) of every id an event of type `kind` cites in `data`, in field
    order; the path names a list's element (`order_ids[1]`)."""
    out = []
    for ref in REFERENCES[kind].cites:
        value = data.get(ref.field)
        if value is None:
            continue
        if ref.many:
            out += [(ref, f"{ref.field}[{i}]", v) for i, v in enumerate(value)]
        else:
            out.append((ref, ref.field, value))
    return out
