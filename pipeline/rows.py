"""The plain rows of one extracted speech, as the store writes them, and the extractor version.

`rows_from_result(result)` turns a `Result` into dicts of plain values (picklable:
built in worker processes, and written one per line into the cluster path's
JSON Lines shards). `extractor_version()` names the rules and code that made
them: content stored under another version is re-extracted by `ingest`.
"""
from __future__ import annotations

import bisect
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from . import lexicon
from .db import INDEX_FORMAT, fts_tokens
from .fold import fold_indicator, fold_unit

_EXTRACTOR: dict[str, str] = {}


def extractor_version() -> str:
    """A short hash of every file in rules/ and the package version (computed once per rules folder).

    Stored with each speech: content whose sha256 is stored under another
    extractor version is re-extracted by `ingest` (reported as "updated").
    """
    rules = lexicon.rules_dir()
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


def lexicon_files_digest() -> str | None:
    """Hash of units.yaml and indicators.yaml as files, or None when the loaders are not the file readers."""
    if not (hasattr(lexicon.units, "cache_info") and hasattr(lexicon.indicators, "cache_info")):
        return None  # replaced (tests, embedding code): always compare the parsed content
    h = hashlib.sha256()
    rules = lexicon.rules_dir()
    for name in ("units.yaml", "indicators.yaml"):
        f = rules / name
        try:
            h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
        except OSError:
            h.update(name.encode() + b"\0missing\0")
    return h.hexdigest()


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


def rows_from_result(result, path: str | None = None, version: str | None = None) -> dict[str, Any]:
    """Plain rows for one extracted speech.

    Sentence references are local indexes (`_sent`); the writer turns them into ids.
    `version` is the extractor version to record (default: `extractor_version()`).
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
        "extractor": version or extractor_version(),
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
                        "compare_to": r.compare_to, "evidence": r.evidence,
                        "period_start": r.period_start, "period_end": r.period_end})
    targets = []
    for r in result.targets:
        v, masked = _num(r.value)
        dr = r.deadline_range or (None, None)
        targets.append({**base(r), "indicator": r.indicator, "indicator_key": r.indicator_key,
                        "indicator_fold": fold_indicator(r.indicator), "comparator": r.comparator, "value": v,
                        "masked": masked, "unit": r.unit, "deadline": r.deadline, "deadline_from": dr[0],
                        "deadline_to": dr[1], "modality": r.modality,
                        "units": json.dumps([u.to_dict() for u in r.units], ensure_ascii=False),
                        "owners": _owners(r.units) or None, "evidence": r.evidence,
                        "measure": r.measure, "direction": r.direction})
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
