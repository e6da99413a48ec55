"""Did the targets come true? Each stored target beside the result a later speech reported.

For a target (a goal of some place, indicator, measure and period) the result is a
metric of a later speech of the same place, the same indicator (its lexicon key or
folded name: 城镇常住居民人均可支配收入 = 城镇居民人均可支配收入) and a period that ends
when the target's does (a 2017 plan's goal, the 2017 figures of the 2018 report). The
status:

- `met` / `missed`: a result of the same measure (a growth target by a growth, a level
  by a level) in a comparable unit (亿元 and 万元 convert);
- `unclear`: a later speech reports on the period, but its result cannot be compared
  (another measure or unit, a hidden value, a direction without a figure) or it gives
  no figure for the indicator at all; also a target whose place or period is unknown;
- `no report yet`: no later speech of the place reports on the period.

How a target is met (rules/track.yaml): goals are floors (增长7.5%, 达到326.4亿元, 以上:
met by as much or more), `<=` goals ceilings (控制在4%以内), a fall (下降3%) is met by a
fall at least as large, and a goal written with 左右 (`~`) is met within a tolerance:
half a percentage point for a rate, 2 % of the amount for a level.

`TRACK_SQL` is the one query behind `Store.track()`, `speechminer track` and the web
explorer's canned query: the comparison runs as the SQL functions `sm_track_status`
and `sm_track_note` (registered by db.register_functions on every connection).
"""
from __future__ import annotations

from functools import cache
from typing import Any

from . import lexicon

STATUSES = ("met", "missed", "unclear", "no report yet")


@cache
def _rules() -> dict[str, Any]:
    r = lexicon.rules("track.yaml")
    factors: dict[str, tuple[int, float]] = {}
    for i, group in enumerate(r["unit_groups"]):
        for unit, f in group.items():
            factors[str(unit)] = (i, float(f))
    return {"points": float(r["tolerance"]["points"]), "relative": float(r["tolerance"]["relative"]),
            "same": float(r["same_figure"]), "factors": factors, "min_name": int(r["min_name_chars"])}


def tolerance(value: float, unit: str | None) -> float:
    """How far below a `~` (左右) target a result may fall and still meet it."""
    r = _rules()
    if unit in ("%", "个百分点"):
        return r["points"]
    return abs(value) * r["relative"]


def convert(value: float, unit: str | None, to: str | None) -> float | None:
    """`value` in `unit` expressed in `to` (万元 → 亿元), or None when they do not convert."""
    if (unit or "") == (to or ""):
        return value
    f = _rules()["factors"]
    a, b = f.get(unit or ""), f.get(to or "")
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


def _signed(value: float, measure: str | None, direction: str | None) -> float:
    """A rate of change with its sign (下降3% is -3): a growth or delta whose direction is down."""
    if measure in ("growth", "delta") and direction == "down" and value > 0:
        return -value
    return value


def _fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".")


def compare(comparator: str | None, t_value, t_masked, t_unit: str | None, t_measure: str | None,
            t_direction: str | None, r_value, r_masked, r_unit: str | None, r_measure: str | None,
            r_direction: str | None) -> tuple[str, str, float | None]:
    """(status, note, gap) of a target against one result of the same indicator and period.
    `gap` is the result less the target, in the target's unit (None when not comparable)."""
    if t_masked or t_value is None:
        return "unclear", "the target's value is hidden", None
    if r_measure != t_measure:
        return "unclear", f"reported as a {r_measure}, not a {t_measure}", None
    if r_masked:
        return "unclear", "the result's value is hidden", None
    if r_value is None:
        return "unclear", "the result gives a direction, no figure", None
    rv = convert(float(r_value), r_unit, t_unit)
    if rv is None:
        return "unclear", f"the result is in {r_unit or 'no unit'}, the target in {t_unit or 'no unit'}", None
    tv = _signed(float(t_value), t_measure, t_direction)
    rv = _signed(rv, r_measure, r_direction)
    gap = rv - tv
    eps = _rules()["same"] * max(1.0, abs(tv))
    fall = t_measure in ("growth", "delta") and t_direction == "down"
    tol = tolerance(tv, t_unit) if comparator == "~" else 0.0
    if comparator == "<=":
        ok = rv <= tv + eps
    elif fall:  # a fall of at least the target's size (下降3%: -3.5 meets it)
        ok = rv <= tv + tol + eps
    else:  # a floor: >=, = (达到X) and ~ (within the tolerance below it)
        ok = rv >= tv - tol - eps
    note = f"{_fmt(rv)} against {_fmt(tv)}"
    if tol and ok and (rv < tv if not fall else rv > tv):
        note += f" (within the tolerance of {_fmt(tol)} for 左右)"
    return ("met" if ok else "missed"), note, gap


def status(*args) -> str:
    return compare(*args)[0]


def note(*args) -> str:
    return compare(*args)[1]


def gap(*args) -> float | None:
    g = compare(*args)[2]
    return None if g is None else round(g, 6)


SYMBOLS = {">=": "≥", "<=": "≤", "~": "≈", "=": ""}


def show_value(comparator: str | None, value, masked, unit: str | None, measure: str | None = None,
               direction: str | None = None) -> str:
    """A target or a result as people read it: ≥7.5%, ≈6%, 326.4亿元, -3%, *%."""
    if masked:
        v = "*"
    elif value is None:
        return ""
    else:
        v = _fmt(_signed(float(value), measure, direction))
    return f"{SYMBOLS.get(comparator or '=', '')}{v}{unit or ''}"


