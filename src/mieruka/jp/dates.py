"""Dates, months, years and fiscal years (年度) as written in Japanese administrative tables.
find_periods() locates each one in a cell; a fiscal year runs 1 April to 31 March."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from .eras import ERA_NAMES, ERAS, era_to_western, format_wareki, western_to_era
from .text import prepare_cell

# The last year a written date is read as: later ones are typos or placeholders, and the web refuses them too.
LAST_YEAR = 2200

_START = ("当初", "初め", "初頭", "初")
_FIRST_HALF = ("前半", "上半期")

_ERA = r"(?P<era>明治|大正|昭和|平成|令和|(?<![A-Za-z])[MTSHR](?=(?:\d{1,2}|元)[.年]))"
_EY = r"(?P<ey>\d{1,2}|元)"
_SUF = r"(?P<suf>末|中旬|上旬|下旬|中|内|当初|初め|初頭|初|前半|後半|上半期|下半期|頃|ごろ)?"
_WY = r"(?<![\d.,])(?P<y>\d{4})"

# Order matters where two forms start at the same place: the longer, more specific one wins.
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((kind, re.compile(rx)) for kind, rx in (
    ("day", _ERA + _EY + r"(?:年(?P<m>\d{1,2})月(?P<d>\d{1,2})日|\.(?P<m2>\d{1,2})\.(?P<d2>\d{1,2})(?![\d.]))" + _SUF),
    ("month", _ERA + _EY + r"(?:年(?P<m>\d{1,2})月|\.(?P<m2>\d{1,2})(?![\d.]))" + _SUF),
    ("fy", _ERA + r"(?:(?P<ey0>\d{1,2}|元)[・〜~\-])?" + _EY + r"年度" + _SUF),
    ("year", _ERA + _EY + r"年(?!度)" + _SUF),
    ("day", _WY + r"(?:年(?P<m>\d{1,2})月(?P<d>\d{1,2})日|(?P<sep>[./\-])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2})(?!\d))" + _SUF),
    ("month", _WY + r"(?:年(?P<m>\d{1,2})月|/(?P<m2>\d{1,2})(?![\d/]))" + _SUF),
    # "2016度" (no 年) is a typo found in the reform schedule and still means FY2016.
    ("fy", r"(?<![\d.,])(?:(?P<y0>\d{4})(?:年度?)?[・〜~\-])?(?P<y>\d{4})年?度" + _SUF),
    ("bare_fy", r"(?<![\d.,A-Za-z])(?P<ey>\d{1,2})年度" + _SUF),
    ("year", _WY + r"年(?![度間])" + _SUF),
    ("span", r"(?P<span>集中改革期間)" + _SUF),
))


@dataclass(frozen=True)
class Period:
    """A point or period found in a text; start/end are offsets into the prepared text."""

    start: int
    end: int
    kind: str  # day | month | year | fy | span
    year: int
    month: int = 0
    day: int = 0
    first_year: int | None = None
    suffix: str = ""
    era: str | None = None
    text: str = ""

    @property
    def fiscal_year(self) -> int | None:
        return self.year if self.kind == "fy" else None

    def point(self) -> date:
        """The date a value stated for this period refers to (a month means its first day,
        a fiscal or calendar year its last day unless 当初/前半 says otherwise)."""
        s = self.suffix
        if self.kind == "day":
            return date(self.year, self.month, self.day)
        if self.kind == "month":
            if s == "末":
                return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
            return date(self.year, self.month, {"中旬": 11, "下旬": 21}.get(s, 1))
        if self.kind == "year":
            if s in _START:
                return date(self.year, 1, 1)
            return date(self.year, 6, 30) if s in _FIRST_HALF else date(self.year, 12, 31)
        if s in _START:
            return date(self.year, 4, 1)
        return date(self.year, 9, 30) if s in _FIRST_HALF else fiscal_year_end(self.year)

    def last(self) -> date:
        """The day a deadline "…までに" means: a fiscal year its 31 March, a month its first day as the
        documents' convention has it ("2018年3月" → 2018-03-01), unless 上旬/中旬/下旬/末 narrows it."""
        if self.kind == "month" and self.suffix in ("上旬", "中旬", "下旬"):
            day = {"上旬": 10, "中旬": 20}.get(self.suffix) or calendar.monthrange(self.year, self.month)[1]
            return date(self.year, self.month, day)
        return self.point()


