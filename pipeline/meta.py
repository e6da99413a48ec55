"""Speech metadata inferred from the text: title, year, meeting date, level, speaker,
locality, the period the speech reviews and the one it plans for. Each value comes
with a confidence; a sidecar file or CLI flags override any of them.

The patterns are data (rules/meta.yaml); this module only applies them.
"""
from __future__ import annotations

from collections import Counter
from functools import cache
from typing import TYPE_CHECKING, Any

import regex

from . import lexicon

if TYPE_CHECKING:
    from .normalize import Document


@cache
def _rules() -> dict[str, Any]:
    r = lexicon.rules("meta.yaml")
    # the patterns scanned over the whole text are word lists and classes: the standard library
    # scans those about twice as fast (lexicon.words)
    return {
        "title_hint": lexicon.words(r["title_hint"]),
        "title_end": regex.compile(r["title_end"]),
        "title_fallback": regex.compile(r["title_fallback"]),
        "quarter_names": list(r["quarter_names"]),
        "whole_year": r["whole_year"],
        "year": regex.compile(r["year"]),
        "dateline": regex.compile(r["dateline"]),
        "quarter": lexicon.words(r["quarter_words"]),
        "qnum": dict(r["quarter_number"]),
        "reported": lexicon.words(r["reported"]),
        "planning": lexicon.words(r["planning"]),
        "speaker": lexicon.words(r["speaker"]),
        "level_words": [(lv, lexicon.words(p)) for lv, p in r["level_words"].items()],
        "suffix_level": dict(r["suffix_level"]),
        "locality": [(f["anchor"], regex.compile(f["pattern"])) for f in r["locality"]],
        "not_place": lexicon.words(r["not_place"]),
    }


def _localities(text: str, title: bool = False) -> list[tuple[int, str, str]]:
    """(offset, name, suffix) of each unambiguous place-name form, in text order. Each form is
    found by its literal anchor and matched from a few characters before it (leftmost first);
    a form without an anchor is a title's opening, tried at the start only."""
    found: dict[int, tuple[int, str, str]] = {}
    for anchor, pat in _rules()["locality"]:
        if not anchor:
            m = pat.match(text)
            if m and not found.get(0):
                found[0] = (0, m.group(1), m.group(2))
            continue
        at = text.find(anchor)
        while at >= 0:
            for s in range(max(0, at - 12), at + 1):
                m = pat.match(text, s)
                if m and m.end() > at:
                    found.setdefault(m.start(1), (m.start(1), m.group(1), m.group(2)))
                    break
            at = text.find(anchor, at + len(anchor))
    return sorted(found.values())


def _title(text: str, html_title: str) -> str:
    r = _rules()
    for line in text.split("\n")[:8]:
        s = line.strip()
        if r["title_end"].match(s):
            break
        if 4 <= len(s) <= 80 and r["title_hint"].search(s):
            return s
    if html_title:
        return regex.split(r"\s*[-_|｜—]\s*", html_title)[0][:80]
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    m = r["title_fallback"].match(first)
    return m.group(0) if m else ""


def _level(text: str, title: str = "") -> tuple[str | None, float]:
    # the title names the meeting's own level (在全市经济工作会议上的讲话): it decides when it names one
    words = _rules()["level_words"]
    named = [lv for lv, pat in words if pat.search(title)]
    if len(named) == 1:
        return named[0], 0.9
    counts: Counter[str] = Counter()
    for lv, pat in words:
        counts[lv] = len(pat.findall(text))
    # the last level listed is the city above: a county or district speech also names it, so it
    # wins only when clearly dominant
    *lows, top = [lv for lv, _ in words]
    if not any(counts.values()):
        return None, 0.0
    best = max(lows, key=lambda lv: counts[lv])  # (the first listed on a tie)
    if counts[best] == 0 or counts[top] > 3 * counts[best]:
        best = top
    total = sum(counts.values())
    return best, round(counts[best] / total, 2)


def _meeting_day(head: str, year: int | None) -> str | None:
    """The meeting's date from a dateline in the first lines (—2018年3月7日在…会议上), as YYYY-MM-DD."""
    for line in head.split("\n")[:12]:
        m = _rules()["dateline"].search(line.strip())
        if m and (year is None or int(m.group("y")) == year):
            y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y}-{mo:02d}-{d:02d}"
    return None


def infer(doc: "Document", html_title: str = "") -> dict[str, Any]:
    r = _rules()
    text = doc.text
    head = text[:3000]
    title = _title(text, html_title)
    meta: dict[str, Any] = {"title": title, "confidence": {}}
    years = r["year"].findall(title) or r["year"].findall(head)
    if years:
        meta["year"] = int(years[0])
        meta["confidence"]["year"] = 0.9 if r["year"].search(title) else 0.6
    level, conf = _level(text, title)
    meta["level"] = level
    meta["confidence"]["level"] = conf
    sp = r["speaker"].search(title) or r["speaker"].search(head[:300])
    if sp:
        meta["speaker_role"] = sp.group(1)
        meta["confidence"]["speaker_role"] = 0.8 if r["speaker"].search(title) else 0.4
    loc: Counter[str] = Counter()
    suffix: dict[str, str] = {}
    for src in (title, text):
        for _, name, suf in _localities(src):
            if not r["not_place"].search(name):
                loc[name + suf] += 1
                suffix[name + suf] = suf
    if loc:
        name, n = loc.most_common(1)[0]
        meta["locality"] = name
        meta["confidence"]["locality"] = min(0.9, 0.3 + 0.1 * n)
        # the place's own suffix gives the level (海拉尔区 → 区) unless the title names another
        own = r["suffix_level"].get(suffix[name])
        if own and meta["confidence"]["level"] < 0.9:
            meta["level"] = own
            meta["confidence"]["level"] = max(conf, 0.8)
    # period reviewed: the quarter most named in reported figures; planned: the next
    quarters = Counter(m.group(1) for m in r["reported"].finditer(text)) or \
        Counter(m.group(1) for m in r["quarter"].finditer(text))
    qnum = r["qnum"]
    title_q = r["quarter"].search(title)
    plan = next((p for p in r["planning"].finditer(text) if p.group(2) != r["whole_year"]), None) or r["planning"].search(text)
    reviewed = None
    for q, _ in quarters.most_common():
        if q != r["whole_year"]:
            reviewed = q
            break
    if reviewed:
        meta["period_reviewed"] = reviewed
        meta["confidence"]["period_reviewed"] = 0.5
    if plan:
        meta["period_planned"] = plan.group(2)
    elif reviewed and qnum.get(reviewed, 0) < 4:
        meta["period_planned"] = r["quarter_names"][qnum[reviewed]]
    if title_q:
        meta["meeting_quarter"] = title_q.group(1)
    year = meta.get("year")
    q = qnum.get(meta.get("period_planned") or "", 0)
    day = _meeting_day(head, year)
    if day:
        # a dateline states the day: it beats any guess from the quarters
        meta["meeting_date"] = day
        meta["confidence"]["meeting_date"] = 0.9
        meta["period"] = f"{day[:4]}Q{(int(day[5:7]) - 1) // 3 + 1}"
    elif year and q:
        # the meeting is held at the start of the planned quarter
        month = {1: 1, 2: 4, 3: 7, 4: 10}[q]
        meta["meeting_date"] = f"{year}-{month:02d}"
        meta["period"] = f"{year}Q{q}"
    elif year:
        meta["meeting_date"] = str(year)
    return meta
