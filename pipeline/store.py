"""Stage 5, store: the extracted facts of many speeches in one SQLite file.

`Store(path)` opens (and creates or migrates) the database; `ingest(paths)`
runs the pipeline on files and writes one transaction per speech; the query
methods return pandas DataFrames. Every user value reaches SQL as a bound
parameter; the only names ever formatted into SQL are table names checked
against `TABLES`.

Full-text search: SQLite's FTS5 default tokenizer reads a run of Han
characters as one token, so `考核` would never match. Sentences are therefore
indexed as overlapping character pairs of each Han run (考核评价 → 考核 核评 评价;
numbers and Latin words whole), separated by spaces, in a contentless table
without positions. A query asks for every pair of the term, and the sentences
found are kept when their text holds the term itself: any substring of two or
more characters is found, whatever a word segmenter would have made of it, and
indexing costs a few string operations instead of a jieba pass (which took more
time than extraction). A 1-character query falls back to a substring scan.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import operator
import os
import sqlite3
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import regex

from .fold import fold_indicator, fold_unit, like_escape  # noqa: F401  (re-exported)
from . import lexicon

SCHEMA_VERSION = 4  # 2: task_units.key_source (keys resolved by the store); 3: speeches.extractor;
                    # 4: indicator_names (indicator lookups by index, not by scanning every record)
DEFAULT_DB = "outputs/speeches.db"
BATCH_SPEECHES = 64    # the writer commits after this many speeches …
BATCH_SECONDS = 0.5    # … or this long, whichever comes first (each speech in its own savepoint)
BY_SPEECH_MIN_TASKS = 2000  # a unit with this many tasks or more is paged by walking speeches in order
SEARCH_WALK_MIN = 20000  # a search term in this many sentences or more: walk speeches in order instead

# tables `export` and `doctor` may name (the only identifiers formatted into SQL)
TABLES = ("speeches", "sections", "sentences", "metrics", "targets", "tasks", "task_units",
          "units", "unit_aliases", "indicators", "indicator_aliases")

DDL = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS speeches (
  id TEXT PRIMARY KEY,            -- sha256 of the file's bytes
  path TEXT, doc TEXT, title TEXT, locality TEXT, level TEXT, speaker_role TEXT,
  meeting_date TEXT, period TEXT, period_reviewed TEXT, period_planned TEXT, year INTEGER,
  script TEXT, encoding TEXT, repairs INTEGER, chars INTEGER, truncated INTEGER,
  ingested_at TEXT, meta TEXT, text TEXT,
  extractor TEXT                  -- extractor_version() that produced the records
);
CREATE INDEX IF NOT EXISTS speeches_path ON speeches(path);
CREATE INDEX IF NOT EXISTS speeches_locality ON speeches(locality, period);
CREATE INDEX IF NOT EXISTS speeches_period ON speeches(period);
CREATE INDEX IF NOT EXISTS speeches_date_doc ON speeches(meeting_date, doc);  -- speeches in the order queries list them
CREATE TABLE IF NOT EXISTS sections (
  id INTEGER PRIMARY KEY,
  speech_id TEXT NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL, parent_idx INTEGER, level INTEGER, label TEXT, heading TEXT,
  path TEXT, headings TEXT, role TEXT, start INTEGER, head_end INTEGER, "end" INTEGER
);
CREATE INDEX IF NOT EXISTS sections_speech ON sections(speech_id, idx);
CREATE TABLE IF NOT EXISTS sentences (
  id INTEGER PRIMARY KEY,
  speech_id TEXT NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, paragraph INTEGER,
  section TEXT, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_speech ON sentences(speech_id, start);
-- contentless, no positions: the index only finds candidate sentences (every pair of a term in
-- them), the query then checks the sentence text itself; storing the tokens and their positions
-- tripled what a speech writes. A speech's rows are deleted with its tokens recomputed from
-- sentences.text (see Store._delete). Stores made before this keep their table, which works as is.
CREATE VIRTUAL TABLE IF NOT EXISTS sentences_fts USING fts5(tokens, content='', detail=none);
CREATE TABLE IF NOT EXISTS metrics (
  id INTEGER PRIMARY KEY,
  speech_id TEXT NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
  sentence_id INTEGER REFERENCES sentences(id) ON DELETE CASCADE,
  start INTEGER, "end" INTEGER, section TEXT, section_role TEXT,
  indicator TEXT, indicator_key TEXT, indicator_fold TEXT, period TEXT, measure TEXT,
  value REAL, masked INTEGER, unit TEXT, direction TEXT,
  rank_scope TEXT, rank_position INTEGER, rank_from_bottom INTEGER, rank_tier TEXT,
  compare_to TEXT, evidence TEXT
);
CREATE INDEX IF NOT EXISTS metrics_speech ON metrics(speech_id);
CREATE INDEX IF NOT EXISTS metrics_sentence ON metrics(sentence_id);
CREATE INDEX IF NOT EXISTS metrics_indicator ON metrics(indicator_key);
CREATE INDEX IF NOT EXISTS metrics_indicator_fold ON metrics(indicator_fold);
CREATE TABLE IF NOT EXISTS targets (
  id INTEGER PRIMARY KEY,
  speech_id TEXT NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
  sentence_id INTEGER REFERENCES sentences(id) ON DELETE CASCADE,
  start INTEGER, "end" INTEGER, section TEXT, section_role TEXT,
  indicator TEXT, indicator_key TEXT, indicator_fold TEXT, comparator TEXT,
  value REAL, masked INTEGER, unit TEXT, deadline TEXT, deadline_from TEXT, deadline_to TEXT,
  modality TEXT, units TEXT, owners TEXT, evidence TEXT
);
CREATE INDEX IF NOT EXISTS targets_speech ON targets(speech_id);
CREATE INDEX IF NOT EXISTS targets_sentence ON targets(sentence_id);
CREATE INDEX IF NOT EXISTS targets_indicator ON targets(indicator_key);
CREATE INDEX IF NOT EXISTS targets_indicator_fold ON targets(indicator_fold);
CREATE TABLE IF NOT EXISTS tasks (
  id INTEGER PRIMARY KEY,
  speech_id TEXT NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
  sentence_id INTEGER REFERENCES sentences(id) ON DELETE CASCADE,
  start INTEGER, "end" INTEGER, section TEXT, section_role TEXT,
  action TEXT, persons TEXT, deadline TEXT, deadline_from TEXT, deadline_to TEXT,
  addressee TEXT, units TEXT, owners TEXT, evidence TEXT
);
CREATE INDEX IF NOT EXISTS tasks_speech ON tasks(speech_id, start);
CREATE INDEX IF NOT EXISTS tasks_sentence ON tasks(sentence_id);
CREATE TABLE IF NOT EXISTS task_units (
  id INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  role TEXT, name TEXT NOT NULL, name_fold TEXT NOT NULL,
  unit_key TEXT,                  -- canonical key (rules/units.yaml) or NULL; not a foreign key:
  kind TEXT, collective INTEGER,  -- records outlive lexicon edits
  key_source TEXT                 -- extractor | store (resolved from unit_aliases; redone on lexicon change)
);
CREATE INDEX IF NOT EXISTS task_units_task ON task_units(task_id);
CREATE INDEX IF NOT EXISTS task_units_key ON task_units(unit_key, task_id, role);
CREATE INDEX IF NOT EXISTS task_units_fold ON task_units(name_fold, task_id, role);
CREATE INDEX IF NOT EXISTS task_units_name ON task_units(name, task_id, role);
CREATE TABLE IF NOT EXISTS unit_names (name TEXT PRIMARY KEY, name_fold TEXT NOT NULL);
-- every indicator name written in a metric or target, once: a lookup by part of a name scans
-- these few thousand names, then reads the records through the indicator_fold indexes
CREATE TABLE IF NOT EXISTS indicator_names (name TEXT PRIMARY KEY, name_fold TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT, collective INTEGER);
CREATE TABLE IF NOT EXISTS unit_aliases (
  alias TEXT NOT NULL, unit_key TEXT NOT NULL REFERENCES units(key) ON DELETE CASCADE,
  kind TEXT NOT NULL,             -- name | alias | short | fold
  PRIMARY KEY (alias, unit_key)
);
CREATE INDEX IF NOT EXISTS unit_aliases_key ON unit_aliases(unit_key);
CREATE TABLE IF NOT EXISTS indicators (key TEXT PRIMARY KEY, name TEXT NOT NULL, grp TEXT, unit TEXT);
CREATE TABLE IF NOT EXISTS indicator_aliases (
  alias TEXT NOT NULL, indicator_key TEXT NOT NULL REFERENCES indicators(key) ON DELETE CASCADE,
  kind TEXT NOT NULL, PRIMARY KEY (alias, indicator_key)
);
CREATE INDEX IF NOT EXISTS indicator_aliases_key ON indicator_aliases(indicator_key);
"""

