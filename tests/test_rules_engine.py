"""The rules engine: named patterns from rules/, the rule tables of the extractors,
and the decisions they write down for `--explain`."""
from pipeline import metrics, tasks
from pipeline.extraction import extract
from pipeline.normalize import normalize
from pipeline.segment import segment


def _trace(text: str):
    doc = normalize(text)
    outline = segment(doc.text)
    trace: list = []
    ms, ts = metrics.extract(doc, outline, trace)
    tk = tasks.extract(doc, outline, trace)
    return doc, ms, ts, tk, trace


def test_every_record_names_the_rules_that_made_it():
    r = extract("上半年，全县规上工业增加值增长8.2%，居全市第3位。要确保全年增长7%以上。"
                "县工信局要牵头，会同县统计局做好月度监测。")
    rules = {(x.type, x.rule) for x in r.records}
    assert ("metric", "growth") in rules and ("metric", "rank_place") in rules
    assert ("target", "growth+modal_cue") in rules
    assert ("task", "subject_modal") in rules
    names = {rule.name for rule in metrics.EVENT_RULES}
    assert all(x.rule.split("+")[0] in names for x in r.metrics + r.targets)
    assert {x.rule for x in r.tasks} <= {rule.name for rule in tasks.RULES} | {"pending_roles", "tag_line"}


def test_the_trace_says_why_a_candidate_was_dropped():
    doc, ms, ts, tk, trace = _trace("今年以来，全县新签约项目12个，第三批项目已全部开工。")
    dropped = [d for d in trace if d.outcome.startswith("dropped")]
    # 第三批 is an ordinal before a count word: the level rule read it and said why it is none
    assert any(doc.text[d.start:d.end].startswith("三") and "ordinal" in d.outcome for d in dropped), dropped
    assert [m.value for m in ms] == [12]
    # the target rules decided the kept figure is a result, and said which rule decided
    decided = [d for d in trace if d.stage == "target"]
    assert decided and decided[0].outcome == "metric" and decided[0].rule == "review_or_past"  # 今年以来


def test_a_task_rule_that_reads_a_clause_and_refuses_it_is_traced():
    doc, ms, ts, tk, trace = _trace("省市发改委要加大对我县项目的支持力度。")
    assert tk == []
    assert any(d.rule == "subject_modal" and d.outcome.startswith("dropped") for d in trace)


def test_a_province_region_is_a_rank_scope_without_being_listed():
    (m,) = [x for x in extract("全县农民人均可支配收入增速居皖北第2位。").metrics if x.measure == "rank"]
    assert m.rank.scope == "皖北" and m.rank.position == 2
    (m,) = [x for x in extract("县域经济综合实力排名浙西南第一。").metrics if x.measure == "rank"]
    assert m.rank.scope == "浙西南" and m.rank.position == 1


