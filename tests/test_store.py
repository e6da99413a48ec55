"""store.py: schema, ingest (idempotent, replacing, failure-tolerant, atomic), queries, FTS."""
import json
import sqlite3

import pytest

from pipeline import db as db_mod
from pipeline import ingest as ingest_mod
from pipeline import lexicon
from pipeline import store as store_mod
from pipeline.extraction import extract
from pipeline.records import Metric, Task, UnitRef
from pipeline.store import Store, fold_unit, fts_query, fts_tokens, rows_from_result

SPEECH_A = """在青山县2023年二季度经济运行调度会上的讲话
同志们：
一、明确目标任务
全县固定资产投资确保增长10%以上。
二、抓好重点工作
县发改局要牵头，会同县统计局，于6月底前完成重点项目入库工作。
县住建局要抓紧推进老旧小区改造，9月底前全面完工。
三、强化工作保障
县委督查室要加强督查考核，对考核排名靠后的单位严肃问责。
同志们，让我们奋力冲刺二季度，确保实现“双过半”目标！
"""

SPEECH_B = """在白水县2023年三季度重点工作推进会上的讲话
同志们：
一、抓项目促投资
县发改委要牵头做好专项债券项目储备，8月底前完成申报。
县财政局要配合做好资金保障。
二、抓安全保稳定
县应急管理局要深入开展安全生产大检查，确保不发生重大事故。
"""

SPEECH_C = """在红山区2023年三季度经济工作会议上的讲话
同志们：
区商务局要组织开展消费促进活动，9月底前完成。
各街道要配合抓好疫情防控常态化工作。
"""


