"""Paragraphs, sentences and clauses with exact offsets into the clean text.

Sentences end at 。！？； (and …… or a line end), never inside “quotes”,
（brackets） or 《titles》 — unless a quote is left open by a scraping fault,
which is given up on after MAX_QUOTE characters. Clauses cut a sentence at
，：；。！？ outside short quotes and brackets (`clauses`, the one policy every
stage uses) and are what most extraction rules look at.

No sentence is longer than MAX_SENTENCE characters. Text that lost its
punctuation (scraped pages) would otherwise be one sentence of the whole page,
and the extractors, which look back over a sentence for every number in it,
would take time growing with the square of its length. A longer run is cut
into pieces of at most RUN_ON_PIECE characters, where a boundary survives (a
comma, a colon, a space), else right after a quantity (53.85亿斤, 5.0%), else
at the bound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import regex

from . import lexicon

_BREAK = regex.compile(r"[“”‘’「」『』（）()《》〈〉【】。！？；;!?\n]|…{1,2}(?![”’」）)])")
_OPEN = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "《": "》", "〈": "〉", "【": "】"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_CLOSERS = "”’」』）)》〉】"
_FINAL = "。！？；;!?"
MAX_QUOTE = 60  # longer "quotes" are nearly always a quote mark lost in scraping
# the longest sentence in the dev set and the corpus is 331 characters: real sentences are
# never cut. A longer one is a run-on, cut into pieces the length of a long sentence of the
# genre (each cut in the second half of a piece, so pieces are 80 to 160 characters)
MAX_SENTENCE = 400
RUN_ON_PIECE = 160
_CUT_MARK = regex.compile(r"[，,、：:\s]")


@cache
def _quantity() -> regex.Pattern:
    """A number with its unit of measure (rules/measures.yaml): a run-on sentence is cut after one."""
    units = {u for us in lexicon.rules("measures.yaml")["units"].values() for u in us}
    alt = "|".join(regex.escape(u) for u in sorted(units, key=len, reverse=True))
    return regex.compile(rf"[\d*＊Xx×][\d.]*(?:{alt})")


def _cut(text: str, s: int, e: int) -> int:
    """Where to end the first piece of an over-long sentence text[s:e]."""
    lo, hi = s + RUN_ON_PIECE // 2, s + RUN_ON_PIECE
    mark = None
    for mark in _CUT_MARK.finditer(text, lo, hi):
        pass
    if mark is not None:
        return mark.end()
    best, inside = None, []
    for m in _quantity().finditer(text, lo - 16, min(e, hi + 16)):
        if lo <= m.end() <= hi:
            best = m.end()  # (a unit cut short at the bound, 5亿|元, ends past it and is not taken)
        inside.append(m.span())
    if best is not None:
        return best
    cut = hi
    while cut > lo and (any(a < cut < b for a, b in inside)
                        or all(ch.isascii() and (ch.isalnum() or ch == ".") for ch in text[cut - 1 : cut + 1])):
        cut -= 1  # never inside a quantity, a number or a Latin word
    return cut


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int  # exclusive; includes the final punctuation
    text: str
    paragraph: int

    def clauses(self) -> list[tuple[int, int]]:
        return clauses(self.text, self.start)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` in order; whitespace-only pieces are dropped."""
    out: list[Sentence] = []
    start = 0
    para = 0
    stack: list[tuple[str, int]] = []

    def emit(end: int) -> None:
        nonlocal start
        s, e = start, end
        while s < e and text[s] in " \t\n":
            s += 1
        while e > s and text[e - 1] in " \t\n":
            e -= 1
        if e - s > MAX_SENTENCE:  # a run-on (lost punctuation): pieces of at most RUN_ON_PIECE
            while e - s > RUN_ON_PIECE:
                c = ce = _cut(text, s, e)
                while ce > s and text[ce - 1] in " \t\n":
                    ce -= 1
                out.append(Sentence(s, ce, text[s:ce], para))
                s = c
                while s < e and text[s] in " \t\n":
                    s += 1
        if e > s:
            out.append(Sentence(s, e, text[s:e], para))
        start = end

    for m in _BREAK.finditer(text):
        ch, pos = m.group(0), m.start()
        if stack and pos - stack[-1][1] > MAX_QUOTE:
            stack.clear()  # an unclosed quote: stop protecting
        if ch == "\n":
            stack.clear()
            emit(pos)
            start = pos + 1
            if pos + 1 < len(text) and text[pos + 1] == "\n" or (out and out[-1].paragraph == para):
                para += 1
            continue
        if ch in _OPEN and not (ch == "“" and stack and stack[-1][0] == "“"):
            stack.append((ch, pos))
            continue
        if ch in _CLOSE or ch == "”":
            if stack and _OPEN[stack[-1][0]] == ch:
                stack.pop()
                # a sentence that ends inside the quote ends after it: …。”
                if not stack and pos > 0 and text[pos - 1] in _FINAL:
                    emit(pos + 1)
            continue
        if stack:
            continue
        end = m.end()
        while end < len(text) and text[end] in _CLOSERS:
            end += 1
        emit(end)
    emit(len(text))
    return [s for s in out if s.text.strip(_FINAL + _CLOSERS + " ")]


# Clause marks, and the pairs inside which a mark does not cut: one policy for every stage.
_CLAUSE_MARK = re.compile(r"[，,：:；;。！？!?]")
_PAIRS = {"“": "”", "（": "）", "(": ")", "‘": "’", "《": "》"}
_OPENERS = re.compile(r"[“（(‘《]")
QUOTE_SPAN = 40  # a quote or bracket left open longer than this is a scraping fault


def clauses(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Clause spans (absolute offsets) of one sentence's text: cut at ，：；。！？ except
    inside a quote, bracket or title that closes within QUOTE_SPAN characters
    (“奋战一百天，冲刺双过半”竞赛 is one clause); empty clauses are left out."""
    return list(_clauses(text, offset))  # (every extractor cuts the same sentences: remembered)


@lru_cache(maxsize=4096)
def _clauses(text: str, offset: int) -> tuple[tuple[int, int], ...]:
    protected: list[tuple[int, int]] = []
    for m in (_OPENERS.finditer(text) if _OPENERS.search(text) else ()):
        close = text.find(_PAIRS[m.group(0)], m.end(), m.end() + QUOTE_SPAN)
        if close > 0:
            protected.append((m.start(), close))
    spans, last = [], 0
    for m in _CLAUSE_MARK.finditer(text):
        p = m.start()
        if protected and any(a < p < b for a, b in protected):
            continue
        if p > last:
            spans.append((offset + last, offset + p))
        last = p + 1  # every mark is one character
    if last < len(text):
        spans.append((offset + last, offset + len(text)))
    return tuple(spans)


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-empty lines as (start, end)."""
    return [(m.start(), m.end()) for m in regex.finditer(r"[^\n]+", text) if m.group(0).strip()]
