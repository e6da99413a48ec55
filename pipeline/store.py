"""Stage 5, store: the extracted facts of many speeches in one SQLite file.

`Store(path)` opens a database for writing (creating or migrating it; see db.py),
`Store(path, readonly=True)` for queries only. `ingest(paths)` runs the pipeline
on files (ingest.py) and the writer here stores one speech per savepoint, many
per transaction; the query methods return pandas DataFrames (or `Rows`). Every
user value reaches SQL as a bound parameter; the only names ever formatted into
SQL are table names checked against `TABLES`.
"""
from __future__ import annotations

import hashlib
import json
import operator
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import regex

from . import db as db_mod
from . import diff as diff_mod
from . import ingest as ingest_mod
from . import lexicon
from . import rows as rows_mod
from . import track as track_mod
from .db import (DEFAULT_DB, SCHEMA_VERSION, TABLES, DatabaseLocked, NotSpeechminerDatabase,
                 Rows, SchemaOutOfDate, fts_query, fts_tokens, query_limit, query_text)
from .fold import fold_indicator, fold_unit, like_escape
from .ingest import ExtractFailed, IngestSummary, default_workers
from .normalize import InputError
from .rows import extractor_version, rows_from_result

# the store's names, and those it re-exports for code written before the split (pipeline.store.X)
__all__ = ["Store", "Rows", "IngestSummary", "SpeechNotFound", "AmbiguousSpeech", "DatabaseLocked",
           "NotSpeechminerDatabase", "SchemaOutOfDate", "ExtractFailed", "DEFAULT_DB", "SCHEMA_VERSION", "TABLES",
           "default_workers", "extractor_version", "rows_from_result", "fts_tokens", "fts_query", "fold_unit",
           "fold_indicator", "like_escape"]

BATCH_SPEECHES = 64    # the writer commits after this many speeches …
BATCH_SECONDS = 0.5    # … or this long, whichever comes first (each speech in its own savepoint)
BY_SPEECH_MIN_TASKS = 2000  # a unit with this many tasks or more is paged by walking speeches in order
SEARCH_WALK_MIN = 20000  # a search term in this many sentences or more: walk speeches in order instead
ROLES = ("lead", "responsible", "support")


def _set_lexicon_files(c: sqlite3.Connection, files: str | None) -> None:
    if files:
        c.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('lexicon_files', ?)", (files,))
    else:
        c.execute("DELETE FROM store_meta WHERE key = 'lexicon_files'")



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


def _tell_waiting(path: str) -> Callable[[float, str | None], None]:
    """The default `on_lock_wait`: one log line (a CLI passes its own that prints)."""
    import logging

    log = logging.getLogger("speechminer")

    def tell(waited: float, holder: str | None) -> None:
        log.warning("%s: waiting for the write lock (%.0f s so far), held by %s", path, waited,
                    holder or "another connection")

    return tell


