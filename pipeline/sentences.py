"""Paragraphs, sentences and clauses with exact offsets into the clean text.

Sentences end at 。！？； (and …… or a line end), never inside “quotes”,
（brackets） or 《titles》 — unless a quote is left open by a scraping fault,
which is given up on after MAX_QUOTE characters. Clauses split a sentence at
，、： and are what most extraction rules look at.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

_BREAK = regex.compile(r"[“”‘’「」『』（）()《》〈〉【】。！？；;!?\n]|…{1,2}(?![”’」）)])")
_OPEN = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "《": "》", "〈": "〉", "【": "】"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_CLOSERS = "”’」』）)》〉】"
_FINAL = "。！？；;!?"
MAX_QUOTE = 60  # longer "quotes" are nearly always a quote mark lost in scraping
_CLAUSE = regex.compile(r"[，,：:]")


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


def clauses(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Clause spans (absolute offsets) of one sentence's text, split at ，：."""
    spans = []
    start = 0
    depth = 0
    for m in regex.finditer(r"[，,：:（）()“”]", text):
        ch = m.group(0)
        if ch in "（(“":
            depth += 1
            continue
        if ch in "）)”":
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        if m.start() > start:
            spans.append((offset + start, offset + m.start()))
        start = m.end()
    if start < len(text):
        spans.append((offset + start, offset + len(text)))
    return spans


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-empty lines as (start, end)."""
    return [(m.start(), m.end()) for m in regex.finditer(r"[^\n]+", text) if m.group(0).strip()]
