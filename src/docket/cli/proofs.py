"""Commands of the proofs an auditor can hold: keygen, prove, cosign (SPEC §6–7).

`checkpoint --sign` and `verify --key/--witness` are options of the audit's commands.
"""

from __future__ import annotations

import click

from ..errors import StorageError, UsageError
from .group import _errors, db_option, main, open_log


def _read(path: str, what: str) -> str:
    from ..audit.checkpoint_note import read_note

    return read_note(path, what)


def _write(output: str, text: str) -> None:
    """Print `text`, or write it to `output` whole (a temporary file renamed into place)."""
    if output == "-":
        click.echo(text, nl=False)
        return
    from ..files import write_atomic

    write_atomic(output, text.encode("utf-8"))


@main.command()
@click.option("--origin", required=True, metavar="ORIGIN",
              help="The key's name: the log's origin (e.g. example.org/docket), or the "
                   "witness's name with --witness.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              metavar="KEYFILE", help="The private key file to create (mode 0600; never "
                                      "over an existing file).")
@click.option("--witness", is_flag=True,
              help="A witness's cosigning key (type 0x04) instead of a log's signing key.")
@_errors
def keygen(origin, output, witness):
    """Make an Ed25519 key and print its verifier key (the public half, to hand out).

    The private key file (mode 0600) holds one line `PRIVATE+KEY+NAME+ID+KEY`; sign
    checkpoints with `docket checkpoint --sign KEYFILE`, cosign with `docket cosign
    --key KEYFILE`. Takes no --db: a key belongs to no log.

    \b
    Example:
      docket keygen --origin example.org/takedowns -o log.key > log.vkey
      docket keygen --witness --origin witness.example.net -o witness.key > witness.vkey
    """
    from ..audit.keys import generate, write_key_file

    signer = generate(origin, witness=witness)
    write_key_file(output, signer)
    click.echo(signer.verifier.vkey)


@main.command()
@click.argument("event_id", metavar="ID", required=False)
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False),
              metavar="NOTE", help="The signed checkpoint note to prove against (default: "
                                   "the latest the log kept that covers the event).")
@click.option("--old", "old_file", type=click.Path(dir_okay=False), metavar="OLDNOTE",
              help="Instead of an event: prove that --checkpoint (default: the latest kept) "
                   "extends this older note (a consistency proof file, for `docket cosign`).")
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="File to write (default stdout); named ID.tlog-proof by convention.")
@db_option
@_errors
def prove(event_id, checkpoint_file, old_file, output, db):
    """Print a c2sp.org/tlog-proof@v1 proof that event ID is in the checkpointed log.

    The proof holds the event's index (seq - 1), its RFC 6962 inclusion proof and the
    checkpoint note verbatim: with the event's exported line and the log's verifier key,
    anyone can check it (tools/verify_docket.py proof). With --old instead of ID, a
    consistency proof from one note to a newer one.

    \b
    Example:
      docket prove 2021-02-04-order-1178 -o order-1178.tlog-proof
      docket prove --old audit/2021-03-01.note --checkpoint audit/2021-06-01.note -o c.proof
    """
    if (event_id is None) == (old_file is None):
        raise UsageError("give an event ID, or --old OLDNOTE for a consistency proof")
    log = open_log(db)
    note = None if checkpoint_file is None else _read(checkpoint_file,
                                                      f"--checkpoint {checkpoint_file}")
    if old_file is not None:
        text = log.consistency_proof(_read(old_file, f"--old {old_file}"), note)
    else:
        text = log.prove(event_id, note)
    _write(output, text)


@main.command()
@click.argument("new_file", metavar="NOTE", type=click.Path(dir_okay=False))
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False),
              metavar="WITNESSKEY", help="The witness's key file (`docket keygen --witness`).")
@click.option("--old", "old_note", required=True, type=click.Path(dir_okay=False),
              metavar="OLDNOTE", help="The checkpoint this witness saw last (of the same log).")
@click.option("--proof", "proof_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The consistency proof from OLDNOTE to NOTE (`docket prove --old`); "
                   "without it, computed from the log given with --db.")
@click.option("--log-key", metavar="VKEY",
              help="The log's verifier key (text or file): both notes must carry its "
                   "signature.")
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="File to write (default stdout).")
@click.option("--db", "db", envvar="DOCKET_DB", type=click.Path(dir_okay=False),
              help="The log, to compute the consistency proof from (instead of --proof).")
@_errors
def cosign(new_file, key_path, old_note, proof_file, log_key, output, db):
    """Cosign NOTE as a witness: print it with one more cosignature/v1 line.

    The witness checks that NOTE extends OLDNOTE (an RFC 6962 consistency proof, from
    --proof or from the log with --db) and refuses a checkpoint that does not (a fork).
    The cosignature signs the time (POSIX seconds, now) and NOTE's text.

    \b
    Example:
      docket cosign --key witness.key --old seen.note --proof c.proof --log-key log.vkey new.note
    """
    from ..audit.keys import read_verifier
    from ..audit.signing import cosign as cosign_note

    new, old = _read(new_file, new_file), _read(old_note, f"--old {old_note}")
    proof = None
    if proof_file is not None:
        try:
            with open(proof_file, "rb") as fh:
                proof = fh.read()
        except OSError as exc:
            raise StorageError(f"--proof {proof_file}: cannot read it "
                               f"({exc.strerror or exc})") from None
    log = open_log(db) if db is not None and proof is None else None
    vkey = None if log_key is None else read_verifier(log_key, "--log-key")
    _write(output, cosign_note(new, old, key_path, proof=proof, log=log, log_key=vkey,
                               new_name=new_file))
