"""Reliability: hostile input (files generated here), re-ingest after a rules change, vanishing files.

Every bad file gets one line naming the file and the reason, the batch goes
on, and the exit status says that something failed. Crash and concurrency
tests with real processes are in test_parallel.py.
"""
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline import ingest as ingest_mod
from pipeline import rows as rows_mod
from pipeline.normalize import InputError, decode, normalize_file
from pipeline.store import Store, extractor_version

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SRC = (CORPUS / "000_f11bba97cbee365b.txt").read_text(encoding="utf-8")
SPEECHMINER = str(Path(sys.executable).with_name("speechminer"))


def _s2t(text: str) -> str:
    from opencc_pyo3 import OpenCC

    return OpenCC("s2t").convert(text)


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p><w:t>县发改局要牵头</w:t></w:p></w:body></w:document>")
    return buf.getvalue()


def _html() -> str:
    body = "".join(f"<p>{line}</p>" for line in SRC.splitlines() if line.strip())
    return ("<!DOCTYPE html><html><head><title>在县委经济工作会议上的讲话</title>"
            "<script>var tip = '县财政局要配合做好保障XYZ';</script><style>p{margin:0}</style></head><body>"
            "<nav><a href='/'>首页</a> | <a href='/zw'>政务公开</a> | <a href='/bs'>办事服务</a></nav>"
            "<div class='sidebar'><ul><li>热点新闻</li><li>通知公告</li></ul></div>"
            f"<div class='article-content'>{body}</div>"
            "<footer>版权所有：某某县人民政府办公室 主办单位：某某县人民政府</footer>"
            "<script>document.write('统计局要牵头QWE')</script></body></html>")


def _mixed() -> bytes:
    lines = SRC.splitlines(keepends=True)
    return b"".join(ln.encode("gbk", "replace") if i % 2 else ln.encode("utf-8") for i, ln in enumerate(lines))


# the speech with every heading line dropped and every list marker cut: prose only
OUTLINE_FREE = "同志们：\n" + "\n".join(
    re.sub(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|[一二三四五六七八九十][是要]|第[一二三四五六七八九十]+，|首先，)", "", ln)
    for ln in SRC.splitlines() if len(ln.strip()) > 30)

