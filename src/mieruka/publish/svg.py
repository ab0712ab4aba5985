"""A KPI's values as a static SVG line chart, drawn here from the numbers: no script, so it prints and embeds
anywhere (print view, PDF, static site)."""
from __future__ import annotations

import math
from datetime import date
from html import escape

from mieruka.jp import format_value

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi == lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = (lo // step) * step
    out, v = [], start
    while v <= hi + step * 1e-9:
        if v >= lo - step * 1e-9:
            out.append(round(v, 10))
        v += step
    return out


def line_chart(series: list[dict], unit: str | None, title: str, lang: str = "ja") -> str:
    """series: [{"label", "kind": "actual"|"target"|"baseline", "points": [(date, value)]}]. Values without a
    number are left out; with no number at all the chart says so."""
    pts = [(d, v) for s in series for d, v in s["points"] if d is not None and v is not None]
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}" font-family="Noto Sans CJK JP, sans-serif" font-size="11">')
    if not pts:
        return head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">{"No numeric actuals or targets" if lang == "en" else "数値の実績・目標なし"}</text></svg>'
    d0 = min(d for d, _ in pts).toordinal()
    d1 = max(d for d, _ in pts).toordinal()
    if d1 == d0:
        d0, d1 = d0 - 180, d1 + 180
    values = [v for _, v in pts]
    lo, hi = min(0.0, min(values)), max(values)
    if hi == lo:
        hi = lo + 1
    hi += (hi - lo) * 0.08
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        return LEFT + (d.toordinal() - d0) / (d1 - d0) * pw

    def y(v: float) -> float:
        return TOP + ph - (v - lo) / (hi - lo) * ph

    parts = [head, f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for t in _ticks(lo, hi):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 4}" y="{y(t) + 4:.1f}" text-anchor="end">{escape(format_value(t, ""))}</text>')
    for year in range(date.fromordinal(d0).year, date.fromordinal(d1).year + 2):
        d = date(year, 4, 1)
        if d0 <= d.toordinal() <= d1:
            parts.append(f'<line x1="{x(d):.1f}" x2="{x(d):.1f}" y1="{TOP}" y2="{TOP + ph}" stroke="#eee"/>'
                         f'<text x="{x(d):.1f}" y="{TOP + ph + 14}" text-anchor="middle">{f"FY{year}" if lang == "en" else f"{year}年度"}</text>')
    style = {"actual": ("#1f4e9c", ""), "target": ("#c0392b", ' stroke-dasharray="5 4"'), "baseline": ("#555", "")}
    legend_x = LEFT
    for s in series:
        points = sorted((d, v) for d, v in s["points"] if d is not None and v is not None)
        if not points:
            continue
        color, dash = style.get(s["kind"], ("#333", ""))
        if len(points) > 1:
            path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for d, v in points:
            label = escape(f"{d.isoformat()} {format_value(v, unit or '')}")
            if s["kind"] == "target":
                parts.append(f'<path d="M{x(d):.1f} {y(v) - 5:.1f}l5 5-5 5-5-5z" fill="{color}"><title>{label}</title></path>')
            else:
                parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}"><title>{label}</title></circle>')
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{legend_x + 14}" y="{HEIGHT - 5}">{escape(s["label"])}</text>')
        legend_x += 24 + 12 * len(s["label"])
    if unit:
        parts.append(f'<text x="{LEFT}" y="{TOP - 4}">{f"({escape(unit)})" if lang == "en" else f"（{escape(unit)}）"}</text>')
    parts.append("</svg>")
    return "".join(parts)
