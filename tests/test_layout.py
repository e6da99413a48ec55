"""Layout that is not line-based (issue 17): spaces inside runs, collapsed paragraphs with
the outline run in, infographic captions apart from their figures. Offsets stay mapped."""
import regex

from pipeline.extraction import extract
from pipeline.normalize import normalize_text
from pipeline.segment import segment


def _metric(res, indicator, measure):
    return next(m for m in res.metrics if m.indicator == indicator and m.measure == measure)


def _monotonic(doc):
    last = 0
    for i in range(len(doc.text) + 1):
        pos = doc.offsets.to_source(i)
        assert pos >= last
        last = pos


def test_spaces_inside_numbers_and_units_are_removed():
    src = "上半年，全县粮食总产量达到 48.6 万吨，比上年增长 3.2 %；完成固定资产投资 35.7 亿元，增速居全市第 3 位。"
    res = extract(normalize_text(src))
    text = res.doc.text
    assert "达到48.6万吨" in text and "增长3.2%" in text and "投资35.7亿元" in text and "第3位" in text
    assert _metric(res, "粮食总产量", "level").value == 48.6
    assert _metric(res, "粮食总产量", "growth").unit == "%"
    assert _metric(res, "固定资产投资", "level").unit == "亿元"
    i = text.index("48.6万吨")
    s, e = res.doc.source_span(i, i + len("48.6万吨"))
    assert res.doc.source[s:e] == "48.6 万吨"
    _monotonic(res.doc)


def test_placeholders_and_words_keep_together():
    doc = normalize_text("会议总结了 20xx 年经济工作，县政 府要加强统筹，县财政局 要抓好落实。\n县长 王某某\n")
    assert "总结了20xx年经济工作" in doc.text
    assert "县政府要加强统筹，县财政局要抓好落实。" in doc.text
    assert "县长 王某某" in doc.text  # a line of names (no sentence) keeps its spaces


COLLAPSED = (
    "在全县一季度经济运行分析会上的讲话 同志们： 今天，我们召开全县一季度经济运行分析会，"
    "主要任务是分析形势、查找差距、安排部署二季度工作。下面，我讲三点意见。 "
    "一、清醒认识当前经济运行形势 一季度，全县地区生产总值完成 38.2 亿元，同比增长 5.6 %，"
    "增速较去年同期回落 1.2 个百分点。规模以上工业增加值增长 7.4 %。 "
    "二、突出抓好重点项目建设 各乡镇、各部门要对照年度计划，倒排工期，确保二季度新开工项目 12 个以上。"
    "县发改局要牵头做好项目调度。 "
    "三、切实转变工作作风 各级领导干部要深入一线，研究解决项目推进中的困难和问题。"
)


def test_collapsed_page_gets_its_title_salutation_and_headings_back():
    doc = normalize_text(COLLAPSED)
    out = segment(doc.text)
    assert out.span_text(out.title) == "在全县一季度经济运行分析会上的讲话"
    assert out.span_text(out.salutation) == "同志们："
    top = [(n.label, n.heading) for n in out.nodes if n.level == 1]
    assert top == [("一", "清醒认识当前经济运行形势"), ("二", "突出抓好重点项目建设"), ("三", "切实转变工作作风")]
    res = extract(doc)
    assert _metric(res, "地区生产总值", "growth").value == 5.6
    assert any(t.value == 12 and t.comparator == ">=" for t in res.targets)
    assert any(u.name == "县发改局" for t in res.tasks for u in t.units)
    assert any(r["reason"].startswith("layout: line breaks") for r in doc.removed)
    _monotonic(doc)


def test_one_stray_space_after_a_sentence_is_no_paragraph_break():
    text = "一、稳住经济基本盘\n全县经济运行总体平稳。 县财政局要加强收入征管，确保应收尽收。\n"
    assert "\n" not in normalize_text(text).text.split("\n", 1)[1]


