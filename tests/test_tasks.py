"""Task extraction: data-driven cases in the genre (tests/cases/tasks.yaml),
one test per pattern and exclusion, and the 发改 query over the seed documents."""

import casecheck
import pytest

from pipeline import lexicon
from pipeline.extraction import extract

needs_lexicon = pytest.mark.skipif(not (lexicon.RULES / "units.yaml").exists(), reason="rules/units.yaml not there yet")


def tasks_of(text: str, **meta):
    r = extract(text, meta or None)
    for t in r.tasks:
        assert r.doc.text[t.start:t.end] == t.evidence
    return [t.to_dict() for t in r.tasks]


@pytest.mark.parametrize("case", casecheck.cases("tasks.yaml"))
def test_case(case):
    casecheck.check(case)


# ------------------------------------------------------------ one per pattern


def test_subject_and_modal():
    (t,) = tasks_of("县商务局要尽快出台促消费若干措施。")
    assert [u["name"] for u in t["units"]] == ["县商务局"] and t["units"][0]["role"] == "responsible"
    assert t["action"].startswith("尽快出台")


def test_you_qian_tou():
    (t,) = tasks_of("由县财政局牵头，各乡镇配合，做好资金清算。")
    assert {u["name"]: u["role"] for u in t["units"]} == {"县财政局": "lead", "各乡镇": "support"}
    assert t["addressee"] == "named"


def test_qing_tongzhi_qiantou_juti_fuze():
    (t,) = tasks_of("请刘洋同志牵头，县科技局具体负责，每月调度一次研发投入。")
    assert t["persons"] == ["刘洋同志"]
    assert {u["name"]: u["role"] for u in t["units"]} == {"县科技局": "responsible"}
    assert t["deadline"] == "每月" and t["deadline_range"] is None


def test_huitong_makes_support():
    (t,) = tasks_of("县林业局会同县公安局，严厉打击乱砍滥伐。")
    assert {u["name"]: u["role"] for u in t["units"]} == {"县林业局": "responsible", "县公安局": "support"}


def test_etc_lead_units():
    (t,) = tasks_of("县医保局、县卫健局、县人民医院等3个试点牵头单位要加快推进医共体建设。")
    assert {u["role"] for u in t["units"]} == {"lead"} and len(t["units"]) == 3


def test_carry_over_semicolon_not_period():
    got = tasks_of("各乡镇要抓好秸秆禁烧；要加强巡查值守。要做好宣传引导。")
    assert len(got) == 2 and all(g["units"][0]["name"] == "各乡镇" for g in got)


def test_numbered_list_intro():
    got = tasks_of("对县文明办提出要求：\n一是要完善测评体系。\n二是要加强常态督导。")
    assert len(got) == 2 and all(g["units"][0]["name"] == "县文明办" for g in got)


def test_tag_line_in_brackets():
    (t,) = tasks_of("新建城区停车位2000个。（责任单位：县城管局）")
    assert t["units"][0]["name"] == "县城管局" and t["addressee"] == "named"


def test_tag_line_with_deadline():
    (t,) = tasks_of("完成饮用水源地整治。整改责任单位：县水利局，整改时限：10月底前", meeting_date="2023-07")
    assert t["deadline"] == "10月底前" and t["deadline_range"] == ["2023-07-01", "2023-10-31"]


def test_news_report():
    (t,) = tasks_of("会议强调，县教体局要在开学前完成校舍安全排查。")
    assert t["units"][0]["name"] == "县教体局"


def test_named_vs_collective():
    assert tasks_of("各部门要狠抓落实。")[0]["addressee"] == "collective"
    assert tasks_of("县审计局要狠抓落实。")[0]["addressee"] == "named"
    assert tasks_of("陈东同志要狠抓落实。")[0]["addressee"] == "named"
    assert tasks_of("分管领导要狠抓落实。")[0]["addressee"] == "collective"


def test_evidence_is_short():
    (t,) = tasks_of("县交通局要加快国道改线工程进度，协调解决征地拆迁问题，确保按期通车，为全县发展提供支撑。")
    assert t["evidence"] == "县交通局要加快国道改线工程进度"


