"""Stage 3b: assigned tasks with responsible units, roles, persons and deadlines.

A task is a clause where the speech tells an addressee to do something. Each
clause of a sentence is matched against a small grammar (word lists in
rules/task_cues.yaml, unit names in rules/units.yaml):

    SUBJECT + CUE + ACTION     各乡镇要… · 大家务必… · 县住建局要抓紧推进…
    SUBJECT + ROLE (+ACTION)   发改牵头，… · 请王强同志牵头，发改局具体负责，…
    SUBJECT + 会同 + SUBJECT   请李明同志会同县生态环境分局，…   (the second supports)
    SUBJECT                    各指标牵头单位，要…            (subject-only clause)
    要求 + SUBJECT + ACTION    就是要求同志们做好顶层设计
    CUE + ACTION               要…  (a task only with a subject carried over ；)

SUBJECT is a list of addressees (units, people, posts, groups) separated by
、和及 or 各, with an optional 等… tail; it must be parsed whole, so a topic
(经济指标要更优, 我们要…, 做得好的要保持) is never an addressee. Units named
anywhere else in a clause (报县委、县政府, 与省市发改委对接) are never taken.
Tag lines (（责任单位：县住建局）, 牵头单位：X；责任单位：Y) are read separately.
"""
from __future__ import annotations

import bisect
import copy
import operator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import regex

from . import dates, lexicon, unitnames
from .lexicon import rx as _rx
from .records import Decision, Task, UnitRef
from .sentences import clauses

_FLAGS = regex.V1


_TOK_A, _TOK_B = "\ue001", "\ue000"  # a lexicon alias, masked: A B B …
_TOKENS = frozenset((_TOK_A, _TOK_B))


def _mask(text: str) -> str:
    """The text with every lexicon alias (leftmost, longest) as one token of the same length."""
    g = G()
    trie = g.trie
    if trie is None or not text:
        return text
    # every name has two or more characters: when no pair of the text is a two-character name
    # and no three characters open a longer one, there is no name in it (most clause heads; the
    # trie walk costs several times these set intersections)
    pairs = list(map(operator.add, text, text[1:]))
    if g.short_names.isdisjoint(pairs) and g.name_starts.isdisjoint(map(operator.add, pairs, text[2:])):
        return text
    hits = trie.parse_longest(text)
    if not hits:
        return text
    parts, last = [], 0
    for s, e, _ in hits:
        if s < last:
            continue
        if e < len(text) and text[e] in g.head_starts:
            e = _name_end(text, s, e)
        parts.append(text[last:s])
        parts.append(_TOK_A + _TOK_B * (e - s - 1))
        last = e
    parts.append(text[last:])
    return "".join(parts)


def _name_end(text: str, s: int, e: int) -> int:
    """Where the name that a lexicon alias opens ends: a short form before an office's head is
    a longer name (财政 + 处, 水利 + 处: 请财政处…), read by the unit grammar."""
    return unitnames.head_after(text, s, e)


MASK_HEAD = 48  # subjects stand at the start of a clause: only that much is read for aliases


def _mask_head(text: str) -> str:
    if len(text) <= MASK_HEAD + 8:
        return _mask(text)
    cut = MASK_HEAD
    return _mask(text[:cut]) + text[cut:]


class _M:
    """A match on the masked text, read back on the original (same offsets)."""

    __slots__ = ("m", "orig")

    def __init__(self, m, orig: str):
        self.m, self.orig = m, orig

    def group(self, name=0):
        s, e = self.m.span(name)
        return None if s < 0 else self.orig[s:e]

    def start(self, name=0):
        return self.m.start(name)

    def end(self, name=0):
        return self.m.end(name)

    def captures(self, name):
        return [self.orig[s:e] for s, e in zip(self.m.starts(name), self.m.ends(name))]

    def starts(self, name):
        return self.m.starts(name)

    def ends(self, name):
        return self.m.ends(name)


def _run(name: str, text: str, masked: list[str | None] | str | None = None, search: bool = False,
         group: str | tuple[str, ...] = "s", fallback: bool = True) -> _M | None:
    """Match grammar rule `name`: on the text as it is, and, when that fails or
    names something that is no addressee (in any of `group`), on the text with lexicon tokens."""
    g = G()
    find = "search" if search else "match"
    m = getattr(g.plain[name], find)(text)
    groups = (group,) if isinstance(group, str) else group
    if m and all(gr not in g.plain[name].groupindex or _valid(m, text, gr) for gr in groups):
        return _M(m, text)
    if g.tokens is None or not fallback or name not in g.tokens:
        return _M(m, text) if m else None
    if isinstance(masked, list):  # a per-clause cache
        if masked[0] is None:
            masked[0] = _mask_head(text)
        masked = masked[0]
    elif masked is None:
        masked = _mask_head(text)
    m2 = None
    if masked != text:  # (with no lexicon name in it the token grammar reads it as the plain one did)
        m2 = getattr(g.tokens[name], find)(masked)
        if m2 and all(gr not in g.tokens[name].groupindex or _valid(m2, text, gr) for gr in groups):
            return _M(m2, text)
    m3 = _by_unit_grammar(name, text)
    if m3 is not None:
        return m3
    if m2:
        return _M(m2, text)
    return _M(m, text) if m else None


class _SplitM(_M):
    """A match of a span rule (span_*), its subject read by the unit grammar: the list's
    members as the `s_it` captures, a 等… tail after them as `s_etc`."""

    __slots__ = ("items", "etc")

    def __init__(self, m, orig: str, items: list[tuple[str, int, int]], etc: tuple[str, int, int] | None):
        super().__init__(m, orig)
        self.items, self.etc = items, etc

    def _caps(self, name):
        if name == "s_it":
            return self.items
        if name == "s_etc":
            return [self.etc] if self.etc else []
        return None

    def captures(self, name):
        got = self._caps(name)
        return [t for t, _, _ in got] if got is not None else super().captures(name)

    def starts(self, name):
        got = self._caps(name)
        return [a for _, a, _ in got] if got is not None else super().starts(name)

    def ends(self, name):
        got = self._caps(name)
        return [b for _, _, b in got] if got is not None else super().ends(name)


def _by_unit_grammar(name: str, text: str) -> _SplitM | None:
    """Rule `name` read with its subject as a span (rules span_<name>), the span split into names
    by the unit grammar (各视频监控站（点）、检查站 · 其他涉及部门 · 沿线包片单位县职教中心): None
    unless every member is an addressee."""
    g = G()
    pat = g.plain.get(f"span_{name}")
    if pat is None:
        return None
    # a quick look first: the cue or role word stands near the start, after a name's head or bracket
    cue = (g.modal_any if name == "subj_modal" else g.role_any).search(text, 2, 64)
    if cue is None or text[cue.start() - 1] not in g.head_ends:
        return None
    lead = g.x[f"span_lead_{name}"].match(text)
    s0 = lead.end() if lead else 0
    span = text[s0:cue.start()]
    if not 2 <= len(span) <= 50 or g.x["span_stop"].search(span):
        return None
    if len(span) > 12 and not ("、" in span or "（" in span or any(ap in span for ap in unitnames.appositions())):
        return None  # longer than one name, and no list, bracket or apposition: words, not a subject
    items = []
    members = unitnames.split(span)
    if any(b - a > 24 for _, a, b in members):
        return None  # no name is that long: words before the cue, not a subject
    for piece, a, b in members:
        if _remembered(piece, False) is None:
            # an apposition before the name: 沿线包片单位 + 县职教中心
            if not any(ap in piece for ap in unitnames.appositions()):
                return None
            found = unitnames.find(piece)
            if not found or found[-1].end != len(piece) or _remembered(found[-1].text, False) is None \
                    or not piece[:found[-1].start].endswith(unitnames.appositions()):
                return None
            a = a + found[-1].start
            piece = found[-1].text
        items.append((piece, s0 + a, s0 + b))
    if not items:
        return None
    last = members[-1][2]
    tail = span[last:]
    etc = (tail, s0 + last, s0 + len(span)) if tail.startswith("等") else None
    if tail and etc is None:
        return None
    m = pat.match(text)  # the whole rule, now that its subject reads (rarely reached)
    if not m or m.start("s") != s0 or m.end("s") != s0 + len(span):
        return None
    return _SplitM(m, text, items, etc)


def _valid(m, text: str, group: str) -> bool:
    """Every item of the subject is an addressee, and the last is no name cut before its head
    (各局 of 各局处首长: the unit grammar reads 各局处)."""
    spans = list(zip(m.starts(f"{group}_it"), m.ends(f"{group}_it")))
    if not spans or not all(_remembered(text[s:e], False) is not None for s, e in spans):
        return False
    s, e = spans[-1]
    return not (e < len(text) and text[e] in G().head_starts and unitnames.head_after(text, s, e) > e)


