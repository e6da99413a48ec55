"""Web explorer: the speech database in Datasette, with the questions users ask one click away.

`speechminer serve` (pipeline/cli_serve.py) calls `serve()`: it adds a few
read-only views that put each record beside its speech's locality and period
(so those can be faceted), builds Datasette's metadata (titles and
descriptions in Chinese and English, facets, canned queries) and runs the
server on 127.0.0.1 unless told otherwise.

The canned queries are plain SQL strings here (`QUERIES`), so tests can run
them on a database with `sqlite3` directly. "Tasks assigned to a unit"
resolves the user's text the way `Store.resolve_unit` does, in SQL: the text
as typed and folded by `fold_unit` (the very function the store folds with,
registered with SQLite), through `unit_aliases` to canonical keys; when the
lexicon does not know it, surface names in `task_units` that contain it.
"Metric history" folds the indicator with `fold_indicator` the same way.

SQL functions registered on Datasette's connections (and by
`register_functions(conn)` on any other): `fold_unit` and `fold_indicator`
(db.register_functions), `sm_fts(text)`, the FTS5 MATCH expression for a
search text (character pairs, as the index holds them), and
`sm_contains_all(sentence, text)`, whether a sentence contains every
whitespace-separated term.

A `?sql=` query that Datasette would refuse (anything but one SELECT) is
answered here with the same 400 error, and logged in one line: Datasette
itself prints a traceback with every local variable for each, which let a
client sending bad SQL slow every other request down.

Datasette is an optional dependency (`pip install 'speechminer[web]'`);
nothing here imports it at module level.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import regex

from . import db as db_mod
from . import track as track_mod

log = logging.getLogger("speechminer.serve")

INSTALL_HINT = "the web explorer needs Datasette: pip install 'speechminer[web]'"

# ---------------------------------------------------------------- canned queries

# A speech reference :ref as the store accepts it: full id, id prefix (4+ hex digits),
# doc name or its prefix, or a fragment of the title. `{p}` is the parameter's name.
_SPEECH_MATCH = (
    "r <> '' AND (id = r OR (length(r) >= 4 AND substr(id, 1, length(r)) = lower(r)) "
    "OR doc = r OR substr(doc, 1, length(r)) = r OR instr(coalesce(title, ''), r) > 0)"
)


def _one_speech(param: str) -> str:
    """The single best speech for :param (exact id, then exact doc, then prefixes and title)."""
    return (f"SELECT id FROM speeches, (SELECT trim(coalesce(:{param}, '')) AS r) WHERE {_SPEECH_MATCH} "
            "ORDER BY id = r DESC, doc = r DESC, substr(doc, 1, length(r)) = r DESC, meeting_date, doc LIMIT 1")


# The unit text as typed and folded (县发改局 → 发改局) by fold_unit, the store's own function.
UNIT_CANDIDATES = """
q(t) AS (SELECT trim(coalesce(:unit, ''))),
cand(c) AS (
  SELECT t FROM q WHERE t <> ''
  UNION SELECT fold_unit(t) FROM q WHERE t <> '' AND fold_unit(t) <> ''
),
keys(k) AS (SELECT DISTINCT unit_key FROM unit_aliases WHERE alias IN (SELECT c FROM cand))"""

TASKS_FOR_UNIT = f"""WITH {UNIT_CANDIDATES.strip()},
hit(task_id, role) AS (
  SELECT task_id, role FROM task_units WHERE unit_key IN (SELECT k FROM keys)
  UNION SELECT task_id, role FROM task_units WHERE name_fold IN (SELECT c FROM cand)
  UNION SELECT task_id, role FROM task_units WHERE name IN (SELECT c FROM cand)
  UNION SELECT tu.task_id, tu.role FROM task_units tu, q
   WHERE q.t <> '' AND NOT EXISTS (SELECT 1 FROM keys) AND instr(tu.name, q.t) > 0
),
m AS (SELECT task_id, group_concat(DISTINCT role) AS matched_role FROM hit GROUP BY task_id)
SELECT s.doc, s.locality, s.period, t.owners AS units, m.matched_role AS role,
       t.action, t.deadline, se.text AS sentence, t.section,
       t.speech_id, t.sentence_id, t.id AS task_id
