"""The web explorer (issue 9): canned-query SQL on the database, the Datasette pages, and a real browser.

The browser test starts `speechminer serve` on a free loopback port and drives
Debian's Chromium (/usr/bin/chromium) through Playwright's Python package
(never a downloaded browser); it is skipped, with the reason, when either is
missing. `.ci/run` installs Chromium so that in CI it runs.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import serve as web
from pipeline import store as store_mod
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
OUTPUTS = ROOT / "outputs"
CHROMIUM = os.environ.get("SPEECHMINER_CHROMIUM", "/usr/bin/chromium")
FAGAI_FORMS = ("发改", "发改局", "县发改局", "发改委")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "t.db"
    with Store(path) as st:
        summary = st.ingest(sorted(CORPUS.glob("*.txt")), progress=False)
    assert summary.ok, summary.failed
    web.ensure_views(path)
    return path


def _conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path))
    web.register_functions(conn)
    return conn


def _run(conn: sqlite3.Connection, name: str, **params):
    q = web.QUERIES[name]
    cur = conn.execute(q["sql"], {p: params.get(p) for p in q["params"]})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------- SQL, no server


@pytest.mark.parametrize("text", ["发改", "县发改局", "发改委", " 发改局 "])
def test_tasks_for_unit_sql_finds_fagai_tasks(db, text):
    rows = _run(_conn(db), "tasks_for_unit", unit=text)
    assert rows, f"no tasks for {text!r}"
    for r in rows:
        assert any(f in (r["units"] or "") for f in FAGAI_FORMS), r["units"]
        assert r["speech_id"] and r["sentence"]  # each row names its speech and shows its sentence
    units = " ".join(r["units"] for r in rows)
    assert "发改局" in units and "县发改局" in units


def test_tasks_for_unit_sql_agrees_with_store(db):
    conn = _conn(db)
    names = [r[0] for r in conn.execute("SELECT DISTINCT name FROM task_units")]
    with Store(db) as st:
        for text in names + ["发改", "县发改局", "市发改委", "统计", "乡镇", "中心", "某某办"]:
            got = {r["task_id"] for r in _run(conn, "tasks_for_unit", unit=text)}
            want = set(st.tasks(unit=text)["task_id"])
            assert got == want, text


def test_the_canned_queries_fold_with_the_store_s_own_functions(db):
    """No folding re-written in SQL: the unit and indicator texts go through fold_unit and
    fold_indicator (registered with SQLite), so a form only those functions fold (a space or a
    mark inside the name) finds what the store finds."""
    assert "fold_unit(t)" in web.UNIT_CANDIDATES and "'县级'" not in web.UNIT_CANDIDATES
    assert "fold_indicator(t)" in web.METRIC_HISTORY
    conn = _conn(db)
    store = Store(db, readonly=True)
    for text in ("县 发改局", "县发改局。", "发改"):
        got = sorted(r["task_id"] for r in _run(conn, "tasks_for_unit", unit=text))
        assert got and got == sorted(store.tasks(unit=text)["task_id"]), text
    for text in ("全县固定资产投资增速", "固定 资产投资"):
        got = sorted(r["metric_id"] for r in _run(conn, "metric_history", indicator=text))
        assert got and got == sorted(store.metrics(indicator=text)["metric_id"]), text
    assert conn.execute("SELECT fold_unit('县住建局'), fold_indicator('全县固定资产投资增速')").fetchone() == \
        ("住建局", "固定资产投资")


def test_tasks_for_unit_sql_empty_and_unknown(db):
    conn = _conn(db)
    assert _run(conn, "tasks_for_unit", unit="") == []
    assert _run(conn, "tasks_for_unit", unit=None) == []
    assert _run(conn, "tasks_for_unit", unit="不存在的单位名称") == []


def test_other_canned_queries(db):
    conn = _conn(db)
    doc = conn.execute("SELECT doc FROM speeches ORDER BY doc LIMIT 1").fetchone()[0]
    targets = _run(conn, "targets_of_speech", speech=doc)
    assert targets and {t["doc"] for t in targets} == {doc}
    assert _run(conn, "targets_of_speech", speech=doc[:3]) == targets
    assert _run(conn, "targets_of_speech", speech="") == []

    hist = _run(conn, "metric_history", indicator="固定资产投资")
    assert hist and all("固定资产投资" in h["indicator"] or h["indicator_key"] for h in hist)
    ends = [h["period_end"] for h in hist if h["period_end"]]
    assert ends and ends == sorted(ends)  # by the period the figure is for
    assert {h["locality"] for h in _run(conn, "metric_history", indicator="地区生产总值", locality="海拉尔区")} == {"海拉尔区"}

    with Store(db, readonly=True) as st:  # the canned track query is Store.track's own query
        for loc, ind in (("", ""), ("海拉尔区", ""), ("", "城镇居民人均可支配收入")):
            got = _run(conn, "track_targets", locality=loc, indicator=ind)
            want = st.track(locality=loc or None, indicator=ind or None).to_dict("records")
            assert [(r["target_id"], r["status"], r["metric_id"]) for r in got] == \
                [(r["target_id"], r["status"], None if r["metric_id"] != r["metric_id"] else r["metric_id"]) for r in want]
    statuses = {r["status"] for r in _run(conn, "track_targets", locality="海拉尔区", indicator="")}
    assert {"met", "missed", "unclear", "no report yet"} <= statuses

    a, b = (r[0] for r in conn.execute("SELECT doc FROM speeches ORDER BY doc LIMIT 2"))
    diff = _run(conn, "diff_speeches", a=a, b=b)
    assert {d["change"][:9] for d in diff} == {"only in A", "only in B"}
    assert {d["doc"] for d in diff} == {a, b}
    assert _run(conn, "diff_speeches", a=a, b=a) == []

    with Store(db) as st:
        for q in ("考核", "项目 开工", "发改", "县"):
            hits = _run(conn, "search_sentences", q=q)
            assert {h["sentence_id"] for h in hits} == set(st.search(q, limit=500)["sentence_id"]), q
            assert all(all(t in h["sentence"] for t in q.split()) for h in hits)
            # a term in that many sentences or more is found by walking speeches in order: same rows
            walk_min, store_mod.SEARCH_WALK_MIN = store_mod.SEARCH_WALK_MIN, 1
            try:
                assert _run(conn, "search_sentences", q=q) == hits, q
            finally:
                store_mod.SEARCH_WALK_MIN = walk_min

    sid = hits[0]["sentence_id"]
    ctx = _run(conn, "sentence_context", sentence_id=sid)
    assert [c["here"] for c in ctx].count("▶") == 1


def test_metadata_names_real_columns(db):
    conn = _conn(db)
    meta = web.metadata("t")
    dbm = meta["databases"]["t"]
    for name, q in dbm["queries"].items():
        for p in q["params"]:
            assert f":{p}" in q["sql"], (name, p)
        assert "·" in q["title"], "titles are in Chinese and English"
    for table, tm in dbm["tables"].items():
        if tm.get("hidden"):
            continue
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert cols, f"no table or view {table}"
        for f in tm.get("facets", []):
            assert f in cols, (table, f)
        for c in tm.get("columns", {}):
            assert c in cols, (table, c)
        if "label_column" in tm:
            assert tm["label_column"] in cols
    facet_cols = {f for tm in dbm["tables"].values() for f in tm.get("facets", [])}
    assert {"unit", "indicator_name", "locality", "period", "section_role"} <= facet_cols


def test_serve_without_datasette_says_how_to_install(db, monkeypatch):
    from pipeline.cli import main

    monkeypatch.setattr(web, "have_datasette", lambda: False)
    res = CliRunner().invoke(main, ["serve", "--db", str(db)])
    assert res.exit_code == 2
    assert "pip install 'speechminer[web]'" in res.output


def test_serve_missing_db(tmp_path):
    from pipeline.cli import main

    res = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 2
    assert "no database" in res.output


def test_serve_defaults_to_loopback():
    from pipeline.cli import main

    opts = {p.name: p.default for p in main.commands["serve"].params}
    assert opts["host"] == "127.0.0.1"


# ---------------------------------------------------------------- Datasette in process


def test_datasette_pages(db):
    pytest.importorskip("datasette", reason="datasette not installed (pip install 'speechminer[web]')")
    ds = web.build(db)

    async def get(path):
        return await ds.client.get(path)

    async def pages():
        await ds.invoke_startup()
        out = {}
        for p in ("/t", "/t/tasks_for_unit?unit=发改", "/t/task_assignments", "/t/tasks", "/t/search_sentences?q=考核",
                  "/t/targets_of_speech?speech=000", "/t/metric_history?indicator=固定资产投资",
                  "/t/track_targets?locality=海拉尔区&indicator=", "/-/speechminer/chart?db=t&indicator=地区生产总值",
                  "/t/diff_speeches?a=000&b=001", "/t/metric_records", "/t/target_records"):
            out[p] = await get(p)
        return out

    res = asyncio.run(pages())
    for p, r in res.items():
        assert r.status_code == 200, (p, r.text[:500])
    home = res["/t"].text
    assert "单位承担的任务" in home and "Tasks assigned to a unit" in home
    page = res["/t/tasks_for_unit?unit=发改"].text
    assert "县发改局" in page and "发改局" in page
    assert 'href="/t/speeches/' in page  # rows link to their speech
    assert "/t/sentence_context?sentence_id=" in page  # and to their sentence in context
    assert "考核" in res["/t/search_sentences?q=考核"].text
    facets = res["/t/task_assignments"].text
    assert "facet-info" in facets or "facet-results" in facets


# ---------------------------------------------------------------- a real browser


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"server did not answer at {url}")


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _serve(db: Path):
    """`speechminer serve` on a free loopback port: (process, base URL)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", "from pipeline.cli import main; main()", "serve",
                             "--db", str(db), "--port", str(port)],
                            cwd=str(ROOT), env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


