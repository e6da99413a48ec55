"""Stage 3a: indicator values, growth, deltas, shares, ranks, and quantified targets.

Each sentence is cut into clauses; in each clause we find *events*, spans that
state a measure (增长*%, 排全市第3, 占年计划92.4%, 签约项目12个), attach each to
the indicator noun phrase before it (or carried from the previous clause), the
period named earlier in the sentence or paragraph, and a baseline. A clause
with a target cue (确保, 力争, 目标, 以上/以内/左右 in a directive sentence) gives
a Target instead of a Metric. Lists distribute: `A、B、C增速位列全市第一` is three
ranks, `分别增长X%、Y%` two growths, `均位居全市前列` one rank per metric before it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache

import regex

from . import lexicon
from .lexicon import rx as _rx
from .lexicon import words
from .numbers import FRACTION, MASK, NUMBER, parse
from .records import Metric, Rank, Target

# ------------------------------------------------------------ patterns


def _alt(words) -> str:
    return "|".join(regex.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class _P:
    units: regex.Pattern
    unit_kind: dict
    level: regex.Pattern
    growth: regex.Pattern
    delta: regex.Pattern
    share: regex.Pattern
    rank_place: regex.Pattern
    rank_tier: regex.Pattern
    zero: regex.Pattern
    bare_mask: regex.Pattern
    bound: regex.Pattern
    period: regex.Pattern
    deadline: regex.Pattern
    modality: list
    growth_down: set
    delta_down: set
    rank_falls: frozenset
    scopes: frozenset
    scope_before: regex.Pattern
    scope_tail: regex.Pattern
    not_modality: regex.Pattern
    delta2: regex.Pattern
    directive: regex.Pattern
    deadline_lead: regex.Pattern
    anchors: dict


@cache
def P() -> _P:
    m = lexicon.rules("measures.yaml")
    c = lexicon.rules("metric_cues.yaml")
    kind = {u: k for k, us in m["units"].items() for u in us}
    units = _alt(kind)
    approx_b = _alt(m["approx_before"])
    scopes = _alt(m["scopes"])
    # before a rank verb only the plain scopes (在全省县域经济考核中: the scope is 全省, 县域… is the name)
    plain_scopes = r"\p{Han}{2,3}片区|" + _alt(s for s in m["scopes"] if not (s.startswith("全") and len(s) > 2))
    num = NUMBER
    # open scope: 全市, 渝东北, 县域组, *个重点县, 32个区县中 — short, before 第/前/倒数
    # an open scope (two to four characters) only right after a rank verb: 排渝东北第*
    scope = rf"(?P<scope>\p{{Han}}{{2,3}}片区|(?:{scopes})|{MASK}个\p{{Han}}{{1,4}}?|\d+个\p{{Han}}{{1,4}}?|\p{{Han}}{{2,4}}?组|(?<=排|居|列|位于|排名)(?!倒数|名|在)\p{{Han}}{{2,4}}?(?=倒数|第))"
    rverbs = _alt(c["rank_verbs"])
    tiers = "|".join(c["tiers"])
    growth_words = _alt(c["growth_up"] + c["growth_down"])
    delta_words = _alt(c["delta_up"] + c["delta_down"])
    pct = r"(?:%|‰|个百分点|百分点)"
    return _P(
        units=regex.compile(units),
        unit_kind=kind,
        level=regex.compile(
            rf"(?:(?<![签节预制公契违履特集相邀])(?P<pre>{approx_b}))?(?P<num>{num})(?P<approx>余|多)?(?P<unit>{units})(?![\p{{Han}}]*?[年月日]底?前)"
        ),
        growth=regex.compile(
            rf"(?P<cmp>同比|比上年|较上年|比去年|较去年同期|较去年|比去年同期|与去年同期相比|较同期|同口径|可比口径)?(?P<verb>{growth_words})"
            rf"(?:为|了|达到?)?(?:近|约|超过|超)?(?:[（(])?(?P<num>{num})(?P<unit>%|‰|个百分点|百分点|成(?!\p{{Han}})|倍)?(?:[)）])?(?P<more>(?:[、和及]{num}(?:%|‰)?)+)?"
            rf"|(?P<verb2>负增长)(?![（(]?-?\d)|(?P<verb3>翻一番|翻两番|翻番)"
            # a signed rate in brackets after the indicator: 一般公共预算收入（-1.8%）、税收收入（+3.2%）
            rf"|(?<=\p{{Han}})[（(](?P<pnum>[-+－−](?:\d+(?:\.\d+)?|{MASK}))%[)）]"
        ),
        delta=regex.compile(
            rf"(?P<base>同比|(?:较|比|与)\p{{Han}}{{0,8}}?(?:相比)?|(?<=低于|高于|超过)\p{{Han}}{{0,10}}?|(?<=差)(?![距异])\p{{Han}}{{0,10}}?)?"
            rf"(?<![不至])(?P<verb>{delta_words})(?!值|距|异)(?P<base2>(?:全市|全省|全国)?\p{{Han}}{{0,8}}?(?:、\p{{Han}}{{1,6}}){{0,5}}?)?(?P<each>分别|各)?"
            rf"(?P<nums>{num}(?:[、和及]{num})*)(?P<unit>个百分点|百分点|个位次|位次|位|名|天|个)"
        ),
        share=regex.compile(
            rf"(?:占(?!比)(?P<base>\p{{Han}}{{0,12}}?)(?:的)?(?:比重|比例)?(?:为|达到?|的)?"
            # the whole a part is completed of: 年度计划, 全年目标任务, 年初预算, 总体进度
            rf"|完成(?P<base2>(?:年度|全年|年初|当年|年)?(?:目标任务|投资计划|目标|计划|任务|预算)|总体进度|序时进度|进度)?的?)"
            rf"(?P<nums>{num}(?:%?[、和]{num})*)(?P<unit>%|成)"
            rf"|(?P<rate>完成率)(?:为|达到?)?(?P<num>{num})(?P<unit2>%)?"
            # a fraction of a whole: 为年度预算的1/4, 占全县的三分之一
            rf"|(?:占|为|完成)(?P<base3>\p{{Han}}{{1,10}}?)的(?P<frac>{FRACTION})"
        ),
        rank_place=regex.compile(
            rf"(?P<verb>{rverbs})?(?:{scope}(?:(?:中|里|当中|之中)(?P<verb_b>{rverbs}))?)?(?P<bottom>倒数)?(?:第(?P<pos>{num}|[一二三四五六七八九十]+)(?:位|名)?(?!方阵|梯队|产业|批|次|季度|届|个)"
            rf"|(?P<fb>前|后)(?P<top>{num}|[一二三四五六七八九十]+)(?:位|名)?(?!方阵|季度|个月|\d*月))"
        ),
        rank_tier=regex.compile(
            rf"(?P<verb>{rverbs})?(?P<scope>(?:{scopes})|\p{{Han}}{{2,4}}?组)?(?:位次|排名|排位)?(?P<tier>{tiers})"
            rf"|(?P<bottom2>排名靠后|排位倒数|排名倒数|排名后列)"
            # with the scope between: 排名全市倒数, 位次全省靠后 (倒数第* is a place, read by rank_place)
            rf"|(?:排名|排位|位次)(?P<scope2>{scopes})(?P<bottom3>倒数|靠后|后列)(?!第|{MASK}|[\d一二三四五六七八九十])"
        ),
        zero=regex.compile(r"(?P<what>无一(?P<u>人|例|户|起|家))|(?:零(?P<what2>死亡|感染|伤亡|事故|发生|确诊|返贫))"),
        bare_mask=regex.compile(rf"(?P<pre>率|指数|完成|达到|为|增长)(?P<num>{MASK})(?![%\p{{Han}}]*?(?:{units}))"),
        # 综合指数控制在4.5以下 / 保持在90以上: a unitless number right after a bounding verb, closed by a
        # comparator word or the clause end (with a unit after it, `level` reads it instead)
        bound=regex.compile(
            rf"(?P<pre>{_alt(c['le_before'] + c['ge_before'])})(?P<num>{num})"
            rf"(?=(?:{_alt(c['le_after'] + c['ge_after'] + c['approx_after'])})|[，,。；;]|$)"
        ),
        period=regex.compile("|".join(f"(?:{p})" for p in m["periods"])),
        deadline=regex.compile("|".join(f"(?:{p})" for p in c["deadlines"])),
        modality=[(mod, regex.compile(_alt(words))) for mod, words in c["modality"].items()],
        growth_down=set(c["growth_down"]),
        rank_falls=frozenset(c["rank_falls"]),
        delta_down=set(c["delta_down"]),
        scopes=frozenset(m["scopes"]),
        # a rank's scope written earlier in its clause: 在全市排名由第8位上升到第5位 · 在全市营商环境评价中获评优秀
        scope_tail=regex.compile(rf"在?(?:\p{{Han}}{{2,3}}片区|{scopes})(?:排名|排位|位次)?$"),
        # (or opening the clause, above the county's own level: 全省乡村振兴战略实绩考核实现“两连优”)
        scope_before=regex.compile(rf"(?:(?<=在|于)(?P<a>{plain_scopes})|(?P<b>{plain_scopes})(?=排名|排位|位次|第|前|后|倒数|考核|评价|范围)"
                                   rf"|^(?P<c>全国|全省|全市|全州))"),
        not_modality=regex.compile(_alt(c.get("not_modality") or ["\0"])),
        # 比第*的巫溪低*个百分点, 较去年同期多3天: the baseline first, then a short verb
        delta2=regex.compile(
            rf"(?P<base>(?:比|较)\p{{Han}}{{0,3}}?(?:第?{num})?\p{{Han}}{{0,6}}?)(?P<verb>低|高|快|慢|多|少|降低|提高)(?:出|了)?(?P<nums>{num})(?P<unit>{pct}|位|个位次|天)"
        ),
        directive=regex.compile(rf"^(?:要|还要|并|同时|继续|全力|着力|重点|积极|大力|扎实)?(?:{_alt(c['directive_verbs'])})"),
        deadline_lead=regex.compile(rf"(?:{c['deadline_lead']})(?P<rest>[^，；：,;:]*)$"),
        # literal words each pattern needs: a clause without them skips the pattern (speed);
        # plain word lists, so `words` compiles them with the standard library's faster scanner
        anchors={
            "growth": words(rf"{growth_words}|负增长|翻一番|翻两番|翻番|[（(][-+－−]"),
            "delta": words(r"百分点|位次|[位名天个]"),
            "share": words(r"占|完成|分之|\d/\d"),
            # what rank_place cannot do without: 第/前/后 before a number or placeholder (前期, 然后 are no ranks)
            "rank": words(r"[第前后][\d一二三四五六七八九十两零〇百千*＊Xx×□○]"),
            "tier": regex.compile(rf"{tiers}|排名靠后|排位倒数|排名倒数|排名后列|(?:排名|排位|位次)\p{{Han}}{{2,4}}(?:倒数|靠后|后列)"),
            "level": words(units),
            "bound": words(_alt(c["le_before"] + c["ge_before"])),
        },
    )


_CLAUSE_SPLIT = words(r"[，,：:；;]")  # (a character class: re scans it faster)
_LIST_SPLIT = regex.compile(r"[、]|和(?=\p{Han}{2})|及(?=\p{Han}{2})")
_LEAD_STRIP = regex.compile(
    r"^(?:(?:虽然|尽管|但是|但|而且|[一二三四五六七八九十]是|首先|其次|再次|在(?=全|我|本)|每个(?:乡镇|镇街|镇|乡|部门|单位|村|街道|园区)|至少|其中|全县|全区|全市|全镇|全乡|全街道|我县|我区|我市|我镇|我乡|本县|本镇|县域(?!经济)|我们|共|累计|实现了?|完成了?(?!率|情况|任务|目标|进度|计划)(?=\p{Han}{2})|"
    r"同比|并|并且|且|同时|以及|和|及|比如|例如|另外|此外|还|已经|已|仅|只有|只|均|都|分别|今年以来|今年|去年|上半年|"
    r"前三季度|[一二三四]季度(?:末|底)?前?|截至目前|目前|当前|至今|是|为|有|确保|力争|争取|努力|务必|必须|全年|年内|年底前?|明年|"
    r"要|还要|进一步|持续|继续|预计|全年|"
    # who set the aim, or who is told to reach it: 县委明确全年… · 各乡镇要确保秸秆综合利用率…
    r"(?:县委|县政府|县上|区委|区政府|市委|市政府|市里|省里|镇党委|镇政府|我们)?(?:明确|提出|确定|下达)了?|"
    r"(?:各|县|区|市)?\p{Han}{0,8}?(?:乡镇|镇街|街道|部门|单位|局|委|办|中心|各村|社区)(?:要|务必|必须|一定要))[，、]?)+"
)
_TAIL_STRIP = regex.compile(
    r"(?:方面|达到?|为|是|实现|创|累计|共|有|已|仅|只有|只|同比|分别|均|都|较\p{Han}{0,4}|比上年|共计|合计|完成了|预计完成|预计|"
    r"首次出现|出现|由|从|在|的|了|中|上|控制|稳定|保持|完成|年均|突破|超过|不低于|不超过|力争|确保|"
    # comparators and "raised to" verbs between the name and its number: 天数不少于320天 · 覆盖率提高到63.5%
    r"不少于|不高于|少于|多于|高于|低于|至少|(?:提高|提升|增加|增长|上升|下降|降低|减少|扩大|压减|压降|压缩|缩短|缩减|跃升|攀升|回升|回落|恢复)(?:到|至)|"
    # the aim's modal verbs and who set it: 能耗要控制在… · 综合指数市里要求控制在…
    r"(?:市里|省里|上级|省|市|县里)?要求|必须|务必|一定要|争取|要|"
    # the count of a list before its shared rank: 固定资产投资、工业投资两项指标排在A档
    # how a rate was computed: 地区生产总值按可比价增长 · 按可比价格计算
    r"按可比价格?(?:计算)?|按|"
    r"(?<=\p{Han})(?:等)?[\d一二两三四五六七八九十]+项(?:主要|核心|关键)?(?:经济)?指标|"
    # how long a state has lasted: 增速连续三个月排名全市倒数
    r"连续[\d一二两三四五六七八九十]+(?:个月|个季度|季度|年|次))+$"
)
_VERB_CUT = regex.compile(r"(完成|实现|开工|竣工|达到|落地|列入|纳入|签约|引进|建成|获得|荣获|入选|被|全面|全部|扎实|成功)")


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
    prefix_end: int = 0  # where the indicator phrase before the event ends (absolute)
    after_np: str | None = None  # indicator written after the number (195个重点项目)
    multi: bool = False  # one of several values written together (分别增长X%、Y%)


def _fold_period(p: str) -> str:
    return p


# ------------------------------------------------------------ events in a clause


_MASK_CHAR = regex.compile(r"[*＊Xx×□○]")
# a class written in Roman numerals (water quality, grades): Ⅱ类标准, III类水体
_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_CLASS = regex.compile(r"(?<![A-Za-z])(?P<num>[ⅠⅡⅢⅣⅤ]|III|II|IV|I|V)类")


@cache
def _can_hold() -> regex.Pattern:
    """What a clause needs for any event pattern to match in it (a superset, built from the
    same rules): a digit, a placeholder or 百分之; a Chinese numeral in a position some
    pattern reads one (before a unit, after 第/前/后 or a bounding verb); or one of the
    wordings that state a measure without a number (tiers, grades, 无一人, 负增长, 翻番).
    Most clauses of a speech hold a 一 or 万 only inside words (进一步, 千方百计): they skip
    every pattern at the cost of this one search."""
    m = lexicon.rules("measures.yaml")
    c = lexicon.rules("metric_cues.yaml")
    han = "[零〇一二两三四五六七八九十百千万亿]"
    units = _alt([u for us in m["units"].values() for u in us])
    bounds = _alt(c["le_before"] + c["ge_before"])
    wordings = "|".join(c["tiers"]) + "|排名靠后|排位倒数|排名倒数|排名后列|较好|较差|优秀|良好|合格|完成率|负增长|翻一番|翻两番|翻番|分之|倒数|靠后"
    return regex.compile(rf"\d|{_MASK_CHAR.pattern}|{_CLASS.pattern}|百分之|{han}+(?:点[零〇一二三四五六七八九]+)?(?:余|多)?(?:{units})"
                         rf"|(?:第|前|后){han}|(?:{bounds}){han}|{P().zero.pattern}|{wordings}")


def _events(text: str, cs: int, ce: int, mask_at, gated: bool = False) -> list[_Event]:
    """The events of clause text[cs:ce]; `gated`: the caller knows _can_hold() matches in it."""
    p = P()
    clause = text[cs:ce]
    if not gated and not _can_hold().search(clause):
        return []
    found: list[tuple[int, _Event]] = []  # (priority, event)
    a = p.anchors

    for m in (p.growth.finditer(clause) if a["growth"].search(clause) else ()):
        if m.group("pnum"):
            val = parse(m.group("pnum").replace("－", "-").replace("−", "-").lstrip("+"))
            down = m.group("pnum")[0] in "-－−"
            if isinstance(val, (int, float)) and down:
                val = -abs(val)
            found.append((2, _Event("growth", cs + m.start(), cs + m.end(), val, "%", "down" if down else "up")))
            continue
        if m.group("verb3"):
            ev = _Event("growth", cs + m.start(), cs + m.end(), 100, "%", "up")
        elif m.group("verb2"):
            ev = _Event("growth", cs + m.start(), cs + m.end(), None, None, "down")
        else:
            unit = m.group("unit")
            verb = m.group("verb")
            numtxt = m.group("num")
            if unit in ("个百分点", "百分点"):
                continue  # a delta
            if not unit and not regex.fullmatch(MASK, numtxt):
                continue  # 增长3 with no unit: not a rate we can trust
            if _rx(r"[一二三四五六七八九十两百千万]").match(numtxt) and unit not in ("成", "倍"):
                continue  # 提高一步: Chinese numerals only in 两成, 一倍
            down = verb in p.growth_down or verb.endswith(("下降", "减少", "降低", "回落", "下滑", "下跌"))
            nums = [numtxt] + [x for x in _rx(r"[、和及%‰]+").split(m.group("more") or "") if x]
            for n in nums:
                val = parse(n)
                neg = isinstance(val, (int, float)) and val < 0
                ev = _Event("growth", cs + m.start(), cs + m.end(), val, unit, "down" if down or neg else "up")
                ev.compare_to = m.group("cmp")
                ev.multi = len(nums) > 1
                found.append((2, ev))
            continue
        found.append((2, ev))

    has_delta = a["delta"].search(clause)
    for m in (p.delta.finditer(clause) if has_delta else ()):
        verb = m.group("verb")
        unit = m.group("unit")
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
        down = verb in p.delta_down
        comp = base or base2
        if comp:
            comp = comp.rstrip("相比")
        bases = None
        if base2 and "、" in base2 and (each or len(nums) > 1):
            bases = [b for b in base2.split("、") if b]
        vals = [parse(n) for n in nums] if len(nums) > 1 else [parse(m.group("nums"))]
        if bases and len(vals) == 1 and each == "各":
            vals = vals * len(bases)
        start = cs + m.start()
        if base and base.startswith(("较", "比", "与")) and m.start("base") >= 0:
            start = cs + m.start()
        for k, v in enumerate(vals):
            ev = _Event("delta", start, cs + m.end(), v, unit, "down" if down else "up")
            ev.compare_to = bases[k] if bases and k < len(bases) else comp
            ev.multi = len(vals) > 1
            found.append((1, ev))

    for m in (p.delta2.finditer(clause) if has_delta else ()):
        verb = m.group("verb")
        ev = _Event("delta", cs + m.start(), cs + m.end(), parse(m.group("nums")), m.group("unit"),
                    "down" if verb in ("低", "慢", "少", "降低") else "up")
        ev.compare_to = _rx(r"^(比|较)").sub("", m.group("base")) or None
        found.append((1, ev))

    for m in (p.share.finditer(clause) if a["share"].search(clause) else ()):
        if m.group("rate"):
            ev = _Event("share", cs + m.start(), cs + m.end(), parse(m.group("num")), m.group("unit2"))
            found.append((1, ev))
            continue
        if m.group("frac"):  # as written, with no unit: 1/4 → 0.25
            found.append((1, _Event("share", cs + m.start(), cs + m.end(), parse(m.group("frac")), None)))
            continue
        nums = _rx(r"%?[、和]").split(m.group("nums"))
        for n in nums:
            ev = _Event("share", cs + m.start(), cs + m.end(), parse(n), m.group("unit"))
            # the whole a share is of (年度计划, 全市) is no baseline in the exchange format: compare_to stays empty
            ev.multi = len(nums) > 1
            found.append((1, ev))

    for m in (p.rank_place.finditer(clause) if a["rank"].search(clause) else ()):
        verb, scope = m.group("verb") or m.group("verb_b"), m.group("scope")
        bottom = bool(m.group("bottom")) or m.group("fb") == "后"
        if not (verb or scope or m.group("bottom")):
            continue
        if m.group("fb") and not scope and verb not in ("排名", "排", "位居", "位列", "居", "跻身", "进入", "排在"):
            continue
        if scope and not verb and scope not in p.scopes and not _rx(r"(组|片区|县|区县|个\p{Han}{1,3})$").search(scope):
            continue  # an open scope (two or three characters before 第) needs a rank verb
        if verb in ("是", "为", "在", "获", "获得", "保持", "列") and not scope and not m.group("bottom"):
            continue
        if clause[m.end() : m.end() + 1] == "的":
            continue  # 排名后三位的单位: a group named by its rank, not a reported rank
        pos_txt = m.group("pos") or m.group("top")
        pos = parse(pos_txt) if pos_txt else None
        if isinstance(pos, float) and pos.is_integer():
            pos = int(pos)
        scope = scope or _scope_before(clause, m.start())
        rk = Rank(scope=scope, position=int(pos) if isinstance(pos, float) else pos, from_bottom=bottom, tier=None)
        ev = _Event("rank", cs + m.start(), cs + m.end(), pos, None, None, rk)
        if verb in p.rank_falls:
            ev.direction = "down"
        found.append((0, ev))

    for m in (p.rank_tier.finditer(clause) if a["tier"].search(clause) else ()):
        if m.group("bottom2") or m.group("bottom3"):
            rk = Rank(scope=m.group("scope2"), position=None, from_bottom=True, tier=None)
            found.append((0, _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)))
            continue
        verb, scope, tier = m.group("verb"), m.group("scope"), m.group("tier")
        tier_clean = tier.strip("“”")
        if tier_clean.endswith("等次"):
            tier_clean = tier_clean[:-2].strip("“”")
        if clause[m.end() : m.end() + 1] == "的" or (tier_clean in ("前列", "靠前", "前茅") and not scope and verb in (None, "在", "是", "为")):
            continue  # 排名靠前的单位 is a group of units; 走在前列 a boast
        if _STREAK.search(tier) and (_rx(r"^”?[^，；。]{0,10}?目标").match(clause[m.end():])
                                     or _rx(r"(?:围绕|争创|争取|力争|冲刺|瞄准|奋力|实现)“?$").search(clause[: m.start()])
                                     and "目标" in clause[m.end():]):
            continue  # 围绕“两连冠、三连优”总目标: a streak named as an aim, not won
        if not (verb or scope) and not tier.endswith("等次") and not _rx(r"[A-E]档").match(tier) \
                and not _STREAK.search(tier):
            # a bare 前列/靠前 needs a scope or a rank verb; 评价较差 is handled below
            continue
        if _rx(r"[A-E]档").match(tier) and not (verb or scope):
            pre = clause[max(0, m.start() - 2) : m.start()]
            if not _rx(r"(在|排|为|是|列|居|获)$").search(pre):
                continue
        rk = Rank(scope=scope or _scope_before(clause, m.start()), position=None,
                  from_bottom=tier_clean in ("靠后", "末位", "后列"), tier=tier_clean)
        found.append((0, _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)))
    # 评价较差 / 评价“较好”
    for m in _GRADE.finditer(clause):
        rk = Rank(scope=None, position=None, from_bottom=False, tier=m.group(1))
        found.append((0, _Event("rank", cs + m.start(), cs + m.end(), None, None, None, rk)))

    for m in p.zero.finditer(clause):
        unit = m.group("u")
        found.append((3, _Event("level", cs + m.start(), cs + m.end(), 0, unit)))

    for m in (_CLASS.finditer(clause) if "类" in clause else ()):  # 地表水Ⅱ类标准, 全域II类水质
        found.append((3, _Event("level", cs + m.start(), cs + m.end(), _ROMAN[m.group("num")], "类")))

    for m in (p.level.finditer(clause) if a["level"].search(clause) else ()):
        numtxt, unit = m.group("num"), m.group("unit")
        s = cs + m.start("num")
        if _skip_level(text, s, cs + m.end(), numtxt, unit, clause, m.start("num")):
            continue
        val = parse(numtxt)
        if val is None:
            continue
        ev = _Event("level", cs + m.start(), cs + m.end(), val, unit)
        found.append((4, ev))

    for m in (_PERCENT_WORDS.finditer(clause) if "百分之" in clause else ()):
        found.append((3, _Event("level", cs + m.start(), cs + m.end(), parse(m.group(0)), "%")))

    for m in (p.bare_mask.finditer(clause) if _MASK_CHAR.search(clause) else ()):
        found.append((5, _Event("level", cs + m.start("num"), cs + m.end(), "masked", None)))

    if a["bound"].search(clause):
        for m in p.bound.finditer(clause):
            val = parse(m.group("num"))
            if val is not None:
                found.append((5, _Event("level", cs + m.start(), cs + m.end(), val, None)))

    for m in (_RATIO.finditer(clause) if _RATIO_WORDS.search(clause) else ()):
        found.append((5, _Event("level", cs + m.start(), cs + m.end(), parse(m.group("num")), None)))

    # 一般公共预算收入（-1.8%）、税收收入（-3.2%）均为负增长: 负增长 sums up the rates before it
    if any(e.kind == "growth" and e.value is not None for _, e in found):
        found = [(pr, e) for pr, e in found if not (e.kind == "growth" and e.value is None and e.direction == "down")]
    # 从全市前*滑到全市倒数第*: the place it fell to is the rank
    moves = [e for _, e in found if e.kind == "rank" and e.direction == "down"]
    if moves:
        found = [(pr, e) for pr, e in found if not (e.kind == "rank" and e.direction is None
                 and any(0 <= mv.start - e.end <= 1 for mv in moves))]
    # 等6项指标全市第一 / 14项主要经济指标保持第一方阵: the count names the list of a rank
    ranks = [e for _, e in found if e.kind == "rank"]
    if ranks:
        found = [(pr, e) for pr, e in found if not (
            e.kind == "level" and e.unit in ("项", "个") and any(r.start >= e.end for r in ranks)
            and _rx(r"\p{Han}{0,6}指标").match(text[e.end : e.end + 8]))]
    # keep non-overlapping events, best priority first, then earliest
    found.sort(key=lambda pe: (pe[0], pe[1].start))
    kept: list[_Event] = []
    for _, ev in found:
        if any(ev.start < k.end and k.start < ev.end and not (ev.kind == k.kind and ev.multi and k.multi and ev.start == k.start) for k in kept):
            continue
        kept.append(ev)
    kept.sort(key=lambda e: e.start)
    return kept


# a ratio has no unit: 城乡收入比缩小至2.19 · 恩格尔系数为28.5 · 城乡居民收入倍差2.3
_RATIO_WORDS = words(r"收入比|系数|倍差|比值")  # what _RATIO's lookbehind needs: most clauses hold none
_RATIO = regex.compile(r"(?<=收入比|系数|倍差|比值)(?:为|是|由[\d.]+)?(?:缩小|下降|降低|提高|扩大|上升)?(?:至|到|为)?(?P<num>\d+(?:\.\d+)?)(?![\d.%‰\p{Han}])")


def _scope_before(clause: str, upto: int) -> str | None:
    """The last scope named before `upto` in the clause (see P().scope_before), or None."""
    last = None
    for last in P().scope_before.finditer(clause, 0, upto):
        pass
    return (last.group("a") or last.group("b") or last.group("c")) if last else None


# tiers that say what they are without a verb or scope: 两连优, 三连冠, 创十年新高
_STREAK = regex.compile(r"连[冠优]|新高")


_HAN_NUM = regex.compile(r"^[零〇一二两三四五六七八九十百千万亿]+$")
_NAME_AFTER = regex.compile(r"^(?:大|项|个|张|条|批|县|城|区|型|化|点|线|园|基地|工程|行动|体系|机制|清单|报表|提升|重点|战略|比|赛|连冠|连优)")


@cache
def _level_filters() -> tuple[frozenset, regex.Pattern, dict]:
    m = lexicon.rules("measures.yaml")
    breakers = {u: set(v) for u, v in (m.get("word_after_unit") or {}).items()}
    return frozenset(m["weak_after_han_numeral"]), regex.compile(_alt(m["policy_after"])), breakers


# after a count: the peers or indicators it picks from (N个区县中, N个指标中), the peers it is compared with
# (与…N个重点县相比), or a group it describes (连续N次排名靠后的单位)
_PEER_COUNT = regex.compile(
    r"\p{Han}{0,6}?(?:区县|县区|县市区|市县|乡镇|镇街|县|区|市|指标)中(?=[，,：:]|[*＊Xx×□○\d]|仅|只|有|均)|\p{Han}{0,6}?相比"
    r"|\p{Han}{0,10}?的(?:单位|部门|乡镇|镇街|企业|干部|同志|村|社区|班子)"
    r"|(?:区县|县区|乡镇|镇街|部门|单位|企业|村|社区)的")  # 有5个乡镇的固定资产投资…: how many peers


# the meeting's own business, told in a preamble: 3个乡镇和2个部门作了交流发言 · 5位同志分别作了表态发言
_MEETING_ITEM = regex.compile(r"[^，。；]{0,12}?(?:分别)?(?:作了?|做了?|进行了?)\p{Han}{0,4}?(?:发言|汇报|讲话|述职)")


def _skip_level(text: str, s: int, e: int, numtxt: str, unit: str, clause: str, rel: int) -> bool:
    """Numbers that are names, dates or ordinals rather than quantities."""
    before = text[max(0, s - 2) : s]
    after = text[e : e + 3]
    weak, policy, breakers = _level_filters()
    if text[e : e + 1] in breakers.get(unit, ()):
        return True  # X项目, 3个人: the unit character starts a word
    if before.endswith("等") and _rx(r"\p{Han}{0,10}?(单位|部门|乡镇|镇街|街道|村|社区|区县|县区|同志)").match(text[e : e + 12]):
        return True  # 发改局、开发区…等5个牵头单位: counting the addressees
    if unit == "成" and not _HAN_NUM.match(numtxt) and _rx(r"\p{Han}").match(after):
        return True  # XX成功: 成 as a unit only in 三成 or 5成，
    if _rx(r"以上(?:的)?(?:项目|企业|工业|客商|大项目|重大项目|产业)").match(text[e : e + 6]) or _rx(r"(?:级|以上级)").match(after):
        return True  # 亿元以上项目 / 亿元级企业: a size class, not an amount
    if before.endswith(("第", "前", "后")) and not regex.fullmatch(MASK, numtxt):
        return True  # 第三, 前十 (ranks are found elsewhere)
    if before.endswith(("第", "倒数")):
        return True
    if unit in ("年",) or after.startswith(("年", "月", "日", "季度", "周年")):
        return True
    if _HAN_NUM.match(numtxt) and not _rx(r"[零〇一二两三四五六七八九十]").search(numtxt):
        return True  # 万亩茶园, 千方百计, 亿元级: a magnitude word, not a number
    if _rx(r"[一二三四五六七八九]{2}").fullmatch(numtxt):
        return True  # 唯一一个, 一一对应
    if _HAN_NUM.match(numtxt):
        # Chinese numerals: keep only when clearly a count (有两张, 仅三家, 百分之八十)
        if unit in weak and (numtxt == "一" or not before.endswith(("有", "仅", "只", "共", "达", "近", "超"))):
            return True  # 一个, 两项, 三张: names and slogans far more often than counts
        if unit in ("分",):
            return True  # 十二分精神
        if policy.match(after) or policy.match(text[e : e + 4][1:] if len(after) > 1 else ""):
            return True
        if _NAME_AFTER.match(after) or text[e : e + 1] in "大项":
            return True
        q_open = clause.rfind("“", 0, rel)
        if q_open >= 0 and clause.find("”", q_open) > rel:
            return True  # inside a quoted name: “八张报表”
    if unit == "个" and after.startswith(("百分点", "月", "工作日")):
        return True
    if _PEER_COUNT.match(text, e) or (unit in ("个", "位", "名", "家") and _MEETING_ITEM.match(text, e)):
        return True  # (N次…作交流发言 is a record of the county's own, kept)  # *个区县中仅*为负增长 · 与巫溪、酉阳*个重点县相比 · 连续*次排名靠后的单位: who is compared, not a result
    if unit == "次" and text[max(0, s - 1) : s] in "届":
        return True
    return False


# ------------------------------------------------------------ indicators


# where a rank moved from (由一季度的全市第6位滑到…, 从去年的第十五位跃升至…): not part of the name
_RANK_ORIGIN = regex.compile(r"(?:由|从)(?=[^，；]*?(?:第|前|后|倒数))[^，；]*$"
                             # where a rate came from: 增速由一季度的-2.1%回升至3.5%
                             r"|(?:由|从)(?:去年|上年|今年)?(?:同期|前三季度|上半年|[一二三四]季度|\d{1,2}(?:[-—至]\d{1,2})?月|年初)(?:末|底)?的?$")


@cache
def _scope_ends() -> tuple[str, ...]:
    """How a name that ends in a scope ends (checked before the slower scope_tail pattern)."""
    return tuple(lexicon.rules("measures.yaml")["scopes"]) + ("片区", "排名", "排位", "位次")


def _clean_np(np: str) -> str:
    if "由" in np or "从" in np:
        np = _RANK_ORIGIN.sub("", np)
    if np.endswith(_scope_ends()):
        np = P().scope_tail.sub("", np)  # 完成率在全市(12个区县中排第9位) · 在渝东北(从第*跌到…): the scope is no part of the name
    if _NOT_A_NAME.search(np):
        return ""  # a placeholder or a rank inside: what is left is no indicator name
    np = _rx(r"^[，、。；：\s“”）)]+|[，、。；：\s（(]+$").sub("", np)
    prev = None
    while prev != np:
        prev = np
        np = _LEAD_STRIP.sub("", np)
        np = P().period.sub("", np, count=1) if P().period.match(np) else np
        dl = P().deadline_lead.search(np)
        if dl and dl.group("rest"):
            np = dl.group("rest")  # 各乡镇要在6月底前完成改厕(1200户): who and by when are no part of the name
        np = _TAIL_STRIP.sub("", np)
        np = np.strip("，、：；（(“”")
    return np


def _np_after(text: str, e: int, ce: int) -> str:
    seg = _rx(r"^(?:以内|以上|以下|之内|之上|左右|上下|及以上)").sub("", text[e:ce])  # the comparator closes the number
    m = _VERB_CUT.search(seg)
    seg = seg[: m.start()] if m else seg
    m = P().deadline.search(seg)
    seg = _rx(r"在$").sub("", seg[: m.start()]) if m else seg  # 17个项目在10月底前全部开工
    seg = _rx(r"[，。；、].*$").sub("", seg)
    seg = _rx(r"(?:尚未|仍未|还未|均未|没有|未|已)$").sub("", seg)  # 还有9个项目未完成…: the state is no part of the name
    return seg.strip("的“”")[:20]


def _split_list(np: str, sep: str = r"、") -> list[str]:
    """GDP、地方财政收入、地方税收、规模工业增加值增速 → the items (增速 goes to each)."""
    np = _rx(r"等\s*[\d*X一二三四五六七八九十]+\s*(项|个)?(主要|核心|关键|经济)?(指标|方面)?$").sub("", np)
    np = _rx(r"等(主要|核心|关键)?(指标|方面)?$").sub("", np)
    parts = [x for x in regex.split(sep, np) if x]
    if len(parts) < 2:
        return [np]
    last = parts[-1]
    suffix = ""
    m = _rx(r"(增速|增幅|增长|总量)$").search(last)
    if m:
        suffix = m.group(1)
        parts[-1] = last[: m.start()]
        return [x + suffix for x in parts if x]
    # 粮食、油料产量 · 生猪、家禽出栏: short items before the last share its measure noun
    m = _rx(r"(?<=\p{Han})(总产值|增加值|产量|产值|面积|出栏|存栏|销量)$").search(last)
    if m and all(len(x) <= 3 and not x.endswith(m.group(1)) for x in parts[:-1]):
        return [x + m.group(1) for x in parts[:-1]] + [last]
    return parts


# ------------------------------------------------------------ sentences


_QUOTED = regex.compile(r"“[^“”]{1,30}”|「[^「」]{1,30}」")


def _modality(sentence: str, upto: int) -> str | None:
    """The last modality cue before `upto`; a `set` cue only counts when near."""
    best, pos = None, -1
    sentence = P().not_modality.sub(lambda m: "　" * len(m.group(0)), sentence)
    # words inside quotation marks name a campaign or a slogan (“奋战一百天，冲刺双过半”竞赛), no aim
    sentence = _QUOTED.sub(lambda m: "　" * len(m.group(0)), sentence)
    for mod, pat in P().modality:
        lo = max(0, upto - 16) if mod == "set" else 0
        for m in pat.finditer(sentence, lo, upto):
            if m.start() > pos:
                best, pos = mod, m.start()
    return best


def _comparator(text: str, s: int, e: int) -> str:
    before, after = text[max(0, s - 8) : s] + text[s : e], text[e : e + 4]
    c = lexicon.rules("metric_cues.yaml")
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


_CLAUSE_WILL = regex.compile(r"(要|将|力争|确保)[^，；：]*$")
# 镇农业服务中心要做好…，新发展茶园2000亩: the sentence gave someone the work, the number is its aim
_ASSIGNED = regex.compile(r"^[^，；：。]{2,30}?(?:局|委|办|中心|室|所|队|站|部门|单位|乡镇|镇街|街道|各村|社区|公司|集团)(?:要|务必|必须)")
_NOT_A_NAME = regex.compile(rf"{MASK}|第(?![一二三]产业)\S|倒数|[前后]{MASK}")  # 第一产业增加值 is a name
# a phrase before a count that ends in a verb names no indicator: the noun after the number does
_VERBISH = regex.compile(r"(?:迎来|涉及|培育|荣获|交办|推进|创成|打造|实施|整合|筹建|巩固提升|提升|安排|引进|新建|加快|先后|全面|对|仍|有|等|的)$")
_TOPIC = regex.compile(
    r"^(?P<t>\p{Han}{2,20}?)(?:方面|情况|来看)$"
    # 在全县年度目标考核中，我镇…位列全县第二: the assessment is what the rank after it is of
    # (its scope, 全省 or 陕南片区, is the scope of that rank when the rank names none)
    r"|^在?(?P<sc>全国|全省|全市|全县|全区|全州|\p{Han}{2,3}片区)?(?P<a>\p{Han}{2,16}?(?:考核|考评|评价|评比|评估|测评|比武|比拼|排名|晾晒|验收))(?:中|里|工作中)$")
_TOPIC_ENDS = ("方面", "情况", "来看", "中", "里")  # what _TOPIC ends with: checked first, the pattern is slow to fail
# a change named by its verb alone is a change of the indicator named before: 达到128家，净增15家
_CHANGE_WORDS = frozenset({"净增", "净减", "新增", "增加", "减少", "增收", "减收"})
_RATE_NAMES = ("增速", "增幅")  # a name that ends so, with a value in %, is a growth rate
_RATE_WORDS = frozenset({"增速", "增幅", "降幅", "增长", "位次", "排名", "总量", "占比", "比重"})
_RATE_LIST = regex.compile(rf"(?:{'|'.join(_RATE_WORDS)})(?:[和、及](?:{'|'.join(_RATE_WORDS)}))+")
_GRADE = regex.compile(r"(?<=评价|评议|测评|考核|等次为?)“?(较好|较差|优秀|良好|合格|不合格)”?")
_PERCENT_WORDS = regex.compile(r"百分之(?P<num>[零〇一二两三四五六七八九十点]+)")
# a cheap test before the clause-by-clause work: a number, a placeholder or a rank word
_WORTH_A_LOOK = regex.compile(r"[\d*＊Xx×□○第零无倍番一二三四五六七八九十两百千万ⅠⅡⅢⅣⅤ]|I类|V类|前列|前茅|靠前|靠后|档|方阵|等次|倒数|负增长|较好|较差|优秀")
_GOAL_INTRO = regex.compile(r"目标(?:任务)?(?:是|为|如下|主要有)?[：:]")
_BY_YEAR = regex.compile(r"到(20\d\d)年(?:底|末)?")
_GOAL_AFTER = regex.compile(r"^[^。；]{0,30}?(等|的)(年度)?(目标|预期目标|目标任务)")
_DIRECTIVE_SENT = regex.compile(r"(要|将|必须|务必|确保|力争|争取|努力|目标|计划|明确|预期|推动|坚持|加快|全力|着力|重点|至少)")
_PAST = regex.compile(r"(还有|仍有|尚有|尚未|仍未|已经|已|目前|现在|当前|先后|累计|截至|共完成|完成了|实现了|取得|今年以来|上半年|一季度|二季度|前三季度|去年|过去)")
_TARGET_COMPARATOR = regex.compile(r"(以上|以内|以下|不低于|不少于|不超过|至少|左右|控制在|保持在|稳定在)")


def _is_target(sent_text: str, rel: int, ev: _Event, role: str, has_cmp: bool, directive: bool = False) -> tuple[bool, str | None]:
    """Is the event at sentence offset `rel` a target, and with what modality."""
    if ev.kind == "rank" or ev.value is None:
        return False, None
    mod = _modality(sent_text, rel)
    head = sent_text[:rel]
    if _rx(r"(去年|上年|过去|以来|累计|已经|已)[^，；]*$").search(head):
        return False, None  # the clause reports a past figure
    if mod in ("must", "strive"):
        return True, mod
    if mod == "set" and not _PAST.search(head[-12:]):
        return True, "set"
    if role == "achievements" or _PAST.search(head):
        return False, None
    if has_cmp and (_DIRECTIVE_SENT.search(sent_text) or role == "tasks"):
        return True, "set"  # 稳定在20万吨以上 under a tasks heading is an aim
    if role == "tasks" and ev.kind == "level" and (_CLAUSE_WILL.search(head) or _ASSIGNED.search(head)):
        return True, "set"  # in a tasks section, 要/将 in the number's own clause, or a unit told 要 before it
    if ev.kind == "level" and directive and not _PAST.search(head):
        return True, "set"
    if ev.kind in ("level", "share") and P().deadline_lead.search(head) and not _PAST.search(_rx(r"[^，；：,;:]*$").search(head).group(0)):
        return True, "set"  # …，年底前发放消费券500万元: the clause opens with a time still ahead
    if role == "tasks" and ev.kind in ("level", "share") and _PLAN_YEAR.match(sent_text):
        return True, "set"  # under a tasks heading, 全年实施重点项目150个: the year's plan
    return False, None


# a sentence that opens with the year as a whole, not a part of it gone by (今年以来, 今年一季度)
_PLAN_YEAR = regex.compile(r"(?:全年|今年|年内)(?!以来|上半年|下半年|前|第|[一二三四]季度|\d|[一二三四五六七八九十]+月)")


# a period word that names the whole a part is of: 全年任务, 全年投资计划, 年初预算
_WHOLE_AFTER = regex.compile(r"(?:投资|工作|目标)?(?:任务|计划|预算)")


def extract(doc, outline) -> tuple[list[Metric], list[Target]]:
    """(metrics, targets) of one document."""
    text = doc.text
    p = P()
    metrics: list[Metric] = []
    targets: list[Target] = []
    # the indicator named last carries into the next sentence of the same paragraph
    # (…地区生产总值增长*%。较一季度下降*个百分点). The period and a goal list's cue carry only
    # over sentences joined by ；, which are one sentence for the annotators (上半年，A增长X%；B增长Y%).
    para: tuple[int, str | None] = (-1, None)
    joined, goal_list, prev_par, semi_period = False, False, -1, None
    for sent in outline.sentences:
        carry = joined and sent.paragraph == prev_par
        carry_goal = goal_list and carry
        inherited = semi_period if carry else None
        joined = sent.text.rstrip().endswith(("；", ";"))
        goal_list = bool(carry_goal or _GOAL_INTRO.search(sent.text)) and joined
        prev_par, semi_period = sent.paragraph, inherited
        if not _WORTH_A_LOOK.search(sent.text):
            continue
        last_np: str | None = para[1] if sent.paragraph == para[0] else None
        clause_start = sent.start
        spans = []
        for m in _CLAUSE_SPLIT.finditer(sent.text):
            spans.append((clause_start, sent.start + m.start()))
            clause_start = sent.start + m.end()
        spans.append((clause_start, sent.end))
        # where the gate matches: its alternatives hold no clause mark, so each match lies inside
        # one clause, and a clause without one cannot hold an event (one scan for all clauses)
        holds = [sent.start + m.start() for m in _can_hold().finditer(sent.text)]
        if not holds:
            # no clause of it can hold an event (the gate has no lookaround): it can only name the
            # indicator the next sentence goes on about
            for cs, ce in spans:
                if ce > cs:
                    named, np_, _ = _topic(text[cs:ce])
                    if named:
                        last_np = np_
            para = (sent.paragraph, last_np)
            continue
        role = outline.section_of(sent.start)[1] if outline.nodes else "other"
        period = inherited  # a period holds for its own sentence and those joined to it by ；
        sent_records: list[Metric] = []
        deadline: str | None = None
        prev_cs = None
        # a goal list opened by 目标是： runs on over the ；-joined sentences after it
        sent_mod = "set" if carry_goal else None
        # neither pattern has a lookaround or a clause mark: one scan of the sentence finds what
        # a scan of each clause would (as spans relative to the sentence)
        topic_scope: str | None = None  # the scope of an assessment named in a clause of its own
        periods = [m.span() for m in p.period.finditer(sent.text)]
        deadlines = [m.span() for m in p.deadline.finditer(sent.text)]
        for cs, ce in spans:
            if ce <= cs:
                continue
            clause = text[cs:ce]
            rs, re_ = cs - sent.start, ce - sent.start
            for a, b in periods:
                if a < rs or b > re_:
                    continue
                a, b = a - rs, b - rs
                if clause[max(0, a - 1) : a] in ("较", "比", "与", "同", "和", "于") or (
                        clause[max(0, a - 1) : a] in ("从", "由") and clause[b : b + 1] in ("的", "第")) or clause[b : b + 2] in ("同期", "相比", "确定", "安排") \
                        or _WHOLE_AFTER.match(clause, b):
                    continue  # 较一季度, 与年初确定的目标, 完成全年投资计划的52%: a baseline or a whole, not the period
                period = clause[a:b]
            for a, b in deadlines:
                if rs <= a and b <= re_:
                    deadline = text[cs + a - rs : cs + b - rs]
            events = _events(text, cs, ce, doc.is_masked, gated=True) if any(cs <= h < ce for h in holds) else []
            if not events:
                named, np_, scope_ = _topic(clause)
                if named:
                    last_np, topic_scope = np_, scope_  # 地区生产总值方面，二季度增长*%
            cursor = cs
            groups: list[list[_Event]] = []
            for ev in events:  # values written together (分别增长X%、Y%) form one group
                if groups and ev.multi and groups[-1][0].multi and groups[-1][0].start == ev.start:
                    groups[-1].append(ev)
                elif groups and ev.kind == "level" and groups[-1][-1].kind == "level" and groups[-1][-1].unit == ev.unit \
                        and text[groups[-1][-1].end : ev.start] in ("、", "和", "及") \
                        and "分别" in text[cs : groups[-1][0].start]:
                    groups[-1].append(ev)  # 税收收入、非税收入分别达到5.2亿元、2.1亿元: one value for each name
                else:
                    groups.append([ev])
            for group in groups:
                ev = group[0]
                np = _clean_np(text[cursor : ev.start])
                raw = text[cursor:ev.start]
                if ev.kind == "level" and (not np or p.directive.fullmatch(np) or (
                        p.unit_kind.get(ev.unit or "") == "count" and (
                            _VERBISH.search(raw.rstrip("，、 ")) or raw.endswith(("和", "及", "与", "、"))
                            or ("、" in raw and p.directive.match(_clean_np(raw)))))):
                    # the count names what it counts after its classifier: 示范县和10个省级美丽乡村 ·
                    # 打造A、B两个百亿产业集群 (the list before is the members, not the indicator)
                    np = _clean_np(_np_after(text, ev.end, ce)) or np
                elif np and p.directive.match(np):
                    np = _clean_np(np[p.directive.match(np).end() :]) or np
                if (np in _RATE_WORDS or np in _CHANGE_WORDS) and last_np and not last_np.endswith(np):
                    np = last_np + np  # 增速位列全省第二: the rate of the indicator named before
                rate_items = None
                if np and last_np and _RATE_LIST.fullmatch(np):
                    rate_items = [last_np + w for w in _rx(r"[和、及]").split(np)]  # 总量和增速均居全市第3位
                cursor = ev.end
                lead = _rx(r"^\s*(?:其中)?(均|都|全部|分别|皆|各)").match(clause)
                earlier = _distinct([r for r in sent_records if r.start < cs and r.measure != "rank"])
                pairs: list[tuple[str | None, _Event]]
                if rate_items and len(group) == 1:
                    pairs = [(i, ev) for i in rate_items]
                elif len(group) > 1:
                    items: list[str | None] = list(_split_list(np, r"[、和]")) if np and _rx("[、和]").search(np) else []
                    if len(items) != len(group):
                        items = [r.indicator for r in earlier[-len(group):]] if not np and len(earlier) >= len(group) else [np or last_np] * len(group)
                    pairs = list(zip(items, group))
                elif ev.kind in ("rank", "growth", "delta") and np and "、" in np:
                    pairs = [(i, ev) for i in _split_list(np)]
                elif ev.kind == "rank" and not np and lead and lead.group(1) != "分别" and len(earlier) > 1:
                    pairs = [(r.indicator, ev) for r in earlier]  # 均位居全市前列
                else:
                    pairs = [(np or last_np, ev)]
                rel = ev.start - sent.start
                has_cmp = bool(_TARGET_COMPARATOR.search(text[max(sent.start, ev.start - 4) : ev.end + 3])) or \
                    "至少" in text[max(sent.start, ev.start - 8) : ev.start]  # 至少新开工1个: a floor set a verb away
                # 争取中央和省级资金12.6亿元 reports money obtained: the not-modality words are no directive either
                directive = bool(p.directive.match(clause)) and not p.not_modality.match(clause.lstrip())
                is_t, mod = _is_target(sent.text, rel, ev, role, has_cmp, directive)
                if ev.kind == "rank" and _modality(sent.text, rel) in ("must", "strive"):
                    continue  # 确保…保持第一方阵: an aim for a rank, not a reported rank
                ev_start = cs
                if len(_rx(rf"{MASK}|[\W_]").sub("", text[cs:ce])) < 6 and prev_cs is not None:
                    ev_start = prev_cs  # 同比下降XX alone is too short to show; take the clause before too
                if not is_t and sent_mod and ev.kind != "rank" and ev.value is not None and not _PAST.search(text[sent.start : ev.start][-10:]):
                    is_t, mod = True, sent_mod  # 明确A增长*%、B增长*%: the cue covers the list
                if not is_t and ev.kind != "rank" and ev.value is not None and _GOAL_AFTER.match(text[ev.end : sent.end]):
                    is_t, mod = True, "set"
                if not is_t and ev.kind != "rank" and ev.value is not None:
                    fy = _BY_YEAR.search(text, sent.start, ev.start)
                    if fy and int(fy.group(1)) >= int((doc.meta or {}).get("year") or 0):
                        is_t, mod = True, "set"  # 到2025年，规上工业企业达到200家: a year still ahead
                if is_t:
                    sent_mod = mod
                for ind, e in pairs:
                    measure, direction = e.kind, e.direction
                    if not is_t and e.kind == "level" and e.unit == "%" and ind and ind.endswith(_RATE_NAMES) \
                            and len(ind) > 4 and isinstance(e.value, (int, float)):
                        # 增速回升至3.5% · 增速由-2.1%回升至3.5%: a growth rate, named without 增速
                        measure, direction, ind = "growth", "down" if e.value < 0 else "up", ind[:-2]
                    key = lexicon.indicator_lookup(ind)
                    if is_t:
                        targets.append(Target(
                            doc=doc.doc_id, evidence=text[ev_start:ce], start=ev_start, end=ce,
                            indicator=ind, indicator_key=key["key"] if key else None,
                            comparator=_comparator(text, e.start, e.end), value=e.value, unit=e.unit,
                            deadline=_deadline_for(text, sent.start, e.start, deadline, e.end, ce, sent.end),
                            modality=mod if mod in ("must", "strive") else (_later_modality(text, ce, sent.end) or "set"),
                        ))
                        continue
                    rec = Metric(
                        doc=doc.doc_id, evidence=text[ev_start:ce], start=ev_start, end=ce,
                        indicator=ind, indicator_key=key["key"] if key else None, period=period,
                        measure=measure, value=e.value, unit=e.unit, direction=direction,
                        rank=replace(e.rank, scope=topic_scope) if e.rank and topic_scope and not e.rank.scope else e.rank,
                        compare_to=e.compare_to or (_baseline_before(text, sent.start, e.start)
                                                                 if e.kind == "delta" else None),
                    )
                    metrics.append(rec)
                    sent_records.append(rec)
                if np and "、" not in np:
                    last_np = np

            prev_cs = cs
        para = (sent.paragraph, last_np)
        semi_period = period
    return metrics, targets


def _topic(clause: str) -> tuple[bool, str | None, str | None]:
    """(True, indicator, scope) for a clause that only names what follows: 地区生产总值方面 ·
    工业增加值 · 在陕南片区县域经济考核中 (an assessment, with its scope 陕南片区)."""
    bare = clause.strip()
    topic = _TOPIC.match(bare) if bare.endswith(_TOPIC_ENDS) else None
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


# 未达到序时进度（地区生产总值差*个百分点、…）: a gap with no baseline of its own is measured against
# the schedule or average named before it in the sentence
_BASELINE = regex.compile(r"序时进度|时序进度|目标进度|全市平均水平|全省平均水平|全国平均水平|全市平均|全省平均")


def _baseline_before(text: str, sent_start: int, ev_start: int) -> str | None:
    m = None
    for m in _BASELINE.finditer(text, sent_start, ev_start):
        pass
    return m.group(0) if m else None


def _deadline_for(text: str, sent_start: int, ev_start: int, carried: str | None, ev_end: int = 0,
                  clause_end: int = 0, sent_end: int = 0) -> str | None:
    """The last deadline before the number in its sentence, else one later in its own clause
    (17个项目在10月底前全部开工), else the one carried from an earlier clause, else one in a
    later clause of the sentence that holds no number of its own (推进XX项民生工程，力争10月底前基本完成),
    else 全年 for an aim set at the start of the year (年初明确…增长*%)."""
    m = None
    for m in P().deadline.finditer(text, sent_start, ev_start):
        pass
    if m is None and ev_end < clause_end:
        m = P().deadline.search(text, ev_end, clause_end)
    if m:
        return m.group(0)
    if carried:
        return carried
    for clause in _later_clauses(text, clause_end, sent_end):
        m = P().deadline.search(clause)
        if m:
            return m.group(0)
    if "年初" in text[sent_start:ev_start]:
        return "全年"
    return None


_HAS_NUMBER = regex.compile(r"[\d*＊Xx×□○]")


def _later_clauses(text: str, clause_end: int, sent_end: int) -> Iterator[str]:
    """The clauses after a number's own, up to the first that holds a number of its own (a date's digits do
    not count): what they say of time and resolve covers the number (…XX项民生工程，力争10月底前基本完成)."""
    for clause in _CLAUSE_SPLIT.split(text[clause_end:sent_end]) if clause_end < sent_end else ():
        if _HAS_NUMBER.search(P().deadline.sub("", clause)):
            return
        yield clause


def _later_modality(text: str, clause_end: int, sent_end: int) -> str | None:
    """must or strive said in a later clause about the number before it (…，力争10月底前基本完成)."""
    for clause in _later_clauses(text, clause_end, sent_end):
        mod = _modality(clause, len(clause))
        if mod in ("must", "strive"):
            return mod
    return None