FROM m JOIN tasks t ON t.id = m.task_id
JOIN speeches s ON s.id = t.speech_id
LEFT JOIN sentences se ON se.id = t.sentence_id
ORDER BY s.meeting_date, s.doc, t.start"""

TARGETS_OF_SPEECH = f"""WITH sp AS (
  SELECT id FROM speeches, (SELECT trim(coalesce(:speech, '')) AS r) WHERE {_SPEECH_MATCH}
)
SELECT s.doc, s.title, s.locality, s.period, g.indicator, g.indicator_key, g.comparator, g.value, g.masked,
       g.unit, g.deadline, g.modality, g.owners, se.text AS sentence, g.section, g.section_role,
       g.speech_id, g.sentence_id, g.id AS target_id
FROM targets g JOIN sp ON sp.id = g.speech_id
JOIN speeches s ON s.id = g.speech_id
LEFT JOIN sentences se ON se.id = g.sentence_id
ORDER BY s.meeting_date, s.doc, g.start"""

# The indicator as typed and folded by fold_indicator (全县固定资产投资增速 → 固定资产投资), its keys through
# the aliases (or the key typed itself), and the stored names that contain it, as Store.metrics finds them.
METRIC_HISTORY = """WITH q(t) AS (SELECT trim(coalesce(:indicator, ''))),
cand(c) AS (
  SELECT t FROM q WHERE t <> ''
  UNION SELECT fold_indicator(t) FROM q WHERE t <> '' AND fold_indicator(t) <> ''
),
keys(k) AS (SELECT DISTINCT indicator_key FROM indicator_aliases WHERE alias IN (SELECT c FROM cand)
            UNION SELECT DISTINCT indicator_key FROM indicator_aliases, q WHERE indicator_key = q.t),
folds(f) AS (SELECT c FROM cand UNION SELECT name_fold FROM indicator_names, q WHERE q.t <> '' AND instr(name, q.t) > 0)
SELECT m.period_start, m.period_end, m.period, s.locality, m.indicator, m.indicator_key, m.measure, m.value,
       m.masked, m.unit, m.direction, m.rank_scope, m.rank_position, m.rank_tier, m.compare_to, s.doc,
       s.meeting_date, s.period AS speech_period, se.text AS sentence, m.section_role, m.speech_id, m.sentence_id,
       m.id AS metric_id
FROM metrics m JOIN speeches s ON s.id = m.speech_id
LEFT JOIN sentences se ON se.id = m.sentence_id, q
WHERE q.t <> '' AND (m.indicator_key IN (SELECT k FROM keys) OR m.indicator_fold IN (SELECT f FROM folds))
  AND (trim(coalesce(:locality, '')) = '' OR s.locality = trim(:locality))
ORDER BY m.period_end IS NULL, m.period_end, m.period_start, s.meeting_date IS NULL, s.meeting_date, s.doc, m.start"""

# Targets beside the results later speeches reported (track.py's query, the one `speechminer track` runs):
# optional place and indicator (the indicator resolved as in METRIC_HISTORY).
TRACK_TARGETS = track_mod.track_sql(
    where="(trim(coalesce(:locality, '')) = '' OR s.locality = trim(:locality)) AND (q.t = '' OR "
          "g.indicator_key IN (SELECT k FROM keys) OR g.indicator_fold IN (SELECT f FROM folds))",
    prefix="""q(t) AS (SELECT trim(coalesce(:indicator, ''))),
cand(c) AS (
  SELECT t FROM q WHERE t <> ''
  UNION SELECT fold_indicator(t) FROM q WHERE t <> '' AND fold_indicator(t) <> ''
),
keys(k) AS (SELECT DISTINCT indicator_key FROM indicator_aliases WHERE alias IN (SELECT c FROM cand)
            UNION SELECT DISTINCT indicator_key FROM indicator_aliases, q WHERE indicator_key = q.t),
