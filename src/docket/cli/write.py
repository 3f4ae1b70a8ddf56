"""Commands that add or move events: append, import, export, types."""

from __future__ import annotations

import sys

import click

from ..errors import InvalidEvent
from .format import echo_lines, json_line, progress
from .group import _errors, db_option, main, open_log
from .params import WholeNumber


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


_SOURCE_KEYS = ("title", "url", "published", "quote")


def _sources(titles, urls, published, quotes) -> list[dict]:
    """Sources from the repeated --source-* options, paired in order ('' leaves one out)."""
    given = dict(zip(_SOURCE_KEYS, (titles, urls, published, quotes)))
    for key, values in given.items():
        if values and len(values) != len(titles):
            raise click.UsageError(
                f"{len(values)} --source-{key} for {len(titles)} --source-title: "
                "give each --source-* option once per source, in the same order ('' for "
                "a source without one)")
    out = []
    for i in range(len(titles)):
        source = {k: v[i] for k, v in given.items() if v and v[i] != ""}
        out.append(source)
    return out


@main.command()
@click.argument("file", required=False, type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--type", "type_", help="Event type (single event from options).")
@click.option("--stream", help="Stream for events that name none.")
@click.option("--occurred-at", help="When it happened: YYYY-MM-DD or RFC 3339 with offset.")
@click.option("--data", "data", help="The event's data as a JSON object.")
@click.option("--actor", help="Who acted.")
@click.option("--id", "ident", help="Idempotency key (generated when absent).")
@click.option("--confidence", type=click.Choice(["confirmed", "reported", "single_source", "disputed"]))
@click.option("--source-title", "source_titles", multiple=True,
              help="A source's outlet and title (repeat for each source).")
@click.option("--source-url", "source_urls", multiple=True,
              help="Its URL, paired in order with --source-title ('' for none).")
@click.option("--source-published", "source_published", multiple=True,
              help="When it was published, paired in order ('' for unknown).")
@click.option("--source-quote", "source_quotes", multiple=True,
              help="A quote from it, paired in order ('' for none).")
@click.option("--expected-version", type=WholeNumber(0, 2**53 - 1),
              help="Append only if the stream is at this version (0: must not exist).")
@db_option
@_errors
def append(file, type_, stream, occurred_at, data, actor, ident, confidence, source_titles,
           source_urls, source_published, source_quotes, expected_version, db):
    """Append events from FILE (JSONL, `-` for stdin) or one event from options.

    Prints one JSON line per event: seq, id, stream, version, hash, duplicate.
    `docket types TYPE` shows each type's fields and an example.

    \b
    Examples:
      docket append events.jsonl
      docket append --type dialogue_requested --stream twitter-india-2021 \\
        --occurred-at 2021-02-08 --data '{"by": "Twitter", "addressee": "MeitY"}' \\
        --source-title 'Reuters: Twitter seeks talks' --source-published 2021-02-08
    """
    from ..codec import check_stream_option

    if file is None and type_ is None:
        raise click.UsageError("give a FILE (or -) or --type/--occurred-at/--data")
    if file is not None and type_ is not None:
        raise click.UsageError("give a FILE or --type, not both")
    source_options = (source_titles, source_urls, source_published, source_quotes)
    if file is not None and any(source_options):
        raise click.UsageError("the --source-* options go with --type (a FILE's events "
                               "carry their own sources)")
    if not source_titles and any(source_options):
        raise click.UsageError("each source needs a --source-title")
    # A FILE's events carry their own fields: an option for one event would be dropped
    # without a word, and a retry with --id would append the event again.
    one_event = {"--occurred-at": occurred_at, "--data": data, "--actor": actor,
                 "--id": ident, "--confidence": confidence}
    if file is not None and any(v is not None for v in one_event.values()):
        given = ", ".join(k for k, v in one_event.items() if v is not None)
        raise click.UsageError(f"{given} {'goes' if ', ' not in given else 'go'} with --type "
                               "(a FILE's events carry their own fields; give each in the "
                               "event's JSON)")
    check_stream_option(stream, "--stream")
    # Every event is decoded and validated before the log is opened (or created): bad
    # input leaves no new file behind.
    from ..log import Log

    if file is None:
        from ..codec import decode_json

        if occurred_at is None or data is None:
            raise click.UsageError("--type needs --occurred-at and --data")
        payload = decode_json(data.encode("utf-8"), f"event ({type_}): ", "data")
        event = {"type": type_, "occurred_at": occurred_at, "data": payload}
        for key, value in (("actor", actor), ("id", ident), ("confidence", confidence)):
            if value is not None:
                event[key] = value
        if source_titles:
            event["sources"] = _sources(*source_options)
        events, lines = [Log.decode([event])[0][1]], None
    else:
        with _read_source(file) as source:
            numbered = _numbered(source)
        from ..codec import decode_event

        events = [decode_event(raw, line=n) for n, raw in numbered]
        lines = [n for n, _ in numbered]
    log = open_log(db, create=True)
    receipts = log.append(events, expected_version, stream=stream, lines=lines)
    echo_lines(json_line(receipt) for receipt in receipts)


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
    from ..codec import check_stream_option

    check_stream_option(stream, "--stream")
    log = open_log(db, create=True)
    with _read_source(file) as source:
        numbered = _numbered(source)
    with progress(len(numbered), "importing") as bar:
        receipts = log.import_lines(numbered, stream=stream, progress=bar)
    added = [r for r in receipts if not r.duplicate]
    summary = {"imported": len(added), "duplicates": len(receipts) - len(added),
               # The log's last seq (seqs run from 1 without a gap), not the file's last
               # line's: a file of duplicates or an empty one leaves the log where it was.
               "last_seq": log.count(),
               "db": log.path}  # as given; a URL without its password
    if as_json:
        click.echo(json_line(summary))
    else:
        click.echo(f"imported {summary['imported']} events ({summary['duplicates']} duplicates) "
                   f"into {log.path}; last seq {summary['last_seq']}")


@main.command()
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="File to write (default stdout), whole or not at all.")
@click.option("--stream", help="Only this stream. Its records keep their places in the whole "
              "log's chain, so they import only into a log that holds every record before "
              "them: into a new log, only when they are the log's first records, with none of "
              "another stream among them.")
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
@click.argument("type_", metavar="[TYPE]", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON Schemas (Draft 2020-12): of a whole event, or of TYPE.")
@_errors
def types(type_, as_json):
    """The event catalogue: each type and what it means; with TYPE, every field's type,
    allowed values, format, meaning and a complete example.

    `--json` prints the JSON Schema of a whole input event (its `$defs` hold one schema
    per type, titled by the type); with TYPE, that type's schema alone.

    \b
    Examples:
      docket types
      docket types order_issued
      docket types --json
    """
    from ..catalog import EVENT_TYPES

    if type_ is not None and type_ not in EVENT_TYPES:
        raise click.BadParameter(f"{type_!r} is not an event type (the types: "
                                 f"{', '.join(EVENT_TYPES)})", param_hint="TYPE")
    if as_json:
        from ..catalog_schema import event_schema, type_schema
        from .format import pretty_json

        click.echo(pretty_json(event_schema() if type_ is None else type_schema(type_)))
    elif type_ is None:
        click.echo(_catalogue_text())
    else:
        click.echo(_type_text(type_))


def _catalogue_text() -> str:
    from ..catalog import EVENT_TYPES
    from ..catalog_fields import data_fields, type_meaning

    lines = []
    for tag in EVENT_TYPES:
        fields = ", ".join(f.name + ("" if f.required else "?") for f in data_fields(tag))
        lines += [f"{tag:22} {type_meaning(tag)}", f"{'':22} data: {fields}"]
    lines += ["", "`docket types TYPE`: each field's type, allowed values, format, meaning and "
              "an example; `?` = optional."]
    return "\n".join(lines)


def _field_lines(fields) -> list[str]:
    lines = []
    for f in fields:
        # `stream` may come from --stream, but an event needs one.
        need = "required" if f.required or f.name == "stream" else "optional"
        words, meaning = _words(f)
        lines.append(f"  {f.name:18} {need:9} {words}")
        lines.append(f"  {'':18} {'':9} {meaning}")
        if f.default is not None:
            lines.append(f"  {'':18} {'':9} if absent: {f.default}")
    return lines


def _words(spec) -> tuple[str, str]:
    """(type in words, meaning) of a field as `docket types TYPE` prints it."""
    from ..catalog_fields import words

    if spec.name == "data":
        return "object", "what happened: the data fields above"
    if spec.name == "type":
        return spec.values[0], spec.meaning
    return words(spec), spec.meaning


def _type_text(tag: str) -> str:
    import shlex

    from ..catalog_examples import EXAMPLES
    from ..catalog_fields import data_fields, event_fields, source_fields, type_meaning
    from .format import json_line

    example = EXAMPLES[tag]
    command = ["docket", "append", "--type", tag]
    for key in ("stream", "occurred_at", "actor"):
        command += [f"--{key.replace('_', '-')}", example[key]]
    command += ["--data", json_line(example["data"])]
    for source in example["sources"]:
        for key in ("title", "url", "published", "quote"):
            if key in source:
                command += [f"--source-{key}", source[key]]
    command += ["--confidence", example["confidence"], "--id", example["id"]]
    lines = [f"{tag}: {type_meaning(tag)}", "", "data fields:", *_field_lines(data_fields(tag)),
             "", "event fields:", *_field_lines(event_fields(tag)),
             "", "each source:", *_field_lines(source_fields()),
             "", "example (one line of JSONL, for a file or `docket append -`):",
             json_line(example),
             "", "the same with options:", " ".join(shlex.quote(c) for c in command)]
    return "\n".join(lines)
