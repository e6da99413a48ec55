"""The SQLite file: schema, migrations, connections, the write lock and the full-text tokens.

`connect(path, mode)` is the one way a speechminer database is opened:

- `mode="read"` (query commands, the web explorer): the file must exist and is
  opened read-only (SQLite's `mode=ro`), so nothing in it can change; a file that
  is not a speechminer database, or whose schema is older than this code, is
  refused before any query runs.
- `mode="write"` (ingest, merge, the `Store` API): a new file is created, a
  speechminer file is migrated; any other SQLite file (a browser's history, a
  to-do app) is refused before anything is written, WAL mode included.

A speechminer database carries `PRAGMA application_id = APPLICATION_ID`; stores
made before the id existed are recognised by their tables and get the id at
their next migration.

Every connection gets the folding functions of fold.py as SQL functions
(`fold_unit(name)`, `fold_indicator(name)`), so SQL written anywhere (the web
explorer's canned queries) folds names exactly as the Python code does.

Full-text search: SQLite's FTS5 default tokenizer reads a run of Han
characters as one token, so `考核` would never match. Sentences are therefore
indexed as overlapping character pairs of each Han run (考核评价 → 考核 核评 评价;
numbers and Latin words whole), separated by spaces, in a contentless table
without positions. A query asks for every pair of the term, and the sentences
found are kept when their text holds the term itself: any substring of two or
more characters is found, whatever a word segmenter would have made of it, and
indexing costs a few string operations instead of a jieba pass. A 1-character
query falls back to a substring scan.
"""
from __future__ import annotations

import hashlib
import operator
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import regex

from .fold import fold_indicator, fold_unit

SCHEMA_VERSION = 5  # 2: task_units.key_source (keys resolved by the store); 3: speeches.extractor;
                    # 4: indicator_names (indicator lookups by index, not by scanning every record);
                    # 5: metrics.period_start/period_end, targets.measure/direction (resolve.py)
# "SPMN": written in the file header of every speechminer database (PRAGMA application_id)
APPLICATION_ID = 0x53504D4E
# the tables by which a store made before APPLICATION_ID is recognised
LEGACY_TABLES = frozenset({"schema_version", "store_meta", "speeches", "task_units", "sentences_fts"})
DEFAULT_DB = "outputs/speeches.db"
LOCK_TIMEOUT = 300.0   # how long a writer waits for the write lock before giving up (seconds)
LOCK_STEP = 1.0        # … trying again after each step of this length
LOCK_REPORT_EVERY = 15.0  # … and telling the caller it still waits this often

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
  compare_to TEXT, evidence TEXT,
  period_start TEXT, period_end TEXT  -- the period as ISO dates (resolve.py); NULL when the words fix none
);
CREATE INDEX IF NOT EXISTS metrics_speech ON metrics(speech_id);
CREATE INDEX IF NOT EXISTS metrics_speech_period ON metrics(speech_id, period_end);  -- results of a period (track)
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
  modality TEXT, units TEXT, owners TEXT, evidence TEXT,
  measure TEXT, direction TEXT    -- what the goal measures, as a metric's measure (resolve.py)
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


# ---------------------------------------------------------------- errors


