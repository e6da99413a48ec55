"""The public API (`import pipeline as sm`) and the spaCy component, on the five corpus documents:
both must give the same records as `speechminer extract --format jsonl`."""
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import pipeline as sm
from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "corpus").glob("*.txt"))


def cli_records(path: Path) -> list[dict]:
    out = CliRunner().invoke(main, ["extract", str(path), "--format", "jsonl"], catch_exceptions=False).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def key(d: dict) -> tuple:
    return d["doc"], d["type"], d["start"], d["end"]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem[:12])
def test_extract_matches_the_cli(path):
    r = sm.extract(path)
    assert isinstance(r, sm.Result)
    # every corpus speech states results; the speeches assign work (a work report may assign none)
    assert r.metrics and (r.tasks or r.outline.kind == "work_report")
    assert all(isinstance(m, sm.Metric) for m in r.metrics) and all(isinstance(t, sm.Task) for t in r.tasks)
    assert sorted(r.to_dicts(), key=key) == sorted(cli_records(path), key=key)
    assert [rec.to_dict() for rec in r.records] == r.to_dicts()
    assert r.outline.sentences
    assert not r.tasks or r.outline.section_of(r.tasks[0].start)[0] == r.tasks[0].section


def test_to_dataframe_per_kind():
    r = sm.extract(CORPUS[0])
    tasks = r.to_dataframe("tasks")
    assert isinstance(tasks, pd.DataFrame) and len(tasks) == len(r.tasks)
    assert {"evidence", "action", "deadline", "units"} <= set(tasks.columns)
    assert len(r.to_dataframe("metrics")) == len(r.metrics)
    assert len(r.to_dataframe()) == len(r.records)


def test_extract_takes_raw_text_and_meta():
    text = ("在青山县2024年一季度经济运行调度会上的讲话\n同志们：\n"
            "一季度，全县规上工业增加值增长6.5%，排全市第3位。\n"
            "县发改局要牵头，会同县财政局，于6月底前完成专项债券项目申报。\n")
    r = sm.extract(text, meta={"locality": "青山县"})
    assert [(m.indicator, m.value) for m in r.metrics if m.value is not None][:1] == [("规上工业增加值", 6.5)]
    task = r.tasks[0]
    assert [(u.name, u.role) for u in task.units][:2] == [("县发改局", "lead"), ("县财政局", "support")]
    assert task.deadline == "6月底前"


def test_store_returns_dataframes(tmp_path):
    store = sm.Store(tmp_path / "s.db")
    res = store.ingest([str(p) for p in CORPUS], progress=False)
    assert len(res.added) == len(CORPUS)
    lead = store.tasks(unit="发改", role="lead")
    assert isinstance(lead, pd.DataFrame)
    assert store.metrics().shape[0] == sum(len(sm.extract(p).metrics) for p in CORPUS)
    assert isinstance(store.targets(), pd.DataFrame)
    a, b = CORPUS[0].stem, CORPUS[1].stem
    d = store.diff(a, b)
    assert isinstance(d, pd.DataFrame) and set(d["status"]) <= {"new", "dropped", "changed", "same"}


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        sm.no_such_thing  # noqa: B018
    assert "extract" in dir(sm) and "Store" in sm.__all__


spacy = pytest.importorskip("spacy")


@pytest.fixture(scope="module")
def nlp():
    from pipeline.spacy_component import make_nlp

    return make_nlp()


def test_component_is_registered_through_entry_points():
    nlp = spacy.blank("zh")
    nlp.add_pipe("speechminer")  # no import of pipeline.spacy_component here: found via spacy_factories
    assert nlp.pipe_names == ["speechminer"]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem[:12])
def test_spacy_component_gives_the_same_records(nlp, path):
    r = sm.extract(path)
    doc = nlp.make_doc(r.doc.text)
    doc.user_data["doc_id"] = r.doc.doc_id
    doc = nlp.get_pipe("speechminer")(doc)
    # the component reads doc.text, the clean text: the same records as extracting that text ...
    from pipeline.normalize import normalize_text

    again = sm.extract(normalize_text(r.doc.text, doc_id=r.doc.doc_id))
    assert [rec.to_dict() for rec in doc._.speechminer] == again.to_dicts()
    # ... and as extracting the file, except that unit names are quoted from the clean text there,
    # not from the source as written (a rewriting tool's 效劳 for 服务 stays in the file's records)
    def brief(d):
        return d["type"], d["start"], d["end"], d["evidence"], [u["key"] for u in d.get("units", [])]

    assert [brief(x.to_dict()) for x in doc._.speechminer] == [brief(x) for x in r.to_dicts()]
    for kind, key_ in (("metric", "metrics"), ("target", "targets"), ("task", "tasks")):
        spans = doc.spans[key_]
        recs = [x for x in doc._.speechminer if x.type == kind]
        assert len(spans) == len(recs)
        for span in spans:  # each span covers its record's evidence and points back at it
            rec = span._.speechminer
            assert rec.type == kind and span.start_char <= rec.start and rec.end <= span.end_char


def test_spacy_labels_and_tokens(nlp):
    doc = nlp("县发改局要牵头，会同县财政局，于6月底前完成专项债券项目申报。全县规上工业增加值增长6.5%，排全市第3位。")
    assert [s.label_ for s in doc.spans["tasks"]] == ["named"]
    assert doc.spans["metrics"] and {s.label_ for s in doc.spans["metrics"]} <= {"level", "growth", "delta", "rank", "share"}
    # plain jieba cuts 县发|改局; the project's user dictionary reached spaCy's jieba segmenter
    assert "发改局" in [t.text for t in doc]


def test_package_is_typed_and_mypy_clean():
    assert (ROOT / "pipeline" / "py.typed").exists()
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
                                str(ROOT / "pipeline")])
    assert status == 0, out + err
