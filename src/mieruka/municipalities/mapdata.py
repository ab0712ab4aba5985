"""Prefecture outlines shipped as GeoJSON (data/prefectures.geojson, source and licence in prefectures.toml beside it),
and choropleth maps drawn from them as plain SVG. Nothing is fetched from outside, so a map page makes no outside request."""
from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib.resources import files
from typing import Callable, Mapping

from mieruka.jp import format_value

# ColorBrewer "Blues", 5 classes: one hue from light to dark reads the same to colour-blind readers,
# and the legend, the tooltips and the table beside each map carry the numbers as text as well.
PALETTE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "url(#nodata)"
HIGHLIGHT = "#d95f02"

# 沖縄県 is drawn in an inset in the empty sea at the top left, as printed maps of Japan do.
_OKINAWA = "47"
_OKINAWA_SHIFT = (2.0, 17.9)
# Longitude degrees shrink with latitude; scaling by cos 36° (mid-Honshu) keeps shapes recognisable.
_X_SCALE = math.cos(math.radians(36.0))

_DATA = files("mieruka.municipalities") / "data"


def prefecture_names() -> dict[str, str]:
    """Two-digit prefecture code → name, in the JIS order."""
    return {f["id"]: f["properties"]["name"] for f in prefecture_geojson()["features"]}


@lru_cache(maxsize=1)
def prefecture_geojson() -> dict:
    """A FeatureCollection of the 47 prefectures in code order (their main area, in longitude/latitude).

    Islands apart from a prefecture's main area are not in it."""
    return json.loads(_DATA.joinpath("prefectures.geojson").read_text(encoding="utf-8"))


