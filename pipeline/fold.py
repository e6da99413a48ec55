"""Folding of names, shared by extraction, the store and the web explorer.

A unit name without its level prefix (县发改局 → 发改局) and an indicator name
without its place prefix and rate suffix (全县固定资产投资增速 → 固定资产投资) are the
keys under which the same office or indicator of two speeches meet. The store
registers these functions with SQLite so that SQL calls them rather than
re-implementing them.
"""
from __future__ import annotations

import regex

_UNIT_PREFIX = regex.compile(r"^(?:县级|区级|市级|县|区|市)(?!场|民|容|政(?!府))(?=\p{Han}{2})")
_IND_PREFIX = regex.compile(r"^(?:全县|全区|全市|我县|我区|我市|本县|本区|本市|县域|全省|县上|区上)")
_IND_SUFFIX = regex.compile(r"(?:增速|增幅|增长率|总量|位次|排名)$")
_SPACE = regex.compile(r"[\s\p{P}]+")


def fold_unit(name: str | None) -> str:
    """A unit name without its level prefix: 县发改局 → 发改局, 市统计局 → 统计局."""
    s = _SPACE.sub("", name or "")
    return _UNIT_PREFIX.sub("", s)


def fold_indicator(name: str | None) -> str:
    """An indicator name without place prefix and rate suffix: 全县固定资产投资增速 → 固定资产投资."""
    s = _SPACE.sub("", name or "")
    s = _IND_PREFIX.sub("", s)
    return _IND_SUFFIX.sub("", s) or s


def like_escape(s: str) -> str:
    """`s` as a literal inside a LIKE pattern written with ESCAPE '\\'."""
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
