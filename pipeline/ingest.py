"""Ingest: the inputs named on a command line, extracted in worker processes, written by one writer.

- `iter_inputs(paths)`: files named, and the text files inside folders named.
- `extract_rows(path)`: the public "rows for a path" (what a worker, the Ray
  runner and `ingest` all run), and `failure_reason(err)`, the one-line reason
  stored or printed for a file that fails.
- `warm_worker()`: load the rules once in a fresh process (through public calls:
  a tiny built-in text is extracted).
- `ingest(store, paths)`: what `Store.ingest` runs: list, identify (sha256),
  skip what is stored, extract (in a pool whose workers die with their parent),
  and hand the rows to the store's writer; with a progress bar on a terminal.
- `read_shard(path)`: the JSON Lines shards of the cluster path, as items for
  the same writer (`Store.merge`).
- `tasks_from_files(paths, unit=…)`: tasks straight from files, no database.

Nothing here imports the store: the writer is passed in (`store.write_stream`).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import rows as rows_mod
from .db import DatabaseLocked, Rows, query_limit, query_text
from .normalize import MAX_BYTES, InputError

if TYPE_CHECKING:  # for annotations only: the store imports this module, not the other way round
    from .store import Store

TEXT_SUFFIXES = {".txt", ".text", ".html", ".htm", ".md", ""}
SIDE_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")
IN_FLIGHT_PER_WORKER = 4  # files submitted ahead per worker: memory stays bounded whatever the batch
PARENT_CHECK_SECONDS = 1.0  # how often a worker looks whether its parent is still there

# extracted once by each new worker: compiles every grammar and starts OpenCC (written for this purpose)
WARM_TEXT = "同志们：\n一、明确目标\n全县固定资产投资增长8%，排全市第3位。\n二、抓好落实\n县发改局要牵头，于6月底前完成项目申报。\n"


# ---------------------------------------------------------------- inputs


def iter_inputs(paths: Iterable[str | os.PathLike], problems: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Files named, and the text files inside folders named (sorted, recursive).

    A name given directly is yielded whatever it is: reading it reports its problem. A folder
    in which nothing is found (empty, or holding only broken links or other kinds of file) is
    added to `problems` as (folder, reason) when a list is given, instead of vanishing.
    """
    for name in paths:
        p = Path(name)
        try:
            folder = p.is_dir()
        except (OSError, ValueError):  # a name too long for the system, a NUL: reading it says so
            folder = False
        if not folder:
            yield p
            continue
        found = broken = 0
        for f in sorted(p.rglob("*")):
            if f.name.startswith(".") or f.name.endswith(SIDE_SUFFIXES) or f.suffix.lower() not in TEXT_SUFFIXES:
                continue
            if f.is_file():
                found += 1
                yield f
            elif f.is_symlink() and not f.exists():
                broken += 1
        if not found and problems is not None:
            why = f"only broken links ({broken}) in this folder" if broken else "no text files in this folder"
            problems.append((str(p), why + f" (looked for {', '.join(sorted(s for s in TEXT_SUFFIXES if s))} "
                                           "or no suffix)"))


