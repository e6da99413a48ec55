"""Stage 4, resolve: absolute dates and comparable measures on the records of one speech.

A plain function between extraction and the store. Each metric's period as written
(全年, 过去的一年, 今年以来, 2016年, or none) becomes `period_start`/`period_end`, given
the speech's date (metadata: dateline, title, sidecar) and the part of the document
it sits in: a work report's review describes the year before the report, its plan
the report's own year (dates.resolve_period). Each target's deadline becomes its
`deadline_range` the same way (a goal in the plan part with no deadline is for the
plan's year), and a target gets the `measure` and `direction` it is compared by
(rules/track.yaml). Tasks keep the ranges tasks.py gave them. Words that fix no date
(20xx年, a relative word in a speech of unknown date) stay unresolved: None, never a
guess.
"""
from __future__ import annotations

from functools import cache
from typing import Any

import regex

from . import lexicon
from .dates import resolve_period
from .parts import part_at


@cache
def _rules() -> dict[str, Any]:
    r = lexicon.rules("track.yaml")
    return {"growth_before": regex.compile(r["growth_before"]), "fall": regex.compile(r["fall"]),
            "share": regex.compile(r["share_words"]), "delta_unit": r["delta_unit"]}


def speech_ref(meta: dict | None) -> str | None:
    """The date a speech's relative words count from: its meeting date, else its year."""
    m = meta or {}
    ref = m.get("meeting_date") or m.get("year")
    return str(ref) if ref else None


def target_measure(evidence: str, value: Any, unit: str | None) -> tuple[str, str | None]:
    """(measure, direction) of a target from its clause: growth (up or down), delta, share or level."""
    r = _rules()
    if unit == r["delta_unit"]:
        fall = r["fall"].search(evidence)
        return "delta", "down" if fall else "up"
    if unit == "%":
        num = _number_at(evidence, value)
        before = evidence[:num] if num is not None else evidence
        growth = r["growth_before"].search(before)
        if growth:
            return "growth", "down" if r["fall"].search(growth.group(0)) else "up"
        if r["share"].search(evidence):
            return "share", None
    return "level", None


def _number_at(evidence: str, value: Any) -> int | None:
    """Where the target's number starts in its clause (the last number before % that equals it)."""
    best = None
    for m in regex.finditer(r"-?\d+(?:\.\d+)?(?=\s*%)", evidence):
        try:
            if value is not None and value != "masked" and abs(float(m.group(0)) - float(value)) < 1e-9:
                best = m.start()
        except ValueError:
            continue
    if best is None:
        m = regex.search(r"(?:\d|[*＊Xx×])[\d.*＊Xx×]*\s*%", evidence)
        best = m.start() if m else None
    return best


def resolve(result) -> None:
    """Fill the resolved fields of `result`'s metrics and targets in place."""
    doc, outline = result.doc, result.outline
    ref = speech_ref(doc.meta)
    kind = getattr(outline, "kind", None)
    parts = getattr(outline, "parts", None) or []

    def context(offset: int) -> dict[str, Any]:
        p = part_at(parts, offset)
        return {"role": p.role, "cue": p.cue, "kind": kind} if p else {"kind": kind}

    for m in result.metrics:
        rng = resolve_period(m.period, ref, **context(m.start))
        m.period_start, m.period_end = rng if rng else (None, None)
    for t in result.targets:
        rng = resolve_period(t.deadline, ref, deadline=True, **context(t.start))
        t.deadline_range = rng
        if t.measure is None:
            t.measure, t.direction = target_measure(t.evidence, t.value, t.unit)
