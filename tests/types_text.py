"""Reading `docket types TYPE` as a user does: its field lists and its example event."""

from __future__ import annotations

import json
import re
from typing import NamedTuple

_FIELD = re.compile(r"^  (\w+)\s+(required|optional)\s+(.*)$")
SECTIONS = {"data fields:": "data", "event fields:": "event", "each source:": "source"}


class Field(NamedTuple):
    """A field as printed: name, required, its type in words, meaning, what absence means."""

    name: str
    required: bool
    words: str
    meaning: str
    absent: str | None


class TypeHelp(NamedTuple):
    """What `docket types TYPE` prints, parsed."""

    meaning: str
    fields: dict[str, dict[str, Field]]  # section -> name -> field
    example: dict
    command: str


def parse(text: str) -> TypeHelp:
    lines = text.splitlines()
    meaning = lines[0].split(": ", 1)[1]
    fields: dict[str, dict[str, Field]] = {s: {} for s in SECTIONS.values()}
    section = None
    current: list | None = None
    example = command = None
    for i, line in enumerate(lines):
        if line in SECTIONS:
            section = SECTIONS[line]
        elif line.startswith("example ("):
            example = json.loads(lines[i + 1])
            section = None
        elif line.startswith("the same with options:"):
            command = lines[i + 1]
            section = None
        elif section and (m := _FIELD.match(line)):
            current = [m[1], m[2] == "required", m[3], "", None]
            fields[section][m[1]] = current
        elif section and current is not None and line.startswith("   "):
            text_ = line.strip()
            if text_.startswith("if absent: "):
                current[4] = text_[len("if absent: "):]
            else:
                current[3] = text_
    out = {s: {n: Field(*f) for n, f in group.items()} for s, group in fields.items()}
    assert example is not None and command is not None, text
    return TypeHelp(meaning, out, example, command)
