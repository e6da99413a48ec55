"""Stage 3a: indicator values, growth, deltas, shares, ranks, and quantified targets.

Each sentence is cut into clauses; in each clause the EVENT_RULES find *events*,
spans that state a measure (增长*%, 排全市第3, 占年计划92.4%, 签约项目12个). The
EVENT_FILTERS then drop events that another event explains, and where events
overlap the one of the better-priority rule wins, then the earlier one (the one
conflict policy). Each event is attached to the indicator noun phrase before it
(or carried from the previous clause), the period named earlier in the sentence
or paragraph, and a baseline. TARGET_RULES decide, in order, whether the event is
an aim (a Target) or a result (a Metric). Lists distribute: `A、B、C增速位列全市第一`
is three ranks, `分别增长X%、Y%` two growths, `均位居全市前列` one rank per metric
before it.

Every pattern is named data in rules/metric_cues.yaml (`patterns:`); every record
carries the names of the rules that made it, and `extract(..., trace=[])` writes
down what each rule decided, for `speechminer extract --explain`.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache

import regex

from . import lexicon
from .lexicon import rx as _rx
from .lexicon import words
from .numbers import MASK, parse
from .parts import part_at
from .records import Decision, Metric, Rank, Target
from .sentences import clauses

# ------------------------------------------------------------ the grammar


def _alt(items) -> str:
    """Literal words as one alternation, longest first."""
    return "|".join(regex.escape(w) for w in sorted(set(items), key=lambda w: (-len(w), w)))


# patterns searched through clauses that open with a part that may be missing (a lead word, a
# look-behind, a run of digits): regex's scan for the characters a match can start with reads
# past it, the standard library's tries the whole pattern at every place (measured with
# callgrind on the bundled speeches: these six as gates cost 4 M instructions a speech more)
_SCANNED_BY_REGEX = frozenset({"level", "growth", "deadline_lead", "not_a_name", "structure", "roman_class"})


@dataclass(frozen=True)
class _Grammar:
    x: dict[str, regex.Pattern]  # the named patterns of rules/metric_cues.yaml
    cues: dict  # rules/metric_cues.yaml as data
    unit_kind: dict[str, str]
    period: regex.Pattern
    deadline: regex.Pattern
    modality: list[tuple[str, regex.Pattern]]
    not_modality: regex.Pattern
    growth_down: frozenset
    delta_down: frozenset
    rank_falls: frozenset
    rank_rises: frozenset
    scopes: frozenset
    scope_pattern: regex.Pattern  # scopes written as patterns (rules/measures.yaml scope_patterns)
    scope_ends: tuple[str, ...]  # how a name that ends in a scope ends (checked before scope_tail)
    anchors: dict  # literal words each event pattern needs (a clause without them skips it)
    weak_after_han: frozenset
    policy_after: regex.Pattern
    word_after_unit: dict[str, set]
    # the characters each anchor's match can start with (lexicon.first_chars; None: not known)
    anchor_starts: dict = field(default_factory=dict)


@cache
def grammar() -> _Grammar:
    """The compiled metric grammar (rules/measures.yaml and rules/metric_cues.yaml), built once."""
    m = lexicon.rules("measures.yaml")
    c = lexicon.rules("metric_cues.yaml")
    kind = {u: k for k, us in m["units"].items() for u in us}
    units = _alt(kind)
    # scopes are words and patterns (a province's region: 陕南, 川东北)
    scopes = _alt(m["scopes"]) + "".join(f"|(?:{p})" for p in m.get("scope_patterns") or [])
    # before a rank verb only the plain scopes (在全省县域经济考核中: the scope is 全省, 县域… is the name)
    plain_scopes = r"\p{Han}{2,3}片区|" + _alt(s for s in m["scopes"] if not (s.startswith("全") and len(s) > 2)) \
        + "".join(f"|(?:{p})" for p in m.get("scope_patterns") or [])
    x = lexicon.compile_patterns("metric_cues.yaml", {
        "units": units, "scopes": scopes, "plain_scopes": plain_scopes,
        "approx_before": _alt(m["approx_before"]),
    })
    # every pattern of metric_cues.yaml is tried with match, search, finditer or sub, many times a
    # speech: each is compiled by the standard library where it reads it alike (lexicon.gate),
    # but for the few regex scans faster
    for name in x:
        if name not in _SCANNED_BY_REGEX:
            x[name] = lexicon.gate(x[name])
    tiers = "|".join(c["tiers"])
    growth_words = _alt(c["growth_up"] + c["growth_down"])
    g = _Grammar(
        x=x,
        cues=c,
        unit_kind=kind,
        period=regex.compile("|".join(f"(?:{p})" for p in m["periods"])),
        deadline=regex.compile("|".join(f"(?:{p})" for p in c["deadlines"])),
        modality=[(mod, regex.compile(_alt(ws))) for mod, ws in c["modality"].items()],
        not_modality=lexicon.gate(regex.compile(_alt(c.get("not_modality") or ["\0"]))),
        growth_down=frozenset(c["growth_down"]),
        delta_down=frozenset(c["delta_down"]),
        rank_falls=frozenset(c["rank_falls"]),
        rank_rises=frozenset(c["rank_rises"]),
        scopes=frozenset(m["scopes"]),
        scope_pattern=regex.compile("|".join(f"(?:{p})" for p in m.get("scope_patterns") or []) or r"(?!)"),
        scope_ends=tuple(m["scopes"]) + ("片区", "排名", "排位", "位次"),
        # plain word lists, so `words` compiles them with the standard library's faster scanner
        anchors={
            "growth": words(rf"{growth_words}|负增长|翻了?[一两二三]?番|[（(][-+－−]"),
            "delta": words(r"百分点|位次|[位名天个℃]|摄氏度"),
            "share": words(r"占|完成|分之|\d/\d"),
            # what rank_place cannot do without: 第/前/后 before a number or placeholder (前期, 然后 are no ranks)
            "rank": words(r"[第前后][\d一二三四五六七八九十两零〇百千*＊Xx×□○]"),
            "tier": regex.compile(rf"{_alt(c['tier_keys'])}|{x['measure_wordings'].pattern}|(?:排名|排位|位次)\p{{Han}}{{2,4}}(?:倒数|靠后|后列)"),
            "level": words(units),
            "bound": words(_alt(c["le_before"] + c["ge_before"])),
            "ratio": x["ratio_gate"],
            # the literal words the rules below need (most clauses hold none: no generator is made)
            "grade": words(r"评价|评议|测评|考核|等次"),
            "zero": words(r"无一|零"),
            "roman": words(r"类"),
            "percent_words": words(r"百分之"),
            "mask": regex.compile(lexicon.fragments()["mask_char"]),
            "structure": words(r"产业"),
        },
        weak_after_han=frozenset(m["weak_after_han_numeral"]),
        policy_after=regex.compile(_alt(m["policy_after"])),
        word_after_unit={u: set(v) for u, v in (m.get("word_after_unit") or {}).items()},
    )
    return replace(g, anchor_starts={k: lexicon.first_chars(p) for k, p in g.anchors.items()})


def warm() -> None:
    """Build the grammar now (a worker process does it before its first file)."""
    grammar()
    _can_hold()


_MASK_CHAR = regex.compile(lexicon.fragments()["mask_char"])
_HAN_NUM = regex.compile(r"^[零〇一二两三四五六七八九十百千万亿]+$")


@dataclass
class _Event:
    kind: str  # level | growth | delta | share | rank
    start: int  # absolute
    end: int
    value: float | int | str | None = None
    unit: str | None = None
    direction: str | None = None
    rank: Rank | None = None
    compare_to: str | None = None
    multi: bool = False  # one of several values written together (分别增长X%、Y%)
    rule: str = ""  # the event rule that found it
    name: str | None = None  # the indicator, where the event's own match names it (全市县城建设第一梯队)
    suffix: str = ""  # added to the indicator: which part of a whole (三次产业结构 11.8︰48.3︰39.9)


@cache
def _can_hold() -> tuple:
    """What a clause needs for any event pattern to match in it (a superset, built from the
    same rules): a digit, a placeholder or 百分之; a Chinese numeral in a position some
    pattern reads one (before a unit, after 第/前/后 or a bounding verb); or one of the
    wordings that state a measure without a number (tiers, grades, 无一人, 负增长, 翻番).
    Most clauses of a speech hold a 一 or 万 only inside words (进一步, 千方百计): they skip
    every pattern at the cost of these searches.

    Two scans the standard library does fast (lexicon.gate): figures and placeholders, and the
    words, each opening with a character (a numeral is read from the last one before its unit,
    a Roman class from the numeral before 类). A clause holds an event cue where either
    matches; they may match where no pattern does (a Roman numeral after a Latin letter), never
    the other way round."""
    g = grammar()
    m = lexicon.rules("measures.yaml")
    c = g.cues
    han_chars = "零〇一二两三四五六七八九十百千万亿"
    han = f"[{han_chars}]"
    units = _alt([u for us in m["units"].values() for u in us])
    bounds = _alt(c["le_before"] + c["ge_before"])
    wordings = _alt(c["tier_keys"]) + "|" + g.x["measure_wordings"].pattern
    numerals = "|".join(rf"{h}(?:点[零〇一二三四五六七八九]+)?(?:余|多)?(?:{units})" for h in han_chars)
    roman = "|".join(f"{r}类" for r in sorted({ch for ch in c["fragments"]["roman_class"] if ch.isalnum()}))
    zero = regex.sub(r"\(\?P<\w+>", "(?:", g.x["zero"].pattern)  # (only where it matches counts here)
    figure = rf"[\d{_MASK_CHAR.pattern.strip('[]')}]"  # (mask_char is a class of characters)
    figures = figure + figure + "*"  # (a class first, not a repeat: the scanner skips to one)
    words_ = rf"百分之|(?:第|前|后){han}|(?:{bounds}){han}|{zero}|{wordings}|{roman}|{numerals}"
    return lexicon.gate(regex.compile(figures)), lexicon.gate(regex.compile(words_))


def _holds(sentence: str, start: int) -> list[int]:
    """Where a clause of `sentence` (at offset `start`) may hold an event: the sorted starts of the
    _can_hold matches (their alternatives hold no clause mark, so each lies inside one clause)."""
    return sorted(start + m.start() for p in _can_hold() for m in p.finditer(sentence))


# ------------------------------------------------------------ event rules


def _ev_growth(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """增长13.3%, 同比下降2%, 增长两成, 翻一番, （-1.8%） after the indicator, 分别增长X%、Y%."""
    g = grammar()
    for m in g.x["growth"].finditer(clause):
        if m.group("pnum"):
            val = parse(m.group("pnum").replace("－", "-").replace("−", "-").lstrip("+"))
            down = m.group("pnum")[0] in "-－−"
            if isinstance(val, (int, float)) and down:
                val = -abs(val)
            yield _Event("growth", cs + m.start(), cs + m.end(), val, "%", "down" if down else "up")
            continue
        if m.group("verb3"):  # 翻一番, 翻了两番: the number of doublings, in 番
            times = {"两": 2, "二": 2, "三": 3}.get(m.group("times") or "", 1)
            yield _Event("growth", cs + m.start(), cs + m.end(), times, "番", "up")
            continue
        if m.group("verb2"):
            yield _Event("growth", cs + m.start(), cs + m.end(), None, None, "down")
            continue
        unit, verb, numtxt = m.group("unit"), m.group("verb"), m.group("num")
        if unit in ("个百分点", "百分点"):
            continue  # a delta
        if not unit and not regex.fullmatch(MASK, numtxt) and not (
                m.group("cmp") and g.x["growth_unit_lost"].match(clause, m.end())):
            continue  # 增长3 with no unit: not a rate we can trust (unless 比上年增长12.5, at the clause's end)
        if _rx(r"[一二三四五六七八九十两百千万]").match(numtxt) and unit not in ("成", "倍"):
            continue  # 提高一步: Chinese numerals only in 两成, 一倍
        down = verb in g.growth_down or verb.endswith(("下降", "减少", "降低", "回落", "下滑", "下跌"))
        nums = [numtxt] + [x for x in _rx(r"[、和及%‰]+").split(m.group("more") or "") if x]
        for n in nums:
            val = parse(n)
            neg = isinstance(val, (int, float)) and val < 0
            ev = _Event("growth", cs + m.start(), cs + m.end(), val, unit, "down" if down or neg else "up")
            ev.compare_to = m.group("cmp")
            ev.multi = len(nums) > 1
            yield ev


def _ev_delta(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """增速提升*个百分点, 低于全市平均水平X个百分点, 较一季度上升3位, 分别低于A、B…*、*个百分点."""
    g = grammar()
    for m in g.x["delta"].finditer(clause):
        verb, unit = m.group("verb"), m.group("unit")
        base = m.group("base") or None
        raw2 = (m.group("base2") or "").strip()
        each = m.group("each") or (raw2[-1:] if raw2.endswith(("各", "分别")) else None)
        base2 = _rx(r"(各|分别|均)$").sub("", raw2) or None
        if unit in ("天", "个") and not (base or base2 or verb in ("增加", "减少")):
            continue
        if unit == "个" and verb not in ("增加", "减少", "多", "少"):
            continue
        if unit in ("位", "名") and verb in ("高于", "低于", "差", "超过"):
            continue
        nums = _rx(r"[、和及]").split(m.group("nums"))
        comp = base or base2
        if comp:
            comp = comp.rstrip("相比")
        bases = [b for b in base2.split("、") if b] if base2 and "、" in base2 and (each or len(nums) > 1) else None
        vals = [parse(n) for n in nums] if len(nums) > 1 else [parse(m.group("nums"))]
        if bases and len(vals) == 1 and each == "各":
            vals = vals * len(bases)
        for k, v in enumerate(vals):
            ev = _Event("delta", cs + m.start(), cs + m.end(), v, unit, "down" if verb in g.delta_down else "up")
            ev.compare_to = bases[k] if bases and k < len(bases) else comp
            ev.multi = len(vals) > 1
            yield ev


def _ev_delta2(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """The baseline first, then a short verb: 比第*的县低*个百分点, 较去年同期多3天."""
    for m in grammar().x["delta2"].finditer(clause):
        verb = m.group("verb")
        ev = _Event("delta", cs + m.start(), cs + m.end(), parse(m.group("nums")), m.group("unit"),
                    "down" if verb in ("低", "慢", "少", "降低") else "up")
        ev.compare_to = _rx(r"^(比|较)").sub("", m.group("base")) or None
        yield ev


def _ev_amount_change(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A change of an amount against a baseline: 比上年增加703万元, 较年初净增15家."""
    g = grammar()
    for m in g.x["amount_change"].finditer(clause):
        if g.unit_kind.get(m.group("unit")) not in ("money", "count"):
            continue
        ev = _Event("delta", cs + m.start(), cs + m.end(), parse(m.group("num")), m.group("unit"),
                    "down" if m.group("verb") in ("减少", "减收", "少", "净减", "下降") else "up")
        ev.compare_to = m.group("base")
        yield ev


