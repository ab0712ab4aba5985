"""The KPI chart as Plotly traces: baseline, observations (final, preliminary and forecast values marked apart),
targets, the planned path and the evaluator's forecast. The page draws them with /vendor/plotly.min.js."""
from __future__ import annotations

from datetime import date

from mieruka.web.formatting import quantity
from mieruka.web.i18n import translator

# Okabe–Ito colours and marker shapes: every series differs in shape as well as colour.
_STYLE = {
    "baseline": {"color": "#000000", "symbol": "square"},
    "final": {"color": "#0072B2", "symbol": "circle"},
    "preliminary": {"color": "#0072B2", "symbol": "circle-open"},
    "forecast": {"color": "#E69F00", "symbol": "diamond-open"},
    "reported": {"color": "#56B4E9", "symbol": "triangle-up"},
    "target": {"color": "#D55E00", "symbol": "star"},
    "interim": {"color": "#D55E00", "symbol": "star-open"},
}


def _point(kind: str, d: date | None, value: float | None, unit: str | None, text: str | None) -> dict | None:
    if d is None or value is None:
        return None
    return {"kind": kind, "date": d, "x": d.isoformat(), "y": value, "label": quantity(value, unit, text), "text": text or ""}


def _markers(name: str, kind: str, points: list[dict]) -> dict:
    style = _STYLE[kind]
    return {"type": "scatter", "mode": "markers", "name": name, "x": [p["x"] for p in points],
            "y": [p["y"] for p in points], "text": [f'{p["label"]}<br>{p["text"]}' for p in points],
            "hovertemplate": "%{x}<br>%{text}<extra>" + name + "</extra>",
            "marker": {"color": style["color"], "symbol": style["symbol"], "size": 12, "line": {"width": 2, "color": style["color"]}}}


def _line(name: str, points: list[dict], color: str, dash: str) -> dict:
    return {"type": "scatter", "mode": "lines", "name": name, "x": [p["x"] for p in points],
            "y": [p["y"] for p in points], "hoverinfo": "skip", "line": {"color": color, "dash": dash, "width": 2}}


def _planned_path(baseline: dict | None, targets: list[dict]) -> list[dict]:
    """Straight segments from the baseline through each dated target: the default (linear) planned path."""
    if baseline is None:
        return []
    steps = sorted(targets, key=lambda p: p["x"])
    return [baseline, *steps] if steps else []


def _forecast(ratings: list[dict]) -> list[dict]:
    """The evaluator's projection: from the latest actual to the value forecast at the deadline (rating details)."""
    for r in ratings:
        d = r.get("details") or {}
        if all(d.get(k) is not None for k in ("actual", "actual_as_of", "forecast", "deadline")):
            return [{"x": str(d["actual_as_of"]), "y": d["actual"]}, {"x": str(d["deadline"]), "y": d["forecast"]}]
    return []


def kpi_chart(kpi: dict, ratings: list[dict], lang: str) -> dict:
    """{"traces": [...], "points": [...], "unit": …}: points is the same data as a table for readers without the chart."""
    t = translator(lang)
    unit = kpi["unit"]
    b = kpi["baseline"]
    baseline = _point("baseline", b["as_of"], b["value"], b["unit"] or unit, b["text"]) if b else None
    # The same figure repeated by several documents is one point of the chart.
    observations = list({(p["kind"], p["x"], p["y"]): p for p in (
        _point(o["status"] or "reported", o["as_of"], o["value"], o["unit"] or unit, o["text"])
        for o in kpi["observations"]) if p}.values())
    targets = [p for p in (_point("interim" if x["interim"] else "target", x["deadline"], x["value"], x["unit"] or unit,
                                  x["text"]) for x in kpi["targets"] if not x["unset"]) if p]
    distinct_targets = list({(p["x"], p["y"]): p for p in targets}.values())
    traces = []
    path = _planned_path(baseline, distinct_targets)
    if path:
        traces.append(_line(t("chart.path"), path, "#009E73", "dash"))
    forecast = _forecast(ratings)
    if forecast:
        traces.append(_line(t("chart.forecast_line"), forecast, "#CC79A7", "dot"))
    if baseline:
        traces.append(_markers(t("chart.baseline"), "baseline", [baseline]))
    for kind in ("final", "preliminary", "forecast", "reported"):
        pts = [p for p in observations if p["kind"] == kind]
        if pts:
            traces.append(_markers(t(f"chart.{kind}"), kind, pts))
    for kind in ("target", "interim"):
        pts = [p for p in distinct_targets if p["kind"] == kind]
        if pts:
            traces.append(_markers(t(f"chart.{kind}"), kind, pts))
    points = sorted([*([baseline] if baseline else []), *observations, *distinct_targets], key=lambda p: p["x"])
    return {"traces": traces, "points": points, "unit": unit or ""}