def _remembered(text: str, city: bool) -> _Addr | None:
    """classify(), remembered: the same few hundred names (各乡镇, 县发改局) come back in every
    speech. The result is shared: read it, or take a copy (`_classified`) to change it."""
    seen = G().seen
    key = (text, city)
    if key not in seen:
        if len(seen) > 50_000:  # a long batch of speeches: start again rather than grow
            seen.clear()
        seen[key] = classify(text, city)
    return seen[key]


def _classified(text: str, city: bool) -> _Addr | None:
    """classify() as a copy of its own (roles are set on it afterwards)."""
    a = _remembered(text, city)
    return None if a is None else copy.copy(a)


def _alt(items) -> str:
    """Regex fragments from the rules, longest first."""
    return "|".join(sorted({str(i) for i in items}, key=len, reverse=True))


def _lit(items) -> str:
    return "|".join(regex.escape(i) for i in sorted(set(items), key=len, reverse=True))


def _lexicon() -> tuple[list[str], Any]:
    """Unit aliases and short forms (empty when units.yaml is not there yet)."""
    try:
        lex = lexicon.units()
    except (FileNotFoundError, OSError):
        return [], None
    joined = regex.compile(r"[、和及与](?![^（(]*[）)])|^各[^级].*各|^各级各.+各")
    names = []
    for a, e in list(lex["alias"].items()) + list(lex["short"].items()):
        a = str(a)
        if len(a) < 2 or not _rx(r"\p{Han}").search(a):
            continue
        if e.get("collective") and joined.search(a):
            continue  # 各镇各部门, 各乡镇、各部门: a list the grammar splits (FORMAT: lists are split)
        names.append(a)
    return names, lex


def _grammar(c: dict, tokens: bool) -> dict[str, regex.Pattern]:
    """The named patterns of rules/task_cues.yaml (the clause grammar among them), compiled.
    tokens=False reads the text as it is; tokens=True reads it with lexicon aliases masked
    as tokens (A B B…), so that short forms (发改, 经信, 规资) and long official names are units."""
    role_words = {w: r for r, ws in c["roles"].items() for w in ws}
    tag_role = {w: r for r, ws in c["tags"].items() for w in ws}
    extra = {
        "han": rf"\p{{Han}}{_TOK_A}{_TOK_B}" if tokens else r"\p{Han}",
        "lex_token": f"{_TOK_A}{_TOK_B}*" if tokens else "(?!)",
        "lex_token_run": f"{_TOK_A}{_TOK_B}+" if tokens else "(?!)",
        "role_words": _lit(role_words),
        "tag_labels": _lit(tag_role),
    }
    return lexicon.compile_patterns("task_cues.yaml", extra, _FLAGS, only=c["token_rules"] if tokens else None)


@dataclass
class _G:
    cues: dict
    plain: dict
    tokens: dict | None
    kinds: dict
    act_lead: regex.Pattern
    act_support: regex.Pattern
    act_role: regex.Pattern
    non_task: list
    other_level: regex.Pattern
    never: frozenset
    generic_person: regex.Pattern
    generic_post: regex.Pattern
    framing: regex.Pattern
    list_intro: regex.Pattern
    list_item: regex.Pattern
    deadline: regex.Pattern
    sentence_time: regex.Pattern
    tag: regex.Pattern
    tag_role: dict
    roles: dict
    quick: regex.Pattern
    role_any: regex.Pattern
    imperative: regex.Pattern
    past: regex.Pattern
    modal_any: regex.Pattern
    require_any: regex.Pattern
    x: dict  # the named patterns of task_cues.yaml
    lex: Any = None
    lex_names: frozenset = field(default_factory=frozenset)
    short_names: frozenset = field(default_factory=frozenset)  # the names of two characters
    name_starts: frozenset = field(default_factory=frozenset)  # the first three characters of the others
    head_starts: frozenset = field(default_factory=frozenset)  # the first characters of organisation heads
    head_ends: frozenset = field(default_factory=frozenset)  # their last characters, and closing brackets
    subject_ends: frozenset = field(default_factory=frozenset)  # the characters a subject can end with
    trie: Any = None
    lex_fn: Any = None  # the lexicon loader this grammar was built from
    seen: dict = field(default_factory=dict)  # classify() of names already read: {(text, city): _Addr or None}


# patterns of task_cues.yaml only tried with match or search, many times a speech: compiled by
# the standard library where it reads them alike (lexicon.gate)
_GATES = ("bare", "after_subj_modal", "after_subj_role", "after_subj_only", "after_subj_verb", "referral",
          "ask_recipients", "passes_on", "quick")

# the word lists whose last characters end a subject item (subject_ends)
_SUBJECT_HEAD_LISTS = ("open_unit_heads", "collective_heads", "specific_collective_heads", "modified_heads",
                       "person_heads", "unit_person_heads", "post_titles", "etc_heads")


def _may_hold_subject(c: "_Clause", after: str) -> bool:
    """Could the subject grammar match clause c before `after` (after_subj_modal …)? Only where
    that follows a character a subject can end with, or when the clause holds a lexicon name
    (the token grammar reads those). A cheap superset: False means no match."""
    g = G()
    text, pat = c.text, g.x[after]
    if _follows_one_of(text, g.subject_ends, pat):
        return True
    if c.masked[0] is None:
        c.masked[0] = _mask_head(text)
    # the token grammar: a subject may also end with a lexicon name (its token)
    return c.masked[0] != text and _follows_one_of(c.masked[0], _TOKENS, pat)


def _follows_one_of(text: str, chars: frozenset, pat) -> bool:
    """Does `pat` match right after one of `chars` somewhere in text?"""
    for q in range(1, len(text) + 1):  # (a plain loop: this runs for most clauses with a cue)
        if text[q - 1] in chars and pat.match(text, q):
            return True
    return False


def warm() -> None:
    """Build the grammar now (a worker process does it before its first file)."""
    G()


@cache
def G() -> _G:
    c = lexicon.rules("task_cues.yaml")
    names, lex = _lexicon()
    # 县委, 县政府 set tasks and receive reports: never a token (县委组织部 is 县 + 委组织部)
    names = [n for n in names if n not in set(c["never_addressee"])]
    role_words = {w: r for r, ws in c["roles"].items() for w in ws}
    tag_role = {w: r for r, ws in c["tags"].items() for w in ws}
    x = _grammar(c, tokens=False)
    for name in _GATES:
        x[name] = lexicon.gate(x[name])
    trie = None
    if names:
        from hanlp_trie import Trie

        trie = Trie({n: True for n in names})
    g = _G(
        cues=c,
        plain=x,
        tokens=_grammar(c, tokens=True) if names else None,
        kinds={k[len("kind_"):]: p for k, p in x.items() if k.startswith("kind_")},
        act_lead=regex.compile(c["action_lead"]),
        act_support=regex.compile(c["action_support"]),
        act_role=x["act_role"],
        non_task=[lexicon.gate(regex.compile(p)) for p in c["non_task_actions"]],
        other_level=regex.compile(c["other_level"]),
        never=frozenset(c["never_addressee"]),
        generic_person=x["generic_person"],
        generic_post=x["generic_post"],
        framing=lexicon.gate(regex.compile(c["framing_clause"])),
        list_intro=lexicon.gate(regex.compile(c["list_intro"])),
        list_item=lexicon.gate(regex.compile(c["list_item"])),
        # longest first as expanded (a list fragment would order them as written: 每月{date_num}日
        # is longer than 每月 only once expanded)
        deadline=regex.compile(_alt(c["deadlines"])),
        sentence_time=regex.compile(c["sentence_time"]),
        tag=x["tag"],
        tag_role=tag_role,
        roles=role_words,
        quick=x["quick"],
        role_any=lexicon.words(_lit(role_words)),
        imperative=lexicon.words(_alt(c["imperative_verbs"])),
        past=lexicon.gate(regex.compile(c["past_markers"])),
        modal_any=lexicon.words(_alt(c["modal_core"])),
        require_any=lexicon.words(c["require_verbs"]),
        x=x,
        lex=lex,
        lex_names=frozenset(names),
        short_names=frozenset(n for n in names if len(n) == 2),
        name_starts=frozenset(n[:3] for n in names if len(n) > 2),
        head_starts=frozenset(str(h["head"])[0] for h in lexicon.rules("unit_grammar.yaml")["heads"]),
        head_ends=frozenset([*(str(h["head"])[-1] for h in lexicon.rules("unit_grammar.yaml")["heads"]),
                             *"）)", *(str(w)[-1] for w in lexicon.rules("unit_grammar.yaml")["class_heads"])]),
        trie=trie,
        lex_fn=lexicon.units,
    )
    g.subject_ends = frozenset([*g.head_ends, *c["subject_last_chars"],
                                *(str(w)[-1] for k in _SUBJECT_HEAD_LISTS for w in c[k])])
    return g


# ------------------------------------------------------------ addressees


@dataclass
class _Addr:
    kind: str  # unit | person | pure
    name: str
    role: str = "responsible"
    named: bool = False
    collective: bool = True
    key: str | None = None
    unit_type: str | None = None
    start: int = -1  # absolute span of the name in the clean text
    end: int = -1