# ---------------------------------------------------------------- folding

# ---------------------------------------------------------------- tokens for FTS

# a run of Han characters, or a run of other letters and digits
_RUN = regex.compile(r"(\p{Han}+)|((?:(?!\p{Han})[\p{L}\p{N}])+)")
INDEX_FORMAT = "fts-bigram-1"  # part of the extractor version: a change re-indexes stored speeches


def fts_tokens(text: str) -> str:
    """Text as space-separated index tokens: Han character pairs, other words whole."""
    out: list[str] = []
    for run, other in _RUN.findall(text):
        if other:
            out.append(other)
        elif len(run) > 1:
            out += map(operator.add, run, run[1:])  # the pairs, built in C
        else:
            out.append(run)
    return " ".join(out)


def fts_query(term: str) -> str | None:
    """An FTS5 MATCH expression for one search term: every pair of it (and every other word).

    It finds the sentences that hold all of them, in any order; the caller keeps those whose
    text contains the term (the index has no positions to check adjacency with)."""
    if any(len(run) == 1 for run, _ in _RUN.findall(term)):
        return None  # one Han character is no pair: the caller scans the text instead
    grams = dict.fromkeys(fts_tokens(term).split())  # the index's own tokens, each once
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams) or None


# ---------------------------------------------------------------- extractor version

_EXTRACTOR: dict[str, str] = {}


def _rules_dir() -> Path:
    rules = Path(lexicon.RULES)
    if not rules.is_dir():  # installed without the source tree: rules ship next to the package
        alt = Path(lexicon.__file__).resolve().parent / "rules"
        rules = alt if alt.is_dir() else rules
    return rules


def extractor_version() -> str:
    """A short hash of every file in rules/ and the package version (computed once per process).

    Stored with each speech: content whose sha256 is stored under another
    extractor version is re-extracted by `ingest` (reported as "updated").
    """
    rules = _rules_dir()
    key = str(rules)
    if key not in _EXTRACTOR:
        from . import __version__

        h = hashlib.sha256(f"speechminer {__version__} {INDEX_FORMAT}\n".encode())
        files = sorted(f for f in rules.rglob("*") if f.is_file()) if rules.is_dir() else []
        for f in files:
            h.update(f.relative_to(rules).as_posix().encode() + b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
        _EXTRACTOR[key] = f"{__version__}+{h.hexdigest()[:16]}"
    return _EXTRACTOR[key]


def _lexicon_files_digest() -> str | None:
    """Hash of units.yaml and indicators.yaml as files, or None when the loaders are not the file readers."""
    if not (hasattr(lexicon.units, "cache_info") and hasattr(lexicon.indicators, "cache_info")):
        return None  # replaced (tests, embedding code): always compare the parsed content
    h = hashlib.sha256()
    rules = _rules_dir()
    for name in ("units.yaml", "indicators.yaml"):
        f = rules / name
        try:
            h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
        except OSError:
            h.update(name.encode() + b"\0missing\0")
    return h.hexdigest()


def _set_lexicon_files(c: sqlite3.Connection, files: str | None) -> None:
    if files:
        c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('lexicon_files', ?)", (files,))
    else:
        c.execute("DELETE FROM store_meta WHERE key = 'lexicon_files'")


# ---------------------------------------------------------------- ingest rows


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    updated: list[str] = field(default_factory=list)  # same content, re-extracted (rules or version changed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        """added, unchanged, replaced, failed; and updated when some speech was re-extracted."""
        out = {k: len(getattr(self, k)) for k in ("added", "unchanged", "replaced", "failed")}
        if self.updated:
            out["updated"] = len(self.updated)
        return out

    def __str__(self) -> str:
        c = self.counts()
        text = f"added {c['added']}, unchanged {c['unchanged']}, replaced {c['replaced']}, failed {c['failed']}"
        return text + (f", updated {c['updated']} (re-extracted: rules or version changed)" if c.get("updated") else "")


def _num(v: Any) -> tuple[float | None, int]:
    if v == "masked":
        return None, 1
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v), 0
    try:
        return (float(v), 0) if v is not None else (None, 0)
    except (TypeError, ValueError):
        return None, 0


def _owners(units) -> str:
    return "、".join(f"{u.name}({u.role})" for u in units)


def rows_from_result(result, path: str | None = None) -> dict[str, Any]:
    """Plain rows for one extracted speech (picklable: built in worker processes).

    Sentence references are local indexes (`_sent`); the writer turns them into ids.
    """
    doc, outline = result.doc, result.outline
    m = doc.meta or {}
    speech = {
        "id": doc.sha256, "path": path or doc.path, "doc": doc.doc_id, "title": m.get("title") or None,
        "locality": m.get("locality"), "level": m.get("level"), "speaker_role": m.get("speaker_role"),
        "meeting_date": m.get("meeting_date"), "period": m.get("period"),
        "period_reviewed": m.get("period_reviewed"), "period_planned": m.get("period_planned"),
        "year": m.get("year"), "script": doc.script, "encoding": doc.encoding, "repairs": len(doc.repairs),
        "chars": len(doc.text), "truncated": int(bool(m.get("truncated"))),
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "meta": json.dumps(m, ensure_ascii=False, default=str), "text": doc.text,
        "extractor": extractor_version(),
    }
    sections = []
    for i, n in enumerate(outline.nodes):
        chain = outline.chain(n)
        sections.append({"idx": i, "parent_idx": n.parent, "level": n.level, "label": n.label, "heading": n.heading,
                         "path": n.path, "headings": " › ".join(c.heading for c in chain), "role": n.role,
                         "start": n.start, "head_end": n.head_end, "end": n.end})
    sents = list(outline.sentences)
    starts = [s.start for s in sents]
    sentences = []
    for i, s in enumerate(sents):
        heads, _ = outline.section_of(s.start)
        sentences.append({"idx": i, "start": s.start, "end": s.end, "paragraph": s.paragraph,
                          "section": " › ".join(heads) or None, "text": s.text, "_tokens": fts_tokens(s.text)})

    def sent_of(offset: int) -> int | None:
        i = bisect.bisect_right(starts, offset) - 1
        return i if i >= 0 and offset < sents[i].end else (i if i >= 0 else None)

    def base(r) -> dict[str, Any]:
        return {"_sent": sent_of(r.start), "start": r.start, "end": r.end,
                "section": " › ".join(r.section) or None, "section_role": r.section_role}

    metrics = []
    for r in result.metrics:
        v, masked = _num(r.value)
        rk = r.rank
        pos, _ = _num(rk.position) if rk else (None, 0)
        metrics.append({**base(r), "indicator": r.indicator, "indicator_key": r.indicator_key,
                        "indicator_fold": fold_indicator(r.indicator), "period": r.period, "measure": r.measure,
                        "value": v, "masked": masked, "unit": r.unit, "direction": r.direction,
                        "rank_scope": rk.scope if rk else None, "rank_position": int(pos) if pos is not None else None,
                        "rank_from_bottom": int(rk.from_bottom) if rk else None, "rank_tier": rk.tier if rk else None,
                        "compare_to": r.compare_to, "evidence": r.evidence})
    targets = []
    for r in result.targets:
        v, masked = _num(r.value)
        dr = r.deadline_range or (None, None)
        targets.append({**base(r), "indicator": r.indicator, "indicator_key": r.indicator_key,
                        "indicator_fold": fold_indicator(r.indicator), "comparator": r.comparator, "value": v,
                        "masked": masked, "unit": r.unit, "deadline": r.deadline, "deadline_from": dr[0],
                        "deadline_to": dr[1], "modality": r.modality,
                        "units": json.dumps([u.to_dict() for u in r.units], ensure_ascii=False),
                        "owners": _owners(r.units) or None, "evidence": r.evidence})
    tasks = []
    for r in result.tasks:
        dr = r.deadline_range or (None, None)
        tasks.append({**base(r), "action": r.action, "persons": json.dumps(r.persons, ensure_ascii=False),
                      "deadline": r.deadline, "deadline_from": dr[0], "deadline_to": dr[1],
                      "addressee": r.addressee, "units": json.dumps([u.to_dict() for u in r.units], ensure_ascii=False),
                      "owners": _owners(r.units) or None, "evidence": r.evidence,
                      "_units": [{"role": u.role, "name": u.name, "name_fold": fold_unit(u.name), "unit_key": u.key,
                                  "kind": u.kind, "collective": int(bool(u.collective))} for u in r.units]})
    return {"speech": speech, "sections": sections, "sentences": sentences,
            "metrics": metrics, "targets": targets, "tasks": tasks}


