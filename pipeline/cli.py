"""speechminer's command line: a thin layer over the pipeline functions.

Commands that read files live here; commands over the database are in
cli_db.py and register themselves on the same group.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

import click
from rich.console import Console

from .normalize import InputError

console = Console()
err_console = Console(stderr=True)

TEXT_SUFFIXES = {".txt", ".text", ".html", ".htm", ".md", ""}


def iter_inputs(paths: Iterable[str]) -> Iterator[Path]:
    """Files named, and the text files inside folders named (sorted, recursive)."""
    for name in paths:
        p = Path(name)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES and not f.name.startswith(".") \
                        and not f.name.endswith((".meta.json", ".meta.yaml", ".meta.yml")):
                    yield f
        else:
            yield p


def report_error(err: Exception, path: Path | str | None = None) -> None:
    if isinstance(err, InputError):
        err_console.print(f"[red]error[/red] {err.path}: {err.reason}", highlight=False, soft_wrap=True)
    else:
        err_console.print(f"[red]error[/red] {path}: {type(err).__name__}: {err}", highlight=False, soft_wrap=True)


def emit_rows(rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None, title: str | None = None) -> None:
    """Print rows as a rich table, CSV, JSON or JSON Lines."""
    columns = columns or (list(rows[0].keys()) if rows else [])
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
    elif fmt == "jsonl":
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in columns})
        click.echo(buf.getvalue(), nl=False)
    else:
        from rich.table import Table

        table = Table(title=title, show_lines=False, header_style="bold")
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(_cell(r.get(c)) for c in columns))
        console.print(table)
        if not rows:
            console.print("[dim](no rows)[/dim]")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="speechminer")
def main() -> None:
    """speechminer: facts from Chinese local-government speeches.

    \b
    Typical use:
      speechminer ingest corpus/                 # run the pipeline, store in outputs/speeches.db
      speechminer tasks --unit 发改               # tasks assigned to 发改 (alias aware)
      speechminer metrics --indicator 固定资产投资  # indicator values over time
      speechminer extract a.txt --format jsonl   # records in the exchange format
    """


@main.command("normalize")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print metadata, removed furniture and repairs as JSON.")
def normalize_cmd(file: str, as_json: bool) -> None:
    """Print the clean Simplified text of FILE.

    \b
    Example:
      speechminer normalize corpus/001_4e6ed94fc7db992f.txt
      speechminer normalize page.html --json
    """
    from .normalize import normalize_file

    try:
        doc = normalize_file(file)
    except InputError as err:
        report_error(err)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({
            "doc": doc.doc_id, "encoding": doc.encoding, "script": doc.script, "meta": doc.meta,
            "removed": doc.removed, "repairs": doc.repairs, "placeholders": len(doc.placeholders),
            "warnings": doc.warnings, "text": doc.text,
        }, ensure_ascii=False, indent=1))
    else:
        click.echo(doc.text)
        for w in doc.warnings:
            err_console.print(f"[yellow]warning[/yellow] {file}: {w}")


@main.command("show")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="The outline as JSON instead of a tree.")
def show_cmd(file: str, as_json: bool) -> None:
    """Print the outline of FILE as a tree of headings with their roles.

    \b
    Example:
      speechminer show corpus/000_f11bba97cbee365b.txt
    """
    from . import segment as seg
    from .normalize import normalize_file

    try:
        doc = normalize_file(file)
    except InputError as err:
        report_error(err)
        sys.exit(1)
    outline = seg.segment(doc.text)
    if as_json:
        click.echo(json.dumps(seg.to_json(outline), ensure_ascii=False, indent=1))
    else:
        console.print(seg.rich_tree(outline, title=doc.meta.get("title") or doc.doc_id))


RECORD_COLUMNS = {
    "metric": ["doc", "indicator", "period", "measure", "value", "unit", "direction", "rank", "compare_to", "evidence"],
    "target": ["doc", "indicator", "comparator", "value", "unit", "deadline", "modality", "evidence"],
    "task": ["doc", "units", "persons", "action", "deadline", "addressee", "evidence"],
}


@main.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "json", "csv"]), default="table", show_default=True)
@click.option("--type", "kinds", multiple=True, type=click.Choice(["metric", "target", "task"]), help="Only these record types (repeatable).")
def extract_cmd(files: tuple[str, ...], fmt: str, kinds: tuple[str, ...]) -> None:
    """Extract metrics, targets and tasks from FILES (files or folders).

    JSON Lines output follows the exchange format of shared/eval/FORMAT.md.

    \b
    Examples:
      speechminer extract corpus/ --format jsonl > pred.jsonl
      speechminer extract speech.txt --type target
    """
    from .extraction import extract

    failed = 0
    rows: list[dict] = []
    for path in iter_inputs(files):
        try:
            result = extract(path)
        except InputError as err:
            report_error(err)
            failed += 1
            continue
        except Exception as err:  # a bug must not stop the batch
            report_error(err, path)
            failed += 1
            continue
        recs = [r.to_dict() for r in result.records if not kinds or r.type in kinds]
        if fmt == "jsonl":
            for r in recs:
                click.echo(json.dumps(r, ensure_ascii=False))
        else:
            rows.extend(recs)
    if fmt == "table":
        for kind in ("metric", "target", "task"):
            sub = [r for r in rows if r["type"] == kind]
            if sub:
                emit_rows(sub, fmt, RECORD_COLUMNS[kind], title=f"{kind}s ({len(sub)})")
    elif fmt != "jsonl":
        cols = None if fmt == "json" else sorted({k for r in rows for k in r})
        emit_rows(rows, fmt, cols)
    if failed:
        sys.exit(1)


from . import cli_db  # noqa: F401,E402  database commands (ingest, tasks, targets, metrics, search, diff …)

try:  # the web explorer (serve), kept in its own module
    from . import cli_serve  # noqa: F401,E402
except ImportError as _err:  # pragma: no cover - only while cli_serve is missing
    if "cli_serve" not in str(_err):
        raise
