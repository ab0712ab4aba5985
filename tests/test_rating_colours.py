"""Ratings across schemes (issue 12, item 5): every code of every scheme file has a label in Japanese and in English
and one of four meanings (achieved, on track, behind, not judged); a meaning has one colour and one mark on every page,
whatever the scheme; the four colours stay apart for colour-blind readers (simulated protan, deutan and tritan vision,
Machado et al. 2009 at full severity) and the badge's text keeps its contrast; a code spelled as an English word (the
ESCAP method's) is never shown as such on a page: its label in the page's language is."""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from mieruka.evaluate.schemes import MEANINGS, SchemeError, available, load
from mieruka.web.ratings import rating_info

CSS = (Path(__file__).resolve().parents[1] / "src" / "mieruka" / "web" / "static" / "style.css").read_text()
SIMULATIONS = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritan": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
MIN_DELTA_E = 20  # CIE76 distance between any two meanings' colours, under every simulation


def _linear(hex_colour: str) -> list[float]:
    out = []
    for i in (1, 3, 5):
        c = int(hex_colour[i:i + 2], 16) / 255
        out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return out


def _lab(rgb: list[float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _seen(hex_colour: str, how: str) -> tuple[float, float, float]:
    m, rgb = SIMULATIONS[how], _linear(hex_colour)
    return _lab([min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3)])


def _luminance(hex_colour: str) -> float:
    r, g, b = _linear(hex_colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _css_colour(value: str) -> str:
    found = re.fullmatch(r"var\((--[a-z]+)\)", value.strip())
    if found:
        value = re.search(re.escape(found.group(1)) + r":\s*(#[0-9A-Fa-f]{6})", CSS).group(1)
    return value.strip()


def _rule(selector: str) -> dict[str, str]:
    body = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS).group(1)
    return {k.strip(): _css_colour(v) for k, v in (p.split(":", 1) for p in body.split(";") if ":" in p)}


def test_every_code_has_both_labels_and_a_meaning():
    names = available()
    assert {"reform-schedule", "policy-evaluation", "progress-cagr", "municipal-sabc"} <= set(names)
    for name in names:
        for code, c in load(name).codes.items():
            assert c.ja and c.en and c.ja != c.en, (name, code)
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.ja) and not re.search(r"[\u3040-\u30ff]", c.en), (name, code)
            assert c.meaning in MEANINGS, (name, code)


def test_one_meaning_one_class_across_schemes():
    tones = {(name, code): rating_info(name, code, "ja")["tone"] for name in available() for code in load(name).codes}
    assert tones[("reform-schedule", "A")] == tones[("policy-evaluation", "ロ")] == tones[("progress-cagr", "substantial")] \
        == tones[("municipal-sabc", "A")] == "on_track"
    assert tones[("policy-evaluation", "イ")] == tones[("progress-cagr", "achieved")] == tones[("municipal-sabc", "S")] \
        == "achieved"
    assert tones[("reform-schedule", "B")] == tones[("policy-evaluation", "ハ")] == tones[("progress-cagr", "deterioration")] \
        == "behind"
    assert tones[("reform-schedule", "N")] == tones[("reform-schedule", "F")] == tones[("policy-evaluation", "ー")] \
        == tones[("progress-cagr", "na")] == "not_judged"
    assert set(tones.values()) == set(MEANINGS)


def test_a_scheme_file_may_say_a_meaning_and_only_one_of_the_four(tmp_path):
    text = 'name = "x"\n[codes.good]\nja = "良い"\nen = "good"\nmeaning = "{}"\n[[rules]]\ncode = "good"\n'
    path = tmp_path / "x.toml"
    path.write_text(text.format("behind"), encoding="utf-8")
    assert load(path).codes["good"].meaning == "behind"
    path.write_text(text.format("green"), encoding="utf-8")
    with pytest.raises(SchemeError, match="codes.good.meaning: expected one of achieved, on_track, behind, not_judged"):
        load(path)


@pytest.mark.parametrize("part", ["border-color", "bar"])
def test_the_four_colours_stay_apart_for_colour_blind_readers(part):
    colours = {m: (_rule(f".bar .tone-{m}")["background"] if part == "bar" else _rule(f".tone-{m}")["border-color"])
               for m in MEANINGS}
    assert len(set(colours.values())) == 4
    for how in SIMULATIONS:
        for a, b in itertools.combinations(MEANINGS, 2):
            distance = sum((x - y) ** 2 for x, y in zip(_seen(colours[a], how), _seen(colours[b], how))) ** 0.5
            assert distance >= MIN_DELTA_E, (part, how, a, b, round(distance, 1))


def test_never_colour_alone_each_meaning_has_its_mark_and_readable_text():
    marks = {m: re.search(r"\.tone-" + m + r" \.mark::before \{ content: \"(.)\"; \}", CSS).group(1) for m in MEANINGS}
    assert marks == {"achieved": "◎", "on_track": "○", "behind": "△", "not_judged": "－"}
    for m in MEANINGS:
        rule = _rule(f".tone-{m}")
        light, dark = sorted((_luminance(rule["background"]), _luminance(rule["color"])), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 7, m  # WCAG AAA for the badge's words


def test_an_english_word_code_shows_its_label_in_the_pages_language():
    ja, en = rating_info("progress-cagr", "substantial", "ja"), rating_info("progress-cagr", "substantial", "en")
    assert ja == {"label": "大きく進展（必要な成長率の95%以上）", "tone": "on_track", "mark": ""}
    assert en["label"] == "substantial progress (95 % or more of the required growth)" and en["mark"] == ""
    assert rating_info("reform-schedule", "B", "en") == {"label": "behind", "tone": "behind", "mark": "B"}
