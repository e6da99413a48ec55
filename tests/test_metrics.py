"""Metric and target extraction: data-driven cases in the genre, plus the seed documents."""
from pathlib import Path

import casecheck
import pytest

from pipeline.extraction import extract
from pipeline.numbers import han_to_number, parse, parse_range


@pytest.mark.parametrize("case", casecheck.cases("metrics.yaml"))
def test_case(case):
    casecheck.check(case)


def test_case_runner_is_strict():
    """An unlisted record, a field left out and a wrong value each fail a case."""
    growth = {"evidence": "全县GDP增长5.2%", "indicator": "GDP", "measure": "growth", "value": 5.2, "unit": "%",
              "direction": "up", "period": "上半年", "compare_to": None}
    text = "上半年，全县GDP增长5.2%。"
    casecheck.check({"text": text, "metrics": [growth]})
    for bad in ({"text": text}, {"text": text, "metrics": [{**growth, "value": 5.3}]},
                {"text": text, "metrics": [{k: v for k, v in growth.items() if k != "period"}]},
                {"text": text, "metrics": [growth], "tasks": [{"evidence": "全县GDP增长5.2%", "units": {}, "persons": [],
                                                              "deadline": None, "addressee": "collective"}]}):
        with pytest.raises(AssertionError):
            casecheck.check(bad)


def test_evidence_is_the_text_at_the_offsets():
    text = "同志们：\n上半年，全县地区生产总值增长6.8%，排全市第4位。要确保全年增长7%以上。"
    r = extract(text)
    for rec in r.metrics + r.targets:
        assert r.doc.text[rec.start:rec.end] == rec.evidence


@pytest.mark.parametrize("written,value", [
    ("一百二十", 120), ("十二", 12), ("两", 2), ("三点五", 3.5), ("二〇二三", 2023), ("一万二千", 12000),
])
def test_chinese_numerals(written, value):
    assert han_to_number(written) == value


@pytest.mark.parametrize("written,value", [
    ("139.2", 139.2), ("1,234", 1234), ("*", "masked"), ("XX", "masked"), ("××", "masked"),
    ("百分之八十", 80), ("-1.8", -1.8), ("3-5", 3), ("5至8", 5),
    ("1/4", 0.25), ("三分之二", 0.6667), ("四分之一", 0.25), ("1/0", None),
])
def test_parse(written, value):
    assert parse(written) == value


def test_range():
    assert parse_range("3-5") == (3.0, 5.0)
    assert parse_range("6至7") == (6.0, 7.0)
    assert parse_range("7") is None


def test_seed_documents_reach_the_acceptance_bar():
    """Score all five seeds with the shared scorer (skipped when shared/ is absent)."""
    import importlib.util
    import json

    root = Path(__file__).resolve().parent.parent
    scorer = root.parent / "shared" / "eval" / "score.py"
    if not scorer.exists():
        pytest.skip("shared/eval is not beside the checkout")
    spec = importlib.util.spec_from_file_location("score", scorer)
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    gold = score.load_jsonl(score.expand([str(scorer.parent / "gold")]))
    pred = []
    for p in sorted((root / "corpus").glob("*.txt")):
        pred += [json.loads(json.dumps(r.to_dict(), ensure_ascii=False)) for r in extract(p).records]
    results, _ = score.score(gold, pred)
    assert results["metric"]["f1"] >= 0.90 and results["metric"]["strict_f1"] >= 0.85
    assert results["target"]["f1"] >= 0.85 and results["target"]["strict_f1"] >= 0.80
