"""diff.py: commitments of two speeches matched and classified new / dropped / kept / changed."""
import json

import pytest

from pipeline import diff
from pipeline.records import Target, Task, UnitRef

# ---------------------------------------------------------------- a Q2 and a Q3 speech of one county

Q2 = """在青山县2023年二季度经济运行调度会上的讲话
同志们：
今天召开会议，主要是分析一季度经济运行情况，安排部署二季度重点工作。
一、明确目标任务
今年是全面贯彻党的二十大精神的开局之年。全县固定资产投资确保增长10%以上。规上工业增加值力争增长8%以上。
二、抓好重点工作
县发改局要牵头，会同县统计局，于6月底前完成重点项目入库工作。
县住建局要抓紧推进老旧小区改造，9月底前全面完工。
县农业农村局要组织开展高标准农田建设，5月底前完成招标。
三、强化工作保障
县委督查室要加强督查考核，对工作不力的单位严肃问责。
同志们，让我们奋力冲刺二季度，确保实现“双过半”目标！
"""

# the same county one quarter later: investment target 10% → 12%, the 发改 deadline moved
# from 6月底 to 9月底, a new 商务局 task, the 农业农村局 task dropped; the rest as before
Q3 = (Q2.replace("二季度经济运行", "三季度经济运行").replace("分析一季度", "分析上半年")
      .replace("部署二季度", "部署三季度").replace("冲刺二季度", "冲刺三季度")
      .replace("确保增长10%以上", "确保增长12%以上")
      .replace("于6月底前完成重点项目入库", "于9月底前完成重点项目入库")
      .replace("县农业农村局要组织开展高标准农田建设，5月底前完成招标。\n", "")
      .replace("9月底前全面完工。\n", "9月底前全面完工。\n县商务局要牵头组织开展消费促进月活动，10月底前完成。\n"))

EXPECTED = {
    ("target", "changed", ("value",)),
    ("task", "changed", ("deadline",)),
    ("task", "new", ()),
    ("task", "dropped", ()),
}


def _differences(changes):
    return {(c.kind, c.status, tuple(c.fields)) for c in changes if c.status != "kept"}


def _target(ind, value, evidence, start, deadline=None, modality="must", comparator=">=", units=()):
    return Target(doc="d", evidence=evidence, start=start, end=start + len(evidence), indicator=ind,
                  comparator=comparator, value=value, unit="%", deadline=deadline, modality=modality,
                  units=list(units))


def _task(units, action, deadline, evidence, start, rng=None):
    return Task(doc="d", evidence=evidence, start=start, end=start + len(evidence), action=action,
                units=[UnitRef(n, r) for n, r in units], deadline=deadline, deadline_range=rng, addressee="named")