def _ev_share(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """占年计划的92.4%, 完成年度目标任务的68.4%, 完成率95%, 为年度预算的1/4."""
    for m in grammar().x["share"].finditer(clause):
        if m.group("rate"):
            yield _Event("share", cs + m.start(), cs + m.end(), parse(m.group("num")), m.group("unit2"))
            continue
        if m.group("frac"):  # as written, with no unit: 1/4 → 0.25
            yield _Event("share", cs + m.start(), cs + m.end(), parse(m.group("frac")), None)
            continue
        nums = _rx(r"%?[、和]").split(m.group("nums"))
        for n in nums:
            # the whole a share is of (年度计划, 全市) is no baseline in the exchange format: compare_to stays empty
            ev = _Event("share", cs + m.start(), cs + m.end(), parse(n), m.group("unit"))
            ev.multi = len(nums) > 1
            yield ev


def _ev_rank_place(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """排全市第3, 居全省第十二位, 跻身全省前十, 倒数第*, 从第*跌到倒数第*."""
    g = grammar()
    for m in g.x["rank_place"].finditer(clause):
        verb, scope = m.group("verb") or m.group("verb_b"), m.group("scope")
        bottom = bool(m.group("bottom")) or m.group("fb") == "后"
        if not (verb or scope or m.group("bottom")):
            continue
        if m.group("fb") and not scope and verb not in ("排名", "排", "位居", "位列", "居", "跻身", "进入", "排在"):
            continue
        if scope and not verb and scope not in g.scopes and not g.scope_pattern.fullmatch(scope) \
                and not g.x["open_scope_ok"].search(scope):
            continue  # an open scope (two or three characters before 第) needs a rank verb
        if verb in ("是", "为", "在", "获", "获得", "保持", "列") and not scope and not m.group("bottom"):
            continue
        if clause[m.end() : m.end() + 1] == "的":
            continue  # 排名后三位的单位: a group named by its rank, not a reported rank
        if g.x["rank_from"].search(clause, 0, m.start()) and not (m.group("verb") or m.group("verb_b")):
            continue  # 由2007年的倒数第二(，跃居全市第六): where the rank came from
        pos_txt = m.group("pos") or m.group("top")
        pos = parse(pos_txt) if pos_txt else None
        if isinstance(pos, float) and pos.is_integer():
            pos = int(pos)
        rk = Rank(scope=scope or _scope_before(clause, m.start()), position=int(pos) if isinstance(pos, float) else pos,
                  from_bottom=bottom, tier=None)
        ev = _Event("rank", cs + m.start(), cs + m.end(), pos, None, None, rk)
        if verb in g.rank_falls:
            ev.direction = "down"
        elif verb in g.rank_rises:
            ev.direction = "up"
        yield ev


def _ev_rank_tier(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A class rather than a place: A档, 第一方阵, 前列, 较好等次, 两连优, 排名靠后, 排名全市倒数."""
    g = grammar()
    for m in g.x["rank_tier"].finditer(clause):
        if m.group("bottom2") or m.group("bottom3"):
            rk = Rank(scope=m.group("scope2"), position=None, from_bottom=True, tier=None)
            yield _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)
            continue
        verb, scope, tier = m.group("verb"), m.group("scope"), m.group("tier")
        tier_clean = tier.strip("“”")
        if tier_clean.endswith("等次"):
            tier_clean = tier_clean[:-2].strip("“”")
        if clause[m.end() : m.end() + 1] == "的" or (tier_clean in ("前列", "靠前", "前茅") and not scope and verb in (None, "在", "是", "为", "走在")):
            continue  # 排名靠前的单位 is a group of units; 走在前列 a boast
        streak = g.x["streak"].search(tier)
        if streak and (g.x["streak_aim_after"].match(clause[m.end():])
                       or g.x["streak_aim_before"].search(clause[: m.start()]) and "目标" in clause[m.end():]):
            continue  # 围绕“两连冠、三连优”总目标: a streak named as an aim, not won
        lettered = _rx(r"[A-E]档").match(tier)
        if not (verb or scope) and not tier.endswith("等次") and not lettered and not streak:
            continue  # a bare 前列/靠前 needs a scope or a rank verb; 评价较差 is the grade rule's
        if lettered and not (verb or scope) and not g.x["tier_verb_before"].search(clause[max(0, m.start() - 2) : m.start()]):
            continue
        if tier_clean in ("首位", "榜首") and not (scope or g.x["first_place_verb"].search(clause, 0, m.start("tier"))):
            continue  # 放在首位: a priority, not a place
        if tier_clean in ("首位", "榜首"):  # 排全市首位: the first place, written as a word
            rk = Rank(scope=scope or _scope_before(clause, m.start()), position=1, from_bottom=False, tier=None)
            yield _Event("rank", cs + m.start(), cs + m.end(), 1, None, None, rk)
            continue
        rk = Rank(scope=scope or _scope_before(clause, m.start()), position=None,
                  from_bottom=tier_clean in ("靠后", "末位", "后列"), tier=tier_clean)
        yield _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)


def _ev_named_tier(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A title won, with its scope and the strength class: 被评为“全省经济实力十强县”,
    进入全国百强县, 被确定为全省县城建设A类县 (the tier is 十强县, 百强, A类县)."""
    for m in grammar().x["named_tier"].finditer(clause):
        rk = Rank(scope=m.group("scope"), position=None, from_bottom=False, tier=m.group("tier"))
        ev = _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)
        ev.name = m.group("name") or None
        yield ev


def _ev_scope_name_tier(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A scope, the work ranked, then a tier: 全市县城建设第一梯队, 全市规模养猪领先 (the name
    between scope and tier is the indicator)."""
    for m in grammar().x["scope_name_tier"].finditer(clause):
        rk = Rank(scope=m.group("scope"), position=None, from_bottom=False, tier=m.group("tier"))
        ev = _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)
        ev.name = m.group("name")
        yield ev


def _ev_grade(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A grade given by an assessment: 评价较差, 考核“优秀”."""
    for m in grammar().x["grade"].finditer(clause):
        rk = Rank(scope=None, position=None, from_bottom=False, tier=m.group(1))
        yield _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)


_SECTORS = ("第一产业", "第二产业", "第三产业")


def _ev_structure(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """The structure of a whole as a:b:c, one share per part: 三次产业结构调整为11.8︰48.3︰39.9."""
    if "产业" not in clause:
        return
    for m in grammar().x["structure"].finditer(clause):
        nums = [m.group(k) for k in ("a", "b", "c")]
        for k, n in enumerate(nums):
            ev = _Event("share", cs + m.start("a"), cs + m.end(), parse(n), None)
            ev.multi, ev.suffix = True, f"({_SECTORS[k]})"
            yield ev


def _ev_zero(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """Zero written as words: 无一例, 零死亡."""
    for m in grammar().x["zero"].finditer(clause):
        yield _Event("level", cs + m.start(), cs + m.end(), 0, m.group("u"))


_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def _ev_roman_class(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A class in Roman numerals: 地表水Ⅱ类标准, 全域II类水质."""
    if "类" in clause:
        for m in grammar().x["roman_class"].finditer(clause):
            yield _Event("level", cs + m.start(), cs + m.end(), _ROMAN[m.group("num")], "类")


def _ev_level(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """An amount with its unit: 签约项目12个, 2000余万元, 近10个 (not a date, a name or an ordinal)."""
    for m in grammar().x["level"].finditer(clause):
        numtxt, unit = m.group("num"), m.group("unit")
        why = _not_a_quantity(text, cs + m.start("num"), cs + m.end(), numtxt, unit, clause, m.start("num"))
        val = parse(numtxt)
        ev = _Event("level", cs + m.start(), cs + m.end(), val, unit)
        if why:
            ev.rule = "dropped: " + why  # kept for the trace, and for the plan rule of _events
        elif val is None:
            continue
        yield ev


def _ev_percent_words(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A percentage in words: 百分之八十."""
    if "百分之" in clause:
        for m in grammar().x["percent_words"].finditer(clause):
            yield _Event("level", cs + m.start(), cs + m.end(), parse(m.group(0)), "%")


def _ev_bare_mask(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A placeholder after a rate or a verb, with no unit: 完成率XX, 增长*."""
    if _MASK_CHAR.search(clause):
        for m in grammar().x["bare_mask"].finditer(clause):
            yield _Event("level", cs + m.start("num"), cs + m.end(), "masked", None)


def _ev_bound(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A unitless number after a bounding verb: 综合指数控制在4.5以下."""
    for m in grammar().x["bound"].finditer(clause):
        val = parse(m.group("num"))
        if val is not None:
            yield _Event("level", cs + m.start(), cs + m.end(), val, None)


def _ev_ratio(clause: str, cs: int, text: str) -> Iterator[_Event]:
    """A ratio has no unit: 城乡收入比缩小至2.19, 恩格尔系数为28.5."""
    for m in grammar().x["ratio"].finditer(clause):
        yield _Event("level", cs + m.start(), cs + m.end(), parse(m.group("num")), None)


@dataclass(frozen=True)
class EventRule:
    name: str
    priority: int  # where events overlap, the lower priority wins (then the earlier event)
    anchor: str | None  # the grammar's anchor a clause must hold for the rule to be tried
    find: Callable[[str, int, str], Iterable[_Event]]  # (clause, its start, the text) → events


EVENT_RULES: tuple[EventRule, ...] = (
    EventRule("growth", 2, "growth", _ev_growth),
    EventRule("delta", 1, "delta", _ev_delta),
    EventRule("delta_after_base", 1, "delta", _ev_delta2),
    EventRule("share", 1, "share", _ev_share),
    EventRule("amount_change", 1, "level", _ev_amount_change),
    EventRule("rank_place", 0, "rank", _ev_rank_place),
    EventRule("rank_tier", 0, "tier", _ev_rank_tier),
    EventRule("grade", 0, "grade", _ev_grade),
    EventRule("named_tier", 0, "tier", _ev_named_tier),
    EventRule("scope_name_tier", 0, "tier", _ev_scope_name_tier),
    EventRule("structure", 1, "structure", _ev_structure),
    EventRule("zero", 3, "zero", _ev_zero),
    EventRule("roman_class", 3, "roman", _ev_roman_class),
    EventRule("level", 4, "level", _ev_level),
    EventRule("percent_words", 3, "percent_words", _ev_percent_words),
    EventRule("bare_mask", 5, "mask", _ev_bare_mask),
    EventRule("bound", 5, "bound", _ev_bound),
    EventRule("ratio", 5, "ratio", _ev_ratio),
)


# ------------------------------------------------------------ event filters: one event explains another


def _f_summed_rates(found: list[tuple[int, _Event]], text: str) -> list[tuple[int, _Event]]:
    """一般公共预算收入（-1.8%）、税收收入（-3.2%）均为负增长: 负增长 sums up the rates before it."""
    if any(e.kind == "growth" and e.value is not None for _, e in found):
        return [(pr, e) for pr, e in found if not (e.kind == "growth" and e.value is None and e.direction == "down")]
    return found


def _f_rank_origin(found: list[tuple[int, _Event]], text: str) -> list[tuple[int, _Event]]:
    """从全市前*滑到全市倒数第*: the place it fell to is the rank, not the one it fell from."""
    moves = [e for _, e in found if e.kind == "rank" and e.direction == "down"]
    if not moves:
        return found
    return [(pr, e) for pr, e in found if not (e.kind == "rank" and e.direction is None
            and any(0 <= mv.start - e.end <= 1 for mv in moves))]


def _f_list_count(found: list[tuple[int, _Event]], text: str) -> list[tuple[int, _Event]]:
    """等6项指标全市第一 · 14项主要经济指标保持第一方阵: the count names the list of a rank."""
    ranks = [e for _, e in found if e.kind == "rank"]
    if not ranks:
        return found
    after = grammar().x["list_count_after"]
    return [(pr, e) for pr, e in found if not (
        e.kind == "level" and e.unit in ("项", "个") and any(r.start >= e.end for r in ranks)
        and after.match(text[e.end : e.end + 8]))]


EVENT_FILTERS: tuple[tuple[str, Callable], ...] = (
    ("summed_rates", _f_summed_rates),
    ("rank_origin", _f_rank_origin),
    ("list_count", _f_list_count),
)


WEAK_HAN = "a Chinese numeral before a weak unit"


def _events(text: str, cs: int, ce: int, trace: list | None = None, plan: bool = False) -> list[_Event]:
    """The events of clause text[cs:ce]: every rule, then the filters, then the overlap policy.
    `plan`: the clause is in the plan of a work report, where counts after a work verb are
    written in Chinese numerals too (建设一座标志性公园、两条滨河路)."""
    g = grammar()
    clause = text[cs:ce]
    found: list[tuple[int, _Event]] = []  # (priority, event)
    anchored: dict[str, bool] = {}  # each anchor is searched once per clause
    chars = lexicon.chars_of(clause)  # (an anchor none of whose first characters is here is not searched)
    for rule in EVENT_RULES:
        if rule.anchor:
            if rule.anchor not in anchored:
                starts = g.anchor_starts[rule.anchor]
                anchored[rule.anchor] = (starts is None or not starts.isdisjoint(chars)) \
                    and bool(g.anchors[rule.anchor].search(clause))
            if not anchored[rule.anchor]:
                continue
        for ev in rule.find(clause, cs, text):
            if plan and ev.rule.startswith("dropped: " + WEAK_HAN) and ev.value is not None \
                    and g.x["plan_count_before"].search(clause, 0, ev.start - cs):
                ev.rule = "plan_count_in_words"
                found.append((rule.priority, ev))
                continue
            if ev.rule.startswith("dropped"):
                if trace is not None:
                    trace.append(Decision(ev.start, ev.end, "event", rule.name, ev.rule))
                continue
            ev.rule = rule.name
            found.append((rule.priority, ev))
    if not found:
        return []
    for name, keep in EVENT_FILTERS if len(found) > 1 else ():  # (each filter weighs one event against another)
        kept = keep(found, text)
        if trace is not None and len(kept) < len(found):
            for _, e in found:
                if not any(e is k for _, k in kept):
                    trace.append(Decision(e.start, e.end, "event", e.rule, f"dropped: {name}"))
        found = kept
    # keep non-overlapping events, best priority first, then earliest
    found.sort(key=lambda pe: (pe[0], pe[1].start))
    out: list[_Event] = []
    for _, ev in found:
        clash = next((k for k in out if ev.start < k.end and k.start < ev.end
                      and not (ev.kind == k.kind and ev.multi and k.multi and ev.start == k.start)), None)
        if clash is not None:
            if trace is not None:
                trace.append(Decision(ev.start, ev.end, "event", ev.rule, f"dropped: overlaps {clash.rule}"))
            continue
        out.append(ev)
    out.sort(key=lambda e: e.start)
    return out


def _scope_before(clause: str, upto: int) -> str | None:
    """The last scope named before `upto` in the clause (rules: scope_before), or None."""
    last = None
    for last in grammar().x["scope_before"].finditer(clause, 0, upto):
        pass
    return (last.group("a") or last.group("b") or last.group("c")) if last else None


def _not_a_quantity(text: str, s: int, e: int, numtxt: str, unit: str, clause: str, rel: int) -> str | None:
    """Why a number with a unit is a name, a date or an ordinal rather than a quantity (None if it is one)."""
    g = grammar()
    x = g.x
    before = text[max(0, s - 2) : s]
    after = text[e : e + 3]
    if text[e : e + 1] in g.word_after_unit.get(unit, ()):
        return "the unit starts a word (X项目, 3个人)"
    if before.endswith("等") and x["addressee_count"].match(text[e : e + 12]):
        return "counts the addressees (…等5个牵头单位)"
    if unit == "成" and not _HAN_NUM.match(numtxt) and _rx(r"\p{Han}").match(after):
        return "成 starts a word (XX成功)"
    if x["size_class"].match(text[e : e + 6]) or x["size_class_after"].match(after):
        return "a size class (亿元以上项目, 亿元级企业)"
    if before.endswith(("第", "前", "后")) and not regex.fullmatch(MASK, numtxt):
        return "an ordinal (第三, 前十)"
    if before.endswith(("第", "倒数")):
        return "an ordinal"
    if unit == "年" or after.startswith(tuple(g.cues["date_after_amount"])):
        return "a date or a duration"
    if _HAN_NUM.match(numtxt) and not _rx(r"[零〇一二两三四五六七八九十]").search(numtxt):
        return "a magnitude word (万亩茶园, 千方百计)"
    if _rx(r"[一二三四五六七八九]{2}").fullmatch(numtxt):
        return "numerals in a word (唯一一个, 一一对应)"
    if _HAN_NUM.match(numtxt):
        # Chinese numerals: keep only when clearly a count (有两张, 仅三家, 百分之八十)
        if unit in g.weak_after_han and (numtxt == "一" or not before.endswith(("有", "仅", "只", "共", "达", "近", "超"))):
            return WEAK_HAN + " (一个, 两项: names and slogans)"
        if unit == "分":
            return "十二分精神"
        if g.policy_after.match(after) or g.policy_after.match(text[e : e + 4][1:] if len(after) > 1 else ""):
            return "a policy name (十五条措施)"
        if x["name_after_numeral"].match(after) or text[e : e + 1] in "大项":
            return "a name (三大, 两项, 一城)"
        q_open = clause.rfind("“", 0, rel)
        if q_open >= 0 and clause.find("”", q_open) > rel:
            return "inside a quoted name (“八张报表”)"
    if unit == "个" and after.startswith(tuple(g.cues["not_count_after_ge"])):
        return "part of a unit or a period (3个百分点, 5个月)"
    if x["peer_count"].match(text, e) or (unit in ("个", "位", "名", "家") and x["meeting_item"].match(text, e)):
        # (N次…作交流发言 is a record of the county's own, kept)
        return "who is compared or who spoke, not a result (*个区县中, 作了发言)"
    if unit in ("人", "名", "位") and (x["attendance_before"].search(text, max(0, s - 8), s) or x["attendance"].match(text, e)):
        return "attendance at the meeting (160多名代表与会, 实到45人)"
    if unit == "次" and text[max(0, s - 1) : s] in "届":
        return "a session number (届次)"
    return None


# ------------------------------------------------------------ indicators


def _clean_np(np: str) -> str:
    """The indicator name in the phrase before a number: what opens and closes it stripped."""
    g = grammar()
    x = g.x
    if "由" in np or "从" in np:
        np = x["rank_origin"].sub("", np)
    if "剔除" in np or "扣除" in np:
        np = x["exclusion"].sub("", np)  # 一般公共预算收入剔除虚增空转因素后(完成10.4亿元)
    if np.endswith(g.scope_ends) or g.scope_pattern.search(np[-4:]):
        np = x["scope_tail"].sub("", np)  # 完成率在全市(12个区县中排第9位): the scope is no part of the name
    if x["not_a_name"].search(np):
        return ""  # a placeholder or a rank inside: what is left is no indicator name
    np = _rx(r"^[，、。；：\s“”）)]+|[，、。；：\s（(]+$").sub("", np)
    prev = None
    while prev != np:
        prev = np
        np = x["lead_strip"].sub("", np)
        np = g.period.sub("", np, count=1) if g.period.match(np) else np
        dl = x["deadline_lead"].search(np)
        if dl and dl.group("rest"):
            np = dl.group("rest")  # 各乡镇要在6月底前完成改厕(1200户): who and by when are no part of the name
        np = x["tail_strip"].sub("", np)
        np = np.strip("，、：；（(“”")
    m = x["subject_verb_measure"].fullmatch(np)
    if m:  # 规模以上工业企业实现产值: the subject's measure, the verb between them goes
        np = m.group("subj") + m.group("measure")
    return np


def _np_after(text: str, e: int, ce: int) -> str:
    """The noun written after a count (195个重点项目): the indicator a count names."""
    g = grammar()
    x = g.x
    seg = x["comparator_head"].sub("", text[e:ce])  # the comparator closes the number
    m = x["verb_cut"].search(seg)
    seg = seg[: m.start()] if m else seg
    m = g.deadline.search(seg)
    seg = _rx(r"在$").sub("", seg[: m.start()]) if m else seg  # 17个项目在10月底前全部开工
    seg = _rx(r"[，。；、].*$|[和及与](?=[\d一二三四五六七八九十两*＊Xx×]).*$").sub("", seg)  # …民生工程和8件…
    seg = x["state_tail"].sub("", seg)  # 还有9个项目未完成…: the state is no part of the name
    seg = seg.split("及", 1)[0] if "及" in seg[2:] else seg  # 公立医院迁扩建及县医院创建: the first of two
    return seg.strip("的“”")[:20]


def _split_list(np: str, sep: str = r"、") -> list[str]:
    """GDP、地方财政收入、地方税收、规模工业增加值增速 → the items (增速 goes to each)."""
    x = grammar().x
    np = x["list_count_tail"].sub("", np)
    np = x["list_etc_tail"].sub("", np)
    parts = [p for p in regex.split(sep, np) if p]
    if len(parts) < 2:
        return [np]
    last = parts[-1]
    m = x["shared_rate_suffix"].search(last)
    if m:
        parts[-1] = last[: m.start()]
        return [p + m.group(1) for p in parts if p]
    # 粮食、油料产量 · 生猪、家禽出栏: short items before the last share its measure noun
    m = x["shared_measure_noun"].search(last)
    if m and all(len(p) <= 3 and not p.endswith(m.group(1)) for p in parts[:-1]):
        return [p + m.group(1) for p in parts[:-1]] + [last]
    # 城镇和农村居民人均可支配收入: a short qualifier before the last shares the rest of its name
    if len(parts) == 2 and 1 < len(parts[0]) <= 3 and len(last) > len(parts[0]) + 3 \
            and x["shared_qualifier"].match(parts[0]) and x["shared_qualifier"].match(last[: len(parts[0])]):
        return [parts[0] + last[len(parts[0]):], last]
    return parts


def _topic(clause: str) -> tuple[bool, str | None, str | None]:
    """(True, indicator, scope) for a clause that only names what follows: 地区生产总值方面 ·
    工业增加值 · 在陕南片区县域经济考核中 (an assessment, with its scope 陕南片区)."""
    bare = clause.strip()
    topic = grammar().x["topic"].match(bare) if bare.endswith(("方面", "情况", "来看", "中", "里")) else None
    if topic or (len(clause) <= 12 and bare in lexicon.indicators()["alias"]):
        scope = topic.group("sc") if topic and topic.group("a") else None
        return True, _clean_np((topic.group("t") or topic.group("a")) if topic else clause), scope
    return False, None, None


def _distinct(records: list[Metric]) -> list[Metric]:
    seen, out = set(), []
    for r in records:
        if r.indicator and r.indicator not in seen:
            seen.add(r.indicator)
            out.append(r)
    return out


# ------------------------------------------------------------ aims


def _modality(sentence: str, upto: int) -> str | None:
    """The last modality cue before `upto`; a `set` cue only counts when near."""
    g = grammar()
    best, pos = None, -1
    sentence = g.not_modality.sub(lambda m: "　" * len(m.group(0)), sentence)
    # words inside quotation marks name a campaign or a slogan (“奋战一百天，冲刺双过半”竞赛), no aim
    sentence = g.x["quoted"].sub(lambda m: "　" * len(m.group(0)), sentence)
    for mod, pat in g.modality:
        lo = max(0, upto - 16) if mod == "set" else 0
        for m in pat.finditer(sentence, lo, upto):
            if m.start() > pos:
                best, pos = mod, m.start()
    return best


def _comparator(text: str, s: int, e: int) -> str:
    before, after = text[max(0, s - 8) : s] + text[s:e], text[e : e + 4]
    c = grammar().cues
    if any(after.startswith(w) for w in c["approx_after"]):
        return "~"
    if any(after.startswith(w) for w in c["ge_after"]):
        return ">="
    if any(after.startswith(w) for w in c["le_after"]):
        return "<="
    if any(w in before for w in c["ge_before"] if w != "保持在"):
        return ">="
    if any(w in before for w in c["le_before"]):
        return "<="
    return "="


@dataclass
class _Aim:
    """What the target rules read about one event."""

    sent_text: str
    rel: int  # the event's offset in its sentence
    ev: _Event
    role: str  # the section role (tasks, achievements …)
    has_cmp: bool  # a comparator word near the number (以上, 控制在 …)
    directive: bool  # the clause opens with a directive verb (加快, 推进 …)
    head: str  # the sentence up to the event
    part: str | None = None  # review or plan (pipeline/parts.py)
    kind: str = "speech"  # the document's kind

    @property
    def clause_head(self) -> str:
        return _rx(r"[^，；：,;:]*$").search(self.head).group(0)


Verdict = tuple[bool, str | None] | None  # (is an aim, modality), or None: the rule does not decide


def _t_no_quantity(a: _Aim) -> Verdict:
    """A rank, or no number at all, is never an aim (FORMAT: only goals with a number)."""
    return (False, None) if a.ev.kind == "rank" or a.ev.value is None else None


def _t_past_in_clause(a: _Aim) -> Verdict:
    """去年…, 累计…, 已…: the clause reports a past figure."""
    return (False, None) if grammar().x["past_in_clause"].search(a.head) else None


def _t_report_review(a: _Aim) -> Verdict:
    """In the review of a work report every figure is a result: its 全力, 争取到, 完成 and
    even 目标 tell what was done, unless the clause looks ahead (明年…, 下一步…)."""
    if a.part == "review" and a.kind in ("work_report", "news") and not grammar().x["looks_ahead"].search(a.clause_head):
        return False, None
    return None


def _t_report_plan(a: _Aim) -> Verdict:
    """In the plan of a work report or a division list, a figure after a work verb is an
    aim with no modal word: 新建2所公立幼儿园, 实施36个老旧小区改造, 全年新增就业5700人."""
    x = grammar().x
    if a.part == "plan" and a.kind in ("work_report", "news", "division") and a.ev.kind in ("level", "share") \
            and x["plan_work"].search(a.clause_head) and not x["past"].search(a.clause_head):
        return True, "set"
    return None


def _t_modal(a: _Aim) -> Verdict:
    """确保/务必 (must), 力争/争取 (strive) before the number in its sentence."""
    mod = _modality(a.sent_text, a.rel)
    if mod in ("must", "strive"):
        return True, mod
    if mod == "set" and not grammar().x["past"].search(a.head[-12:]):
        return True, "set"  # 目标, 计划, 年初确定 close before the number
    return None


def _t_review(a: _Aim) -> Verdict:
    """In a review section, or after a word of the past, a figure is a result."""
    return (False, None) if a.role == "achievements" or grammar().x["past"].search(a.head) else None


def _t_comparator(a: _Aim) -> Verdict:
    """稳定在20万吨以上 in a sentence that gives directions, or under a tasks heading."""
    if a.has_cmp and (grammar().x["directive_sentence"].search(a.sent_text) or a.role == "tasks"):
        return True, "set"
    return None


def _t_will_under_tasks(a: _Aim) -> Verdict:
    """Under a tasks heading, 要/将 in the number's own clause, or a unit told 要 before it."""
    x = grammar().x
    if a.role == "tasks" and a.ev.kind == "level" and (x["will_in_clause"].search(a.head) or x["assigned_before"].search(a.head)):
        return True, "set"
    return None


def _t_directive(a: _Aim) -> Verdict:
    """加快50个示范村建设: a directive verb opens the clause of a count."""
    return (True, "set") if a.ev.kind == "level" and a.directive else None


def _t_deadline_ahead(a: _Aim) -> Verdict:
    """…，年底前发放消费券500万元: the clause opens with a time still ahead."""
    g = grammar()
    if a.ev.kind in ("level", "share") and g.x["deadline_lead"].search(a.head) and not g.x["past"].search(a.clause_head):
        return True, "set"
    return None


def _t_plan_year(a: _Aim) -> Verdict:
    """Under a tasks heading, 全年实施重点项目150个: the year's plan."""
    if a.role == "tasks" and a.ev.kind in ("level", "share") and grammar().x["plan_year"].match(a.sent_text):
        return True, "set"
    return None


# The first rule that decides wins; none deciding means a result.
TARGET_RULES: tuple[tuple[str, Callable[[_Aim], Verdict]], ...] = (
    ("no_quantity", _t_no_quantity),
    ("past_in_clause", _t_past_in_clause),
    ("report_review", _t_report_review),
    ("modal_cue", _t_modal),
    ("review_or_past", _t_review),
    ("comparator_in_directive", _t_comparator),
    ("will_under_tasks", _t_will_under_tasks),
    ("directive_verb", _t_directive),
    ("deadline_ahead", _t_deadline_ahead),
    ("plan_year", _t_plan_year),
    ("report_plan", _t_report_plan),
)


def _is_target(a: _Aim) -> tuple[bool, str | None, str]:
    """(is an aim, modality, the deciding rule's name) by TARGET_RULES."""
    for name, rule in TARGET_RULES:
        verdict = rule(a)
        if verdict is not None:
            return verdict[0], verdict[1], name
    return False, None, "result"


# ------------------------------------------------------------ sentences


def extract(doc, outline, trace: list | None = None) -> tuple[list[Metric], list[Target]]:
    """(metrics, targets) of one document. With `trace` (a list), what each event and
    target rule decided is appended to it as a Decision."""
    text = doc.text
    g = grammar()
    x = g.x
    metrics: list[Metric] = []
    targets: list[Target] = []
    # the indicator named last carries into the next sentence of the same paragraph
    # (…地区生产总值增长*%。较一季度下降*个百分点). The period and a goal list's cue carry only
    # over sentences joined by ；, which are one sentence for the annotators (上半年，A增长X%；B增长Y%).
    para: tuple[int, str | None] = (-1, None)
    joined, goal_list, prev_par, semi_period = False, False, -1, None
    goal_dl: str | None = None  # the time a list of aims is for (今年…主要预期目标是：)
    # a period that opens a paragraph (上半年，… · 过去的一年，…) holds for the whole paragraph, and the
    # period a review part opens with (2017年工作回顾, 过去的一年) for the whole part
    para_period: str | None = None
    chain_start = 0
    part_periods = {id(p): _part_period(p, g) for p in outline.parts if p.role == "review"}
    for sent in outline.sentences:
        if sent.paragraph != prev_par:
            opener = x["period_opener"].match(sent.text)
            para_period = _own_period(opener.group("p"), g) if opener else None
        carry = joined and sent.paragraph == prev_par
        chain_start = chain_start if carry else sent.start  # where the sentences joined by ； begin
        carry_goal = goal_list and carry
        inherited = semi_period if carry else None
        joined = sent.text.rstrip().endswith(("；", ";"))
        intro = x["goal_intro"].search(sent.text)
        if intro:
            goal_dl = _goal_deadline(outline, sent, intro.start())
        elif not carry_goal:
            goal_dl = None
        goal_list = bool(carry_goal or intro) and joined
        prev_par, semi_period = sent.paragraph, inherited
        # a clause without a place in `holds` cannot hold an event (one scan for all clauses)
        holds = _holds(sent.text, sent.start)
        if not holds and not x["worth_a_look"].search(sent.text):
            continue
        last_np: str | None = para[1] if sent.paragraph == para[0] else None
        spans = clauses(sent.text, sent.start)
        if not holds:
            # no clause of it can hold an event: it can only name the indicator the next sentence goes on about
            for cs, ce in spans:
                if ce > cs:
                    named, np_, _ = _topic(text[cs:ce])
                    if named:
                        last_np = np_
            para = (sent.paragraph, last_np)
            continue
        role = outline.section_of(sent.start)[1] if outline.nodes else "other"
        # a period holds for its own sentence and those joined to it by ；, else the paragraph's or the part's
        part = part_at(outline.parts, sent.start)
        plan_part = bool(part and part.role == "plan" and outline.kind in ("work_report", "division"))
        period = inherited or para_period or (part_periods.get(id(part)) if part else None)
        sent_records: list[Metric] = []
        deadline: str | None = None
        prev_cs = None
        # a goal list opened by 目标是： runs on over the ；-joined sentences after it
        sent_mod = "set" if carry_goal else None
        topic_scope: str | None = None  # the scope of an assessment named in a clause of its own
        # the periods and deadlines written in the sentence, found when a clause holds an event or
        # the period goes on to the next sentence (most sentences that might hold one hold none):
        # the clauses passed before are read for them then, in order
        times: tuple[list, list] | None = None
        passed: list[tuple[int, int]] = []
        for cs, ce in spans:
            if ce <= cs:
                continue
            clause = text[cs:ce]
            h = bisect_left(holds, cs)
            events = _events(text, cs, ce, trace, plan_part) if h < len(holds) and holds[h] < ce else []
            passed.append((cs, ce))
            if times is None and events:
                times = _times(sent.text, g)
                period, deadline = _time_after(text, sent.start, passed, times, period, deadline, x)
            elif times is not None:
                period, deadline = _time_after(text, sent.start, passed[-1:], times, period, deadline, x)
            if not events:
                named, np_, scope_ = _topic(clause)
                if named:
                    last_np, topic_scope = np_, scope_  # 地区生产总值方面，二季度增长*%
                else:
                    subj = x["indicator_subject"].match(clause)
                    if subj and lexicon.indicator_lookup(subj.group("np")):
                        last_np = subj.group("np")  # 固定资产投资增速要扭负为正，确保…增长5%以上
            cursor = cs
            for group in _groups(text, cs, events):
                ev = group[0]
                np = _clean_np(text[cursor : ev.start])
                raw = text[cursor : ev.start]
                if ev.kind == "level" and (not np or x["directive"].fullmatch(np) or (
                        g.unit_kind.get(ev.unit or "") == "count" and (
                            x["verbish"].search(raw.rstrip("，、 ")) or raw.endswith(("和", "及", "与", "、"))
                            or ("、" in raw and x["directive"].match(_clean_np(raw)))))):
                    # the count names what it counts after its classifier: 示范县和10个省级美丽乡村 ·
                    # 打造A、B两个百亿产业集群 (the list before is the members, not the indicator)
                    np = _clean_np(_np_after(text, ev.end, ce)) or np
                elif ev.kind == "level" and g.unit_kind.get(ev.unit or "") == "money" and np and np.endswith("投资") \
                        and text[ev.end : ev.end + 1] == "的":
                    # 推进总投资103.7亿元的棚户区改造工程: the investment of what follows
                    after = _clean_np(_np_after(text, ev.end + 1, ce))
                    np = after + ("总投资" if np.endswith("总投资") else "投资") if after else np
                elif ev.kind == "level" and (g.unit_kind.get(ev.unit or "") == "count" and _work_then_place(raw, np)
                                             or x["only_verbs"].fullmatch(np or "")):
                    # 完成城区6条道路提升改造 · 全面完成17个奶牛养殖小区项目建设: the count names what it
                    # counts after its classifier; a place before it is part of the name (城区道路提升改造)
                    place = _work_then_place(raw, np)
                    after = _clean_np(_np_after(text, ev.end, ce))
                    np = ((_clean_np(place.group("place")) if place else "") + after) if after else np
                elif np and x["directive"].match(np):
                    np = _clean_np(np[x["directive"].match(np).end() :]) or np
                if (np in g.cues["rate_words"] or np in g.cues["change_words"]) and last_np and not last_np.endswith(np):
                    np = last_np + np  # 增速位列全省第二: the rate of the indicator named before
                rate_items = None
                if np and last_np and x["rate_list"].fullmatch(np):
                    rate_items = [last_np + w for w in _rx(r"[和、及]").split(np)]  # 总量和增速均居全市第3位
                cursor = ev.end
                lead = x["each_lead"].match(clause)
                earlier = _distinct([r for r in sent_records if r.start < cs and r.measure != "rank"])
                pairs: list[tuple[str | None, _Event]]
                if rate_items and len(group) == 1:
                    pairs = [(i, ev) for i in rate_items]
                elif len(group) > 1:
                    items: list[str | None] = list(_split_list(np, r"[、和]")) if np and _rx("[、和]").search(np) else []
                    if len(items) != len(group) and len(group) == 2 and (np or last_np or "").startswith("城乡"):
                        # 城乡居民人均可支配收入分别达到…、…: the towns' and the villages' figures, in that order
                        rest = (np or last_np or "")[2:]
                        items = ["城镇" + rest, "农村" + rest]
                    if len(items) != len(group):
                        items = [r.indicator for r in earlier[-len(group):]] if not np and len(earlier) >= len(group) else [np or last_np] * len(group)
                    pairs = list(zip(items, group))
                elif ev.kind in ("rank", "growth", "delta") and np and "、" in np:
                    pairs = [(i, ev) for i in _split_list(np)]
                elif ev.kind == "rank" and not np and lead and lead.group(1) != "分别" and len(earlier) > 1:
                    pairs = [(r.indicator, ev) for r in earlier]  # 均位居全市前列
                elif ev.kind in ("growth", "delta") and not np and lead and len(earlier) > 1 \
                        and len({r.measure for r in earlier[-2:]}) == 1:
                    # A、B分别达到…，分别同比增长7.8%: one rate said of each of the names before
                    pairs = [(r.indicator, ev) for r in earlier[-2:]]
                else:
                    pairs = [(np or last_np, ev)]
                if ev.name:  # the event's own match names the indicator (全市县城建设第一梯队)
                    pairs = [(ev.name, ev)]
                pairs = [(f"{i or ''}{e.suffix}" if e.suffix else i, e) for i, e in pairs]
                rel = ev.start - sent.start
                has_cmp = bool(x["target_comparator"].search(text[max(sent.start, ev.start - 4) : ev.end + 3])) or \
                    "至少" in text[max(sent.start, ev.start - 8) : ev.start]  # 至少新开工1个: a floor set a verb away
                # 争取中央和省级资金12.6亿元 reports money obtained: the not-modality words are no directive either
                directive = bool(x["directive"].match(clause)) and not g.not_modality.match(clause.lstrip()) \
                    and not x["past"].search(text[sent.start : ev.start])
                is_t, mod, why = _is_target(_Aim(sent.text, rel, ev, role, has_cmp, directive, sent.text[:rel],
                                                 outline.part_at(sent.start), outline.kind))
                rank_mod = _modality(sent.text, rel) if ev.kind == "rank" else None
                if rank_mod in ("must", "strive"):
                    # 力争综合考核进入全市前五: an aim for a place is a target on the ranking (前N: at most N);
                    # one for a tier (确保…第一方阵) has no number and is no target
                    pos = ev.rank.position if ev.rank else None
                    if isinstance(pos, int) and not (ev.rank and ev.rank.from_bottom):
                        rank_ind = (np or last_np or "")
                        if not rank_ind.endswith(("排名", "位次", "排位")):
                            rank_ind = f"{rank_ind}{(ev.rank.scope if ev.rank else None) or ''}排名"
                        targets.append(Target(
                            doc=doc.doc_id, evidence=text[cs:ce], start=cs, end=ce, indicator=rank_ind,
                            measure="rank", direction=None,
                            indicator_key=None, comparator="<=" if "前" in text[ev.start:ev.end] else "=",
                            value=pos, unit=None, modality=rank_mod, rule=f"{ev.rule}+rank_aim",
                            deadline=_deadline_for(text, sent.start, ev.start, deadline, ev.end, ce, sent.end)))
                        if trace is not None:
                            trace.append(Decision(ev.start, ev.end, "target", "rank_aim", "target"))
                    elif trace is not None:
                        trace.append(Decision(ev.start, ev.end, "target", "rank_aim", "dropped: an aim for a tier (确保…第一方阵)"))
                    continue
                ev_start = cs
                if len(_rx(rf"{MASK}|[\W_]").sub("", text[cs:ce])) < 6 and prev_cs is not None:
                    ev_start = prev_cs  # 同比下降XX alone is too short to show; take the clause before too
                if not is_t and ev.kind != "rank" and ev.value is not None:
                    is_t, mod, why = _late_aim(doc, text, sent, ev, sent_mod, chain_start) or (is_t, mod, why)
                if is_t:
                    sent_mod = mod
                if trace is not None:
                    trace.append(Decision(ev.start, ev.end, "target", why, "target" if is_t else "metric"))
                for ind, e in pairs:
                    measure, direction = e.kind, e.direction
                    if not is_t and e.kind == "level" and e.unit == "%" and ind and ind.endswith(("增速", "增幅")) \
                            and len(ind) > 4 and isinstance(e.value, (int, float)):
                        # 增速回升至3.5% · 增速由-2.1%回升至3.5%: a growth rate, named without 增速
                        measure, direction, ind = "growth", "down" if e.value < 0 else "up", ind[:-2]
                    key = lexicon.indicator_lookup(ind)
                    if is_t:
                        targets.append(Target(
                            doc=doc.doc_id, evidence=text[ev_start:ce], start=ev_start, end=ce,
                            indicator=ind, indicator_key=key["key"] if key else None,
                            comparator=_comparator(text, e.start, e.end), value=e.value, unit=e.unit,
                            deadline=_deadline_for(text, sent.start, e.start, deadline, e.end, ce, sent.end) or goal_dl
                            or (_year_ahead(text, chain_start, e.start) if why == "year_ahead" else None),
                            modality=mod if mod in ("must", "strive") else (_later_modality(text, ce, sent.end) or "set"),
                            measure=measure, direction=direction, rule=f"{e.rule}+{why}",
                        ))
                        continue
                    rec = Metric(
                        doc=doc.doc_id, evidence=text[ev_start:ce], start=ev_start, end=ce,
                        indicator=ind, indicator_key=key["key"] if key else None, period=period,
                        measure=measure, value=e.value, unit=e.unit, direction=direction,
                        rank=replace(e.rank, scope=topic_scope) if e.rank and topic_scope and not e.rank.scope else e.rank,
                        compare_to=e.compare_to or (_baseline_before(text, sent.start, e.start)
                                                    if e.kind == "delta" else None),
                        rule=e.rule,
                    )
                    metrics.append(rec)
                    sent_records.append(rec)
                if np and "、" not in np:
                    last_np = np
            prev_cs = cs
        if times is None and joined:  # (the next sentence, joined by ；, takes this one's period)
            period, deadline = _time_after(text, sent.start, passed, _times(sent.text, g), period, deadline, x)
        para = (sent.paragraph, last_np)
        semi_period = period
    return metrics, targets


def _times(sentence: str, g: _Grammar) -> tuple[list, list]:
    """The spans of the periods and of the deadlines written in a sentence."""
    return [m.span() for m in g.period.finditer(sentence)], [m.span() for m in g.deadline.finditer(sentence)]


def _time_after(text: str, ss: int, spans: list[tuple[int, int]], times: tuple[list, list], period, deadline,
                x: dict):
    """The period and deadline in force after the clauses `spans` of the sentence starting at ss,
    read in order: the last period written in them (not a baseline or a whole: 较一季度,
    全年投资计划的52%) and the last deadline, else those in force before them."""
    periods, deadlines = times
    for cs, ce in spans:
        clause = text[cs:ce]
        rs, re_ = cs - ss, ce - ss
        for a, b in periods:
            if a < rs or b > re_:
                continue
            a, b = a - rs, b - rs
            if clause[max(0, a - 1) : a] in ("较", "比", "与", "同", "和", "于") or (
                    clause[max(0, a - 1) : a] in ("从", "由", "是", "为") and clause[b : b + 1] in ("的", "第")) or clause[b : b + 2] in ("同期", "相比", "确定", "安排") \
                    or x["whole_after"].match(clause, b):
                continue  # 较一季度, 与年初确定的目标, 完成全年投资计划的52%: a baseline or a whole, not the period
            period = clause[a:b]
        for a, b in deadlines:
            if rs <= a and b <= re_:
                deadline = text[cs + a - rs : cs + b - rs]
    return period, deadline


def _work_then_place(raw: str, np: str | None):
    """完成城区 before a count: a work verb, then a short place that is all the name left."""
    x = grammar().x
    m = x["work_then_place"].search(raw)
    if not m or not np or not np.endswith(m.group("place")):
        return None
    rest = np[: len(np) - len(m.group("place"))]
    return m if not rest or x["only_verbs"].fullmatch(rest) else None


def _own_period(words: str, g: _Grammar) -> str | None:
    """The period named by `words` (as written), or None when they name none."""
    m = g.period.search(words)
    return m.group(0) if m else None


def _part_period(part, g: _Grammar) -> str | None:
    """The period a review part is about, as written where it opens: 过去的一年, 2008年,
    五年来, or the year of its heading (2017年工作回顾)."""
    return _own_period(part.cue, g)


def _groups(text: str, cs: int, events: list[_Event]) -> list[list[_Event]]:
    """Values written together (分别增长X%、Y%; 税收收入、非税收入分别达到5.2亿元、2.1亿元) form one group."""
    groups: list[list[_Event]] = []
    for ev in events:
        if groups and ev.multi and groups[-1][0].multi and groups[-1][0].start == ev.start:
            groups[-1].append(ev)
        elif groups and ev.kind == "level" and groups[-1][-1].kind == "level" and groups[-1][-1].unit == ev.unit \
                and text[groups[-1][-1].end : ev.start] in ("、", "和", "及") \
                and "分别" in text[cs : groups[-1][0].start]:
            groups[-1].append(ev)  # one value for each name
        else:
            groups.append([ev])
    return groups


def _goal_deadline(outline, sent, intro_at: int) -> str | None:
    """The time a list of aims is for: the time word before its 目标是： (今年, 2021年), else
    the year its section's heading names, else 全年 for the year's main aims (预期目标)."""
    x = grammar().x
    found = None
    for found in x["goal_time"].finditer(sent.text, 0, intro_at):
        pass
    if found:
        return found.group(0)
    heads, _ = outline.section_of(sent.start)
    for head in reversed(heads):
        m = regex.search(r"(?:19|20)\d\d年", head)
        if m:
            return m.group(0)
    return "全年" if x["main_goals"].search(sent.text) else None


def _late_aim(doc, text: str, sent, ev: _Event, sent_mod: str | None,
              chain_start: int | None = None) -> tuple[bool, str, str] | None:
    """Cues that make a figure an aim after TARGET_RULES found none: a goal list's cue before
    it (明确A增长*%、B增长*%), 等…目标 after it, or a year still ahead (到2025年…)."""
    x = grammar().x
    if sent_mod and not x["past"].search(text[sent.start : ev.start][-10:]):
        return True, sent_mod, "goal_list"
    if x["goal_after"].match(text[ev.end : sent.end]):
        return True, "set", "goal_named_after"
    # (the year may open the first of the sentences joined by ；: 到2025年，…；城镇化率达到58%)
    fy = x["by_year"].search(text, sent.start if chain_start is None else chain_start, ev.start)
    if fy and int(fy.group(1)) >= int((doc.meta or {}).get("year") or 0):
        return True, "set", "year_ahead"  # 到2025年，规上工业企业达到200家
    return None


def _year_ahead(text: str, start: int, ev_start: int) -> str | None:
    """The 到2025年 that opens the clauses before a figure (its deadline, as written)."""
    fy = grammar().x["by_year"].search(text, start, ev_start)
    return fy.group(0)[1:] if fy else None


def _baseline_before(text: str, sent_start: int, ev_start: int) -> str | None:
    """未达到序时进度（地区生产总值差*个百分点、…）: a gap with no baseline of its own is measured
    against the schedule or average named before it in the sentence."""
    m = None
    for m in grammar().x["baseline"].finditer(text, sent_start, ev_start):
        pass
    return m.group(0) if m else None


def _deadline_for(text: str, sent_start: int, ev_start: int, carried: str | None, ev_end: int = 0,
                  clause_end: int = 0, sent_end: int = 0) -> str | None:
    """The last deadline before the number in its sentence, else one later in its own clause
    (17个项目在10月底前全部开工), else the one carried from an earlier clause, else one in a
    later clause of the sentence that holds no number of its own (推进XX项民生工程，力争10月底前基本完成),
    else 全年 for an aim set at the start of the year (年初明确…增长*%)."""
    dl = grammar().deadline
    m = None
    for m in dl.finditer(text, sent_start, ev_start):
        pass
    if m is None and ev_end < clause_end:
        m = dl.search(text, ev_end, clause_end)
    if m:
        return m.group(0)
    if carried:
        return carried
    for clause in _later_clauses(text, clause_end, sent_end):
        m = dl.search(clause)
        if m:
            return m.group(0)
    if "年初" in text[sent_start:ev_start]:
        return "全年"
    return None


def _later_clauses(text: str, clause_end: int, sent_end: int) -> Iterator[str]:
    """The clauses after a number's own, up to the first that holds a number of its own (a date's digits do
    not count): what they say of time and resolve covers the number (…XX项民生工程，力争10月底前基本完成)."""
    g = grammar()
    tail = text[clause_end:sent_end] if clause_end < sent_end else ""
    for a, b in clauses(tail):
        clause = tail[a:b]
        if g.x["has_number"].search(g.deadline.sub("", clause)):
            return
        yield clause


def _later_modality(text: str, clause_end: int, sent_end: int) -> str | None:
    """must or strive said in a later clause about the number before it (…，力争10月底前基本完成)."""
    for clause in _later_clauses(text, clause_end, sent_end):
        mod = _modality(clause, len(clause))
        if mod in ("must", "strive"):
            return mod
    return None