def fiscal_year_end(fy: int) -> date:
    """Last day of fiscal year *fy*: 31 March of the next calendar year."""
    return date(int(fy) + 1, 3, 31)


def fiscal_year_of(d: date) -> int:
    """Fiscal year (April–March) that contains *d*."""
    return d.year if d.month >= 4 else d.year - 1


def format_date_ja(d: date) -> str:
    """"2017-04-01（平成29年4月1日）": Western first, 和暦 beside it; before 明治 (no 和暦) the Western date alone,
    so that one such stored date cannot make every page that lists dates fail."""
    if isinstance(d, datetime):
        d = d.date()
    if d < ERAS[-1][2]:
        return d.isoformat()
    return f"{d.isoformat()}（{format_wareki(d)}）"


PRECISIONS = ("day", "month", "fiscal_year", "year")
_PRECISION_OF_KIND = {"day": "day", "month": "month", "fy": "fiscal_year", "span": "fiscal_year", "year": "year"}


def precision_of(text: str | None, d: date | None) -> str | None:
    """How precisely a document gave date d: the kind of the period in text that d was read from ("2016年度末" →
    fiscal_year, "2017年4月速報値" → month, "(2017年10月1日現在)" → day, "2018年" → year). A date not written in the
    text is a column's fiscal year when it is a 31 March (the readers date a value by its 年度 column), else None."""
    if d is None:
        return None
    for p in find_periods(prepare_cell(text or "")):
        if d in (p.point(), p.last()):
            return _PRECISION_OF_KIND.get(p.kind)
    return "fiscal_year" if (d.month, d.day) == (3, 31) else None


def _era_of_year(y: int, month: int = 4) -> str:
    name, year = western_to_era(date(y, month, 1))
    return f"{name}{'元' if year == 1 else year}"


def printed_fiscal_year_end(text: str | None, d: date | None) -> bool:
    """Whether text gives the fiscal year ending on d as its end (「2016年度末」) or as a deadline (「2018年度までに」),
    rather than as the year a figure is for (「2014年度:208団体」, a value in a 年度 column)."""
    if not text or d is None:
        return False
    s = prepare_cell(text)
    return any(p.kind == "fy" and fiscal_year_end(p.year) == d
               and (p.suffix == "末" or s[p.end:p.end + 2] == "まで") for p in find_periods(s))


def point_end(precision: str | None, text: str | None, d: date | None) -> bool | None:
    """For format_period_*(end=…) of a value's point in time: a value the document gives for a fiscal year is shown
    as that 年度, and as 年度末 only where the document printed 末 or までに for it; other precisions as they are."""
    return printed_fiscal_year_end(text, d) if precision == "fiscal_year" else None


def format_period_ja(d: date, precision: str | None = None, end: bool | None = None) -> str:
    """A date written no more precisely than the document gave it, Western first and 和暦 beside it:
    fiscal_year "2020年度末（令和2年度末）" for 2021-03-31, month "2018年3月（平成30年3月）", year "2018年（平成30年）",
    day (or unknown) "2017-04-01（平成29年4月1日）". end=False writes a fiscal year as the year a value is for
    ("2014年度（平成26年度）": 「2014年度:208団体」 is stored at 2015-03-31); None keeps 末 for a 31 March (a deadline)."""
    if isinstance(d, datetime):
        d = d.date()
    if precision == "fiscal_year":
        fy = fiscal_year_of(d)
        end = "末" if (d.month, d.day) == (3, 31) and end is not False else ""
        # Named after the era on 1 May: FY2019 is 令和元年度 (the era changed on 1 May 2019), FY2018 平成30年度.
        return f"{fy}年度{end}（{_era_of_year(fy, 5)}年度{end}）"
    if precision == "month":
        return f"{d.year}年{d.month}月（{_era_of_year(d.year, d.month)}年{d.month}月）"
    if precision == "year":
        return f"{d.year}年（{_era_of_year(d.year, 12)}年）"
    return format_date_ja(d)


