"""Deadlines as written → a date range relative to the speech.

`normalize_deadline("10月底前", "2023-07")` → ("2023-07-01", "2023-10-31"): from
the meeting date to the end of October. A deadline that names a period rather
than a point ("三季度", "明年秋季", "下半年") gives that period's range; a
recurring one ("每季度", "每月", "按半月", "定期") and a masked one ("*月*日前")
give None — the text is kept on the record, only the range is unknown.

The reference is the meeting date ("2023-07" or "2023-07-15") or the year
(2023 or "2023"); without one, only deadlines with an explicit year resolve.
"""
from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache

import regex

from . import lexicon
from .numbers import small_int

# The words of time come from rules/fragments.yaml, the same fragments the deadline
# lists of rules/task_cues.yaml and rules/metric_cues.yaml are written with.
_F = lexicon.fragments()
# fixed holidays as month and day; the lunar ones (春节, 端午, 中秋, 清明) are not resolved
_HOLIDAYS = {name: tuple(int(x) for x in md.split("-")) for name, md in
             ((lexicon.rules("fragments.yaml") or {}).get("holiday_dates") or {}).items()}

RECURRING = regex.compile(r"每(?:个)?(?:季度|季|月|周|星期|旬|半月|年|天|日)|按(?:半月|月|季度|季|周|旬|年)|定期|逐月|逐季")
_NUM = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
_BEFORE = rf"(?P<before>{_F['before']})?"
_YEAR = rf"(?:(?P<y>(?:19|20)\d{{2}})年|(?P<rel>{_F['year_rel']}))?"
_POINT = regex.compile(
    _YEAR + r"(?:(?P<m>" + _NUM + r")月(?:份)?(?:(?P<d>" + _NUM + r")日|(?P<part>底|末|中旬|上旬|下旬|中|初))?)" + _BEFORE
)
_YEAR_END = regex.compile(_YEAR + r"(?:年底|年末|年内|年终|全年|年度|今年|底)" + _BEFORE)
_QUARTER = regex.compile(_YEAR + r"(?:第)?(?P<q>[一二三四1-4])季度(?P<edge>末|底|内)?" + _BEFORE)
_HALF = regex.compile(_YEAR + r"(?P<h>上半年|下半年|年中)(?P<edge>末|底)?" + _BEFORE)
_SEASON = regex.compile(_YEAR + r"(?P<s>春季|春|夏季|夏|秋季|秋|冬季|冬)" + _BEFORE)
_HOLIDAY = regex.compile(_YEAR + rf"(?P<hol>{_F['holiday']})" + _BEFORE)
_REL_YEAR = regex.compile(r"^(?P<rel>今年|明年|次年|后年)$")
_MASK = regex.compile(r"[*＊X×xＸ□○]")

# season → (first month, last month); winter runs into the next year
_SEASONS = {"春": (3, 5), "夏": (6, 8), "秋": (9, 11), "冬": (12, 14)}


def _num(s: str) -> int:
    v = small_int(s)
    return -1 if v is None else v


def _ref(ref) -> date | None:
    """The reference date: a meeting date, a year-month, or a year."""
    if ref is None or ref == "":
        return None
    if isinstance(ref, date):
        return ref
    if isinstance(ref, int):
        return date(ref, 1, 1)
    m = regex.match(r"^((?:19|20)\d{2})(?:[-/.年](\d{1,2}))?(?:[-/.月](\d{1,2}))?", str(ref))
    if not m:
        return None
    return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))


def _last(y: int, m: int) -> date:
    while m > 12:
        y, m = y + 1, m - 12
    return date(y, m, calendar.monthrange(y, m)[1])


def _year(m: regex.Match, base: date | None) -> int | None:
    if m.group("y"):
        return int(m.group("y"))
    if base is None:
        return None
    rel = m.group("rel")
    return base.year + {"明年": 1, "次年": 1, "下一年": 1, "后年": 2}.get(rel or "", 0)


def _iso(d: date) -> str:
    return d.isoformat()


