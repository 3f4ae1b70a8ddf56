"""Commands that read the log: log, state, compliance, diff, why, rebuild."""

from __future__ import annotations

import click

from ..views.summary import event_summary
from .format import cell, csv_text, json_line, pretty_json, progress, table
from .group import _errors, db_option, main, open_log


def read_options(func):
    """`--stream`, `--as-of`, `--known-at` of every read command."""
    func = click.option("--known-at", help="Only what the log held at this time.")(func)
    func = click.option("--as-of", help="Only what occurred by this time (a day: all of it).")(func)
    func = click.option("--stream", help="The stream (default: every stream, or the only one).")(func)
    return func


def format_options(func):
    """`--json` and `--csv`; a readable table by default."""
    func = click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)
    return func


COMPLIANCE_TABLE = ("order_id", "issued_at", "target_count", "blocked", "ever_blocked",
                    "restored", "compliance", "status", "first_action_at", "overdue",
                    "notices", "acknowledged", "reported")
COMPLIANCE_FIELDS = ("order_id", "stream", "issuer", "platform", "issued_at", "legal_basis",
                     "procedure", "target_count", "blocked", "ever_blocked", "restored",
                     "compliance", "status", "first_action_at", "hours_to_first_action",
                     "deadline", "overdue", "notices", "acknowledged", "reported")


def _reported(row: dict) -> dict:
    rep = row.get("reported")
    return {**row, "reported": f"{rep['actioned']}/{rep['specified']}" if rep else None}


@main.command()
@read_options
@format_options
@db_option
@_errors
def compliance(stream, as_of, known_at, as_json, as_csv, db):
    """Per-order compliance: blocked, restored, status, notices, reported figures.

    \b
    Example:
      docket compliance --as-of 2021-02-08
      docket compliance --json --known-at 2021-02-09
    """
    rows = open_log(db).compliance(stream, as_of=as_of, known_at=known_at)
    if as_json:
        click.echo(pretty_json(rows))
    elif as_csv:
        click.echo(csv_text(rows, COMPLIANCE_FIELDS), nl=False)
    else:
        click.echo(table([_reported(r) for r in rows], COMPLIANCE_TABLE))


@main.command()
@read_options
@format_options
@db_option
@_errors
def state(stream, as_of, known_at, as_json, as_csv, db):
    """The state of one stream: orders, accounts, notices, dialogue, challenges.

    \b
    Example:
      docket state --as-of 2021-02-08 --json
    """
    view = open_log(db).state(stream, as_of=as_of, known_at=known_at)
    if as_json:
        click.echo(pretty_json(view))
        return
    accounts = [{"target": t, **a} for t, a in view["accounts"].items()]
    if as_csv:
        click.echo(csv_text(accounts, ("target", "status", "scope", "order_id", "since")), nl=False)
        return
    click.echo(f"stream {view['stream']}  as of {view['as_of'] or 'now'}  known at "
               f"{view['known_at'] or 'now'}  last seq {view['last_seq']}  version "
               f"{view['version']}")
    click.echo(f"fingerprint {view['fingerprint']}\n")
    click.echo("orders")
    click.echo(table([_reported(r) for r in view["orders"].values()], COMPLIANCE_TABLE))
    click.echo("\naccounts")
    click.echo(table(accounts, ("target", "status", "scope", "order_id", "since")))
    click.echo("\nnotices")
    click.echo(table([{"notice_id": n, **x} for n, x in view["notices"].items()],
                     ("notice_id", "kind", "sent_at", "order_ids", "acknowledged_at")))
    click.echo("\ndialogue")
    click.echo(table(view["dialogue"], ("by", "addressee", "requested_at")))
    click.echo("\nchallenges")
    click.echo(table([{"case_id": c, **x} for c, x in view["challenges"].items()],
                     ("case_id", "court", "petitioner", "filed_at", "rulings")))


@main.command(name="log")
@read_options
@click.option("--from", "since", help="Only events that occurred at or after this time.")
@click.option("--follow", is_flag=True,
              help="Print every event after --after-seq in seq order, then each new one as it "
                   "commits, until interrupted (Ctrl-C).")
@click.option("--after-seq", type=click.IntRange(min=0, max=2**53 - 1), default=0,
              show_default=True, help="With --follow: start after this seq.")