def _extract_rows(path: str) -> dict[str, Any]:
    """Worker: run the pipeline on one file and return its rows (or raise)."""
    from .extraction import extract

    return rows_from_result(extract(Path(path)), path)


class ExtractFailed(Exception):
    """A failure in a worker process, sent back as its one-line reason (any exception pickles this way)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _extract_rows_in_worker(path: str) -> dict[str, Any] | ExtractFailed:
    try:
        return _extract_rows(path)
    except Exception as err:
        return ExtractFailed(_reason(err))


def _resolved(path: str | os.PathLike, dirs: dict[str, str]) -> str:
    """`str(Path(path).resolve())`, with the folder's resolution looked up in `dirs` after its
    first file; a file that is itself a link is resolved whole."""
    p = Path(path)
    if p.is_symlink():
        return str(p.resolve())
    parent = str(p.parent)
    if parent not in dirs:
        dirs[parent] = str(p.parent.resolve())
    return os.path.join(dirs[parent], p.name)


def _file_id(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _reason(err: BaseException) -> str:
    from .normalize import InputError

    if isinstance(err, (InputError, ExtractFailed)):
        return err.reason
    if isinstance(err, FileNotFoundError):
        return "file not found"
    if isinstance(err, PermissionError):
        return "permission denied"
    return f"{type(err).__name__}: {err}"


class SpeechNotFound(LookupError):
    pass


class AmbiguousSpeech(LookupError):
    def __init__(self, ref: str, candidates: list[dict]):
        self.ref, self.candidates = ref, candidates
        names = "; ".join(f"{c['id'][:10]} {c.get('doc')} {c.get('title') or ''}".strip() for c in candidates[:8])
        super().__init__(f"{ref!r} matches {len(candidates)} speeches: {names}")


_PERIOD = regex.compile(r"^(\d{4})(?:[Qq]([1-4]))?$")
_DATE = regex.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")


def _bound(value: str | None, upper: bool) -> tuple[str, str] | None:
    """A --since/--until value as (column, bound): 2023Q1 (period), 2023 (year), 2023-07 (meeting date)."""
    if not value:
        return None
    v = value.strip()
    m = _PERIOD.match(v)
    if m:
        if m.group(2):
            return "period", f"{m.group(1)}Q{m.group(2)}"
        return "period", f"{m.group(1)}Q{4 if upper else 1}"
    if _DATE.match(v):
        return "meeting_date", v
    raise ValueError(f"not a period or date: {value!r} (use 2023Q3, 2023 or 2023-07)")


# ---------------------------------------------------------------- the store


class Rows:
    """A query result without pandas (what `Store(frames=False)` returns): columns and dict rows.

    Enough of the DataFrame surface for the CLI: `columns`, `empty`, `len()`,
    `to_dict("records")`; `to_pandas()` for the rest.
    """

    def __init__(self, columns: list[str], records: list[dict[str, Any]]):
        self.columns, self.records = list(columns), records

    @property
    def empty(self) -> bool:
        return not self.records

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def to_dict(self, orient: str = "records") -> list[dict[str, Any]]:
        if orient != "records":
            raise ValueError("Rows.to_dict supports orient='records' only (use to_pandas())")
        return list(self.records)

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self.records, columns=self.columns)

    def filter(self, keep) -> "Rows":
        return Rows(self.columns, [r for r in self.records if keep(r)])

    def head(self, n: int) -> "Rows":
        return Rows(self.columns, self.records[:n])


def _wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the database in WAL mode, waiting out another process doing the same.

    Switching a new file to WAL takes an exclusive lock, and SQLite answers a
    second connection racing for it with SQLITE_BUSY at once, without calling
    the busy handler; two ingests started together into a new database hit
    this. Retry until the connection's timeout.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class Store:
    """A SQLite database of ingested speeches and their records."""

    def __init__(self, path: str | os.PathLike = DEFAULT_DB, *, readonly: bool = False, timeout: float = 30.0,
                 frames: bool = True):
        """`frames=False`: query methods return `Rows` instead of pandas DataFrames (no pandas import)."""
        self.frames = frames
        self.path = str(path)
        if self.path != ":memory:":
            if readonly and not Path(self.path).exists():
                raise FileNotFoundError(f"no database at {self.path} (run `speechminer ingest` first)")
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False)
        self._db = None
        self._fts_rows: dict[str, list[tuple[int, str]]] | None = None  # see write_stream
        self._fts_contentless = False
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            _wal(self.conn, timeout)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MB of pages: joins over many speeches
        self._alias_keys: dict[str, str | None] = {}
        self._migrate()
        self._fts_contentless = _contentless(self.conn)
        self.sync_lexicons()

    # -- lifecycle

    @property
    def db(self):
        """The same connection as a `sqlite_utils.Database`, for ad-hoc table work
        (made on first use: importing sqlite-utils pulls in pandas, ~0.4 s)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""
        if self.conn.in_transaction:
            self.conn.commit()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    def _migrate(self) -> None:
        row = None
        try:
            row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        except sqlite3.OperationalError:
            pass
        current = row[0] if row and row[0] is not None else 0
        if current > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} has schema version {current}, newer than this speechminer ({SCHEMA_VERSION})")
        ddl_hash = hashlib.sha256((DDL + INDEX_FORMAT).encode()).hexdigest()[:16]
        if current == SCHEMA_VERSION:  # up to date: no write lock (readers open while an ingest writes)
            done = self.conn.execute("SELECT value FROM store_meta WHERE key = 'ddl'").fetchone()
            if done and done[0] == ddl_hash:
                return
        with self.transaction() as c:  # every statement is IF NOT EXISTS: cheap, and adds new indexes
            for stmt in _statements(DDL):
                c.execute(stmt)
            # read again under the write lock: another process may have migrated since
            current = c.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
            cols = {r[1] for r in c.execute("PRAGMA table_info(task_units)")}
            if "key_source" not in cols:  # version 1
                c.execute("ALTER TABLE task_units ADD COLUMN key_source TEXT")
                c.execute("UPDATE task_units SET key_source = 'extractor' WHERE unit_key IS NOT NULL")
            if "extractor" not in {r[1] for r in c.execute("PRAGMA table_info(speeches)")}:  # version 2
                c.execute("ALTER TABLE speeches ADD COLUMN extractor TEXT")  # NULL: re-extracted on next ingest
            if current and current < 4:  # version 3: the names of the records already stored
                for table in ("metrics", "targets"):
                    c.execute(f"INSERT OR IGNORE INTO indicator_names (name, name_fold) SELECT DISTINCT indicator, "
                              f"indicator_fold FROM {table} WHERE indicator IS NOT NULL")
            fmt = c.execute("SELECT value FROM store_meta WHERE key = 'fts_format'").fetchone()
            if _contentless(c) and fmt and fmt[0] != INDEX_FORMAT:
                _rebuild_fts(c)  # deletes recompute tokens: they must be of the format stored
            c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('fts_format', ?)", (INDEX_FORMAT,))
            c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('ddl', ?)", (ddl_hash,))
            if current < SCHEMA_VERSION:
                c.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                          (SCHEMA_VERSION, datetime.now(timezone.utc).isoformat(timespec="seconds")))

    @property
    def schema_version(self) -> int:
        return self.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]

    # -- lexicons

    def sync_lexicons(self, force: bool = False) -> bool:
        """Load rules/units.yaml and rules/indicators.yaml into their tables when they changed.

        Fast path: when the lexicon comes from the files (the loaders are the cached
        file readers) and the files' bytes hash as at the last sync, nothing is parsed.
        """
        files = _lexicon_files_digest()
        old_files = self.conn.execute("SELECT value FROM store_meta WHERE key = 'lexicon_files'").fetchone()
        if not force and files and old_files and old_files[0] == files:
            return False
        try:
            units = lexicon.units()["entries"]
        except Exception:  # missing or half-written file: keep what the DB has
            units = None
        try:
            inds = lexicon.indicators()["entries"]
        except Exception:
            inds = None
        digest = hashlib.sha256(json.dumps([units, inds], ensure_ascii=False, sort_keys=True, default=str)
                                .encode()).hexdigest()
        old = self.conn.execute("SELECT value FROM store_meta WHERE key = 'lexicon'").fetchone()
        if not force and old and old[0] == digest:
            if files or old_files:  # remember the files' hash (or forget it: the loaders are not the files)
                with self.transaction() as c:
                    _set_lexicon_files(c, files)
            return False
        with self.transaction() as c:
            if units is not None:
                c.execute("DELETE FROM unit_aliases")
                c.execute("DELETE FROM units")
                for e in units:
                    c.execute("INSERT OR REPLACE INTO units (key, name, type, collective) VALUES (?, ?, ?, ?)",
                              (e["key"], e["name"], e.get("type"), int(bool(e.get("collective")))))
                    seen: set[str] = set()
                    for kind, names in (("name", [e["name"]]), ("alias", e.get("aliases") or []),
                                        ("short", e.get("short") or [])):
                        for a in names:
                            for surface, k in ((a, kind), (fold_unit(a), "fold")):
                                if surface and surface not in seen:
                                    seen.add(surface)
                                    c.execute("INSERT OR IGNORE INTO unit_aliases (alias, unit_key, kind) VALUES (?, ?, ?)",
                                              (surface, e["key"], k))
            if inds is not None:
                c.execute("DELETE FROM indicator_aliases")
                c.execute("DELETE FROM indicators")
                for e in inds:
                    c.execute("INSERT OR REPLACE INTO indicators (key, name, grp, unit) VALUES (?, ?, ?, ?)",
                              (e["key"], e["name"], e.get("group"), e.get("unit")))
                    seen = set()
                    for kind, names in (("name", [e["name"]]), ("alias", e.get("aliases") or [])):
                        for a in names:
                            for surface, k in ((a, kind), (fold_indicator(a), "fold")):
                                if surface and surface not in seen:
                                    seen.add(surface)
                                    c.execute("INSERT OR IGNORE INTO indicator_aliases (alias, indicator_key, kind) "
                                              "VALUES (?, ?, ?)", (surface, e["key"], k))
            if units is not None:
                c.execute("UPDATE task_units SET unit_key = NULL, key_source = NULL WHERE key_source = 'store'")
                c.execute("UPDATE task_units SET key_source = 'store', unit_key = "
                          "(SELECT min(a.unit_key) FROM unit_aliases a WHERE a.alias = task_units.name_fold) "
                          "WHERE unit_key IS NULL AND name_fold IN (SELECT alias FROM unit_aliases)")
            c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('lexicon', ?)", (digest,))
            _set_lexicon_files(c, files)
        self._alias_keys.clear()
        return True

    def _resolve_key(self, c: sqlite3.Connection, name: str, fold: str) -> str | None:
        if fold not in self._alias_keys:
            row = c.execute("SELECT min(unit_key) FROM unit_aliases WHERE alias IN (?, ?)", (name, fold)).fetchone()
            self._alias_keys[fold] = row[0] if row else None
        return self._alias_keys[fold]

    # -- ingest

    def ingest(self, paths: Iterable[str | os.PathLike] | str | os.PathLike, progress: bool = True, workers: int = 1,
               force: bool = False, on_event=None) -> IngestSummary:
        """Run the pipeline on files (or the text files inside folders) and store them.

        Content already stored by the same extractor version is skipped ("unchanged");
        the same content stored by another version (rules/ or the package changed) is
        re-extracted ("updated"); a path whose content changed has its old speech
        replaced ("replaced"); a file that fails is listed in `failed` with its reason
        and the batch goes on. `workers` > 1 extracts in that many processes; one
        writer (this process) stores the rows, several speeches per transaction, each
        speech in its own savepoint, so a speech is always stored whole or not at all.
        `on_event(status, file, detail)` is called for each file once its fate is
        committed.
        """
        from .cli import iter_inputs

        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        files = list(iter_inputs([str(p) for p in paths]))
        summary = IngestSummary()
        version = extractor_version()

        def note(status: str, name: str, detail: str = "") -> None:
            if status == "failed":
                summary.failed.append((name, detail))
            else:
                getattr(summary, status).append(name)
            if on_event:
                on_event(status, name, detail)

        todo: list[tuple[Path, str]] = []
        for f in files:
            try:
                fid = _file_id(f)
            except Exception as err:
                note("failed", str(f), _reason(err))
                continue
            row = self.conn.execute("SELECT extractor FROM speeches WHERE id = ?", (fid,)).fetchone()
            if not force and row and row[0] == version:
                note("unchanged", str(f))
                continue
            todo.append((f, fid))

        bar = _progress(len(todo), progress)
        task = bar.add_task("ingesting", total=len(todo)) if bar else None
        dirs: dict[str, str] = {}  # each folder resolved once (Path.resolve stats every component)
        try:
            if bar:
                bar.start()
            stream = ((str(f), _resolved(f, dirs), result) for f, result in _run(todo, workers))
            self.write_stream(stream, note, force=force, tick=(lambda: bar.advance(task)) if bar else None)
        finally:
            if bar:
                bar.stop()
        return summary

    def write_stream(self, items: Iterable[tuple[str, str | None, Any]], note, force: bool = False, tick=None) -> None:
        """The one writer: store (name, path, rows or exception) items in batched transactions.

        Several speeches per transaction (up to BATCH_SPEECHES or BATCH_SECONDS), each
        in its own savepoint: a speech that fails to write is rolled back alone, and a
        killed process leaves every speech whole or absent. `note(status, name, detail)`
        is called for each item once its batch is committed.
        """
        c = self.conn
        pending: list[tuple[str, str, str]] = []  # notes of the open batch, sent once it is committed
        opened: float | None = None  # when the open batch began
        in_batch = 0

        def batch_lost(err: BaseException) -> None:
            nonlocal opened, in_batch
            if c.in_transaction:
                c.rollback()
            opened, in_batch = None, 0
            self._fts_rows = {}
            pending[:] = [n if n[0] == "failed" else
                          ("failed", n[1], f"not stored, its batch was rolled back: {_reason(err)}") for n in pending]

        def flush() -> None:
            nonlocal opened, in_batch
            if opened is not None:
                try:
                    self._write_fts(c)
                    c.commit()
                except sqlite3.Error as err:  # disk full at the end of the batch: none of it is stored
                    batch_lost(err)
                opened, in_batch = None, 0
            for n in pending:
                note(*n)
            pending.clear()

        # The index rows of the open batch wait here and go in just before its commit: FTS5 writes
        # a new index segment whenever a savepoint is released, and one segment per speech cost
        # more than the rest of the write. {speech id: [(sentence id, tokens)]}
        self._fts_rows = {}
        try:
            for name, path, result in items:
                if isinstance(result, BaseException):
                    pending.append(("failed", name, _reason(result)))
                else:
                    if opened is None:
                        if c.in_transaction:
                            c.commit()
                        c.execute("BEGIN IMMEDIATE")
                        opened = time.monotonic()
                    c.execute("SAVEPOINT speech")
                    before = dict(self._fts_rows)
                    try:
                        status = self._write(c, result, path=path, force=force)
                    except Exception as err:
                        self._fts_rows = before
                        try:
                            c.execute("ROLLBACK TO speech")
                            c.execute("RELEASE speech")
                        except sqlite3.Error:  # SQLite rolled the whole batch back (disk full, I/O error)
                            batch_lost(err)
                        pending.append(("failed", name, _reason(err)))
                    else:
                        c.execute("RELEASE speech")
                        pending.append((status, name, ""))
                        in_batch += 1
                if opened is None or in_batch >= BATCH_SPEECHES or time.monotonic() - opened >= BATCH_SECONDS:
                    flush()
                if tick:
                    tick()
            flush()
        except BaseException:
            if opened is not None and c.in_transaction:
                c.rollback()  # the open batch is lost as a whole; a re-run stores it
            raise
        finally:
            self._fts_rows = None

    def _write_fts(self, c: sqlite3.Connection) -> None:
        """Index the sentences of the open batch (see write_stream)."""
        if self._fts_rows:
            c.executemany("INSERT INTO sentences_fts (rowid, tokens) VALUES (?, ?)",
                          [row for rows in self._fts_rows.values() for row in rows])
        self._fts_rows = {}

    def merge(self, shards: Iterable[str | os.PathLike], force: bool = False, on_event=None) -> IngestSummary:
        """Load JSONL shards (one speech's rows per line, as `ray_runner` writes them) into this store."""
        from .ray_runner import read_shard

        summary = IngestSummary()

        def note(status: str, name: str, detail: str = "") -> None:
            if status == "failed":
                summary.failed.append((name, detail))
            else:
                getattr(summary, status).append(name)
            if on_event:
                on_event(status, name, detail)

        def items():
            for shard in shards:
                yield from read_shard(shard)

        self.write_stream(items(), note, force=force)
        return summary

    def write(self, rows: dict[str, Any], path: str | None = None, force: bool = True) -> str:
        """Store one speech's rows in one transaction; returns added | replaced | updated | unchanged."""
        with self.transaction() as c:
            return self._write(c, rows, path=path, force=force)

    def _write(self, c: sqlite3.Connection, rows: dict[str, Any], path: str | None = None, force: bool = False) -> str:
        sp = dict(rows["speech"])
        sp.setdefault("extractor", None)
        if path:
            sp["path"] = path
        old = c.execute("SELECT extractor FROM speeches WHERE id = ?", (sp["id"],)).fetchone()
        if old is not None:
            if not force and old[0] == sp["extractor"]:
                return "unchanged"  # stored meanwhile (a duplicate in the batch, another ingest)
            old_ids, status = [sp["id"]], "updated"  # same content, another extractor: rewrite in place
        else:
            old_ids = [r[0] for r in c.execute("SELECT id FROM speeches WHERE path = ?", (sp["path"],))]
            status = "replaced" if old_ids else "added"
        for oid in old_ids:
            self._delete(c, oid)
        self._insert(c, sp, rows)
        return status

    def _delete(self, c: sqlite3.Connection, speech_id: str) -> None:
        pending = self._fts_rows.pop(speech_id, None) if self._fts_rows else None  # this batch's: not indexed yet
        if pending is None:
            if self._fts_contentless:  # the index keeps no copy: it is told the tokens to remove
                c.executemany("INSERT INTO sentences_fts (sentences_fts, rowid, tokens) VALUES ('delete', ?, ?)",
                              [(i, fts_tokens(t)) for i, t in
                               c.execute("SELECT id, text FROM sentences WHERE speech_id = ?", (speech_id,))])
            else:
                c.execute("DELETE FROM sentences_fts WHERE rowid IN (SELECT id FROM sentences WHERE speech_id = ?)",
                          (speech_id,))
        c.execute("DELETE FROM speeches WHERE id = ?", (speech_id,))  # cascades to every record table

    def delete(self, speech_id: str) -> None:
        with self.transaction() as c:
            self._delete(c, speech_id)

    def _insert(self, c: sqlite3.Connection, sp: dict, rows: dict) -> None:
        sid = sp["id"]
        cols = _columns([sp])
        _insert_many(c, "speeches", cols, _tuples([sp], cols))
        if rows["sections"]:
            cols = _columns(rows["sections"])
            _insert_many(c, "sections", ["speech_id", *cols], [(sid, *t) for t in _tuples(rows["sections"], cols)])
        base = c.execute("SELECT coalesce(max(id), 0) + 1 FROM sentences").fetchone()[0]
        sents = rows["sentences"]
        if sents:
            cols = _columns(sents)
            _insert_many(c, "sentences", ["id", "speech_id", *cols],
                         [(base + i, sid, *t) for i, t in enumerate(_tuples(sents, cols))])
        if sp.get("extractor") == extractor_version():
            fts = [(base + i, s["_tokens"]) for i, s in enumerate(sents)]
        else:  # rows of another version (an old shard): their tokens may be of another format
            fts = [(base + i, fts_tokens(s["text"])) for i, s in enumerate(sents)]
        if self._fts_rows is not None:  # inside write_stream: indexed with the batch
            self._fts_rows[sid] = fts
        else:
            c.executemany("INSERT INTO sentences_fts (rowid, tokens) VALUES (?, ?)", fts)

        def sentence_id(r: dict) -> int | None:
            return base + r["_sent"] if r.get("_sent") is not None else None

        for table in ("metrics", "targets"):
            recs = rows[table]
            if recs:
                cols = _columns(recs)
                _insert_many(c, table, [*cols, "speech_id", "sentence_id"],
                             [(*t, sid, sentence_id(r)) for t, r in zip(_tuples(recs, cols), recs)])
        tbase = c.execute("SELECT coalesce(max(id), 0) + 1 FROM tasks").fetchone()[0]
        recs = rows["tasks"]
        units: list[tuple] = []
        names: set[tuple[str, str]] = set()
        for i, r in enumerate(recs):
            for u in r.get("_units", []):
                key, source = u.get("unit_key"), "extractor" if u.get("unit_key") else None
                if not key:
                    key = self._resolve_key(c, u["name"], u["name_fold"])
                    source = "store" if key else None
                units.append((tbase + i, u.get("role"), u["name"], u["name_fold"], key, u.get("kind"),
                              u.get("collective"), source))
                names.add((u["name"], u["name_fold"]))
        if recs:
            cols = _columns(recs)
            _insert_many(c, "tasks", ["id", *cols, "speech_id", "sentence_id"],
                         [(tbase + i, *t, sid, sentence_id(r)) for i, (t, r) in enumerate(zip(_tuples(recs, cols), recs))])
        if units:
            _insert_many(c, "task_units", ["task_id", "role", "name", "name_fold", "unit_key", "kind", "collective",
                                           "key_source"], units)
        c.executemany("INSERT OR IGNORE INTO unit_names (name, name_fold) VALUES (?, ?)", names)
        c.executemany("INSERT OR IGNORE INTO indicator_names (name, name_fold) VALUES (?, ?)",
                      {(r["indicator"], r["indicator_fold"]) for table in ("metrics", "targets") for r in rows[table]
                       if r.get("indicator")})

    # -- lookups

    def resolve_unit(self, text: str) -> dict[str, Any]:
        """What a user's unit text stands for: canonical keys and surface forms.

        In the lexicon (as written, or with 县/区/市 stripped): its keys (stored unit
        names that are aliases carry their key). Otherwise: the stored surface
        names that equal or contain the text.
        """
        text = (text or "").strip()
        cands = sorted({text, fold_unit(text)} - {""})
        ph = ",".join("?" * len(cands))
        keys = [r[0] for r in self.conn.execute(f"SELECT DISTINCT unit_key FROM unit_aliases WHERE alias IN ({ph})", cands)]
        if not keys:
            entry = None
            try:
                entry = lexicon.unit_lookup(text)
            except Exception:
                pass
            if entry:
                keys = [entry["key"]]
        if keys:
            # every stored surface form that is an alias has its key (resolved at write time
            # and on each lexicon change): the keys, plus the text as typed, cover them all
            return {"mode": "lexicon", "keys": keys, "folds": cands, "names": []}
        pattern = "%" + like_escape(text) + "%"
        names = [r[0] for r in self.conn.execute(
            "SELECT name FROM unit_names WHERE name_fold IN (" + ph + ") OR name LIKE ? ESCAPE '\\'",
            [*cands, pattern])]
        return {"mode": "surface", "keys": [], "folds": cands, "names": names}

    def _tasks_by_speech_sql(self, unit: str, role: str | None, conds: list[str], cparams: list,
                             limit: int | None) -> tuple[str, list] | None:
        """`tasks_sql` walking speeches (of the locality, or in meeting order until the limit is
        filled) and keeping their tasks of the unit, instead of reading every task of the unit
        first: a unit with 120,000 tasks in 100,000 speeches is answered in tens of ms rather than
        most of a second. None when this is the slower way: no locality, and a unit with few tasks."""
        cond, rparams = self._unit_cond(unit, role, "tu")
        if not cond:
            return None
        if not any(c.startswith("s.locality") for c in conds):
            n = self.conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM task_units tu WHERE {cond} LIMIT ?)",
                                  [*rparams, BY_SPEECH_MIN_TASKS]).fetchone()[0]
            if n < BY_SPEECH_MIN_TASKS:
                return None
        # each task met on the walk is looked up by its id (a few index probes), not tested
        # against a list of every task of the unit built first
        where = " AND ".join([f"EXISTS (SELECT 1 FROM task_units tu WHERE tu.task_id = t.id AND {cond})", *conds])
        # CROSS JOIN keeps speeches as the outer loop (SQLite would start from the unit's tasks)
        page = ("WITH page AS MATERIALIZED (SELECT t.id AS task_id, s.meeting_date AS md, s.doc AS dn, t.start AS st "
                f"FROM speeches s CROSS JOIN tasks t ON t.speech_id = s.id WHERE {where} "
                "ORDER BY md, dn, st" + (" LIMIT ?" if limit else "") + ") ")
        params = rparams + cparams + ([int(limit)] if limit else [])
        sql = (page + "SELECT s.doc, s.title, s.locality, s.period, s.meeting_date, t.section, t.owners AS units, "
               f"(SELECT group_concat(DISTINCT tu.role) FROM task_units tu WHERE tu.task_id = page.task_id AND {cond}) "
               "AS role, t.action, t.deadline, t.addressee, t.persons, se.text AS sentence, t.evidence, "
               "t.speech_id, t.id AS task_id, t.start, t.\"end\" "
               "FROM page JOIN tasks t ON t.id = page.task_id JOIN speeches s ON s.id = t.speech_id "
               "LEFT JOIN sentences se ON se.id = t.sentence_id ORDER BY page.md, page.dn, page.st")
        return sql, params + rparams

    def _unit_terms(self, unit: str) -> list[tuple[str, list]]:
        """(task_units column, values) pairs that name the unit: its keys, folded names, surface names."""
        res = self.resolve_unit(unit)
        return [(col, vals) for col, vals in (("unit_key", res["keys"]), ("name_fold", res["folds"]),
                                              ("name", res["names"])) if vals]

    def _unit_cond(self, unit: str, role: str | None, alias: str) -> tuple[str, list]:
        """The test of `_unit_hits` on one task_units row (for a task already found another way)."""
        ors, params = [], []
        for col, values in self._unit_terms(unit):
            ors.append(f"{alias}.{col} IN ({','.join('?' * len(values))})")
            params += values
        if not ors:
            return "", []
        cond = "(" + " OR ".join(ors) + ")"
        if role:
            cond += f" AND {alias}.role = ?"
            params.append(role)
        return cond, params

    def _unit_hits(self, unit: str, role: str | None) -> tuple[str, list]:
        """A subquery of (task_id, role) rows for a unit: one indexed lookup per kind of match."""
        parts, params = [], []
        for col, values in self._unit_terms(unit):
            sql = f"SELECT task_id, role FROM task_units WHERE {col} IN ({','.join('?' * len(values))})"
            params += values
            if role:
                sql += " AND role = ?"
                params.append(role)
            parts.append(sql)
        if not parts:
            return "SELECT NULL AS task_id, NULL AS role WHERE 0", []
        return " UNION ".join(parts), params

    def resolve_speech(self, ref: str) -> dict[str, Any]:
        """A speech by id (or a prefix of 4+ hex digits), path, doc name or title fragment."""
        ref = str(ref).strip()
        cols = "id, doc, title, locality, period, meeting_date, path"
        q = lambda sql, p: [dict(zip(("id", "doc", "title", "locality", "period", "meeting_date", "path"), r))  # noqa: E731
                            for r in self.conn.execute(f"SELECT {cols} FROM speeches WHERE {sql}", p)]
        tries: list[tuple[str, list]] = [("id = ?", [ref])]
        if regex.fullmatch(r"[0-9a-fA-F]{4,63}", ref):
            tries.append(("id >= ? AND id < ?", [ref.lower(), ref.lower() + "g"]))
        p = Path(ref)
        tries.append(("path = ?", [str(p.resolve())]))
        tries.append(("path = ?", [ref]))
        if p.exists() and p.is_file():
            try:
                tries.append(("id = ?", [_file_id(p)]))
            except OSError:
                pass
        tries.append(("doc = ?", [ref]))
        tries.append(("doc = ?", [p.stem]))
        tries.append(("doc LIKE ? ESCAPE '\\'", [like_escape(ref) + "%"]))
        tries.append(("instr(title, ?) > 0", [ref]))
        for sql, params in tries:
            found = q(sql, params)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise AmbiguousSpeech(ref, found)
        raise SpeechNotFound(f"no stored speech matches {ref!r} (try `speechminer speeches`)")

    # -- queries

    def _read(self, sql: str, params: list | tuple = ()):
        if not self.frames:
            cur = self.conn.execute(sql, list(params))
            cols = [d[0] for d in cur.description]
            return Rows(cols, [dict(zip(cols, r)) for r in cur])
        import pandas as pd

        return pd.read_sql_query(sql, self.conn, params=list(params))

    def _empty(self, columns: list[str]):
        if not self.frames:
            return Rows(columns, [])
        import pandas as pd

        return pd.DataFrame(columns=columns)

    @staticmethod
    def _speech_filters(locality: str | None, since: str | None, until: str | None,
                        alias: str = "s") -> tuple[list[str], list]:
        conds, params = [], []
        if locality:
            conds.append(f"{alias}.locality = ?")
            params.append(locality.strip())
        for value, upper in ((since, False), (until, True)):
            b = _bound(value, upper)
            if b:
                col, v = b
                conds.append(f"{alias}.{col} {'<=' if upper else '>='} ?")
                params.append(v)
        return conds, params

    def tasks(self, unit: str | None = None, role: str | None = None, locality: str | None = None,
              since: str | None = None, until: str | None = None, limit: int | None = None):
        """Tasks, optionally of one unit (alias aware) in one role, place and period range."""
        return self._read(*self.tasks_sql(unit, role, locality, since, until, limit))

    def tasks_sql(self, unit: str | None = None, role: str | None = None, locality: str | None = None,
                  since: str | None = None, until: str | None = None, limit: int | None = None) -> tuple[str, list]:
        """The SQL and bound parameters behind `tasks()` (for EXPLAIN QUERY PLAN)."""
        conds, params = self._speech_filters(locality, since, until)
        if unit and (locality or limit):
            by_speech = self._tasks_by_speech_sql(unit, role, conds, params, limit)
            if by_speech:
                return by_speech
        if unit:
            sub, uparams = self._unit_hits(unit, role)
            head = (f"WITH m AS ({sub}), hit AS (SELECT task_id, group_concat(DISTINCT role) AS matched_role FROM m "
                    f"GROUP BY task_id)")
            join = "FROM hit JOIN tasks t ON t.id = hit.task_id "
            params = uparams + params
            role_col = "hit.matched_role"
        elif role:
            head = ("WITH hit AS (SELECT task_id, group_concat(DISTINCT role) AS matched_role FROM task_units "
                    "WHERE role = ? GROUP BY task_id)")
            join = "FROM hit JOIN tasks t ON t.id = hit.task_id "
            params = [role] + params
            role_col = "hit.matched_role"
        else:
            head, join, role_col = "", "FROM tasks t ", "NULL"
        # sort and cut on narrow rows first; fetch sentences and texts only for the rows kept
        page = ("page AS (SELECT t.id AS task_id, " + role_col + " AS matched_role, s.meeting_date AS md, s.doc AS dn, "
                "t.start AS st " + join + "JOIN speeches s ON s.id = t.speech_id "
                + ("WHERE " + " AND ".join(conds) + " " if conds else "")
                + "ORDER BY md, dn, st" + (" LIMIT ?" if limit else "") + ") ")
        if limit:
            params.append(int(limit))
        head = (head + ", " if head else "WITH ") + page
        sql = (head + "SELECT s.doc, s.title, s.locality, s.period, s.meeting_date, t.section, t.owners AS units, "
               "page.matched_role AS role, t.action, t.deadline, t.addressee, t.persons, se.text AS sentence, t.evidence, "
               "t.speech_id, t.id AS task_id, t.start, t.\"end\" "
               "FROM page JOIN tasks t ON t.id = page.task_id JOIN speeches s ON s.id = t.speech_id "
               "LEFT JOIN sentences se ON se.id = t.sentence_id ORDER BY page.md, page.dn, page.st")
        return sql, params

    def _indicator_clause(self, indicator: str, alias: str) -> tuple[str, list]:
        """Records of an indicator: its lexicon key (any alias), its folded name, or a stored
        name containing the text. Both tests are index lookups (indicator_key, indicator_fold):
        names containing the text are found among the distinct names, not in every record."""
        text = indicator.strip()
        cands = {text, fold_indicator(text)} - {""}
        keys = sorted({r[0] for r in self.conn.execute(
            f"SELECT DISTINCT indicator_key FROM indicator_aliases WHERE alias IN ({','.join('?' * len(cands))})",
            sorted(cands))})
        folds = sorted(cands | {r[0] for r in self.conn.execute(
            "SELECT DISTINCT name_fold FROM indicator_names WHERE instr(name, ?) > 0", (text,))})
        conds, params = [f"{alias}.indicator_fold IN ({','.join('?' * len(folds))})"], list(folds)
        if keys:
            conds.append(f"{alias}.indicator_key IN ({','.join('?' * len(keys))})")
            params += keys
        return "(" + " OR ".join(conds) + ")", params

    def targets(self, indicator: str | None = None, unit: str | None = None, locality: str | None = None,
                since: str | None = None, until: str | None = None):
        """Quantified targets, optionally of one indicator (alias aware) and one responsible unit."""
        conds, params = [], []
        if indicator:
            w, p = self._indicator_clause(indicator, "g")
            conds.append(w)
            params += p
        if unit:
            res = self.resolve_unit(unit)
            names = sorted(set(res["folds"]) | set(res["names"]))
            sub = ["instr(g.owners, ?) > 0" for _ in names]
            if sub:
                conds.append("(" + " OR ".join(sub) + ")")
                params += names
        sc, sp = self._speech_filters(locality, since, until)
        conds += sc
        params += sp
        sql = ("SELECT s.doc, s.title, s.locality, s.period, s.meeting_date, g.section, g.indicator, g.indicator_key, "
               "g.comparator, g.value, g.masked, g.unit, g.deadline, g.modality, g.owners, se.text AS sentence, "
               "g.evidence, g.speech_id, g.id AS target_id, g.start, g.\"end\" "
               "FROM targets g JOIN speeches s ON s.id = g.speech_id LEFT JOIN sentences se ON se.id = g.sentence_id "
               + ("WHERE " + " AND ".join(conds) + " " if conds else "")
               + "ORDER BY s.meeting_date, s.doc, g.start")
        return self._read(sql, params)

    def metrics(self, indicator: str | None = None, locality: str | None = None,
                since: str | None = None, until: str | None = None):
        """Reported values as a time series across speeches (ordered by meeting date)."""
        conds, params = [], []
        if indicator:
            w, p = self._indicator_clause(indicator, "m")
            conds.append(w)
            params += p
        sc, sp = self._speech_filters(locality, since, until)
        conds += sc
        params += sp
        sql = ("SELECT s.meeting_date, s.period AS speech_period, s.locality, s.doc, m.indicator, m.indicator_key, "
               "m.period, m.measure, m.value, m.masked, m.unit, m.direction, m.rank_scope, m.rank_position, "
               "m.rank_from_bottom, m.rank_tier, m.compare_to, m.evidence, se.text AS sentence, m.speech_id, "
               "m.id AS metric_id, m.start, m.\"end\" "
               "FROM metrics m JOIN speeches s ON s.id = m.speech_id LEFT JOIN sentences se ON se.id = m.sentence_id "
               + ("WHERE " + " AND ".join(conds) + " " if conds else "")
               + "ORDER BY s.meeting_date IS NULL, s.meeting_date, s.doc, m.start")
        return self._read(sql, params)

    def search(self, text: str, limit: int = 200, locality: str | None = None):
        """Sentences containing every whitespace-separated term of `text`."""
        terms = [t for t in regex.split(r"\s+", (text or "").strip()) if t]
        cols = ("SELECT s.doc, s.title, s.locality, s.period, se.section, se.text AS sentence, se.speech_id, "
                "se.id AS sentence_id, se.start, se.\"end\" ")
        if not terms:
            return self._empty(["doc", "title", "locality", "period", "section", "sentence",
                                "speech_id", "sentence_id", "start", "end"])
        check = " AND ".join("instr(se.text, ?) > 0" for _ in terms)
        extra, eparams = "", []
        if locality:
            extra, eparams = " AND s.locality = ?", [locality]
        exprs = [fts_query(t) for t in terms]
        df = None
        if all(exprs):
            match = " AND ".join(f"({e})" for e in exprs)
            probe = self.conn.execute(
                "SELECT count(*) FROM (SELECT se.id FROM sentences_fts f JOIN sentences se ON se.id = f.rowid "
                f"WHERE sentences_fts MATCH ? AND {check} LIMIT ?)", (match, *terms, SEARCH_WALK_MIN)).fetchone()[0]
            if probe >= SEARCH_WALK_MIN:
                # a common term (考核 is in one sentence of ten): sorting every hit to keep the first
                # `limit` costs more than reading speeches in meeting order until `limit` are found
                sql = (cols + "FROM speeches s CROSS JOIN sentences se ON se.speech_id = s.id "
                       f"WHERE {check}{extra} ORDER BY s.meeting_date, s.doc, se.start LIMIT ?")
                return self._read(sql, [*terms, *eparams, int(limit)])
            sql = (cols + "FROM sentences_fts f JOIN sentences se ON se.id = f.rowid JOIN speeches s ON s.id = se.speech_id "
                   f"WHERE sentences_fts MATCH ? AND {check}{extra} ORDER BY s.meeting_date, s.doc, se.start LIMIT ?")
            df = self._read(sql, [match, *terms, *eparams, int(limit)])
        if df is None:  # a 1-character term: no index entry, scan the text
            sql = (cols + f"FROM sentences se JOIN speeches s ON s.id = se.speech_id WHERE {check}{extra} "
                   "ORDER BY s.meeting_date, s.doc, se.start LIMIT ?")
            df = self._read(sql, [*terms, *eparams, int(limit)])
        return df

    def units(self, include_unlisted: bool = True):
        """Known units with their aliases and task counts; unlisted surface names after them."""
        known = self._read(
            "SELECT u.key, u.name, u.type, "
            "(SELECT group_concat(alias, '、') FROM unit_aliases a WHERE a.unit_key = u.key AND a.kind != 'fold') AS aliases, "
            "(SELECT count(DISTINCT tu.task_id) FROM task_units tu WHERE tu.unit_key = u.key OR tu.name_fold IN "
            "  (SELECT alias FROM unit_aliases a2 WHERE a2.unit_key = u.key)) AS tasks "
            "FROM units u ORDER BY tasks DESC, u.key")
        if not include_unlisted:
            return known
        other = self._read(
            "SELECT NULL AS key, tu.name_fold AS name, 'unlisted' AS type, group_concat(DISTINCT tu.name) AS aliases, "
            "count(DISTINCT tu.task_id) AS tasks FROM task_units tu "
            "WHERE tu.unit_key IS NULL AND tu.name_fold NOT IN (SELECT alias FROM unit_aliases) "
            "GROUP BY tu.name_fold ORDER BY tasks DESC, tu.name_fold")
        if not self.frames:
            return Rows(known.columns, known.records + other.records)
        import pandas as pd

        parts = [d for d in (known, other) if not d.empty]
        return pd.concat(parts, ignore_index=True) if parts else known

    def speeches(self, locality: str | None = None, since: str | None = None, until: str | None = None):
        conds, params = self._speech_filters(locality, since, until)
        return self._read(
            "SELECT s.id, s.doc, s.title, s.locality, s.level, s.period, s.meeting_date, s.speaker_role, s.chars, "
            "(SELECT count(*) FROM metrics m WHERE m.speech_id = s.id) AS metrics, "
            "(SELECT count(*) FROM targets g WHERE g.speech_id = s.id) AS targets, "
            "(SELECT count(*) FROM tasks t WHERE t.speech_id = s.id) AS tasks, s.path, s.ingested_at "
            "FROM speeches s " + ("WHERE " + " AND ".join(conds) + " " if conds else "")
            + "ORDER BY s.meeting_date, s.doc", params)

    # -- diff

    def commitments(self, speech_id: str) -> dict[str, list[dict]]:
        """The targets and tasks of one stored speech in diff.py's form."""
        from . import diff as diff_mod

        tg = [dict(zip(("indicator", "indicator_key", "comparator", "value", "masked", "unit", "deadline",
                        "deadline_from", "deadline_to", "modality", "units", "evidence", "sentence", "section", "start"), r))
              for r in self.conn.execute(
                  "SELECT g.indicator, g.indicator_key, g.comparator, g.value, g.masked, g.unit, g.deadline, "
                  "g.deadline_from, g.deadline_to, g.modality, g.units, g.evidence, se.text, g.section, g.start "
                  "FROM targets g LEFT JOIN sentences se ON se.id = g.sentence_id WHERE g.speech_id = ? ORDER BY g.start",
                  (speech_id,))]
        tk = [dict(zip(("id", "action", "persons", "deadline", "deadline_from", "deadline_to", "units", "evidence",
                        "sentence", "section", "start"), r))
              for r in self.conn.execute(
                  "SELECT t.id, t.action, t.persons, t.deadline, t.deadline_from, t.deadline_to, t.units, t.evidence, "
                  "se.text, t.section, t.start FROM tasks t LEFT JOIN sentences se ON se.id = t.sentence_id "
                  "WHERE t.speech_id = ? ORDER BY t.start", (speech_id,))]
        return {"targets": [diff_mod.target_item(r) for r in tg], "tasks": [diff_mod.task_item(r) for r in tk]}

    def diff_changes(self, a: str, b: str):
        """(speech a, speech b, list of diff.Change) for two speech references."""
        from . import diff as diff_mod

        sa, sb = self.resolve_speech(a), self.resolve_speech(b)
        return sa, sb, diff_mod.compare(self.commitments(sa["id"]), self.commitments(sb["id"]))

    def diff(self, a: str, b: str):
        from . import diff as diff_mod

        _, _, changes = self.diff_changes(a, b)
        return diff_mod.to_dataframe(changes)

    def speech_for_period(self, locality: str, period: str) -> dict[str, Any]:
        b = _bound(period, False)
        if not b or b[0] != "period":
            raise ValueError(f"not a quarter: {period!r} (use 2023Q2)")
        rows = self.conn.execute(
            "SELECT id, doc, title, locality, period, meeting_date, path FROM speeches WHERE locality = ? AND period = ? "
            "ORDER BY meeting_date DESC, ingested_at DESC", (locality.strip(), b[1])).fetchall()
        if not rows:
            known = [r[0] for r in self.conn.execute(
                "SELECT DISTINCT period FROM speeches WHERE locality = ? AND period IS NOT NULL ORDER BY period",
                (locality.strip(),))]
            raise SpeechNotFound(f"no stored speech of {locality} for {b[1]}"
                                 + (f" (stored periods: {', '.join(known)})" if known else " (no speech of that locality)"))
        if len(rows) > 1:
            raise AmbiguousSpeech(f"{locality} {b[1]}", [dict(zip(("id", "doc", "title", "locality", "period",
                                                                    "meeting_date", "path"), r)) for r in rows])
        return dict(zip(("id", "doc", "title", "locality", "period", "meeting_date", "path"), rows[0]))

    def diff_period_changes(self, locality: str, from_period: str, to_period: str):
        from . import diff as diff_mod

        sa, sb = self.speech_for_period(locality, from_period), self.speech_for_period(locality, to_period)
        return sa, sb, diff_mod.compare(self.commitments(sa["id"]), self.commitments(sb["id"]))

    def diff_period(self, locality: str, from_period: str, to_period: str):
        from . import diff as diff_mod

        _, _, changes = self.diff_period_changes(locality, from_period, to_period)
        return diff_mod.to_dataframe(changes)

    # -- maintenance

    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; one of: {', '.join(TABLES)}")
        cur = self.conn.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        for r in cur:
            yield dict(zip(names, r))

    def doctor(self) -> dict[str, Any]:
        fts = self.conn.execute("SELECT count(*) FROM sentences_fts").fetchone()[0]
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "integrity_check": "; ".join(r[0] for r in self.conn.execute("PRAGMA integrity_check")),
            "foreign_key_violations": len(self.conn.execute("PRAGMA foreign_key_check").fetchall()),
            "journal_mode": self.conn.execute("PRAGMA journal_mode").fetchone()[0],
            "fts_rows": fts,
            **{f"rows.{k}": v for k, v in self.counts().items()},
        }

    def explain(self, sql: str, params: list | tuple = ()) -> list[str]:
        return [r[3] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, list(params))]


