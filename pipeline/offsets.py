"""Offset maps: trace a span of the cleaned text back to the source text.

Each clean-up step that changes lengths produces a `Pieces` map: a sorted list
of (new_start, new_end, old_start, old_end) pieces covering the new text. Where
a piece keeps its length the map is exact; a replaced piece maps to the
replaced span. `OffsetMap` chains the steps from last to first.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable

import regex


@dataclass
class Pieces:
    new_starts: list[int] = field(default_factory=list)
    new_ends: list[int] = field(default_factory=list)
    old_starts: list[int] = field(default_factory=list)
    old_ends: list[int] = field(default_factory=list)

    def add(self, ns: int, ne: int, os_: int, oe: int) -> None:
        self.new_starts.append(ns)
        self.new_ends.append(ne)
        self.old_starts.append(os_)
        self.old_ends.append(oe)

    def back(self, pos: int) -> int:
        """The old position of new position `pos` (pos may equal the text length)."""
        if not self.new_starts:
            return pos
        i = bisect_right(self.new_starts, pos) - 1
        if i < 0:
            return self.old_starts[0]
        ns, ne, os_, oe = self.new_starts[i], self.new_ends[i], self.old_starts[i], self.old_ends[i]
        if ne - ns == oe - os_:
            return os_ + min(pos - ns, ne - ns)
        return os_ if pos < ne else oe


@dataclass
class OffsetMap:
    steps: list[Pieces] = field(default_factory=list)

    def to_source(self, pos: int) -> int:
        for pieces in reversed(self.steps):
            pos = pieces.back(pos)
        return pos

    def span_to_source(self, start: int, end: int) -> tuple[int, int]:
        s = self.to_source(start)
        e = self.to_source(end) if end > start else s
        return s, max(s, e)


def substitute(text: str, pattern: regex.Pattern, repl: Callable[[regex.Match], str]) -> tuple[str, Pieces | None]:
    """Like pattern.sub(repl, text), also returning the piece map (None if nothing changed)."""
    out: list[str] = []
    pieces = Pieces()
    pos = new = 0
    changed = False
    for m in pattern.finditer(text):
        rep = repl(m)
        if rep == m.group(0):
            continue
        changed = True
        if m.start() > pos:
            out.append(text[pos : m.start()])
            pieces.add(new, new + m.start() - pos, pos, m.start())
            new += m.start() - pos
        out.append(rep)
        pieces.add(new, new + len(rep), m.start(), m.end())
        new += len(rep)
        pos = m.end()
    if not changed:
        return text, None
    if pos < len(text):
        out.append(text[pos:])
        pieces.add(new, new + len(text) - pos, pos, len(text))
    return "".join(out), pieces