folds(f) AS (SELECT c FROM cand UNION SELECT name_fold FROM indicator_names, q WHERE q.t <> '' AND instr(name, q.t) > 0),
""").replace("FROM targets g JOIN speeches s ON s.id = g.speech_id",
             "FROM targets g JOIN speeches s ON s.id = g.speech_id, q")

# A SQL approximation of `speechminer diff`: targets keyed by indicator, tasks by each
# responsible unit; a key of one speech that the other lacks is reported.
DIFF_SPEECHES = f"""WITH ra AS ({_one_speech('a')}),
rb AS ({_one_speech('b')}),
items AS (
  SELECT g.speech_id, 'target 目标' AS kind, coalesce(g.indicator_key, g.indicator_fold, g.indicator) AS key,
         g.indicator AS what,
         trim(coalesce(g.comparator, '') || ' ' || CASE WHEN g.masked THEN '*' ELSE coalesce(g.value, '') END
              || coalesce(g.unit, '') || coalesce(' · ' || g.deadline, '')) AS detail,
         g.sentence_id, g.start
  FROM targets g WHERE g.speech_id IN (SELECT id FROM ra UNION SELECT id FROM rb)
  UNION ALL
  SELECT t.speech_id, 'task 任务', coalesce(tu.unit_key, tu.name_fold, t.addressee, t.action),
         coalesce(tu.name, t.addressee), t.action || coalesce(' · ' || t.deadline, ''), t.sentence_id, t.start
  FROM tasks t LEFT JOIN task_units tu ON tu.task_id = t.id
  WHERE t.speech_id IN (SELECT id FROM ra UNION SELECT id FROM rb)
),
a AS (SELECT * FROM items WHERE speech_id = (SELECT id FROM ra)),
b AS (SELECT * FROM items WHERE speech_id = (SELECT id FROM rb)),
d AS (
  SELECT 'only in A 仅见于A' AS change, a.* FROM a
   WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.kind = a.kind AND b.key = a.key)
  UNION ALL
  SELECT 'only in B 仅见于B', b.* FROM b
   WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.kind = b.kind AND a.key = b.key)
)
SELECT d.change, d.kind, d.key, d.what, d.detail, s.doc, se.text AS sentence, d.speech_id, d.sentence_id
FROM d JOIN speeches s ON s.id = d.speech_id
LEFT JOIN sentences se ON se.id = d.sentence_id
ORDER BY d.change, d.kind, d.key, d.start"""

SEARCH_SENTENCES = """WITH q(t) AS (SELECT trim(coalesce(:q, ''))),
fts(id) AS (SELECT rowid FROM sentences_fts WHERE sentences_fts MATCH (SELECT sm_fts(t) FROM q)),
hit(id) AS (
  SELECT se.id FROM fts JOIN sentences se ON se.id = fts.id, q WHERE sm_contains_all(se.text, q.t)
),
common(yes) AS (SELECT (SELECT t FROM q) <> '' AND ((SELECT sm_fts(t) FROM q) = '""' OR count(*) >= sm_walk_min())
                FROM (SELECT 1 FROM hit LIMIT sm_walk_min())),
walk(id) AS MATERIALIZED (
  SELECT se.id FROM speeches s CROSS JOIN sentences se ON se.speech_id = s.id, q
   WHERE (SELECT yes FROM common) AND sm_contains_all(se.text, q.t)
   ORDER BY s.meeting_date, s.doc, se.start LIMIT 500
),
found(id) AS (  -- a term the index cannot hold (one character) or a common one: the walk
  SELECT id FROM walk
  UNION ALL
  SELECT id FROM hit WHERE NOT (SELECT yes FROM common)
)
SELECT s.doc, s.title, s.locality, s.period, se.section, se.text AS sentence, se.speech_id, se.id AS sentence_id
FROM found JOIN sentences se ON se.id = found.id
JOIN speeches s ON s.id = se.speech_id
ORDER BY s.meeting_date, s.doc, se.start
LIMIT 500"""

SENTENCE_CONTEXT = """WITH c AS (SELECT speech_id, idx FROM sentences WHERE id = CAST(:sentence_id AS INTEGER))
SELECT CASE WHEN se.id = CAST(:sentence_id AS INTEGER) THEN '▶' ELSE '' END AS here,
       se.idx, se.paragraph, se.section, se.text, s.doc, se.speech_id
