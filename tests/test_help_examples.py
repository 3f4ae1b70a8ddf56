"""The examples in each read command's `--help` run as written on the recorded disputes (an
analyst's review: `state`, `diff`, `why` and `report` examples stopped at "give --stream"
on a log of three streams, and `compliance --known-at 2021-02-09` printed an empty table).
Each runs in a folder holding the whole record as ./docket.db, the default `--db`."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run
from record_log import recorded_log

from docket.cli import main

# Commands that only read the log (and may write a file of their own, such as a report).
READS = ("compliance", "diff", "log", "report", "state", "why", "types")


def _examples(name: str) -> list[str]:
    text = CliRunner().invoke(main, [name, "--help"]).output
    lines = text.split("Example", 1)[1].splitlines()[1:] if "Example" in text else []
    return [line.strip() for line in lines if line.strip().startswith("docket ")]


EXAMPLES = [(name, example) for name in READS for example in _examples(name)
            if "--follow" not in example]  # a follower runs until interrupted


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("record")
    recorded_log(folder / "docket.db").close()  # every file of events/, in the chain's order
    return folder


def test_every_read_command_has_examples_here():
    assert {name for name, _ in EXAMPLES} == set(READS)


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_the_example_runs_on_the_recorded_disputes(record, name, example):
    args = shlex.split(example.split("  #")[0])[1:]
    code, out, err = run(*args, cwd=record, env={"DOCKET_DB": "docket.db"})
    assert code == 0, (example, err)
    assert "Error" not in err and "Note:" not in err, (example, err)  # nothing left empty
    assert out.strip() or "wrote" in err, example