def test_a_heading_with_spaces_inside_is_not_cut():
    text = "一、 十四五 时期发展回顾\n过去五年，全县地区生产总值年均增长6.2%。\n二、今后五年的目标任务\n到2025年，全县地区生产总值达到300亿元。\n"
    out = segment(normalize_text(text).text)
    assert [n.heading for n in out.nodes if n.level == 1] == ["十四五 时期发展回顾", "今后五年的目标任务"]


def test_a_list_after_a_semicolon_stays_one_sentence():
    text = "补助范围包括：（一）农田水利设施建设补助； （二）农业机械购置补贴； （三）良种繁育基地建设补助。\n"
    assert "\n" not in normalize_text(text).text


def test_infographic_one_column_is_joined_caption_by_caption():
    src = ("一图读懂县政府工作报告\n地区生产总值\n215.6亿元\n增长6.1%\n"
           "一般公共预算收入\n12.8亿元\n增长4.3%\n城镇居民人均可支配收入\n41250元\n增长5.2%\n")
    res = extract(normalize_text(src))
    assert "地区生产总值215.6亿元，增长6.1%" in res.doc.text.split("\n")
    assert _metric(res, "一般公共预算收入", "level").value == 12.8
    assert _metric(res, "城镇居民人均可支配收入", "growth").value == 5.2
    m = _metric(res, "地区生产总值", "level")
    s, e = res.doc.source_span(m.start, m.end)
    assert regex.sub(r"\s", "", res.doc.source[s:e]) == m.evidence  # the caption and its figure in the source
    _monotonic(res.doc)


def test_infographic_two_columns_are_paired_column_by_column():
    src = ("一图读懂县政府工作报告\n地区生产总值 固定资产投资\n215.6亿元 86.3亿元\n增长6.1% 增长9.8%\n"
           "社会消费品零售总额 一般公共预算收入\n93.4亿元 12.8亿元\n增长7.2% 下降4.3%\n")
    res = extract(normalize_text(src))
    got = {(m.indicator, m.measure): (m.value, m.direction) for m in res.metrics}
    assert got[("固定资产投资", "level")] == (86.3, None)
    assert got[("固定资产投资", "growth")] == (9.8, "up")
    assert got[("社会消费品零售总额", "level")] == (93.4, None)
    assert got[("一般公共预算收入", "growth")] == (4.3, "down")
    assert len(res.metrics) == 8
    _monotonic(res.doc)


def test_infographic_figures_written_above_their_captions():
    src = "一图读懂县政府工作报告\n215.6亿元\n地区生产总值\n86.3亿元\n固定资产投资\n1.2万人\n城镇新增就业\n"
    res = extract(normalize_text(src))
    got = {m.indicator: (m.value, m.unit) for m in res.metrics}
    assert got == {"地区生产总值": (215.6, "亿元"), "固定资产投资": (86.3, "亿元"), "城镇新增就业": (1.2, "万人")}
    _monotonic(res.doc)


def test_short_lines_of_another_shape_are_left_alone():
    # a list of units with no figures, and a table whose rows do not line up, are no infographic
    src = "参会单位\n县发改局\n县财政局\n县住建局\n县自然资源局\n项目名称 投资额\n城北污水处理厂 1.2亿元 2.5亿元\n"
    doc = normalize_text(src)
    assert doc.text.startswith("参会单位\n县发改局\n县财政局\n县住建局\n县自然资源局\n项目名称 投资额\n")
    assert not any(r["reason"].startswith("layout: infographic") for r in doc.removed)
    assert doc.text.endswith("1.2亿元 2.5亿元")  # two figures side by side are not run together


def test_site_title_label_and_forum_cards_are_furniture():
    src = ("在全县安全生产工作会议上的讲话\n文章标题：在全县安全生产工作会议上的讲话\n签到天数: 128 天 [LV.7]常住居民\n"
           "同志们：\n今天召开全县安全生产工作会议。县应急局要牵头开展隐患排查。\n")
    doc = normalize_text(src)
    assert "文章标题" not in doc.text and "签到天数" not in doc.text
    assert doc.text.startswith("在全县安全生产工作会议上的讲话\n同志们：")
