"""Commands that add or move events: append, import, export, types."""

from __future__ import annotations

import sys

import click

from ..errors import InvalidEvent
from .format import json_line, progress
from .group import _errors, db_option, main, open_log


def _read_source(path: str):
    """Open a JSONL file or stdin (`-`) as bytes."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InvalidEvent(f"cannot read {path}: {exc.strerror}") from None


def _numbered(source):
    from ..codec import iter_lines

    return list(iter_lines(source))


@main.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--type", "type_", help="Event type (single event from options).")
@click.option("--stream", help="Stream for events that name none.")
@click.option("--occurred-at", help="When it happened: YYYY-MM-DD or RFC 3339 with offset.")
@click.option("--data", "data", help="The event's data as a JSON object.")
@click.option("--actor", help="Who acted.")
@click.option("--id", "ident", help="Idempotency key (generated when absent).")
@click.option("--confidence", type=click.Choice(["confirmed", "reported", "single_source", "disputed"]))
@click.option("--expected-version", type=click.IntRange(min=0, max=2**53 - 1),
              help="Append only if the stream is at this version (0: must not exist).")
@db_option
@_errors
def append(file, type_, stream, occurred_at, data, actor, ident, confidence, expected_version, db):
    """Append events from FILE (JSONL, `-` for stdin) or one event from options.

    Prints one JSON line per event: seq, id, stream, version, hash, duplicate.

    \b
    Examples:
      docket append events.jsonl
      docket append --type dialogue_requested --stream twitter-india-2021 \\
        --occurred-at 2021-02-08 --data '{"by": "Twitter", "addressee": "MeitY"}'
    """
    if file is None and type_ is None:
        raise click.UsageError("give a FILE (or -) or --type/--occurred-at/--data")
    if file is not None and type_ is not None:
        raise click.UsageError("give a FILE or --type, not both")
    log = open_log(db, create=True)
    if file is None:
        import msgspec

        if occurred_at is None or data is None:
            raise click.UsageError("--type needs --occurred-at and --data")
        try:
            payload = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise InvalidEvent(f"event ({type_}): field `data`: not valid JSON ({exc})") from None
        event = {"type": type_, "occurred_at": occurred_at, "data": payload}
        for key, value in (("actor", actor), ("id", ident), ("confidence", confidence)):
            if value is not None:
                event[key] = value
        receipts = log.append([event], expected_version, stream=stream)
    else:
        with _read_source(file) as source:
            numbered = _numbered(source)
        from ..codec import decode_event

        events = [decode_event(raw, line=n) for n, raw in numbered]
        receipts = log.append(events, expected_version, stream=stream,
                              lines=[n for n, _ in numbered])
    for receipt in receipts:
        click.echo(json_line(receipt))


@main.command(name="import")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--stream", help="Stream for events that name none.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
@_errors
def import_(file, stream, as_json, db):
    """Import FILE (JSONL): input events, or records exported by `docket export`.

    The whole file is one atomic batch. Exported records keep their seq, recorded_at and
    hashes, so importing an export into an empty log reproduces it exactly.

    \b
    Example:
      docket import events/twitter-india-2021.jsonl
    """
    log = open_log(db, create=True)
    with _read_source(file) as source:
        numbered = _numbered(source)
    with progress(len(numbered), "importing") as bar:
        receipts = log.import_lines(numbered, stream=stream, progress=bar)
    added = [r for r in receipts if not r.duplicate]
    summary = {"imported": len(added), "duplicates": len(receipts) - len(added),
               "last_seq": max((r.seq for r in receipts), default=0), "db": db}
    if as_json:
        click.echo(json_line(summary))
    else:
        click.echo(f"imported {summary['imported']} events ({summary['duplicates']} duplicates) "
                   f"into {db}; last seq {summary['last_seq']}")


@main.command()
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="File to write (default stdout), whole or not at all.")
@click.option("--stream", help="Only this stream.")
@db_option
@_errors
def export(output, stream, db):
    """Export the log as JSONL records (with seq, version, recorded_at, hashes).

    \b
    Example:
      docket export -o backup.jsonl
    """
    log = open_log(db)
    if output == "-":
        out = sys.stdout.buffer
        for line in log.export_lines(stream):
            out.write(line)
        out.flush()
        return
    from ..files import write_atomic

    write_atomic(output, log.export_lines(stream))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON Schema of each type.")
@_errors
def types(as_json):
    """The event catalogue: each type and its data fields (`?` = optional).

    \b
    Example:
      docket types --json
    """
    from ..catalog import DATA_TYPES, json_schemas
    from .format import pretty_json

    if as_json:
        click.echo(pretty_json(json_schemas()))
        return
    for tag, data_type in DATA_TYPES.items():
        fields = []
        for name, default in zip(data_type.__struct_fields__, _defaults(data_type)):
            fields.append(name + ("?" if default else ""))
        click.echo(f"{tag:22} {', '.join(fields)}")


def _defaults(data_type) -> list[bool]:
    """Whether each field of a data Struct is optional."""
    n_fields = len(data_type.__struct_fields__)
    n_defaults = len(data_type.__struct_defaults__)
    return [False] * (n_fields - n_defaults) + [True] * n_defaults
