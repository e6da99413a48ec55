"""The kind of a document, and the review and plan parts of it.

A work report reviews a year gone by and plans the year ahead; the same clause
(完成4000户的改造任务) is a result in one part and an aim in the other. Parts are
opened by a heading or by a paragraph opener (rules/parts.yaml) and run to the
next opener of the other part; text before the first opener is in no part.
Scraped pages often hold one part only, with no heading: openers in the body
still find it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import regex

from . import lexicon

KINDS = ("speech", "work_report", "news", "minutes", "notice", "division")
BODY_SAMPLE = 20_000  # the body cues of a kind are counted in the first this many characters


@dataclass(frozen=True)
class Part:
    start: int
    end: int
    role: str  # review | plan
    cue: str  # the words that opened it, as written


@cache
def _rules() -> dict[str, Any]:
    r = lexicon.rules("parts.yaml")
    return {
        "kinds": [(k["kind"], regex.compile(k["head"]), regex.compile(k["body"]), int(k.get("body_min", 1)))
                  for k in r["kinds"]],
        "review_heading": regex.compile(r["review_heading"]),
        "plan_heading": regex.compile(r["plan_heading"]),
        # at a line start (matched at each one: far cheaper than a multiline scan), after an
        # outline number (一、 (一) 1. ) if any
        "opener": regex.compile(
            rf"[ \t　]*(?:[一二三四五六七八九十]+[、.]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])?[ \t　]*"
            rf"(?:{r['reported_lead']})?"
            rf"(?:(?P<review>{r['review_opener']})|(?P<plan>{r['plan_opener']})|{r['year_opener']})"),
    }


def document_kind(text: str) -> str:
    """speech, work_report, news, minutes, notice or division: the first kind whose
    cue is in the title (the first short line), else the first whose body cue occurs
    often enough, else speech."""
    rules = _rules()["kinds"]
    lines = [ln.strip() for ln in text.lstrip().splitlines()[:3] if ln.strip()]
    head = "\n".join(ln for ln in lines if len(ln) <= 80)
    for kind, h, _, _ in rules:
        if head and h.search(head):
            return kind
    sample = text[:BODY_SAMPLE]
    for kind, _, body, n in rules:
        if len(body.findall(sample)) >= n:
            return kind
    return "speech"


def find_parts(text: str, headings: list[tuple[int, str]], year: int | None = None) -> list[Part]:
    """The review and plan parts of `text`. `headings`: (offset, text) of the outline's
    top-level headings; `year`: the document's own year (a paragraph opened by an earlier year
    reviews it)."""
    r = _rules()
    cues: list[tuple[int, str, str]] = []
    for at, head in headings:  # (top-level headings: a subsection's 成效 is no part of its own)
        if r["plan_heading"].search(head) and not r["review_heading"].search(head):
            cues.append((at, "plan", head))
        elif r["review_heading"].search(head):
            cues.append((at, "review", head))
    for m in _at_line_starts(r["opener"], text):
        if m.group("review"):
            cues.append((m.start(), "review", m.group("review")))
        elif m.group("plan"):
            cues.append((m.start(), "plan", m.group("plan")))
        elif year and int(m.group("year")) < year:
            cues.append((m.start(), "review", m.group(0)))
    cues.sort()
    parts: list[Part] = []
    for at, role, cue in cues:
        if parts and parts[-1].role == role:
            continue  # the part goes on
        if parts:
            last = parts[-1]
            parts[-1] = Part(last.start, at, last.role, last.cue)
        parts.append(Part(at, len(text), role, cue))
    return parts


def _at_line_starts(pattern: regex.Pattern, text: str) -> Iterator[regex.Match]:
    """The matches of `pattern` at the start of each line."""
    at = 0
    while at >= 0:
        m = pattern.match(text, at)
        if m:
            yield m
        at = text.find("\n", at)
        if at >= 0:
            at += 1


def part_at(parts: list[Part], offset: int) -> Part | None:
    """The part that holds `offset`, or None."""
    for p in parts:
        if p.start <= offset < p.end:
            return p
    return None
