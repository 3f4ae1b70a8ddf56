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
            "verify", "checkpoint", "project", "report", "types", "rebuild"}
    assert spec <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example_and_db_option(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert main.commands[name].help and "Example" in result.output
    if name != "types":  # the catalogue needs no log
        assert "--db" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_in_the_readme(name):
    assert f"`docket {name}" in README
