"""Database commands: ingest, tasks, targets, metrics, search, diff, export, units, speeches, doctor.

Registered on cli_base.main when cli.py imports this module. Each command
parses its arguments and prints; the work is done by library functions
(Store, ingest.tasks_from_files, diff). Only `ingest` and `merge` open the
database for writing; every other command opens it read-only and refuses a
file that is not a speechminer database.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.markup import escape

from . import diff as diff_mod
from .cli_base import emit_rows, err_console, main, report_failure, wide_option
from .db import DEFAULT_DB, LOCK_TIMEOUT, TABLES, DatabaseLocked, NotSpeechminerDatabase, Rows, SchemaOutOfDate
from .ingest import default_workers, shard_files, tasks_from_files
from .normalize import InputError
from .store import AmbiguousSpeech, SpeechNotFound, Store

FORMATS = ["table", "csv", "json"]


def db_option(f):
    return click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, envvar="SPEECHMINER_DB",
                        type=click.Path(dir_okay=False), help="SQLite database file.")(f)


def format_option(choices=FORMATS):
    return click.option("--format", "fmt", type=click.Choice(choices), default="table", show_default=True,
                        help="Output format.")


def _fail(message: str, status: int = 2) -> NoReturn:
    err_console.print(f"[red]error[/red] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(status)


def _waiting(db_path: str):
    """A lock-wait message for a writer: printed when the wait starts and every few seconds after."""

    def tell(waited: float, holder: str | None) -> None:
        err_console.print(f"[yellow]waiting[/yellow] {escape(db_path)}: the database's write lock is held by "
                          f"{escape(holder or 'another connection')} ({waited:.0f} s so far); will retry",
                          highlight=False, soft_wrap=True)

    return tell


def _open(db_path: str, write: bool = False, lock_timeout: float = LOCK_TIMEOUT) -> Store:
    """The store for a command: read-only for queries (the file must be a speechminer database);
    for writing (ingest, merge) created or migrated, never another program's file."""
    try:
        if write:
            return Store(db_path, frames=False, lock_timeout=lock_timeout, on_lock_wait=_waiting(db_path))
        return Store(db_path, frames=False, readonly=True)  # Rows, not DataFrames: no pandas import for queries
    except FileNotFoundError:
        _fail(f"no database at {db_path}: run `speechminer ingest PATH…` first (or pass --db)")
    except (NotSpeechminerDatabase, SchemaOutOfDate, DatabaseLocked) as err:
        _fail(str(err))
    except Exception as err:  # unreadable, a folder, …
        _fail(f"cannot open {db_path}: {err}")


def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else v
    if hasattr(v, "item"):  # numpy scalars
        return _clean(v.item())
    return v


def _records(df) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def _emit(df, fmt: str, columns: list[str] | None, title: str | None = None, wide: bool = True,
          compact: list[str] | None = None, extra=None) -> None:
    """Rows of a query: CSV and JSON with every column; a table with `columns` when `wide`, else
    the compact `compact` columns (see emit_rows). `extra(row)` adds display columns to a table."""
    rows = _records(df)
    if fmt == "table":
        if extra:
            rows = [{**r, **extra(r)} for r in rows]
        names = set(df.columns) | (set(rows[0]) if rows else set())
        want = columns if wide or not compact else compact
        cols = [c for c in (want or list(df.columns)) if c in names or extra]
        emit_rows(rows, fmt, cols, title=title, wide=wide)
    else:
        emit_rows(rows, fmt, list(df.columns))


def _when(r: dict) -> dict:
    from .dates import span_label

    return {"when": span_label(r.get("period_start"), r.get("period_end"))}


def _figure(r: dict) -> str:
    from .track import show_value

    if r.get("measure") == "rank":
        pos = r.get("rank_position")
        return f"{r.get('rank_scope') or ''}{'倒数' if r.get('rank_from_bottom') else ''}第{pos}" if pos is not None \
            else (r.get("rank_tier") or r.get("rank_scope") or "")
    return show_value("=", r.get("value"), r.get("masked"), r.get("unit"), r.get("measure"), r.get("direction"))


