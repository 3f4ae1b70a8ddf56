"""Long listings (`docket log`, the receipts of `docket append FILE`) are printed a few
thousand lines a call, since click.echo writes and flushes at each (bench/README), and
nothing is lost or doubled at the seams."""

from __future__ import annotations

import json

import pytest
from conftest import invoke


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 4097, 8192, 8193])
def test_lines_are_printed_whole_in_order_a_few_thousand_a_call(n, capsys, monkeypatch):
    import click

    from docket.cli import format as fmt

    calls = []
    real = click.echo
    monkeypatch.setattr(click, "echo", lambda text, **kw: (calls.append(text), real(text, **kw)))
    lines = [f"line {i} \u00e9" for i in range(n)]
    fmt.echo_lines(iter(lines))
    assert capsys.readouterr().out == "".join(line + "\n" for line in lines)
    assert len(calls) == -(-n // fmt._LINES_AT_ONCE)  # ceil
    fmt.say_lines([f"{line}\x1b[2J" for line in lines])  # for people: controls escaped
    assert capsys.readouterr().out == "".join(f"{line}\\x1b[2J\n" for line in lines)


def test_docket_log_of_more_lines_than_a_call_prints_each_once(db_path, tmp_path):
    n = 4100  # past one call's lines, with sources on some
    events = [json.dumps({"type": "statement_published", "stream": "s", "id": f"e{i}",
                          "occurred_at": f"2021-02-{1 + i % 28:02d}T00:00:{i % 60:02d}Z",
                          "data": {"speaker": "MeitY", "summary": f"statement {i}"},
                          **({"sources": [{"title": f"t{i}"}]} if i % 1000 == 0 else {})})
              for i in range(n)]
    (tmp_path / "e.jsonl").write_text("\n".join(events) + "\n")
    assert invoke("import", "--db", db_path, tmp_path / "e.jsonl")[0] == 0
    code, out, err = invoke("log", "--db", db_path)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == n + 5  # a line per event, and one per source
    said = [line.split(" MeitY: ")[-1] for line in lines if " MeitY: " in line]
    assert sorted(said, key=lambda s: int(s.split()[-1])) == [f"statement {i}" for i in range(n)]
    assert sum(1 for line in lines if line.lstrip().startswith("source: ")) == 5


def test_docket_append_of_more_events_than_a_call_prints_each_receipt_once(db_path, tmp_path):
    n = 4100
    (tmp_path / "e.jsonl").write_text("".join(
        json.dumps({"type": "statement_published", "stream": "s", "id": f"e{i}",
                    "occurred_at": "2021-02-08", "data": {"speaker": "x", "summary": "y"}})
        + "\n" for i in range(n)))
    code, out, err = invoke("append", "--db", db_path, tmp_path / "e.jsonl")
    assert code == 0, err
    receipts = [json.loads(line) for line in out.splitlines()]
    assert [(r["seq"], r["id"]) for r in receipts] == [(i + 1, f"e{i}") for i in range(n)]


# Commands whose output of the whole record is far more than a pipe holds (~210 kB: 64 kB
# would be written before the reader goes away, and the command would end 0).
@pytest.mark.parametrize("command", [["export"], ["log", "--follow", "--json"]])
def test_a_reader_that_stops_reading_ends_the_command_quietly_with_141(tmp_path, command):
    """A script writer's review: `docket export | head -1` exited 1 (bad input, by the
    contract) with nothing on stderr. A closed pipe now ends a command as SIGPIPE ends a
    program: status 141, no message, the log untouched."""
    import subprocess

    from conftest import DOCKET, file_bytes
    from record_log import recorded_log

    db = tmp_path / "docket.db"
    recorded_log(db).close()  # the whole record: more than a pipe holds
    before = file_bytes(db)
    proc = subprocess.Popen([str(DOCKET), *command, "--db", str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.read(100)  # the reader takes a little, then goes away
    proc.stdout.close()
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == b""
    proc.stderr.close()
    assert file_bytes(db) == before