# name -> (bytes, expected): "ok" (stored), or a fragment of the failure reason
HOSTILE = {
    "zero-bytes.txt": (b"", "empty file"),
    "bom-only.txt": (b"\xef\xbb\xbf", "empty file"),
    "whitespace.txt": (" \n\t\r\n\u3000\n".encode("utf-8"), "white space"),
    "picture.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "PNG"),
    "noise.txt": (bytes((i * 7919 + 13) % 256 for i in range(6000)), None),  # any clear reason
    "scan.txt": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>\nendobj\n", "PDF"),
    "report.docx.txt": (_docx(), "DOCX"),
    "english.txt": (("Ladies and gentlemen, the county will build more roads this year. " * 40).encode(), "Chinese"),
    "japanese.txt": ("皆さん、こんにちは。県の経済は成長しています。今年の目標を必ず達成しましょう。".encode() * 20, "Japanese"),
    "russian.txt": ("Товарищи, экономика района растёт, план выполнен. ".encode() * 30, "Chinese"),
    "gbk.txt": (SRC.encode("gbk", "replace"), "ok"),
    "mixed-gbk-utf8.txt": (_mixed(), "ok"),
    "big5.txt": (_s2t(SRC).encode("big5", "replace"), "ok"),
    "utf16-bom.txt": (SRC.encode("utf-16"), "ok"),
    "utf16le-nobom.txt": (SRC.encode("utf-16-le"), "ok"),
    "page.html": (_html().encode("utf-8"), "ok"),
    "no-outline.txt": (OUTLINE_FREE.encode("utf-8"), "ok"),
    "only-headings.txt": ("\n".join(f"{c}、进一步加强项目建设" for c in "一二三四五六七八九十").encode(), "ok"),
    "one-line.txt": (SRC.replace("\n", "").encode() * 8, "ok"),
    "one-line-no-punctuation.txt": (("发展经济" * 60_000).encode(), "ok"),
    "路径 有空格 讲话.txt": (SRC.encode("utf-8"), "ok"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile") / "in box"
    d.mkdir()
    for name, (data, _) in HOSTILE.items():
        (d / name).write_bytes(data)
    return d


@pytest.fixture(scope="module")
def hostile_run(hostile, tmp_path_factory):
    """The whole folder through the real CLI, two workers."""
    db = tmp_path_factory.mktemp("db") / "s.db"
    t0 = time.perf_counter()
    r = subprocess.run([SPEECHMINER, "ingest", str(hostile), "--db", str(db), "-j", "2", "-q", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    return r, db, time.perf_counter() - t0


def test_hostile_folder_exit_status_and_one_line_per_bad_file(hostile, hostile_run):
    r, db, _ = hostile_run
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    bad = {n for n, (_, want) in HOSTILE.items() if want != "ok"}
    good = set(HOSTILE) - bad
    assert out["added"] == len(good) and out["failed"] == len(bad)
    failures = {Path(f["file"]).name: f["reason"] for f in out["failures"]}
    assert set(failures) == bad
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == len(bad), r.stderr  # one line per bad file, nothing else
    for name in bad:
        want = HOSTILE[name][1]
        reason = failures[name]
        assert reason and "\n" not in reason and "Traceback" not in reason
        if want:
            assert want.lower() in reason.lower(), (name, reason)
        line = next(ln for ln in lines if name in ln)
        assert line.startswith("failed ") and str(hostile / name) in line and reason in line


def test_hostile_folder_good_files_are_stored_correctly(hostile_run):
    _, db, _ = hostile_run
    s = Store(db, frames=False)
    by_name = {Path(r["path"]).name: r for r in s._read("SELECT path, encoding, script, chars, text, "
                                                           "(SELECT count(*) FROM metrics m WHERE m.speech_id = s.id) AS metrics, "
                                                           "(SELECT count(*) FROM tasks t WHERE t.speech_id = s.id) AS tasks "
                                                           "FROM speeches s")}
    ref = by_name["路径 有空格 讲话.txt"]
    assert ref["metrics"] > 20 and ref["tasks"] > 5
    for name in ("gbk.txt", "big5.txt", "utf16-bom.txt", "utf16le-nobom.txt", "mixed-gbk-utf8.txt"):
        got = by_name[name]
        assert abs(got["metrics"] - ref["metrics"]) <= 3 and abs(got["tasks"] - ref["tasks"]) <= 3, (name, got["metrics"])
    assert by_name["big5.txt"]["script"] == "traditional"
    assert by_name["mixed-gbk-utf8.txt"]["encoding"] == "mixed"
    assert by_name["utf16le-nobom.txt"]["encoding"] == "utf-16-le"
    page = by_name["page.html"]
    assert page["metrics"] > 20
    for junk in ("XYZ", "QWE", "首页", "政务公开", "版权所有", "margin"):
        assert junk not in page["text"], junk
    assert by_name["no-outline.txt"]["metrics"] > 10
    assert by_name["only-headings.txt"]["metrics"] == 0 and by_name["only-headings.txt"]["tasks"] == 0
    assert by_name["one-line.txt"]["metrics"] >= 8 * 20
    assert s.doctor()["integrity_check"] == "ok"


def test_hostile_folder_is_fast(hostile_run):
    assert hostile_run[2] < 60


def test_png_named_png_given_explicitly(tmp_path):
    p = tmp_path / "scan.png"
    p.write_bytes(HOSTILE["picture.txt"][0])
    res = Store(tmp_path / "s.db").ingest([p], progress=False)
    assert len(res.failed) == 1 and "PNG" in res.failed[0][1]


def test_decode_reasons_are_input_errors():
    for data in (b"", b"   \n", b"%PDF-1.4", b"PK\x03\x04rest", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        with pytest.raises(InputError) as e:
            decode(data, "x.txt")
        assert str(e.value).startswith("x.txt: ") and "\n" not in str(e.value)


def test_large_speech_time_and_memory_stay_bounded(tmp_path):
    """~1 MB in one speech here, to keep the suite fast (the 50 MB figure is in `make bench`)."""
    big = tmp_path / "big.txt"
    reps = (1 * 2**20) // len(SRC.encode("utf-8")) + 1
    big.write_text(SRC * reps, encoding="utf-8")
    code = (
        "import resource, sys, time; from pipeline.store import Store\n"
        "t = time.perf_counter(); r = Store(sys.argv[2]).ingest([sys.argv[1]], progress=False)\n"
        "print(len(r.added), time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    out = subprocess.run([sys.executable, "-c", code, str(big), str(tmp_path / "s.db")], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    added, secs, rss_mb = out.stdout.split()
    assert added == "1"
    assert float(secs) < 30 and int(rss_mb) < 1500, out.stdout
    s = Store(tmp_path / "s.db")
    assert s.conn.execute("SELECT count(*) FROM metrics").fetchone()[0] >= reps * 20


def test_too_large_file_is_refused_clearly(tmp_path, monkeypatch):
    from pipeline import normalize as norm

    monkeypatch.setattr(norm, "MAX_BYTES", 1000)
    p = tmp_path / "huge.txt"
    p.write_text(SRC, encoding="utf-8")
    with pytest.raises(InputError, match="too large"):
        normalize_file(p)


def test_a_file_that_disappears_mid_batch(tmp_path, monkeypatch):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(5):
        (d / f"s{i}.txt").write_text(SRC.replace("同志们", f"同志们{i}", 1), encoding="utf-8")
    real = ingest_mod.extract_rows
    calls = []

    def extract_then_vanish(path, data=None):  # after the batch was listed and hashed, two files go away
        calls.append(path)
        if len(calls) == 1:
            (d / "s3.txt").unlink()
            (d / "s4.txt").rename(tmp_path / "moved.txt")
        return real(path, data)

    monkeypatch.setattr(ingest_mod, "extract_rows", extract_then_vanish)
    res = Store(tmp_path / "s.db").ingest([d], progress=False)
    failed = dict((Path(f).name, r) for f, r in res.failed)
    assert set(failed) == {"s3.txt", "s4.txt"}
    assert all("not found" in r for r in failed.values())
    assert len(res.added) == 3


def test_a_folder_of_1000_files_some_bad(tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    bad = set()
    for i in range(1000):
        p = d / f"{i:04d}.txt"
        if i % 50 == 7:
            p.write_bytes(b"")
            bad.add(p.name)
        elif i % 50 == 23:
            p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
            bad.add(p.name)
        else:
            p.write_text(f"在第{i}次调度会上的讲话\n同志们：\n全县固定资产投资增长{i % 17}%。县发改局要牵头做好第{i}批项目储备。\n",
                         encoding="utf-8")
    t0 = time.perf_counter()
    res = Store(tmp_path / "s.db").ingest([d], progress=False, workers=2)
    secs = time.perf_counter() - t0
    assert {Path(f).name for f, _ in res.failed} == bad
    assert len(res.added) == 1000 - len(bad)
    s = Store(tmp_path / "s.db")
    assert s.conn.execute("SELECT count(*) FROM speeches").fetchone()[0] == 1000 - len(bad)
    assert s.conn.execute("SELECT count(*) FROM tasks").fetchone()[0] >= 1000 - len(bad)
    assert secs < 40


# ---------------------------------------------------------------- re-ingest and rule changes


@pytest.fixture
def two_speeches(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(SRC, encoding="utf-8")
    (d / "b.txt").write_text((CORPUS / "002_18ba25a6869fb89f.txt").read_text(encoding="utf-8"), encoding="utf-8")
    return d


def test_extractor_version_hashes_rules_and_package_version(tmp_path, monkeypatch):
    from pipeline import __version__, lexicon

    v = extractor_version()
    assert v.startswith(__version__ + "+") and v == extractor_version()
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in lexicon.RULES.glob("*.yaml"):
        (rules / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(lexicon, "RULES", rules)
    assert extractor_version() == v  # same bytes, same version
    with open(rules / "task_cues.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# a new comment is a rules change too\n")
    monkeypatch.setattr(rows_mod, "_EXTRACTOR", {})
    assert extractor_version() != v


def test_unchanged_input_is_a_noop_and_a_rules_change_re_extracts(tmp_path, two_speeches, monkeypatch):
    db = tmp_path / "s.db"
    s = Store(db)
    first = s.ingest([two_speeches], progress=False)
    assert len(first.added) == 2
    before = s.conn.execute("SELECT id, extractor, ingested_at FROM speeches ORDER BY id").fetchall()
    assert all(r[1] == extractor_version() for r in before)
    n_tasks = s.conn.execute("SELECT count(*) FROM tasks").fetchone()[0]

    again = s.ingest([two_speeches], progress=False)
    assert again.counts() == {"added": 0, "unchanged": 2, "replaced": 0, "failed": 0}
    assert s.conn.execute("SELECT id, extractor, ingested_at FROM speeches ORDER BY id").fetchall() == before

    monkeypatch.setattr(rows_mod, "extractor_version", lambda: "0.1.0+rules-edited")
    after = s.ingest([two_speeches], progress=False)
    assert sorted(Path(p).name for p in after.updated) == ["a.txt", "b.txt"]
    assert after.counts()["updated"] == 2 and not after.added and not after.unchanged
    assert "updated 2" in str(after)
    rows = s.conn.execute("SELECT id, extractor FROM speeches ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [r[0] for r in before] and {r[1] for r in rows} == {"0.1.0+rules-edited"}
    assert s.conn.execute("SELECT count(*) FROM tasks").fetchone()[0] == n_tasks  # rewritten, not doubled
    assert s.ingest([two_speeches], progress=False).counts()["unchanged"] == 2  # and now a no-op again


def test_rules_change_through_the_cli_reports_updated(tmp_path, two_speeches):
    """A real rules/ copy edited between two CLI runs (SPEECHMINER_RULES)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in (ROOT / "rules").glob("*.yaml"):
        (rules / f.name).write_bytes(f.read_bytes())
    env = {**os.environ, "SPEECHMINER_RULES": str(rules)}
    cmd = [SPEECHMINER, "ingest", str(two_speeches), "--db", str(tmp_path / "s.db"), "-q", "-j", "1", "--format", "json"]
    run = lambda: json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout)  # noqa: E731
    assert run()["added"] == 2
    assert run()["unchanged"] == 2
    with open(rules / "metric_cues.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    out = run()
    assert out["updated"] == 2 and out["unchanged"] == 0 and out["added"] == 0
    assert run()["unchanged"] == 2


def test_old_database_without_extractor_column_is_migrated_and_re_extracted(tmp_path, two_speeches):
    db = tmp_path / "s.db"
    s = Store(db)
    s.ingest([two_speeches], progress=False)
    s.conn.execute("UPDATE speeches SET extractor = NULL")  # as written by schema 2
    s.conn.commit()
    s.close()
    s = Store(db)
    res = s.ingest([two_speeches], progress=False)
    assert len(res.updated) == 2