def _strip_q(s: str) -> str:
    """Quotes around a name go; a quote inside it stays balanced (各单位“一把手”)."""
    s = s.strip(" ")
    while s and s[0] in "“”\"‘’" and not (s[0] == "“" and "”" in s[1:]):
        s = s[1:]
    while s and s[-1] in "“”\"‘’" and not (s[-1] == "”" and "“" in s[:-1]):
        s = s[:-1]
    return s


def classify(text: str, city_level: bool = False) -> _Addr | None:
    """One addressee as written, or None when it is no local addressee."""
    g = G()
    name = _strip_q(text)
    if not name or name in g.never:
        return None
    k = g.kinds
    if k["pure"].match(text):
        return _Addr("pure", name)
    if k["person_unit"].match(text):
        return _Addr("person", name)
    if k["person_named"].match(text):
        # long names are groups (青年党员同志), unless a post stands before the name (常务副县长王刚同志)
        bare = g.x["post_before_name"].sub("", name)
        generic = bool(g.generic_person.match(name)) or len(bare) > 6
        return _Addr("person", name, named=not generic, collective=generic)
    if k["post"].match(text) and not k["person_coll"].match(text):
        generic = bool(g.generic_post.match(name))
        return _Addr("person", name, named=not generic, collective=generic)
    if k["person_coll"].match(text):
        # 承担各项指标的县级分管领导 → 县级分管领导 (the post; 在座的 stays)
        if "的" in name and not name.startswith("在座的"):
            name = name.rsplit("的", 1)[1] or name
        return _Addr("person", name)
    entry = None
    if g.lex is not None and (name in g.lex_names or lexicon.strip_local_level(name) in g.lex_names):
        entry = lexicon.unit_lookup(name)
    if entry is None and g.other_level.match(name) and not (city_level and name.startswith("市")):
        return None  # 省市发改委, 国家发改委, 市上: another level of government
    if entry is None and g.lex is not None:
        entry = lexicon.unit_lookup(name)
        if entry is None and city_level and name.startswith("市"):
            entry = lexicon.unit_lookup(name[1:])  # 市经济和信息化局 in a city's own speech
    if entry is not None:
        coll = bool(entry.get("collective"))
        return _Addr("unit", name, named=not coll, collective=coll, key=entry["key"], unit_type=entry.get("type"))
    # a name the lexicon does not know, read by the unit grammar (地政处, 各乡镇财政所, 县规划设计院)
    u = unitnames.parse(name, "市" if city_level else None)
    if u is not None and not u.short:
        return _Addr("unit", u.text, named=not u.collective, collective=u.collective, key=u.key,
                     unit_type="collective" if u.collective else "open")
    if k["coll"].match(text):
        return _Addr("unit", name, named=False, collective=True, unit_type="collective")
    return None




def _weak(text: str) -> bool:
    """A weak short form (交通, 生态环境, 乡村振兴): a unit only in a list or before 牵头/等."""
    g = G()
    if g.lex is None:
        return False
    bare = lexicon.strip_local_level(_strip_q(text))
    return bare == _strip_q(text) and bare in g.lex["short"] and bare not in g.lex["alias"]


def _subject(m: regex.Match, name: str, city: bool, base: int, strict: bool = False) -> list[tuple[_Addr, int, int]]:
    """Addressees captured by subj(name), with absolute spans; 等…牵头单位 makes the list lead.

    strict: a lone weak short form is a topic, not a unit (生态环境要着眼质量改善)."""
    out = []
    items = _joined_names(list(zip(m.captures(f"{name}_it"), m.starts(f"{name}_it"), m.ends(f"{name}_it"))),
                          getattr(m, "orig", None) or m.string, city)
    etcs = list(zip(m.captures(f"{name}_etc"), m.starts(f"{name}_etc")))
    if strict and len(items) == 1 and not etcs and _weak(items[0][0]):
        return []
    for text, s, e in items:
        a = _classified(text, city)
        if a is None:
            continue
        tail = next((t for t, es in etcs if es >= e), "")
        if "牵头" in tail:
            a.role = "lead"
        a.start, a.end = base + s, base + e
        unit = _unit_of_person(a, text, city)
        if unit is not None:
            out.append((unit, base + s, base + s + len(unit.name)))
        out.append((a, base + s, base + e))
    return out


def _unit_of_person(a: _Addr, text: str, city: bool) -> _Addr | None:
    """A person of one named unit (卫计局班子成员, 县发改局主要负责同志): the unit is an
    addressee too, and the person is named by the post (`a` is changed)."""
    g = G()
    if a.kind != "person" or not g.kinds["person_unit"].match(text):
        return None
    name = _strip_q(text)
    for head in sorted(g.cues["unit_person_heads"], key=len, reverse=True):
        if name.rstrip("”").endswith(head):
            body = name.rstrip("”")[: -len(head)].rstrip("“")
            u = _classified(body, city) if body else None
            if u is None or u.kind != "unit" or not u.named:
                return None
            a.name = head
            u.start, u.end = a.start, a.start + len(body)
            return u
    return None


def _joined_names(items: list[tuple[str, int, int]], text: str, city: bool) -> list[tuple[str, int, int]]:
    """Two list items joined by 和/与/及 that are one name are one item (县应急管理 + 和 + 消防救援局)."""
    out: list[tuple[str, int, int]] = []
    for t, s, e in items:
        if out and text[out[-1][2]:s] in ("和", "与", "及"):
            ps = out[-1][1]
            u = unitnames.parse(text[ps:e], "市" if city else None)
            if u is not None and not u.short and u.start == 0:
                out[-1] = (text[ps:e], ps, e)
                continue
        out.append((t, s, e))
    return out


# ------------------------------------------------------------ sentences

_STOP = lexicon.words(r"[。！？!?](?![”’」』）)])")
@dataclass(frozen=True)
class _Piece:
    """A sentence as tasks see it: outline sentences re-cut at 。！？ that an
    unclosed quote had swallowed (…“国之大者。一季度，…)."""

    start: int
    end: int
    text: str
    paragraph: int

    def clauses(self) -> list[tuple[int, int]]:
        return clauses(self.text, self.start)


def _pieces(sentences) -> list[_Piece]:
    out = []
    for s in sentences:
        last = 0
        for m in _STOP.finditer(s.text):
            if m.end() < len(s.text):
                out.append(_Piece(s.start + last, s.start + m.end(), s.text[last:m.end()], s.paragraph))
                last = m.end()
        out.append(_Piece(s.start + last, s.end, s.text[last:], s.paragraph))
    return [p for p in out if p.text.strip()]


# ------------------------------------------------------------ tasks


@dataclass
class _Draft:
    start: int
    end: int
    addrs: list[_Addr]
    action: str = ""
    carried: bool = False
    rule: str = ""  # the name of the rule that made it


def _units(addrs: list[_Addr]) -> tuple[list[UnitRef], list[str], bool]:
    units, persons, seen = [], [], set()
    for a in addrs:
        if (a.kind, a.name) in seen:
            continue
        seen.add((a.kind, a.name))
        if a.kind == "unit":
            units.append(UnitRef(a.name, a.role, a.key, a.unit_type, a.collective))
        elif a.kind == "person":
            persons.append(a.name)
    named = any(a.named for a in addrs)
    return units, persons, named


def _copy(addrs: list[_Addr]) -> list[_Addr]:
    return [_Addr(**a.__dict__) for a in addrs]


def _trim_action(text: str) -> str:
    g = G()
    t = text.strip(" ，,；;。：:")
    t = g.x["action_lead_words"].sub("", t)
    m = g.deadline.match(t)
    if m:
        t = t[m.end():]
    return t.strip(" ，,")