def test_extract_explain_on_the_command_line(tmp_path):
    import json

    from click.testing import CliRunner

    from pipeline.cli import main

    f = tmp_path / "speech.txt"
    f.write_text("同志们：\n今年以来，全县新签约项目12个，第三批项目已全部开工。省市发改委要加大支持力度。\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["extract", str(f), "--explain", "--format", "jsonl"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    decisions = [r for r in rows if r["type"] == "decision"]
    records = [r for r in rows if r["type"] != "decision"]
    assert [r["rule"] for r in records] == ["level"]
    assert any(d["stage"] == "event" and "ordinal" in d["outcome"] and d["text"].startswith("三") for d in decisions)
    assert any(d["stage"] == "task" and d["outcome"].startswith("dropped") for d in decisions)
    only_tasks = CliRunner().invoke(main, ["extract", str(f), "--explain", "--type", "task", "--format", "jsonl"])
    assert {json.loads(x)["stage"] for x in only_tasks.output.splitlines()} == {"document", "task"}


def test_a_gate_is_read_alike_by_either_engine_and_regex_only_syntax_stays():
    import re

    import regex

    from pipeline import lexicon

    g = tasks.G()
    bare = g.plain["bare"]
    assert isinstance(bare, re.Pattern)  # a modal cue after lead adverbs: plain syntax
    slow = regex.compile(bare.pattern, regex.V1)
    for clause in ("同时要加快推进老旧小区改造", "二要压实属地责任", "各乡镇要抓好秋粮收购", "年内要完成全部整改"):
        a, b = bare.match(clause), slow.match(clause)
        assert (a and (a.span(), a.group("act"))) == (b and (b.span(), b.group("act")))
    han = regex.compile(r"[\p{Han}--[的要]]{2,4}局")  # a set operation and a property: regex only
    assert lexicon.gate(han) is han
    assert lexicon.gate(regex.compile(r"(?P<x>a)|(?P<x>b)")).pattern == "(?P<x>a)|(?P<x>b)"
    assert isinstance(lexicon.gate(regex.compile(r"(?P<x>a)|(?P<x>b)")), regex.Pattern)


def test_the_han_ranges_of_the_gates_are_the_han_script_of_regex():
    import re

    import regex

    from pipeline import lexicon

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    by_regex = regex.sub(r"\P{Han}+", "", every)
    by_ranges = re.sub(f"[^{lexicon._han_ranges()}]+", "", every)
    assert len(by_regex) > 90000 and by_ranges == by_regex
    # a gate with \p{Han} (alone, and inside a class) is compiled by the standard library and reads alike
    assert isinstance(tasks.G().x["referral"], re.Pattern)
    for src in (r"(?:报|移交|交由)(?=\p{Han})", r"[\p{Han}\d]{2}后报"):
        slow = regex.compile(src)
        fast = lexicon.gate(slow)
        assert isinstance(fast, re.Pattern)
        for clause in ("对屡教不改的门店报县城管执法大队依法查处", "报县政府审批", "交由县财政局统筹", "报，",
                       "县法制办审查后报县委常委会议研究", "3日后报送"):
            a, b = fast.search(clause), slow.search(clause)
            assert (a and a.span()) == (b and b.span())


def _case_sentences(name: str) -> list[str]:
    from pathlib import Path

    import yaml

    cases = yaml.safe_load((Path(__file__).parent / "cases" / name).read_text(encoding="utf-8"))
    return [c["text"] for c in cases]


# sentences with every kind of figure the event rules read, written for these tests
_FIGURES = [
    "主要河流出境断面水质稳定达到地表水Ⅱ类标准，城区饮用水源地水质达到III类。",
    "森林覆盖率达到百分之六十二，农村自来水普及率达三分之二以上。",
    "全年实现地区生产总值三点五亿元，比上年多一千二百余万元。",
    "连续五年无一人死亡，实现零事故，安全生产考核位列全市第一方阵。",
    "规上工业增加值增速排名全市倒数第二，较上月后退3位，固定资产投资增速排名靠后。",
    "社会消费品零售总额增长＊％，一般公共预算收入完成XX亿元，居全省第×位。",
    "全县城镇化率提高1.2个百分点，城乡居民收入比缩小到2.1∶1，粮食产量翻了一番。",
]


def test_the_event_gate_misses_no_clause_an_event_rule_reads():
    """The two scans of _can_hold stand for every event pattern: each clause in which some event
    rule finds a candidate (kept or dropped) has a place in them."""
    from pipeline.sentences import clauses

    checked = 0
    for sentence in _FIGURES + _case_sentences("metrics.yaml"):
        text = normalize(sentence).text
        holds = metrics._holds(text, 0)
        for cs, ce in clauses(text, 0):
            trace: list = []
            if metrics._events(text, cs, ce, trace) or trace:
                checked += 1
                assert any(cs <= h < ce for h in holds), text[cs:ce]
    assert checked > 150


def test_an_anchor_is_searched_only_where_its_first_characters_are():
    """first_chars gives the characters an anchor's match can start with: a clause that holds
    none of them holds no match (every case clause is checked), and patterns it cannot read
    give None."""
    import regex

    from pipeline import lexicon
    from pipeline.sentences import clauses

    g = metrics.grammar()
    starts = {k: lexicon.first_chars(p) for k, p in g.anchors.items()}
    assert starts["rank"] == frozenset("第前后") and "0" in starts["share"]
    assert starts["tier"] is None  # \p{Han}: not read
    assert lexicon.first_chars(regex.compile(r"(?<=县)局")) is None
    assert lexicon.first_chars(regex.compile(r"a?")) is None  # matches the empty string
    assert lexicon.first_chars(regex.compile(r"[A-C]类|第")) == frozenset("ABC第")
    for sentence in _FIGURES + _case_sentences("metrics.yaml"):
        text = normalize(sentence).text
        for cs, ce in clauses(text, 0):
            clause = text[cs:ce]
            chars = lexicon.chars_of(clause)
            for name, pattern in g.anchors.items():
                if starts[name] is not None and pattern.search(clause):
                    assert not starts[name].isdisjoint(chars), (name, clause)


def test_a_spread_gate_matches_what_its_pattern_matches():
    """spread writes out groups that open an alternative and lets neighbouring alternatives share
    their first character; the gate built from it finds the same spans as regex on the
    pattern as written."""
    import re

    import regex

    from pipeline import lexicon

    assert lexicon.spread("(?:要求|责成)做好|要件|牵头") == "要(?:求做好|件)|责成做好|牵头"
    # a class or a look-behind keeps its place: what comes before and after it is not merged across it
    assert lexicon.spread("要求|[甲乙]方|要件") == "要求|[甲乙]方|要件"
    assert lexicon.spread("(?:报|移交)[^，]{2,4}?查处|由(?!于)") == "报[^，]{2,4}?查处|移交[^，]{2,4}?查处|由(?!于)"
    assert lexicon.spread("(?:甲|乙)?方") == "(?:甲|乙)?方"
    g = tasks.G()
    assert isinstance(g.quick, re.Pattern)
    written = tasks._grammar(lexicon.rules("task_cues.yaml"), tokens=False)["quick"]
    for sentence in _case_sentences("tasks.yaml"):
        a = [m.span() for m in g.quick.finditer(sentence)]
        b = [m.span() for m in written.finditer(sentence)]
        assert a == b, sentence
    assert written.pattern != g.quick.pattern and isinstance(written, regex.Pattern)


def test_every_metric_pattern_read_by_the_standard_library_reads_as_regex_reads_it():
    """Each pattern of metric_cues.yaml that lexicon.gate compiled with the standard library finds
    the same matches (spans and named groups), the same first match and the same substitution as
    regex does on the same source, on every clause of the case sentences."""
    import re

    import regex

    from pipeline.sentences import clauses

    x = metrics.grammar().x
    fast = {k: p for k, p in x.items() if isinstance(p, re.Pattern)}
    assert len(fast) > 60 and "rank_tier" in fast and "delta" in fast
    assert not any(isinstance(x[k], re.Pattern) for k in metrics._SCANNED_BY_REGEX)
    texts = []
    for sentence in _FIGURES + _case_sentences("metrics.yaml"):
        text = normalize(sentence).text
        texts.append(text)
        texts += [text[a:b] for a, b in clauses(text, 0)]
    for name, p in fast.items():
        slow = regex.compile(p.pattern)
        for t in texts:
            a = [(m.span(), m.groupdict()) for m in p.finditer(t)]
            b = [(m.span(), m.groupdict()) for m in slow.finditer(t)]
            assert a == b, (name, t)
            assert p.sub("#", t) == slow.sub("#", t), (name, t)
            ma, mb = p.match(t), slow.match(t)
            assert (ma and ma.span()) == (mb and mb.span()), (name, t)
