"""Every command has help text with an example, and the README documents it (the habit
sqlite-utils keeps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from docket.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
COMMANDS = sorted(main.commands)


def test_the_spec_commands_all_exist():
    spec = {"append", "import", "export", "log", "state", "compliance", "diff", "why",
            "verify", "checkpoint", "project", "report", "types", "rebuild", "keygen",
            "prove", "cosign"}
    assert spec <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example_and_db_option(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert main.commands[name].help and "Example" in result.output
    takes_db = {p.name for p in main.commands[name].params} >= {"db"}
    if name in ("types", "keygen"):  # the catalogue and a key belong to no log
        assert not takes_db
    else:
        assert takes_db and "--db" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_in_the_readme(name):
    assert f"`docket {name}" in README


def test_an_option_where_a_command_does_not_take_it_says_where_it_goes():
    """An analyst's review: `docket --db X compliance` said only "No such option '--db'",
    and `diff --as-of` suggested '--json'."""
    from conftest import invoke

    for args, words, where in (
            (["--db", "x.db", "compliance"], "No such option '--db' here: options go after "
             "the command: docket COMMAND --db PATH.", ""),
            (["diff", "--as-of", "2021-02-08"], "No such option '--as-of' here: diff compares "
             "two as-of times: --from T1 --to T2.", " diff"),
            (["log", "--to", "2021-02-05"], "No such option '--to' here: the latest time "
             "`log` shows is --as-of T.", " log")):
        code, out, err = invoke(*args)
        assert (code, out) == (2, "")
        assert err.startswith(f"Error: {words} (see ") and err.endswith(f"{where} --help)\n")
    code, out, err = invoke("compliance", "--bogus")
    assert err.startswith("Error: No such option '--bogus'. (see ") and "here:" not in err