class NotSpeechminerDatabase(Exception):
    """An existing file that is not a speechminer database (or not SQLite at all): left untouched."""

    def __init__(self, path: str, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


class SchemaOutOfDate(Exception):
    """A speechminer database of an older schema, opened read-only (only a writer migrates)."""


class DatabaseLocked(Exception):
    """A writer gave up waiting for the database's write lock."""

    def __init__(self, path: str, waited: float, holder: str | None):
        self.path, self.waited, self.holder = path, waited, holder
        who = holder or "another connection (an ingest, or a program with an open write transaction)"
        super().__init__(f"{path}: gave up after {waited:.0f} s waiting for the database's write lock, held by {who}")


# ---------------------------------------------------------------- query arguments and results

MAX_QUERY_TEXT = 200  # characters of a unit, indicator, locality or search text (SQLite's LIKE stops at 50,000 bytes)
MAX_SEARCH_TERMS = 32  # words in one search (each is a few MATCH and instr() terms; SQLite's tree stops at 1,000)
MAX_LIMIT = 2**62  # a larger --limit is no limit at all (SQLite's integers stop at 2**63 - 1)


def query_text(name: str, value: str | None) -> str | None:
    """A user's text argument, stripped; None stays None (no filter). Raises ValueError for a text
    that is empty once stripped (it would match everything) or longer than MAX_QUERY_TEXT."""
    if value is None:
        return None
    text = str(value).strip()
    check_encodable(name, text)
    if not text:
        raise ValueError(f"{name} is empty (give a name, or leave the option out)")
    if len(text) > MAX_QUERY_TEXT:
        raise ValueError(f"{name} is too long ({len(text)} characters; at most {MAX_QUERY_TEXT})")
    return text


def check_encodable(name: str, text: str) -> None:
    """Refuse text that SQLite cannot take: lone surrogates, which is how Python hands over bytes of a
    command-line argument that are not UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not valid text (bytes that are not UTF-8?)") from None


def query_limit(limit: int | None) -> int | None:
    """A row limit: None is every row; below 1 is an error; above MAX_LIMIT is MAX_LIMIT."""
    if limit is None:
        return None
    try:
        n = int(limit)
    except (TypeError, ValueError):
        raise ValueError(f"limit must be a whole number, not {limit!r}")
    if n < 1:
        raise ValueError(f"limit must be 1 or more, not {n} (leave it out for every row)")
    return min(n, MAX_LIMIT)


class Rows:
    """A query result without pandas (what `Store(frames=False)` returns): columns and dict rows.

    Enough of the DataFrame surface for the CLI: `columns`, `empty`, `len()`,
    `to_dict("records")`; `to_pandas()` for the rest.
    """

    def __init__(self, columns: list[str], records: list[dict]):
        self.columns, self.records = list(columns), records

    @property
    def empty(self) -> bool:
        return not self.records

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def to_dict(self, orient: str = "records") -> list[dict]:
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


# ---------------------------------------------------------------- connections


def register_functions(conn: sqlite3.Connection) -> None:
    """The folding of fold.py as SQL functions (deterministic: usable in indexes and views)."""
    conn.create_function("fold_unit", 1, fold_unit, deterministic=True)
    conn.create_function("fold_indicator", 1, fold_indicator, deterministic=True)
    from . import track  # (the comparison of a target with a result: sm_track_status …)

    track.register_functions(conn)


def kind(conn: sqlite3.Connection, path: str) -> str:
    """"speechminer", "empty" (a new or empty file) or "other"; a file that is not SQLite raises."""
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as err:
        raise NotSpeechminerDatabase(path, f"not an SQLite database ({err})") from None
    if app == APPLICATION_ID:
        return "speechminer"
    if app:
        return "other"
    if not names:
        return "empty"
    return "speechminer" if LEGACY_TABLES <= names else "other"


def _foreign(path: str) -> NotSpeechminerDatabase:
    return NotSpeechminerDatabase(path, "not a speechminer database (another program's SQLite file?); "
                                        "it was left unchanged: pass another --db")


def schema_version(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    except sqlite3.OperationalError:
        return 0
    return row[0] if row and row[0] is not None else 0


def connect(path: str | os.PathLike, mode: str = "write", *, timeout: float = 30.0,
            lock_timeout: float = LOCK_TIMEOUT, on_wait: Callable[[float, str | None], None] | None = None
            ) -> sqlite3.Connection:
    """Open a speechminer database (see the module's docstring for what each mode allows)."""
    path = str(path)
    if mode not in ("read", "write"):
        raise ValueError(f"mode is 'read' or 'write', not {mode!r}")
    memory = path == ":memory:"
    if mode == "read":
        if memory:
            raise ValueError("an in-memory database cannot be opened read-only")
        if not Path(path).is_file():
            raise FileNotFoundError(f"no database at {path} (run `speechminer ingest` first)")
        conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=timeout,
                               check_same_thread=False)
    else:
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
    try:
        what = kind(conn, path)
        if what == "other" or (what == "empty" and mode == "read"):
            raise _foreign(path) if what == "other" else NotSpeechminerDatabase(
                path, "an empty database, not a speechminer one (run `speechminer ingest` first)")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MB of pages: joins over many speeches
        register_functions(conn)
        if mode == "read":
            version = schema_version(conn)
            if version > SCHEMA_VERSION:
                raise SchemaOutOfDate(f"{path} has schema version {version}, newer than this speechminer's "
                                      f"({SCHEMA_VERSION}): upgrade speechminer")
            if version < SCHEMA_VERSION:
                raise SchemaOutOfDate(f"{path} has schema version {version}, older than this speechminer's "
                                      f"({SCHEMA_VERSION}): run `speechminer ingest PATHS… --db {path}` once to upgrade it")
            return conn
        if not memory:
            _wal(conn, path, lock_timeout, on_wait)
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn, path, lock_timeout=lock_timeout, on_wait=on_wait)
        return conn
    except BaseException:
        conn.close()
        raise


def _busy(err: sqlite3.OperationalError) -> bool:
    text = str(err)
    return "locked" in text or "busy" in text


