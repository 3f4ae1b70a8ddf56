"""Tables whose rows the page's date control changes, and the data it changes them with.

A dated table is written twice from the same cell functions: once as HTML with the rows of the
view now (what a reader without scripts sees), and once as the changes of each row from frame
to frame (`docket.report.frames`): the cells that differ from the frame before, or the row
gone. The script shows the view of frame K by applying, for each row, its changes up to K:
it picks and pastes HTML written here, and computes nothing.

The data, embedded as JSON (see `script_json`):

    {"days": ["2021-01-26", ...],          the frames' days
     "status": ["22 events · 2 orders", ...] a line per frame for the control
     "rows": {row_id: [[k, cells], ...]}    cells: a list (every cell: the row appears),
                                            {column: html} (those cells change) or null
                                            (the row is not in the view); k = -1: before
                                            the first frame
     "parts": {element_id: [[k, html], ...]}  a whole element's content (null: hidden)}

An element `s<row_id>` (an order's section) follows its row too: shown with it, and each of
its `[data-c=column]` slots filled with that column's cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from .format import esc, number
from .frames import Frames

__all__ = ["Column", "Dated", "ROW_CAP", "script_json"]

ROW_CAP = 500
"""A section with more entries than this shows counts per group instead of one row each
(`docket state --json` lists them all)."""


@dataclass(frozen=True)
class Column:
    """One column: its class name, heading, cell function `(key, entry)` and the entry's
    fields the cell shows (empty: it may show any), so an unchanged cell is not redrawn."""

    key: str
    head: str
    render: Callable[[Any, dict], str]
    fields: tuple[str, ...] = ()


class Dated:
    """Collects the dated rows and parts of one page (one per page: row ids are unique)."""

    def __init__(self, frames: Frames) -> None:
        self.frames = frames
        self.rows: dict[str, list] = {}
        self.parts: dict[str, list] = {}
        self.present: dict[str, list[int]] = {}  # per section: entries in the view, per frame
        self._by_key: dict[str, dict[Any, list[tuple[int, Any]]]] = {}

    def _changes(self, section: str) -> list[dict]:
        return self.frames.updates.get(section) or [{} for _ in self.frames.days]

    def _changes_of(self, section: str, key: Any) -> list[tuple[int, Any]]:
        """(frame, entry) of each frame that changes `key`'s entry, in frame order: the
        frames turned inside out once per section, so that a row's changes cost its own
        changes and not a look into every frame (a long log's page has thousands of rows
        and a frame a day for years)."""
        by_key = self._by_key.get(section)
        if by_key is None:
            by_key = self._by_key[section] = {}
            for k, changed in enumerate(self._changes(section)):
                for item, entry in changed.items():
                    by_key.setdefault(item, []).append((k, entry))
        return by_key.get(key, [])

    def keys_of(self, section: str, now: dict) -> list:
        """The rows of a section: the view's now, in its order, then any only an earlier
        frame had."""
        seen = dict.fromkeys(now)
        for changed in self._changes(section):
            for key in sorted(changed, key=str):
                seen.setdefault(key, None)
        return list(seen)

    def count(self, section: str) -> int:
        """How many entries the section ever has (now or in any frame)."""
        keys: set = set()
        for changed in self._changes(section):
            keys.update(changed)
        return len(keys)

    def table(self, prefix: str, section: str, columns: list[Column], now: dict,
              empty: str, cls: str) -> str:
        """A dated table of one section: a row per entry (`<tr id="{prefix}{i}">`), and a
        last row saying `empty` while there is none."""
        keys = self.keys_of(section, now)
        head = "".join(f'<th title="{esc(c.key)}">{esc(c.head)}</th>' for c in columns)
        body = []
        for i, key in enumerate(keys):
            row_id = f"{prefix}{i}"
            entry = now.get(key)
            cells = "".join(f'<td class="c-{c.key}">{c.render(key, entry)}</td>'
                            for c in columns) if entry is not None else \
                "".join(f'<td class="c-{c.key}"></td>' for c in columns)
            hidden = "" if entry is not None else " hidden"
            body.append(f'<tr id="{row_id}"{hidden}>{cells}</tr>')
            self._row_changes(row_id, section, key, columns)
        none_hidden = " hidden" if now else ""
        body.append(f'<tr id="{prefix}-none" class="none"{none_hidden}><td colspan="'
                    f'{len(columns)}">{esc(empty)}</td></tr>')
        self._presence(prefix, section)
        return (f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table></div>')

    def _row_changes(self, row_id: str, section: str, key: Any, columns: list[Column]) -> None:
        out: list = []
        prev: list[str] | None = None
        before: dict | None = None
        for k, entry in self._changes_of(section, key):
            if entry is None:
                if prev is not None:
                    out.append([k, None])
                prev = before = None
                continue
            if prev is None:
                cells = [c.render(key, entry) for c in columns]
                out.append([k, cells])
            else:
                cells = [old if c.fields and all(before.get(f) == entry.get(f) for f in c.fields)
                         else c.render(key, entry) for c, old in zip(columns, prev, strict=True)]
                diff = {str(j): html for j, (html, old) in enumerate(zip(cells, prev,
                                                                          strict=True))
                        if html != old}
                if diff:
                    out.append([k, diff])
            prev, before = cells, entry
        self.rows[row_id] = out

    def _presence(self, prefix: str, section: str) -> None:
        """The count of entries per frame, and the `empty` row's changes."""
        alive: set = set()
        counts = []
        for changed in self._changes(section):
            for key, entry in changed.items():
                (alive.add if entry is not None else alive.discard)(key)
            counts.append(len(alive))
        self.present[section] = counts
        out: list = [[-1, []]]
        for k, n in enumerate(counts):
            shown = out[-1][1] is not None
            if shown != (n == 0):
                out.append([k, [] if n == 0 else None])
        self.rows[f"{prefix}-none"] = out

    def counts(self, part_id: str, section: str, now: dict,
               group: Callable[[Any, dict], tuple], heads: tuple[str, ...], cls: str) -> str:
        """Instead of a row per entry: the number of entries in each group (`group(key,
        entry)` gives the group's cells), now and at each frame."""
        def body(tally: dict[tuple, int]) -> str:
            rows = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in g)
                           + f'<td class="c-count">{number(n)}</td></tr>'
                           for g, n in sorted(tally.items(), key=lambda kv: tuple(
                               map(str, kv[0]))) if n)
            return rows or f'<tr class="none"><td colspan="{len(heads) + 1}">none</td></tr>'

        def tally_of(entries: dict) -> dict[tuple, int]:
            out: dict[tuple, int] = {}
            for key, entry in entries.items():
                g = group(key, entry)
                out[g] = out.get(g, 0) + 1
            return out

        # Kept up to date entry by entry: a frame costs what it changed.
        groups: dict[Any, tuple] = {}
        tally: dict[tuple, int] = {}
        last = body(tally)
        changes: list = [[-1, last]]
        for k, changed in enumerate(self._changes(section)):
            if not changed:
                continue
            for key, entry in changed.items():
                old = groups.pop(key, None)
                if old is not None:
                    tally[old] -= 1
                if entry is not None:
                    groups[key] = g = group(key, entry)
                    tally[g] = tally.get(g, 0) + 1
            html = body(tally)
            if html != last:
                changes.append([k, html])
                last = html
        self.parts[part_id] = changes
        head = "".join(f"<th>{esc(h)}</th>" for h in (*heads, "count"))
        return (f'<table class="{cls} counts"><thead><tr>{head}</tr></thead>'
                f'<tbody id="{part_id}">{body(tally_of(now))}</tbody></table>')

    def part(self, part_id: str, changes: list) -> None:
        """A whole element's content per frame (`[[k, html or None], ...]`)."""
        self.parts[part_id] = changes

    def data(self, status: list[str]) -> dict:
        """The JSON the script reads."""
        return {"days": self.frames.labels(), "status": status,
                "rows": {k: v for k, v in self.rows.items() if v},
                "parts": {k: v for k, v in self.parts.items() if v}}


# JSON inside <script type="application/json">: nothing in it may end the element or start a
# comment, so `<`, `>` and `&` are written as \u escapes (still the same JSON), as are the
# two line separators JavaScript once refused in strings.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(obj: Any) -> str:
    """`obj` as compact JSON safe to embed in `<script type="application/json">`."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).translate(_SCRIPT_SAFE)
