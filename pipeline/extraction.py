"""The whole pipeline for one input: normalize → segment → extract → resolve."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import metrics as metrics_mod
from . import resolve as resolve_mod
from . import tasks as tasks_mod
from .normalize import Document, normalize, normalize_file, normalize_text
from .records import Decision, Metric, Target, Task
from .segment import Outline, segment


@dataclass
class Result:
    doc: Document
    outline: Outline
    metrics: list[Metric] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # every rule's decision, with explain=True

    @property
    def records(self) -> list[Metric | Target | Task]:
        return sorted([*self.metrics, *self.targets, *self.tasks], key=lambda r: (r.start, r.type))

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.records]

    def to_dataframe(self, kind: str = "all"):
        import pandas as pd

        recs = self.records if kind == "all" else getattr(self, kind if kind.endswith("s") else kind + "s")
        return pd.DataFrame([r.to_dict() for r in recs])


def extract(source: str | Path | Document, meta: dict | None = None, explain: bool = False) -> Result:
    """Run every stage on a path, a text or an already normalized Document.

    A `str` is read as a path when it is one line with a file suffix that names an existing
    file, and as the text itself otherwise. For text from elsewhere (a web form, a queue),
    call `extract_text`, which never opens a file; for a path, `extract_file`. With
    `explain`, `Result.decisions` holds what every extraction rule decided."""
    doc = source if isinstance(source, Document) else normalize(source, meta)
    return _run(doc, explain)


def extract_text(text: str, meta: dict | None = None, doc_id: str = "text", explain: bool = False) -> Result:
    """Run every stage on a text (never read as a path). Raises `InputError` for what is no speech."""
    if not isinstance(text, str):
        raise TypeError(f"extract_text takes a str, not {type(text).__name__} (for a path: extract_file)")
    return _run(normalize_text(text, doc_id=doc_id, meta_override=meta), explain)


def extract_file(path: str | Path, meta: dict | None = None, data: bytes | None = None,
                 explain: bool = False) -> Result:
    """Run every stage on the file at `path` (`data`: its bytes, when read already). Raises `InputError`."""
    return _run(normalize_file(path, meta, data=data), explain)


def _run(doc: Document, explain: bool = False) -> Result:
    year = str((doc.meta or {}).get("year") or "")
    outline = segment(doc.text, int(year) if year.isdigit() else None)
    trace: list[Decision] | None = [] if explain else None
    if trace is not None:  # what the extractors are told about the document: its kind and parts
        trace.append(Decision(0, 0, "document", "kind", outline.kind))
        trace += [Decision(p.start, p.start + len(p.cue), "document", f"{p.role}_part", f"opened by {p.cue}")
                  for p in outline.parts]
    metrics, targets = metrics_mod.extract(doc, outline, trace)
    tasks = tasks_mod.extract(doc, outline, trace)
    for rec in [*metrics, *targets, *tasks]:
        rec.section, rec.section_role = outline.section_of(rec.start)
    _target_units(outline, targets, tasks)
    result = Result(doc, outline, metrics, targets, tasks, sorted(trace or [], key=lambda d: (d.start, d.stage)))
    resolve_mod.resolve(result)  # absolute periods and deadlines, comparable measures
    return result


def _target_units(outline: Outline, targets: list[Target], tasks: list[Task]) -> None:
    """A target answers to the units of the task stated before it in its sentence
    (请王强同志牵头，发改局具体负责，…，确保上半年新建项目开工率达到80%以上)."""
    if not targets or not tasks:
        return
    from bisect import bisect_left, bisect_right

    starts = [s.start for s in outline.sentences]
    by_start = sorted(tasks, key=lambda t: t.start)
    task_starts = [t.start for t in by_start]  # (a walk of every task per target grew with the square of the text)
    for tg in targets:
        if tg.units:
            continue
        i = bisect_right(starts, tg.start) - 1
        if i < 0:
            continue
        sent = outline.sentences[i]
        lo, hi = bisect_left(task_starts, sent.start), bisect_right(task_starts, tg.start)
        owners = [t for t in by_start[lo:hi] if t.units]
        if owners:
            tg.units = list(owners[-1].units)