def normalize_deadline(text: str | None, ref=None) -> tuple[str, str] | None:
    """(start_iso, end_iso) for a deadline as written, or None (recurring, masked, unknown)."""
    if not text:
        return None
    t = regex.sub(r"\s+", "", text)
    if RECURRING.search(t) or _MASK.search(t):
        return None
    base = _ref(ref)

    def window(y: int | None, start: date, end: date, before: bool, explicit: bool) -> tuple[str, str] | None:
        """A 'by' deadline runs from the meeting; a period deadline is the period."""
        if before and base is not None:
            s = base
            if end < s:
                if explicit:  # the text names the year: keep it
                    s = start
                else:  # 3月底前 said in November: next March
                    end = date(end.year + 1, end.month, min(end.day, calendar.monthrange(end.year + 1, end.month)[1]))
            return _iso(s), _iso(end)
        return _iso(start), _iso(end)

    m = regex.fullmatch(r"(?:本月|月)(?:底|末)(?:前|之前)?|本月", t)
    if m and base is not None:
        return _iso(base), _iso(_last(base.year, base.month))
    m = _POINT.fullmatch(t)
    if m:
        y = _year(m, base)
        if y is None:
            return None
        mo = _num(m.group("m"))
        if not 1 <= mo <= 12:
            return None
        part = m.group("part")
        if m.group("d"):
            d = _num(m.group("d"))
            end = date(y, mo, min(d, calendar.monthrange(y, mo)[1]))
            start = end
        elif part in ("上旬", "初"):
            start, end = date(y, mo, 1), date(y, mo, 10)
        elif part in ("中旬", "中"):
            start, end = date(y, mo, 11), date(y, mo, 20)
        elif part == "下旬":
            start, end = date(y, mo, 21), _last(y, mo)
        else:
            start, end = date(y, mo, 1), _last(y, mo)
        before = bool(m.group("before")) or part in ("底", "末") or bool(m.group("d"))
        return window(y, start, end, before, bool(m.group("y") or m.group("rel")))
    m = _QUARTER.fullmatch(t)
    if m:
        y = _year(m, base)
        if y is None:
            return None
        q = _num(m.group("q")) if not m.group("q").isdigit() else int(m.group("q"))
        start, end = date(y, 3 * q - 2, 1), _last(y, 3 * q)
        before = bool(m.group("before")) or m.group("edge") in ("末", "底")
        return window(y, start, end, before, bool(m.group("y") or m.group("rel")))
    m = _HALF.fullmatch(t)
    if m:
        y = _year(m, base)
        if y is None:
            return None
        h = m.group("h")
        start, end = (date(y, 1, 1), date(y, 6, 30)) if h in ("上半年", "年中") else (date(y, 7, 1), date(y, 12, 31))
        before = bool(m.group("before")) or bool(m.group("edge")) or h == "年中"
        return window(y, start, end, before, bool(m.group("y") or m.group("rel")))
    m = _SEASON.fullmatch(t)
    if m:
        y = _year(m, base)
        if y is None:
            return None
        a, b = _SEASONS[m.group("s")[0]]
        start, end = date(y, a, 1), _last(y, b)
        return window(y, start, end, bool(m.group("before")), bool(m.group("y") or m.group("rel")))
    m = _HOLIDAY.fullmatch(t)
    if m:
        md = _HOLIDAYS.get(m.group("hol")) or _HOLIDAYS.get(m.group("hol") + "节")
        y = _year(m, base)
        if md is None or y is None:
            return None
        day = date(y, *md)
        if m.group("before"):  # 国庆节前: up to the day before the holiday
            day = date.fromordinal(day.toordinal() - 1)
        return window(y, day, day, True, bool(m.group("y") or m.group("rel")))
    m = _YEAR_END.fullmatch(t)
    if m and t not in ("底", "底前"):
        y = _year(m, base)
        if y is None:
            return None
        start = base if base is not None and base.year == y else date(y, 1, 1)
        return _iso(start), _iso(date(y, 12, 31))
    m = _REL_YEAR.fullmatch(t)
    if m and base is not None:
        y = base.year + {"明年": 1, "次年": 1, "后年": 2}.get(m.group("rel"), 0)
        start = base if y == base.year else date(y, 1, 1)
        return _iso(start), _iso(date(y, 12, 31))
    return None


def is_recurring(text: str | None) -> bool:
    return bool(text and RECURRING.search(text))


# ---------------------------------------------------------------- periods and deadlines in context

_FORMS = {name: regex.compile(p) for name, p in
          ((lexicon.rules("fragments.yaml") or {}).get("period_forms") or {}).items()}
_YEAR_OFFSETS = (lexicon.rules("fragments.yaml") or {}).get("year_offsets") or {}
_QUOTES = regex.compile(r"[“”\"'‘’《》\s]")
_ANY_YEAR = regex.compile(r"(?:19|20)\d\d(?=年)")