def extract(doc, outline, trace: list | None = None) -> list[Task]:
    """Task records of one document. With `trace` (a list), each clause rule's
    decision is appended to it as a Decision."""
    g = G()
    if g.lex_fn is not lexicon.units:  # the lexicon was swapped (tests, a reload): rebuild
        G.cache_clear()
        g = G()
    city = (doc.meta or {}).get("level") == "市"
    ref = (doc.meta or {}).get("meeting_date") or (doc.meta or {}).get("year")
    drafts: list[tuple[_Draft, Any]] = []
    kind = getattr(outline, "kind", "speech")
    sentences = _pieces(outline.sentences)
    carry: list[_Addr] | None = None
    list_owner: list[_Addr] | None = None
    prev, prev_end = None, ""
    for sent in sentences:
        stext = sent.text.rstrip("”’」』）)》〉】 ")
        continued = prev is not None and prev.paragraph == sent.paragraph and prev_end in "；;"
        if not continued:
            carry = None
        is_item = bool(g.list_item.match(sent.text))
        if list_owner is not None and not is_item and prev is not None and prev.paragraph != sent.paragraph:
            list_owner = None
        # a sentence with no cue word at all (要, 牵头, 负责, 请 …) assigns nothing: skip the grammar.
        # The cue words hold no clause mark: where they stand in the sentence tells each clause.
        cues = [m.start() + sent.start for m in g.quick.finditer(sent.text)]
        if not cues and continued and carry and g.framing.match(sent.text):
            cues = [sent.start]  # a ；-item that opens with a framing clause may carry the doer (framed_item)
        part = outline.part_at(sent.start) if hasattr(outline, "part_at") else None
        if part == "review" and kind in g.cues["reviews_assign_nothing"]:
            cues = []  # a work report's review tells what was done (由X牵头，争取资金2亿元)
        got = _sentence(doc, sent, carry if continued else None, list_owner if is_item else None, city, cues,
                        outline.section_of(sent.start)[1] if outline.nodes else "other", trace,
                        kind=kind, part=part) if cues else []
        for d in got:
            drafts.append((d, sent))
        own = [d for d in got if not d.carried]
        if own:
            carry = own[-1].addrs
            if not got[0].carried and own[0].start > sent.start and g.plain["bare"].match(sent.text):
                # 要补齐短板，…，牵头单位要认真分析；要加强…: the items of the speaker's own run of
                # bare 要 go on; a doer named inside one of them is not theirs
                carry = None
        elif got:
            carry = got[-1].addrs
        if g.list_intro.search(stext):
            owner = own[-1].addrs if own else None
            if owner is None:
                m = _run("list_owner", sent.text, search=True)
                if m:
                    owner = [a for a, _, _ in _subject(m, "s", city, 0)] or None
            list_owner = owner or list_owner
        prev, prev_end = sent, (stext[-1:] or "")
    # where the next task of the same sentence starts (a task's deadline is read up to it)
    by_sent: dict[int, list[int]] = {}
    for d, sent in drafts:
        by_sent.setdefault(id(sent), []).append(d.start)
    nxt = {id(d): min((x for x in by_sent[id(sent)] if x > d.start), default=sent.end) for d, sent in drafts}
    repairs = sorted((r.get("at", -1), r) for r in doc.repairs or [])
    tasks = [_task(doc, d, s, ref, nxt[id(d)], repairs) for d, s in drafts]
    tasks = _tags(doc, tasks, city, ref, kind)
    tasks = _bracket_units(doc, outline, tasks, city, ref, trace)
    tasks = _heading_owner(doc, outline, tasks, city, ref, trace)
    tasks.sort(key=lambda t: t.start)
    captions = _captions(doc.text)
    if captions:
        tasks = [t for t in tasks if not any(a <= t.start < b for a, b in captions)]
    return _once(tasks)


def _captions(text: str) -> list[tuple[int, int]]:
    """The lines that are a picture's caption (…县长要求各单位掌握进度。（图/县政府））: they repeat
    the report and give no records."""
    out = []
    for m in G().x["caption_line"].finditer(text):
        out.append((text.rfind("\n", 0, m.start()) + 1, m.end()))
    return out


def _once(tasks: list[Task]) -> list[Task]:
    """A task repeated word for word (a page's summary that copies its body: 核心提示) is kept once."""
    seen, out = set(), []
    for t in tasks:
        key = (t.evidence, tuple((u.name, u.role) for u in t.units), tuple(t.persons))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


# ------------------------------------------------------------ the clause rules
#
# Each clause of a sentence is offered to the rules below in order; the first
# that takes it wins (the conflict policy: order in RULES, nothing else). A rule
# returns None when it does not apply (the next rule is tried) or an outcome:
#   "task"      it made a task (a draft)
#   "held"      it read a subject or roles that wait for their work in a later clause
#   "joined"    it added support units to the task just made
#   "dropped: <why>"  it read the clause and decided it assigns nothing
# A clause no rule takes ends what is pending (`_rest`). With a trace list, every
# decision is written down as (start, end, rule, outcome) for `--explain`.


@dataclass
class _Clause:
    idx: int
    cs: int  # absolute span
    ce: int
    text: str
    cued: bool  # holds a cue word (one of `quick`)
    masked: list  # the clause with lexicon tokens, made when first needed


@dataclass
class _Sent:
    """What the clause rules of one sentence share and change."""

    text: str  # the whole document text
    spans: list[tuple[int, int]]
    cued: list[bool]
    carry: list[_Addr] | None
    list_owner: list[_Addr] | None
    city: bool
    role: str  # the role of the top-level section (tasks, conduct …)
    kind: str = "speech"  # the document's kind (pipeline/parts.py)
    part: str | None = None  # review or plan: the part of the document the sentence is in
    out: list[_Draft] = field(default_factory=list)
    pending: list[_Addr] = field(default_factory=list)
    pending_start: int | None = None
    pending_roles: bool = False
    framing_only: bool = True  # no clause so far did more than frame (对…, 在…)
    carried_used: bool = False
    last: _Draft | None = None
    colon_owner: list[_Addr] | None = None  # X要做到以下几点：一是要…二是要…
    bare_cache: dict[int, Any] = field(default_factory=dict)
    taken_to: int = 0  # clauses before this index were read by a rule with an earlier clause

    def bare_at(self, k: int):
        """The bare-cue match of clause k (要…), read up to three times."""
        if k not in self.bare_cache:
            a, b = self.spans[k]
            self.bare_cache[k] = G().plain["bare"].match(self.text[a:b]) if self.cued[k] else None
        return self.bare_cache[k]

    def emit(self, d: _Draft, last: bool = True) -> str:
        self.out.append(d)
        if last:
            self.last = d
            self.framing_only = False
        return "task"

    def drop_pending(self) -> None:
        self.pending, self.pending_start, self.pending_roles = [], None, False

    def take_pending(self, start: int) -> tuple[list[_Addr], int]:
        """The pending addressees (and where they start), handed to a task and cleared."""
        addrs, s = self.pending, (self.pending_start if self.pending_start is not None else start)
        self.drop_pending()
        return addrs, s

    def flush(self, end: int, action: str = "") -> str | None:
        """The pending addressees become a task ending at `end` (if any are pending)."""
        made = None
        if self.pending and self.pending_start is not None:
            d = _Draft(self.pending_start, end, self.pending, action)
            self.out.append(d)
            self.last = d
            made = "task"
        self.drop_pending()
        return made

    def next_clause(self, c: _Clause) -> str:
        if c.idx + 1 < len(self.spans):
            a, b = self.spans[c.idx + 1]
            return self.text[a:b]
        return ""


def _r_huitong(st: _Sent, c: _Clause) -> str | None:
    """X会同Y，…: X does the work, Y supports."""
    if "会同" not in c.text:
        return None
    m = _run("subj_huitong", c.text, c.masked, group=("s", "o"))
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs)
    o = _subject(m, "o", st.city, c.cs)
    if not (s or o):
        return None
    for a, _, _ in o:
        a.role = "support"
    act = m.group("act")
    addrs, start = st.take_pending(_subj_start(m, c.cs, st.text))
    addrs = addrs + [a for a, _, _ in s] + [a for a, _, _ in o]
    if not act.strip():
        act = st.next_clause(c)
    return st.emit(_Draft(start, c.ce, addrs, act))


def _r_role(st: _Sent, c: _Clause) -> str | None:
    """A subject and its role word: 发改牵头 · 请X同志牵头 · 由县发改委负责汇总梳理."""
    g = G()
    if not (c.cued and g.role_any.search(c.text)):
        return None
    m = _run("subj_role", c.text, c.masked) if _may_hold_subject(c, "after_subj_role") else None
    if not m and g.x["by_after_topic"].search(c.text, 0, 12):
        m = _run("subj_role_topic", c.text, c.masked)
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs)
    if not s:
        return None
    role = g.roles[m.group("role")]
    for a, _, _ in s:
        a.role = role
    if role == "lead":
        # X牵头Y、Z会审: the units right after the role word take part (support)
        hm = _run("role_then_units", m.group("act"), group="o")
        if hm:
            s = s + [(_with_role(a, "support"), b, e)
                     for a, b, e in _subject(hm, "o", st.city, c.cs + m.start("act"))]
    if st.pending_start is None:
        st.pending_start = _subj_start(m, c.cs, st.text)
    st.pending += [a for a, _, _ in s]
    st.pending_roles = True
    act = m.group("act").strip()
    if g.past.search(act) or g.past.match(st.next_clause(c)):
        st.drop_pending()
        return "dropped: work already done (了, 已…)"
    if role == "support" and not act and st.last is not None and st.last.end >= c.cs - 2 \
            and len(st.pending) == len(s):
        # 王明同志负责牵头协调，县自然资源局、县住建局全力配合: helpers of the task just read
        st.last.addrs += st.pending
        st.last.end = c.ce
        st.drop_pending()
        return "joined"
    st.framing_only = False
    if act:
        return st.flush(c.ce, act) or "held"
    return "held"


