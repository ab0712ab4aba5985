"""How the pages write dates, money and quantities: Western date with 和暦 beside it, 億円/万円, units as written.
Registered as Jinja filters by web.pages; nothing here touches the request."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from mieruka.jp import format_date_ja, format_period_en, format_period_ja, format_yen, point_end
from mieruka.jp.numbers import bound_word

# Units whose values are stored in 円 and written as 億円/万円.
YEN_UNITS = ("円", "億円", "百万円", "千円", "万円")
_JST = ZoneInfo("Asia/Tokyo")


def date_ja(d: date | datetime | None, precision: str | None = None) -> str:
    """2017-04-01（平成29年4月1日）, or an empty string for no date; a date the document gave only to the fiscal year,
    month or year is written so: 2020年度末（令和2年度末）, 2018年3月（平成30年3月）, 2018年（平成30年）."""
    return "" if d is None else format_period_ja(d, precision)


def period(d: date | datetime | None, precision: str | None = None, lang: str = "ja", said: str | None = None) -> str:
    """date_ja on a Japanese page; on an English one a fiscal year, month or year in English (end of FY2020, Mar 2018)
    and a day as before (ISO date with 和暦 beside it). said is the text a value was read from, given for a value's
    point in time: a fiscal year is then the year the value is for (2014年度), 年度末 only where said prints it."""
    if d is None:
        return ""
    end = None if said is None else point_end(precision, said, d)
    if lang == "en" and precision in ("fiscal_year", "month", "year"):
        return format_period_en(d, precision, end)
    return format_period_ja(d, precision, end)


def datetime_ja(at: datetime | None) -> str:
    """A moment in Japan time: 2024-01-01 09:00（令和6年1月1日）; a naive datetime is taken as UTC (as stored)."""
    if at is None:
        return ""
    local = (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(_JST)
    iso, _, wareki = format_date_ja(local.date()).partition("（")
    return f"{iso} {local:%H:%M}" + (f"（{wareki}" if wareki else "")


def yen(value: float | None) -> str:
    return "" if value is None else format_yen(value)


def number(value: float | None) -> str:
    """1,234 or 12.5: thousands separated, no trailing zeros."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = round(float(value), 2)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def quantity(value: float | None, unit: str | None, text: str | None = None) -> str:
    """A KPI figure: money as 億円/万円, other units after the number; the text as written when nothing was read."""
    if value is None:
        return text or ""
    if unit in YEN_UNITS:
        return format_yen(value)
    if unit in ("%", "％"):
        return f"{number(value)}%"
    return f"{number(value)}{unit or ''}"


def percent(value: float | None) -> str:
    """A change in percent the way the documents write it: ▲24% for a fall."""
    if value is None:
        return ""
    return f"▲{number(-value)}%" if value < 0 else f"{number(value)}%"



def bound_of(unit: str | None, comparator: str | None, direction: str | None) -> str:
    """以上, 以内 or 以下 for a target that is a bound, following the KPI's direction; "" for a plain figure."""
    if comparator not in ("ge", "le"):
        return ""
    falling = direction == "down" if direction in ("up", "down") else comparator == "le"
    return bound_word(unit, falling)


def bounded(value: float | None, unit: str | None, comparator: str | None, direction: str | None,
            lang: str = "ja", text: str | None = None) -> str:
    """A target that is a bound, read in the KPI's direction: 416団体以上, 16位以内, 32時間以内, 725システム以下
    (English: at least 416団体, 16位 or better). A target stated as a plain figure stays a plain figure."""
    shown = quantity(value, unit, text)
    word = bound_of(unit, comparator, direction)
    if value is None or not word:
        return shown
    if lang == "en":
        if unit == "位":
            return f"{shown} or better"
        return f"at least {shown}" if word == "以上" else f"at most {shown}"
    return shown + word


_JA = "\u2460-\u24ff\u3000-\u30ff\u3400-\u9fff\uff01-\uff9f"
# A run of Japanese, figures and spaces between its first and last Japanese character: 「2017年4月確報値は2018年3月頃に公表」
_JAPANESE_RUN = re.compile(f"(?:[0-9][0-9.,]*)?[{_JA}](?:[{_JA}0-9.,:/%\\s-]*[{_JA}])?")


def japanese_data(text: str | None, lang: str = "ja") -> Markup:
    """An English sentence that quotes a document (an audit finding's message): each Japanese run in it marked as
    Japanese data (lang="ja" translate="no"), so an English page holds no Japanese sentence outside data."""
    if text is None:
        return Markup("")
    if lang == "ja":
        return escape(text)
    return Markup(_JAPANESE_RUN.sub(lambda m: f'<span lang="ja" translate="no">{m.group(0)}</span>', str(escape(text))))


def named_sources_markup(text: str | None, lang: str, labels: dict[str, dict]) -> Markup:
    """An audit finding's message with each document it cites by file name named by title and date (the file name
    on hover), Japanese runs of an English message marked as data (japanese_data)."""
    from mieruka.records.citation import named_sources

    if text is None:
        return Markup("")
    return Markup(named_sources(
        text, labels, lang,
        mark=lambda name, file_name: f'<span class="cited" title="{escape(file_name)}">{japanese_data(name, lang)}</span>',
        plain=lambda s: str(japanese_data(s, lang))))
