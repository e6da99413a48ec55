"""Outline stage: headings, levels, offsets, roles (issue #3)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pipeline.normalize import normalize_file
from pipeline.segment import classify, rich_tree, segment, to_json

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOCS = {p.name[:3]: p for p in sorted(CORPUS.glob("*.txt"))}


@pytest.fixture(scope="module")
def outlines():
    out = {}
    for key, path in DOCS.items():
        doc = normalize_file(path)
        out[key] = segment(doc.text)
    return out


def tops(o):
    return [n.heading for n in o.top()]


def n_children(o):
    return [len(o.children(o.nodes.index(n))) for n in o.top()]


def sentence_with(o, needle):
    hits = [s for s in o.sentences if needle in s.text]
    assert hits, needle
    return hits[0]


def path_of(o, needle):
    s = sentence_with(o, needle)
    node = o.node_at(s.start)
    return node.path if node else None


# ---------------------------------------------------------------- the five documents

EXPECTED = {
    "000": (
        ["振奋精神，坚定争先进位的信心决心", "正视短板，增强不进则退的危机感紧迫感",
         "迎难而上，吹响攻坚三季度的集结号冲锋号"],
        [5, 4, 5],
        ["achievements", "problems", "tasks"],
    ),
    "001": (
        ["激扬斗志、勇当标杆，坚定信心再出发", "锚定目标、提速攻坚，昂扬奋进创一流",
         "凝心聚力、苦干实干，扛起重任强担当"],
        [0, 9, 3],
        ["achievements", "tasks", "conduct"],
    ),
    "002": (["把握大势抓落实", "科学统筹抓落实"], [3, 4], None),
    "003": (
        ["总结，我们要客观", "目标，我们要完成", "作风，我们要过硬"],
        [3, 3, 3],
        ["achievements", "tasks", "conduct"],
    ),
    "004": (
        ["坚定信心，认清形势，切实增强责任感紧迫感", "锚定目标，重点突破，全面掀起各项工作推进高潮",
         "强化作风，担当拼搏，全力确保各项任务高标完成"],
        [5, 8, 4],
        [None, "tasks", "conduct"],  # 一 mixes confidence and problems: either is fair
    ),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_top_level_headings(outlines, key):
    o = outlines[key]
    heads, counts, roles = EXPECTED[key]
    assert tops(o) == heads
    assert n_children(o) == counts
    if roles:
        got = [n.role for n in o.top()]
        for g, want in zip(got, roles):
            if want:
                assert g == want
    for n in o.top():
        assert n.family == "hanzi_dun" and n.level == 1


def test_004_section_one_role_is_confidence_or_problems(outlines):
    assert outlines["004"].top()[0].role in ("achievements", "problems")


@pytest.mark.parametrize("key", sorted(DOCS))
def test_offsets_exact(outlines, key):
    o = outlines[key]
    text = o.text
    assert o.nodes
    for n in o.nodes:
        head = text[n.start : n.head_end]
        assert head.startswith(n.label), (n.path, head)
        assert head.endswith(n.heading), (n.path, head)
        assert n.heading and n.heading.strip() == n.heading
        assert n.start < n.head_end <= n.end <= len(text)
        if n.parent is not None:
            p = o.nodes[n.parent]
            assert p.start < n.start and n.end <= p.end
            assert n.level == p.level + 1
            assert n.path == p.path + "/" + n.label
            assert n.role == o.nodes[0 if p.level == 1 else p.parent].role or n.role == p.role
        assert o.node_at(n.start) is n
    # siblings do not overlap and come in order
    starts = [n.start for n in o.nodes]
    assert starts == sorted(starts)


def test_sentence_paths_000(outlines):
    o = outlines["000"]
    assert path_of(o, "排全市B档") == "一/1"
    assert path_of(o, "市上选取“八张报表”中") == "一/*"  # masked *. inside a paragraph
    assert path_of(o, "要防范经济领域风险") == "三/3/一要"
    assert path_of(o, "推动经济发展需要各方参与") == "三/*"  # masked *. before a restart at 1.
    assert path_of(o, "政府性债务化解成效") == "一/1"
    heads, role = o.section_of(sentence_with(o, "与一季度相比").start)
    assert heads == ["正视短板，增强不进则退的危机感紧迫感", "部分经济指标不升反降"]
    assert role == "problems"
    assert o.section_of(sentence_with(o, "同志们，时间不等人").start) == ([], "other")  # closing
    assert o.section_of(sentence_with(o, "今天，我们召开").start) == ([], "other")  # preamble


def test_sentence_paths_001(outlines):
    o = outlines["001"]
    assert path_of(o, "围绕项目考评“四连冠”") == "二/二要"
    assert path_of(o, "人是要有一点精神的") == "三/一要"
    assert path_of(o, "时代眷顾奋斗者") == "一"


def test_sentence_paths_002_one_line(outlines):
    o = outlines["002"]
    assert o.text.count("\n") <= 2  # the whole speech is one line: all run-in headings
    assert path_of(o, "请龚颖同志牵头") == "二/二要"
    assert path_of(o, "欠兴旺还是最大县情") == "一/一要"
    assert path_of(o, "不谋全局者") == "一"
    # (by offset: sentences.py runs the sentence with the unclosed “入山问樵 over the heading)
    assert o.node_at(o.text.index("有时候换一种思路")).path == "二/四要"
    # 第一要务 and `各镇各部门首先要…` are not headings
    assert all(n.label not in ("首先", "第一") for n in o.nodes)
    heads, role = o.section_of(sentence_with(o, "县住建局要抓紧推进").start)
    assert heads == ["科学统筹抓落实", "抓住关键要害"]


def test_sentence_paths_003(outlines):
    o = outlines["003"]
    assert o.title is None  # the text opens with 同志们：
    assert o.span_text(o.salutation) == "同志们："
    assert path_of(o, "党员干部的党性作风建设") == "三/第三"
    assert path_of(o, "上半年实现GDP增长") == "一/（一）"
    assert path_of(o, "开展脱贫攻坚") == "一/（二）/一是"
    assert [n.label for n in o.children(o.nodes.index(o.top()[1]))] == ["（一）", "（二）", "（三）"]


def test_sentence_paths_004(outlines):
    o = outlines["004"]
    assert path_of(o, "服务融入京津冀协同发展") == "二/（三）"
    assert path_of(o, "一体推进“创城”工作") == "二/（四）/一是"
    assert path_of(o, "干每一项工作") == "三/二要"
    assert o.section_of(sentence_with(o, "首先请县政府各位领导").start) == ([], "other")
    labels = [n.label for n in o.children(o.nodes.index(o.top()[2]))]
    assert labels == ["一要", "二要", "三要", "四要"]  # 三要务实 is not 要务


def test_frame_spans(outlines):
    o = outlines["000"]
    assert o.span_text(o.title) == "在全县乡镇党委书记和部门“一把手”2023年三季度例会上的讲话"
    assert o.span_text(o.salutation) == "同志们："
    assert o.span_text(o.preamble).startswith("今天，我们召开")
    assert o.preamble[1] <= o.top()[0].start
    assert o.span_text(o.closing).startswith("同志们，时间不等人")
    assert o.top()[-1].end <= o.closing[0]
    o2 = outlines["002"]
    assert o2.span_text(o2.title) == "在2023年县政府全体会暨廉政工作会上的讲话"
    assert o2.span_text(o2.salutation) == "同志们："
    assert o2.span_text(o2.preamble).startswith("今年是新一届政府")
    assert o2.span_text(o2.preamble).endswith("下面，我重点就抓落实再讲几点意见：")
    assert o2.closing is None


# ---------------------------------------------------------------- made-up speeches

ALL_FAMILIES = """在全县经济工作会议上的讲话
同志们：
今天，我们召开全县经济工作会议。下面，我讲两点意见。
一、回顾过去，肯定成绩
过去一年，全县经济稳中有进。
（一）经济总量稳步增长
全年实现地区生产总值26.7亿元，增长6.5%。
1.工业经济回升。规上工业增加值增长8%。
（1）骨干企业贡献突出。前十强企业产值占比过半。
①新材料产业。产值增长20%。一是龙头企业扩产，二是配套企业落户。
②清洁能源产业。产值增长15%。
（2）中小企业活力增强。新增规上企业12家。
2.项目投资加快。完成固定资产投资31.6亿元。
（二）民生事业全面进步
城镇新增就业3000人。
二、聚焦重点，抓好明年工作
明年，要聚焦项目建设，抓好招商引资。
同志们，让我们团结一心，奋勇争先！
"""


def test_all_families_nest_in_order():
    o = segment(ALL_FAMILIES)
    got = [(n.path, n.level, n.family) for n in o.nodes]
    assert got == [
        ("一", 1, "hanzi_dun"),
        ("一/（一）", 2, "paren_hanzi"),
        ("一/（一）/1", 3, "arabic"),
        ("一/（一）/1/（1）", 4, "paren_arabic"),
        ("一/（一）/1/（1）/①", 5, "circled"),
        ("一/（一）/1/（1）/①/一是", 6, "shi"),
        ("一/（一）/1/（1）/①/二是", 6, "shi"),
        ("一/（一）/1/（1）/②", 5, "circled"),
        ("一/（一）/1/（2）", 4, "paren_arabic"),
        ("一/（一）/2", 3, "arabic"),
        ("一/（二）", 2, "paren_hanzi"),
        ("二", 1, "hanzi_dun"),
    ]
    by_path = {n.path: n for n in o.nodes}
    assert by_path["一/（一）"].heading == "经济总量稳步增长"
    assert not by_path["一/（一）"].runin
    assert by_path["一/（一）/1"].heading == "工业经济回升" and by_path["一/（一）/1"].runin
    assert by_path["一/（一）/1/（1）/①/一是"].heading == "龙头企业扩产"
    assert by_path["一/（一）/1/（1）/①"].number == 1 and by_path["一/（一）/1/（1）/②"].number == 2
    # a 一是 item ends with its paragraph; the next ② starts after it
    shi2 = by_path["一/（一）/1/（1）/①/二是"]
    assert ALL_FAMILIES[shi2.end - 1] == "。" and "\n" not in ALL_FAMILIES[shi2.start : shi2.end]
    # roles from headings and content, inherited by descendants
    assert [n.role for n in o.top()] == ["achievements", "tasks"]
    heads, role = o.section_of(ALL_FAMILIES.index("产值增长15%"))
    assert heads == ["回顾过去，肯定成绩", "经济总量稳步增长", "工业经济回升", "骨干企业贡献突出", "清洁能源产业"]
    assert role == "achievements"
    assert o.span_text(o.title) == "在全县经济工作会议上的讲话"
    assert o.span_text(o.closing) == "同志们，让我们团结一心，奋勇争先！"
    assert o.section_of(ALL_FAMILIES.index("奋勇争先")) == ([], "other")
    assert o.nodes[-1].end == o.closing[0] - 1  # the last section stops before the closing


def test_level_is_by_context_not_table():
    # 1. at the top, （一） below it: the first family met is level 1
    text = "同志们：\n1.抓项目\n（一）抓开工。要加快开工。\n（二）抓投产。要加快投产。\n2.抓招商\n（一）抓签约。要多签约。\n"
    o = segment(text)
    assert [(n.path, n.level) for n in o.nodes] == [
        ("1", 1), ("1/（一）", 2), ("1/（二）", 2), ("2", 1), ("2/（一）", 2)]


def test_halfwidth_and_fullwidth_labels_raw():
    text = "一、总体要求\n(一)稳增长。要稳住工业。\n１．抓工业。工业是根本。\n２．抓农业。农业是基础。\n(二)促改革。要深化改革。\n"
    o = segment(text)
    assert [(n.path, n.heading) for n in o.nodes] == [
        ("一", "总体要求"), ("一/(一)", "稳增长"), ("一/(一)/１", "抓工业"),
        ("一/(一)/２", "抓农业"), ("一/(二)", "促改革")]
    assert o.nodes[2].number == 1 and o.nodes[3].number == 2


def test_runin_headings_on_one_line():
    text = ("县长在全县推进会上的讲话\n同志们：今天召开推进会。下面我讲两点意见：一、把握大势抓落实。"
            "当前形势复杂。一要准确把握大局。我们要清醒认识形势。二要清醒认识短板。短板仍然突出。"
            "二、科学统筹抓落实。抓落实要讲方法。一要强化系统思维。要统筹兼顾。二要抓住关键要害。"
            "要抓重点。三要坚持问题导向。问题是时代的声音。")
    o = segment(text)
    assert [n.path for n in o.nodes] == ["一", "一/一要", "一/二要", "二", "二/一要", "二/二要", "二/三要"]
    assert [n.heading for n in o.nodes][:3] == ["把握大势抓落实", "准确把握大局", "清醒认识短板"]
    assert all(n.runin for n in o.nodes)
    assert o.span_text(o.salutation) == "同志们："
    assert o.span_text(o.preamble) == "今天召开推进会。下面我讲两点意见："
    assert o.section_of(text.index("问题是时代")) == (["科学统筹抓落实", "坚持问题导向"], o.top()[1].role)


def test_first_second_and_shouxian():
    text = ("三、作风，我们要过硬\n作风建设永远在路上。\n第一，全。工作要全面。\n第二，精。工作要精细。\n"
            "第三，实。工作要务实。\n四、狠抓落实\n首先，要压实责任。责任要到人。其次，要强化督查。"
            "督查要常态。最后，要严格考核。考核要硬。\n")
    o = segment(text)
    assert [(n.path, n.heading) for n in o.nodes] == [
        ("三", "作风，我们要过硬"), ("三/第一", "全"), ("三/第二", "精"), ("三/第三", "实"),
        ("四", "狠抓落实"), ("四/首先", "要压实责任"), ("四/其次", "要强化督查"), ("四/最后", "要严格考核")]
    assert [n.number for n in o.nodes if n.family == "shouxian"] == [1, 2, 99]
    assert [n.role for n in o.top()] == ["conduct", "conduct"]


def test_lone_runin_words_are_not_headings():
    text = ("一、抓好项目建设\n各部门首先要把项目抓在手上，坚持发展第一要务，统一是关键。"
            "最后，我再强调一点。一要素保障要跟上。\n二、抓好民生\n民生是根本。\n")
    o = segment(text)
    assert [n.path for n in o.nodes] == ["一", "二"]


def test_masked_numbers_take_sibling_family():
    text = ("一、比拼赶超\n要突出“三个比”。*.比出更强担当。发展是第一要务。\n"
            "1.比出更高质量。要以指标论英雄。\n2.比出更好状态。要以实绩论英雄。\n"
            "X、强化保障\n（X）强化资金保障。要多方筹资。\n（二）强化用地保障。要盘活存量。\n")
    o = segment(text)
    assert [(n.path, n.family, n.masked) for n in o.nodes] == [
        ("一", "hanzi_dun", False),
        ("一/*", "arabic", True),
        ("一/1", "arabic", False),
        ("一/2", "arabic", False),
        ("X", "hanzi_dun", True),
        ("X/（X）", "paren_hanzi", True),
        ("X/（二）", "paren_hanzi", False),
    ]
    assert o.nodes[1].heading == "比出更强担当" and o.nodes[1].number is None
    assert o.section_of(text.index("发展是第一要务")) == (["比拼赶超", "比出更强担当"], o.top()[0].role)


def test_restarts_and_skips_stay_siblings():
    text = "一、坚定信心\n1.经济向好。数据如下。\n3.项目提速。数据如下。\n1.民生改善。数据如下。\n三、狠抓落实\n要落实。\n"
    o = segment(text)
    assert [(n.path, n.level) for n in o.nodes] == [
        ("一", 1), ("一/1", 2), ("一/3", 2), ("一/1", 2), ("三", 1)]


def test_lists_inside_paragraph_are_not_headings():
    text = ("一、抓好重点工作\n今年重点抓好三件事：1、抓项目；2、抓招商；3、抓环境。各乡镇要抓好落实。\n"
            "主要措施有：1、加强领导。2、强化保障。3、严格考核。\n"
            "要统筹推进一、二季度工作，确保1.5亿元资金到位。\n"
            "二、抓好作风建设\n全县干部要转变作风。\n")
    o = segment(text)
    assert [n.path for n in o.nodes] == ["一", "二"]
    # the same items as whole-line headings with bodies are headings
    text2 = "一、抓好重点工作\n1、抓项目。今年要新开工项目30个，完成投资20亿元，确保项目早建成早见效。\n2、抓招商。今年要引进项目20个，签约资金50亿元以上，力争落地率达到80%以上。\n"
    o2 = segment(text2)
    assert [n.path for n in o2.nodes] == ["一", "一/1", "一/2"]


def test_runin_items_in_preamble_are_not_sections():
    text = ("同志们：\n今天会议的任务，一是总结工作。二是部署任务。\n一、总结工作\n成绩很大。\n二、部署任务\n要抓好落实。\n")
    o = segment(text)
    assert [n.path for n in o.nodes] == ["一", "二"]
    assert o.span_text(o.preamble) == "今天会议的任务，一是总结工作。二是部署任务。"


ROLE_SPEECH = """同志们：
一、回顾上半年工作
上半年，全县经济稳中向好，取得了明显成效，值得充分肯定。
二、清醒看到存在的问题
我们也要清醒地看到，工作中还存在不少短板和差距，发展不足的问题依然突出。
三、扎实做好下半年重点工作
下步，要聚焦目标任务，抓好项目建设，打好攻坚战。
四、切实转变作风
各级干部要强化担当，严守纪律，抓好落实，为完成任务提供坚强保障。
五、几点说明
会议材料会后印发。
"""


def test_role_classification():
    o = segment(ROLE_SPEECH)
    assert [n.role for n in o.top()] == ["achievements", "problems", "tasks", "conduct", "other"]


def test_classify_body_decides_when_heading_is_silent():
    text = "一、关于上半年\n上半年成绩突出，成效明显，亮点纷呈，值得肯定。\n二、关于下半年\n要部署重点工作，抓好目标任务，聚焦攻坚。\n"
    o = segment(text)
    assert [n.role for n in o.top()] == ["achievements", "tasks"]
    assert classify(text, "正视短板，增强紧迫感") == "problems"
    assert classify(text, "没有提示词") == "other"


def test_no_headings():
    text = "县长主持召开常务会议。会议指出，要抓好安全生产。\n"
    o = segment(text)
    assert o.nodes == [] and o.node_at(3) is None
    assert o.section_of(3) == ([], "other")
    assert len(o.sentences) == 2


def test_to_json_and_rich_tree(outlines):
    o = outlines["004"]
    d = to_json(o)
    json.dumps(d, ensure_ascii=False)
    assert len(d["nodes"]) == len(o.nodes)
    first = d["nodes"][0]
    assert first["path"] == "一" and first["label"] == "一" and first["level"] == 1
    assert first["heading"] == "坚定信心，认清形势，切实增强责任感紧迫感"
    assert d["salutation"]["text"] == "同志们："
    assert d["title"]["text"] == "县长县政府全体（扩大）会议上的讲话"

    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(rich_tree(o, title="004"))
    out = buf.getvalue()
    assert "004" in out
    assert "（三） 积极服务对接京津" in out
    assert "[tasks]" in out
    assert out.index("一 坚定信心") < out.index("（一） 密切关注经济运行") < out.index("三 强化作风")


def test_work_report_parts_take_their_roles_from_genre_words():
    # a work report's review and plan, and a speech's closing part, by the genre's own words
    report = ("一、过去一年工作回顾\n全县经济运行稳中向好，各项事业取得新成效。\n"
              "二、今年工作安排\n今年经济社会发展的主要预期目标是：地区生产总值增长6%左右。\n"
              "三、切实加强组织领导\n各级各部门要严明纪律，狠抓落实。\n")
    assert [n.role for n in segment(report).top()] == ["achievements", "tasks", "conduct"]
    assert classify(report, "清醒认识当前形势") == "problems"
    assert classify(report, "全力做好民生实事") == "tasks"
