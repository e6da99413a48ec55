"""Compare the commitments of two speeches (e.g. one county's Q2 and Q3 meetings).

Targets are matched on indicator (canonical key, else the folded indicator
text) and unit of measure; tasks on the set of responsible units (canonical
key, else folded name) and the similarity of their actions (character-bigram
Dice). A task whose units changed still matches when its action is nearly the
same (then `owner` changed). Each commitment comes out as

  new      only in the later speech
  dropped  only in the earlier speech
  kept     in both, nothing compared differs
  changed  in both, with the fields that differ: value, comparator, deadline,
           owner, modality

and keeps both evidence sentences.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import regex

from .fold import fold_indicator, fold_unit

TASK_MIN_DICE = 0.45  # same units: actions at least this similar are the same task
TASK_MOVED_DICE = 0.8  # different units: the same task with a new owner
TARGET_FIELDS = ("value", "comparator", "deadline", "owner", "modality")
TASK_FIELDS = ("deadline", "owner")

_NOISE = regex.compile(r"[\s\p{P}\p{S}]+")
_DEADLINE_TAIL = regex.compile(r"(之前|以前|前)$")


def bigrams(text: str | None) -> set[str]:
    s = _NOISE.sub("", text or "")
    return {s[i : i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def dice(a: str | None, b: str | None) -> float:
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _loads(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _unit_dicts(units: Any) -> list[dict]:
    out = []
    for u in _loads(units) or []:
        if hasattr(u, "to_dict"):
            u = u.to_dict()
        out.append({"name": u.get("name"), "role": u.get("role"), "key": u.get("key")})
    return out


def _unit_id(u: dict) -> str:
    return u.get("key") or fold_unit(u.get("name"))


def _value(v: Any, masked: Any = None) -> Any:
    if masked or v == "masked":
        return "masked"
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _deadline(d: dict) -> str | None:
    # the end of the resolved range: its start is the meeting date, which moves between speeches
    if d.get("deadline_to"):
        return str(d["deadline_to"])
    s = _NOISE.sub("", d.get("deadline") or "")
    return _DEADLINE_TAIL.sub("", s) or None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def target_item(rec: Any, sentence: str | None = None) -> dict[str, Any]:
    """A target (a records.Target, or a row dict from the store) in comparable form."""
    dr = _get(rec, "deadline_range")
    units = _unit_dicts(_get(rec, "units"))
    return {
        "kind": "target",
        "indicator": _get(rec, "indicator"),
        "indicator_key": _get(rec, "indicator_key"),
        "comparator": _get(rec, "comparator"),
        "value": _value(_get(rec, "value"), _get(rec, "masked")),
        "unit": _get(rec, "unit"),
        "deadline": _get(rec, "deadline"),
        "deadline_from": _get(rec, "deadline_from") or (dr[0] if dr else None),
        "deadline_to": _get(rec, "deadline_to") or (dr[1] if dr else None),
        "modality": _get(rec, "modality"),
        "units": units,
        "evidence": _get(rec, "evidence"),
        "sentence": sentence or _get(rec, "sentence") or _get(rec, "evidence"),
        "section": _get(rec, "section"),
        "start": _get(rec, "start"),
    }


def task_item(rec: Any, sentence: str | None = None) -> dict[str, Any]:
    """A task (a records.Task, or a row dict from the store) in comparable form."""
    dr = _get(rec, "deadline_range")
    persons = _loads(_get(rec, "persons")) or []
    return {
        "kind": "task",
        "action": _get(rec, "action") or "",
        "units": _unit_dicts(_get(rec, "units")),
        "persons": list(persons),
        "deadline": _get(rec, "deadline"),
        "deadline_from": _get(rec, "deadline_from") or (dr[0] if dr else None),
        "deadline_to": _get(rec, "deadline_to") or (dr[1] if dr else None),
        "evidence": _get(rec, "evidence"),
        "sentence": sentence or _get(rec, "sentence") or _get(rec, "evidence"),
        "section": _get(rec, "section"),
        "start": _get(rec, "start"),
    }


def commitments(result) -> dict[str, list[dict]]:
    """Targets and tasks of an extract.Result, with their sentences."""
    sents = list(result.outline.sentences)

    def sentence(start: int) -> str | None:
        for s in sents:
            if s.start <= start < s.end:
                return s.text
        return None

    return {"targets": [target_item(t, sentence(t.start)) for t in result.targets],
            "tasks": [task_item(t, sentence(t.start)) for t in result.tasks]}


@dataclass
class Change:
    kind: str  # target | task
    status: str  # new | dropped | kept | changed
    subject: str  # the indicator, or the units and action
    fields: list[str] = field(default_factory=list)  # what changed
    details: list[str] = field(default_factory=list)  # "value: 10 → 12"
    a: dict | None = None
    b: dict | None = None
    score: float = 0.0

    def to_row(self) -> dict[str, Any]:
        a, b = self.a or {}, self.b or {}
        return {
            "kind": self.kind, "status": self.status, "subject": self.subject,
            "changed": ", ".join(self.fields), "details": "; ".join(self.details),
            "a_value": _show_value(a) if a else None, "b_value": _show_value(b) if b else None,
            "a_deadline": a.get("deadline"), "b_deadline": b.get("deadline"),
            "a_owner": _owners(a) if a else None, "b_owner": _owners(b) if b else None,
            "a_sentence": a.get("sentence"), "b_sentence": b.get("sentence"),
        }


def _owners(d: dict) -> str:
    names = [f"{u['name']}({u['role']})" for u in d.get("units") or []]
    return "、".join(names + list(d.get("persons") or []))


def _show_value(d: dict) -> str | None:
    if d.get("kind") == "task":
        return d.get("action")
    v = d.get("value")
    if v is None:
        return None
    return f"{d.get('comparator') or ''}{v}{d.get('unit') or ''}"


def _target_key(t: dict) -> tuple[str, str]:
    return (t.get("indicator_key") or fold_indicator(t.get("indicator")), t.get("unit") or "")


def _owner_set(d: dict) -> frozenset:
    return frozenset((_unit_id(u), u.get("role")) for u in d.get("units") or []) | frozenset(
        ("person", p) for p in d.get("persons") or [])


def _unit_set(d: dict) -> frozenset:
    return frozenset(_unit_id(u) for u in d.get("units") or [])


def _field_changes(a: dict, b: dict, names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    fields, details = [], []
    for name in names:
        if name == "value":
            va, vb = a.get("value"), b.get("value")
            same = va == vb or (isinstance(va, (int, float)) and isinstance(vb, (int, float)) and abs(va - vb) < 1e-9)
            if not same:
                fields.append("value")
                details.append(f"value: {va} → {vb}")
        elif name == "deadline":
            if _deadline(a) != _deadline(b):
                fields.append("deadline")
                details.append(f"deadline: {a.get('deadline') or '—'} → {b.get('deadline') or '—'}")
        elif name == "owner":
            if _owner_set(a) != _owner_set(b):
                fields.append("owner")
                details.append(f"owner: {_owners(a) or '—'} → {_owners(b) or '—'}")
        else:
            if (a.get(name) or None) != (b.get(name) or None):
                fields.append(name)
                details.append(f"{name}: {a.get(name) or '—'} → {b.get(name) or '—'}")
    return fields, details


def _pair(a: list[dict], b: list[dict], score) -> list[tuple[int, int, float]]:
    """Greedy one-to-one pairing by descending score (score None = no pair)."""
    cands = []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            s = score(x, y)
            if s is not None:
                cands.append((s, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_a, used_b, out = set(), set(), []
    for s, i, j in cands:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((i, j, s))
    return out


def _target_score(x: dict, y: dict) -> float | None:
    if _target_key(x) != _target_key(y) or not _target_key(x)[0]:
        return None
    return 1.0 + dice(x.get("evidence"), y.get("evidence"))


def _task_score(x: dict, y: dict) -> float | None:
    d = dice(x.get("action"), y.get("action"))
    if _unit_set(x) == _unit_set(y) and d >= TASK_MIN_DICE:
        return 1.0 + d
    if d >= TASK_MOVED_DICE:
        return d
    return None


def _subject(d: dict) -> str:
    if d["kind"] == "target":
        return d.get("indicator") or "?"
    units = "、".join(u["name"] for u in d.get("units") or []) or "(no unit)"
    return f"{units}: {d.get('action')}"


def compare(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> list[Change]:
    """Changes from speech a (earlier) to speech b (later)."""
    out: list[Change] = []
    for kind, score, names in (("targets", _target_score, TARGET_FIELDS), ("tasks", _task_score, TASK_FIELDS)):
        xa, xb = a.get(kind) or [], b.get(kind) or []
        pairs = _pair(xa, xb, score)
        matched_a = {i for i, _, _ in pairs}
        matched_b = {j for _, j, _ in pairs}
        for i, j, s in pairs:
            fields, details = _field_changes(xa[i], xb[j], names)
            out.append(Change(kind[:-1], "changed" if fields else "kept", _subject(xb[j]), fields, details,
                              xa[i], xb[j], round(s, 3)))
        out += [Change(kind[:-1], "dropped", _subject(x), a=x) for i, x in enumerate(xa) if i not in matched_a]
        out += [Change(kind[:-1], "new", _subject(y), b=y) for j, y in enumerate(xb) if j not in matched_b]
    order = {"changed": 0, "new": 1, "dropped": 2, "kept": 3}
    out.sort(key=lambda c: (c.kind != "target", order[c.status],
                            (c.b or c.a or {}).get("start") or 0))
    return out


def summary(changes: list[Change]) -> dict[str, int]:
    out = {k: 0 for k in ("new", "dropped", "changed", "kept")}
    for c in changes:
        out[c.status] += 1
    return out


def to_rows(changes: list[Change]) -> list[dict[str, Any]]:
    return [c.to_row() for c in changes]


def to_dataframe(changes: list[Change]):
    import pandas as pd

    cols = ["kind", "status", "subject", "changed", "details", "a_value", "b_value", "a_deadline", "b_deadline",
            "a_owner", "b_owner", "a_sentence", "b_sentence"]
    return pd.DataFrame(to_rows(changes), columns=cols)


def _md(s: Any) -> str:
    return str(s if s is not None else "").replace("|", "\\|").replace("\n", " ")


def label(s: dict | str | None) -> str:
    if isinstance(s, dict):
        bits = [s.get("title") or s.get("doc") or s.get("id", "")[:10]]
        if s.get("locality") or s.get("period"):
            bits.append(f"({' '.join(x for x in (s.get('locality'), s.get('period')) if x)})")
        return " ".join(bits)
    return str(s or "")


def to_markdown(changes: list[Change], a: dict | str | None = None, b: dict | str | None = None,
                include_kept: bool = True) -> str:
    """A report: counts, then changed, new, dropped (and kept) commitments with both sentences."""
    n = summary(changes)
    lines = [f"# Commitments: {label(a) or 'A'} → {label(b) or 'B'}", "",
             f"{n['changed']} changed, {n['new']} new, {n['dropped']} dropped, {n['kept']} kept.", ""]
    titles = {"changed": "Changed", "new": "New", "dropped": "Dropped", "kept": "Kept"}
    for status in ("changed", "new", "dropped", "kept"):
        sub = [c for c in changes if c.status == status]
        if not sub or (status == "kept" and not include_kept):
            continue
        lines += [f"## {titles[status]} ({len(sub)})", ""]
        for c in sub:
            head = f"- **{c.kind}** {_md(c.subject)}"
            if c.details:
                head += " — " + "; ".join(_md(d) for d in c.details)
            lines.append(head)
            if c.a:
                lines.append(f"  - before: {_md(c.a.get('sentence'))}")
            if c.b:
                lines.append(f"  - after: {_md(c.b.get('sentence'))}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def compare_files(path_a, path_b) -> tuple[dict, dict, list[Change]]:
    """(speech a, speech b, changes) of two files read directly, with no database: each is
    extracted and its commitments compared (the speech dicts hold doc, title, locality, period)."""
    from .extraction import extract_file

    speeches, found = [], []
    for path in (path_a, path_b):
        r = extract_file(path)
        meta = r.doc.meta or {}
        speeches.append({"id": r.doc.doc_id, "doc": r.doc.doc_id, "title": meta.get("title"),
                         "locality": meta.get("locality"), "period": meta.get("period"), "path": str(path)})
        found.append(commitments(r))
    return speeches[0], speeches[1], compare(found[0], found[1])