def _form(name: str, t: str) -> regex.Match | None:
    pat = _FORMS.get(name)
    return pat.fullmatch(t) if pat is not None else None


def _month(s: str) -> int:
    v = int(s) if s.isdigit() else _num(s)
    return v if 1 <= v <= 12 else -1


def _completed_month_end(base: date) -> date | None:
    """The end of the last month complete at the meeting (a July meeting reports January to June);
    a meeting in January counts its own days."""
    if base.month == 1:
        return base
    return _last(base.year, base.month - 1)


def part_years(role: str | None, cue: str | None, ref=None, kind: str | None = None) -> tuple[int, int] | None:
    """(first, last) year a document part is about: a review part the year its opening names
    (2017年工作回顾), or the years before the speech (过去的一年 · 五年来); a plan part its own year
    (2018年工作安排) or the speech's. None when nothing says."""
    base = _ref(ref)
    t = _QUOTES.sub("", cue or "")
    named = _ANY_YEAR.search(t)
    if named:
        y = int(named.group(0))
        return y, y
    if base is None:
        return None
    if role == "plan":
        return base.year, base.year
    if role != "review":
        return None
    for m in _FORMS["years_past"].finditer(t) if "years_past" in _FORMS else ():
        n = _num(m.group("n") or m.group("n2"))
        if 1 < n <= 10:
            return base.year - n, base.year - 1
    if kind == "work_report" or ("year_past" in _FORMS and _FORMS["year_past"].search(t)):
        return base.year - 1, base.year - 1
    return None


