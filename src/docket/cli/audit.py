"""Commands of the audit: verify, checkpoint, project."""

from __future__ import annotations

import sys

import click

from .format import json_line, pretty_json, printable, progress, say
from .group import _errors, db_option, main, open_log
from .params import WholeNumber


@main.command()
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint file (from `docket checkpoint`) the log must still extend.")
@click.option("--projections", type=click.Path(exists=True, file_okay=False),
              help="A folder written by `docket project` to compare with a fresh replay.")
@click.option("--no-views", is_flag=True,
              help="Skip the fresh replay of the stored views (chain, triggers and "
                   "checkpoint only; faster).")
@click.option("--key", "key", metavar="VKEY",
              help="The log's verifier key (text or file): every signed checkpoint the log "
                   "kept, and a signed --checkpoint note, must carry its signature.")
@click.option("--witness", "witnesses", metavar="VKEY", multiple=True,
              help="A witness's verifier key (text or file); repeat for each witness.")
@click.option("--min-witnesses", type=WholeNumber(0), metavar="K",
              help="How many of the --witness keys must have cosigned (default: all).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"ok", "events", "problems"} as JSON.')
@db_option
@_errors
def verify(checkpoint_file, projections, no_views, key, witnesses, min_witnesses, as_json, db):
    """Audit the log: chain, triggers, stored views = replay, checkpoints, projections.

    Prints one line per problem (naming its seq, view row or file), then a summary.
    Exit code 0 when nothing is wrong, 1 when a problem was found. Every signed checkpoint
    the log kept is checked too: with --key, each must carry its signature (without it,
    each must be signed by the key of the first). A signed checkpoint note given with
    --checkpoint must carry the signature of --key, and the cosignatures of
    --min-witnesses of the --witness keys.

    \b
    Example:
      docket verify
      docket verify --checkpoint audit/2021-03-01.json --projections projections/
      docket verify --key log.vkey
      docket verify --checkpoint cp.note --key "$(cat log.vkey)" --witness w1.vkey
    """
    from ..audit.verify import unreadable_report
    from ..errors import DamagedDatabase

    try:
        log = open_log(db)
    except DamagedDatabase as exc:  # too damaged to open: still a report, not an error
        report = unreadable_report(db, exc)
    else:
        replay = not no_views or projections is not None
        try:
            total = log.count() * (2 if replay else 1)
        except DamagedDatabase:  # the audit says what it can still read
            total = None
        with progress(total, "verifying") as bar:
            report = log.verify(checkpoint_file, projections, views=not no_views,
                                progress=bar, key=key, witnesses=witnesses,
                                min_witnesses=min_witnesses)
    if as_json:
        click.echo(pretty_json(report))
    else:
        from ..audit.problems import problem_line

        for problem in report["problems"]:
            say(printable(problem_line(problem)))  # one line each, whatever it quotes
        say(printable(_summary(report, checkpoint_file, projections, no_views, key)))
    if not report["ok"]:
        sys.exit(1)


def _summary(report: dict, checkpoint_file, projections, no_views: bool, key) -> str:
    n = len(report["problems"])
    if n:
        where = ("a database that cannot be read" if report["events"] is None
                 else f"{report['events']} events")
        return f"FAILED: {n} problem{'s' if n != 1 else ''} in {where}"
    checked = ["chain", "triggers"] + ([] if no_views else ["stored views"])
    if key is not None:
        checked.append("the kept notes' signatures")
    if checkpoint_file is not None:
        checked.append(f"checkpoint {checkpoint_file}")
    if projections is not None:
        checked.append(f"projections {projections}")
    return (f"OK: {report['events']} events; " + ", ".join(checked[:-1])
            + f" and {checked[-1]} verified")


@main.command()
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="File to write (default stdout), whole or not at all.")
@click.option("--sign", "key_path", type=click.Path(dir_okay=False), metavar="KEYFILE",
              help="Sign it with this key file (from `docket keygen`): a C2SP signed "
                   "checkpoint note, kept in the log.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (the default without --sign; with it, the note's fields and "
                   "the note).")
@db_option
@_errors
def checkpoint(output, key_path, as_json, db):
    """Print the checkpoint: size, Merkle root, head hash and the views' fingerprint.

    Keep it outside the log (another machine, a commit, a newspaper): `docket verify
    --checkpoint FILE` later proves that the log still extends it. With --sign it is a
    C2SP signed note (origin, size, base64 root, docket-head, docket-views, signature),
    and the log keeps every note it signed.

    \b
    Example:
      docket checkpoint -o audit/2021-03-01.json
      docket checkpoint --sign log.key -o audit/2021-03-01.note
    """
    log = open_log(db)
    with progress(log.count() * 2, "checkpoint") as bar:
        if key_path is None:
            point = log.checkpoint(progress=bar)
        else:
            note = log.sign_checkpoint(key_path, progress=bar)
    if key_path is None:
        text = pretty_json(point) + "\n"
    elif as_json:
        from ..audit.signing import note_fields

        text = pretty_json({**note_fields(note), "note": note}) + "\n"
    else:
        text = note
    if output == "-":
        click.echo(text, nl=False)
        return
    from ..files import write_atomic

    write_atomic(output, text.encode("utf-8"))


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write (one subfolder per stream).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"streams", "files", "changed"} as JSON.')
@db_option
@_errors
def project(out_dir, as_json, db):
    """Write the views of each stream as files, for committing next to the events.

    DIR/<stream>/ gets state.json, compliance.json, timeline.json, summary.md and
    report.html (the page `docket report --stream` makes); the same log always writes the
    same bytes, and only files that change are rewritten.

    \b
    Example:
      docket project --out projections/
      docket verify --projections projections/
    """
    log = open_log(db)
    with progress(log.count() * 2, "projecting") as bar:
        summary = log.project(out_dir, progress=bar)
    if as_json:
        click.echo(json_line(summary))
        return
    n = summary["streams"]
    click.echo(f"wrote {len(summary['files'])} files for {n} stream{'s' if n != 1 else ''} "
               f"into {printable(out_dir)} ({len(summary['changed'])} changed)")