# The args of the comparison, as SQL over the target row t and the metric row m.
_ARGS = ("t.comparator, t.value, t.masked, t.unit, t.measure, t.direction, "
         "m.value, m.masked, m.unit, m.measure, m.direction")


def track_sql(where: str = "1", prefix: str = "") -> str:
    """The track query. `where` filters the targets (aliases: g the target, s its speech);
    `prefix` holds CTEs that `where` uses (`name AS (…),` each, with the comma)."""
    return _TEMPLATE.format(prefix=prefix, where=where, args=_ARGS, min_name=int(_rules()["min_name"]))


_TEMPLATE = """WITH {prefix}
t AS MATERIALIZED (
  SELECT g.id AS target_id, g.speech_id, s.doc, s.locality, s.meeting_date, g.indicator, g.indicator_key,
         g.indicator_fold, g.measure, g.direction, g.comparator, g.value, g.masked, g.unit, g.deadline,
         g.deadline_from, g.deadline_to, g.modality, g.sentence_id, g.start
  FROM targets g JOIN speeches s ON s.id = g.speech_id
  WHERE {where}
),
c AS (
  SELECT t.target_id, m.id AS metric_id,
         ROW_NUMBER() OVER (PARTITION BY t.target_id ORDER BY m.measure IS NOT t.measure,
                            sm_track_status({args}) = 'unclear', s2.meeting_date, s2.doc, m.start) AS pick
  FROM t JOIN speeches s2 ON s2.locality = t.locality AND s2.id <> t.speech_id AND s2.meeting_date > t.meeting_date
  JOIN metrics m ON m.speech_id = s2.id AND m.period_end = t.deadline_to
  WHERE m.indicator_key = t.indicator_key
     OR (length(t.indicator_fold) >= {min_name} AND m.indicator_fold = t.indicator_fold)
),
cover AS (
  SELECT t.target_id, (SELECT s3.doc FROM speeches s3 JOIN metrics m3 ON m3.speech_id = s3.id
                       WHERE s3.locality = t.locality AND s3.id <> t.speech_id AND s3.meeting_date > t.meeting_date
                         AND m3.period_end = t.deadline_to ORDER BY s3.meeting_date, s3.doc LIMIT 1) AS doc
  FROM t
)
SELECT t.locality, t.indicator, t.indicator_key, t.measure,
       sm_track_show(t.comparator, t.value, t.masked, t.unit, t.measure, t.direction) AS target,
       t.deadline, t.deadline_from AS period_start, t.deadline_to AS period_end,
       sm_track_show('=', m.value, m.masked, m.unit, m.measure, m.direction) AS result, m.period AS result_period,
       CASE WHEN m.id IS NOT NULL THEN sm_track_status({args})
            WHEN t.deadline_to IS NULL OR t.locality IS NULL OR t.meeting_date IS NULL THEN 'unclear'
            WHEN cover.doc IS NOT NULL THEN 'unclear' ELSE 'no report yet' END AS status,
       CASE WHEN m.id IS NOT NULL THEN sm_track_note({args})
            WHEN t.locality IS NULL THEN 'the place of the target''s speech is unknown'
            WHEN t.deadline_to IS NULL OR t.meeting_date IS NULL THEN 'the target''s period is unknown'
            WHEN cover.doc IS NOT NULL THEN cover.doc || ' reports on the period but gives no figure for it'
            ELSE 'no later speech of ' || t.locality || ' reports on the period ending ' || t.deadline_to END AS note,
       CASE WHEN m.id IS NOT NULL THEN sm_track_gap({args}) END AS gap,
       t.comparator, t.value AS target_value, t.masked AS target_masked, t.unit AS target_unit, t.direction,
       t.modality, m.value AS result_value, m.masked AS result_masked, m.unit AS result_unit,
       m.measure AS result_measure, m.direction AS result_direction, m.period_start AS result_period_start,
       m.period_end AS result_period_end,
       t.doc AS target_doc, t.meeting_date AS target_date, se.text AS target_sentence,
       rs.doc AS result_doc, rs.meeting_date AS result_date, re.text AS result_sentence,
       t.speech_id AS target_speech_id, t.sentence_id AS target_sentence_id, t.target_id,
       m.speech_id AS result_speech_id, m.sentence_id AS result_sentence_id, m.id AS metric_id
FROM t LEFT JOIN c ON c.target_id = t.target_id AND c.pick = 1
LEFT JOIN metrics m ON m.id = c.metric_id
LEFT JOIN speeches rs ON rs.id = m.speech_id
LEFT JOIN cover ON cover.target_id = t.target_id
LEFT JOIN sentences se ON se.id = t.sentence_id
LEFT JOIN sentences re ON re.id = m.sentence_id
ORDER BY t.locality IS NULL, t.locality, t.deadline_to IS NULL, t.deadline_to, t.meeting_date, t.doc, t.start"""


def register_functions(conn) -> None:
    """The comparison as SQL functions (for TRACK_SQL on any connection)."""
    conn.create_function("sm_track_status", 11, status, deterministic=True)
    conn.create_function("sm_track_note", 11, note, deterministic=True)
    conn.create_function("sm_track_gap", 11, gap, deterministic=True)
    conn.create_function("sm_track_show", 6, show_value, deterministic=True)
