"""mieruka.jp against real cells of the seed documents (skipped when ../shared/seeds is absent).
Cells are located in the files, not copied, so a change of extraction shows up here."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from mieruka.jp import ParseError, parse, parse_all, parse_date, parse_transition, strip_markers

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _text(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    path = next(SEEDS.glob(f"{prefix}_*.txt"), None)
    if path is None:
        pytest.skip(f"seed {prefix} not found")
    return path.read_text(encoding="utf-8", errors="replace")


def _row(prefix: str, name: str) -> list[str]:
    """Tab-separated cells of the first row whose cells include one containing *name*."""
    for line in _text(prefix).splitlines():
        cells = [re.sub(r"<[^>]+>", " ", c).strip() for c in line.split("\t")]
        if any(name in c for c in cells):
            return cells
    raise AssertionError(f"no row with {name!r} in seed {prefix}")


def _cell(prefix: str, pattern: str) -> str:
    """The first tab-separated cell (or line, for PDF text) matching regex *pattern*."""
    for line in _text(prefix).splitlines():
        for c in line.split("\t"):
            if re.search(pattern, c):
                return c
    raise AssertionError(f"no cell matching {pattern!r} in seed {prefix}")


def test_reform_schedule_kpi_row():
    row = _row("000", "- 1 窓口業務のアウトソーシング")
    target = next(c for c in row if "までに" in c)
    actual = next(c for c in row if "速報値" in c)
    t, a = parse(target, "target"), parse(actual, "actual")
    assert (t.value, t.unit, t.deadline) == (416, "団体", date(2021, 3, 31))
    assert (a.value, a.as_of, a.status) == (301, date(2017, 4, 1), "preliminary")
    note = next(c for c in row if "確報値" in c)
    assert parse_date(note) == date(2017, 4, 1)


def test_reform_schedule_name_markers():
    row = _row("000", "- 1 窓口業務のアウトソーシング")
    name_cell = next(c for c in row if "窓口業務のアウトソーシング" in c)
    clean, _ = strip_markers(name_cell.split("第一階層")[-1])
    assert clean == "窓口業務のアウトソーシング"
    pdf_line = _cell("001", r"①窓口業務のアウトソーシング")
    assert strip_markers(pdf_line + "【再掲】")[0] == clean


def test_unset_target_with_typo():
    cell = _cell("000", r"^検討中")
    p = parse(cell, "target")
    assert p.unset and p.promised_by == date(2017, 3, 31) and p.value is None


def test_convenience_store_two_quantities():
    cell = _cell("000", r"^430団体、約7,693万人")
    items = parse_all(cell, "actual")
    assert [(p.value, p.unit) for p in items] == [(430, "団体"), (76_930_000, "人")]
    assert all(p.as_of == date(2017, 8, 31) for p in items)


def test_system_count_half():
    cell = _cell("000", r"^2012年度から2018年度までに半減")
    p = parse(cell, "target")
    assert p.relative.factor == 0.5 and p.relative.base_value == 1450 and p.deadline == date(2019, 3, 31)
    actual = parse(_cell("000", r"^1117 \(2016年度末\)"), "actual")
    assert actual.value == 1117 and actual.as_of == date(2017, 3, 31)


def test_operation_cost_cut():
    p = parse(_cell("000", r"^2013年度から2021年度めどに3割圧縮"), "target")
    assert p.relative.factor == pytest.approx(0.7) and p.relative.base_value == 4e11
    assert p.deadline == date(2022, 3, 31)


def test_regional_areas_genzai():
    p = parse(_cell("000", r"^23圏域"), "actual")
    assert (p.value, p.unit, p.as_of) == (23, "圏域", date(2017, 10, 1))


def test_reform_schedule_transitions():
    cell = _cell("000", r"【208⇒416】")
    base, target = parse_transition(cell)
    assert (base.value, target.value) == (208, 416)


def test_pdf_text_full_width_forecast():
    text = _text("001")
    m = re.search(r"２０１６年度（見込み）\s*：99\.2％【現年分】", text)
    assert m, "forecast cell not found in 001"
    p = parse(m.group(), "actual")
    assert (p.value, p.unit, p.status, p.fiscal_year, p.as_of) == (99.2, "%", "forecast", 2016, date(2017, 3, 31))


def test_pdf_text_split_target():
    text = _text("001")
    m = re.search(r"2017年度まで\s*に約1000団体", text)
    assert m
    p = parse(m.group(), "target")
    assert (p.value, p.approx, p.deadline) == (1000, True, date(2018, 3, 31))
    m = re.search(r"３割圧縮（目標\s*期限を集中改\s*革期間中に設\s*定）", text)
    assert m
    p = parse(m.group(), "target")
    assert p.unset and p.relative.factor == pytest.approx(0.7) and p.promised_by == date(2019, 3, 31)


def test_policy_evaluation_indicators():
    row = _row("002", "電子政府ランキング")
    assert parse(next(c for c in row if c.startswith("4位")), "actual").fiscal_year == 2014
    assert parse(next(c for c in row if c == "平成26年度値以上"), "target").relative.base_fiscal_year == 2014
    row = _row("002", "(平成28年度実績値比2倍)")
    p = parse(next(c for c in row if "実績値比2倍" in c and "【" in c), "target")
    assert p.value == 1_154_547_000 and p.deadline == date(2022, 3, 31) and p.relative.base_fiscal_year == 2016
    row = _row("002", "32時間以内")
    p = parse(next(c for c in row if c.startswith("32時間以内")), "target")
    assert (p.value, p.comparator, p.direction_hint) == (32, "le", "down")


def test_policy_evaluation_actuals_with_dotted_dates():
    row = _row("002", "H29.4.1時点")
    values = [parse(c, "actual") for c in row if "時点" in c]
    assert [(p.value, p.as_of) for p in values] == [
        (842, date(2016, 4, 1)), (950, date(2017, 4, 1)), (1067, date(2018, 4, 1))]


def test_measures_catalogue_unset_and_targets():
    p = parse(_cell("003", r"^未設定\(令和元年度中に検討\)$"), "target")
    assert p.unset and p.promised_by == date(2020, 3, 31)
    p = parse(_cell("003", r"^クラウド導入市区町村数\(令和5年度末"), "target")
    assert (p.value, p.approx, p.deadline) == (1600, True, date(2024, 3, 31))


def test_presentation_effects():
    text = _text("004")
    m = re.search(r"市民総合窓口:(0\.5億円\(▲24%\))", text)
    p = parse(m.group(1))
    assert (p.value, p.change_percent, p.reduction) == (50_000_000, -24, True)
    m = re.search(r"2014年度:208団体⇒2020年度:416団体に", text)
    base, target = parse_transition(m.group())
    assert base.as_of == date(2015, 3, 31) and target.deadline == date(2021, 3, 31)


def test_every_seed_cell_is_read_or_refused_cleanly():
    """No seed cell may crash the parsers with anything but ParseError."""
    for prefix in ("000", "001", "002", "003", "004"):
        for line in _text(prefix).splitlines():
            for cell in line.split("\t"):
                if not cell.strip():
                    continue
                for role in (None, "target", "actual"):
                    try:
                        parse(cell, role)
                        parse_all(cell, role)
                    except ParseError:
                        pass
                try:
                    parse_transition(cell)
                except ParseError:
                    pass
                parse_date(cell)
                strip_markers(cell)