def _statements(script: str) -> list[str]:
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        if sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf).strip())
            buf = []
    return [s for s in out if s]


def _contentless(c: sqlite3.Connection) -> bool:
    """Whether this store's index keeps no copy of its tokens (stores made since schema 4)."""
    row = c.execute("SELECT sql FROM sqlite_master WHERE name = 'sentences_fts'").fetchone()
    return bool(row) and "content=''" in regex.sub(r"\s+", "", row[0])


def _rebuild_fts(c: sqlite3.Connection) -> None:
    """Index every stored sentence afresh with the current token format."""
    c.execute("DROP TABLE IF EXISTS sentences_fts")
    for stmt in _statements(DDL):
        if "sentences_fts" in stmt:
            c.execute(stmt)
    c.executemany("INSERT INTO sentences_fts (rowid, tokens) VALUES (?, ?)",
                  ((i, fts_tokens(t)) for i, t in c.execute("SELECT id, text FROM sentences")))


def _columns(rows: list[dict]) -> list[str]:
    """The stored columns of plain rows (keys starting with _ are the writer's own)."""
    return [k for k in rows[0] if not k.startswith("_")]


def _tuples(rows: list[dict], cols: list[str]) -> list[tuple]:
    get = operator.itemgetter(*cols)
    try:
        return [get(r) for r in rows] if len(cols) > 1 else [(get(r),) for r in rows]
    except KeyError:  # rows from an older shard may lack a newer column
        return [tuple(r.get(k) for k in cols) for r in rows]


