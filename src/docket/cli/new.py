"""`docket new TYPE`: record one event by answering a question per field on a terminal.

Each answer is checked as it is given, by the same rules as the decoder (`check_value`), and
asked again with the problem in the user's words; what only the whole event or the log can
judge (a reference to an unknown order, `all_targets` without `order_id`) is checked when
the event is appended, and the field it names is asked again.
"""

from __future__ import annotations

import re
import sys

import click

from ..errors import InvalidEvent
from .format import json_line, pretty_json
from .group import _errors, db_option, main, open_log

__all__ = ["new"]

_YES = {"y": True, "yes": True, "true": True, "n": False, "no": False, "false": False}
_FIELD = re.compile(r"field `([^`]+)`")


def _say(text: str = "") -> None:
    click.echo(text)


def _parse(spec, answer: str):
    """The value an answer stands for, before the field's own checks."""
    if spec.kind in ("count", "money"):
        if not re.fullmatch(r"-?[0-9]+", answer):
            raise ValueError(f"{answer!r} is not a whole number: write digits only, e.g. 1178")
        return int(answer)
    if spec.kind == "bool":
        if answer.lower() not in _YES:
            raise ValueError(f"{answer!r}: answer yes or no")
        return _YES[answer.lower()]
    if spec.kind == "object":
        from ..codec import decode_json

        try:
            return decode_json(answer.encode("utf-8"), "", spec.name)
        except InvalidEvent as exc:
            raise ValueError(str(exc)) from None
    return answer


def _ask_one(spec, prompt: str, *, optional: bool):
    """Ask until the answer is valid; None for an empty answer to an optional question."""
    from ..catalog_fields import check_value

    while True:
        answer = click.prompt(prompt, default="", show_default=False, prompt_suffix=" ").strip()
        if answer == "":
            if optional:
                return None
            _say("  an answer is required")
            continue
        try:
            return check_value(spec, _parse(spec, answer))
        except ValueError as exc:
            _say(f"  {exc}")


def _ask(spec, *, default: str | None = None):
    """Show a field (meaning, type, allowed values, format, default) and ask for it."""
    from ..catalog_fields import check_value, words

    need = ("required" if spec.required else "optional") + (
        f", Enter for {default}" if default is not None else
        "" if spec.required else ", Enter to skip")
    _say(f"{spec.name} ({need}): {spec.meaning}")
    _say(f"  {words(spec)}")
    if spec.default is not None:
        _say(f"  if absent: {spec.default}")
    if spec.kind != "list":
        value = _ask_one(spec, ">", optional=not spec.required or default is not None)
        return default if value is None and default is not None else value
    items = []
    while True:
        more = not spec.min_length or len(items) >= spec.min_length
        value = _ask_one(spec.item, f"  {len(items) + 1}{' (Enter to finish)' if more else ''}>",
                         optional=more)
        if value is None:
            break
        items.append(value)
    if not items:
        return None
    try:
        return check_value(spec, items)
    except ValueError as exc:  # too many: the list's own limit
        _say(f"  {exc}")
        return _ask(spec, default=default)


def _ask_sources(fields) -> list[dict]:
    """Sources one by one: a title, then its other fields; an empty title ends."""
    sources = []
    by_name = {f.name: f for f in fields}
    _say("sources (optional): where the facts come from; Enter for no more")
    while True:
        title = _ask_one(by_name["title"], f"source {len(sources) + 1} title>", optional=True)
        if title is None:
            return sources
        source = {"title": title}
        for name in ("url", "published", "quote"):
            spec = by_name[name]
            value = _ask_one(spec, f"  {name} ({spec.meaning}; Enter to skip)>", optional=True)
            if value is not None:
                source[name] = value
        sources.append(source)


def _stream_default(log) -> str | None:
    names = log.streams()
    return names[0] if len(names) == 1 else None


@main.command()
@click.argument("type_", metavar="TYPE")
@click.option("--stream", help="The stream (asked for when not given).")
@db_option
@_errors
def new(type_, stream, db):
    """Record one event of TYPE on a terminal: a question per field, each answer checked as
    it is given, then the event is shown and appended (prints its receipt).

    \b
    Example:
      docket new statement_published --stream twitter-india-2021
    """
    from ..catalog import EVENT_TYPES
    from ..codec import check_stream_option

    if type_ not in EVENT_TYPES:
        raise click.BadParameter(f"{type_!r} is not an event type (the types: "
                                 f"{', '.join(EVENT_TYPES)})", param_hint="TYPE")
    if not sys.stdin.isatty():
        raise click.UsageError("docket new asks questions on a terminal, and stdin is not one; "
                               "to append from a script use docket append")
    check_stream_option(stream, "--stream")
    receipt = _interview(open_log(db, create=True), type_, stream)
    click.echo(json_line(receipt))


def _interview(log, type_: str, stream: str | None):
    """Ask for each field of one `type_` event, show it, append it once confirmed (asking
    again for what the log refuses); its receipt."""
    from ..catalog_fields import data_fields, event_fields, source_fields, type_meaning

    top = {f.name: f for f in event_fields(type_)}
    specs = {f.name: f for f in data_fields(type_)}
    _say(f"{type_}: {type_meaning(type_)}")
    _say()
    data = {}
    for spec in specs.values():
        _put(data, spec.name, _ask(spec))
    event = {"type": type_, "stream": stream, "occurred_at": None, "data": data}
    if stream is None:
        event["stream"] = _ask(top["stream"]._replace(required=True),
                               default=_stream_default(log))
    event["occurred_at"] = _ask(top["occurred_at"])
    _put(event, "actor", _ask(top["actor"]))
    _put(event, "sources", _ask_sources(source_fields()) or None)
    event["confidence"] = _ask(top["confidence"], default="reported")
    while True:
        _say()
        _say(pretty_json(event))
        if not click.confirm("Append it?", default=True):
            raise click.Abort()
        try:
            receipts = log.append([event])
        except InvalidEvent as exc:
            # Ask again for what the log refused, when it names a field we asked for.
            m = _FIELD.search(str(exc))
            path = m[1] if m else ""
            name = re.split(r"[.\[]", path.removeprefix("data."))[0]
            _say(f"  {exc}")
            if path == "data":  # the fields together: ask them all again
                for spec in specs.values():
                    _put(data, spec.name, _ask(spec))
            elif path.startswith("data.") and name in specs:
                _put(data, name, _ask(specs[name]))
            elif path in ("stream", "occurred_at", "actor", "confidence"):
                _put(event, path, _ask(top[path]))
            else:
                raise
            continue
        return receipts[0]


def _put(target: dict, key: str, value) -> None:
    """Set `key`, or leave it out when there is no value."""
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
