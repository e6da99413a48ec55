"""speechminer's command line: a thin layer over the library's functions.

The group and the output helpers are in cli_base.py; this module holds the
commands that read files (normalize, show, extract) and pulls in the database
commands (cli_db.py) and the web explorer (cli_serve.py), which register
themselves on the same group.
"""
from __future__ import annotations

import json
import sys

import click

from .cli_base import console, emit_rows, err_console, main, report_error, report_failure, wide_option
from .ingest import iter_inputs
from .normalize import InputError

__all__ = ["main", "iter_inputs"]


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
    year = str((doc.meta or {}).get("year") or "")
    outline = seg.segment(doc.text, int(year) if year.isdigit() else None)
    if as_json:
        click.echo(json.dumps(seg.to_json(outline), ensure_ascii=False, indent=1))
    else:
        console.print(seg.rich_tree(outline, title=doc.meta.get("title") or doc.doc_id))


RECORD_COLUMNS = {
    "metric": ["doc", "indicator", "period", "period_start", "period_end", "measure", "value", "unit", "direction",
               "rank", "compare_to", "evidence"],
    "target": ["doc", "indicator", "measure", "comparator", "value", "unit", "deadline", "deadline_range", "modality",
               "evidence"],
    "task": ["doc", "units", "persons", "action", "deadline", "addressee", "evidence"],
    "decision": ["doc", "line", "stage", "rule", "outcome", "text"],
}
# the columns of a compact table (the default on a terminal; --wide for the above)
COMPACT_COLUMNS = {
    "metric": ["indicator", "period", "when", "measure", "value", "unit", "evidence"],
    "target": ["indicator", "comparator", "value", "unit", "deadline", "when", "evidence"],
    "task": ["units", "action", "deadline", "evidence"],
    "decision": ["line", "stage", "rule", "outcome", "text"],
}


_STAGES = {"metric": ("document", "event", "target"), "target": ("document", "event", "target"), "task": ("document", "task")}


def _decision_row(result, d) -> dict:
    """One rule's decision as an output row: where (line of the clean text), what it read, what came of it."""
    text = result.doc.text
    return {"doc": result.doc.doc_id, "type": "decision", "line": text.count("\n", 0, d.start) + 1,
            "start": d.start, "end": d.end, "stage": d.stage, "rule": d.rule, "outcome": d.outcome,
            "text": text[d.start:d.end]}


@main.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "json", "csv"]), default="table", show_default=True)
@click.option("--type", "kinds", multiple=True, type=click.Choice(["metric", "target", "task"]), help="Only these record types (repeatable).")
@click.option("--explain", is_flag=True,
              help="Also show what every extraction rule decided: which rule made each record, and "
                   "which rule dropped a candidate and why (JSON formats: objects of type 'decision').")
@wide_option
def extract_cmd(files: tuple[str, ...], fmt: str, kinds: tuple[str, ...], explain: bool, wide: bool) -> None:
    """Extract metrics, targets and tasks from FILES (files or folders).

    JSON Lines output follows the exchange format of shared/eval/FORMAT.md; every
    record names the rules that made it (`rule`).

    \b
    Examples:
      speechminer extract corpus/ --format jsonl > pred.jsonl
      speechminer extract speech.txt --type target
      speechminer extract speech.txt --explain       # why each record is there, and what was dropped
    """
    from .extraction import extract_file

    failed = 0
    rows: list[dict] = []
    problems: list[tuple[str, str]] = []
    for path in iter_inputs(files, problems):
        try:
            result = extract_file(path, explain=explain)
        except InputError as err:
            report_error(err)
            failed += 1
            continue
        except Exception as err:  # a bug must not stop the batch
            report_error(err, path)
            failed += 1
            continue
        recs = [r.to_dict() for r in result.records if not kinds or r.type in kinds]
        if explain:  # (with --type, the decisions of the stages that make those records)
            stages = {s for k in kinds for s in _STAGES[k]} if kinds else None
            recs += [_decision_row(result, d) for d in result.decisions if not stages or d.stage in stages]
        if fmt == "jsonl":
            for r in recs:
                click.echo(json.dumps(r, ensure_ascii=False))
        else:
            rows.extend(recs)
    for name, reason in problems:  # a folder with nothing to read in it
        report_failure(name, reason)
        failed += 1
    if fmt == "table":
        for kind in ("metric", "target", "task", "decision"):
            sub = [r for r in rows if r["type"] == kind]
            if sub and not wide:
                from .dates import span_label

                for r in sub:
                    rng = r.get("deadline_range") or [r.get("period_start"), r.get("period_end")]
                    r["when"] = span_label(*rng) if rng and len(rng) == 2 else ""
            if sub:
                emit_rows(sub, fmt, RECORD_COLUMNS[kind] if wide else COMPACT_COLUMNS[kind],
                          title=f"{kind}s ({len(sub)})", wide=wide)
    elif fmt != "jsonl":
        cols = None if fmt == "json" else sorted({k for r in rows for k in r})
        emit_rows(rows, fmt, cols)
    if failed:
        sys.exit(1)


# the database commands (ingest, tasks, targets, metrics, search, diff …) and the web explorer register
# themselves on `main` when imported; after the file commands, so that `--help` lists those first
from . import cli_db, cli_serve  # noqa: F401,E402
