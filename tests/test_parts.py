"""Document kinds and the review and plan parts of a work report (issue 17): the same
clause is a result in the review and an aim in the plan; `diff` of two years' reports
compares plan with plan. The reports below are written for these tests in the genre's
style."""
from pipeline import diff
from pipeline.extraction import extract
from pipeline.parts import document_kind

REPORT_2022 = """清河县2022年政府工作报告
各位代表：
现在，我代表县人民政府，向大会报告工作，请予审议。
一、2021年工作回顾
过去的一年，全县地区生产总值达到186.5亿元，增长7.2%。
我们全力推进城市更新，投资3200万元完成12个老旧小区改造，新建2所公立幼儿园。
争取到中央和省级预算内投资2.1亿元。
二、2022年工作安排
今年经济社会发展的主要预期目标是：地区生产总值增长6.5%左右；一般公共预算收入增长6%；城镇新增就业4000人。
重点抓好以下工作：
（一）推进城市建设。实施18个老旧小区改造，新建3所公立幼儿园，完成城区6条道路提升改造。
（二）办好民生实事。全年新增城镇就业4000人，改造农村危房500户。
"""

REPORT_2023 = """清河县2023年政府工作报告
各位代表：
现在，我代表县人民政府，向大会报告工作，请予审议。
一、2022年工作回顾
过去的一年，全县地区生产总值达到199.1亿元，增长6.8%。
实施18个老旧小区改造，新建3所公立幼儿园，城区6条道路完成提升改造。
二、2023年工作安排
今年经济社会发展的主要预期目标是：地区生产总值增长6%左右；一般公共预算收入增长5%。
重点抓好以下工作：
（一）推进城市建设。实施20个老旧小区改造，新建3所公立幼儿园。
"""


def test_kinds_from_title_and_body():
    assert document_kind(REPORT_2022) == "work_report"
    assert document_kind("县政府常务会议纪要\n会议听取了县发改局关于…的汇报。会议原则同意县财政局关于…的意见。\n") == "minutes"
    assert document_kind("同志们：\n今天召开全县经济工作会议。\n") == "speech"


def test_the_review_reports_results_and_the_plan_sets_aims():
    r = extract(REPORT_2022)
    assert [p.role for p in r.outline.parts] == ["review", "plan"]
    aims = {(t.indicator, t.value) for t in r.targets}
    results = {(m.indicator, m.value) for m in r.metrics}
    # the review's work verbs, 全力 and 争取到 report what was done
    assert not any(v in (12, 2.1, 3200) for _, v in aims), aims
    assert {12, 2, 2.1} <= {v for _, v in results}
    # the plan's work verbs set aims with no modal word
    assert {18, 3, 6, 500} <= {v for _, v in aims}, aims
    plan = [t for t in r.targets if t.value in (18, 3)]
    assert all(t.modality == "set" and t.rule.endswith("report_plan") for t in plan)


def test_the_main_aims_are_for_the_year_named_before_them():
    r = extract(REPORT_2022)
    gdp = next(t for t in r.targets if t.indicator == "地区生产总值")
    assert (gdp.value, gdp.comparator, gdp.deadline) == (6.5, "~", "今年")
    revenue = next(t for t in r.targets if t.indicator == "一般公共预算收入")
    assert revenue.deadline == "今年"


def test_diff_of_two_years_compares_plan_with_plan():
    a, b = diff.commitments(extract(REPORT_2022)), diff.commitments(extract(REPORT_2023))
    changes = diff.compare(a, b)
    targets = [c for c in changes if c.kind == "target"]
    sentences = " ".join(str(c.a or "") + str(c.b or "") for c in targets)
    # no review figure (2021's or 2022's results) is among the commitments compared
    for result in ("186.5", "3200万元", "199.1", "2.1亿元"):
        assert result not in sentences, result
    statuses = {c.status for c in targets}
    assert "changed" in statuses and "dropped" in statuses


def test_a_count_after_a_work_verb_and_a_place_names_what_follows_it():
    r = extract(REPORT_2022)
    roads = next(t for t in r.targets if t.value == 6 and t.unit == "条")
    assert roads.indicator == "城区道路提升改造"


def test_a_review_part_lends_its_period_to_figures_without_one():
    r = extract(REPORT_2022)
    kept = [m for m in r.metrics if m.value == 12]
    assert kept and kept[0].period == "2021年"  # the year its heading reviews
    assert r.metrics[0].period == "过去的一年"  # the paragraph's own opener


def test_counts_in_chinese_numerals_after_a_work_verb_are_aims_only_in_a_plan():
    plan = REPORT_2022 + "（三）提升城市品质。建设一座湿地公园、两条滨河景观带。\n"
    aims = {(t.indicator, t.value) for t in extract(plan).targets}
    assert ("湿地公园", 1) in aims and ("滨河景观带", 2) in aims, aims
    # in a speech the same words name slogans and programmes, not counts
    speech = "同志们：\n下步，我们要建设一座湿地公园、两条滨河景观带，抓好三项工作。\n"
    r = extract(speech)
    assert not [x for x in r.metrics + r.targets if x.value in (2, 3)]


NEWS = """县十八届人大三次会议开幕
1月16日上午，县第十八届人民代表大会第三次会议开幕。县长代表县人民政府作政府工作报告。
报告指出，过去一年，全县新开工亿元以上项目46个，新增规上工业企业35家。
报告强调，今年要重点抓好六个方面的工作：全年实施重点项目150个；新建改扩建学校8所。
"""


def test_a_news_report_retells_the_parts_after_a_reporting_verb():
    r = extract(NEWS)
    assert [p.role for p in r.outline.parts] == ["review", "plan"]
    assert {m.value for m in r.metrics} == {46, 35}
    assert {t.value for t in r.targets} == {150, 8}
