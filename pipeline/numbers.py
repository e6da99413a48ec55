"""Numbers as written in speeches: Arabic, Chinese numerals, placeholders.

Only text already matched as a quantity is converted: a naive converter would
turn 统一 or 一把手 into numbers. `parse` returns a float/int, "masked", or None.
"""
from __future__ import annotations

from functools import lru_cache

import regex

from . import lexicon

MASKED = "masked"

# The number grammar is data (rules/fragments.yaml): placeholders, Arabic and Chinese numerals.
_F = lexicon.fragments()
MASK = _F["mask"]
ARABIC = _F["arabic"]
HAN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
HAN = _F["han_number"]
NUMBER = _F["number"]

_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_MASK_RE = regex.compile(MASK)
_RANGE = regex.compile(rf"^({ARABIC})\s?[-—–~～至到]\s?({ARABIC})$")


def han_to_number(text: str) -> float | None:
    """一百二十 → 120, 十二 → 12, 两 → 2, 三点五 → 3.5; None when not a numeral."""
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = han_to_number(whole) if whole else 0
        if w is None or not all(c in _DIGIT for c in frac):
            return None
        return float(f"{int(w)}.{''.join(str(_DIGIT[c]) for c in frac)}")
    if all(c in _DIGIT for c in text) and len(text) > 1:  # 二〇二三 digit by digit
        return int("".join(str(_DIGIT[c]) for c in text))
    total = section = digit = 0
    seen = False
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
            seen = True
        elif ch in _SMALL:
            section += (digit or 1) * _SMALL[ch]
            digit = 0
            seen = True
        elif ch in _BIG:
            total = (total + section + digit) * _BIG[ch]
            section = digit = 0
            seen = True
        else:
            return None
    return (total + section + digit) if seen else None


_FULL_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@lru_cache(maxsize=1024)
def small_int(text: str) -> int | None:
    """The integer of a label or date numeral: 3, ３, 三, 十二, 二十三 → int; None otherwise."""
    t = (text or "").strip().translate(_FULL_DIGITS)
    if t.isdigit():
        return int(t)
    v = han_to_number(t) if t and all(c in _DIGIT or c == "十" for c in t) else None
    return int(v) if v is not None else None


FRACTION = _F["fraction"]
_FRACTION = regex.compile(r"^(\d+)/(\d+)$|^(\p{Han}+)分之(\p{Han}+)$")


@lru_cache(maxsize=4096)  # (a speech writes the same few numbers and placeholders again and again)
def parse(text: str) -> float | int | str | None:
    """The value of a matched number span: 139.2, 1,234 → 1234, X → 'masked', 三 → 3, 1/4 → 0.25."""
    t = text.strip()
    if not t:
        return None
    if _MASK_RE.fullmatch(t):
        return MASKED
    if t.startswith("百分之"):
        return han_to_number(t[3:])
    if "/" in t or "分之" in t:
        f = _FRACTION.match(t)
        if f:
            den, num = (float(f.group(2)), float(f.group(1))) if f.group(1) else \
                (han_to_number(f.group(3)), han_to_number(f.group(4)))
            return round(num / den, 4) if num is not None and den else None
    m = _RANGE.match(t)
    if m:
        t = m.group(1)
    t = t.replace(",", "")
    try:
        v = float(t)
        return int(v) if v.is_integer() and "." not in t else v
    except ValueError:
        return han_to_number(t)


def parse_range(text: str) -> tuple[float, float] | None:
    """(low, high) of a written range such as 3-5 or 6至7, else None."""
    m = _RANGE.match(text.strip())
    if not m:
        return None
    return float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))


def is_masked(text: str) -> bool:
    return bool(_MASK_RE.search(text))
