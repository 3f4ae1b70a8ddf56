"""Commands that read the log: log, state, compliance, diff, why, rebuild."""

from __future__ import annotations

from typing import Iterator

import click

from ..timeline import stops_at
from ..views.summary import event_summary, plural, source_line
from .format import cell, check_formats, csv_text, exact, json_line, pretty_json, printable, \
    progress, say, say_lines
from .group import _errors, db_option, keep_collecting, main, open_log, stop_on_terminate
from .lines import because_lines, log_lines, summary_line
from .params import WholeNumber
from .read_options import (PUBLIC_AT_HELP, format_options, note_if_backwards,
                           note_if_nothing, note_uncounted, read_options, wide_option)
from .tables import (COMPLIANCE_FIELDS, COMPLIANCE_TABLE, STATE_TABLE, fitted_tables, readable,
                     reported, ruling, state_columns, with_stream, with_v2)


@main.command()
@read_options()
@format_options
@wide_option
@db_option
@_errors
def compliance(stream, as_of, known_at, public_at, as_json, as_csv, excel_safe, wide, db):
    """Per-order compliance: blocked, restored, status, notices, reported figures.

    \b
    Example:
      docket compliance --as-of 2021-02-08
      docket compliance --json --known-at 2026-11-30
      docket compliance --public-at 2021-02-09
    """
    check_formats(as_json, as_csv, excel_safe)
    log = open_log(db)
    rows = log.compliance(stream, as_of=as_of, known_at=known_at, public_at=public_at)
    if as_json:
        click.echo(pretty_json(rows))
    elif as_csv:
        exact(csv_text(rows, COMPLIANCE_FIELDS, excel_safe=excel_safe))
    else:
        columns = with_stream(with_v2(COMPLIANCE_TABLE, rows), rows, "order_id")
        say(fitted_tables([("orders", [reported(r) for r in rows], columns)], wide)[0])
    note_if_nothing(log, not rows, stream, as_of, known_at, public_at)
    note_uncounted(rows)


@main.command()
@read_options(one_stream=True)
@format_options
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              metavar="DIR", help="With --csv: write one CSV file per section into DIR "
                                  "(orders.csv, accounts.csv, notices.csv, …).")
@wide_option
@db_option
@_errors
def state(stream, as_of, known_at, public_at, as_json, as_csv, excel_safe, out_dir, wide, db):
    """The state of one stream: orders, accounts, notices, dialogue, challenges, penalties,
    service.

    A table per section; --json prints the whole view; --csv -o DIR writes one CSV file per
    section into DIR (created if missing), since one CSV cannot hold them all.

    \b
    Example:
      docket state --stream twitter-india-2021 --as-of 2021-02-08 --json
      docket state --stream twitter-india-2021 --as-of 2021-02-08 --csv -o feb08/
    """
    check_formats(as_json, as_csv, excel_safe)
    if as_csv and out_dir is None:
        raise click.UsageError("--csv writes one CSV file per section (orders, accounts, "
                               "notices, …, service): give the folder with -o DIR")
    if out_dir is not None and not as_csv:
        raise click.UsageError("-o DIR goes with --csv")
    log = open_log(db)
    view = log.state(stream, as_of=as_of, known_at=known_at, public_at=public_at)
    _print_state(view, as_json, as_csv, excel_safe, out_dir, public_at, wide)
    empty = not any(v for v in view.values() if isinstance(v, (dict, list)))
    note_if_nothing(log, empty, view["stream"], as_of, known_at, public_at)


def _print_state(view: dict, as_json, as_csv, excel_safe, out_dir, public_at, wide) -> None:
    if as_json:
        click.echo(pretty_json(view))
        return
    from ..views.sections import sections

    parts = sections(view)
    if as_csv:
        from ..files import write_inside

        files = {f"{part.name}.csv": csv_text(part.rows, part.columns,
                                              excel_safe=excel_safe).encode()
                 for part in parts}
        write_inside(out_dir, files, only_changed=False)
        click.echo(f"wrote {len(files)} CSV files into {printable(out_dir)}: "
                   + ", ".join(files))
        return
    say(f"stream {printable(view['stream'])}  as of "
        f"{printable(stops_at(view['as_of'], public_at) or 'now')}  known at "
        f"{view['known_at'] or 'now'}"
        + (f"  public at {printable(public_at)}" if public_at else "")
        + f"  last seq {view['last_seq']}  version "
        f"{view['version']}")
    say(f"fingerprint {view['fingerprint']}")
    texts = fitted_tables([(part.name, [readable(r) for r in part.rows],
                            state_columns(part.name, part.rows, part.columns))
                           for part in parts], wide)
    for part, text in zip(parts, texts):
        say(f"\n{printable(part.name)}\n{text}")