FROM sentences se JOIN c ON se.speech_id = c.speech_id AND se.idx BETWEEN c.idx - 4 AND c.idx + 4
JOIN speeches s ON s.id = se.speech_id
ORDER BY se.idx"""

QUERIES: dict[str, dict[str, Any]] = {
    "tasks_for_unit": {
        "title": "单位承担的任务 · Tasks assigned to a unit",
        "description": ("输入单位名称（如 发改、县发改局、统计局），按单位词表识别别名（发改 = 发改局 = 发改委 = 县发展和改革局）。"
                        " Type a unit (发改, 县发改局, 统计局…): resolved through the unit aliases, with and without"
                        " the 县/区/市 prefix; names the lexicon does not know match task units that contain them."),
        "sql": TASKS_FOR_UNIT,
        "params": ["unit"],
    },
    "targets_of_speech": {
        "title": "讲话中的目标 · Targets of a speech",
        "description": ("输入讲话的编号、文档名（或其开头，如 000）或标题片段。"
                        " A speech by id (or a prefix), doc name (or its start, e.g. 000) or part of its title."),
        "sql": TARGETS_OF_SPEECH,
        "params": ["speech"],
    },
    "metric_history": {
        "title": "指标历史 · Metric history of an indicator",
        "description": ("输入指标名称或键（如 固定资产投资、gdp）及地区（可空），按所属时期列出各次讲话报告的数值和排名；"
                        "指标名链接到走势图。 An indicator name, alias or key (固定资产投资, 规上工业增加值…) and a"
                        " place (optional): its reported values and ranks across speeches, by the period they are"
                        " for; the indicator links to its chart."),
        "sql": METRIC_HISTORY,
        "params": ["indicator", "locality"],
    },
    "track_targets": {
        "title": "目标完成情况 · Did the targets come true?",
        "description": ("每个目标与其后讲话报告的同一地区、同一指标、同一时期的结果：met 完成、missed 未完成、"
                        "unclear 无法比较（或后续报告未给数字）、no report yet 尚无报告。地区、指标可留空。"
                        " Each target beside the result a later speech of the same place reported for the same"
                        " indicator, measure and period (as `speechminer track`); place and indicator may be empty."),
        "sql": TRACK_TARGETS,
        "params": ["locality", "indicator"],
    },
    "diff_speeches": {
        "title": "比较两次讲话 · Diff two speeches",
        "description": ("A、B 为两次讲话（编号、文档名或标题片段）。列出只在一方出现的目标（按指标）和任务（按责任单位）。"
                        " A SQL approximation of `speechminer diff`: targets (by indicator) and tasks (by unit)"
                        " of speech A that B lacks, and the other way round."),
        "sql": DIFF_SPEECHES,
        "params": ["a", "b"],
    },
    "search_sentences": {
        "title": "全文检索 · Full-text search of sentences",
        "description": ("输入词语（空格分隔多个词，须全部出现），如 考核、项目 开工。"
                        " Words separated by spaces, all required (考核, 项目 开工); two-character words work."),
        "sql": SEARCH_SENTENCES,
        "params": ["q"],
    },
    "sentence_context": {
        "title": "句子上下文 · A sentence in context",
        "description": "所选句子（▶）及其前后各四句。 The sentence (▶) with four sentences either side.",
        "sql": SENTENCE_CONTEXT,
        "params": ["sentence_id"],
    },
}

# ---------------------------------------------------------------- views (facets by place and period)

VIEWS: dict[str, str] = {
    "task_assignments": """SELECT tu.id AS assignment_id, coalesce(u.name, tu.name_fold) AS unit, tu.unit_key, tu.name AS unit_as_written,
  tu.role, s.locality, s.period, t.section_role, t.action, t.deadline, se.text AS sentence, s.doc,
  t.speech_id, t.sentence_id, t.id AS task_id
FROM task_units tu JOIN tasks t ON t.id = tu.task_id
JOIN speeches s ON s.id = t.speech_id
LEFT JOIN units u ON u.key = tu.unit_key
LEFT JOIN sentences se ON se.id = t.sentence_id""",
    "target_records": """SELECT g.id AS target_id, coalesce(i.name, g.indicator) AS indicator_name, g.indicator, g.indicator_key,
  s.locality, s.period, g.section_role, g.comparator, g.value, g.masked, g.unit, g.deadline, g.modality, g.owners,
  se.text AS sentence, s.doc, g.speech_id, g.sentence_id
FROM targets g JOIN speeches s ON s.id = g.speech_id
LEFT JOIN indicators i ON i.key = g.indicator_key
LEFT JOIN sentences se ON se.id = g.sentence_id""",
    "metric_records": """SELECT m.id AS metric_id, coalesce(i.name, m.indicator) AS indicator_name, m.indicator, m.indicator_key,
  s.locality, s.period AS speech_period, m.period, m.section_role, m.measure, m.value, m.masked, m.unit,
  m.direction, m.rank_scope, m.rank_position, m.rank_tier, se.text AS sentence, s.doc, s.meeting_date,
  m.speech_id, m.sentence_id