def _bad_value(err: Exception) -> NoReturn:
    _fail(str(err))


def lock_timeout_option(f):
    return click.option("--lock-timeout", default=LOCK_TIMEOUT, show_default=True, type=click.FloatRange(0, 86400),
                        help="Seconds to wait for the database's write lock when another process holds it.")(f)


def _locked(err: DatabaseLocked, db_path: str) -> NoReturn:
    summary = getattr(err, "summary", None)
    n = summary.stored() if summary else 0
    kept = (f"; the {n} speech{'es' if n > 1 else ''} this run stored before that stay stored" if n
            else "; this run stored nothing, and the database is as it was")
    _fail(f"{err}{kept}; run the same command again to store the rest", status=1)


def _failed(status: str, name: str, detail: str) -> None:
    if status == "failed":
        report_failure(name, detail, word="failed")


# ---------------------------------------------------------------- ingest


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--workers", "-j", default=None, type=click.IntRange(1, 256),
              help="Processes that run the pipeline in parallel (default: the number of cores). "
                   "One writer stores their records.")
@click.option("--force", is_flag=True, help="Re-extract files even when their content is already stored.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, only the summary.")
@lock_timeout_option
@format_option(["table", "json"])
def ingest_cmd(paths: tuple[str, ...], db_path: str, workers: int | None, force: bool, quiet: bool,
               lock_timeout: float, fmt: str) -> None:
    """Run the pipeline on PATHS (files or folders) and store the results.

    Each speech is stored whole or not at all: content already stored (by the
    same rules/ and version) is skipped, the same content after a rules change
    is re-extracted ("updated"), a file whose content changed replaces its old
    records, a file that fails is reported on one line and skipped. The exit
    status is 1 if any file failed. The database must be new or speechminer's;
    while another process holds its write lock, ingest waits (--lock-timeout).

    \b
    Examples:
      speechminer ingest corpus/
      speechminer ingest corpus/ new/speech.txt --db outputs/speeches.db -j 2
    """
    store = _open(db_path, write=True, lock_timeout=lock_timeout)
    try:
        summary = store.ingest(paths, progress=not quiet, workers=workers or default_workers(), force=force,
                               on_event=_failed)
    except DatabaseLocked as err:
        _locked(err, db_path)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({**summary.counts(), "updated": len(summary.updated),
                               "failures": [{"file": f, "reason": r} for f, r in summary.failed],
                               "db": db_path}, ensure_ascii=False, indent=1))
    else:
        click.echo(f"{db_path}: {summary}")
    if summary.failed:
        sys.exit(1)


@main.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--force", is_flag=True, help="Rewrite speeches even when the same content and extractor are stored.")
@lock_timeout_option
@format_option(["table", "json"])
def merge_cmd(shards: tuple[str, ...], db_path: str, force: bool, lock_timeout: float, fmt: str) -> None:
    """Load JSON Lines shards (written by the Ray runner) into the database.

    SHARDS are .jsonl files or folders of them. Each line is one speech (stored
    whole or not at all) or a failure recorded by the runner; failures and
    broken lines are reported one per line, and the exit status is 1 if any.

    \b
    Examples:
      python -m pipeline.ray_runner corpus/ --out shards/ --workers 2
      speechminer merge shards/ --db outputs/speeches.db
    """
    files = shard_files(shards)
    store = _open(db_path, write=True, lock_timeout=lock_timeout)
    try:
        summary = store.merge(files, force=force, on_event=_failed)
    except DatabaseLocked as err:
        _locked(err, db_path)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps({**summary.counts(), "updated": len(summary.updated), "shards": len(files),
                               "failures": [{"file": f, "reason": r} for f, r in summary.failed], "db": db_path},
                              ensure_ascii=False, indent=1))
    else:
        click.echo(f"{db_path}: {len(files)} shards: {summary}")
    if summary.failed:
        sys.exit(1)


# ---------------------------------------------------------------- tasks


