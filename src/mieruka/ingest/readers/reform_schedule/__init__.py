"""Reader for the reform-schedule progress documents (改革工程表 進捗): reform items, process steps,
KPI status rows with targets, actuals and 区分, and the schedule tables of each plan edition."""
from __future__ import annotations

import re

from mieruka.records.canonical import kpi_key
from mieruka.records.extraction import Extraction
from mieruka.jp import normalise_text

from .build import FAMILY
from .pdf import read_pdf_lines
from .tabbed import read_tabbed
from .values import fill_units, split_second_measures

__all__ = ["FAMILY", "matches", "read"]

_VERTICAL_TIER = re.compile(r"第\s*\n\s*[一二]\s*\n\s*階\s*\n\s*層")
_TABBED_KPI_HEADER = re.compile(r"^\s*(?:KPI|ＫＰＩ)\t", re.M)


def matches(text: str) -> bool:
    """A KPI status table ("KPIの状況") with tiers (第一階層, also written vertically) or 改革工程 progress."""
    head = normalise_text(text[:200_000]) if "KPI" in text or "ＫＰＩ" in text else ""
    if "KPIの状況" not in head:
        return False
    return "第一階層" in head or "第二階層" in head or "改革工程の進捗" in head or bool(_VERTICAL_TIER.search(text))


def read(text: str) -> Extraction:
    """Tab-separated tables when the KPI header is tabbed, else the one-cell-per-line PDF text."""
    ex = read_tabbed(text) if _TABBED_KPI_HEADER.search(text) else read_pdf_lines(text)
    _share_between_appearances(ex)
    statements = ex.meta.pop("schedule_kpi_statements", 0)
    ex.meta["kpi_rows"] = len(ex.kpis) - statements
    ex.meta["schedule_kpi_statements"] = statements
    split_second_measures(ex)  # after the counts: a second measure is no row of the document's own
    ex.title = ex.title or progress_title(ex)
    return ex


def progress_title(ex: Extraction) -> str | None:
    """The document's title as its contents name it: it prints no title line, only pages headed 重要課題 and
    改革項目 ⑪…⑮, so "改革工程表の進捗状況（<重要課題> ⑪〜⑮）" (the items' first and last numbers, ⑯・⑰ for two; the name
    when there is one item and no number). None when it states no 重要課題 and no 改革項目."""
    if not ex.items:
        return None
    themes = [i.theme for i in ex.items if i.theme]
    # the most frequent 重要課題: one page may print a variant (制度改革 for 制度の改革)
    theme = max(themes, key=themes.count) if themes else None
    numbers = list(dict.fromkeys(i.number for i in ex.items if i.number))
    if numbers:
        which = {1: numbers[0], 2: "・".join(numbers)}.get(len(numbers), f"{numbers[0]}〜{numbers[-1]}")
    elif len(ex.items) == 1:
        which = ex.items[0].name
    else:
        which = f"{ex.items[0].name}ほか{len(ex.items) - 1}項目"
    return f"改革工程表の進捗状況（{theme} {which}）" if theme else f"改革工程表の進捗状況（{which}）"


def _share_between_appearances(ex: Extraction) -> None:
    """A schedule statement "窓口業務のアウトソーシング【208⇒416】" has no counter and sits in a column
    whose tier the drifting header cannot be trusted for; the same KPI's row in the status table
    states both (団体, 第一階層), so appearances of one KPI in one document share them."""
    units: dict[str, str] = {}
    tiers: dict[str, int] = {}
    for kpi in ex.kpis:
        key = kpi_key(kpi.name, kpi.reform_item)
        if kpi.unit:
            units.setdefault(key, kpi.unit)
        if kpi.tier and kpi.ratings:
            tiers.setdefault(key, kpi.tier)
    for kpi in ex.kpis:
        key = kpi_key(kpi.name, kpi.reform_item)
        if units.get(key) and kpi.unit is None:
            fill_units(kpi, units[key])
        if key in tiers and not kpi.ratings:
            kpi.tier = tiers[key]
