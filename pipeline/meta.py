"""Speech metadata inferred from the text: title, year, level, speaker, locality,
the period the speech reviews and the one it plans for. Each value comes with a
confidence; a sidecar file or CLI flags override any of them."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import regex

if TYPE_CHECKING:
    from .normalize import Document

_TITLE_HINT = regex.compile(r"(讲话|报告|发言|致辞|会议|讲稿|主持词|总结|部署|动员)")
_YEAR = regex.compile(r"((?:19|20)\d\d)年")
_QUARTER = regex.compile(r"(前三季度|一季度|二季度|三季度|四季度|上半年|下半年|全年|第[一二三四]季度)")
_QNUM = {"一季度": 1, "第一季度": 1, "二季度": 2, "第二季度": 2, "上半年": 2, "三季度": 3, "第三季度": 3,
         "前三季度": 3, "四季度": 4, "第四季度": 4, "下半年": 4, "全年": 4}
_SPEAKER = regex.compile(r"(县委书记|区委书记|市委书记|县长|区长|市长|常务副县长|常务副区长|常务副市长|副县长|副区长|副市长|书记|主任)")
# a place name only in forms that leave no doubt: 中共XX县委, XX县人民政府, a title
# that opens with it (凤县2023年…); prose like 认真落实县委 gives nothing
# (three patterns, each found by its literal part: one alternation of the three scans several times slower)
_LOC_PARTY = regex.compile(r"中共(\p{Han}{2,3}?)(县|区|旗)委")
_LOC_GOV = regex.compile(r"(?:^|(?<=[\n“（]))(\p{Han}{2,3}?)(县|区|旗)人民政府")
_LOC_TITLE = regex.compile(r"(\p{Han}{1,3}?)(县|区|旗)(?=20\d\d|第|委|政府)")


def _localities(text: str) -> list[tuple[int, str, str]]:
    """(offset, name, suffix) of each unambiguous place-name form, in text order."""
    found = [(m.start(), m.group(1), m.group(2)) for m in _LOC_PARTY.finditer(text)]
    at = text.find("人民政府")
    while at >= 0:
        for s in (at - 4, at - 3):  # 2-3 characters and 县/区/旗 before it, leftmost first
            m = _LOC_GOV.match(text, s) if s >= 0 else None
            if m and m.end() == at + 4:
                found.append((s, m.group(1), m.group(2)))
                break
        at = text.find("人民政府", at + 4)
    m = _LOC_TITLE.match(text)
    if m and not any(f[0] == 0 for f in found):  # one form per place in the text
        found.append((0, m.group(1), m.group(2)))
    return sorted(found)
_NOT_PLACE = regex.compile(r"[全我本该各每省市县区党和新届次会的是了在要上下]")
_REPORTED = regex.compile(r"(前三季度|一季度|二季度|三季度|四季度|上半年|下半年|第[一二三四]季度)[，,]?[^。；]{0,16}?(增长|下降|排|完成|实现|签约|新增|位列|居|得分|\d|[*X×])")
_PLANNING = regex.compile(r"(冲刺|攻坚|决战|决胜|抓好|安排部署|部署)\s*(四季度|三季度|二季度|下半年|全年|明年)")


def _title(text: str, html_title: str) -> str:
    for line in text.split("\n")[:8]:
        s = line.strip()
        if regex.match(r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|同志们)", s):
            break
        if 4 <= len(s) <= 80 and _TITLE_HINT.search(s):
            return s
    if html_title:
        return regex.split(r"\s*[-_|｜—]\s*", html_title)[0][:80]
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    m = regex.match(r"^.{4,60}?(讲话|报告)", first)
    return m.group(0) if m else ""


_LEVEL_WORDS = (("县", r"全县|县委|县政府|我县|县上"), ("区", r"全区|区委|区政府|我区"), ("市", r"全市|市委|市政府|我市"))


def _level(text: str, title: str = "") -> tuple[str | None, float]:
    # the title names the meeting's own level (在全市经济工作会议上的讲话): it decides when it names one
    named = [lv for lv, pat in _LEVEL_WORDS if regex.search(pat, title)]
    if len(named) == 1:
        return named[0], 0.9
    counts: Counter[str] = Counter()
    for lv, pat in _LEVEL_WORDS:
        counts[lv] = len(regex.findall(pat, text))
    # a county speech also names the city above it: 市 wins only when clearly dominant
    if counts["县"] + counts["区"] == 0 and counts["市"] == 0:
        return None, 0.0
    best = "县" if counts["县"] >= counts["区"] else "区"
    if counts[best] == 0 or counts["市"] > 3 * counts[best]:
        best = "市"
    total = sum(counts.values())
    return best, round(counts[best] / total, 2)


def infer(doc: "Document", html_title: str = "") -> dict[str, Any]:
    text = doc.text
    head = text[:3000]
    title = _title(text, html_title)
    meta: dict[str, Any] = {"title": title, "confidence": {}}
    years = _YEAR.findall(title) or _YEAR.findall(head)
    if years:
        meta["year"] = int(years[0])
        meta["confidence"]["year"] = 0.9 if _YEAR.search(title) else 0.6
    level, conf = _level(text, title)
    meta["level"] = level
    meta["confidence"]["level"] = conf
    sp = _SPEAKER.search(title) or _SPEAKER.search(head[:300])
    if sp:
        meta["speaker_role"] = sp.group(1)
        meta["confidence"]["speaker_role"] = 0.8 if _SPEAKER.search(title) else 0.4
    loc: Counter[str] = Counter()
    for src in (title, text):
        for _, name, suffix in _localities(src):
            if not _NOT_PLACE.search(name):
                loc[name + suffix] += 1
    if loc:
        name, n = loc.most_common(1)[0]
        meta["locality"] = name
        meta["confidence"]["locality"] = min(0.9, 0.3 + 0.1 * n)
    # period reviewed: the quarter most named in reported figures; planned: the next
    quarters = Counter(m.group(1) for m in _REPORTED.finditer(text)) or Counter(m.group(1) for m in _QUARTER.finditer(text))
    title_q = _QUARTER.search(title)
    plan = next((p for p in _PLANNING.finditer(text) if p.group(2) != "全年"), None) or _PLANNING.search(text)
    reviewed = None
    for q, _ in quarters.most_common():
        if q != "全年":
            reviewed = q
            break
    if reviewed:
        meta["period_reviewed"] = reviewed
        meta["confidence"]["period_reviewed"] = 0.5
    if plan:
        meta["period_planned"] = plan.group(2)
    elif reviewed and _QNUM.get(reviewed, 0) < 4:
        meta["period_planned"] = ["一季度", "二季度", "三季度", "四季度"][_QNUM[reviewed]]
    if title_q:
        meta["meeting_quarter"] = title_q.group(1)
    year = meta.get("year")
    q = _QNUM.get(meta.get("period_planned") or "", 0)
    if year and q:
        # the meeting is held at the start of the planned quarter
        month = {1: 1, 2: 4, 3: 7, 4: 10}[q]
        meta["meeting_date"] = f"{year}-{month:02d}"
        meta["period"] = f"{year}Q{q}"
    elif year:
        meta["meeting_date"] = str(year)
    return meta