FROM metrics m JOIN speeches s ON s.id = m.speech_id
LEFT JOIN indicators i ON i.key = m.indicator_key
LEFT JOIN sentences se ON se.id = m.sentence_id""",
}


def ensure_views(db: str | Path) -> list[str]:
    """(Re)create the views `VIEWS` in the database; returns the names created (none if it is read-only)."""
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        with conn:
            for name, sql in VIEWS.items():
                conn.execute(f"DROP VIEW IF EXISTS {name}")
                conn.execute(f"CREATE VIEW {name} AS {sql}")
        return list(VIEWS)
    except sqlite3.OperationalError:  # read-only file or a locked database: serve without the views
        return []
    finally:
        conn.close()


# ---------------------------------------------------------------- metadata


def _record_columns() -> dict[str, str]:
    return {
        "doc": "讲话文档 · the speech's document name (links to the speech)",
        "speech_id": "讲话编号（文件内容的 sha256）· speech id (sha256 of the file)",
        "sentence_id": "原句 · the sentence the record came from",
        "sentence": "原句 · the sentence the record came from (the link shows it in context)",
        "section": "所在章节 · section path (headings)",
        "section_role": "章节作用 · section role (review / plan / requirement …)",
        "locality": "地区 · locality",
        "period": "时期（季度）· period (quarter)",
        "indicator": "指标（原文）· indicator as written",
        "indicator_key": "指标键 · canonical indicator key (rules/indicators.yaml)",
        "unit": "计量单位 · unit of measure",
        "value": "数值（隐去的为空，masked = 1）· value (empty when masked)",
        "masked": "数值被隐去（*、X）· value hidden in the source (*, X)",
        "owners": "责任单位（角色）· responsible units (role)",
        "units": "责任单位（角色）· responsible units (role)",
        "role": "角色：lead 牵头 / responsible 负责 / support 配合 · role",
        "action": "任务内容 · what must be done",
        "deadline": "时限 · deadline as written",
        "comparator": "比较符 · comparator (>=, <=, =, ≈)",
        "modality": "语气 · modality (must / should / strive)",
    }


def metadata(db_name: str, views: list[str] | tuple[str, ...] = tuple(VIEWS)) -> dict[str, Any]:
    """Datasette metadata for a database served under `db_name`."""
    cols = _record_columns()
    tables: dict[str, Any] = {
        "speeches": {
            "title": "讲话 · Speeches",
            "description": "每篇讲话一行：地区、级别、讲话人、会议日期、时期。 One row per speech: place, level, speaker, date, period.",
            "label_column": "doc",
            "facets": ["locality", "period", "level", "speaker_role"],
            "sort": "meeting_date",
            "columns": {"doc": cols["doc"], "locality": cols["locality"], "period": cols["period"],
                        "meeting_date": "会议日期 · meeting date", "text": "正文（规范化）· the normalized text"},
        },
        "sentences": {
            "title": "句子 · Sentences",
            "description": "讲话的句子及其章节。 Sentences of the speeches with their section paths.",
            "label_column": "text",
            "facets": ["speech_id"],
        },
        "sections": {
            "title": "章节 · Sections",
            "description": "讲话的提纲（各级标题）及章节作用。 The outline of each speech and the role of each section.",
            "label_column": "heading",
            "facets": ["role", "level"],
        },
        "metrics": {
            "title": "指标数值 · Metrics",
            "description": "报告的数值、增速、排名。 Reported values, growth rates, changes, shares and ranks.",
            "facets": ["indicator_key", "period", "section_role", "measure", "unit"],
            "columns": {k: v for k, v in cols.items() if k in (
                "speech_id", "sentence_id", "section", "section_role", "indicator", "indicator_key", "period",
                "value", "masked", "unit")},
        },
        "targets": {
            "title": "目标 · Targets",
            "description": "量化目标：比较符、数值、时限、语气、责任单位。 Quantified goals with comparator, deadline, modality and units.",
            "facets": ["indicator_key", "section_role", "modality", "unit"],
            "columns": {k: v for k, v in cols.items() if k in (
                "speech_id", "sentence_id", "section", "section_role", "indicator", "indicator_key", "value",
                "masked", "unit", "comparator", "deadline", "modality", "owners")},
        },
        "tasks": {
            "title": "任务 · Tasks",
            "description": "谁要做什么：任务内容、责任单位、时限。 Who must do what, by when.",
            "facets": ["section_role", "addressee"],
            "label_column": "action",
            "columns": {k: v for k, v in cols.items() if k in (
                "speech_id", "sentence_id", "section", "section_role", "action", "deadline", "owners")},
        },
        "task_units": {
            "title": "任务的责任单位 · Units of tasks",
            "description": "每个任务的每个单位一行（原文名称、去级别前缀、规范键、角色）。 One row per unit of a task.",
            "facets": ["unit_key", "role", "kind"],
            "columns": {"name": "原文名称 · as written", "name_fold": "去掉县/区/市前缀 · without level prefix",
                        "unit_key": "规范单位键 · canonical unit key", "role": cols["role"]},
        },
        "units": {
            "title": "单位词表 · Unit lexicon",
            "description": "rules/units.yaml 中的单位。 The units of rules/units.yaml.",
            "label_column": "name",
            "facets": ["type", "collective"],
        },
        "unit_aliases": {
            "title": "单位别名 · Unit aliases",
            "description": "别名、简称和去前缀形式到规范单位的映射。 Aliases, short forms and folded forms of each unit.",
            "facets": ["kind"],
        },
        "indicators": {
            "title": "指标词表 · Indicator lexicon",
            "description": "rules/indicators.yaml 中的指标。 The indicators of rules/indicators.yaml.",
            "label_column": "name",
            "facets": ["grp", "unit"],
        },
        "indicator_aliases": {
            "title": "指标别名 · Indicator aliases",
            "facets": ["kind"],
        },
    }
    view_meta = {
        "task_assignments": {
            "title": "任务分工（按单位）· Task assignments by unit",
            "description": "每个任务的每个责任单位一行，附地区、时期和原句。 One row per unit of a task, with place, period and sentence.",
            "facets": ["unit", "role", "locality", "period", "section_role"],
            "columns": {**{k: v for k, v in cols.items() if k in (
                "role", "locality", "period", "section_role", "action", "deadline", "sentence", "doc")},
                "unit": "单位（规范名）· unit (canonical name)", "unit_as_written": "原文名称 · as written"},
        },
        "target_records": {
            "title": "目标（含地区与时期）· Targets with place and period",
            "facets": ["indicator_name", "locality", "period", "section_role", "modality"],
            "columns": {**{k: v for k, v in cols.items() if k in (
                "indicator", "indicator_key", "locality", "period", "section_role", "comparator", "value",
                "unit", "deadline", "modality", "owners", "sentence", "doc")},
                "indicator_name": "指标（规范名）· indicator (canonical name)"},
        },
        "metric_records": {
            "title": "指标数值（含地区与时期）· Metrics with place and period",
            "facets": ["indicator_name", "locality", "speech_period", "section_role", "measure"],
            "columns": {**{k: v for k, v in cols.items() if k in (
                "indicator", "indicator_key", "locality", "section_role", "value", "unit", "sentence", "doc")},
                "indicator_name": "指标（规范名）· indicator (canonical name)",
                "speech_period": "讲话时期 · period of the speech", "period": "数值所属时期 · period of the value"},
        },
    }
    for v in views:
        if v in view_meta:
            tables[v] = view_meta[v]
    hidden = ["schema_version", "store_meta", "unit_names", "indicator_names", "sentences_fts", "sentences_fts_config",
              "sentences_fts_content", "sentences_fts_data", "sentences_fts_docsize", "sentences_fts_idx"]
    for h in hidden:
        tables[h] = {"hidden": True}
    return {
        "title": "speechminer · 地方政府讲话数据库",
        "description_html": (
            "<p>从地方政府讲话稿中抽取的指标、目标和任务。 Metrics, targets and tasks extracted from Chinese "
            "local-government speeches.</p>"
            "<p>常用查询 · common questions: "
            f'<a href="/{db_name}/tasks_for_unit">单位承担的任务 tasks of a unit</a> · '
            f'<a href="/{db_name}/targets_of_speech">讲话中的目标 targets of a speech</a> · '
            f'<a href="/{db_name}/metric_history">指标历史 metric history</a> · '
            f'<a href="/-/speechminer/chart?db={db_name}">指标走势图 chart</a> · '
            f'<a href="/{db_name}/track_targets">目标完成情况 did the targets come true?</a> · '
            f'<a href="/{db_name}/diff_speeches">比较两次讲话 diff two speeches</a> · '
            f'<a href="/{db_name}/search_sentences">全文检索 search</a></p>'),
        "source": "speechminer",
        "databases": {
            db_name: {
                "title": "讲话数据库 · Speech database",
                "description_html": (
                    "<p>每条记录链接到其讲话并显示原句。 Every record links to its speech and shows its sentence.</p>"
                    f'<p><a href="/-/speechminer/chart?db={db_name}">指标走势图 chart</a>：指标的结果与目标按时期作图。'
                    " An indicator's results and targets by period, as a picture.</p>"),
                "tables": tables,
                "queries": {k: {**q, "hide_sql": True} for k, q in QUERIES.items()},
            }
        },
    }


# ---------------------------------------------------------------- SQL functions


def _sm_fts(text: str | None) -> str:
    exprs = [db_mod.fts_query(t) for t in regex.split(r"\s+", (text or "").strip()) if t]
    if not exprs or not all(exprs):
        return '""'  # an empty phrase: matches nothing
    return " AND ".join(f"({e})" for e in exprs)


def _sm_contains_all(sentence: str | None, text: str | None) -> int:
    terms = [t for t in regex.split(r"\s+", (text or "").strip()) if t]
    return int(bool(terms) and sentence is not None and all(t in sentence for t in terms))


def _sm_walk_min() -> int:
    """Hits from which a search walks speeches in meeting order (as Store.search does): sorting
    every sentence with a common term (考核) to show the first 500 is what took the time."""
    from . import store

    return store.SEARCH_WALK_MIN


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the canned queries use (Datasette registers them on its own connections)."""
    db_mod.register_functions(conn)
    conn.create_function("sm_fts", 1, _sm_fts, deterministic=True)
    conn.create_function("sm_walk_min", 0, _sm_walk_min)
    conn.create_function("sm_contains_all", 2, _sm_contains_all, deterministic=True)