def _r_modal(st: _Sent, c: _Clause) -> str | None:
    """A subject and a modal cue: 各乡镇要… · 县住建局务必…"""
    g = G()
    mm = g.modal_any.search(c.text) if c.cued else None
    if mm and mm.start() <= 1 and not g.modal_any.search(c.text, 2):
        return None  # the only cue opens the clause, or follows one character: no subject before it (要加快…, 一要…, 都需…)
    m = _run("subj_modal", c.text, c.masked) if mm and _may_hold_subject(c, "after_subj_modal") else None
    if not m or any(p.search(m.group("act")) for p in g.non_task):
        return None
    s = _subject(m, "s", st.city, c.cs, strict=True)
    if not s:
        its = m.captures("s_it")
        if any(g.other_level.match(_strip_q(t)) for t in its) or (len(its) == 1 and _weak(its[0])):
            st.drop_pending()
            st.framing_only = False
            return "dropped: the subject names only other levels (省市发改委要…)"
        return None
    addrs = [a for a, _, _ in s]
    start = _subj_start(m, c.cs, st.text)
    act = m.group("act")
    _act_roles(addrs, act)
    addrs += _organised(act, st.city, c.cs + m.start("act"), addrs)
    if g.act_support.match(act) and st.last is not None and st.last.end >= c.cs - 2 and not st.pending:
        for a in addrs:
            a.role = "support"
        st.last.addrs += addrs
        st.last.end = c.ce
        return "joined"
    if st.pending:
        before, start = st.take_pending(start)
        addrs = before + addrs
    end = c.ce
    short_act = act
    act = _extend_act(act, c.idx, st.spans, st.text, addrs)
    if len(act) > len(short_act) and ("会同" in act[len(short_act):] or "联合" in act[len(short_act):]):
        # 县发改局要牵头，会同县财政局，…: the next clause names the supporting units
        ns, ne = st.spans[c.idx + 1]
        sup = _helpers(st.text[ns:ne], st.city, ns)
        if sup is not None:
            addrs = addrs + sup
            end = ne
    return st.emit(_Draft(start, end, addrs, act))


def _r_imperative(st: _Sent, c: _Clause) -> str | None:
    """Under a tasks or conduct heading, a doer and an imperative verb with no modal:
    “四家班子”主要负责同志带好头 · 县财政局、县审计局按照职责分工抓好落实."""
    g = G()
    if st.role not in ("tasks", "conduct") or not c.cued or st.pending:
        return None
    im = g.imperative.search(c.text)
    if not im or im.start() < 2:  # the verb needs a doer before it
        return None
    m = _run("subj_verb", c.text, c.masked) if _may_hold_subject(c, "after_subj_verb") else None
    act = m.group("act") if m else ""
    if not (m and g.imperative.match(act) and not g.past.search(act)
            and not any(p.search(act) for p in g.non_task)):
        return None
    s = _subject(m, "s", st.city, c.cs, strict=True)
    if not s:
        return None
    addrs = [a for a, _, _ in s]
    return st.emit(_Draft(_subj_start(m, c.cs, st.text), c.ce, addrs, _extend_act(act, c.idx, st.spans, st.text, addrs)))


def _r_minutes_agree(st: _Sent, c: _Clause) -> str | None:
    """Minutes: 会议原则同意X关于…的意见，会后修改完善后报… — X gets the follow-up (the
    clauses after the object that say what happens next); the receiver after 报 does not.
    With no follow-up (会议同意X关于…的筹备意见，会议时间另行确定) nothing is assigned."""
    g = G()
    if not c.cued or "同意" not in c.text:
        return None
    m = _run("minutes_agree", c.text, c.masked)
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs)
    if not s or any(a.kind != "unit" for a, _, _ in s):
        return None  # 会议同意X同志分管…: a post changes hands, no work
    end, k = c.ce, c.idx + 1
    while k < len(st.spans):
        a, b = st.spans[k]
        nxt = st.text[a:b]
        if not g.x["minutes_followup"].match(nxt) or _run("subj_after", nxt, fallback=False):
            break
        end, k = b, k + 1
    if k == c.idx + 1:
        st.framing_only = False
        return "dropped: agreed with no follow-up (会议同意…，会议时间另行确定)"
    st.taken_to = k
    act = st.text[st.spans[c.idx + 1][0]:end]
    return st.emit(_Draft(c.cs + m.start("agree"), end, [a for a, _, _ in s], act))


def _r_after_then(st: _Sent, c: _Clause) -> str | None:
    """A doer whose step comes before the next body's: 县法制办审查后报县委常委会议研究."""
    g = G()
    if st.pending or st.part == "review" or not g.x["passes_on"].search(c.text):
        return None
    m = _run("subj_after", c.text, c.masked)
    if not m or g.past.search(m.group("act")):
        return None
    s = _subject(m, "s", st.city, c.cs, strict=True)
    if not s:
        return None
    return st.emit(_Draft(_subj_start(m, c.cs, st.text), c.ce, [a for a, _, _ in s], m.group("act")))


def _r_duty(st: _Sent, c: _Clause) -> str | None:
    """A duty stated with no modal, in a notice, minutes or division list: 县双创办对上述工作
    进行抽查 · 县级行业主管部门督促实施单位及时编制方案 (under a speech's tasks heading the
    imperative rule reads its doers)."""
    g = G()
    if not c.cued or st.pending or st.part == "review" or st.kind not in g.cues["duty_kinds"]:
        return None
    if not g.x["duty_verb"].search(c.text):
        return None
    m = _run("subj_duty", c.text, c.masked)
    if not m:
        return None
    act = m.group("act")
    if g.past.search(act) or g.x["negated"].search(act) or any(p.search(act) for p in g.non_task):
        return None  # (done, or a problem found: 县交通局对…未进行检查)
    s = _subject(m, "s", st.city, c.cs, strict=True)
    if not s:
        return None
    addrs = [a for a, _, _ in s]
    return st.emit(_Draft(_subj_start(m, c.cs, st.text), c.ce, addrs, act))


def _r_subject_alone(st: _Sent, c: _Clause) -> str | None:
    """A clause that is only a subject, with a cue opening one of the next two:
    各指标牵头单位，要… · 各位县领导，各乡镇、各部门，要…"""
    if len(c.text) > 60:
        return None
    k = c.idx + 1
    if not ((k < len(st.spans) and st.cued[k] and st.bare_at(k))
            or (k + 1 < len(st.spans) and st.cued[k + 1] and st.bare_at(k + 1))):
        return None
    m = _run("subj_only", c.text, c.masked) if _may_hold_subject(c, "after_subj_only") else None
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs, strict=True)
    if not s:
        return None
    if st.pending_start is None:
        st.pending_start = _subj_start(m, c.cs, st.text)
    st.pending += [a for a, _, _ in s]
    st.framing_only = False
    return "held"


def _r_after_role(st: _Sent, c: _Clause) -> str | None:
    """The doers after a role clause: 由应急牵头，气象…等部门及各乡镇街道抓好工作落实."""
    if not (st.pending_roles and c.cued) or G().x["helpers_open"].match(c.text):
        return None  # (…牵头，联合/会同Y、Z…: helpers, read when the role's work is taken)
    m = _run("subj_verb", c.text, c.masked) if _may_hold_subject(c, "after_subj_verb") else None
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs)
    if not s:
        return None
    act = m.group("act")
    for a, _, _ in s:
        a.role = "support" if G().x["support_verbs"].match(act) else "responsible"
    st.pending += [a for a, _, _ in s]
    st.framing_only = False
    return st.flush(c.ce, act) or "held"


def _r_by(st: _Sent, c: _Clause) -> str | None:
    """由 + doer + work with no role word: 由县司法局按程序报批."""
    g = G()
    if not c.cued or st.pending or "由" not in c.text:
        return None
    m = _run("by", c.text, c.masked)
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs)
    act = m.group("act")
    if not s or any(p.search(act) for p in g.non_task) or g.past.search(act) or g.require_any.match(act):
        return None  # (由县长指示各单位…: the one named after 指示 is the doer)
    addrs, end = [a for a, _, _ in s], c.ce
    if g.framing.match(act) and c.idx + 1 < len(st.spans):
        # 由县财政局根据…，县农委、县林业局等主管部门编制…: the doers listed after the framing join
        ns, ne = st.spans[c.idx + 1]
        more, at = _lead_units(st.text[ns:ne], ns, st.city)
        if more and g.x["then_work"].match(st.text, ns + at):
            addrs, end, act = addrs + more, ne, st.text[ns + at:ne]
    return st.emit(_Draft(_subj_start(m, c.cs, st.text), end, addrs, act))


def _lead_units(text: str, base: int, city: bool) -> tuple[list[_Addr], int]:
    """The list of unit names that opens `text` (县农委、县供销合作社、县扶贫办等…), read by the
    unit grammar, and where it ends; ([], 0) when no unit opens it."""
    out: list[_Addr] = []
    at = 0
    text = text[:80]
    while at < len(text):
        u = unitnames.name_at(text, at, "市" if city else None)
        if u is None:
            break
        a = _classified(u.text, city)
        if a is None or a.kind != "unit":
            break
        a.start, a.end = base + u.start, base + u.end
        out.append(a)
        at = u.end
        if at < len(text) and text[at] in "、和及与":
            at += 1
    if out and text[at - 1:at] in "、和及与":
        at -= 1
    return out, at