def constructed():
    """The Q2/Q3 commitments as records (independent of the extractors)."""
    a = {
        "targets": [diff.target_item(_target("固定资产投资", 10, "全县固定资产投资确保增长10%以上。", 60)),
                    diff.target_item(_target("规上工业增加值", 8, "规上工业增加值力争增长8%以上。", 80, modality="strive"))],
        "tasks": [diff.task_item(_task([("县发改局", "lead"), ("县统计局", "support")], "完成重点项目入库工作", "6月底前",
                                       "县发改局要牵头，会同县统计局，于6月底前完成重点项目入库工作", 100,
                                       ("2023-04-01", "2023-06-30"))),
                  diff.task_item(_task([("县住建局", "responsible")], "抓紧推进老旧小区改造", "9月底前",
                                       "县住建局要抓紧推进老旧小区改造", 140, ("2023-04-01", "2023-09-30"))),
                  diff.task_item(_task([("县农业农村局", "responsible")], "组织开展高标准农田建设", "5月底前",
                                       "县农业农村局要组织开展高标准农田建设", 170, ("2023-04-01", "2023-05-31"))),
                  diff.task_item(_task([("县委督查室", "responsible")], "加强督查考核", None,
                                       "县委督查室要加强督查考核", 210))],
    }
    b = {
        "targets": [diff.target_item(_target("固定资产投资", 12, "全县固定资产投资确保增长12%以上。", 60)),
                    diff.target_item(_target("规上工业增加值", 8, "规上工业增加值力争增长8%以上。", 80, modality="strive"))],
        "tasks": [diff.task_item(_task([("县发改局", "lead"), ("县统计局", "support")], "完成重点项目入库工作", "9月底前",
                                       "县发改局要牵头，会同县统计局，于9月底前完成重点项目入库工作", 100,
                                       ("2023-07-01", "2023-09-30"))),
                  # same deadline; its resolved range starts at the later meeting date
                  diff.task_item(_task([("县住建局", "responsible")], "抓紧推进老旧小区改造", "9月底前",
                                       "县住建局要抓紧推进老旧小区改造", 140, ("2023-07-01", "2023-09-30"))),
                  diff.task_item(_task([("县商务局", "lead")], "组织开展消费促进月活动", "10月底前",
                                       "县商务局要牵头组织开展消费促进月活动", 170, ("2023-07-01", "2023-10-31"))),
                  diff.task_item(_task([("县委督查室", "responsible")], "加强督查考核", None,
                                       "县委督查室要加强督查考核", 210))],
    }
    return a, b


def test_constructed_pair_gives_exactly_the_four_differences():
    a, b = constructed()
    changes = diff.compare(a, b)
    assert _differences(changes) == EXPECTED
    assert diff.summary(changes) == {"new": 1, "dropped": 1, "changed": 2, "kept": 3}
    by = {(c.kind, c.status): c for c in changes if c.status != "kept"}
    assert by["target", "changed"].details == ["value: 10 → 12"]
    assert by["task", "changed"].details == ["deadline: 6月底前 → 9月底前"]
    assert "县商务局" in by["task", "new"].subject and by["task", "new"].a is None
    assert "县农业农村局" in by["task", "dropped"].subject and by["task", "dropped"].b is None
    # both sentences are kept for a matched commitment
    c = by["target", "changed"]
    assert "10%" in c.a["sentence"] and "12%" in c.b["sentence"]


def test_end_to_end_pair_through_the_extractors_gives_the_four_differences():
    from pipeline.extraction import extract

    a, b = extract(Q2), extract(Q3)
    changes = diff.compare(diff.commitments(a), diff.commitments(b))
    assert _differences(changes) == EXPECTED, [(c.kind, c.status, c.subject, c.details) for c in changes]


def test_same_speech_is_all_kept():
    a, _ = constructed()
    changes = diff.compare(a, a)
    assert {c.status for c in changes} == {"kept"}
    assert len(changes) == len(a["targets"]) + len(a["tasks"])


def test_comparator_modality_and_owner_changes_are_named():
    a = {"targets": [diff.target_item(_target("一般公共预算收入", 5, "一般公共预算收入力争增长5%", 0, modality="strive",
                                             comparator=">=", units=[UnitRef("县财政局", "responsible")]))],
         "tasks": [diff.task_item(_task([("县住建局", "responsible")], "推进城区雨污分流改造工程", None, "x", 10))]}
    b = {"targets": [diff.target_item(_target("一般公共预算收入", 5, "一般公共预算收入确保增长5%左右", 0, modality="must",
                                             comparator="~", units=[UnitRef("县税务局", "responsible")]))],
         "tasks": [diff.task_item(_task([("县水利局", "lead")], "推进城区雨污分流改造工程", None, "y", 10))]}
    changes = diff.compare(a, b)
    assert [(c.kind, c.status, c.fields) for c in changes] == [
        ("target", "changed", ["comparator", "owner", "modality"]),
        ("task", "changed", ["owner"]),
    ]