# ---------------------------------------------------------------- Datasette plugin

_OUR_DATABASES: set[str] = set()
_RECORD_TABLES = ("metrics", "targets", "tasks")


def _make_plugin():
    """Hooks: SQL functions on each connection; links from records to speeches and sentences in context."""
    from datasette import hookimpl
    from markupsafe import Markup, escape

    class SpeechminerPlugin:
        @staticmethod
        @hookimpl
        def prepare_connection(conn, database, datasette):
            if database in _OUR_DATABASES:
                register_functions(conn)

        @staticmethod
        @hookimpl
        def register_routes(datasette):
            return [(r"^/-/speechminer/chart$", _chart_page)]

        @staticmethod
        @hookimpl
        def asgi_wrapper(datasette):
            return lambda app: _refuse_bad_sql(datasette, app)

        @staticmethod
        @hookimpl
        def render_cell(row, value, column, table, database, datasette):
            if database not in _OUR_DATABASES or table in _RECORD_TABLES or table == "sentences":
                return None  # real tables: Datasette links foreign keys and shows their labels itself
            try:
                keys = row.keys()
            except AttributeError:
                return None
            if column in ("doc", "title") and "speech_id" in keys and row["speech_id"] and value not in (None, ""):
                url = datasette.urls.row(database, "speeches", row["speech_id"])
                return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
            if column == "speech_id" and value:
                url = datasette.urls.row(database, "speeches", value)
                return Markup(f'<a href="{escape(url)}" title="{escape(value)}">{escape(str(value)[:10])}…</a>')
            if column == "sentence" and "sentence_id" in keys and row["sentence_id"] is not None and value:
                url = datasette.urls.query(database, "sentence_context") + f"?sentence_id={int(row['sentence_id'])}"
                return Markup(f'{escape(value)} <a href="{escape(url)}" title="上下文 context">［上下文 context］</a>')
            if column == "indicator" and value and table is None and ("metric_id" in keys or "target_id" in keys):
                loc = row["locality"] if "locality" in keys and row["locality"] else ""
                url = f"/-/speechminer/chart?db={quote(database)}&indicator={quote(str(value))}&locality={quote(loc)}"
                return Markup(f'{escape(value)} <a href="{escape(url)}" title="走势图 chart">［图 chart］</a>')
            if column == "sentence_id" and value is not None:
                url = datasette.urls.query(database, "sentence_context") + f"?sentence_id={int(value)}"
                return Markup(f'<a href="{escape(url)}">{int(value)}</a>')
            return None

    plugin = SpeechminerPlugin()
    plugin.__name__ = "speechminer"  # Datasette lists plugins by module name
    return plugin