TASK_COLUMNS = ["doc", "period", "section", "units", "role", "action", "deadline", "sentence"]
TASK_COMPACT = ["doc", "units", "action", "deadline"]


@main.command("tasks")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--unit", "-u", help="Responsible unit, as people write it (发改, 县发改局, 发改委 …).")
@click.option("--role", type=click.Choice(["lead", "responsible", "support"]), help="Only this role of the unit.")
@click.option("--locality", help="Only speeches of this place (e.g. 凤县).")
@click.option("--since", help="From this period on: 2023Q1, 2023 or 2023-07.")
@click.option("--until", help="Up to this period: 2023Q4, 2023 or 2023-12.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@db_option
@format_option()
@wide_option
def tasks_cmd(files, unit, role, locality, since, until, limit, db_path, fmt, wide) -> None:
    """Tasks assigned in the stored speeches (or in FILES, extracted on the fly).

    The unit is alias aware: 发改 finds tasks of 县发改局, 发改局 and 发改委.

    \b
    Examples:
      speechminer tasks --unit 发改
      speechminer tasks --unit 县住建局 --role lead --since 2023Q3 --format csv
      speechminer tasks --unit 发改 corpus/004_586566592891807d.txt
    """
    if files:
        try:
            df, failed = tasks_from_files(files, unit=unit, role=role, locality=locality, limit=limit,
                                          on_error=report_failure)
        except ValueError as err:
            _bad_value(err)
        _emit(df, fmt, TASK_COLUMNS, title=f"tasks ({len(df)})", wide=wide, compact=TASK_COMPACT)
        if failed:
            sys.exit(1)
        return
    store = _open(db_path)
    try:
        df = store.tasks(unit=unit, role=role, locality=locality, since=since, until=until, limit=limit)
    except ValueError as err:
        _bad_value(err)
    _emit(df, fmt, TASK_COLUMNS, title=f"tasks{' of ' + unit if unit else ''} ({len(df)})", wide=wide,
          compact=TASK_COMPACT)


@main.command("targets")
@click.option("--indicator", "-i", help="Indicator (固定资产投资, GDP …), alias aware.")
@click.option("--unit", "-u", help="Only targets with this responsible unit.")
@click.option("--locality", help="Only speeches of this place.")
@click.option("--since", help="From this period on: 2023Q1, 2023 or 2023-07.")
@click.option("--until", help="Up to this period.")
@db_option
@format_option()
@wide_option
def targets_cmd(indicator, unit, locality, since, until, db_path, fmt, wide) -> None:
    """Quantified targets set in the stored speeches.

    \b
    Examples:
      speechminer targets --indicator 固定资产投资
      speechminer targets --since 2023Q3 --format json
    """
    store = _open(db_path)
    try:
        df = store.targets(indicator=indicator, unit=unit, locality=locality, since=since, until=until)
    except ValueError as err:
        _bad_value(err)
    _emit(df, fmt, ["doc", "period", "indicator", "measure", "comparator", "value", "masked", "unit", "deadline",
                    "period_start", "period_end", "modality", "owners", "evidence"], title=f"targets ({len(df)})",
          wide=wide, compact=["doc", "indicator", "target", "deadline", "when"],
          extra=lambda r: {**_when(r), "target": _target(r)})


def _target(r: dict) -> str:
    from .track import show_value

    return show_value(r.get("comparator"), r.get("value"), r.get("masked"), r.get("unit"), r.get("measure"),
                      r.get("direction"))


HISTORY_WIDE = ["locality", "indicator", "indicator_key", "measure", "period", "period_start", "period_end", "value",
                "masked", "unit", "direction", "rank_scope", "rank_position", "conflict", "speeches", "sources",
                "evidence"]


@main.command("metrics")
@click.option("--indicator", "-i", help="Indicator (规上工业增加值 …), alias aware.")
@click.option("--locality", help="Only speeches of this place.")
@click.option("--since", help="From this period on.")
@click.option("--until", help="Up to this period.")
@click.option("--records", is_flag=True, help="One row per record (each speech's own), not one per figure.")
@db_option
@format_option()
@wide_option
def metrics_cmd(indicator, locality, since, until, records, db_path, fmt, wide) -> None:
    """An indicator's history: its reported figures ordered by the period they are for.

    One row per place, indicator, measure, period and figure, with every speech
    that reported it (sources): the same figure in two speeches is one row, two
    figures for one period are two rows marked conflict. The period is shown as
    written and resolved (period_start, period_end; a report's review is the year
    before it). --records lists each speech's records instead.

    \b
    Examples:
      speechminer metrics --indicator 地区生产总值 --locality 海拉尔区
      speechminer metrics --indicator 固定资产投资 --format csv
      speechminer metrics --indicator 地区生产总值 --records --format json
    """
    store = _open(db_path)
    try:
        if records:
            df = store.metrics(indicator=indicator, locality=locality, since=since, until=until)
        else:
            df = store.history(indicator=indicator, locality=locality, since=since, until=until)
    except ValueError as err:
        _bad_value(err)
    if records:
        _emit(df, fmt, ["meeting_date", "locality", "doc", "indicator", "period", "period_start", "period_end",
                        "measure", "value", "masked", "unit", "direction", "rank_scope", "rank_position", "compare_to",
                        "evidence"], title=f"metrics ({len(df)})", wide=wide,
              compact=["when", "doc", "indicator", "measure", "figure"],
              extra=lambda r: {**_when(r), "figure": _figure(r)})
        return
    _emit(df, fmt, HISTORY_WIDE, title=f"metrics ({len(df)} figures)", wide=wide,
          compact=["when", "locality", "indicator", "measure", "figure", "sources"],
          extra=lambda r: {**_when(r), "figure": _figure(r) + (" ≠" if r.get("conflict") else "")})


@main.command("track")
@click.option("--locality", help="Only targets of this place (e.g. 海拉尔区).")
@click.option("--indicator", "-i", help="Only targets of this indicator, alias aware.")
@click.option("--since", help="Targets set from this period on: 2023Q1, 2023 or 2023-07.")
@click.option("--until", help="Targets set up to this period.")
@click.option("--status", "only", type=click.Choice(["met", "missed", "unclear", "no report yet"]), multiple=True,
              help="Only rows of this status (repeatable).")
@db_option
@format_option()
@wide_option
def track_cmd(locality, indicator, since, until, only, db_path, fmt, wide) -> None:
    """Did the targets come true? Each target beside the result a later speech reported.

    For every stored target: the result of the same place, indicator (aliases
    folded), measure (a growth target by a growth) and period that a later speech
    reported, and a status: met, missed, unclear (a result that cannot be
    compared, or a later report that gives no figure for it), no report yet (no
    later speech of the place reports on the period). Goals are floors, <= goals
    ceilings; a goal with 左右 (~) is met within half a percentage point (rates) or
    2 % (amounts). Each row has both sentences and both speeches (--wide, CSV, JSON).

    \b
    Examples:
      speechminer track --locality 海拉尔区
      speechminer track --indicator 地区生产总值 --format json
      speechminer track --status missed --format csv
    """
    store = _open(db_path)
    try:
        df = store.track(locality=locality, indicator=indicator, since=since, until=until)
    except ValueError as err:
        _bad_value(err)
    if only:
        df = df.filter(lambda r: r.get("status") in only)
    _emit(df, fmt, ["locality", "indicator", "measure", "target", "deadline", "period_start", "period_end", "result",
                    "result_period", "status", "note", "target_doc", "target_sentence", "result_doc",
                    "result_sentence"],
          title=f"targets and results ({len(df)})", wide=wide,
          compact=["indicator", "target", "when", "result", "status", "speeches"],
          extra=lambda r: {**_when(r), "speeches": f"{_short_doc(r.get('target_doc'))}→{_short_doc(r.get('result_doc'))}"
                           if r.get("result_doc") else _short_doc(r.get("target_doc"))})


def _short_doc(doc: str | None) -> str:
    """A long document name by its number (r051_hailar_district_… → r051); short names whole."""
    if not doc:
        return ""
    head = doc.split("_", 1)[0]
    return head if len(doc) > 12 and len(head) >= 3 else doc


@main.command("search")
@click.argument("text")
@click.option("--locality", help="Only speeches of this place.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1), help="At most this many sentences.")
@db_option
@format_option()
@wide_option
def search_cmd(text, locality, limit, db_path, fmt, wide) -> None:
    """Sentences that contain TEXT (full-text search; 2-character words work).

    Several words separated by spaces must all occur.

    \b
    Examples:
      speechminer search 考核
      speechminer search "项目 开工" --format json
    """
    store = _open(db_path)
    try:
        df = store.search(text, limit=limit, locality=locality)
    except ValueError as err:
        _bad_value(err)
    _emit(df, fmt, ["doc", "period", "section", "sentence"], title=f"sentences with {text} ({len(df)})", wide=wide,
          compact=["doc", "sentence"])


# ---------------------------------------------------------------- diff


@main.command("diff")
@click.argument("speeches", nargs=-1)
@click.option("--locality", help="With --from/--to: the place whose two quarters to compare.")
@click.option("--from", "from_period", help="Earlier quarter, e.g. 2023Q2.")
@click.option("--to", "to_period", help="Later quarter, e.g. 2023Q3.")
@click.option("--changes-only", is_flag=True, help="Leave out commitments that were kept unchanged.")
@click.option("--status", "only", type=click.Choice(["changed", "new", "dropped", "kept"]), multiple=True,
              help="Only commitments of this status (repeatable).")
@db_option
@format_option(FORMATS + ["markdown"])
@wide_option
def diff_cmd(speeches, locality, from_period, to_period, changes_only, only, db_path, fmt, wide) -> None:
    """Compare the targets and tasks of two speeches: new, dropped, kept, changed.

    A and B are a speech id (or its first digits), a path, a doc name or a
    fragment of the title; or give --locality, --from and --to.

    \b
    Examples:
      speechminer diff 3f80b027 af50fe3a
      speechminer diff corpus/000_f11bba97cbee365b.txt corpus/001_4e6ed94fc7db992f.txt --format markdown
      speechminer diff --locality 青山县 --from 2023Q2 --to 2023Q3 --changes-only
      speechminer diff r051 r050 --status changed --status new

    Two files with no database (no --db file there) are read and compared directly.
    """
    if len(speeches) == 2 and not (from_period or to_period) and all(_is_file(s) for s in speeches) \
            and not _is_file(db_path):
        # two files and no database: read them directly
        try:
            sa, sb, changes = diff_mod.compare_files(*speeches)
        except InputError as err:
            _fail(str(err))
        _show_diff(sa, sb, changes, changes_only, only, fmt, wide)
        return
    store = _open(db_path)
    try:
        if speeches:
            if len(speeches) != 2 or from_period or to_period:
                raise click.UsageError("give two speeches A B, or --locality X --from P --to Q")
            sa, sb, changes = store.diff_changes(*speeches)
        else:
            if not (locality and from_period and to_period):
                raise click.UsageError("give two speeches A B, or --locality X --from P --to Q")
            sa, sb, changes = store.diff_period_changes(locality, from_period, to_period)
    except (SpeechNotFound, AmbiguousSpeech, ValueError) as err:
        _fail(str(err))
    _show_diff(sa, sb, changes, changes_only, only, fmt, wide)


def _is_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except OSError:  # a name too long for the file system, …
        return False


def _show_diff(sa, sb, changes, changes_only, only, fmt, wide) -> None:
    if changes_only:
        changes = [c for c in changes if c.status != "kept"]
    if only:
        changes = [c for c in changes if c.status in only]
    if fmt == "markdown":
        click.echo(diff_mod.to_markdown(changes, sa, sb), nl=False)
        return
    df = diff_mod.to_dataframe(changes)
    n = diff_mod.summary(changes)
    _emit(df, fmt, ["kind", "status", "subject", "details", "a_sentence", "b_sentence"], wide=wide,
          compact=["kind", "status", "subject", "details"],
          title=f"{diff_mod.label(sa)} → {diff_mod.label(sb)}: "
                f"{n['changed']} changed, {n['new']} new, {n['dropped']} dropped, {n['kept']} kept")


# ---------------------------------------------------------------- export, units, speeches, doctor


@main.command("export")
@click.argument("table", type=click.Choice(TABLES))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: standard output; "
              "required for parquet).")
@db_option
def export_cmd(table, fmt, output, db_path) -> None:
    """Write every row of TABLE as CSV, JSON Lines or Parquet.

    \b
    Examples:
      speechminer export tasks --format csv -o tasks.csv
      speechminer export targets --format parquet -o targets.parquet
    """
    import csv

    store = _open(db_path)
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            err_console.print("[red]error[/red] parquet needs pyarrow, which is not installed "
                              "(pip install pyarrow), or use --format csv|jsonl", highlight=False)
            sys.exit(2)
        if not output:
            err_console.print("[red]error[/red] parquet is binary: give -o FILE", highlight=False)
            sys.exit(2)
        import pandas as pd

        pd.DataFrame(list(store.rows(table))).to_parquet(output, index=False)
        err_console.print(f"wrote {output}", highlight=False)
        return
    fh = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        n = 0
        if fmt == "jsonl":
            for r in store.rows(table):
                fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
                n += 1
        else:
            columns, values = store.table_rows(table)
            w = csv.writer(fh)
            w.writerow(columns)
            for tup in values:
                w.writerow(tup)
                n += 1
    finally:
        if output:
            fh.close()
    if output:
        err_console.print(f"wrote {n} rows to {output}", highlight=False)


@main.command("units")
@click.option("--all", "show_all", is_flag=True, help="Also units the lexicon does not list (surface names).")
@click.option("--used", is_flag=True, help="Only units with at least one task.")
@db_option
@format_option()
@wide_option
def units_cmd(show_all, used, db_path, fmt, wide) -> None:
    """Known units (rules/units.yaml) with their aliases and the number of tasks.

    \b
    Examples:
      speechminer units
      speechminer units --all --used --format csv
    """
    store = _open(db_path)
    df = store.units(include_unlisted=show_all or store.counts()["units"] == 0)
    if used:
        df = df.filter(lambda r: (r.get("tasks") or 0) > 0)
    _emit(df, fmt, ["key", "name", "type", "aliases", "tasks"], title=f"units ({len(df)})", wide=wide,
          compact=["key", "name", "type", "tasks"])


@main.command("speeches")
@click.option("--locality", help="Only speeches of this place.")
@click.option("--since", help="From this period on.")
@click.option("--until", help="Up to this period.")
@db_option
@format_option()
@wide_option
def speeches_cmd(locality, since, until, db_path, fmt, wide) -> None:
    """The stored speeches, with their metadata and record counts.

    \b
    Examples:
      speechminer speeches
      speechminer speeches --since 2023Q3 --format json
    """
    store = _open(db_path)
    try:
        df = store.speeches(locality=locality, since=since, until=until)
    except ValueError as err:
        _bad_value(err)
    if fmt == "table":
        df = Rows(df.columns, [{**r, "id": (r["id"] or "")[:12]} for r in df.records])
    _emit(df, fmt, ["id", "doc", "title", "locality", "level", "period", "meeting_date", "metrics", "targets", "tasks"],
          title=f"speeches ({len(df)})", wide=wide,
          compact=["doc", "locality", "meeting_date", "metrics", "targets", "tasks", "title"])


@main.command("doctor")
@db_option
@format_option()
def doctor_cmd(db_path, fmt) -> None:
    """Check the database: schema version, PRAGMA integrity_check, foreign keys, row counts.

    \b
    Example:
      speechminer doctor --db outputs/speeches.db
    """
    store = _open(db_path)
    info = store.doctor()
    rows = [{"check": k, "value": v} for k, v in info.items()]
    emit_rows(rows, fmt, ["check", "value"], title="speechminer doctor")
    if info["integrity_check"] != "ok" or info["foreign_key_violations"]:
        sys.exit(1)
