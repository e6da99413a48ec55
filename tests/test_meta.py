"""Speech metadata from titles, datelines and the body (pipeline/meta.py, rules/meta.yaml)."""
from __future__ import annotations

import pytest

from pipeline.normalize import normalize_text

REPORT = ("政府工作报告\n——2019年3月5日在青山区第十六届人民代表大会第三次会议上\n青山区人民政府区长 张明\n"
          "各位代表：\n现在，我代表区人民政府向大会报告工作，请予审议。\n一、2018年工作回顾\n"
          "过去的一年，全区地区生产总值增长6.5%。\n二、2019年工作安排\n全区地区生产总值增长6%左右。\n")


def test_dateline_gives_the_meeting_day_and_quarter():
    m = normalize_text(REPORT).meta
    assert m["meeting_date"] == "2019-03-05"
    assert m["period"] == "2019Q1"
    assert m["year"] == 2019


def test_locality_from_a_congress_session_and_its_level():
    m = normalize_text(REPORT).meta
    assert m["locality"] == "青山区"
    assert m["level"] == "区"


@pytest.mark.parametrize("text, place, level", [
    # a city's name before the district's: the district is the place
    ("平川市安宁区2021年政府工作报告\n各位代表：\n全区经济运行平稳。", "安宁区", "区"),
    # the government named after 代表 in the opening sentence
    ("现在，我代表石门县人民政府向大会报告工作，请予审议。\n全县经济运行平稳。", "石门县", "县"),
    # a county of the pastoral areas is a 旗: a county-level place
    ("中共乌兰旗委员会召开全委会。\n全旗经济运行平稳。", "乌兰旗", "县"),
    # a city's own report, its title opening with the year
    ("2019年青州市政府工作报告\n各位代表：\n全市经济运行平稳。", "青州市", "市"),
    ("——2019年1月8日在临川市第十届人民代表大会第三次会议上\n各位代表：", "临川市", "市"),
    # a name that opens with a character that also means "up"
    ("现在，我代表上林县人民政府向大会报告工作。", "上林县", "县"),
])
def test_locality_forms(text, place, level):
    m = normalize_text(text).meta
    assert m.get("locality") == place
    assert m.get("level") == level


def test_prose_names_no_place_and_a_body_date_is_no_meeting_day():
    text = ("在全县经济工作会议上的讲话\n同志们：\n要认真落实县委部署，县政府各部门要各负其责。"
            "条例自2016年6月1日起施行，2023年全县经济运行平稳。\n")
    m = normalize_text(text).meta
    assert "locality" not in m
    assert len(m["meeting_date"]) == 4  # the year only: the body's date is no dateline
    assert m["level"] == "县"


def test_no_han_pattern_inline_in_meta():
    """Issue 15: the patterns and words of meta.py are data in rules/meta.yaml (docstrings aside)."""
    import ast
    from pathlib import Path

    import regex

    tree = ast.parse((Path(__file__).resolve().parent.parent / "pipeline" / "meta.py").read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    han = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
           and id(n) not in docs and regex.search(r"\p{Han}", n.value)]
    assert not han
