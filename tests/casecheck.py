"""The case-file runner shared by test_metrics.py and test_tasks.py.

A case (tests/cases/*.yaml) is a sentence and every record it yields, listed by
type; each record gives all its key fields. `check` extracts the sentence and
compares the records it gets, in order, field for field, with the listed ones.
"""
from pathlib import Path

import pytest
import yaml

from pipeline.extraction import extract

KEYS = {
    "metrics": ("evidence", "indicator", "measure", "value", "unit", "direction", "period", "compare_to", "rank"),
    "targets": ("evidence", "indicator", "comparator", "value", "unit", "deadline", "modality", "units"),
    "tasks": ("evidence", "units", "persons", "deadline", "addressee"),
}


def cases(name: str) -> list:
    """The cases of tests/cases/NAME.yaml as pytest params; `xfail: "<form>"` becomes a strict xfail."""
    loaded = yaml.safe_load((Path(__file__).parent / "cases" / name).read_text(encoding="utf-8"))
    return [
        pytest.param(c, id=f"{i:03d}",
                     marks=[pytest.mark.xfail(strict=True, reason=c["xfail"])] if "xfail" in c else [])
        for i, c in enumerate(loaded)
    ]


def keys_of(kind: str, rec: dict) -> set:
    """The fields a listed record must give: rank only when the measure is rank."""
    return {k for k in KEYS[kind] if k != "rank" or rec.get("measure") == "rank"}


def fields(kind: str, rec) -> dict:
    """A record's key fields as a case writes them (units as a name → role map)."""
    d = rec.to_dict()
    assert d.get("rank") is None or d["measure"] == "rank", d  # a rank dict only on a rank
    out = {k: d[k] for k in keys_of(kind, d)}
    if "units" in out:
        out["units"] = {u["name"]: u["role"] for u in out["units"]}
    return out


def check(case: dict) -> None:
    assert set(case) <= {"text", "xfail", *KEYS}, sorted(case)
    result = extract(case["text"])
    for kind in KEYS:
        want = case.get(kind) or []
        for w in want:
            assert set(w) == keys_of(kind, w), f"a listed {kind[:-1]} must give exactly {sorted(keys_of(kind, w))}: {w}"
        got = []
        for rec in getattr(result, kind):
            assert result.doc.text[rec.start:rec.end] == rec.evidence, (rec.start, rec.end, rec.evidence)
            got.append(fields(kind, rec))
        assert got == want, f"{kind} of {case['text']!r}"
