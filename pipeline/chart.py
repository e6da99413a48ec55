"""An indicator's history as a picture: results and targets by period, one panel per measure.

`history_spec(store, indicator, locality)` builds a Vega-Lite specification from the
store (results from `Store.history`, goals from `Store.targets`); `render_svg(spec)`
renders it to SVG on the server with vl-convert (the Vega project's converter, which
carries Vega and Vega-Lite inside its wheel), so the page needs no script and nothing
is fetched from the internet when it is viewed. vl-convert comes with the `[web]` extra.
"""
from __future__ import annotations

from typing import Any

from .dates import span_label

MEASURE_NAMES = {"level": "总量 level", "growth": "增速 growth", "delta": "变化 change", "share": "占比 share",
                 "rank": "位次 rank"}


def have_renderer() -> bool:
    try:
        import vl_convert  # noqa: F401
    except ImportError:
        return False
    return True


def _series(measure: str | None, unit: str | None) -> str:
    return f"{MEASURE_NAMES.get(measure or '', measure or '')} ({unit or '—'})"


def history_points(store, indicator: str, locality: str | None = None) -> list[dict[str, Any]]:
    """The points of the chart: every result of a resolved period with a figure, and every target
    with a resolved deadline and a value, as dicts (series, date, when, value, kind, source)."""
    points: list[dict[str, Any]] = []
    hist = store.history(indicator=indicator, locality=locality)
    rows = hist.records if hasattr(hist, "records") else hist.to_dict("records")
    for r in rows:
        if not r.get("period_end") or r.get("value") is None or r.get("masked") or r.get("measure") == "rank":
            continue
        v = float(r["value"])
        if r.get("measure") in ("growth", "delta") and r.get("direction") == "down" and v > 0:
            v = -v
        points.append({"series": _series(r["measure"], r.get("unit")), "date": r["period_end"],
                       "when": span_label(r.get("period_start"), r["period_end"]), "value": v,
                       "kind": "结果 result" + (" ≠" if r.get("conflict") else ""), "place": r.get("locality") or "",
                       "source": r.get("sources") or "", "indicator": r.get("indicator") or ""})
    tg = store.targets(indicator=indicator, locality=locality)
    rows = tg.records if hasattr(tg, "records") else tg.to_dict("records")
    for r in rows:
        value = r.get("value")
        if not r.get("period_end") or value is None or value != value or r.get("masked"):
            continue
        v = float(value)
        if r.get("measure") in ("growth", "delta") and r.get("direction") == "down" and v > 0:
            v = -v
        points.append({"series": _series(r.get("measure"), r.get("unit")), "date": r["period_end"],
                       "when": span_label(r.get("period_start"), r["period_end"]), "value": v,
                       "kind": "目标 target" + (" ≈" if r.get("comparator") == "~" else ""),
                       "place": r.get("locality") or "", "source": r.get("doc") or "",
                       "indicator": r.get("indicator") or ""})
    return points


def history_spec(points: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """A Vega-Lite spec: one panel per measure and unit (independent scales), periods along x,
    results as a line with points, targets as open diamonds beside them, colour by place."""
    # the periods as labels (2016, 2017Q3, 2023-01~06) in the order of their ends
    x = {"field": "when", "type": "ordinal", "title": None, "sort": {"field": "date", "op": "min"},
         "axis": {"labelAngle": 0}}
    y = {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False}}
    tooltip = [{"field": "when", "title": "时期 period"}, {"field": "value", "title": "数值 value"},
               {"field": "kind", "title": "类别 kind"}, {"field": "place", "title": "地区 place"},
               {"field": "source", "title": "讲话 speech"}]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "data": {"values": points},
        "facet": {"row": {"field": "series", "type": "nominal", "title": None, "header": {"labelAngle": 0,
                                                                                        "labelAlign": "left"}}},
        "spec": {
            "width": 560, "height": 180,
            "layer": [
                {"transform": [{"filter": "indexof(datum.kind, 'result') >= 0"}],
                 "mark": {"type": "line", "point": {"filled": True, "size": 60}},
                 "encoding": {"x": x, "y": y, "color": {"field": "place", "type": "nominal", "title": "地区 place"},
                              "tooltip": tooltip}},
                {"transform": [{"filter": "indexof(datum.kind, 'target') >= 0"}],
                 "mark": {"type": "point", "shape": "diamond", "filled": False, "size": 160, "strokeWidth": 2},
                 "encoding": {"x": x, "y": y, "color": {"field": "place", "type": "nominal"},
                              "shape": {"field": "kind", "type": "nominal", "title": "目标 target"},
                              "tooltip": tooltip}},
                {"mark": {"type": "text", "dy": -12, "fontSize": 10},
                 "encoding": {"x": x, "y": y, "text": {"field": "value", "type": "quantitative"}}},
            ],
        },
        "resolve": {"scale": {"y": "independent"}},
        "config": {"font": "sans-serif"},
    }


def render_svg(spec: dict[str, Any]) -> str:
    """The spec as SVG (vl-convert; no network)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)
