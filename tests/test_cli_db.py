"""cli_db.py: the database commands, run through click's test runner."""
import json

import pytest
from click.testing import CliRunner

from pipeline import lexicon
from pipeline.cli import main

from test_diff import Q2, Q3


@pytest.fixture(autouse=True)
def no_lexicon(monkeypatch):
    """Raw unit names, no aliasing. A patch lives in this process only, so ingests here run with -j 1."""
    monkeypatch.setattr(lexicon, "units", lambda: {"alias": {}, "short": {}, "entries": []})
    monkeypatch.setattr(lexicon, "indicators", lambda: {"alias": {}, "entries": []})


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "q2.txt").write_text(Q2, encoding="utf-8")
    (d / "q3.txt").write_text(Q3, encoding="utf-8")
    (d / "other.txt").write_text("在白水县2023年三季度工作会上的讲话\n同志们：\n县发改委要牵头做好专项债券项目储备，8月底前完成申报。\n"
                                 "县财政局要配合做好资金保障。\n", encoding="utf-8")
    for n, p in (("q2", "2023Q2"), ("q3", "2023Q3")):
        (d / f"{n}.meta.json").write_text(json.dumps({"locality": "青山县", "period": p}), encoding="utf-8")
    return d


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def db(tmp_path, corpus):
    path = tmp_path / "s.db"
    r = run("ingest", corpus, "--db", path, "-j", "1")
    assert r.exit_code == 0, r.output
    return path


def test_ingest_summary_and_idempotence(tmp_path, corpus):
    path = tmp_path / "s.db"
    r = run("ingest", corpus, "--db", path, "-j", "1", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["added"] == 3
    r = run("ingest", corpus, "--db", path, "-j", "1")
    assert r.exit_code == 0 and "added 0, unchanged 3, replaced 0, failed 0" in r.output


def test_ingest_exit_status_1_when_a_file_fails_and_the_rest_is_stored(tmp_path, corpus):
    (corpus / "scan.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    path = tmp_path / "s.db"
    r = run("ingest", corpus, "--db", path, "-j", "1", "--format", "json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["added"] == 3 and out["failed"] == 1
    assert out["failures"][0]["file"].endswith("scan.txt") and "PDF" in out["failures"][0]["reason"]
    assert "scan.txt" in r.stderr and "PDF" in r.stderr
    speeches = json.loads(run("speeches", "--db", path, "--format", "json").stdout)
    assert sorted(s["doc"] for s in speeches) == ["other", "q2", "q3"]


def test_tasks_unit_query_from_db_and_from_files(db, corpus):
    rows = json.loads(run("tasks", "--unit", "发改", "--db", db, "--format", "json").stdout)
    assert {r["doc"] for r in rows} == {"q2", "q3", "other"}
    assert any("县发改局" in r["units"] for r in rows) and any("县发改委" in r["units"] for r in rows)
    assert all(r["sentence"] for r in rows)
    rows = json.loads(run("tasks", "--unit", "发改", "--since", "2023Q3", "--locality", "青山县", "--db", db,
                          "--format", "json").stdout)
    assert [r["doc"] for r in rows] == ["q3"]
    direct = json.loads(run("tasks", "--unit", "发改", corpus / "q2.txt", corpus / "other.txt", "--format", "json").stdout)
    assert {r["doc"] for r in direct} == {"q2", "other"}
    csv_out = run("tasks", "--unit", "住建", "--db", db, "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("doc,title,locality,period")
    assert len(csv_out.strip().splitlines()) == 3  # header + q2 + q3


def test_injection_string_as_unit_is_harmless(db):
    for evil in ("'; DROP TABLE tasks; --", "' OR '1'='1", "%"):
        r = run("tasks", "--unit", evil, "--db", db, "--format", "json")
        assert r.exit_code == 0 and json.loads(r.stdout) == []
    assert len(json.loads(run("tasks", "--db", db, "--format", "json").stdout)) >= 8


def test_search_two_characters(db):
    rows = json.loads(run("search", "考核", "--db", db, "--format", "json").stdout)
    assert len(rows) == 2 and all("考核" in r["sentence"] for r in rows)


def test_diff_by_period_and_by_reference(db):
    r = run("diff", "--locality", "青山县", "--from", "2023Q2", "--to", "2023Q3", "--db", db, "--format", "json",
            "--changes-only")
    rows = json.loads(r.stdout)
    assert sorted((x["kind"], x["status"], x["changed"]) for x in rows) == [
        ("target", "changed", "value"), ("task", "changed", "deadline"), ("task", "dropped", ""), ("task", "new", "")]
    md = run("diff", "q2", "q3", "--db", db, "--format", "markdown").stdout
    assert md.startswith("# Commitments:") and "2 changed, 1 new, 1 dropped" in md
    assert "value: 10 → 12" in md and "deadline: 6月底前 → 9月底前" in md
    bad = run("diff", "--locality", "青山县", "--from", "2023Q1", "--to", "2023Q3", "--db", db)
    assert bad.exit_code == 2 and "2023Q1" in bad.stderr
    assert run("diff", "q2", "--db", db).exit_code == 2


def test_targets_metrics_units_speeches_doctor(db):
    t = json.loads(run("targets", "--indicator", "固定资产投资", "--db", db, "--format", "json").stdout)
    assert sorted(x["value"] for x in t) == [10, 12]
    assert run("metrics", "--db", db, "--format", "csv").exit_code == 0
    units = json.loads(run("units", "--db", db, "--format", "json").stdout)
    assert any(u["name"] == "发改局" and u["tasks"] == 2 for u in units)
    doc = run("doctor", "--db", db, "--format", "json")
    assert doc.exit_code == 0
    checks = {r["check"]: r["value"] for r in json.loads(doc.stdout)}
    assert checks["integrity_check"] == "ok" and checks["schema_version"] >= 1 and checks["rows.speeches"] == 3


def test_export(db, tmp_path):
    out = tmp_path / "tasks.csv"
    assert run("export", "tasks", "--format", "csv", "-o", out, "--db", db).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,speech_id,sentence_id") and len(lines) > 5
    jl = run("export", "task_units", "--format", "jsonl", "--db", db).stdout.splitlines()
    assert all("name_fold" in json.loads(line) for line in jl)
    assert run("export", "sqlite_master", "--db", db).exit_code == 2  # not a record table
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        r = run("export", "tasks", "--format", "parquet", "-o", tmp_path / "t.parquet", "--db", db)
        assert r.exit_code == 2 and "pyarrow" in r.stderr
    else:
        r = run("export", "tasks", "--format", "parquet", "-o", tmp_path / "t.parquet", "--db", db)
        assert r.exit_code == 0 and (tmp_path / "t.parquet").stat().st_size > 0


def test_missing_database_is_a_clear_error(tmp_path):
    r = run("tasks", "--unit", "发改", "--db", tmp_path / "none.db")
    assert r.exit_code == 2 and "speechminer ingest" in r.stderr
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("cmd", ["ingest", "tasks", "targets", "metrics", "search", "diff", "export", "units",
                                 "speeches", "doctor"])
def test_every_command_has_an_example_in_help(cmd):
    r = run(cmd, "--help")
    assert r.exit_code == 0 and "Example" in r.output and "speechminer " + cmd in r.output