async def _chart_page(request, datasette):
    """An indicator's history as a chart (results and targets by period), rendered to SVG on the
    server (chart.py): ?indicator=…&locality=…&db=…"""
    from datasette.utils.asgi import Response

    names = [n for n in datasette.databases if n in _OUR_DATABASES]
    name = request.args.get("db") or (names[0] if names else "")
    if name not in names:
        return Response.html("<p>no such database</p>", status=404)
    indicator = (request.args.get("indicator") or "").strip()
    locality = (request.args.get("locality") or "").strip()
    html = chart_html(datasette.databases[name].path, name, indicator, locality)
    return Response.html(html)


def chart_html(db_path: str, db_name: str, indicator: str, locality: str) -> str:
    """The chart page: a form, the chart (inline SVG) and its points as a table."""
    from html import escape as esc

    from . import chart
    from .store import Store

    head = (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{esc(indicator or "chart")} · '
            'speechminer</title><style>body{font-family:sans-serif;margin:1.5em;max-width:1100px}'
            'table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}'
            'form{margin:0 0 1em}input{margin-right:1em}</style></head><body>'
            f'<p><a href="/{quote(db_name)}">{esc(db_name)}</a> › 指标走势图 · Chart of an indicator</p>'
            f'<form method="get"><input type="hidden" name="db" value="{esc(db_name)}">'
            f'指标 indicator <input name="indicator" value="{esc(indicator)}"> '
            f'地区 place <input name="locality" value="{esc(locality)}"> <button type="submit">画图 draw</button></form>')
    if not indicator:
        return head + "<p>输入指标（如 地区生产总值）。 Type an indicator (地区生产总值, 固定资产投资 …).</p></body></html>"
    try:
        with Store(db_path, readonly=True, frames=False) as store:
            points = chart.history_points(store, indicator, locality or None)
    except ValueError as err:
        return head + f"<p>{esc(str(err))}</p></body></html>"
    if not points:
        return head + "<p>没有可画的数值。 No figure with a resolved period for this indicator.</p></body></html>"
    title = f"{indicator}{' · ' + locality if locality else ''}"
    if chart.have_renderer():
        svg = chart.render_svg(chart.history_spec(points, title))
        picture = f'<figure id="chart">{svg}</figure>'
    else:
        picture = "<p>the chart needs vl-convert: pip install 'speechminer[web]'</p>"
    rows = "".join(f"<tr><td>{esc(p['when'])}</td><td>{esc(p['series'])}</td><td>{esc(p['kind'])}</td>"
                   f"<td>{p['value']:g}</td><td>{esc(p['place'])}</td><td>{esc(p['source'])}</td></tr>"
                   for p in sorted(points, key=lambda p: (p["series"], p["date"], p["kind"])))
    back = (f'/{quote(db_name)}/metric_history?indicator={quote(indicator)}&locality={quote(locality)}')
    return (head + picture + f'<p><a href="{esc(back)}">数值表 the figures as a table</a></p>'
            '<table id="points"><tr><th>时期 period</th><th>度量 measure</th><th>类别 kind</th><th>数值 value</th>'
            f'<th>地区 place</th><th>来源 source</th></tr>{rows}</table></body></html>')