def _file_id(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def identify(path: Path) -> tuple[str, bytes | None]:
    """(sha256 of the content, the bytes when they had to be read here): a regular file is hashed
    in place and read again by its worker; a pipe can be read only once, so its bytes travel along;
    anything else is refused (normalize.read_input says why)."""
    from .normalize import read_input

    try:
        st = os.stat(path)
    except (OSError, ValueError):
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        if st.st_size > MAX_BYTES:
            raise InputError(path, f"file too large ({st.st_size // 2**20} MiB > {MAX_BYTES // 2**20} MiB)")
        return _file_id(path), None
    data = read_input(path)  # raises the reason for a missing file, a device, a silent pipe
    return hashlib.sha256(data).hexdigest(), data


def _resolved(path: Path, dirs: dict[str, str]) -> str:
    """`str(path.resolve())`, with the folder's resolution looked up in `dirs` after its
    first file; a file that is itself a link is resolved whole."""
    if path.is_symlink():
        return str(path.resolve())
    parent = str(path.parent)
    if parent not in dirs:
        dirs[parent] = str(path.parent.resolve())
    return os.path.join(dirs[parent], path.name)


# ---------------------------------------------------------------- one file


class ExtractFailed(Exception):
    """A failure in a worker process, sent back as its one-line reason (any exception pickles this way)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def failure_reason(err: BaseException) -> str:
    """The one line printed and reported for a file that failed."""
    if isinstance(err, (InputError, ExtractFailed)):
        return err.reason
    if isinstance(err, FileNotFoundError):
        return "file not found"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, OSError) and err.strerror:
        return f"cannot read: {err.strerror}"
    return f"{type(err).__name__}: {err}"


def extract_rows(path: str | os.PathLike, data: bytes | None = None) -> dict[str, Any]:
    """Run the pipeline on one file and return its rows for the store (raises on failure).

    `data`: the file's bytes, when they were read already (a pipe); its speech is then stored
    without a path, since the name (/dev/fd/63) means nothing once the pipe is gone."""
    from .extraction import extract_file

    result = extract_file(Path(path), data=data)
    rows = rows_mod.rows_from_result(result, str(path))
    if data is not None:
        rows["speech"]["path"] = None
    return rows


def _extract_in_worker(path: str, data: bytes | None) -> dict[str, Any] | ExtractFailed:
    try:
        return extract_rows(path, data)
    except Exception as err:
        return ExtractFailed(failure_reason(err))


def warm_worker() -> None:
    """Load the rules once in this process (lexicons, OpenCC, every compiled grammar) by
    extracting a tiny built-in text, then freeze what is loaded so the garbage collector
    stops walking it: a worker makes many short-lived objects, and every full collection
    would visit the lexicons again."""
    import gc

    from . import lexicon
    from .extraction import extract_text

    try:
        lexicon.units()
        lexicon.indicators()
        extract_text(WARM_TEXT)
    except Exception:  # a broken rule file is reported per speech, not here
        pass
    gc.freeze()


def _started(pid: int) -> str | None:
    """A token of the process `pid` (its start time on Linux), or None when it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else fields[19]
    except FileNotFoundError:
        return None
    except OSError:  # no /proc: is there a process of that id at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "alive"


def die_with_parent(parent: int | None = None) -> None:
    """Make this (worker) process exit when the process `parent` (default: its parent) is gone.

    Linux, when `parent` is the direct parent: the kernel sends SIGKILL the moment it dies
    (prctl PR_SET_PDEATHSIG). Everywhere, and for a worker made by a fork server (whose parent
    is the server, which outlives the ingest while its workers live): a daemon thread checks
    every PARENT_CHECK_SECONDS that `parent` is still the same process, and exits if not.
    """
    import threading

    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux") and os.getppid() == parent:
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    born = _started(parent)
    if born is None:  # died before this ran
        os._exit(1)

    def watch() -> None:
        import time

        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if _started(parent) != born:
                os._exit(1)

    threading.Thread(target=watch, name="speechminer-parent-watch", daemon=True).start()


def _worker_init(parent: int) -> None:
    die_with_parent(parent)
    warm_worker()


# ---------------------------------------------------------------- the pool


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
        ctx.set_forkserver_preload(["pipeline.ingest", "pipeline.extraction"])
        return ctx
    return mp.get_context("spawn")


_DIED = "a worker process died (out of memory or killed) while this file was extracted"


def run(todo: list[tuple[Path, bytes | None]], workers: int) -> Iterator[tuple[Path, Any]]:
    """(file, rows or the exception) for each (file, bytes or None), in order (workers > 1: in processes).

    At most IN_FLIGHT_PER_WORKER files per worker are in flight, so memory stays bounded."""
    if workers <= 1 or len(todo) < 2:
        for f, data in todo:
            try:
                yield f, extract_rows(f, data)
            except Exception as err:  # any bug in a stage must not stop the batch
                yield f, err
        return
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = _pool_context(mp)
    n = min(workers, len(todo))
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)) as pool:
        window: deque = deque()
        it = iter(todo)

        def fill() -> None:
            while len(window) < IN_FLIGHT_PER_WORKER * n:
                nxt = next(it, None)
                if nxt is None:
                    return
                try:
                    window.append((nxt[0], pool.submit(_extract_in_worker, str(nxt[0]), nxt[1])))
                except Exception as err:  # the pool broke: every file left is reported, none dropped
                    window.append((nxt[0], err))

        fill()
        while window:
            f, fut = window.popleft()
            try:
                res = fut.result() if not isinstance(fut, BaseException) else fut
            except BrokenProcessPool:
                res = RuntimeError(_DIED)
            except Exception as err:
                res = err
            if isinstance(res, BrokenProcessPool):
                res = RuntimeError(_DIED)
            fill()
            yield f, res


