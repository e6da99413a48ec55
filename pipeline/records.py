"""The records every stage passes on: plain dataclasses, one place.

`to_dict()` gives the exchange format of ../shared/eval/FORMAT.md plus a few
extra fields (offsets, canonical keys, section) that the format allows.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Value = float | int | str | None  # a number, "masked", or None


@dataclass
class Rank:
    scope: str | None = None
    position: int | str | None = None  # int, "masked" or None
    from_bottom: bool = False
    tier: str | None = None


@dataclass
class UnitRef:
    """A responsible unit as written, with its role and canonical key."""

    name: str
    role: str  # lead | responsible | support
    key: str | None = None  # canonical key from rules/units.yaml, None if open-pattern
    kind: str | None = None  # unit type (department, township, collective...)
    collective: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "key": self.key, "kind": self.kind}


@dataclass
class _Base:
    doc: str
    evidence: str
    start: int
    end: int
    section: list[str] = field(default_factory=list)
    section_role: str = "other"
    rule: str | None = None  # the name of the rule that made the record (for --explain)

    def _common(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "type": self.type,  # type: ignore[attr-defined]
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "section_role": self.section_role,
            "rule": self.rule,
        }


@dataclass
class Metric(_Base):
    indicator: str | None = None
    indicator_key: str | None = None
    period: str | None = None
    measure: str = "level"  # level | growth | delta | rank | share
    value: Value = None
    unit: str | None = None
    direction: str | None = None  # up | down | None
    rank: Rank | None = None
    compare_to: str | None = None
    # the period as dates (ISO), resolved from the words, the part and the speech's date (resolve.py)
    period_start: str | None = None
    period_end: str | None = None
    type: str = field(default="metric", init=False)

    def to_dict(self) -> dict[str, Any]:
        d = self._common()
        d.update(
            indicator=self.indicator,
            indicator_key=self.indicator_key,
            period=self.period,
            measure=self.measure,
            value=self.value,
            unit=self.unit,
            direction=self.direction,
            rank=asdict(self.rank) if self.rank else None,
            compare_to=self.compare_to,
            period_start=self.period_start,
            period_end=self.period_end,
        )
        return d


@dataclass
class Target(_Base):
    indicator: str | None = None
    indicator_key: str | None = None
    comparator: str = "="  # >= | <= | = | ~
    value: Value = None
    unit: str | None = None
    deadline: str | None = None
    deadline_range: tuple[str, str] | None = None
    modality: str = "set"  # must | strive | set
    units: list[UnitRef] = field(default_factory=list)
    # what the goal measures, as for a metric (level | growth | delta | share), and whether it is a
    # rise or a fall (下降3% is growth, down): for comparing it with the result reported later
    measure: str | None = None
    direction: str | None = None
    type: str = field(default="target", init=False)

    def to_dict(self) -> dict[str, Any]:
        d = self._common()
        d.update(
            indicator=self.indicator,
            indicator_key=self.indicator_key,
            comparator=self.comparator,
            value=self.value,
            unit=self.unit,
            deadline=self.deadline,
            deadline_range=list(self.deadline_range) if self.deadline_range else None,
            modality=self.modality,
            units=[u.to_dict() for u in self.units],
            measure=self.measure,
            direction=self.direction,
        )
        return d


@dataclass
class Task(_Base):
    action: str = ""
    units: list[UnitRef] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    deadline: str | None = None
    deadline_range: tuple[str, str] | None = None
    addressee: str = "collective"  # named | collective
    type: str = field(default="task", init=False)

    def to_dict(self) -> dict[str, Any]:
        d = self._common()
        d.update(
            action=self.action,
            units=[u.to_dict() for u in self.units],
            persons=self.persons,
            deadline=self.deadline,
            deadline_range=list(self.deadline_range) if self.deadline_range else None,
            addressee=self.addressee,
        )
        return d


Record = Metric | Target | Task


@dataclass(frozen=True)
class Decision:
    """One decision of an extraction rule, for `--explain`: which rule read the span
    [start, end) of the clean text, at which stage, and what came of it."""

    start: int
    end: int
    stage: str  # event | target | task
    rule: str
    outcome: str  # made, task, held, joined, or "dropped: <why>"