def _insert_many(c: sqlite3.Connection, table: str, cols: list[str], values: list[tuple]) -> None:
    if not values:
        return
    sql = f"INSERT INTO {table} ({', '.join(chr(34) + k + chr(34) for k in cols)}) VALUES ({', '.join('?' * len(cols))})"
    c.executemany(sql, values)


def _warm_worker() -> None:
    """Worker initializer: load the rules once per process (lexicons, OpenCC, the compiled
    patterns), then freeze what is loaded so the garbage collector stops walking it: a worker
    makes many short-lived objects, and every full collection would visit the lexicons again."""
    import gc

    try:
        from . import metrics as _m
        from . import normalize as _n
        from . import tasks as _t

        lexicon.units()
        lexicon.indicators()
        _n._opencc()
        _m.warm()
        _t.warm()
    except Exception:  # a broken rule file is reported per speech, not here
        pass
    gc.freeze()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown


def _pool_context(mp):
    """fork while this process is single-threaded (workers start warm and cheap); otherwise a fork server.

    OpenCC's converter runs on a Rust thread pool: a child forked after the parent has converted text
    inherits the pool's state but not its threads, and its first conversion waits forever.
    """
    if sys.platform.startswith("linux") and _threads() == 1:
        return mp.get_context("fork")
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["pipeline.store"])
        return ctx
    return mp.get_context("spawn")