LOG_CSV = ("seq", "occurred_at", "stream", "type", "actor", "confidence", "id", "summary",
           "sources", "corrected", "retracted")
# The columns of `diff --csv` (its JSON's keys) and of `why --csv` (each cited event's).
DIFF_CSV = ("kind", "key", "field", "from", "to")
WHY_CSV = ("seq", "occurred_at", "type", "actor", "confidence", "id", "summary", "sources")


@main.command(name="log")
@read_options()
@click.option("--from", "since", help="Only events that occurred at or after this time.")
@click.option("--follow", is_flag=True,
              help="Print every event after --after-seq in seq order, then each new one as it "
                   "commits, until interrupted (Ctrl-C).")
@click.option("--after-seq", type=WholeNumber(0, 2**53 - 1), default=0,
              show_default=True, help="With --follow: start after this seq.")
@click.option("--wide", is_flag=True,
              help="Show each summary whole and each source's address.")
@format_options
@db_option
@_errors
def log_(stream, as_of, known_at, public_at, since, follow, after_seq, wide, as_json, as_csv,
         excel_safe, db):
    """The timeline in replay order (occurred_at, then seq), with sources.

    Each source reads `Outlet: title (published)`; --wide adds its address and shows every
    summary whole (--json and --csv always have all of it). Disputed and single-source
    events are marked, and so are retracted ones and corrected ones (which show their
    corrected data, with each correction's seq and reason). With --follow, the log as it grows instead:
    every event after --after-seq in seq order, then each new one as it commits (one JSON
    line per event with --json), until Ctrl-C (exit 0).

    \b
    Example:
      docket log --from 2021-01-31 --as-of 2021-02-11
      docket log --wide --stream twitter-india-2021
      docket log --follow --after-seq 22 --json
    """
    check_formats(as_json, as_csv, excel_safe)
    if follow:
        if as_of or known_at or public_at or since or as_csv:
            raise click.UsageError("--follow prints the log as it grows: it takes --stream, "
                                   "--after-seq, --wide and --json only")
        _follow(open_log(db), stream, after_seq, as_json, wide)
        return
    if after_seq:
        raise click.UsageError("--after-seq goes with --follow")
    log = open_log(db)
    records = log.timeline(stream, as_of=as_of, known_at=known_at, since=since,
                           public_at=public_at)
    _print_records(records, as_json, as_csv, excel_safe, wide)
    note_if_nothing(log, not records and since is None, stream, as_of, known_at, public_at)


def _print_records(records: list[dict], as_json, as_csv, excel_safe, wide) -> None:
    if as_json:
        click.echo(pretty_json(records))
        return
    if as_csv:
        rows = [{**r, "summary": event_summary(r),
                 "sources": "\n".join(source_line(s, url=True) for s in r["sources"])}
                for r in records]
        exact(csv_text(rows, LOG_CSV, excel_safe=excel_safe))
        return
    several = len({r["stream"] for r in records}) > 1
    width = max((len(printable(r["stream"])) for r in records), default=0) if several else 0
    say_lines(log_lines(records, several, width, wide))


def _follow(log, stream, after_seq: int, as_json: bool, wide: bool) -> None:
    """Print each record as it commits until interrupted; Ctrl-C or SIGTERM ends it with
    exit 0. A stream that does not exist yet is waited for like any other, and so is a
    database server that restarts."""
    keep_collecting()
    try:
        with stop_on_terminate():
            _print_follow(log, stream, after_seq, as_json, wide)
    except KeyboardInterrupt:
        return


def _print_follow(log, stream, after_seq: int, as_json: bool, wide: bool) -> None:
    for record in log.follow(after_seq, stream=stream):
        # click.echo flushes each line, so a pipe sees every record as it commits
        # (click.get_text_stream, used before, is deprecated since Click 8.5).
        if as_json:
            click.echo(json_line(record))
        else:
            click.echo(f"#{record['seq']:<6} {record['recorded_at']}  "
                       f"{printable(record['stream'])}  "
                       f"{printable(record['occurred_at']):<25} "
                       f"{printable(record['type']):<21} "
                       f"{summary_line(record, wide)}")