def format_period_en(d: date, precision: str | None = None, end: bool | None = None) -> str:
    """The same in English: "end of FY2020" (or "FY2014" with end=False), "Mar 2018", "2018", "2017-04-01"."""
    if isinstance(d, datetime):
        d = d.date()
    if precision == "fiscal_year":
        fy = fiscal_year_of(d)
        return f"end of FY{fy}" if (d.month, d.day) == (3, 31) and end is not False else f"FY{fy}"
    if precision == "month":
        return d.strftime("%b %Y")
    if precision == "year":
        return str(d.year)
    return d.isoformat()


def _era_year(era: str, ey: str) -> int:
    return era_to_western(era, 1 if ey == "元" else int(ey))


def _build(kind: str, m: re.Match, era_context: str | None) -> Period | None:
    g = m.groupdict()
    suffix = g.get("suf") or ""
    era = g.get("era")
    if kind == "span":
        # 集中改革期間: the intensive reform period of the 2015 plan, FY2016 to FY2018.
        return Period(m.start(), m.end(), "span", 2018, first_year=2016, suffix=suffix, text=m.group())
    if kind == "bare_fy":
        # Evaluation sheets write 【33年度】 meaning 平成33年度; follow the era used earlier in the text.
        ey = int(g["ey"])
        before = m.string[m.start() - 1] if m.start() else ""
        if "\u4e00" <= before <= "\u9fff":
            return None  # 「慶応3年度」: an era (or word) mieruka does not know names the year; never read it as 平成
        if era_context is None and not 1 <= ey <= 40:
            return None
        era, kind = era_context or "平成", "fy"
        year = era_to_western(era, ey)
        return Period(m.start(), m.end(), kind, year, suffix=suffix, era=era, text=m.group())
    year = _era_year(era, g["ey"]) if era else int(g["y"])
    if not 1868 <= year <= LAST_YEAR:
        return None
    first = None
    if g.get("ey0"):
        first = _era_year(era, g["ey0"])
    elif g.get("y0"):
        first = int(g["y0"])
    month = int(g.get("m") or g.get("m2") or 0)
    day = int(g.get("d") or g.get("d2") or 0)
    if kind in ("day", "month"):
        if not 1 <= month <= 12:
            return None
        if kind == "day" and not 1 <= day <= calendar.monthrange(year, month)[1]:
            return None
    era_name = None
    if era:
        era_name = next((n for n in ERA_NAMES if n == era), None) or {
            "M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}[era]
    return Period(m.start(), m.end(), kind, year, month, day, first, suffix, era_name, m.group())


def find_periods(s: str) -> list[Period]:
    """Every date or period in already-prepared text *s*, left to right, without overlaps."""
    found = []
    for order, (kind, rx) in enumerate(_PATTERNS):
        for m in rx.finditer(s):
            found.append((m.start(), -(m.end() - m.start()), order, kind, m))
    found.sort(key=lambda t: t[:3])
    periods: list[Period] = []
    last_end = 0
    era_context = None
    refused = -1
    for start, _neg, _order, kind, m in found:
        if start < last_end or start == refused:
            continue
        p = _build(kind, m, era_context)
        if p is None:
            refused = start  # "2017年13月" is a bad date, not the year 2017
            continue
        periods.append(p)
        last_end = p.end
        era_context = p.era or era_context
    return periods


def parse_date(text) -> date | None:
    """First date in *text* as a calendar date, or None: "H29.4.1", "2017年4月" (→ day 1),
    "2016年度末" (→ 2017-03-31), "令和元年7月", "2017/4/1", full-width digits."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    periods = find_periods(prepare_cell(str(text)))
    return periods[0].point() if periods else None