class Store:
    """A SQLite database of ingested speeches and their records."""

    def __init__(self, path: str | os.PathLike = DEFAULT_DB, *, readonly: bool = False, timeout: float = 30.0,
                 frames: bool = True, lock_timeout: float = db_mod.LOCK_TIMEOUT,
                 on_lock_wait: Callable[[float, str | None], None] | None = None):
        """Open (`readonly=False`: create or migrate) the database at `path`.

        `readonly=True`: the file must exist and be a speechminer database of this schema; it is
        opened read-only and never written. Otherwise a new file is created and a speechminer
        one migrated; another program's database is refused untouched (NotSpeechminerDatabase).
        A writer waits up to `lock_timeout` seconds for the write lock held by another process,
        calling `on_lock_wait(seconds waited, holder)` meanwhile, then raises DatabaseLocked.
        `frames=False`: query methods return `Rows` instead of pandas DataFrames (no pandas import).
        """
        self.frames = frames
        self.path = str(path)
        self.readonly = readonly
        self.lock_timeout = lock_timeout
        self.on_lock_wait = on_lock_wait or _tell_waiting(self.path)
        self._db = None
        self._fts_rows: dict[str, list[tuple[int, str]]] | None = None  # see write_stream
        self._alias_keys: dict[str, str | None] = {}
        self.conn = db_mod.connect(self.path, "read" if readonly else "write", timeout=timeout,
                                   lock_timeout=lock_timeout, on_wait=self.on_lock_wait)
        self._fts_contentless = db_mod.contentless(self.conn)
        if not readonly:
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

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for the write lock (see db.begin_write)."""
        if self.readonly:
            raise PermissionError(f"{self.path} was opened read-only")
        db_mod.begin_write(self.conn, self.path, self.lock_timeout, self.on_lock_wait)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""
        self._begin()
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    @property
    def schema_version(self) -> int:
        return self.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]

    # -- lexicons

    def sync_lexicons(self, force: bool = False) -> bool:
        """Load rules/units.yaml and rules/indicators.yaml into their tables when they changed.

        Fast path: when the lexicon comes from the files (the loaders are the cached
        file readers) and the files' bytes hash as at the last sync, nothing is parsed.
        """
        files = rows_mod.lexicon_files_digest()
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
        committed. A pipe (`<(cat f)`) is read once and stored without a path. When the write lock
        stays taken past `lock_timeout`, DatabaseLocked is raised with `.summary`: what
        was stored before stays stored.
        """
        return ingest_mod.ingest(self, paths, progress=progress, workers=workers, force=force, on_event=on_event)

    def extractor_of(self, speech_id: str) -> str | None:
        """The extractor version a stored speech was made with (None: not stored, or made before versions)."""
        row = self.conn.execute("SELECT extractor FROM speeches WHERE id = ?", (speech_id,)).fetchone()
        return row[0] if row else None

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
                          ("failed", n[1], f"not stored, its batch was rolled back: {ingest_mod.failure_reason(err)}")
                          for n in pending]

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
                    pending.append(("failed", name, ingest_mod.failure_reason(result)))
                else:
                    if opened is None:  # a new batch: wait for the write lock (DatabaseLocked after lock_timeout)
                        self._begin()
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
                        pending.append(("failed", name, ingest_mod.failure_reason(err)))
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
        summary = IngestSummary()

        def items():
            for shard in shards:
                yield from ingest_mod.read_shard(shard)

        self.write_stream(items(), summary.note(on_event), force=force)
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
        if sp.get("extractor") == rows_mod.extractor_version():
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
        names = [r[0] for r in self.conn.execute(
            "SELECT name FROM unit_names WHERE name_fold IN (" + ph + ") OR instr(name, ?) > 0", [*cands, text])]
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
        db_mod.check_encodable("speech", ref)
        cols = "id, doc, title, locality, period, meeting_date, path"
        q = lambda sql, p: [dict(zip(("id", "doc", "title", "locality", "period", "meeting_date", "path"), r))  # noqa: E731
                            for r in self.conn.execute(f"SELECT {cols} FROM speeches WHERE {sql}", p)]
        tries: list[tuple[str, list]] = [("id = ?", [ref])]
        if regex.fullmatch(r"[0-9a-fA-F]{4,63}", ref):
            tries.append(("id >= ? AND id < ?", [ref.lower(), ref.lower() + "g"]))
        p = Path(ref)
        try:
            tries.append(("path = ?", [str(p.resolve())]))
            if p.is_file():
                tries.append(("id = ?", [ingest_mod.identify(p)[0]]))
        except (OSError, ValueError, InputError):  # not a file name this system accepts, or unreadable
            pass
        tries.append(("path = ?", [ref]))
        tries.append(("doc = ?", [ref]))
        tries.append(("doc = ?", [p.stem]))
        tries.append(("substr(doc, 1, ?) = ?", [len(ref), ref]))  # a prefix (no LIKE: no pattern limits)
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
        locality = query_text("locality", locality)
        if locality:
            conds.append(f"{alias}.locality = ?")
            params.append(locality)
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
        unit, limit = query_text("unit", unit), query_limit(limit)
        if role is not None and role not in ROLES:
            raise ValueError(f"role is one of {', '.join(ROLES)}, not {role!r}")
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

    def _filters(self, indicator: str | None, alias: str, locality: str | None, since: str | None,
                 until: str | None) -> tuple[list[str], list]:
        """The WHERE conditions (and their parameters) of an indicator (alias aware, on records
        `alias`) and of the speeches' place and dates."""
        indicator = query_text("indicator", indicator)
        conds, params = [], []
        if indicator:
            w, p = self._indicator_clause(indicator, alias)
            conds.append(w)
            params += p
        sc, sp = self._speech_filters(locality, since, until)
        return conds + sc, params + sp

    def targets(self, indicator: str | None = None, unit: str | None = None, locality: str | None = None,
                since: str | None = None, until: str | None = None):
        """Quantified targets, optionally of one indicator (alias aware) and one responsible unit."""
        unit = query_text("unit", unit)
        conds, params = self._filters(indicator, "g", locality, since, until)
        if unit:
            res = self.resolve_unit(unit)
            names = sorted(set(res["folds"]) | set(res["names"]))
            sub = ["instr(g.owners, ?) > 0" for _ in names]
            if sub:
                conds.append("(" + " OR ".join(sub) + ")")
                params += names
        sql = ("SELECT s.doc, s.title, s.locality, s.period, s.meeting_date, g.section, g.indicator, g.indicator_key, "
               "g.measure, g.direction, g.comparator, g.value, g.masked, g.unit, g.deadline, g.deadline_from AS period_start, "
               "g.deadline_to AS period_end, g.modality, g.owners, se.text AS sentence, "
               "g.evidence, g.speech_id, g.id AS target_id, g.start, g.\"end\" "
               "FROM targets g JOIN speeches s ON s.id = g.speech_id LEFT JOIN sentences se ON se.id = g.sentence_id "
               + ("WHERE " + " AND ".join(conds) + " " if conds else "")
               + "ORDER BY s.meeting_date, s.doc, g.start")
        return self._read(sql, params)

    def metrics(self, indicator: str | None = None, locality: str | None = None,
                since: str | None = None, until: str | None = None):
        """Reported values as a time series across speeches (ordered by meeting date)."""
        conds, params = self._filters(indicator, "m", locality, since, until)
        sql = ("SELECT s.meeting_date, s.period AS speech_period, s.locality, s.doc, m.indicator, m.indicator_key, "
               "m.period, m.period_start, m.period_end, m.measure, m.value, m.masked, m.unit, m.direction, "
               "m.rank_scope, m.rank_position, m.rank_from_bottom, m.rank_tier, m.compare_to, m.evidence, "
               "se.text AS sentence, m.speech_id, m.id AS metric_id, m.indicator_fold, m.start, m.\"end\" "
               "FROM metrics m JOIN speeches s ON s.id = m.speech_id LEFT JOIN sentences se ON se.id = m.sentence_id "
               + ("WHERE " + " AND ".join(conds) + " " if conds else "")
               + "ORDER BY m.period_end IS NULL, m.period_end, m.period_start, s.meeting_date IS NULL, "
                 "s.meeting_date, s.doc, m.start")
        return self._read(sql, params)

    def history(self, indicator: str | None = None, locality: str | None = None,
                since: str | None = None, until: str | None = None):
        """An indicator's history: one row per place, indicator, measure, period and figure, ordered by
        period, with every speech that reported it (`sources`). The same figure reported by two
        speeches is one row with both; two different figures for the same period are two rows, each
        marked `conflict`. Periods the words do not fix (no date) stay rows of their own speech."""
        recs = self.metrics(indicator=indicator, locality=locality, since=since, until=until)
        rows = recs.to_dict("records") if not isinstance(recs, Rows) else recs.records
        out = history_rows([{k: _plain(v) for k, v in r.items()} for r in rows])
        cols = HISTORY_COLUMNS
        if not self.frames:
            return Rows(cols, out)
        import pandas as pd

        return pd.DataFrame(out, columns=cols)

    def track(self, locality: str | None = None, indicator: str | None = None, since: str | None = None,
              until: str | None = None):
        """Each stored target beside the result a later speech of the same place reported for its
        indicator, measure and period, with a status (met, missed, unclear, no report yet; see track.py)."""
        conds, params = self._filters(indicator, "g", locality, since, until)
        return self._read(track_mod.track_sql(" AND ".join(conds) or "1"), params)

    def search(self, text: str, limit: int = 200, locality: str | None = None):
        """Sentences containing every whitespace-separated term of `text` (at most MAX_SEARCH_TERMS),
        the first `limit` in meeting order (None: every one)."""
        db_mod.check_encodable("search text", text or "")
        if len((text or "").strip()) > db_mod.MAX_QUERY_TEXT:
            raise ValueError(f"search text is too long ({len(text.strip())} characters; at most {db_mod.MAX_QUERY_TEXT})")
        terms = [t for t in regex.split(r"\s+", (text or "").strip()) if t]
        if len(terms) > db_mod.MAX_SEARCH_TERMS:
            raise ValueError(f"too many words to search for ({len(terms)}; at most {db_mod.MAX_SEARCH_TERMS})")
        n = query_limit(limit)
        limit = -1 if n is None else n  # SQLite: a negative LIMIT is none
        cols = ("SELECT s.doc, s.title, s.locality, s.period, se.section, se.text AS sentence, se.speech_id, "
                "se.id AS sentence_id, se.start, se.\"end\" ")
        if not terms:
            return self._empty(["doc", "title", "locality", "period", "section", "sentence",
                                "speech_id", "sentence_id", "start", "end"])
        check = " AND ".join("instr(se.text, ?) > 0" for _ in terms)
        extra, eparams = "", []
        locality = query_text("locality", locality)
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
        sa, sb = self.resolve_speech(a), self.resolve_speech(b)
        return sa, sb, diff_mod.compare(self.commitments(sa["id"]), self.commitments(sb["id"]))

    def diff(self, a: str, b: str):
        _, _, changes = self.diff_changes(a, b)
        return diff_mod.to_dataframe(changes)

    def speech_for_period(self, locality: str, period: str) -> dict[str, Any]:
        locality = query_text("locality", locality) or ""
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
        sa, sb = self.speech_for_period(locality, from_period), self.speech_for_period(locality, to_period)
        return sa, sb, diff_mod.compare(self.commitments(sa["id"]), self.commitments(sb["id"]))

    def diff_period(self, locality: str, from_period: str, to_period: str):
        _, _, changes = self.diff_period_changes(locality, from_period, to_period)
        return diff_mod.to_dataframe(changes)

    # -- maintenance

    def counts(self) -> dict[str, int]:
        return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def table_rows(self, table: str) -> tuple[list[str], Iterator[tuple]]:
        """(column names, an iterator of value tuples) for every row of one of TABLES."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; one of: {', '.join(TABLES)}")
        cur = self.conn.execute(f"SELECT * FROM {table}")
        return [d[0] for d in cur.description], iter(cur)

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of one of TABLES, as dicts."""
        names, values = self.table_rows(table)
        for r in values:
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