@main.command()
@click.option("--from", "from_", required=True, help="The earlier as-of time.")
@click.option("--to", "to", required=True, help="The later as-of time.")
@click.option("--stream", help="The stream (default: the only one).")
@click.option("--known-at", help="Only what the log held at this time.")
@click.option("--public-at", help=PUBLIC_AT_HELP)
@format_options
@db_option
@_errors
def diff(from_, to, stream, known_at, public_at, as_json, as_csv, excel_safe, db):
    """What changed in the views between two times (--csv: a row per change, its kind,
    key, field, from and to).

    \b
    Example:
      docket diff --stream twitter-india-2021 --from 2021-02-01 --to 2021-02-11
    """
    check_formats(as_json, as_csv, excel_safe)
    log = open_log(db)
    changes = log.diff(from_, to, stream=stream, known_at=known_at, public_at=public_at)
    if as_json:
        click.echo(pretty_json(changes))
    elif as_csv:
        exact(csv_text(changes, DIFF_CSV, excel_safe=excel_safe))
    else:
        say_lines(_change_lines(changes) if changes else
                  [f"no change between {printable(from_)} and {printable(to)}"])
    # No change, and no event in view at `to`: say which time left them out.
    note_if_nothing(log, not changes, stream, to, known_at, public_at)
    note_if_backwards(from_, to)


def _change_lines(changes: list[dict]) -> Iterator[str]:
    for c in changes:
        what = f"{printable(c['kind'])} {printable(c['key'])}"
        if c["field"] is None:
            yield (f"{what}: {'added' if c['from'] is None else 'removed'} "
                   f"({_entry_words(c['kind'], c['to'] or c['from'])})")
        else:
            yield f"{what} {printable(c['field'])}: {_plain(c['from'])} -> {_plain(c['to'])}"


# The state view's section of each kind `diff` names (the others add an s).
_SECTION_OF = {"dialogue": "dialogue", "penalty_total": "penalty_totals", "service": "service"}


def _entry_words(kind: str, entry: dict) -> str:
    """An entry `diff` adds or removes, in the columns its section's table shows (after
    its key; empty ones left out): `issued_at 2021-02-04, target_count 1178, …`."""
    from ..views.sections import KEY_COLUMNS, sections

    name = _SECTION_OF.get(kind, kind + "s")
    columns = STATE_TABLE.get(name) or sections({name: [entry]})[0].columns
    return ", ".join(f"{printable(c)} {_plain(entry[c])}" for c in columns
                     if c not in (KEY_COLUMNS.get(name), "stream")
                     and entry.get(c) not in (None, "", [], {}))


def _plain(value) -> str:
    """A value as the tables print it: yes/no, `-` for nothing, lists comma-joined, a
    report as `n/m (reporter)`, rulings in words; escaped."""
    if isinstance(value, dict) and set(value) >= {"actioned", "specified"}:
        return printable(f"{value['actioned']}/{value['specified']} "
                         f"({value.get('reporter') or '-'})")
    if isinstance(value, list) and value and all(isinstance(v, dict) and "outcome" in v
                                                 for v in value):
        return "; ".join(printable(ruling(v)) for v in value)
    return cell(value)


@main.command()
@click.argument("ref")
@read_options(one_stream=True)
@format_options
@db_option
@_errors
def why(ref, stream, as_of, known_at, public_at, as_json, as_csv, excel_safe, db):
    """Explain one fact: a target, an order_id, a notice_id, a case_id, a penalty_id or a
    country code (the service there), and the events behind it (each with its summary and
    sources). --csv gives those events, a row each; the fact's own entry is in the table
    and in --json.

    \b
    Example:
      docket why O-2021-02-04 --stream twitter-india-2021 --as-of 2021-02-12
      docket why "WP 13710/2022" --stream twitter-india-2021
      docket why BR --stream brazil-x-2024 --as-of 2024-09-15
    """
    check_formats(as_json, as_csv, excel_safe)
    answer = open_log(db).why(ref, stream=stream, as_of=as_of, known_at=known_at,
                              public_at=public_at)
    if as_json:
        click.echo(pretty_json(answer))
        return
    if as_csv:
        exact(csv_text(answer["events"], WHY_CSV, excel_safe=excel_safe))
        return
    say(f"{answer['kind']} {printable(ref)}")
    for key, value in answer["status"].items():
        if key == "rulings" and value:  # one a line: each is a sentence or more
            say_lines([f"  {'rulings:':<23}{printable(ruling(value[0]))}",
                       *(f"  {'':<23}{printable(ruling(r))}" for r in value[1:])])
        elif answer["kind"] != "order" or key not in ("order_id", "stream"):
            say(f"  {printable(key) + ':':<23}{_plain(value)}")
    say("because:")
    say_lines(because_lines(answer["events"]))


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_errors
def rebuild(db, as_json):
    """Rebuild the stored views and snapshots from the log.

    \b
    Example:
      docket rebuild
    """
    log = open_log(db)
    with progress(log.count(), "rebuilding") as bar:
        streams = log.rebuild(progress=bar)
    summary = {"streams": streams, "events": log.count()}
    click.echo(json_line(summary) if as_json else
               f"rebuilt the views of {plural(streams, 'stream')} from "
               f"{plural(summary['events'], 'event')}")