def _wal(conn: sqlite3.Connection, path: str, lock_timeout: float, on_wait) -> None:
    """Put the database in WAL mode, waiting out another process doing the same or holding the lock.

    Switching a new file to WAL takes an exclusive lock, and SQLite answers a
    second connection racing for it with SQLITE_BUSY at once, without calling
    the busy handler; two ingests started together into a new database hit
    this. Retry until the lock timeout.
    """
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    start = time.monotonic()
    delay, told = 0.005, None
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if not _busy(err):
                raise
            waited = time.monotonic() - start
            if waited >= lock_timeout:
                raise DatabaseLocked(path, waited, lock_holder(path)) from None
            if on_wait and waited >= LOCK_STEP and (told is None or waited - told >= LOCK_REPORT_EVERY):
                told = waited
                on_wait(waited, lock_holder(path))
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def begin_write(conn: sqlite3.Connection, path: str, lock_timeout: float = LOCK_TIMEOUT,
                on_wait: Callable[[float, str | None], None] | None = None) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock up to `lock_timeout` seconds.

    It tries in steps of LOCK_STEP; while it waits, `on_wait(seconds waited, holder)` is
    called at once and then every LOCK_REPORT_EVERY seconds, so a user sees why nothing
    moves. After `lock_timeout` it raises DatabaseLocked; nothing of this transaction
    was written, and every transaction committed before it stays.
    """
    if conn.in_transaction:
        conn.commit()
    start = time.monotonic()
    told: float | None = None
    busy = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        while True:
            left = lock_timeout - (time.monotonic() - start)
            conn.execute(f"PRAGMA busy_timeout = {int(max(0.0, min(LOCK_STEP, left)) * 1000)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as err:
                if not _busy(err):
                    raise
            waited = time.monotonic() - start
            if waited >= lock_timeout:
                raise DatabaseLocked(path, waited, lock_holder(path))
            if on_wait and (told is None or waited - told >= LOCK_REPORT_EVERY):
                told = waited
                on_wait(waited, lock_holder(path))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy)}")


def lock_holder(path: str) -> str | None:
    """Which process holds the WAL write lock of the database at `path`, as "process PID (NAME)".

    Linux only, best effort: SQLite takes its WAL write lock as a POSIX lock on byte 120 of
    the `-shm` file, and /proc/locks lists such locks with their process and inode.
    """
    try:
        inode = os.stat(path + "-shm").st_ino
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a process waiting for a lock, not holding one
            continue
        try:
            kind_, mode_, pid, dev, start = parts[1], parts[3], parts[4], parts[5], parts[6]
        except IndexError:
            continue
        if kind_ != "POSIX" or mode_ != "WRITE" or start != "120" or dev.rsplit(":", 1)[-1] != str(inode):
            continue
        if int(pid) == os.getpid():
            return f"another connection of this process ({pid})"
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
                name = fh.read().strip()
        except OSError:
            name = "?"
        return f"process {pid} ({name})"
    return None


# ---------------------------------------------------------------- migrations


def statements(script: str) -> list[str]:
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        if sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf).strip())
            buf = []
    return [s for s in out if s]


def contentless(c: sqlite3.Connection) -> bool:
    """Whether this store's index keeps no copy of its tokens (stores made since schema 4)."""
    row = c.execute("SELECT sql FROM sqlite_master WHERE name = 'sentences_fts'").fetchone()
    return bool(row) and "content=''" in regex.sub(r"\s+", "", row[0])


def rebuild_fts(c: sqlite3.Connection) -> None:
    """Index every stored sentence afresh with the current token format."""
    c.execute("DROP TABLE IF EXISTS sentences_fts")
    for stmt in statements(DDL):
        if "sentences_fts" in stmt:
            c.execute(stmt)
    c.executemany("INSERT INTO sentences_fts (rowid, tokens) VALUES (?, ?)",
                  ((i, fts_tokens(t)) for i, t in c.execute("SELECT id, text FROM sentences")))


def migrate(conn: sqlite3.Connection, path: str, lock_timeout: float = LOCK_TIMEOUT, on_wait=None) -> None:
    """Create the schema in a new file, or bring a speechminer store up to SCHEMA_VERSION."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaOutOfDate(f"{path} has schema version {current}, newer than this speechminer ({SCHEMA_VERSION})")
    ddl_hash = hashlib.sha256((DDL + INDEX_FORMAT).encode()).hexdigest()[:16]
    if current == SCHEMA_VERSION and conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        done = conn.execute("SELECT value FROM store_meta WHERE key = 'ddl'").fetchone()
        if done and done[0] == ddl_hash:  # up to date: no write lock (readers open while an ingest writes)
            return
    begin_write(conn, path, lock_timeout, on_wait)
    try:
        c = conn
        if kind(c, path) == "other":  # another program made the file meanwhile
            raise _foreign(path)
        c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for table, added in (("metrics", ("period_start", "period_end")), ("targets", ("measure", "direction"))):
            have = {r[1] for r in c.execute(f"PRAGMA table_info({table})")}
            for col in added:  # version 4 → 5 (before the DDL, whose indexes name them): NULL until re-extracted
                if have and col not in have:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {col} TEXT")
        for stmt in statements(DDL):  # every statement is IF NOT EXISTS: cheap, and adds new indexes
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
        if contentless(c) and fmt and fmt[0] != INDEX_FORMAT:
            rebuild_fts(c)  # deletes recompute tokens: they must be of the format stored
        c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('fts_format', ?)", (INDEX_FORMAT,))
        c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('ddl', ?)", (ddl_hash,))
        if current < SCHEMA_VERSION:
            c.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                      (SCHEMA_VERSION, datetime.now(timezone.utc).isoformat(timespec="seconds")))
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