def progress_bar(n: int, wanted: bool):
    """A rich progress bar on standard error, for 10 files or more on a terminal; else None."""
    if not wanted or n < 10 or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=True)


# ---------------------------------------------------------------- a batch


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

    def stored(self) -> int:
        return len(self.added) + len(self.replaced) + len(self.updated)

    def __str__(self) -> str:
        c = self.counts()
        text = f"added {c['added']}, unchanged {c['unchanged']}, replaced {c['replaced']}, failed {c['failed']}"
        return text + (f", updated {c['updated']} (re-extracted: rules or version changed)" if c.get("updated") else "")

    def note(self, on_event: Callable[[str, str, str], None] | None = None) -> Callable[..., None]:
        """A `note(status, name, detail)` callback for the writer that fills this summary."""

        def note(status: str, name: str, detail: str = "") -> None:
            if status == "failed":
                self.failed.append((name, detail))
            else:
                getattr(self, status).append(name)
            if on_event:
                on_event(status, name, detail)

        return note


def ingest(store: "Store", paths: Iterable[str | os.PathLike] | str | os.PathLike, progress: bool = True,
           workers: int = 1, force: bool = False, on_event=None) -> IngestSummary:
    """Run the pipeline on files (or the text files inside folders) and store them (see `Store.ingest`).

    Raises DatabaseLocked (with `.summary`, what was stored before) when the write lock
    could not be had in time."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    problems: list[tuple[str, str]] = []
    files = list(iter_inputs([str(p) for p in paths], problems))
    summary = IngestSummary()
    note = summary.note(on_event)
    for name, reason in problems:
        note("failed", name, reason)
    version = rows_mod.extractor_version()
    todo: list[tuple[Path, bytes | None]] = []
    for f in files:
        try:
            fid, data = identify(f)
        except Exception as err:
            note("failed", str(f), failure_reason(err))
            continue
        if not force and store.extractor_of(fid) == version:
            note("unchanged", str(f))
            continue
        todo.append((f, data))

    bar = progress_bar(len(todo), progress)
    task = bar.add_task("ingesting", total=len(todo)) if bar else None
    dirs: dict[str, str] = {}  # each folder resolved once (Path.resolve stats every component)
    piped = {str(f) for f, data in todo if data is not None}
    try:
        if bar:
            bar.start()
        stream = ((str(f), None if str(f) in piped else _resolved(f, dirs), result) for f, result in run(todo, workers))
        store.write_stream(stream, note, force=force, tick=(lambda: bar.advance(task)) if bar else None)
    except DatabaseLocked as err:
        err.summary = summary  # type: ignore[attr-defined]
        raise
    finally:
        if bar:
            bar.stop()
    return summary


# ---------------------------------------------------------------- shards of the cluster path


def read_shard(shard: str | os.PathLike) -> Iterator[tuple[str, str | None, Any]]:
    """(name, path, rows or an exception) for each line of a shard, for `Store.write_stream`.

    Accepts plain lines (rows or failures) and Ray's `{"record": "<json>"}` wrapping.
    A broken line (a shard cut short) is one failure naming the shard and line.
    """
    shard = Path(shard)
    try:
        fh = open(shard, encoding="utf-8")
    except OSError as err:
        yield str(shard), None, ExtractFailed(f"cannot read shard: {err.strerror or err}")
        return
    with fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{shard}:{i}"
            try:
                obj = json.loads(line)
                if isinstance(obj, dict) and set(obj) == {"record"} and isinstance(obj["record"], str):
                    obj = json.loads(obj["record"])
            except ValueError as err:
                yield where, None, ExtractFailed(f"broken shard line: {err}")
                continue
            if not isinstance(obj, dict):
                yield where, None, ExtractFailed("broken shard line: not an object")
            elif "error" in obj:
                yield str(obj.get("file") or where), None, ExtractFailed(str(obj["error"]))
            elif not {"speech", "sections", "sentences", "metrics", "targets", "tasks"} <= set(obj):
                yield where, None, ExtractFailed("broken shard line: not a speech's rows")
            else:
                yield str(obj["speech"].get("path") or where), obj["speech"].get("path"), obj


def shard_files(names: Iterable[str | os.PathLike]) -> list[str]:
    """Shard files named, and the *.jsonl files inside folders named (sorted)."""
    files: list[str] = []
    for name in names:
        p = Path(name)
        files += [str(f) for f in sorted(p.glob("*.jsonl"))] if p.is_dir() else [str(name)]
    return files


def shard_line(path: str) -> str:
    """One shard line for one file: its rows as JSON, or its failure."""
    try:
        rows = extract_rows(path)
    except Exception as err:  # one bad file is one failure line, never a failed job
        return json.dumps({"file": path, "error": failure_reason(err)}, ensure_ascii=False)
    return json.dumps(rows, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- tasks straight from files

TASK_FILE_COLUMNS = ["doc", "title", "locality", "period", "meeting_date", "section", "units", "role", "action",
                     "deadline", "addressee", "persons", "sentence", "evidence", "start", "end"]
ROLES = ("lead", "responsible", "support")


class UnitMatcher:
    """Whether a task's unit is the unit a user typed, without a database: the lexicon entry's
    key and folded names (发改 → 发改局, 发改委, 县发展和改革局); a name the lexicon does not
    know matches unit names that equal it folded or contain it."""

    def __init__(self, unit: str):
        from . import lexicon
        from .fold import fold_unit

        self._fold = fold_unit
        entry = None
        try:
            entry = lexicon.unit_lookup(unit) or lexicon.unit_lookup(fold_unit(unit))
        except Exception:  # no or broken lexicon: surface names only
            pass
        self.keys: set[str] = {entry["key"]} if entry else set()
        self.folds = {unit, fold_unit(unit)}
        if entry:
            self.folds |= {fold_unit(a) for a in [entry["name"], *entry.get("aliases", []), *entry.get("short", [])]}
        self.substring = None if entry else unit

    def __call__(self, u) -> bool:
        return bool((u.key and u.key in self.keys) or self._fold(u.name) in self.folds
                    or (self.substring and self.substring in u.name))


def tasks_from_files(paths: Iterable[str | os.PathLike], unit: str | None = None, role: str | None = None,
                     locality: str | None = None, limit: int | None = None,
                     on_error: Callable[[str, str], None] | None = None) -> tuple[Rows, int]:
    """Tasks extracted from files directly (no database), filtered like `Store.tasks`.

    Returns (rows, number of files that failed); `on_error(name, reason)` hears each failure."""
    from .extraction import extract_file

    unit, locality, limit = query_text("unit", unit), query_text("locality", locality), query_limit(limit)
    if role is not None and role not in ROLES:
        raise ValueError(f"role is one of {', '.join(ROLES)}, not {role!r}")
    match = UnitMatcher(unit) if unit else None
    problems: list[tuple[str, str]] = []
    rows: list[dict[str, Any]] = []
    failed = 0
    for path in iter_inputs([str(p) for p in paths], problems):
        if limit is not None and len(rows) >= limit:
            break
        try:
            res = extract_file(path)
        except Exception as err:
            failed += 1
            if on_error:
                on_error(str(path), failure_reason(err))
            continue
        meta = res.doc.meta
        if locality and meta.get("locality") != locality:
            continue
        sents = res.outline.sentences
        for t in res.tasks:
            hits = [u for u in t.units if match is None or match(u)]
            if role:
                hits = [u for u in hits if u.role == role]
            if (unit or role) and not hits:
                continue
            sent = next((s.text for s in sents if s.start <= t.start < s.end), None)
            rows.append({"doc": res.doc.doc_id, "title": meta.get("title"), "locality": meta.get("locality"),
                         "period": meta.get("period"), "meeting_date": meta.get("meeting_date"),
                         "section": " › ".join(t.section), "units": "、".join(f"{u.name}({u.role})" for u in t.units),
                         "role": ",".join(sorted({u.role for u in hits})) or None, "action": t.action,
                         "deadline": t.deadline, "addressee": t.addressee,
                         "persons": json.dumps(t.persons, ensure_ascii=False),
                         "sentence": sent, "evidence": t.evidence, "start": t.start, "end": t.end})
    for name, reason in problems:
        failed += 1
        if on_error:
            on_error(name, reason)
    return Rows(TASK_FILE_COLUMNS, rows[:limit] if limit is not None else rows), failed
