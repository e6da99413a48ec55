"""The command group and the output helpers every command module shares.

cli.py (file commands), cli_db.py (database commands) and cli_serve.py (the web
explorer) each register their commands on `main`; cli.py imports the other two,
so `pipeline.cli:main` is the whole command line. Nothing here imports them back.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .normalize import InputError

console = Console()
err_console = Console(stderr=True)


def report_error(err: Exception, path: Path | str | None = None) -> None:
    if isinstance(err, InputError):
        report_failure(err.path, err.reason)
    else:
        report_failure(str(path), f"{type(err).__name__}: {err}")


def report_failure(name: str, reason: str, word: str = "error") -> None:
    """One line on standard error: `error NAME: REASON` (markup in names and reasons is printed as is)."""
    from rich.markup import escape

    err_console.print(f"[red]{word}[/red] {escape(name)}: {escape(reason)}", highlight=False, soft_wrap=True)


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