def rejected_sql(sql: str) -> str | None:
    """Why Datasette would refuse this `?sql=` text (it runs one SELECT only), or None."""
    from datasette.utils import InvalidSql, validate_sql_select

    try:
        validate_sql_select(sql)
    except InvalidSql as err:
        return str(err) or "invalid SQL"
    return None


def _refuse_bad_sql(datasette, app):
    """An ASGI app in front of Datasette's: a refused `?sql=` query gets its 400 page here, with one
    log line, instead of Datasette's traceback with locals (a third of a second and 44 KiB each)."""
    from datasette.utils.asgi import Response

    async def guarded(scope, receive, send):
        if scope.get("type") == "http":
            query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
            sql = (query.get("sql") or [""])[0]
            reason = rejected_sql(sql) if sql.strip() else None
            if reason:
                client = (scope.get("client") or ("?",))[0]
                log.warning("rejected ?sql= query from %s on %s: %s: %r", client, scope.get("path"), reason,
                            sql[:200] + ("…" if len(sql) > 200 else ""))
                info = {"ok": False, "error": reason, "status": 400, "title": "Invalid SQL"}
                if str(scope.get("path", "")).endswith(".json"):
                    response = Response.json(info, status=400)
                else:
                    # no request: this runs in front of Datasette's own middleware (its CSRF token)
                    html = await datasette.render_template(["400.html", "error.html"], info)
                    response = Response.html(html, status=400)
                await response.asgi_send(send)
                return
        await app(scope, receive, send)

    return guarded


_plugin = None


def _register_plugin() -> None:
    global _plugin
    from datasette.plugins import pm

    if _plugin is None:
        _plugin = _make_plugin()
        pm.register(_plugin, name="speechminer")


# ---------------------------------------------------------------- the app


def have_datasette() -> bool:
    try:
        import datasette  # noqa: F401
    except ImportError:
        return False
    return True


def build(db: str | Path, views: bool = True):
    """A Datasette instance serving the database at `db` (which must exist)."""
    from datasette.app import Datasette

    path = Path(db)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path} (run `speechminer ingest` first)")
    made = ensure_views(path) if views else []
    name = path.stem
    _OUR_DATABASES.add(name)
    _register_plugin()
    settings = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 500, "truncate_cells_html": 400,
                "default_page_size": 50}
    return Datasette([str(path)], metadata=metadata(name, made), settings=settings, cors=False)


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 8001, views: bool = True,
          log_level: str = "warning") -> None:
    """Run the web explorer until interrupted."""
    import asyncio

    import uvicorn

    ds = build(db, views=views)
    if not log.handlers:  # one line per rejected query on standard error, whatever uvicorn configures
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s speechminer: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level=log_level, lifespan="on", workers=1)