def test_different_actions_of_one_unit_are_not_matched():
    a = {"tasks": [diff.task_item(_task([("县住建局", "responsible")], "推进老旧小区改造", None, "x", 0))]}
    b = {"tasks": [diff.task_item(_task([("县住建局", "responsible")], "开展燃气安全专项整治", None, "y", 0))]}
    assert [c.status for c in diff.compare(a, b)] == ["new", "dropped"]


def test_targets_match_on_indicator_and_unit_of_measure_with_level_prefix_folded():
    a = {"targets": [diff.target_item(_target("全县固定资产投资", 10, "全县固定资产投资增长10%", 0))]}
    b = {"targets": [diff.target_item(_target("固定资产投资增速", 10, "固定资产投资增速10%", 0))]}
    assert [c.status for c in diff.compare(a, b)] == ["kept"]
    other_unit = diff.target_item(_target("固定资产投资", 50, "固定资产投资完成50亿元", 0))
    other_unit["unit"] = "亿元"
    assert sorted(c.status for c in diff.compare(a, {"targets": [other_unit]})) == ["dropped", "new"]


def test_masked_values_compare_equal_and_store_rows_are_accepted():
    row = {"indicator": "地区生产总值", "indicator_key": None, "comparator": ">=", "value": None, "masked": 1,
           "unit": "%", "deadline": None, "modality": "set", "units": json.dumps([]), "evidence": "GDP增长*%"}
    x, y = diff.target_item(row), diff.target_item(dict(row))
    assert x["value"] == "masked"
    assert [c.status for c in diff.compare({"targets": [x]}, {"targets": [y]})] == ["kept"]


def test_dice():
    assert diff.dice("推进老旧小区改造", "推进老旧小区改造") == 1.0
    assert diff.dice("推进老旧小区改造", "开展燃气安全整治") == 0.0
    assert 0.4 < diff.dice("完成重点项目入库工作", "完成重点项目入库") < 1.0
    assert diff.dice("", "x") == 0.0


def test_markdown_report_has_counts_sections_and_both_sentences():
    a, b = constructed()
    md = diff.to_markdown(diff.compare(a, b), "Q2", "Q3")
    assert md.startswith("# Commitments: Q2 → Q3")
    assert "2 changed, 1 new, 1 dropped, 3 kept." in md
    assert "## Changed (2)" in md and "## New (1)" in md and "## Dropped (1)" in md
    assert "before: 全县固定资产投资确保增长10%以上。" in md and "after: 全县固定资产投资确保增长12%以上。" in md
    assert "## Kept" not in diff.to_markdown(diff.compare(a, b), include_kept=False)


def test_dataframe_columns():
    a, b = constructed()
    df = diff.to_dataframe(diff.compare(a, b))
    assert list(df["status"]).count("kept") == 3
    row = df[(df.kind == "target") & (df.status == "changed")].iloc[0]
    assert row["a_value"] == ">=10%" and row["b_value"] == ">=12%" and row["changed"] == "value"


@pytest.mark.parametrize("d,expected", [
    ({"deadline": "10月底前"}, "10月底"),
    ({"deadline": "10月底之前"}, "10月底"),
    ({"deadline": "年底", "deadline_to": "2023-12-31"}, "2023-12-31"),
    ({"deadline": None}, None),
])
def test_deadline_normal_form(d, expected):
    assert diff._deadline(d) == expected


def test_diff_of_two_files_needs_no_database(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main

    a, b = tmp_path / "q2.txt", tmp_path / "q3.txt"
    a.write_text(Q2, encoding="utf-8")
    b.write_text(Q3, encoding="utf-8")
    out = CliRunner().invoke(main, ["diff", str(a), str(b), "--db", str(tmp_path / "none.db"), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert _differences_of_rows(rows) >= {("target", "changed"), ("task", "new"), ("task", "dropped")}
    assert not (tmp_path / "none.db").exists()


def _differences_of_rows(rows):
    return {(r["kind"], r["status"]) for r in rows if r["status"] != "kept"}