@needs_lexicon
def test_list_split_short_forms():
    (t,) = tasks_of("由应急牵头，气象、规资、水利、交通、公安等部门及各乡镇街道做好防汛准备。")
    names = [u["name"] for u in t["units"]]
    assert names == ["应急", "气象", "规资", "水利", "交通", "公安", "各乡镇街道"]
    assert t["units"][0]["role"] == "lead"


# ------------------------------------------------------------ one per exclusion


def test_exclusion_report_receivers():
    (t,) = tasks_of("县发改局要每月汇总项目进度，报县委、县政府。")
    assert [u["name"] for u in t["units"]] == ["县发改局"]


def test_exclusion_counterpart():
    (t,) = tasks_of("县商务局要积极对接国家发改委，主动与省市发改委沟通。")
    assert [u["name"] for u in t["units"]] == ["县商务局"]


def test_exclusion_other_level_subject():
    assert tasks_of("省市发改委要加快项目审批。") == []


def test_exclusion_speaker_side():
    assert tasks_of("我们要坚持稳中求进工作总基调。") == []


def test_exclusion_no_addressee():
    assert tasks_of("要加快推进城北学校项目建设。") == []


def test_exclusion_praised():
    assert tasks_of("县税务局、县财政局表现突出，位居全市前列。") == []


def test_exclusion_reported_speaker():
    assert tasks_of("家军书记强调，要把招商引资作为一号工程。") == []


# ------------------------------------------------------------ the seed documents


@needs_lexicon
def test_fagai_tasks_in_seed_documents(docs):
    from pipeline.segment import segment
    from pipeline import tasks as tasks_mod

    found = []
    for key, doc in docs.items():
        for t in tasks_mod.extract(doc, segment(doc.text)):
            if any(u.key == lexicon.unit_lookup("发改局")["key"] for u in t.units):
                found.append((key, t.evidence))
    assert len(found) >= 6, found
    assert len({k for k, _ in found}) >= 4, found
    # 发改 only as a counterpart (与省市发改委对接, 国家发改委明确…) is never a task unit
    assert not any("省市发改委" in e or "国家发改委" in e for _, e in found), found


def test_seed_documents_fast_and_consistent(docs):
    import time

    from pipeline.segment import segment
    from pipeline import tasks as tasks_mod

    t0 = time.perf_counter()
    n = 0
    for doc in docs.values():
        for t in tasks_mod.extract(doc, segment(doc.text)):
            assert doc.text[t.start:t.end] == t.evidence
            assert t.addressee in ("named", "collective")
            n += 1
    assert n > 50
    assert time.perf_counter() - t0 < 5


def test_heading_owner_with_a_count():
    """一、X牵头工作（N项）: the count after the heading is no part of the owner's name."""
    got = tasks_of("2025年县政府工作报告任务清单\n一、县示范区管委会牵头工作（2项）\n1.建设食用菌生产基地。\n2.推动冷链物流园投产。")
    assert [t["evidence"] for t in got] == ["1.建设食用菌生产基地", "2.推动冷链物流园投产"]
    assert all([(u["name"], u["role"]) for u in t["units"]] == [("县示范区管委会", "lead")] for t in got)
    assert all(t["deadline"] == "2025年" and t["rule"] == "heading_owner" for t in got)


def test_a_passage_the_page_repeats_is_one_task():
    """A summary that copies the body (核心提示) gives the body's task once."""
    text = "核心提示：\n县住建局要加快老旧小区改造。\n正文\n县住建局要加快老旧小区改造。\n县交通局要加快公路建设。"
    got = tasks_of(text)
    assert [t["evidence"] for t in got] == ["县住建局要加快老旧小区改造", "县交通局要加快公路建设"]


def test_a_work_reports_review_assigns_nothing():
    """The review of a work report tells what was done, even with a role word; its plan assigns."""
    text = ("政府工作报告\n一、过去一年工作回顾\n过去的一年，由县发改局牵头，争取中央预算内资金2亿元。\n"
            "二、今年工作安排\n由县住建局牵头，推进老旧小区改造。")
    got = tasks_of(text)
    assert [[u["name"] for u in t["units"]] for t in got] == [["县住建局"]]
