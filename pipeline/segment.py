"""Stage 2, segment: the speech's outline (headings at every level), with sentences.

(Interface in place; heading detection is being written.)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .sentences import Sentence, split_sentences


@dataclass
class Node:
    level: int
    label: str
    heading: str
    start: int
    head_end: int
    end: int
    path: str
    parent: int | None = None
    role: str = "other"
    family: str = ""


@dataclass
class Outline:
    text: str
    nodes: list[Node] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    def node_at(self, offset: int) -> Node | None:
        best = None
        for n in self.nodes:
            if n.start <= offset < n.end and (best is None or n.level > best.level):
                best = n
        return best

    def section_of(self, offset: int) -> tuple[list[str], str]:
        node = self.node_at(offset)
        if node is None:
            return [], "other"
        chain = []
        while node is not None:
            chain.append(node)
            node = self.nodes[node.parent] if node.parent is not None else None
        chain.reverse()
        return [n.heading for n in chain], chain[0].role


def segment(text: str) -> Outline:
    return Outline(text=text, nodes=[], sentences=split_sentences(text))