def outline_source() -> dict:
    """Where the outlines come from: source, source_url, licence, upstream, changes."""
    return tomllib.loads(_DATA.joinpath("prefectures.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    colour: str


def bins(values: list[float], count: int = len(PALETTE)) -> list[Bin]:
    """Equal-width classes from the smallest to the largest value, darker for larger.

    Whole numbers (counts of municipalities) get whole-number classes that do not share an end
    (1–5, 6–11 団体), and no more classes than there are numbers between the two ends."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [Bin(low, high, PALETTE[-1])]
    if all(float(v).is_integer() for v in values):
        return _whole_bins(int(low), int(high), count)
    width = (high - low) / count
    return [Bin(low + i * width, high if i == count - 1 else low + (i + 1) * width, PALETTE[i]) for i in range(count)]


def _whole_bins(low: int, high: int, count: int) -> list[Bin]:
    span = high - low + 1
    classes = min(count, span)
    edges = [low + i * span // classes for i in range(classes + 1)]
    # Fewer classes still run from the lightest to the darkest colour.
    colours = [PALETTE[round(i * (len(PALETTE) - 1) / (classes - 1))] for i in range(classes)]
    return [Bin(edges[i], edges[i + 1] - 1, colours[i]) for i in range(classes)]


def colour_of(value: float | None, classes: list[Bin]) -> str:
    if value is None or not classes:
        return NO_DATA
    for c in classes:
        if value <= c.high:
            return c.colour
    return classes[-1].colour


@dataclass(frozen=True)
class _Frame:
    west: float
    north: float
    scale: float
    width: float
    height: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * _X_SCALE * self.scale, (self.north - lat) * self.scale


def _placed(code: str, ring: list[list[float]]) -> list[tuple[float, float]]:
    if code != _OKINAWA:
        return [(lon, lat) for lon, lat in ring]
    dx, dy = _OKINAWA_SHIFT
    return [(lon + dx, lat + dy) for lon, lat in ring]


@lru_cache(maxsize=4)
def _shapes(width: int) -> tuple[_Frame, tuple[tuple[str, str], ...], tuple[float, float, float, float]]:
    """The SVG path of every prefecture at this width, and the box around the Okinawa inset."""
    placed = {f["id"]: _placed(f["id"], f["geometry"]["coordinates"][0]) for f in prefecture_geojson()["features"]}
    lons = [lon for ring in placed.values() for lon, _ in ring]
    lats = [lat for ring in placed.values() for _, lat in ring]
    margin = 0.3
    west, east = min(lons) - margin, max(lons) + margin
    south, north = min(lats) - margin, max(lats) + margin
    scale = width / ((east - west) * _X_SCALE)
    frame = _Frame(west, north, scale, width, (north - south) * scale)
    paths = tuple((code, _path(frame, ring)) for code, ring in placed.items())
    okinawa = placed[_OKINAWA]
    x0, y0 = frame.xy(min(lon for lon, _ in okinawa) - 0.25, max(lat for _, lat in okinawa) + 0.25)
    x1, y1 = frame.xy(max(lon for lon, _ in okinawa) + 0.25, min(lat for _, lat in okinawa) - 0.25)
    return frame, paths, (x0, y0, x1 - x0, y1 - y0)


def _path(frame: _Frame, ring: list[tuple[float, float]]) -> str:
    steps = []
    for i, (lon, lat) in enumerate(ring):
        x, y = frame.xy(lon, lat)
        steps.append(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}")
    return "".join(steps) + "Z"


def choropleth_svg(
    values: Mapping[str, float | None],
    *,
    unit: str = "",
    title: str = "",
    highlight: str | None = None,
    link: Callable[[str], str] | None = None,
    notes: Mapping[str, str] | None = None,
    width: int = 560,
    no_data: str = "データなし",
) -> str:
    """An SVG map shading each prefecture (two-digit code → value) by its value, with a legend.

    `highlight` outlines one prefecture; `link` makes each prefecture a link; `notes` adds text to a
    prefecture's tooltip (e.g. "12 / 40 団体"). Prefectures without a value are hatched, not coloured, and
    the legend calls them `no_data` (the page's language). With links the map is a labelled group of links, not an
    image: links inside role="img" would be interactive elements nested in a non-interactive one."""
    names = prefecture_names()
    present = [v for v in values.values() if v is not None]
    classes = bins(present)
    frame, paths, (bx, by, bw, bh) = _shapes(width)
    legend_height = 22 * (len(classes) + 1) + 8
    height = frame.height
    role = "group" if link else "img"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth" role="{role}" viewBox="0 0 {width} {height:.0f}"'
        f' width="{width}" height="{height:.0f}" aria-label="{escape(title or "都道府県別の地図")}">',
        f"<title>{escape(title or '都道府県別の地図')}</title>",
        '<defs><pattern id="nodata" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f4f4f4"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="1.5"/>'
        "</pattern></defs>",
        f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw:.1f}" height="{bh:.1f}" fill="none" stroke="#888" stroke-dasharray="3 2"/>',
    ]
    highlighted = ""
    for code, d in paths:
        value = values.get(code)
        label = f"{names[code]}: {format_value(value, unit)}"
        if notes and notes.get(code):
            label += f" ({notes[code]})"
        shape = (f'<path d="{d}" fill="{colour_of(value, classes)}" stroke="#7f7f7f" stroke-width="0.5" data-code="{code}"'
                 f' data-value="{"" if value is None else value}"><title>{escape(label)}</title></path>')
        if link:
            shape = f'<a href="{escape(link(code))}" aria-label="{escape(label)}">{shape}</a>'
        parts.append(shape)
        if code == highlight:
            highlighted = f'<path d="{d}" fill="none" stroke="{HIGHLIGHT}" stroke-width="2.5" class="highlight" pointer-events="none"/>'
    parts.append(highlighted)
    parts.append(_legend(classes, unit, width - 170, height - legend_height, no_data))
    parts.append("</svg>")
    return "".join(parts)


def _legend(classes: list[Bin], unit: str, x: float, y: float, no_data: str = "データなし") -> str:
    rows = [f'<g class="legend" transform="translate({x:.0f},{y:.0f})" font-size="12">']
    for i, c in enumerate(reversed(classes)):
        label = format_value(c.low, unit) if c.low == c.high else f"{format_value(c.low)}–{format_value(c.high, unit)}"
        rows.append(f'<rect x="0" y="{i * 22}" width="18" height="16" fill="{c.colour}" stroke="#666"/>'
                    f'<text x="24" y="{i * 22 + 13}">{escape(label)}</text>')
    i = len(classes)
    rows.append(f'<rect x="0" y="{i * 22}" width="18" height="16" fill="{NO_DATA}" stroke="#666"/>'
                f'<text x="24" y="{i * 22 + 13}">{escape(no_data)}</text>')
    rows.append("</g>")
    return "".join(rows)