@lru_cache(maxsize=4096)  # a pure function of its words and context, asked again for most records of a speech
def resolve_period(text: str | None, ref=None, *, role: str | None = None, cue: str | None = None,
                   kind: str | None = None, deadline: bool = False) -> tuple[str, str] | None:
    """(start_iso, end_iso) of a period or a deadline as written, in its context; None when the
    words do not fix one (recurring, masked: 20xx年, X月; a relative word with no date to count from).

    `ref`: the speech's date (2018-03-07, 2023-07 or 2023). `role`, `cue`: the part of the document
    the record sits in (review or plan) and the words that opened it (2017年工作回顾, 过去的一年);
    `kind`: the document's kind (a work report's review is the year before the report).
    `deadline`: read the words as a deadline ("by": 10月底前 runs from the meeting to October's end)
    rather than as the period a figure covers (1-9月 is January to September).

    Without words: a figure in a review part covers the years it reviews; a target in a plan
    part is for the plan's year; anything else is unresolved."""
    base = _ref(ref)
    years = part_years(role, cue, ref, kind) if role in ("review", "plan") else None
    t = _QUOTES.sub("", text or "")
    if not t:
        if years and (role == "review" and not deadline or role == "plan" and deadline):
            return _iso(date(years[0], 1, 1)), _iso(date(years[1], 12, 31))
        return None
    if _MASK.search(t) or RECURRING.search(t):
        return None
    # the year sub-year words count from: the year a review part is about, else the speech's
    year0 = years[1] if years and role == "review" and years[0] == years[1] else (base.year if base else None)
    if role == "plan" and years:
        year0 = years[0]

    def y_of(m: regex.Match) -> int | None:
        g = m.groupdict().get("y")
        return int(g) if g else year0

    m = _form("five_year_plan", t)
    if m:
        n = _num(m.group("plan")) + 10
        first = 1966 + 5 * (n - 3)
        edge = m.group("edge") or ""
        if edge == "末":
            return (_iso(base) if deadline and base and base.year <= first + 4 else _iso(date(first + 4, 1, 1))), \
                _iso(date(first + 4, 12, 31))
        if edge == "初":
            return _iso(date(first, 1, 1)), _iso(date(first, 12, 31))
        return _iso(date(first, 1, 1)), _iso(date(first + 4, 12, 31))
    m = _form("years_past", t)
    if m and base:
        n = _num(m.group("n") or m.group("n2"))
        if 1 <= n <= 10:
            return _iso(date(base.year - n, 1, 1)), _iso(date(base.year - 1, 12, 31))
    if _form("year_past", t) and base:
        return _iso(date(base.year - 1, 1, 1)), _iso(date(base.year - 1, 12, 31))
    if _form("since_start", t):
        if base is None or not _has_month(ref):
            return None
        end = _completed_month_end(base)
        return (_iso(date(base.year, 1, 1)), _iso(end)) if end else None
    m = _form("since_month", t)
    if m and base is not None and _has_month(ref):
        mo, end = _month(m.group("m")), _completed_month_end(base)
        if mo > 0 and end and date(base.year, mo, 1) <= end:
            return _iso(date(base.year, mo, 1)), _iso(end)
        return None
    if _form("now", t):
        if base is None or not _has_month(ref):
            return None
        return _iso(base), _iso(base)
    for name in ("month_span", "until_month", "first_quarters"):
        m = _form(name, t)
        if m:
            y = y_of(m)
            if y is None:
                return None
            if name == "month_span":
                a, b = _month(m.group("a")), _month(m.group("b"))
                if a < 1 or b < a:
                    return None
                return _iso(date(y, a, 1)), _iso(_last(y, b))
            if name == "until_month":
                b = _month(m.group("m"))
                return (_iso(date(y, 1, 1)), _iso(_last(y, b))) if b > 0 else None
            q = int(m.group("q")) if m.group("q").isdigit() else _num(m.group("q"))
            return _iso(date(y, 1, 1)), _iso(_last(y, 3 * q))
    if not deadline:
        # a period is the whole span its words name
        m = _form("quarter", t)
        if m:
            y = y_of(m)
            q = int(m.group("q")) if m.group("q").isdigit() else _num(m.group("q"))
            return (_iso(date(y, 3 * q - 2, 1)), _iso(_last(y, 3 * q))) if y and 1 <= q <= 4 else None
        m = _form("half", t)
        if m:
            y = y_of(m)
            if y is None:
                return None
            return (_iso(date(y, 1, 1)), _iso(date(y, 6, 30))) if m.group("h") == "上半年" else \
                (_iso(date(y, 7, 1)), _iso(date(y, 12, 31)))
        m = _form("month", t)
        if m:
            y, mo = y_of(m), _month(m.group("m"))
            return (_iso(date(y, mo, 1)), _iso(_last(y, mo))) if y and mo > 0 else None
    m = _form("year", t)
    if m:
        y = int(m.group("y"))  # (a goal list's 2017年 is for the whole year, not from the meeting on)
        return _iso(date(y, 1, 1)), _iso(date(y, 12, 31))
    m = _form("year_words", t)
    if m:
        w = m.group("w")
        y = (base.year + int(_YEAR_OFFSETS[w])) if w in _YEAR_OFFSETS and base else year0
        if y is None:
            return None
        return _iso(date(y, 1, 1)), _iso(date(y, 12, 31))
    # a deadline as written (年底前, 三季度, 10月底前), counted from the meeting, or from the
    # plan's year when the part names another
    dref = ref
    if role == "plan" and years and (base is None or base.year != years[0]):
        dref = years[0]
    return normalize_deadline(t, dref)


def _has_month(ref) -> bool:
    """Whether the reference names a month (2023-07, 2018-03-07), not only a year."""
    if isinstance(ref, date):
        return True
    return bool(regex.match(r"^(?:19|20)\d{2}[-/.年]\d{1,2}", str(ref or "")))


def span_label(start: str | None, end: str | None) -> str:
    """A resolved period in a few characters: 2017, 2017Q3, 2017H1, 2017-01~06, 2016~2020, 2023-07-05."""
    if not start or not end:
        return ""
    try:
        a, b = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        return f"{start}~{end}"
    if a == b:
        return a.isoformat()
    whole_a = a.month == 1 and a.day == 1
    whole_b = b.month == 12 and b.day == 31
    if whole_a and whole_b:
        return str(a.year) if a.year == b.year else f"{a.year}~{b.year}"
    if a.year == b.year and a.day == 1 and b == _last(b.year, b.month):
        if b.month - a.month == 2 and a.month % 3 == 1:
            return f"{a.year}Q{b.month // 3}"
        if (a.month, b.month) in ((1, 6), (7, 12)):
            return f"{a.year}H{1 if a.month == 1 else 2}"
        if a.month == b.month:
            return f"{a.year}-{a.month:02d}"
        return f"{a.year}-{a.month:02d}~{b.month:02d}"
    if a.year == b.year:
        return f"{a.isoformat()}~{b.month:02d}-{b.day:02d}"
    return f"{a.isoformat()}~{b.isoformat()}"
