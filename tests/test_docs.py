"""docs/ is the project's reference (issue 19.7): the generated files are current, every
event type and command is in them, links between the pages resolve, and no page cites a
SPEC the repository does not hold."""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path

import click

from docket.catalog import EVENT_TYPES
from docket.catalog_fields import data_fields
from docket.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ("format.md", "catalogue.md", "views.md", "cli.md")
SPEC_HEADING = "## Decisions where the SPEC is silent"
SPEC_SAID = "The SPEC is the external contract Docket was built to, kept by the project outside this"


def _reference():
    spec = importlib.util.spec_from_file_location("docs_reference", DOCS / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_files_are_current():
    reference = _reference()
    for name in reference.stale():
        now = (DOCS / name).read_text(encoding="utf-8").splitlines()
        diff = difflib.unified_diff(now, reference.FILES[name]().splitlines(), lineterm="")
        raise AssertionError(f"docs/{name} is out of date (run make docs):\n"
                             + "\n".join(list(diff)[:40]))


def test_the_catalogue_has_every_type_and_field():
    text = (DOCS / "catalogue.md").read_text(encoding="utf-8")
    for tag in EVENT_TYPES:
        section = text.split(f"\n## {tag}\n", 1)[1].split("\n## ", 1)[0]
        for field in data_fields(tag):
            assert f"| `{field.name}` |" in section, (tag, field.name)
            for value in field.values:
                assert value in section, (tag, field.name, value)


def test_cli_has_every_command_and_option():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    ctx = click.Context(main, info_name="docket")
    for name in main.list_commands(ctx):
        assert f"### docket {name}\n" in text
        section = text.split(f"### docket {name}\n", 1)[1].split("\n### ", 1)[0]
        for param in main.get_command(ctx, name).params:
            for opt in getattr(param, "opts", ()):
                if opt.startswith("-"):
                    assert opt in section, (name, opt)


def test_every_exit_code_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for code in range(4):
        assert f"| `{code}` |" in text


def test_links_resolve_and_no_spec_is_cited():
    for name in (*PAGES, "../README.md"):
        path = (DOCS / name).resolve()
        text = path.read_text(encoding="utf-8")
        # The README's one mention says what the SPEC is and that it is not here.
        cited = [line for line in text.splitlines() if re.search(r"\bSPEC\b", line)
                 and line not in (SPEC_HEADING, SPEC_SAID)]
        assert cited == [], name
        for target, anchor in re.findall(r"\]\(([^)#:\s]*\.md)(#[^)]*)?\)", text):
            page = (path.parent / target).resolve()
            assert page.exists(), (name, target)
            if anchor:
                headings = {"#" + re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
                            for h in re.findall(r"^#+ (.+)$", page.read_text(), re.MULTILINE)}
                assert anchor in headings, (name, target, anchor)
