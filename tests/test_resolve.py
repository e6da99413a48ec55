"""Absolute periods and deadlines (dates.resolve_period) and the resolve step on whole reports."""
from __future__ import annotations

import pytest

from pipeline import extract_text
from pipeline.dates import part_years, resolve_period


@pytest.mark.parametrize("words, ref, ctx, want", [
    # a year named by its number
    ("2016年", "2017-02-11", {}, ("2016-01-01", "2016-12-31")),
    # a report's review: 全年 and no words at all are the year before the report
    ("全年", "2018-03-07", {"role": "review", "cue": "2017年工作回顾"}, ("2017-01-01", "2017-12-31")),
    ("全年", "2018-03-07", {"role": "review", "cue": "过去的一年", "kind": "work_report"}, ("2017-01-01", "2017-12-31")),
    (None, "2018-03-07", {"role": "review", "cue": "过去的一年", "kind": "work_report"}, ("2017-01-01", "2017-12-31")),
    ("过去的一年", "2018-03-07", {}, ("2017-01-01", "2017-12-31")),
    ("五年来", "2021-01-20", {}, ("2016-01-01", "2020-12-31")),
    # outside any part, 全年 is the speech's own year
    ("全年", "2023-12", {}, ("2023-01-01", "2023-12-31")),
    # from the year's start to the months complete at the meeting
    ("今年以来", "2023-07", {}, ("2023-01-01", "2023-06-30")),
    ("截止6月底", "2023-07", {}, ("2023-01-01", "2023-06-30")),
    ("1-7月份", "2020-08", {}, ("2020-01-01", "2020-07-31")),
    ("前三季度", "2023-10", {}, ("2023-01-01", "2023-09-30")),
    ("3季度", "2023-10", {}, ("2023-07-01", "2023-09-30")),
    ("上半年", "2019", {}, ("2019-01-01", "2019-06-30")),
    # five-year plans
    ("“十三五”时期", "2021", {}, ("2016-01-01", "2020-12-31")),
    ("十一五", "2012", {}, ("2006-01-01", "2010-12-31")),
])
def test_periods(words, ref, ctx, want):
    assert resolve_period(words, ref, **ctx) == want


@pytest.mark.parametrize("words, ref, ctx, want", [
    # the plan part's year when the goal names no time
    (None, "2017-02-11", {"role": "plan", "cue": "2017年工作安排"}, ("2017-01-01", "2017-12-31")),
    ("2017年", "2017-02-11", {"role": "plan"}, ("2017-01-01", "2017-12-31")),
    # "by" deadlines run from the meeting
    ("年底前", "2017-02-11", {"role": "plan", "cue": "2017年工作安排"}, ("2017-02-11", "2017-12-31")),
    ("10月底前", "2023-07", {}, ("2023-07-01", "2023-10-31")),
    ("三季度", "2023-07", {}, ("2023-07-01", "2023-09-30")),
    ("十四五末", "2022-03", {}, ("2022-03-01", "2025-12-31")),
    ("今年", "2018-03-07", {"role": "plan"}, ("2018-01-01", "2018-12-31")),
])
def test_deadlines(words, ref, ctx, want):
    assert resolve_period(words, ref, deadline=True, **ctx) == want


@pytest.mark.parametrize("words, ref", [
    ("20xx年", "2021"),       # a masked year stays unresolved, never a guess
    ("XX月", "2021-05"),
    ("今年以来", "2023"),      # no month: the months complete at the meeting are unknown
    ("全年", None),            # no date to count from
    ("每季度", "2023-07"),     # recurring
])
def test_unresolved(words, ref):
    assert resolve_period(words, ref) is None
    assert resolve_period(words, ref, deadline=True) is None


def test_part_years():
    assert part_years("review", "五年来", "2021-01") == (2016, 2020)
    assert part_years("plan", "2018年工作安排", "2018-03-07") == (2018, 2018)
    assert part_years("review", "上半年工作回顾", "2023-07") is None


REPORT = ("政府工作报告\n——2019年3月5日在青山区第十六届人民代表大会第三次会议上\n"
          "各位代表：\n一、2018年工作回顾\n"
          "过去的一年，全区地区生产总值完成210.5亿元，增长6.8%；全年旅游收入达到12.3亿元。\n"
          "二、2019年工作安排\n"
          "今年经济社会发展主要预期目标是：地区生产总值增长6.5%左右；单位地区生产总值能耗下降3%；"
          "城镇登记失业率控制在4%以内。\n"
          "年底前建成公共停车场5个。\n")


def test_a_report_review_lands_in_the_year_before():
    r = extract_text(REPORT, doc_id="qs2019")
    gdp = [m for m in r.metrics if m.indicator == "地区生产总值"]
    assert gdp and all((m.period_start, m.period_end) == ("2018-01-01", "2018-12-31") for m in gdp)
    tour = [m for m in r.metrics if m.indicator == "旅游收入"]
    assert tour and tour[0].period == "全年" and tour[0].period_end == "2018-12-31"
    d = tour[0].to_dict()
    assert d["period"] == "全年" and d["period_start"] == "2018-01-01"  # as written and resolved, side by side


def test_a_report_plan_targets_are_for_its_year_with_their_measure():
    r = extract_text(REPORT, doc_id="qs2019")
    by = {(t.indicator, t.measure, t.direction): t for t in r.targets}
    gdp = by[("地区生产总值", "growth", "up")]
    assert gdp.comparator == "~" and gdp.deadline_range == ("2019-01-01", "2019-12-31")
    energy = [t for t in r.targets if t.direction == "down"]
    assert energy and energy[0].measure == "growth" and energy[0].value == 3
    jobless = [t for t in r.targets if t.comparator == "<="]
    assert jobless and jobless[0].measure == "level"
    parking = [t for t in r.targets if t.unit == "个"]
    assert parking and parking[0].deadline_range == ("2019-03-05", "2019-12-31")
    assert parking[0].to_dict()["deadline_range"] == ["2019-03-05", "2019-12-31"]
