"""The KPI chart as Plotly traces: baseline, observations (final, preliminary and forecast values marked apart),
targets, the planned path and the evaluator's forecast. The page draws them with /vendor/plotly.min.js."""
from __future__ import annotations

from datetime import date
from html import escape

from mieruka.evaluate.series import FALLING_UNITS, Point, resolve_target
from mieruka.jp import fiscal_year_of
from mieruka.web.formatting import YEN_UNITS, quantity
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


def _point(kind: str, d: date | None, value: float | None, unit: str | None, text: str | None,
           precision: str | None = None) -> dict | None:
    if d is None or value is None:
        return None
    return {"kind": kind, "date": d, "x": d.isoformat(), "y": value, "label": quantity(value, unit, text), "text": text or "",
            "precision": precision}


def fiscal_year_ticks(points: list[dict], lang: str) -> list[dict]:
    """A yearly KPI (every point given to the fiscal year) is charted on fiscal years: a tick at each 31 March
    labelled 2016年度 (FY2016), from the first point's year to the last."""
    if not points or any(p.get("precision") != "fiscal_year" for p in points):
        return []
    years = [fiscal_year_of(p["date"]) for p in points]
    return [{"x": date(fy + 1, 3, 31).isoformat(), "label": f"FY{fy}" if lang == "en" else f"{fy}年度"}
            for fy in range(min(years), max(years) + 1)]


def _plotly_text(value: str) -> str:
    """Plotly reads <a href>, <b> and <br> in hover text as markup and shows entities as characters: a document's
    own text is escaped, so a value such as <a href="javascript:…"> stays text."""
    return escape(value, quote=False)


def _markers(name: str, kind: str, points: list[dict]) -> dict:
    style = _STYLE[kind]
    name = _plotly_text(name)
    return {"type": "scatter", "mode": "markers", "name": name, "x": [p["x"] for p in points],
            "y": [p["y"] for p in points],
            "text": [f'{_plotly_text(p["label"])}<br>{_plotly_text(p["text"])}' for p in points],
            "hovertemplate": "%{x}<br>%{text}<extra>" + name + "</extra>",
            "marker": {"color": style["color"], "symbol": style["symbol"], "size": 12, "line": {"width": 2, "color": style["color"]}}}


def _line(name: str, points: list[dict], color: str, dash: str) -> dict:
    return {"type": "scatter", "mode": "lines", "name": name, "x": [p["x"] for p in points],
            "y": [p["y"] for p in points], "hoverinfo": "skip", "line": {"color": color, "dash": dash, "width": 2}}


def target_value(target: dict, kpi: dict) -> float | None:
    """A stated target, or a relative one (3割圧縮, 倍増) worked out from its base the way the evaluator does."""
    if target["value"] is not None or not target.get("relative"):
        return target["value"]
    known = [Point(float(o["value"]), o["as_of"]) for o in [kpi["baseline"] or {}, *kpi["observations"]]
             if o.get("value") is not None and o.get("as_of")]
    b = kpi["baseline"]
    base = Point(float(b["value"]), b["as_of"]) if b and b["value"] is not None else None
    goal = resolve_target(target, known, base, {})
    return goal.value if goal else None


# Money is charted in the unit the documents write it in, so the axis never reads "400B".
_MONEY_SCALES = ((1e8, "億円"), (1e6, "百万円"), (1.0, "円"))


def _money_scale(unit: str | None, values: list[float]) -> tuple[float, str | None]:
    """(divisor, axis unit): 億円 or 百万円 for amounts in 円, else (1, the KPI's own unit)."""
    if unit not in YEN_UNITS:
        return 1.0, unit
    top = max((abs(v) for v in values), default=0.0)
    return next((scale, name) for scale, name in _MONEY_SCALES if top >= scale or scale == 1.0)


