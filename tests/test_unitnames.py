"""Unit names by grammar: the case file tests/cases/unit_names.yaml, and the
places the task extractor reads names through it (tag lines, classify)."""
from pathlib import Path

import pytest
import yaml

from pipeline import unitnames
from pipeline.extraction import extract
from pipeline.normalize import normalize_text

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "unit_names.yaml").read_text(encoding="utf-8"))


def simplified(text: str) -> str:
    """The text as the pipeline reads it (Traditional converted, widths folded)."""
    return normalize_text(text).text


def test_the_case_file_is_big_enough():
    assert len(CASES["names"]) + len(CASES["not_units"]) + len(CASES["lists"]) >= 60


@pytest.mark.parametrize("case", CASES["names"], ids=[c["text"] for c in CASES["names"]])
def test_name(case):
    text = simplified(case["text"])
    u = unitnames.parse(text, case.get("level"))
    assert u is not None, text
    assert text[u.start:u.end] == case["name"] == u.text
    assert u.key == case.get("key"), u
    if "fold" in case:
        assert u.fold == case["fold"], u
    assert u.collective is case.get("collective", False), u
    assert not u.short


@pytest.mark.parametrize("text", CASES["not_units"])
def test_not_a_unit(text):
    assert unitnames.parse(simplified(text)) is None


@pytest.mark.parametrize("case", CASES["lists"], ids=[c["text"] for c in CASES["lists"]])
def test_list(case):
    text = simplified(case["text"])
    got = unitnames.split(text)
    assert [n for n, _, _ in got] == case["names"]
    assert all(text[s:e] == n for n, s, e in got)


@pytest.mark.parametrize("case", CASES["clauses"], ids=[c["text"] for c in CASES["clauses"]])
def test_clause(case):
    text = simplified(case["text"])
    got = unitnames.find(text)
    assert [u.text for u in got] == case["units"]
    assert all(text[u.start:u.end] == u.text for u in got)


def test_the_same_office_in_two_speeches_meets_in_one_fold():
    a = unitnames.parse("县经济合作和对外交流局")
    b = unitnames.parse("区经济合作和对外交流局")
    assert a is not None and b is not None and a.key is None
    assert a.ident == b.ident == "经济合作和对外交流局"


def test_a_name_of_another_level_is_local_in_that_levels_speech():
    assert unitnames.parse("省财政厅") is None
    u = unitnames.parse("省财政厅", "省")
    assert u is not None and (u.prefix, u.fold) == ("省", "财政厅")


def test_short_forms_are_units_only_in_lists():
    assert [u.text for u in unitnames.find("交通要先行")] == []
    assert [u.text for u in unitnames.find("交通、公安要联合执法")] == ["交通", "公安"]


# ------------------------------------------------------------ in the task extractor


def units_of(text: str) -> list[list[str]]:
    return [[u.name for u in t.units] for t in extract(text).tasks]


def test_tag_line_keeps_a_name_holding_he():
    got = units_of("加快推进标准化厂房建设（责任单位：县经济合作和对外交流局）。")
    assert got == [["县经济合作和对外交流局"]]


def test_tag_line_keeps_a_known_name_holding_he():
    got = units_of("加快推进冷链物流中心建设（责任单位：县商务和粮食局、县交通运输局）。")
    assert got == [["县商务和粮食局", "县交通运输局"]]


def test_tag_line_splits_two_names_joined_by_he():
    got = units_of("完善农产品质量追溯体系（责任单位：县农业农村局和县市场监管局）。")
    assert got == [["县农业农村局", "县市场监管局"]]


def test_a_collective_of_offices_is_not_named():
    tasks = extract("各乡镇财政所要加强惠农补贴资金监管。").tasks
    assert [(t.units[0].name, t.addressee) for t in tasks] == [("各乡镇财政所", "collective")]


def test_a_subject_holding_he_is_one_unit():
    tasks = extract("县应急管理和消防救援局要开展汛前隐患大排查。").tasks
    assert [[u.name for u in t.units] for t in tasks] == [["县应急管理和消防救援局"]]