@contextmanager
def _served(db: Path):
    """`speechminer serve` answering on a free loopback port, and a fresh Chromium profile:
    (base URL, profile folder); the server is stopped and the profile removed afterwards."""
    proc, base = _serve(db)
    profile = tempfile.mkdtemp(prefix="speechminer-chromium-")
    try:
        _wait(f"{base}/-/versions.json", proc)
        yield base, profile
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def test_browser_tasks_of_a_unit(db):
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip(f"Chromium not installed ({CHROMIUM}; `apt-get install chromium`, as .ci/run does)")
    pytest.importorskip("datasette", reason="datasette not installed (pip install 'speechminer[web]')")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package not installed "
                                   "(pip install -e '.[test]')")
    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with _served(db) as (base, profile):
        with sync_api.sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1500, "height": 900}, locale="zh-CN", timeout=20000)
            try:
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.set_default_timeout(10000)
                page.goto(f"{base}/t")
                page.get_by_role("link", name="单位承担的任务 · Tasks assigned to a unit").first.click()
                page.wait_for_url("**/t/tasks_for_unit*")
                box = page.locator("input[name=unit]")
                box.fill("发改")
                page.locator("form.sql input[type=submit], form.sql button[type=submit]").first.click()
                page.wait_for_url("**unit=*")
                page.wait_for_selector("table.rows-and-columns tbody tr")
                units = page.locator("table.rows-and-columns tbody td.col-units").all_inner_texts()
                OUTPUTS.mkdir(exist_ok=True)
                page.screenshot(path=str(OUTPUTS / "serve-tasks.png"), full_page=True)
                docs = page.locator("table.rows-and-columns tbody td.col-doc a").all()
                assert docs, "rows link to their speech"
                href = docs[0].get_attribute("href")
                sentences = page.locator("table.rows-and-columns tbody td.col-sentence").all_inner_texts()
            finally:
                ctx.close()
        assert units, "no rows for 发改"
        assert all(any(f in u for f in FAGAI_FORMS) for u in units), units
        joined = " ".join(units)
        assert "发改局" in joined and "县发改局" in joined
        assert all(s.strip() for s in sentences)
        assert href and href.startswith("/t/speeches/")
        assert (OUTPUTS / "serve-tasks.png").stat().st_size > 10_000


