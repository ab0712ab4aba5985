"""Japanese era (元号) arithmetic: era years to Western years and back.
Covers 明治 to 令和 with their abbreviations M/T/S/H/R; 元年 is era year 1."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime

# (name, abbreviation, first day, offset so that western year = offset + era year)
ERAS: tuple[tuple[str, str, date, int], ...] = (
    ("令和", "R", date(2019, 5, 1), 2018),
    ("平成", "H", date(1989, 1, 8), 1988),
    ("昭和", "S", date(1926, 12, 25), 1925),
    ("大正", "T", date(1912, 7, 30), 1911),
    ("明治", "M", date(1868, 1, 25), 1867),
)
ERA_NAMES = tuple(e[0] for e in ERAS)
_OFFSET = {key: e[3] for e in ERAS for key in (e[0], e[1])}


def era_to_western(era: str, year: int | str) -> int:
    """Western year of era year *year*: era_to_western("平成", 29) == 2017.

    Years past an era's end are accepted because documents drafted before the change keep
    counting (平成33年度 = FY2021)."""
    key = unicodedata.normalize("NFKC", str(era)).strip().upper()
    if key not in _OFFSET:
        raise ValueError(f"unknown era {era!r}; expected one of {', '.join(ERA_NAMES)} or M/T/S/H/R")
    if isinstance(year, str):
        year = 1 if year.strip() == "元" else int(unicodedata.normalize("NFKC", year))
    if year < 1:
        raise ValueError(f"era year must be 1 or more, got {year!r}")
    return _OFFSET[key] + year


def western_to_era(d: date) -> tuple[str, int]:
    """(era name, era year) of a calendar date, switching eras on their real first day."""
    if isinstance(d, datetime):
        d = d.date()
    for name, _abbr, start, offset in ERAS:
        if d >= start:
            return name, d.year - offset
    raise ValueError(f"{d.isoformat()} is before 明治 (1868-01-25)")


def format_wareki(d: date) -> str:
    """Date written the Japanese way: date(2019, 5, 1) → "令和元年5月1日"."""
    name, year = western_to_era(d)
    return f"{name}{'元' if year == 1 else year}年{d.month}月{d.day}日"
