"""Prefecture outlines shipped as GeoJSON (exported from japanmap), the colour classes, and the SVG choropleth.
Point-in-polygon checks on real city coordinates prove the outlines sit where they should."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from mieruka.municipalities import mapdata
from mieruka.municipalities.mapdata import (
    NO_DATA,
    PALETTE,
    bins,
    choropleth_svg,
    colour_of,
    outline_source,
    prefecture_geojson,
    prefecture_names,
)


def _inside(point, ring) -> bool:
    """Ray casting: is (lon, lat) inside the closed ring?"""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _ring(code):
    feature = next(f for f in prefecture_geojson()["features"] if f["id"] == code)
    return feature["geometry"]["coordinates"][0]


def test_47_features_in_code_order_with_names():
    features = prefecture_geojson()["features"]
    assert [f["id"] for f in features] == [f"{i:02d}" for i in range(1, 48)]
    assert [features[i]["properties"]["name"] for i in (0, 12, 13, 26, 46)] == ["北海道", "東京都", "神奈川県", "大阪府", "沖縄県"]
    assert prefecture_names()["14"] == "神奈川県"
    for f in features:
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) > 10


@pytest.mark.parametrize("code,lon,lat", [
    ("13", 139.767, 35.681),  # 東京駅
    ("01", 141.354, 43.062),  # 札幌
    ("27", 135.500, 34.693),  # 大阪市役所
    ("14", 139.391, 35.446),  # 海老名市役所
    ("47", 127.681, 26.212),  # 那覇
])
def test_cities_fall_inside_their_own_prefecture_only(code, lon, lat):
    assert _inside((lon, lat), _ring(code))
    assert [c for c in prefecture_names() if _inside((lon, lat), _ring(c))] == [code]


def test_equal_width_classes_darker_for_larger():
    classes = bins([0.5, 10, 20, 30, 40, 50.5])
    assert [(c.low, c.high) for c in classes] == [(0.5, 10.5), (10.5, 20.5), (20.5, 30.5), (30.5, 40.5), (40.5, 50.5)]
    assert [colour_of(v, classes) for v in (0.5, 10.5, 10.6, 50.5)] == [PALETTE[0], PALETTE[0], PALETTE[1], PALETTE[4]]
    assert colour_of(None, classes) == NO_DATA
    assert [(c.low, c.high, c.colour) for c in bins([7, 7])] == [(7, 7, PALETTE[-1])]
    assert bins([]) == []


def test_whole_numbers_get_whole_classes_that_do_not_overlap():
    # Counts of municipalities per prefecture, 1 to 29 団体 (the browser test's survey).
    classes = bins([1.0, 7.0, 29.0, 12.0])
    assert [(c.low, c.high) for c in classes] == [(1, 5), (6, 11), (12, 17), (18, 23), (24, 29)]
    assert [colour_of(v, classes) for v in (5, 6, 29)] == [PALETTE[0], PALETTE[1], PALETTE[4]]
    three = bins([0, 2])
    assert [(c.low, c.high, c.colour) for c in three] == [(0, 0, PALETTE[0]), (1, 1, PALETTE[2]), (2, 2, PALETTE[4])]


def test_svg_map_shades_links_and_highlights():
    values = {code: float(i) for i, code in enumerate(prefecture_names())}
    values["13"] = None
    svg = choropleth_svg(values, unit="%", title="実施率 <2017>", highlight="14", link=lambda c: f"/local/pref/{c}",
                         notes={"14": "5 / 33 団体"})
    paths = re.findall(r'<path d="[^"]+" fill="([^"]+)"[^>]*data-code="(\d\d)" data-value="([^"]*)"><title>([^<]*)</title>', svg)
    assert len(paths) == 47
    shown = {code: (fill, value, title) for fill, code, value, title in paths}
    assert shown["13"] == (NO_DATA, "", "東京都: データなし")
    assert shown["01"] == (PALETTE[0], "0.0", "北海道: 0%")
    assert shown["47"] == (PALETTE[4], "46.0", "沖縄県: 46%")
    assert shown["14"][2] == "神奈川県: 13% (5 / 33 団体)"
    assert 'href="/local/pref/14"' in svg
    assert svg.count('class="highlight"') == 1
    assert "実施率 &lt;2017&gt;" in svg
    # Served as is: the only URL in it is the SVG namespace, nothing to fetch.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]


def test_legend_lists_the_classes_and_no_data():
    svg = choropleth_svg({"01": 1.0, "02": 3.0}, unit="団体")
    legend = re.search(r'<g class="legend".*?</g>', svg).group(0)
    assert re.findall(r"<text[^>]*>([^<]+)</text>", legend) == [
        "3団体", "2団体", "1団体", "データなし"]
    rates = choropleth_svg({"01": 5.3, "02": 42.1}, unit="%")
    assert re.findall(r"<text[^>]*>([^<]+)</text>", re.search(r'<g class="legend".*?</g>', rates).group(0))[:2] == [
        "34.7–42.1%", "27.4–34.7%"]


# sha256 of what the code drawing from the japanmap package produced, captured before the outlines became
# mieruka's own file: the maps must not change by a byte, except the linked map's role="group" (was "img": links
# inside an image are nested interactive elements; the link-free map stays an image).
JAPANMAP_GEOJSON_SHA256 = "1ea56631e73efe378f272177861062877e2272891852c54510cceb44f74b88e4"
JAPANMAP_SVG_SHA256 = {
    "links": "8ca876ae842b05769b3302470dc2e3e30ce4a3ac3ef1b3ebd78b07165820bb56",
    "narrow": "8c21ec362faeb07428fad78f4a4d82550a70c91ffaba68276ce15c4f14c09e93",
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_outlines_are_those_exported_from_japanmap():
    features = prefecture_geojson()["features"]
    assert sum(len(f["geometry"]["coordinates"][0]) for f in features) == 5500
    assert _sha256(json.dumps(prefecture_geojson(), ensure_ascii=False, separators=(",", ":"))) == JAPANMAP_GEOJSON_SHA256


def test_the_svg_maps_are_byte_identical_to_those_drawn_from_japanmap():
    values = {code: float(i) for i, code in enumerate(prefecture_names())}
    values["13"] = None
    links = choropleth_svg(values, unit="%", title="実施率 <2017>", highlight="14", link=lambda c: f"/local/pref/{c}",
                           notes={"14": "5 / 33 団体"})
    narrow = choropleth_svg({"01": 1.0, "02": 3.0, "47": 2.0}, unit="団体", width=320)
    assert (len(links), len(narrow)) == (75319, 70410)
    assert links.count('role="group"') == 1 and 'role="img"' in narrow and links.count("<a href=") == 47
    assert {"links": _sha256(links), "narrow": _sha256(narrow)} == JAPANMAP_SVG_SHA256


def test_the_outlines_record_their_source_and_licence():
    source = outline_source()
    assert source["source"] == "japanmap 0.6.0 (Saito Tsutomu), data file japanmap/japan.json"
    assert source["licence"].startswith("Apache License 2.0")
    licence_text = Path(mapdata.__file__).parent.joinpath("data", "prefectures-LICENSE.txt").read_text(encoding="utf-8")
    assert "Apache License" in licence_text and "Copyright 2022 Saito Tsutomu" in licence_text
