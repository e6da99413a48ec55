"""Unit names by grammar, with the lexicon as their resolver.

    [level and place prefixes] + function stem + organisation head
    县 + 经济合作和对外交流 + 局 · 张家村 + 村委会 · 各 + 乡镇 + 财政 + 所 (a collective)

The words live in rules/unit_grammar.yaml; rules/units.yaml resolves the names it
knows to their key. Three functions:

    parse(text)  the whole string as one unit name (a Unit), or None
    split(text)  the members of a list (、，和及与), 和 kept inside a name that holds it
    find(text)   the unit names inside a clause, left to right

Text is clean Simplified (normalize converts Traditional first). `level` is the
speech's own level (县 by default; 市 for a city's speech): a name of a higher
level (市发改委 in a county's speech) is no local unit.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import regex

from . import lexicon
from .fold import fold_unit


@dataclass(frozen=True)
class Unit:
    """One unit name as read: its span in the string read, its parts, its key."""

    text: str  # the name as written
    start: int
    end: int
    prefix: str  # level, place, collective and class prefixes as written: 县, 县委, xx县, 张家村, 各乡镇
    stem: str  # the function stem: 经济合作和对外交流
    head: str  # the organisation head: 局, 村委会, 有限公司 ('' for a lexicon form without one)
    key: str | None  # the lexicon key, when the lexicon knows the name
    fold: str  # the name without level and place prefixes (fold_unit): where two speeches meet
    collective: bool  # a group (各乡镇财政所, 有关部门), never one named body
    short: bool = False  # a lexicon short form (交通, 应急): a unit only as a list member

    @property
    def ident(self) -> str:
        """The lexicon key when there is one, else the fold."""
        return self.key or self.fold


# ------------------------------------------------------------------ the rules


@dataclass
class _Grammar:
    levels: dict[str, int]
    level_re: regex.Pattern
    own: dict[str, int]
    default_rank: int
    place_re: regex.Pattern
    place_suffixes: dict[str, int]
    not_places: frozenset
    not_place_end: regex.Pattern
    heads: list[dict]
    heads_by_first: dict  # first character → the heads that open with it, longest first
    head_by_text: dict[str, dict]
    sub_heads: frozenset
    sub_stem_max: int
    class_heads: tuple
    specific: tuple
    coll_re: regex.Pattern
    class_re: regex.Pattern
    speaker: frozenset
    not_names: frozenset
    stop: regex.Pattern
    keep: regex.Pattern
    stem_max: int
    hard_sep: regex.Pattern
    joiners: str
    etc: regex.Pattern
    lead_words: tuple
    appositions: tuple
    alias: dict
    short: dict
    alias_max: int
    openers: frozenset  # the first two characters of every lexicon form
    persons: regex.Pattern
    name_nb: regex.Pattern
    short_before: tuple
    short_after: tuple
    level_words: tuple
    level_chars: frozenset
    place_kinds: tuple
    legal_forms: tuple
    lex_fn: object


def _alt(words) -> str:
    return "|".join(regex.escape(str(w)) for w in sorted(set(words), key=len, reverse=True))


def _build() -> _Grammar:
    c = lexicon.rules("unit_grammar.yaml")
    try:
        lex = lexicon.units()
    except (FileNotFoundError, OSError):  # no lexicon: the grammar alone
        lex = {"alias": {}, "short": {}}
    heads = []
    for raw in sorted(c["heads"], key=lambda h: len(h["head"]), reverse=True):
        h = dict(raw)
        h.setdefault("stem", 2)
        h.setdefault("place", False)
        h["not_after"] = tuple(h.get("not_after") or ())
        h["nb"] = regex.compile(h["not_before"]) if h.get("not_before") else None
        heads.append(h)
    levels = {str(k): int(v) for k, v in c["levels"].items()}
    places = {str(k): int(v) for k, v in c["place_suffixes"].items()}
    return _Grammar(
        levels=levels,
        level_re=regex.compile("|".join(
            regex.escape(k) + (f"(?!{c['level_not_before'][k]})" if k in c["level_not_before"] else "")
            for k in sorted(levels, key=len, reverse=True))),
        own={str(k): int(v) for k, v in c["own_levels"].items()},
        default_rank=int(c["own_levels"][c["default_level"]]),
        # a place: a hidden name, or two to four characters, then the kind of place
        place_re=regex.compile(rf"(?:{c['placeholder_pattern']}|\p{{Han}}{{2,4}}?)(?:{_alt(places)})"),
        place_suffixes=places,
        not_places=frozenset(c["not_places"]),
        not_place_end=regex.compile(rf"(?:{_alt(c['not_place_endings'])})$"),
        heads=heads,
        heads_by_first={ch: [h for h in heads if h["head"][0] == ch] for ch in {h["head"][0] for h in heads}},
        head_by_text={h["head"]: h for h in heads},
        sub_heads=frozenset(c["sub_heads"]),
        sub_stem_max=int(c["sub_stem_max"]),
        class_heads=tuple(sorted(c["class_heads"], key=len, reverse=True)),
        specific=tuple(sorted(c["specific_collectives"], key=len, reverse=True)),
        coll_re=regex.compile(_alt(c["collective_prefixes"])),
        class_re=regex.compile(_alt(c["class_prefixes"])),
        speaker=frozenset(c["speaker_bodies"]),
        not_names=frozenset(c["not_names"]),
        stop=regex.compile("".join(c["stem_stop_pattern"].split())),
        keep=regex.compile(_alt(c["stem_keep"])),
        stem_max=int(c["stem_max"]),
        hard_sep=regex.compile(c["hard_separators_pattern"]),
        joiners="".join(c["joiners"]),
        etc=regex.compile(c["etc_pattern"]),
        lead_words=tuple(c["lead_ins"]),
        appositions=tuple(sorted(c["appositions"], key=len, reverse=True)),
        alias=dict(lex.get("alias") or {}),
        short=dict(lex.get("short") or {}),
        alias_max=max((len(a) for a in lex.get("alias") or {}), default=0),
        openers=frozenset(a[:2] for a in [*(lex.get("alias") or {}), *(lex.get("short") or {})]),
        persons=regex.compile(rf"(?:{_alt(c['person_endings'])})$"),
        name_nb=regex.compile(c["name_not_before_pattern"]),
        short_before=tuple(c["short_before"]),
        short_after=tuple(c["short_after"]),
        level_words=tuple(sorted({*levels}, key=len, reverse=True)),
        level_chars=frozenset("".join([*levels, *places])),
        place_kinds=tuple(places),
        legal_forms=tuple(c["legal_forms"]),
        lex_fn=lexicon.units,
    )


_STATE: list[_Grammar] = []


def _g() -> _Grammar:
    """The grammar, rebuilt when the lexicon loader was swapped (tests, a reload)."""
    if not _STATE or _STATE[0].lex_fn is not lexicon.units:
        _STATE[:] = [_build()]
        _read.cache_clear()
        _parse.cache_clear()
        _split.cache_clear()
    return _STATE[0]


# ------------------------------------------------------------------ one name

_BRACKET = regex.compile(r"[（(][^（()）]{1,8}[)）]")
_QUOTES = "“”\"‘’「」 \t"


def _rank(level: str | None, g: _Grammar) -> int:
    return g.own.get(level or "", g.default_rank)


def _clean_stem(stem: str, g: _Grammar, head: str = "") -> bool:
    """A stem holds no word that never stands in a name (要, 的, 负责, 关于 …); a name's own word
    that runs into its head (检查 + 站) keeps its stop word."""
    if len(stem) > g.stem_max:
        return False
    if not stem:
        return True
    probe = g.keep.sub(lambda m: "名" * len(m.group()), stem + head)[: len(stem)]
    return not g.stop.search(probe)


def _head(body: str, g: _Grammar) -> dict | None:
    """The longest head that ends `body` and is no ordinary word there (格局, 社会)."""
    for h in g.heads:
        if body.endswith(h["head"]):
            if any(body.endswith(w + h["head"]) for w in h["not_after"]):
                continue
            return h
    return None


def _unit(text: str, prefix: str, stem: str, head: str, key: str | None, collective: bool,
          short: bool = False, fold_from: int | None = None) -> Unit:
    """A Unit over all of `text`; its fold starts after the prefix, or at `fold_from`
    (a place that is the name's identity, a collective's 各)."""
    body = text[len(prefix) if fold_from is None else fold_from:]
    return Unit(text, 0, len(text), prefix, stem, head, key, fold_unit(body) or fold_unit(text), collective, short)


def _open(body: str, g: _Grammar, after_place: bool) -> tuple[str, str] | None:
    """(stem, head) of a name the lexicon does not know, or None."""
    if body in g.not_names or body in g.speaker:
        return None
    h = _head(body, g)
    if h is None:
        return None
    stem = body[: -len(h["head"])]
    need = 0 if (after_place and h["place"]) else max(int(h["stem"]), 1 if h["place"] else 0)
    if len(stem) < need or not _clean_stem(stem, g, h["head"]):
        return None
    # a known unit opening the stem: the rest must be an office under it (住建局 + 城建监察大队),
    # not more words (县发改局统筹城乡发展领导小组 is 县发改局 and something else)
    lv = g.level_re.match(stem)
    bare = stem[lv.end():] if lv else stem
    for k in range(len(bare), 1, -1):
        owner = bare[:k]
        if owner in g.alias and _head(owner, g) is not None:
            if h["head"] not in g.sub_heads or not 0 < len(bare) - k <= g.sub_stem_max:
                return None
            break
    return stem, h["head"]


@lru_cache(maxsize=20000)
def _read(s: str, rank: int) -> Unit | None:
    """`s` as one unit name, whether or not it holds 和 between two names."""
    g = _STATE[0]
    if not s or s in g.speaker or s in g.not_names or g.persons.search(s):
        return None  # the lexicon's person groups (各级领导干部) are no units either
    core = _BRACKET.sub("", s) if ("（" in s or "(" in s) else s
    if core != s:  # 各乡镇（街道）, 各视频监控站（点）: read without the bracket, spanned with it
        u = _read(core, rank)
        if u is None:
            return None
        return replace(u, text=s, end=len(s), fold=fold_unit(s) if u.collective else u.fold)
    return _prefixed(s, 0, rank, g)


def _known_unit(s: str, prefix: str, g: _Grammar, coll: bool) -> Unit | None:
    """The body after `prefix` as a lexicon form (full, or short)."""
    body = s[len(prefix):]
    e = g.alias.get(body)
    if e is not None:
        h = _head(body, g)
        head = h["head"] if h else ""
        return _unit(s, prefix, body[: len(body) - len(head)], head, e["key"], coll or bool(e.get("collective")))
    e = g.short.get(body)
    if e is not None and not coll:
        return _unit(s, prefix, body, "", e["key"], bool(e.get("collective")), short=True)
    return None


def _prefixed(s: str, i: int, rank: int, g: _Grammar, coll: bool = False, leveled: bool = False,
              placed: bool = False) -> Unit | None:
    """Read the prefixes from position i on (level, place, collective, class), then the body."""
    body, prefix = s[i:], s[:i]
    if not body:
        return None
    if not (placed and body in g.head_by_text):  # 张家村 + 村委会: the place is its identity, no lexicon key
        u = _known_unit(s, prefix, g, coll)
        if u is not None:
            return u
        for lf in g.legal_forms:  # 城市建设投资集团 + 有限公司: the known body, registered
            e = g.alias.get(body[: -len(lf)]) if body.endswith(lf) else None
            if e is not None:
                return _unit(s, prefix, body[: -len(lf)], lf, e["key"], coll or bool(e.get("collective")))
    # the class of all townships or county offices: 乡镇财政所, 乡镇市公所, 县直部门
    m = g.class_re.match(s, i)
    if m and m.end() < len(s):
        rest = s[m.end():]
        e = g.alias.get(rest)
        st = _open(rest, g, True) if e is None else None
        if e is not None or st is not None or rest.endswith(g.class_heads):
            stem, head = st if st else (rest, "")
            # the class takes the key of a class (县直 + 各部门), not of one body (乡镇 + 农技站)
            key = e["key"] if e is not None and e.get("collective") else None
            return _unit(s, s[: m.end()], stem, head, key, True, fold_from=i)
    if not coll:
        # a level prefix: 县, 县委, 县政府, 本府 …; another level (省市发改委) is no local unit
        m = g.level_re.match(s, i) if not (leveled or placed) else None
        if m and m.end() < len(s):
            if g.levels[m.group()] > rank:
                return None
            # what follows a level must be a name by itself (县 + 发改局统筹… is none)
            return _prefixed(s, m.end(), rank, g, leveled=True)
        # a collective prefix: 各, 有关, 相关, 其他 …
        m = g.coll_re.match(s, i)
        if m and m.end() < len(s):
            u = _collective(s, i, m.end(), rank, g)
            if u is not None:
                return u
        # a place: 张家村, 咸安区, xx县, 示范区
        m = g.place_re.match(s, i) if not placed else None
        if m:
            place = m.group()
            if place not in g.not_places and not g.not_place_end.search(place) and _clean_stem(place, g):
                suffix = max((k for k in g.place_suffixes if place.endswith(k)), key=len)
                lv = g.place_suffixes[suffix]
                if lv > rank:
                    return None
                if m.end() == len(s):
                    # a place alone: a township or village of a county's speech is a unit (城关镇)
                    if lv < rank and _clean_stem(place, g):
                        return _unit(s, prefix, place[: -len(suffix)], suffix, None, False, fold_from=i)
                else:
                    u = _prefixed(s, m.end(), rank, g, leveled=leveled, placed=True)
                    if u is not None:
                        return u
    # a group by its role: 行业主管部门, 包片单位
    for w in g.specific:
        if body.endswith(w) and _clean_stem(body[: -len(w)], g):
            return _unit(s, prefix, body[: -len(w)], w, None, True)
    # a place name before a known name, with no mark of its kind: 开江 + 生态环境局. Two characters
    # that open no lexicon name (综合执法局, 城市管理局 are names of their own)
    if i == 0 and not coll:
        place, rest = s[:2], s[2:]
        e = g.alias.get(rest)
        h = _head(rest, g) if e is not None else None
        if e is not None and h is not None and not e.get("collective") and not h["place"] and not rest.startswith(g.place_kinds) \
                and place not in g.openers and place not in g.not_places \
                and _clean_stem(place, g) and not g.level_re.match(place) and not g.coll_re.match(place) \
                and not g.class_re.match(place) and not any(ch in g.level_chars for ch in place):
            return _unit(s, place, rest[: -len(h["head"])], h["head"], e["key"], False)
    st = _open(body, g, placed)
    if st is not None:
        stem, head = st
        if placed and not stem and g.head_by_text[head]["place"]:
            # 张家村 + 村委会: the place is the name's identity, and stays in the fold
            return _unit(s, prefix, stem, head, None, coll, fold_from=_place_start(s, i, g))
        return _unit(s, prefix, stem, head, None, coll)
    return None


def _place_start(s: str, i: int, g: _Grammar) -> int:
    """Where the place before position i starts: after the level prefix, if any."""
    m = g.level_re.match(s)
    return m.end() if m and m.end() < i else 0


def _collective(s: str, i: int, j: int, rank: int, g: _Grammar) -> Unit | None:
    """After 各/有关/相关 (from i to j): a class (部门, 局处), a head alone (各局), or any name
    (各视频监控站). The fold keeps the 各 and drops the level before it."""
    rest, prefix = s[j:], s[:j]
    for ch in g.class_heads:
        if rest.endswith(ch) and _clean_stem(rest[: -len(ch)], g):
            return _unit(s, prefix, rest[: -len(ch)], ch, None, True, fold_from=i)
    if rest in g.head_by_text:
        return _unit(s, prefix, "", rest, None, True, fold_from=i)
    u = _prefixed(s, j, rank, g, coll=True)
    return None if u is None else replace(u, collective=True, fold=fold_unit(s[i:]))


def appositions() -> tuple[str, ...]:
    """The role nouns that stand in apposition before a name (包片单位, 牵头单位 …)."""
    return _g().appositions


def parse(text: str, level: str | None = None) -> Unit | None:
    """`text` as one unit name, or None.

    None for the speaker's own government (县委, 县政府, 县府), another level
    (省市发改委), a list (县农委和财政部门), persons and posts (各级领导干部), and
    words that only end like a name (格局, 市场). A role noun in apposition before
    the name is left out of its span (包片单位县气象局 → 县气象局, start 4)."""
    g = _g()
    return _parse(text, _rank(level, g))


@lru_cache(maxsize=20000)
def _parse(text: str, rank: int) -> Unit | None:
    g = _STATE[0]
    s = text.strip(_QUOTES)
    lead = len(text) - len(text.lstrip(_QUOTES))
    if not s:
        return None
    for a in g.appositions:
        if s.startswith(a) and len(s) > len(a) + 1:
            u = _parse(s[len(a):], rank)
            if u is not None and not u.short:
                return _shift(u, lead + len(a))
    u = _read(s, rank)
    if u is None:
        return None
    if any(ch in s for ch in g.joiners) and len(_split(s, rank)) > 1:
        return None  # a list joined by 和, not one name
    return _shift(u, lead)


def _shift(u: Unit, by: int) -> Unit:
    return replace(u, start=u.start + by, end=u.end + by) if by else u


# ------------------------------------------------------------------ lists


def split(text: str, level: str | None = None) -> list[tuple[str, int, int]]:
    """The members of a list of names, as (name, start, end).

    Separators 、，；and 以及 always split; 和/与/及 split only where the part
    before stands as a unit by itself (县农委和财政部门 → two), not inside a name
    (县商务和粮食局, 县经济合作和对外交流局 → one). A 等… tail is no member."""
    g = _g()
    return list(_split(text, _rank(level, g)))


@lru_cache(maxsize=20000)
def _split(text: str, rank: int) -> tuple[tuple[str, int, int], ...]:
    g = _STATE[0]
    end = _etc_tail(text, g)
    out: list[tuple[str, int, int]] = []
    for a, b in _segments(text, 0, len(text) if end is None else end, g):
        for x, y in _joined(text, a, b, rank, g):
            while x < y and text[x] in _QUOTES:
                x += 1
            while y > x and text[y - 1] in _QUOTES:
                y -= 1
            if y > x:
                out.append((text[x:y], x, y))
    return tuple(out)


def _etc_tail(text: str, g: _Grammar) -> int | None:
    """Where a 等… tail starts (气象、水利等部门 → at 等), or None."""
    k = text.rfind("等")
    if k > 0 and g.etc.match(text, k) and not g.hard_sep.search(text, k):
        return k
    return None


def _segments(text: str, a: int, b: int, g: _Grammar) -> list[tuple[int, int]]:
    """Spans between hard separators, none inside brackets (各乡镇（街道、园区）)."""
    out, depth, start, i = [], 0, a, a
    while i < b:
        ch = text[i]
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = g.hard_sep.match(text, i)
            if m and m.end() <= b:
                out.append((start, i))
                start = i = m.end()
                continue
        i += 1
    out.append((start, b))
    return [(x, y) for x, y in out if y > x]


def _joined(text: str, a: int, b: int, rank: int, g: _Grammar) -> list[tuple[int, int]]:
    """One segment, split at each 和/与/及 where the part before stands as a unit."""
    js = [k for k in range(a + 1, b - 1) if text[k] in g.joiners]
    out, start = [], a
    for n, k in enumerate(js):
        left = _read(text[start:k], rank)
        if left is None:
            continue  # 县经济合作 alone is no name: the 和 is inside one
        nxt = js[n + 1] if n + 1 < len(js) else b
        # a short form before 和 (商务和粮食局) joins the rest unless the whole is no name (交通和公安)
        # or a kind of body (教育和卫生系统, 财政和审计部门: two)
        whole = _read(text[start:nxt], rank)
        if left.head or left.collective or (left.key and not left.short) or whole is None or whole.collective:
            out.append((start, k))
            start = k + 1
    out.append((start, b))
    return out


# ------------------------------------------------------------ inside a clause

_NONNAME = regex.compile(r"[^\p{Han}XＸxｘ×＊*□○（）()]")


def find(text: str, level: str | None = None) -> list[Unit]:
    """The unit names inside a clause, left to right, none overlapping.

    A name starts at the clause's start, after punctuation or a separator, after
    a lead-in (由, 请, 责成, 交由, 会同, 同意 …), at a level or collective prefix, or
    at a lexicon name; of the names starting there, the longest is taken. Short
    forms count only as list members (交通、公安等部门)."""
    g = _g()
    rank = _rank(level, g)
    out: list[Unit] = []
    i = 0
    while i < len(text):
        u = _at(text, i, rank, g) if _may_start(text, i, rank, g) else None
        if u is None:
            i += 1
            continue
        if out and out[-1].end == u.start and out[-1].text in g.appositions:
            out.pop()  # 包片单位 + 县气象局: the role noun stands before the name
        out.append(u)
        i = u.end
    return out


def name_at(text: str, i: int = 0, level: str | None = None) -> Unit | None:
    """The unit name that `find` would read starting at i, or None when find's first name
    from i starts later or there is none (a lead-in or a role noun before a name: the name
    starts after it). One position is tried, not the whole text."""
    g = _g()
    rank = _rank(level, g)
    u = _at(text, i, rank, g) if _may_start(text, i, rank, g) else None
    if u is not None and u.text in g.appositions and u.end < len(text) \
            and _may_start(text, u.end, rank, g) and _at(text, u.end, rank, g) is not None:
        return None  # 包片单位 + 县气象局: find keeps the name after the role noun
    return u


def _may_start(text: str, i: int, rank: int, g: _Grammar) -> bool:
    if _NONNAME.match(text, i):
        return False
    # a lead-in opening here (报县住建局…, 同意县财政局…): the name starts after it
    for w in g.lead_words:
        if text.startswith(w, i) and i + len(w) < len(text) and _at(text, i + len(w), rank, g):
            return False
    if i == 0 or _NONNAME.match(text, i - 1) or text[i - 1] in g.joiners:
        return True
    if g.level_re.match(text, i) or g.coll_re.match(text, i):
        return True
    if any(text.endswith(w, 0, i) for w in g.lead_words):
        return True
    if any(text.endswith(w, 0, i) for w in g.level_words):
        return False  # 省市 + 发改委: the name began at its level, and was another's
    if _inside_name(text, i, g):
        return False  # 省政 + 府办: a lexicon name that began before i goes on past it
    return any(text[i:i + k] in g.alias or text[i:i + k] in g.short for k in range(2, min(g.alias_max, len(text) - i) + 1))


def _inside_name(text: str, i: int, g: _Grammar) -> bool:
    for j in (i - 1, i - 2):
        if j >= 0 and any(text[j:j + k] in g.alias for k in range(i - j + 1, min(g.alias_max, len(text) - j) + 1)):
            return True
    return False


def _at(text: str, i: int, rank: int, g: _Grammar) -> Unit | None:
    """The longest name that starts at i."""
    stop = _NONNAME.search(text, i)
    limit = min(stop.start() if stop else len(text), i + 28)
    for e in range(limit, i + 1, -1):
        cand = text[i:e]
        if g.name_nb.match(text, e):
            continue  # 政协 + 委员: a member, not the body
        h = _head(cand, g)
        if h is not None and h["nb"] is not None and h["nb"].match(text, e) and cand not in g.alias:
            continue  # 局长, 处理, 所有: the word goes on past the head
        u = _parse(cand, rank)
        if u is None or u.start:
            continue
        if u.short and not _listed(text, i, e, g):
            continue
        return _shift(u, i)
    return None


def head_after(text: str, s: int, e: int, level: str | None = None) -> int:
    """Where the name that text[s:e] opens ends when an office head follows it at e (a short
    form + head: 财政 + 处, 水利 + 处), or e when none does."""
    g = _g()
    if e >= len(text):
        return e
    rank = _rank(level, g)
    for h in g.heads_by_first.get(text[e], ()):  # longest first
        head = h["head"]
        if not text.startswith(head, e):
            continue
        end = e + len(head)
        if h["nb"] is not None and h["nb"].match(text, end) and text[s:end] not in g.alias:
            continue  # 局长, 处理: the word goes on past the head (not past a name the lexicon knows: 各局处于…)
        if g.name_nb.match(text, end):
            continue
        u = _parse(text[s:end], rank)
        if u is not None and u.start == 0 and not u.short:
            return end
    return e


def _listed(text: str, i: int, e: int, g: _Grammar) -> bool:
    """A short form stands as a unit: in a list, before a role word, after 由/请."""
    before = text[i - 1] if i else ""
    after = text[e] if e < len(text) else ""
    if before == "、" or after == "、" or (before and after and after in g.joiners) or (before and before in g.joiners):
        return True
    return text.startswith(g.short_before, e) or any(text.endswith(w, 0, i) for w in g.short_after)