def _r_referral(st: _Sent, c: _Clause) -> str | None:
    """A case referred to the body that acts on it (…将屡教不改的门店报县城管执法大队依法查处):
    the body is the doer, unlike a receiver that approves (报县政府审批)."""
    g = G()
    if not c.cued:
        return None
    m = g.x["referral"].search(c.text)
    if not m:
        return None
    rest = c.text[m.end():]
    u = unitnames.name_at(rest[:40], 0, "市" if st.city else None)
    if u is None or not g.x["acts_on"].match(rest, u.end):
        return None
    a = _classified(u.text, st.city)
    if a is None or a.kind != "unit":
        return None
    a.start, a.end = c.cs + m.end(), c.cs + m.end() + u.end
    return st.emit(_Draft(c.cs + m.start(), c.ce, [a], rest[u.end:]))


def _r_require(st: _Sent, c: _Clause) -> str | None:
    """要求/请/明确 + subject + work: 就是要求同志们做好顶层设计 · 会议要求各乡镇…"""
    g = G()
    if not (c.cued and g.require_any.search(c.text)):
        return None
    m = _run("require", c.text, c.masked, search=True)
    if not m:
        return None
    s = _subject(m, "s", st.city, c.cs)
    if not s:
        return None
    act = m.group("act")
    if any(p.search(act) for p in g.non_task):
        return "dropped: the speaker's programme (讲话, 提要求…)"
    if act.strip() and not g.x["not_an_order"].match(act):
        # 要求县市场监管局会同县商务局开展…: the helpers are support
        addrs = [a for a, _, _ in s] + (_helpers(act, st.city, c.cs + m.start("act")) or [])
        return st.emit(_Draft(c.cs + m.start("s"), c.ce, addrs, act))
    if not act.strip():
        st.pending = [a for a, _, _ in s]
        st.pending_start = c.cs
        return "held"
    return None


def _r_bare(st: _Sent, c: _Clause) -> str | None:
    """A bare cue (要…) whose doer is pending, named before a colon, or carried
    from the sentence before (；) or from a list's introduction."""
    g = G()
    bm = st.bare_at(c.idx) if c.cued else None
    if not bm:
        return None
    m = _M(bm, c.text)
    act = m.group("act")
    if any(p.search(act) for p in g.non_task):
        return None
    if st.pending:
        addrs, start = st.take_pending(c.cs)
        addrs = addrs + (_helpers(act, st.city, 0) or [])
        _act_roles(addrs, act)
        return st.emit(_Draft(start, c.ce, addrs, _extend_act(act, c.idx, st.spans, st.text, addrs)))
    if st.colon_owner and g.list_item.match(c.text):
        d = _Draft(c.cs, c.ce, _copy(st.colon_owner), _extend_act(act, c.idx, st.spans, st.text, st.colon_owner), carried=True)
        return st.emit(d, last=False)
    owner = st.carry if st.carry else st.list_owner
    if owner and not st.carried_used and st.framing_only and not st.out:
        d = _Draft(st.spans[0][0] if c.idx else c.cs, c.ce, _copy(owner), _extend_act(act, c.idx, st.spans, st.text, owner),
                   carried=True)
        st.carried_used = True
        return st.emit(d)
    return None


def _r_to_recipients(st: _Sent, c: _Clause) -> str | None:
    """A notice's 请 + work after it is issued to its recipients (现印发给你们，请认真贯彻执行。
    …问题，请径向X反映): the recipients (你们) do it."""
    g = G()
    if not c.cued or st.pending or not g.x["ask_recipients"].match(c.text):
        return None
    first = st.spans[0][0]
    here = g.x["issued_to_you"].search(st.text, first, c.cs)
    if here:  # in the same sentence: the evidence starts at its clause
        start = next((a for a, b in st.spans[:c.idx] if a <= here.start() < b), first)
    elif g.x["issued_to_you"].search(st.text, max(0, first - 240), first):
        start = first
    else:
        return None
    return st.emit(_Draft(start, c.ce, [_Addr("person", "你们")], c.text[1:]))


def _only_framing_since(st: _Sent, c: _Clause) -> bool:
    """Every clause between the last task of the sentence and clause c frames (对…, 在…的基础上)."""
    g = G()
    if st.last is None:
        return False
    between = [t for t in (st.text[a:b] for a, b in st.spans[:c.idx] if a >= st.last.end) if t.strip()]
    return bool(between) and all(g.framing.match(t) for t in between)


def _r_carry_after_framing(st: _Sent, c: _Clause) -> str | None:
    """A bare cue after the sentence's last task and a framing clause: the same doer
    (各乡镇要加大排查力度，在完成整改的基础上，要建立台账)."""
    g = G()
    bm = st.bare_at(c.idx) if c.cued else None
    if not bm or st.pending or not _only_framing_since(st, c) or st.last is None:
        return None
    act = bm.group("act")
    if any(p.search(act) for p in g.non_task):
        return None
    owner = st.last.addrs
    return st.emit(_Draft(c.cs, c.ce, _copy(owner), _extend_act(act, c.idx, st.spans, st.text, owner), carried=True))


def _r_framed_item(st: _Sent, c: _Clause) -> str | None:
    """An item after ；that opens with a framing clause and goes on with a verb carries the
    doer from before the ；: 各级各部门要围绕A，强化…；围绕B，深化…；围绕C，全力推进…."""
    g = G()
    if c.idx or not st.carry or st.pending or st.carried_used or not g.framing.match(c.text):
        return None
    k = c.idx + 1
    while k < len(st.spans) and not st.text[st.spans[k][0]:st.spans[k][1]].strip(" ，,"):
        k += 1
    if k == len(st.spans):
        return None
    ns, ne = st.spans[k]
    nxt = st.text[ns:ne].lstrip(" ，,")
    if not g.x["item_verb"].match(nxt) or g.past.search(nxt):
        return None
    st.taken_to = k + 1
    st.carried_used = True
    return st.emit(_Draft(c.cs, ne, _copy(st.carry), nxt, carried=True))


@dataclass(frozen=True)
class ClauseRule:
    name: str
    apply: Any  # (_Sent, _Clause) -> outcome or None
    uncued: bool = False  # the rule may take a clause with no cue word (the others never do)


RULES: tuple[ClauseRule, ...] = (
    ClauseRule("minutes_agree", _r_minutes_agree),
    ClauseRule("subject_huitong", _r_huitong),
    ClauseRule("subject_role", _r_role),
    ClauseRule("subject_modal", _r_modal),
    ClauseRule("doer_imperative", _r_imperative),
    ClauseRule("duty_stated", _r_duty),
    ClauseRule("step_then_pass_on", _r_after_then),
    ClauseRule("subject_alone", _r_subject_alone, uncued=True),
    ClauseRule("doers_after_role", _r_after_role),
    ClauseRule("by_doer", _r_by),
    ClauseRule("require_doer", _r_require),
    ClauseRule("referral", _r_referral),
    ClauseRule("bare_cue", _r_bare),
    ClauseRule("notice_recipients", _r_to_recipients),
    ClauseRule("carry_after_framing", _r_carry_after_framing),
    ClauseRule("framed_item", _r_framed_item, uncued=True),
)


_UNCUED = tuple(r for r in RULES if r.uncued)


def _rest(st: _Sent, c: _Clause) -> str | None:
    """A clause no rule took: the work of pending roles, or the end of a pending subject."""
    g = G()
    made = None
    if st.pending_roles:
        st.pending += _helpers(c.text, st.city, c.cs) or []  # 县经信局牵头，会同县统计局、县调查队，…
        made = st.flush(c.ce, c.text)
    else:
        st.pending, st.pending_start = [], None
    st.framing_only = st.framing_only and bool(g.framing.match(c.text))
    return made


def _sentence(doc, sent, carry, list_owner, city, cues: list[int], role: str = "other",
              trace: list | None = None, kind: str = "speech", part: str | None = None) -> list[_Draft]:
    """The drafts of one sentence: each clause offered to RULES in order.
    `cues`: where its cue words start (absolute offsets); `role`: the role of its
    top-level section (tasks, conduct, achievements …); `kind`: the document's kind
    (speech, minutes, notice …); `part`: review or plan (or None)."""
    g = G()
    text = doc.text
    spans = sent.clauses()
    # which clauses hold a cue word: one walk of the (sorted) cue offsets beside the clauses
    cued = [False] * len(spans)
    k = 0
    for pos in cues:
        while k < len(spans) and spans[k][1] <= pos:
            k += 1
        if k == len(spans):
            break
        if spans[k][0] <= pos:
            cued[k] = True
    st = _Sent(text, spans, cued, carry, list_owner, city, role, kind=kind, part=part)
    for idx, (cs, ce) in enumerate(spans):
        if idx < st.taken_to:
            continue
        c = _Clause(idx, cs, ce, text[cs:ce], cued[idx], [None])
        if idx and text[spans[idx - 1][1]:spans[idx - 1][1] + 1] in "：:" and st.last is not None \
                and st.last.end >= spans[idx - 1][0]:
            st.colon_owner = st.last.addrs
        # every rule but subject_alone needs a cue word: a long clause without one can only
        # frame what follows or end what is pending
        if not c.cued and not st.pending and len(c.text) > 40:
            st.framing_only = st.framing_only and bool(g.framing.match(c.text))
            continue
        for rule in (RULES if c.cued else _UNCUED):
            before = len(st.out)
            outcome = rule.apply(st, c)
            if outcome is None:
                continue
            for d in st.out[before:]:
                d.rule = d.rule or rule.name
            if trace is not None:
                trace.append(Decision(cs, ce, "task", rule.name, outcome))
            break
        else:
            before = len(st.out)
            outcome = _rest(st, c)
            for d in st.out[before:]:
                d.rule = d.rule or "pending_roles"
            if trace is not None and outcome:
                trace.append(Decision(cs, ce, "task", "pending_roles", outcome))
    if st.pending_roles:
        before = len(st.out)
        st.flush(spans[-1][1] if spans else sent.end)
        for d in st.out[before:]:
            d.rule = d.rule or "pending_roles"
    return st.out