def _run(todo: list[tuple[Path, str]], workers: int) -> Iterator[tuple[Path, Any]]:
    """(file, rows or the exception) for each file, in order (workers > 1: in processes).

    At most 4 files per worker are in flight, so memory stays bounded whatever the batch.
    """
    if workers <= 1 or len(todo) < 2:
        for f, _ in todo:
            try:
                yield f, _extract_rows(str(f))
            except Exception as err:  # any bug in a stage must not stop the batch
                yield f, err
        return
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = _pool_context(mp)
    n = min(workers, len(todo))
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_warm_worker) as pool:
        window: deque = deque()
        it = iter(todo)

        def fill() -> None:
            while len(window) < 4 * n:
                nxt = next(it, None)
                if nxt is None:
                    return
                try:
                    window.append((nxt[0], pool.submit(_extract_rows_in_worker, str(nxt[0]))))
                except Exception as err:  # the pool broke: every file left is reported, none dropped
                    window.append((nxt[0], err))

        fill()
        while window:
            f, fut = window.popleft()
            try:
                res = fut.result() if not isinstance(fut, BaseException) else fut
            except BrokenProcessPool:
                res = RuntimeError("a worker process died (out of memory or killed) while this file was extracted")
            except Exception as err:
                res = err
            if isinstance(res, BrokenProcessPool):
                res = RuntimeError("a worker process died (out of memory or killed) while this file was extracted")
            fill()
            yield f, res


def _progress(n: int, wanted: bool):
    if not wanted or n < 10 or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=True)