def test_browser_chart_of_an_indicator_offline(db):
    """The chart of an indicator's history (results and targets by period) renders in headless
    Chromium with every request outside this machine refused: nothing is fetched to draw it."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip(f"Chromium not installed ({CHROMIUM}; `apt-get install chromium`, as .ci/run does)")
    pytest.importorskip("datasette", reason="datasette not installed (pip install 'speechminer[web]')")
    pytest.importorskip("vl_convert", reason="vl-convert not installed (pip install 'speechminer[web]')")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package not installed")
    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    outside: list[str] = []

    def only_loopback(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with _served(db) as (base, profile):
        with sync_api.sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1100, "height": 900}, locale="zh-CN", timeout=20000)
            try:
                ctx.route("**/*", only_loopback)
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.set_default_timeout(15000)
                page.goto(f"{base}/t")
                page.get_by_role("link", name="指标走势图 chart").first.click()
                page.wait_for_url("**/-/speechminer/chart*")
                page.locator("input[name=indicator]").fill("地区生产总值")
                page.locator("input[name=locality]").fill("海拉尔区")
                page.locator("form button[type=submit]").click()
                page.wait_for_selector("#chart svg")
                marks = page.locator("#chart svg path, #chart svg text").count()
                labels = page.locator("#chart svg").first.text_content() or ""
                points = page.locator("#points tr").all_inner_texts()
                OUTPUTS.mkdir(exist_ok=True)
                page.screenshot(path=str(OUTPUTS / "serve-chart.png"), full_page=True)
            finally:
                ctx.close()
        assert not outside, f"the page asked for {outside}"
        assert marks > 10 and "地区生产总值" in labels
        assert any("目标" in p for p in points) and any("结果" in p for p in points)
        assert any("2016" in p for p in points) and any("2017" in p for p in points)
        assert (OUTPUTS / "serve-chart.png").stat().st_size > 10_000