def _subj_start(m: regex.Match, cs: int, text: str) -> int:
    """Where the evidence starts: 请/由 stay, the speaker's 我们的 goes."""
    if m.group("pre"):
        return cs + m.start("pre")
    s = cs + m.start("s")
    o = G().x["own_side"].match(text, s)
    return o.end() if o else s


def _helpers(text: str, city: bool, base: int) -> list[_Addr] | None:
    """The units after a 会同 that opens `text`, as support (县发改局要牵头，会同县财政局…);
    None when no 会同 opens it. `base`: the offset of `text` in the document."""
    hm = _run("act_huitong", text, group="o") if ("会同" in text or "联合" in text) else None
    if not hm:
        return None
    return [_with_role(a, "support") for a, _, _ in _subject(hm, "o", city, base)]


def _organised(act: str, city: bool, base: int, doers: list[_Addr]) -> list[_Addr]:
    """The units a doer organises to do the work (县森防办要组织应急、林业、公安等有关部门…):
    they are responsible, and the doer leads."""
    g = G()
    om = g.x["organises"].match(act)
    if not om:
        return []
    got, at = _lead_units(act[om.end():], base + om.end(), city)
    if not got or not g.x["then_work"].match(act, om.end() + at):
        return []
    for a in doers:
        if a.kind == "unit" and a.role == "responsible":
            a.role = "lead"
    return got


def _with_role(a: _Addr, role: str) -> _Addr:
    a.role = role
    return a


def _act_roles(addrs: list[_Addr], act: str) -> None:
    """要充分发挥牵头抓总作用 → lead; 要积极配合 → support; 要牵头… → lead."""
    g = G()
    first = _rx(r"[，,；;。]").split(act, maxsplit=1)[0]
    role = None
    m = g.act_role.match(first)
    if m:
        role = g.roles[m.group("role")]
    elif g.act_lead.search(first):
        role = "lead"
    if role:
        for a in addrs:
            if a.kind == "unit" and a.role == "responsible":
                a.role = role


def _extend_act(act: str, idx: int, spans, text: str, addrs) -> str:
    """A cue clause whose action is only 会同… or a word or two takes the next clause too."""
    hm = _run("act_huitong", act, group="o")
    short = len(act.strip()) < 4 or bool(hm and hm.end() >= len(act) - 1)
    if short and idx + 1 < len(spans):
        return act + "，" + text[spans[idx + 1][0]:spans[idx + 1][1]]
    return act


def _task(doc, d: _Draft, sent, ref, nxt: int, repairs: list) -> Task:
    g = G()
    text = doc.text
    # evidence: trim trailing punctuation and whitespace
    s, e = d.start, d.end
    while e > s and text[e - 1] in " \n\t，,；;。：:":
        e -= 1
    while s < e and text[s] in " \n\t":
        s += 1
    for a in d.addrs:
        a.name = _as_written(doc, a, repairs)
    units, persons, named = _units(d.addrs)
    # the deadline: from the task's start to the next task of the sentence (or its end)
    window = text[d.start:nxt]
    deadline = None
    m = g.deadline.search(window)
    if m:
        deadline = m.group(0)
    else:
        m = g.sentence_time.match(sent.text)
        if m and sent.start < d.start:
            deadline = m.group(0)
    return Task(
        doc=doc.doc_id,
        evidence=text[s:e],
        start=s,
        end=e,
        action=_trim_action(d.action),
        units=units,
        persons=persons,
        deadline=deadline,
        deadline_range=dates.normalize_deadline(deadline, ref) if deadline else None,
        addressee="named" if named else "collective",
        rule=d.rule or None,
    )


def _as_written(doc, a: _Addr, repairs: list) -> str:
    """The name as the source writes it: a rewriting-tool swap the normalizer
    repaired inside a name (县招商效劳中心 → 服务) is put back; the key stays
    resolved from the repaired form. `repairs`: the document's, as (offset, repair), sorted."""
    if a.start < 0 or not repairs:
        return a.name
    name = a.name
    off = doc.text.find(name, a.start, a.end + 1)
    if off < 0:
        return name
    lo = bisect.bisect_left(repairs, off, key=lambda pr: pr[0])
    hi = bisect.bisect_left(repairs, off + len(name), key=lambda pr: pr[0])
    for _, r in repairs[lo:hi]:
        at = r.get("at", -1) - off
        if 0 <= at < len(name) and name[at:at + len(r["to"])] == r["to"]:
            name = name[:at] + r["from"] + name[at + len(r["to"]):]
    return name


# ------------------------------------------------------------ tag lines


def _tag_units(val: str, city: bool) -> list[_Addr]:
    """The units a tag names (县商务和粮食局 stays one). A tag names its unit outright: whatever
    its level (市工商局 in a county's list, 省财政厅 in a province's), it answers for the item."""
    g = G()
    out = []
    for piece, _, _ in unitnames.split(val, "市" if city else None):
        piece = piece.strip(" 等")
        if not piece:
            continue
        a = classify(piece, city) or classify(piece, True)
        if a is None:
            if not (_rx(r"\p{Han}{2,15}").fullmatch(piece) and piece not in g.never):
                continue
            coll = bool(g.x["tag_collective"].match(piece))  # 各地 in a province's list
            a = _Addr("unit", piece, named=not coll, collective=coll)
        out.append(a)
    return out


def _tags(doc, tasks: list[Task], city: bool, ref, kind: str = "speech") -> list[Task]:
    """（责任单位：县住建局）· 牵头单位：X；责任单位：Y · 整改责任单位：X，整改时限：6月底前."""
    g = G()
    text = doc.text
    matches = list(g.tag.finditer(text))
    if not matches:
        return tasks
    # where each tag ends: a role clause runs to the end of its line
    ends = {}
    for m in matches:
        e = m.end()
        if g.tag_role[m.group("label")] == "roles":
            nl = text.find("\n", e)
            e = len(text) if nl < 0 else nl
            while e > m.end() and text[e - 1] in " \t。；;，,":
                e -= 1
        ends[id(m)] = e
    matches = [m for k, m in enumerate(matches) if k == 0 or m.start() >= ends[id(matches[k - 1])]]
    groups: list[list[regex.Match]] = []
    for m in matches:
        if groups and _rx(r"[\s；;，,、（()）]*").fullmatch(text[ends[id(groups[-1][-1])]:m.start()]):
            groups[-1].append(m)
        else:
            groups.append([m])
    for grp in groups:
        first, last = grp[0], grp[-1]
        gs = first.start()
        line_start = text.rfind("\n", 0, gs) + 1
        before = text[line_start:gs].rstrip(" （(【[")
        if before.strip(" \t：:"):
            # the work is the sentence before the tag on the same line (the one its mark ends)
            body = before.rstrip(" \t。；;！？")
            cut = max(body.rfind(ch) for ch in "。；;！？") + 1
            a_start = line_start + cut
            a_end = line_start + len(before)
            work = text[a_start:a_end]
            bare = work.lstrip(" \t　")
            lm = g.list_item.match(bare)
            if lm:  # 1．加快建设…（责任单位：X）: the item's number is no part of the work
                a_start += len(work) - len(bare) + lm.end()
        else:
            # the tag line follows the item it belongs to
            prev_end = line_start - 1
            while prev_end > 0 and text[prev_end - 1] in "\n \t":
                prev_end -= 1
            prev_start = text.rfind("\n", 0, prev_end) + 1
            a_start, a_end = prev_start, prev_end
        while a_start < a_end and text[a_start] in " \t\n　●•·■◆▪":  # (a bullet before the item)
            a_start += 1
        addrs: list[_Addr] = []
        deadline = None
        for m in grp:
            role = g.tag_role[m.group("label")]
            val = text[m.start("val"):ends[id(m)]].strip()
            if role == "deadline":
                deadline = val
                continue
            if role == "roles":
                # 部门分工：X牵头，Y、Z配合。 — the value is a role clause, to the end of its line
                addrs += _role_clause(val, lambda v: _tag_units(v, city) or None) or []
                continue
            for a in _tag_units(val, city):
                if role == "person":
                    a = _Addr("person", a.name, named=a.named, collective=a.collective)
                else:
                    a.role = role
                addrs.append(a)
        if not addrs:
            continue
        end = ends[id(last)]
        if deadline is None and kind == "division":
            deadline = _plan_year(doc, gs)
        if end < len(text) and text[end] in "）)】]":
            end += 1
        # a clause rule that read the tag's own value (…，各地、各部门配合) made no task of its own
        tasks = [t for t in tasks if not (gs <= t.start < end)]
        # a sentence task over the same work takes the tagged units instead
        host = next((t for t in tasks if t.start < end and a_start < t.end), None)
        units, persons, named = _units(addrs)
        if host is not None:
            have = {u.name for u in host.units}
            host.units += [u for u in units if u.name not in have]
            host.persons += [p for p in persons if p not in host.persons]
            host.addressee = "named" if named or host.addressee == "named" else "collective"
            host.deadline = host.deadline or deadline
            host.rule = f"{host.rule}+tag_line" if host.rule else "tag_line"
            continue
        s = a_start if a_end > a_start else gs
        ev_end = end
        if deadline is None and a_end > a_start:  # 加快建设…，年底前投入运行。（责任单位：X）
            dm = g.deadline.search(text, a_start, a_end)
            deadline = dm.group(0) if dm else None
        tasks.append(Task(
            doc=doc.doc_id, evidence=text[s:ev_end], start=s, end=ev_end,
            action=_trim_action(text[a_start:a_end]) if a_end > a_start else "",
            units=units, persons=persons, deadline=deadline,
            deadline_range=dates.normalize_deadline(deadline, ref) if deadline else None,
            addressee="named" if named else "collective", rule="tag_line",
        ))
    return tasks


