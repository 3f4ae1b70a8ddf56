"""Labels that do not overlap: the boxes text takes on a chart, and a placement that tries
each label's positions in turn and keeps the first that touches nothing placed before it.

The page has no font metrics at build time (it is made without a browser), so a text's width
is estimated from its characters with the advance widths of DejaVu Sans (the sans-serif of
the Debian machines the page is checked on; system-ui fonts are a little narrower), rounded
up: an estimate too wide leaves a gap, one too narrow would let labels touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Box", "Label", "place", "text_box", "text_width"]

# Advance widths in em (DejaVu Sans, rounded up), by character class.
_NARROW = set(" .,:;'!|iIjlft()[]")
_WIDE = set("mwMW@%")
_DIGIT_EM, _LOWER_EM, _UPPER_EM, _NARROW_EM, _WIDE_EM, _OTHER_EM = .64, .62, .74, .4, 1.0, .8
_ASCENT, _DESCENT = .82, .26  # of the font size, above and below the baseline


def text_width(text: str, size: float) -> float:
    """The estimated width in pixels of `text` at font size `size` (rounded up)."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += _NARROW_EM
        elif ch in _WIDE:
            em += _WIDE_EM
        elif ch.isdigit():
            em += _DIGIT_EM
        elif "a" <= ch <= "z":
            em += _LOWER_EM
        elif "A" <= ch <= "Z":
            em += _UPPER_EM
        else:
            em += _OTHER_EM if ord(ch) < 0x2E80 else 1.0  # CJK and the like: a full em
    return em * size * 1.04


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle (SVG coordinates: y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def intersects(self, other: "Box") -> bool:
        """True when the two boxes share more than an edge."""
        return (self.x0 < other.x1 and other.x0 < self.x1
                and self.y0 < other.y1 and other.y0 < self.y1)


def text_box(x: float, y: float, text: str, size: float, anchor: str = "start",
             pad: float = 1.5) -> Box:
    """The box of `text` drawn at baseline point (`x`, `y`) with SVG `text-anchor` `anchor`
    (`start`, `middle` or `end`), grown by `pad` pixels on every side."""
    w = text_width(text, size)
    left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return Box(left - pad, y - _ASCENT * size - pad, left + w + pad, y + _DESCENT * size + pad)


@dataclass(frozen=True)
class Label:
    """A text to place: its font size and the places it may go, best first: baseline points
    with their SVG `text-anchor`."""

    text: str
    size: float
    candidates: Sequence[tuple[float, float, str]]


def place(labels: Iterable[Label], obstacles: Iterable[Box] = (),
          within: Box | None = None) -> list[tuple[float, float, str] | None]:
    """Where each label goes: for each in turn (the order is their priority), the first
    candidate whose box touches no obstacle and no label placed before it (and lies inside
    `within`, when given); None when every candidate collides: the label is left out.
    """
    taken = list(obstacles)
    out: list[tuple[float, float, str] | None] = []
    for label in labels:
        chosen = None
        for x, y, anchor in label.candidates:
            box = text_box(x, y, label.text, label.size, anchor)
            if within is not None and not (within.x0 <= box.x0 and box.x1 <= within.x1
                                           and within.y0 <= box.y0 and box.y1 <= within.y1):
                continue
            if not any(box.intersects(t) for t in taken):
                chosen = (x, y, anchor)
                taken.append(box)
                break
        out.append(chosen)
    return out
