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
