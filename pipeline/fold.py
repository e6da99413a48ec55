"""Folding of names, shared by extraction, the store and the web explorer.

A unit name without its level prefix (县发改局 → 发改局) and an indicator name
without its place prefix and rate suffix (全县固定资产投资增速 → 固定资产投资) are the
keys under which the same office or indicator of two speeches meet. The store
registers these functions with SQLite so that SQL calls them rather than
re-implementing them.
"""
from __future__ import annotations

import regex

from .lexicon import name_parts

_SPACE = regex.compile(r"[\s\p{P}]+")


def fold_unit(name: str | None) -> str:
    """A unit name without its level prefix: 县发改局 → 发改局, 市统计局 → 统计局."""
    s = _SPACE.sub("", name or "")
    return name_parts()["unit_level"].sub("", s, count=1)


def fold_indicator(name: str | None) -> str:
    """An indicator name without place prefix and rate suffix: 全县固定资产投资增速 → 固定资产投资."""
    parts = name_parts()
    s = _SPACE.sub("", name or "")
    s = parts["indicator_scope"].sub("", s, count=1)
    return parts["indicator_measure"].sub("", s) or s


def like_escape(s: str) -> str:
    """`s` as a literal inside a LIKE pattern written with ESCAPE '\\'."""
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