def write_corpus(folder, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    files = {"a.txt": SPEECH_A, "b.txt": SPEECH_B, "c.txt": SPEECH_C, **extra}
    for name, text in files.items():
        if isinstance(text, bytes):
            (folder / name).write_bytes(text)
        else:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def no_lexicon(monkeypatch):
    """An empty unit lexicon, whatever rules/units.yaml holds right now."""
    monkeypatch.setattr(lexicon, "units", lambda: {"alias": {}, "short": {}, "entries": []})
    monkeypatch.setattr(lexicon, "indicators", lambda: {"alias": {}, "entries": []})


FGW = {"key": "fgw", "name": "发展和改革局", "type": "department", "collective": False,
       "aliases": ["发改局", "发改委", "发展改革局"], "short": ["发改"]}
TJJ = {"key": "tjj", "name": "统计局", "type": "department", "collective": False, "aliases": [], "short": ["统计"]}


@pytest.fixture
def small_lexicon(monkeypatch):
    entries = [FGW, TJJ]
    alias = {a: e for e in entries for a in [e["name"], *e["aliases"]]}
    short = {a: e for e in entries for a in e["short"]}
    monkeypatch.setattr(lexicon, "units", lambda: {"alias": alias, "short": short, "entries": entries})
    monkeypatch.setattr(lexicon, "indicators", lambda: {"alias": {}, "entries": [
        {"key": "fai", "name": "固定资产投资", "group": "investment", "unit": "%", "aliases": ["固投"]}]})


def counts(store):
    return {k: v for k, v in store.counts().items() if k not in ("units", "unit_aliases", "indicators", "indicator_aliases")}


def test_schema_version_pragmas_and_indexes(tmp_path):
    s = Store(tmp_path / "x.db")
    assert s.schema_version == store_mod.SCHEMA_VERSION
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert s.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    idx = {r[0]: r[1] for r in s.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    cols = " ".join(idx.values())
    for needle in ("task_units(unit_key", "targets(indicator_key", "metrics(indicator_key", "speeches(locality",
                   "speeches(period"):
        assert needle in cols, needle
    s.close()
    # reopening does not apply the schema twice
    s = Store(tmp_path / "x.db")
    assert s.conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1


def test_reingest_is_a_noop(tmp_path, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    s = Store(tmp_path / "s.db")
    first = s.ingest([corpus])
    assert first.counts() == {"added": 3, "unchanged": 0, "replaced": 0, "failed": 0}
    before = counts(s)
    assert before["speeches"] == 3 and before["tasks"] >= 5 and before["sentences"] > 10
    second = s.ingest([corpus])
    assert second.counts() == {"added": 0, "unchanged": 3, "replaced": 0, "failed": 0}
    assert counts(s) == before
    # the same content under another name is the same speech
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "a-copy.txt").write_text(SPEECH_A, encoding="utf-8")
    assert s.ingest([tmp_path / "copy"]).unchanged == [str(tmp_path / "copy" / "a-copy.txt")]
    assert counts(s) == before


def test_changed_file_replaces_its_speech_and_records(tmp_path, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    s = Store(tmp_path / "s.db")
    s.ingest([corpus])
    old_id = s.conn.execute("SELECT id FROM speeches WHERE doc = 'b'").fetchone()[0]
    old_tasks = s.conn.execute("SELECT count(*) FROM tasks WHERE speech_id = ?", (old_id,)).fetchone()[0]
    (corpus / "b.txt").write_text(SPEECH_B.replace("县财政局要配合做好资金保障。\n",
                                                   "县财政局要配合做好资金保障。\n县审计局要加强项目资金审计监督。\n"),
                                  encoding="utf-8")
    res = s.ingest([corpus])
    assert res.counts() == {"added": 0, "unchanged": 2, "replaced": 1, "failed": 0}
    assert res.replaced == [str(corpus / "b.txt")]
    ids = [r[0] for r in s.conn.execute("SELECT id FROM speeches WHERE doc = 'b'")]
    assert len(ids) == 1 and ids[0] != old_id
    for table in ("sections", "sentences", "metrics", "targets", "tasks"):
        assert s.conn.execute(f"SELECT count(*) FROM {table} WHERE speech_id = ?", (old_id,)).fetchone()[0] == 0
    assert s.conn.execute("SELECT count(*) FROM tasks WHERE speech_id = ?", (ids[0],)).fetchone()[0] == old_tasks + 1
    assert s.tasks(unit="审计局")["action"].str.contains("审计").any()
    # nothing left dangling: task_units, FTS rows
    assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert s.conn.execute("SELECT count(*) FROM task_units WHERE task_id NOT IN (SELECT id FROM tasks)").fetchone()[0] == 0
    assert (s.conn.execute("SELECT count(*) FROM sentences_fts").fetchone()[0]
            == s.conn.execute("SELECT count(*) FROM sentences").fetchone()[0])
    assert s.conn.execute("SELECT count(*) FROM speeches").fetchone()[0] == 3


def test_bad_files_are_reported_and_the_batch_goes_on(tmp_path, no_lexicon):
    corpus = write_corpus(tmp_path / "in", **{"broken.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "empty.txt": b""})
    s = Store(tmp_path / "s.db")
    res = s.ingest([corpus, tmp_path / "missing.txt"])
    assert not res.ok
    failed = dict(res.failed)
    assert set(failed) == {str(corpus / "broken.txt"), str(corpus / "empty.txt"), str(tmp_path / "missing.txt")}
    assert "PNG" in failed[str(corpus / "broken.txt")]
    assert all(reason for reason in failed.values())
    assert len(res.added) == 3
    assert s.conn.execute("SELECT count(*) FROM speeches").fetchone()[0] == 3


def test_a_bug_in_a_stage_fails_only_that_file(tmp_path, monkeypatch, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    real = ingest_mod.extract_rows

    def flaky(path, data=None):
        if str(path).endswith("b.txt"):
            raise RuntimeError("boom in the extractor")
        return real(path, data)

    monkeypatch.setattr(ingest_mod, "extract_rows", flaky)
    res = Store(tmp_path / "s.db").ingest([corpus])
    assert res.failed == [(str(corpus / "b.txt"), "RuntimeError: boom in the extractor")]
    assert len(res.added) == 2


def test_a_failed_write_leaves_the_old_speech_intact(tmp_path, monkeypatch, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    s = Store(tmp_path / "s.db")
    s.ingest([corpus])
    before = counts(s)
    old = s.conn.execute("SELECT id FROM speeches WHERE doc = 'a'").fetchone()[0]
    (corpus / "a.txt").write_text(SPEECH_A.replace("10%", "12%"), encoding="utf-8")
    real = store_mod._insert_many

    def failing(c, table, cols, values):
        if table == "tasks":  # after the old speech was deleted and the new one half written
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return real(c, table, cols, values)

    monkeypatch.setattr(store_mod, "_insert_many", failing)
    res = s.ingest([corpus])
    assert [f for f, _ in res.failed] == [str(corpus / "a.txt")] and "simulated" in res.failed[0][1]
    assert counts(s) == before
    assert s.conn.execute("SELECT id FROM speeches WHERE doc = 'a'").fetchone()[0] == old


def test_parallel_ingest_stores_the_same(tmp_path, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    one, two = Store(tmp_path / "1.db"), Store(tmp_path / "2.db")
    one.ingest([corpus], workers=1)
    res = two.ingest([corpus], workers=2)
    assert len(res.added) == 3
    assert counts(one) == counts(two)


def test_records_link_back_to_their_sentence(tmp_path, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    s = Store(tmp_path / "s.db")
    s.ingest([corpus])
    rows = s.conn.execute(
        "SELECT t.start, t.\"end\", t.evidence, se.start, se.\"end\", se.text, sp.text FROM tasks t "
        "JOIN sentences se ON se.id = t.sentence_id JOIN speeches sp ON sp.id = t.speech_id").fetchall()
    assert rows
    for start, end, evidence, s0, s1, sentence, text in rows:
        assert s0 <= start < s1
        assert text[s0:s1] == sentence
        assert text[start:end] == evidence


def test_two_character_search(tmp_path, no_lexicon):
    corpus = write_corpus(tmp_path / "in")
    s = Store(tmp_path / "s.db")
    s.ingest([corpus])
    df = s.search("考核")
    assert len(df) == 1 and "加强督查考核" in df.iloc[0]["sentence"]
    # found through the FTS index itself, not only the substring fallback
    n = s.conn.execute("SELECT count(*) FROM sentences_fts WHERE sentences_fts MATCH ?", (fts_query("考核"),)).fetchone()[0]
    assert n == 1
    # what the default tokenizer would do: the Han run is one token, 考核 is not found
    c = sqlite3.connect(":memory:")
    c.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    c.execute("INSERT INTO t VALUES ('县委督查室要加强督查考核')")
    assert c.execute("SELECT count(*) FROM t WHERE t MATCH '考核'").fetchone()[0] == 0
    assert set(s.search("项目")["sentence"]) >= {"县发改局要牵头，会同县统计局，于6月底前完成重点项目入库工作。"}
    assert len(s.search("项目 申报")) == 1  # every term must occur
    assert len(s.search("县")) > 3  # one character: substring fallback
    assert s.search("不存在的词语").empty


def test_pair_index_tokens_and_phrase_queries(tmp_path, no_lexicon):
    assert fts_tokens("加强督查考核，2023年完成GDP") == "加强 强督 督查 查考 考核 2023 年完 完成 GDP"
    assert fts_query("督查考核") == '"督查" AND "查考" AND "考核"'
    assert fts_query("GDP增长") == '"GDP" AND "增长"'
    assert fts_query("考核考核") == '"考核" AND "核考"'  # each pair once
    assert fts_query("县") is None and fts_query("，") is None
    s = Store(tmp_path / "s.db")
    s.ingest([write_corpus(tmp_path / "in")])
    # any substring is found, whatever a segmenter would make of it; the index finds sentences with
    # all its pairs, the text check keeps those where they stand together in that order
    match = "SELECT count(*) FROM sentences_fts WHERE sentences_fts MATCH ?"
    assert s.conn.execute(match, (fts_query("查考核"),)).fetchone()[0] == 1
    assert len(s.search("查考核")) == 1
    assert s.conn.execute(match, (fts_query("督查考核排名"),)).fetchone()[0] == 1  # a candidate (…督查考核，对考核排名…) …
    assert s.search("督查考核排名").empty  # … that the text check drops
    assert s.search("考核督查").empty


def test_a_replaced_speech_leaves_nothing_in_the_index(tmp_path, no_lexicon):
    """The index keeps no copy of its tokens: deleting a speech must remove exactly its pairs."""
    corpus = write_corpus(tmp_path / "in")
    s = Store(tmp_path / "s.db")
    assert s._fts_contentless
    s.ingest([corpus])
    match = "SELECT count(*) FROM sentences_fts WHERE sentences_fts MATCH ?"
    assert s.conn.execute(match, (fts_query("老旧小区"),)).fetchone()[0] == 1
    (corpus / "a.txt").write_text(SPEECH_A.replace("老旧小区改造", "城中村改造"), encoding="utf-8")
    assert len(s.ingest([corpus]).replaced) == 1
    assert s.conn.execute(match, (fts_query("老旧小区"),)).fetchone()[0] == 0
    assert s.conn.execute(match, (fts_query("城中村"),)).fetchone()[0] == 1
    s.delete(s.conn.execute("SELECT id FROM speeches WHERE doc = 'b'").fetchone()[0])
    assert s.conn.execute(match, (fts_query("专项债券"),)).fetchone()[0] == 0
    s.conn.execute("INSERT INTO sentences_fts (sentences_fts) VALUES ('integrity-check')")  # raises if corrupt
    assert s.conn.execute("SELECT count(*) FROM sentences_fts").fetchone()[0] == \
        s.conn.execute("SELECT count(*) FROM sentences").fetchone()[0]


def test_a_store_with_the_older_index_table_keeps_working(tmp_path, no_lexicon):
    """Stores made before the contentless index keep their table: deletes go by rowid there."""
    corpus = write_corpus(tmp_path / "in")
    db = tmp_path / "old.db"
    s = Store(db)
    s.ingest([corpus])
    s.conn.executescript("DROP TABLE sentences_fts; CREATE VIRTUAL TABLE sentences_fts USING fts5(tokens);")
    s.conn.executemany("INSERT INTO sentences_fts (rowid, tokens) VALUES (?, ?)",
                       [(i, fts_tokens(t)) for i, t in s.conn.execute("SELECT id, text FROM sentences").fetchall()])
    s.conn.commit()
    s.close()
    s = Store(db)
    assert not s._fts_contentless
    (corpus / "a.txt").write_text(SPEECH_A.replace("老旧小区改造", "城中村改造"), encoding="utf-8")
    assert len(s.ingest([corpus]).replaced) == 1
    match = "SELECT count(*) FROM sentences_fts WHERE sentences_fts MATCH ?"
    assert s.conn.execute(match, (fts_query("老旧小区"),)).fetchone()[0] == 0
    assert len(s.search("城中村改造")) == 1 and len(s.search("查考核")) == 1
    assert s.conn.execute("SELECT count(*) FROM sentences_fts").fetchone()[0] == \
        s.conn.execute("SELECT count(*) FROM sentences").fetchone()[0]


def test_a_new_token_format_reindexes_a_contentless_store(tmp_path, monkeypatch, no_lexicon):
    db = tmp_path / "s.db"
    s = Store(db)
    s.ingest([write_corpus(tmp_path / "in")])
    s.close()
    monkeypatch.setattr(db_mod, "INDEX_FORMAT", "fts-bigram-test")
    monkeypatch.setattr(db_mod, "fts_tokens", lambda text: " ".join(text))  # single characters
    s = Store(db)
    assert s.conn.execute("SELECT value FROM store_meta WHERE key = 'fts_format'").fetchone()[0] == "fts-bigram-test"
    match = "SELECT count(*) FROM sentences_fts WHERE sentences_fts MATCH ?"
    assert s.conn.execute(match, ('"考"',)).fetchone()[0] == 1  # indexed afresh with the new tokens
    assert s.conn.execute(match, ('"考核"',)).fetchone()[0] == 0


def test_index_rows_of_a_batch_follow_its_speeches(tmp_path, no_lexicon):
    """The FTS rows of a batch are written just before its commit: a speech replaced or
    rolled back inside the batch leaves no index rows behind, and nothing is missing."""
    s = Store(tmp_path / "s.db")
    first = rows_from_result(extract(SPEECH_A), "/in/a.txt")
    second = rows_from_result(extract(SPEECH_A.replace("老旧小区改造", "城中村改造")), "/in/a.txt")
    broken = rows_from_result(extract(SPEECH_B), "/in/b.txt")
    broken["tasks"][0]["no_such_column"] = 1  # fails inside its savepoint, after its sentences went in
    notes = []
    s.write_stream([("a1", "/in/a.txt", first), ("b", "/in/b.txt", broken), ("a2", "/in/a.txt", second)],
                   lambda *n: notes.append(n[:2]))
    assert notes == [("added", "a1"), ("failed", "b"), ("replaced", "a2")]
    n_sent = s.conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    n_fts = s.conn.execute("SELECT count(*) FROM sentences_fts").fetchone()[0]
    assert n_sent == n_fts == len(second["sentences"])
    ids = {r[0] for r in s.conn.execute("SELECT id FROM sentences")}
    assert {r[0] for r in s.conn.execute("SELECT rowid FROM sentences_fts")} == ids
    assert len(s.search("城中村改造")) == 1 and s.search("老旧小区").empty
    assert s.search("专项债券").empty  # the failed speech is not searchable
    assert s.doctor()["integrity_check"] == "ok"


def test_fts_syntax_in_search_text_is_not_an_error(tmp_path, no_lexicon):
    s = Store(tmp_path / "s.db")
    s.ingest([write_corpus(tmp_path / "in")])
    for q in ('"', "考核 OR", "NEAR(考核", "*", "'; DROP TABLE sentences; --"):
        s.search(q)
    assert s.conn.execute("SELECT count(*) FROM sentences").fetchone()[0] > 0


def _speech_with_tasks(text, tasks, meta=None):
    res = extract(text, meta)
    res.tasks = tasks
    res.metrics, res.targets = [], []
    return rows_from_result(res)


def _t(name, role, action, start=0, key=None):
    return Task(doc="x", evidence=action, start=start, end=start + 2, action=action,
                units=[UnitRef(name, role, key=key)], addressee="named")


@pytest.fixture
def unit_store(tmp_path):
    def make():
        s = Store(tmp_path / "u.db")
        text = "在青山县2023年三季度工作会上的讲话\n同志们：\n要抓好各项工作。要狠抓落实。要注重实效。要强化考核。"
        s.write(_speech_with_tasks(text, [
            _t("县发改局", "lead", "做好项目储备", 20),
            _t("发改委", "responsible", "完成债券申报", 26),
            _t("县统计局", "support", "做好数据统计", 32),
            _t("国家发改委", "support", "对接", 38),
        ], {"locality": "青山县", "period": "2023Q3", "meeting_date": "2023-07"}))
        return s
    return make


def test_unit_query_alias_aware_with_lexicon(unit_store, small_lexicon):
    s = unit_store()
    assert s.resolve_unit("发改")["keys"] == ["fgw"]
    for query in ("发改", "发改委", "县发改局", "发展和改革局", "区发改局"):
        got = set(s.tasks(unit=query)["action"])
        assert {"做好项目储备", "完成债券申报"} <= got, query
        assert "做好数据统计" not in got
    assert set(s.tasks(unit="发改", role="lead")["action"]) == {"做好项目储备"}
    assert set(s.tasks(unit="统计")["action"]) == {"做好数据统计"}
    units = s.units(include_unlisted=False).set_index("key")
    assert units.loc["fgw", "tasks"] == 2 and "发改委" in units.loc["fgw", "aliases"]
    assert units.loc["tjj", "tasks"] == 1


def test_a_lexicon_that_arrives_after_ingest_resolves_stored_names(unit_store, monkeypatch, tmp_path):
    monkeypatch.setattr(lexicon, "units", lambda: {"alias": {}, "short": {}, "entries": []})
    s = unit_store()
    assert s.tasks(unit="发展和改革局").empty  # no lexicon: no way to know
    s.close()
    entries = [FGW, TJJ]
    monkeypatch.setattr(lexicon, "units", lambda: {"alias": {a: e for e in entries for a in [e["name"], *e["aliases"]]},
                                                   "short": {a: e for e in entries for a in e["short"]},
                                                   "entries": entries})
    s = Store(tmp_path / "u.db")  # opening syncs the lexicon and resolves stored names
    assert set(s.tasks(unit="发展和改革局")["action"]) == {"做好项目储备", "完成债券申报"}
    sql, params = s.tasks_sql(unit="发改")
    assert any("task_units_key" in line for line in s.explain(sql, params))


def test_unit_query_falls_back_to_surface_names_without_lexicon(unit_store, no_lexicon):
    s = unit_store()
    assert s.resolve_unit("发改")["mode"] == "surface"
    assert {"做好项目储备", "完成债券申报", "对接"} == set(s.tasks(unit="发改")["action"])
    assert set(s.tasks(unit="县统计局")["action"]) == {"做好数据统计"}
    assert set(s.tasks(unit="统计局")["action"]) == {"做好数据统计"}  # 县 prefix folded
    assert s.tasks(unit="审计").empty
    assert s.tasks(unit="%").empty and s.tasks(unit="_").empty  # LIKE wildcards are literal


def test_unit_query_injection_is_harmless(unit_store, no_lexicon):
    s = unit_store()
    for evil in ("' OR 1=1 --", "发改'; DROP TABLE tasks; --", '") OR ("1"="1'):
        assert s.tasks(unit=evil).empty
    assert s.conn.execute("SELECT count(*) FROM tasks").fetchone()[0] == 4


def test_task_filters_locality_and_period(tmp_path, no_lexicon):
    s = Store(tmp_path / "f.db")
    base = "在青山县2023年工作会上的讲话\n同志们：\n要抓好各项工作。要狠抓落实。"
    for period, date, loc, action in (("2023Q2", "2023-04", "青山县", "二季度任务"), ("2023Q3", "2023-07", "青山县", "三季度任务"),
                                      ("2023Q3", "2023-07", "白水县", "白水任务")):
        s.write(_speech_with_tasks(base + action, [_t("县发改局", "lead", action, 20)],
                                   {"locality": loc, "period": period, "meeting_date": date}))
    all_ = list(s.tasks(unit="发改")["action"])
    assert sorted(all_) == sorted(["二季度任务", "三季度任务", "白水任务"]) and all_[0] == "二季度任务"
    assert set(s.tasks(unit="发改", since="2023Q3")["action"]) == {"三季度任务", "白水任务"}
    assert set(s.tasks(unit="发改", until="2023Q2")["action"]) == {"二季度任务"}
    assert set(s.tasks(unit="发改", locality="青山县", since="2023")["action"]) == {"二季度任务", "三季度任务"}
    assert set(s.tasks(unit="发改", since="2023-05")["action"]) == {"三季度任务", "白水任务"}
    with pytest.raises(ValueError):
        s.tasks(since="next spring")


def test_paging_by_speech_gives_what_the_unit_lookup_gives(tmp_path, monkeypatch, small_lexicon):
    """tasks() with a locality or a limit walks speeches in meeting order (the plan for units with
    many tasks); its rows, order and matched roles are those of the unit-first query."""
    s = Store(tmp_path / "p.db")
    side = {f"{n}.meta.json": json.dumps({"locality": loc}) for n, loc in (("a", "青山县"), ("b", "白水县"), ("d", "青山县"))}
    s.ingest([write_corpus(tmp_path / "in", **{"d.txt": SPEECH_B.replace("三季度", "四季度")}, **side)])
    monkeypatch.setattr(store_mod, "BY_SPEECH_MIN_TASKS", 10**9)  # unit first
    full = s.tasks(unit="发改")
    assert len(full) >= 3
    monkeypatch.setattr(store_mod, "BY_SPEECH_MIN_TASKS", 0)  # speeches first
    cols = ["doc", "task_id", "role", "units", "sentence"]
    assert s.tasks(unit="发改", limit=2)[cols].to_dict("records") == full.head(2)[cols].to_dict("records")
    local = full[full["locality"] == "青山县"][cols].to_dict("records")
    assert local and s.tasks(unit="发改", locality="青山县")[cols].to_dict("records") == local
    sql, params = s.tasks_sql(unit="发改", limit=2)
    assert "CROSS JOIN" in sql and "speeches_date_doc" in " ".join(s.explain(sql, params))
    lead = s.tasks(unit="发改", role="lead", locality="青山县")
    assert set(lead["role"]) == {"lead"} and len(lead) <= len(local)


def test_metrics_time_series_in_meeting_order(tmp_path, no_lexicon):
    s = Store(tmp_path / "m.db")
    for date, period, value in (("2023-10", "2023Q4", 9.5), ("2023-04", "2023Q2", 7.0), ("2023-07", "2023Q3", 8.1)):
        res = extract(f"在青山县2023年工作会上的讲话\n同志们：\n全县固定资产投资增长{value}%。",
                      {"locality": "青山县", "period": period, "meeting_date": date})
        ev = f"全县固定资产投资增长{value}%"
        start = res.doc.text.index(ev)
        res.metrics = [Metric(doc="x", evidence=ev, start=start, end=start + len(ev), indicator="全县固定资产投资",
                              measure="growth", value=value, unit="%", direction="up")]
        res.targets, res.tasks = [], []
        s.write(rows_from_result(res))
    df = s.metrics(indicator="固定资产投资")
    assert list(df["value"]) == [7.0, 8.1, 9.5]
    assert list(df["meeting_date"]) == ["2023-04", "2023-07", "2023-10"]
    assert df["sentence"].str.contains("固定资产投资").all()
    assert s.metrics(indicator="地区生产总值").empty


def test_indicator_lookup_by_part_of_a_name_uses_indexes(tmp_path, no_lexicon):
    s = Store(tmp_path / "i.db")
    s.ingest([write_corpus(tmp_path / "in")])
    names = {r[0] for r in s.conn.execute("SELECT indicator FROM metrics UNION SELECT indicator FROM targets")} - {None}
    assert {r[0] for r in s.conn.execute("SELECT name FROM indicator_names")} == names
    part = next(n for n in sorted(names) if "投资" in n)[-4:]  # a tail of a stored name, e.g. 资产投资
    got = s.targets(indicator=part)
    assert len(got) >= 1 and got["indicator"].str.contains(part).all()
    w, params = s._indicator_clause(part, "g")
    plan = " ".join(s.explain(f"SELECT g.id FROM targets g WHERE {w}", params))
    assert "SCAN g" not in plan and "targets_indicator" in plan  # by index, not a scan of every target


def test_a_version_3_store_gets_its_indicator_names(tmp_path, no_lexicon):
    db = tmp_path / "v3.db"
    s = Store(db)
    s.ingest([write_corpus(tmp_path / "in")])
    s.conn.executescript("DROP TABLE indicator_names; UPDATE schema_version SET version = 3; "
                         "DELETE FROM store_meta WHERE key = 'ddl';")
    s.close()
    s = Store(db)
    assert s.schema_version == store_mod.SCHEMA_VERSION
    assert s.conn.execute("SELECT count(*) FROM indicator_names").fetchone()[0] > 0
    assert not s.targets(indicator="固定资产投资").empty


def test_diff_between_stored_speeches(tmp_path, no_lexicon):
    from test_diff import EXPECTED, Q2, Q3

    d = tmp_path / "in"
    d.mkdir()
    (d / "q2.txt").write_text(Q2, encoding="utf-8")
    (d / "q3.txt").write_text(Q3, encoding="utf-8")
    for n, p in (("q2", "2023Q2"), ("q3", "2023Q3")):
        (d / f"{n}.meta.json").write_text(json.dumps({"locality": "青山县", "period": p}), encoding="utf-8")
    s = Store(tmp_path / "d.db")
    assert len(s.ingest([d]).added) == 2
    _, _, changes = s.diff_period_changes("青山县", "2023Q2", "2023Q3")
    assert {(c.kind, c.status, tuple(c.fields)) for c in changes if c.status != "kept"} == EXPECTED
    by_ref = s.diff("q2", str(d / "q3.txt"))
    assert sorted(by_ref[by_ref.status != "kept"]["status"]) == ["changed", "changed", "dropped", "new"]
    q2_id = s.resolve_speech("q2")["id"]
    assert s.resolve_speech(q2_id[:8])["id"] == q2_id
    assert s.resolve_speech("二季度经济运行")["id"] == q2_id
    with pytest.raises(store_mod.AmbiguousSpeech):
        s.resolve_speech("经济运行调度会")
    with pytest.raises(store_mod.SpeechNotFound):
        s.resolve_speech("no such speech")
    with pytest.raises(store_mod.SpeechNotFound, match="2023Q2, 2023Q3"):
        s.speech_for_period("青山县", "2024Q1")


def test_units_from_lexicon_tables(tmp_path, small_lexicon):
    s = Store(tmp_path / "l.db")
    aliases = {r[0] for r in s.conn.execute("SELECT alias FROM unit_aliases WHERE unit_key = 'fgw'")}
    assert {"发展和改革局", "发改局", "发改委", "发改"} <= aliases
    assert s.conn.execute("SELECT indicator_key FROM indicator_aliases WHERE alias = '固投'").fetchone()[0] == "fai"


def test_missing_lexicon_files_do_not_break_the_store(tmp_path, monkeypatch, no_lexicon):
    Store(tmp_path / "n.db").ingest([write_corpus(tmp_path / "in")])

    def missing():
        raise FileNotFoundError("rules/units.yaml")

    monkeypatch.setattr(lexicon, "units", missing)
    monkeypatch.setattr(lexicon, "indicators", missing)
    monkeypatch.setattr(lexicon, "unit_lookup", lambda name: missing())
    s = Store(tmp_path / "n.db")  # opening syncs the lexicons: must not raise
    assert s.units().shape[0] >= 1  # unlisted surface names still listed
    assert not s.tasks(unit="发改").empty


def test_fold_unit():
    assert fold_unit("县发改局") == "发改局"
    assert fold_unit("区商务局") == "商务局"
    assert fold_unit("市场监管局") == "市场监管局"
    assert fold_unit("发改") == "发改"


def test_doctor_and_export_rows(tmp_path, no_lexicon):
    s = Store(tmp_path / "s.db")
    s.ingest([write_corpus(tmp_path / "in")])
    info = s.doctor()
    assert info["integrity_check"] == "ok" and info["schema_version"] == store_mod.SCHEMA_VERSION
    assert info["rows.speeches"] == 3 and info["fts_rows"] == info["rows.sentences"]
    assert len(list(s.rows("tasks"))) == info["rows.tasks"]
    with pytest.raises(ValueError):
        list(s.rows("sqlite_master"))
