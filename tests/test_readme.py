"""The README works when followed in order (issue 19.7): its console blocks are run, top to
bottom, in a copy of the repository's files with the installed `docket` first on PATH.

The convention the README follows:
- A ```console block is run; any other block (```sh, ```python, ```text) is not. A console
  block right after a line `<!-- not run: REASON -->` is not run either (a server, a
  terminal dialogue, an install).
- In a block, a line starting with `$ ` is a command (continued on the next line while it
  ends with a backslash); the lines up to the next command are what it prints, stdout and
  stderr together. `…` in such a line stands for any text (a hash that depends on the time
  of recording, a cut address); a line that is only `…` stands for any number of lines.
  A command shown without output is run, its output not checked.
- A command succeeds (exit 0) unless what it prints shows an `Error:` line; then it fails
  (exit 1 to 3). A command ending in `echo "exit $?"` shows its exit code instead, checked
  with the rest of what it prints.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
SKIP = re.compile(r"<!-- not run: (?P<reason>.+\S) -->")


class Step(NamedTuple):
    """One command of the README: where it is, what it runs, what it shows."""

    line: int
    command: str
    expected: list[str]


def console_blocks(text: str) -> tuple[list[list[Step]], list[tuple[int, str]]]:
    """The README's console blocks to run (each a list of steps) and those it marks as not
    run, as (line, reason)."""
    lines = text.splitlines()
    blocks, skipped = [], []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        start = i
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        skip = SKIP.fullmatch(before.strip())
        if skip:
            skipped.append((start + 1, skip["reason"]))
        else:
            blocks.append(_steps(lines, start + 1, end))
        i = end + 1
    return blocks, skipped


def _steps(lines: list[str], first: int, end: int) -> list[Step]:
    steps: list[Step] = []
    j = first
    assert lines[j].startswith("$ "), f"README line {j + 1}: a console block starts with `$ `"
    while j < end:
        line_no, command = j + 1, lines[j][2:]
        while command.endswith("\\") and j + 1 < end:
            j += 1
            command += "\n" + lines[j]
        j += 1
        expected = []
        while j < end and not lines[j].startswith("$ "):
            expected.append(lines[j])
            j += 1
        steps.append(Step(line_no, command, expected))
    return steps


def _pattern(expected: list[str]) -> re.Pattern:
    parts = []
    for line in expected:
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(p) for p in line.rstrip().split("…")) + r"\n")
    return re.compile("".join(parts))


def matches(expected: list[str], actual: str) -> bool:
    """True when `actual` (every line, trailing spaces aside) is what `expected` shows."""
    text = "".join(line.rstrip() + "\n" for line in actual.splitlines())
    return _pattern(expected).fullmatch(text) is not None


def _fresh_copy(dest: Path) -> None:
    """The files a clone would hold (tracked, plus new files not ignored), copied."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def test_the_matching_rules():
    assert matches(["a…c", "…", "z"], "abbc\nx\ny\nz\n")
    assert matches(["a…c", "…", "z"], "ac\nz")
    assert not matches(["a…c", "z"], "ac\nx\nz\n")
    assert not matches(["abc"], "abc\nmore\n")
    assert matches(["  x  "], "  x\n")


def test_the_readme_runs_in_order(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to know the repository's files")
    blocks, skipped = console_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 8 and len(skipped) <= 3, (len(blocks), skipped)
    _fresh_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKET_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    ran = 0
    for step in (s for block in blocks for s in block):
        # An install from the copy would repoint this venv's `docket` at a folder that
        # is about to be deleted: such blocks must be marked not run.
        assert not re.match(r"\s*(pip|python3? -m pip|make)\b", step.command), \
            f"README line {step.line}: mark the block `<!-- not run: … -->`"
        done = subprocess.run(["bash", "-c", step.command], check=False, cwd=tmp_path, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        out = done.stdout.decode("utf-8", "replace")
        where = f"README line {step.line}: $ {step.command}\n--- printed (exit " \
                f"{done.returncode}):\n{out}"
        shown = step.command.rstrip().endswith('echo "exit $?"')
        fails = not shown and any(line.startswith("Error:") for line in step.expected)
        assert (done.returncode in (1, 2, 3)) if fails else done.returncode == 0, where
        if step.expected:
            assert matches(step.expected, out), where + "--- the README shows:\n" + \
                "\n".join(step.expected)
        ran += 1
    assert ran >= 25
