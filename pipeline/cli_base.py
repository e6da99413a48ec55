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


# The widest a cell of a compact table may be (characters); the terminal's width cuts further, with "…"
COMPACT_CELL = 36
# … and a column whose cells are all this short is never cut (a status, a figure, a date)
COMPACT_FIXED = 13


def emit_rows(rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None, title: str | None = None,
              wide: bool = True) -> None:
    """Print rows as a rich table, CSV, JSON or JSON Lines.

    A table is compact unless `wide`: one line per row, each cell cut to COMPACT_CELL characters
    and to the terminal's width with an ellipsis (the caller passes the columns a reader scans
    first); `wide` prints every given column whole, wrapping cells."""
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
        from rich import box
        from rich.table import Table

        if wide:
            table = Table(title=title, show_lines=False, header_style="bold")
            for c in columns:
                table.add_column(c, overflow="fold")
            for r in rows:
                table.add_row(*(_cell(r.get(c)) for c in columns))
        else:
            from rich.cells import cell_len

            cells = [[_short(_cell(r.get(c))) for c in columns] for r in rows]
            natural = [max([cell_len(c)] + [cell_len(row[i]) for row in cells]) for i, c in enumerate(columns)]
            # short values (a status, a figure, a date) are shown whole; text shares the rest of the line
            flex = [i for i, w in enumerate(natural) if w > COMPACT_FIXED]
            room = console.width - 2 * (len(columns) - 1) - sum(w for i, w in enumerate(natural) if i not in flex)
            widths = list(natural)
            if flex and sum(natural[i] for i in flex) > room:
                share = max(room, 6 * len(flex)) / sum(natural[i] for i in flex)
                for i in flex:
                    widths[i] = max(6, int(natural[i] * share))
            table = Table(title=title, header_style="bold underline", box=None, padding=(0, 1), pad_edge=False,
                          title_justify="left")
            for i, c in enumerate(columns):
                table.add_column(_cut(c, widths[i]), no_wrap=True, width=widths[i])
            for row in cells:
                table.add_row(*(_cut(v, widths[i]) for i, v in enumerate(row)))
        console.print(table)
        if not rows:
            console.print("[dim](no rows)[/dim]")


def _short(text: str, n: int = COMPACT_CELL) -> str:
    """One line of at most `n` characters, cut with an ellipsis."""
    s = " ".join(text.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _cut(text: str, width: int) -> str:
    """`text` in at most `width` terminal cells (a Han character takes two), cut with "…"."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def wide_option(f):
    return click.option("--wide", is_flag=True,
                        help="Every column, cells whole and wrapped (the default table is compact: "
                             "the columns read first, one line a row; CSV and JSON have them all).")(f)


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