def _planned_path(baseline: dict | None, targets: list[dict], falling: bool) -> list[dict]:
    """Straight segments from the baseline through each dated target: the default (linear) planned path. The path
    only runs in the KPI's direction: a later target that asks for less than the path already reached (平成28年度値以上
    after the rank improved to 4位, now 16位以内) starts a new segment at the previous point's date, with a gap
    between (a break of the line, never a planned decline)."""
    if baseline is None or not targets:
        return []
    path = [baseline]
    for step in sorted(targets, key=lambda p: p["x"]):
        here = path[-1]
        backwards = step["y"] > here["y"] if falling else step["y"] < here["y"]
        if backwards:
            path += [{"x": None, "y": None}, {**step, "x": here["x"], "date": here["date"]}]
        path.append(step)
    return path


def _forecast(ratings: list[dict]) -> list[dict]:
    """The evaluator's projection: from the latest actual to the value forecast at the deadline (rating details)."""
    for r in ratings:
        d = r.get("details") or {}
        if all(d.get(k) is not None for k in ("actual", "actual_as_of", "forecast", "deadline")):
            if str(d["actual_as_of"]) >= str(d["deadline"]):
                return []  # measured at or after the deadline: nothing left to project
            return [{"x": str(d["actual_as_of"]), "y": d["actual"]}, {"x": str(d["deadline"]), "y": d["forecast"]}]
    return []


def kpi_chart(kpi: dict, ratings: list[dict], lang: str) -> dict:
    """{"traces": [...], "points": [...], "unit": …}: points is the same data as a table for readers without the chart."""
    t = translator(lang)
    unit = kpi["unit"]
    b = kpi["baseline"]
    baseline = _point("baseline", b["as_of"], b["value"], b["unit"] or unit, b["text"], b.get("as_of_precision")) if b else None
    # The same figure repeated by several documents is one point of the chart.
    observations = list({(p["kind"], p["x"], p["y"]): p for p in (
        _point(o["status"] or "reported", o["as_of"], o["value"], o["unit"] or unit, o["text"], o.get("as_of_precision"))
        for o in kpi["observations"]) if p}.values())
    targets = [p for p in (_point("interim" if x["interim"] else "target", x["deadline"], target_value(x, kpi),
                                  x["unit"] or unit, x["text"], x.get("deadline_precision"))
                           for x in kpi["targets"] if not x["unset"]) if p]
    distinct_targets = list({(p["x"], p["y"]): p for p in targets}.values())
    traces = []
    falling = kpi["direction"] == "down"
    path = _planned_path(baseline, distinct_targets, falling)
    if path:
        traces.append(_line(t("chart.path"), path, "#009E73", "dash"))
    forecast = _forecast(ratings)
    if forecast:
        traces.append(_line(t("chart.forecast_line"), forecast, "#CC79A7", "dot"))
    if baseline:
        traces.append(_markers(t("chart.baseline"), "baseline", [baseline]))
    for kind in ("final", "preliminary", "reported", "forecast"):  # actual values before forecast ones
        pts = [p for p in observations if p["kind"] == kind]
        if pts:
            traces.append(_markers(t(f"chart.{kind}"), kind, pts))
    for kind in ("target", "interim"):
        pts = [p for p in distinct_targets if p["kind"] == kind]
        if pts:
            traces.append(_markers(t(f"chart.{kind}"), kind, pts))
    points = sorted([*([baseline] if baseline else []), *observations, *distinct_targets], key=lambda p: p["x"])
    scale, axis_unit = _money_scale(unit, [y for tr in traces for y in tr["y"] if y is not None])
    if scale != 1.0:
        for tr in traces:
            tr["y"] = [None if y is None else y / scale for y in tr["y"]]
    # A rank improves downward: its axis runs with the best (1位) at the top.
    return {"traces": traces, "points": points, "unit": axis_unit or "", "reversed": unit in FALLING_UNITS,
            "fiscal_years": fiscal_year_ticks(points, lang)}