@format_options
@db_option
@_errors
def log_(stream, as_of, known_at, since, follow, after_seq, as_json, as_csv, db):
    """The timeline in replay order (occurred_at, then seq), with sources.

    Retracted events are marked; corrected ones show their corrected data. With --follow,
    the log as it grows instead: every event after --after-seq in seq order, then each new
    one as it commits (one JSON line per event with --json), until Ctrl-C (exit 0).

    \b
    Example:
      docket log --from 2021-01-31 --as-of 2021-02-11
      docket log --follow --after-seq 22 --json
    """
    if follow:
        if as_of or known_at or since or as_csv:
            raise click.UsageError("--follow prints the log as it grows: it takes --stream, "
                                   "--after-seq and --json only")
        _follow(open_log(db), stream, after_seq, as_json)
        return
    if after_seq:
        raise click.UsageError("--after-seq goes with --follow")
    records = open_log(db).timeline(stream, as_of=as_of, known_at=known_at, since=since)
    if as_json:
        click.echo(pretty_json(records))
        return
    rows = [{**r, "summary": event_summary(r, width=110),
             "sources": [s.get("url") or s["title"] for s in r["sources"]]} for r in records]
    if as_csv:
        click.echo(csv_text(rows, ("seq", "occurred_at", "stream", "type", "actor", "confidence",
                                   "id", "summary", "sources")), nl=False)
        return
    for r in rows:
        mark = f"  [retracted: {r['retracted']['reason']}]" if r.get("retracted") else ""
        click.echo(f"{r['occurred_at']:<26} #{r['seq']:<5} {r['type']:<21} "
                   f"{r['actor'] or '-'}: {r['summary']}{mark}")
        for source in r["sources"]:
            click.echo(f"{'':34}source: {source}")


def _follow(log, stream, after_seq: int, as_json: bool) -> None:
    """Print each record as it commits until interrupted; Ctrl-C ends it with exit 0. A
    stream that does not exist yet is waited for like any other."""
    out = click.get_text_stream("stdout")
    try:
        for record in log.follow(after_seq, stream=stream):
            if as_json:
                out.write(json_line(record) + "\n")
            else:
                out.write(f"#{record['seq']:<6} {record['recorded_at']}  {record['stream']}  "
                          f"{record['occurred_at']:<25} {record['type']:<21} "
                          f"{record.get('actor') or '-'}: {event_summary(record, width=110)}\n")
            out.flush()
    except KeyboardInterrupt:
        return


@main.command()
@click.option("--from", "from_", required=True, help="The earlier as-of time.")
@click.option("--to", "to", required=True, help="The later as-of time.")
@click.option("--stream", help="The stream (default: the only one).")
@click.option("--known-at", help="Only what the log held at this time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@_errors
def diff(from_, to, stream, known_at, as_json, db):
    """What changed in the views between two times.

    \b
    Example:
      docket diff --from 2021-02-01 --to 2021-02-11
    """
    changes = open_log(db).diff(from_, to, stream=stream, known_at=known_at)
    if as_json:
        click.echo(pretty_json(changes))
        return
    if not changes:
        click.echo(f"no change between {from_} and {to}")
    for c in changes:
        if c["field"] is None:
            verb = "added" if c["from"] is None else "removed"
            click.echo(f"{c['kind']} {c['key']}: {verb}")
        else:
            click.echo(f"{c['kind']} {c['key']} {c['field']}: {_plain(c['from'])} -> "
                       f"{_plain(c['to'])}")


def _plain(value) -> str:
    """A value as the tables print it: yes/no, `-` for nothing, lists comma-joined."""
    if isinstance(value, dict) and set(value) >= {"actioned", "specified"}:
        return f"{value['actioned']}/{value['specified']} ({value.get('reporter') or '-'})"
    return json_line(value) if isinstance(value, dict) else cell(value)


@main.command()
@click.argument("ref")
@read_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@_errors
def why(ref, stream, as_of, known_at, as_json, db):
    """Explain one fact: a target, an order_id or a notice_id, and the events behind it.

    \b
    Example:
      docket why O-2021-02-04 --as-of 2021-02-12
    """
    answer = open_log(db).why(ref, stream=stream, as_of=as_of, known_at=known_at)
    if as_json:
        click.echo(pretty_json(answer))
        return
    click.echo(f"{answer['kind']} {ref}")
    for key, value in answer["status"].items():
        if answer["kind"] != "order" or key not in ("order_id", "stream"):
            click.echo(f"  {key + ':':<23}{_plain(value)}")
    click.echo("because:")
    for e in answer["events"]:
        click.echo(f"  #{e['seq']} {e['occurred_at']} {e['type']} {e['id']} ({e['actor'] or '-'})")
        for s in e["sources"]:
            click.echo(f"      source: {s['title']}" + (f" <{s['url']}>" if s.get("url") else "")
                       + (f" ({s['published']})" if s.get("published") else ""))


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
               f"rebuilt the views of {streams} streams from {summary['events']} events")