HISTORY_COLUMNS = ["locality", "indicator", "indicator_key", "measure", "period", "period_start", "period_end",
                   "value", "masked", "unit", "direction", "rank_scope", "rank_position", "conflict", "speeches",
                   "sources", "evidence", "sentence", "meeting_dates", "speech_ids", "metric_ids"]


def _plain(v: Any) -> Any:
    """A DataFrame cell as a plain value (NaN is None, numpy numbers are Python numbers)."""
    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def history_rows(records: list[dict]) -> list[dict]:
    """Metric records (Store.metrics rows) grouped into an indicator's history (see Store.history)."""
    groups: dict[tuple, dict] = {}
    for r in records:
        ind = r.get("indicator_key") or r.get("indicator_fold") or r.get("indicator")
        when = (r.get("period_start"), r.get("period_end")) if r.get("period_end") else \
            ("?", r.get("speech_id"), r.get("period"))  # unresolved: its own speech's row
        value = r.get("value")
        signed = -value if (value is not None and value > 0 and r.get("direction") == "down"
                            and r.get("measure") in ("growth", "delta")) else value
        figure = (None if signed is None else round(float(signed), 6), r.get("masked"), r.get("unit"),
                  r.get("rank_position"))
        key = (r.get("locality"), ind, r.get("measure"), r.get("rank_scope"), when)
        g = groups.setdefault(key, {})
        row = g.get(figure)
        if row is None:
            row = g[figure] = {
                "locality": r.get("locality"), "indicator": r.get("indicator"), "indicator_key": r.get("indicator_key"),
                "measure": r.get("measure"), "period": r.get("period"), "period_start": r.get("period_start"),
                "period_end": r.get("period_end"), "value": value, "masked": r.get("masked"), "unit": r.get("unit"),
                "direction": r.get("direction"), "rank_scope": r.get("rank_scope"),
                "rank_position": r.get("rank_position"), "conflict": False, "speeches": 0, "sources": [],
                "evidence": r.get("evidence"), "sentence": r.get("sentence"), "meeting_dates": [], "speech_ids": [],
                "metric_ids": [], "_order": (r.get("meeting_date") or "", r.get("doc") or "", r.get("start") or 0)}
        if r.get("speech_id") not in row["speech_ids"]:
            row["speech_ids"].append(r.get("speech_id"))
            row["sources"].append(r.get("doc"))
            row["meeting_dates"].append(r.get("meeting_date"))
            row["speeches"] += 1
        row["metric_ids"].append(r.get("metric_id"))
        if r.get("period") and r.get("period") not in (row["period"] or "").split(" / "):
            row["period"] = f"{row['period']} / {r.get('period')}" if row["period"] else r.get("period")
    out = []
    for g in groups.values():
        for row in g.values():
            row["conflict"] = len(g) > 1
            out.append(row)
    out.sort(key=lambda x: (x["period_end"] is None, x["period_end"] or "", x["period_start"] or "",
                            x["locality"] or "", x["indicator_key"] or x["indicator"] or "", x["measure"] or "",
                            x["_order"]))
    for row in out:
        row.pop("_order")
        row["sources"] = "、".join(d for d in row["sources"] if d)
        row["meeting_dates"] = "、".join(d for d in row["meeting_dates"] if d)
    return out