# ------------------------------------------------------------ line forms


def _made(doc, s: int, e: int, addrs: list[_Addr], action: str, ref, rule: str, deadline: str | None = None) -> Task:
    """A task over the clean text [s, e) that no clause rule made (a line form)."""
    text = doc.text
    while e > s and text[e - 1] in " \n\t，,；;。：:":
        e -= 1
    while s < e and text[s] in " \n\t":
        s += 1
    if deadline is None:
        m = G().deadline.search(text, s, e)
        deadline = m.group(0) if m else None
    units, persons, named = _units(addrs)
    return Task(
        doc=doc.doc_id, evidence=text[s:e], start=s, end=e, action=_trim_action(action),
        units=units, persons=persons, deadline=deadline,
        deadline_range=dates.normalize_deadline(deadline, ref) if deadline else None,
        addressee="named" if named else "collective", rule=rule,
    )


def _unit_list(value: str, city: bool, base: int = -1) -> list[_Addr] | None:
    """Every member of a list of unit names (民政局 · 县财政局、县审计局), or None when a member
    is no unit (a bracket that says something else: （试行）, （2023年）, （记者 王明）)."""
    out = []
    for piece, ps, pe in unitnames.split(value, "市" if city else None):
        a = _classified(piece.strip(" 等"), city)
        if a is None or a.kind != "unit":
            return None
        if base >= 0:
            a.start, a.end = base + ps, base + pe
        out.append(a)
    return out or None


def _role_clause(value: str, read) -> list[_Addr] | None:
    """A role clause as a value: 县发改局牵头，县财政局、县统计局配合 (lead, support); a
    part with no role word names the responsible units. None when a part is no list of units.
    `read`: names → their addressees, or None."""
    g = G()
    out: list[_Addr] = []
    for part in g.x["clause_sep"].split(value):
        part = part.strip(" 。")
        if not part:
            continue
        m = g.x["role_at_end"].search(part)
        names, role = (part[:m.start()], g.roles[m.group("role")]) if m else (part, "responsible")
        addrs = read(names)
        if addrs is None:
            return None
        for a in addrs:
            a.role = role
        out += addrs
    return out or None


def _bracket_units(doc, outline, tasks: list[Task], city: bool, ref, trace: list | None) -> list[Task]:
    """An item that ends in the unit that carries it, in brackets: …要准备寒冬送暖事宜。（民政局） ·
    1.新建城区停车位2000个。（县城管局牵头，县交通局配合）. The item is the work; the bracket
    names who does it (a role clause gives the roles). Tasks already read inside the item
    take the unit; the rest of the item with a cue word is a task of its own."""
    g = G()
    text = doc.text
    kind = getattr(outline, "kind", "speech")
    if kind == "news":
        return tasks  # a bracket at a news paragraph's end credits its source (（县融媒体中心）)
    for m in g.x["bracket_at_line_end"].finditer(text):
        val = m.group("val")
        ls = text.rfind("\n", 0, m.start()) + 1
        if not text[ls:m.start()].strip(" \t　"):
            # the bracket on a line of its own: it names who carries the item on the line above
            pe = ls - 1
            while pe > 0 and text[pe - 1] in "\n \t　":
                pe -= 1
            ls = text.rfind("\n", 0, pe) + 1
        item = text[ls:m.start()]
        lm = g.list_item.match(item.lstrip(" \t　•●·"))
        a_start = ls + (len(item) - len(item.lstrip(" \t　•●·"))) + (lm.end() if lm else 0)
        roles = g.role_any.search(val) is not None
        addrs = _role_clause(val, lambda v: _unit_list(v, city)) if roles else _unit_list(val, city, m.start("val"))
        if not addrs or a_start >= m.start():
            continue
        if kind in g.cues["reviews_assign_nothing"] and outline.part_at(m.start()) == "review":
            continue  # a unit after a result of the year reviewed is its credit, not its task
        tasks = [t for t in tasks if not (m.start() <= t.start < m.end())]  # the bracket read as a clause
        inside = [t for t in tasks if a_start <= t.start < m.start()]
        for t in inside:
            have = {u.name for u in t.units}
            units, _, named = _units(_copy(addrs))
            t.units += [u for u in units if u.name not in have]
            t.addressee = "named" if named or t.addressee == "named" else "collective"
            t.rule = f"{t.rule}+bracket_unit" if t.rule else "bracket_unit"
        rest = max((t.end for t in inside), default=a_start)
        body = text[rest:m.start()]
        found = [c.start() for c in (g.modal_any.search(body), g.require_any.search(body), g.role_any.search(body)) if c]
        cue = min(found) if found else None
        plain_list = kind in g.cues["duty_kinds"] or outline.part_at(m.start()) == "plan"
        if cue is None and (inside or not (roles or plain_list)):
            continue  # nothing left to assign, or an item with no cue word (a heading, a figure)
        # the work starts at the sentence that holds the first cue (a topic sentence before it stays out)
        s = rest
        if cue is not None:
            cut = max(body.rfind(ch, 0, cue) for ch in "。；;！？")
            s = rest + cut + 1 if cut >= 0 else rest
        while s < m.start() and text[s] in " ，,；;。":
            s += 1
        tasks.append(_made(doc, s, m.end(), _copy(addrs), text[s:m.start()], ref, "bracket_unit"))
        if trace is not None:
            trace.append(Decision(s, m.end(), "task", "bracket_unit", "task"))
    return tasks


def _plan_year(doc, at: int) -> str | None:
    """The year of the plan a list belongs to (2025年县政府工作报告任务清单): the document's
    year, when the title or the lines just before `at` name it."""
    year = (doc.meta or {}).get("year")
    if not year:
        return None
    y = f"{year}年"
    return y if y in str((doc.meta or {}).get("title") or "") or y in doc.text[max(0, at - 300):at] else None


def _heading_owner(doc, outline, tasks: list[Task], city: bool, ref, trace: list | None) -> list[Task]:
    """A heading that names who leads the items under it (一、县示范区管委会牵头工作（8项））:
    each sentence of its items is a task of that unit, dated by the plan's year; the
    heading itself assigns nothing."""
    g = G()
    text = doc.text
    for node in getattr(outline, "nodes", []):
        m = g.x["heading_owner"].match(node.heading)
        if not m or node.end <= node.head_end:
            continue
        addrs = _unit_list(m.group("u"), city)
        if addrs is None:
            continue
        role = g.roles[m.group("role")]
        for a in addrs:
            a.role = role
        year = _plan_year(doc, node.start)
        tasks = [t for t in tasks if not (node.start <= t.start < node.head_end)]
        taken = [(t.start, t.end) for t in tasks if node.head_end <= t.start < node.end]
        for sent in _pieces([s for s in outline.sentences if node.head_end <= s.start < node.end]):
            if any(a <= sent.start < b or sent.start <= a < sent.end for a, b in taken):
                continue
            if not g.x["heading_item_work"].search(sent.text):
                continue
            t = _made(doc, sent.start, sent.end, _copy(addrs), sent.text, ref, "heading_owner")
            if t.deadline is None and year:
                t.deadline, t.deadline_range = year, dates.normalize_deadline(year, ref)
            tasks.append(t)
            if trace is not None:
                trace.append(Decision(t.start, t.end, "task", "heading_owner", "task"))
    return tasks
