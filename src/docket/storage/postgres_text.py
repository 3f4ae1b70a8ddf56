"""Text a PostgreSQL `text` column cannot hold as it is: U+0000.

Event ids, entity keys and the view tables' text may hold any character but a surrogate;
PostgreSQL's text refuses U+0000. So the backend stores U+0000 as U+FFFE followed by `0`,
and U+FFFE itself doubled, and reads both back: every value round-trips exactly, and text
holding neither (all real text) is stored as it is. A record's body is bytes (`bytea`) and
its JSON escapes U+0000, so the log itself is untouched; an SQL client sees `\\ufffe0` in
place of U+0000 in those columns (and `records` shows U+FFFD, browse.py says why).
"""

from __future__ import annotations

import re

__all__ = ["store", "load", "load_rows"]

_ESC = "\ufffe"
_ESCAPED = re.compile("\ufffe(.)", re.DOTALL)


def store(text):
    """`text` as a text column holds it (anything that is not a str: as it is)."""
    if type(text) is str and ("\x00" in text or _ESC in text):
        return text.replace(_ESC, _ESC + _ESC).replace("\x00", _ESC + "0")
    return text


def _back(match: re.Match) -> str:
    return "\x00" if match[1] == "0" else match[1]


def load(text):
    """A text column's value as it was given to `store`."""
    if type(text) is str and _ESC in text:
        return _ESCAPED.sub(_back, text)
    return text


def load_rows(rows: list, columns: tuple[int, ...]) -> list:
    """`rows` (tuples) with the text at `columns` read back; rows with none are kept."""
    if not columns:
        return rows
    out = []
    for row in rows:
        if any(type(row[i]) is str and _ESC in row[i] for i in columns):
            row = tuple(load(v) if i in columns else v for i, v in enumerate(row))
        out.append(row)
    return out
