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
