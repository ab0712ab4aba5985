"""Japanese quantities: 1,506,096千件, 約7,693万人, 0.5億円, 9万5千件, 3割, and yen formatting.
read_quantities() finds numbers with their multiplier and counter; format_yen() writes money back."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

MULTIPLIERS = {"兆": 1e12, "億": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "百": 1e2}
_MULT = re.compile("千万|百万|兆|億|万|千|百")

# Counter as written → base unit. Synonyms are folded so that a target in 人 and an actual in 名
# compare; anything not listed leaves the unit unknown rather than guessed.
COUNTERS = {
    "円": "円", "件": "件", "人": "人", "名": "人", "団体": "団体", "自治体": "自治体",
    "市区町村": "市区町村", "市町村": "市町村", "都道府県": "都道府県", "圏域": "圏域", "地域": "地域",
    "%": "%", "割": "%", "ポイント": "ポイント", "pt": "ポイント",
    "時間": "時間", "日間": "日", "日": "日", "分": "分", "秒": "秒", "週間": "週",
    "か月": "か月", "ヶ月": "か月", "カ月": "か月", "ヵ月": "か月", "年間": "年", "年": "年",
    "位": "位", "システム": "システム", "グループ": "グループ", "手続き": "手続", "手続": "手続",
    "世帯": "世帯", "箇所": "箇所", "か所": "箇所", "ヶ所": "箇所", "カ所": "箇所", "ヵ所": "箇所",
    "社": "社", "回": "回", "機関": "機関", "分野": "分野", "セット": "セット", "校": "校", "通": "通",
    "台": "台", "施設": "施設", "事業者": "事業者", "事業": "事業", "省庁": "省庁", "府省": "府省",
    "サービス": "サービス", "サービスモデル": "サービスモデル", "モデル": "モデル", "プロジェクト": "プロジェクト",
    "事例": "事例", "計画": "計画", "拠点": "拠点", "種類": "種類", "項目": "項目", "つ": "つ",
    "TB": "TB", "GB": "GB", "MB": "MB", "km": "km", "件数": "件",
}
_COUNTER = re.compile("|".join(sorted(map(re.escape, COUNTERS), key=len, reverse=True)))
_NUMBER = re.compile(r"(?<![\d.,A-Za-z])(?:(?P<a>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)|(?P<k>[〇一二三四五六七八九十百千]+)(?=[万億兆]))")
_PLAIN = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
# A number followed by one of these is a label (第3章, 2016改定版), not a quantity.
_ORDINAL_AFTER = re.compile(r"次|番目?|号|条|章|階層|期|版|項|節|改定")


@dataclass
class Quantity:
    """A number with its multiplier and counter; start/end are offsets into the scanned text."""

    start: int
    end: int
    value: float
    unit: str | None
    unit_as_written: str | None


def kanji_to_int(s: str) -> int:
    """Small kanji numerals used before 万/億 ("一", "二十", "三千五百")."""
    total, digit = 0, 0
    for ch in s:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch]
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = 0
    return total + digit


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def read_quantity(s: str, m: re.Match) -> Quantity | None:
    """Read the quantity whose number *m* matched, with multipliers ("9万5千") and counter."""
    if m.start() > 0 and s[m.start() - 1] in "第※#":
        return None  # 第3章, ※2 legend references, #5
    num = _num(m.group("a")) if m.group("a") else float(kanji_to_int(m.group("k")))
    j = m.end()
    total, last_mult, groups, written = 0.0, None, 0, ""
    while True:
        mm = _MULT.match(s, j)
        mult = MULTIPLIERS[mm.group()] if mm else 1.0
        if last_mult is not None and mult >= last_mult:
            break
        total += num * mult
        groups += 1
        last_mult = mult
        if mm:
            written, j = mm.group(), mm.end()
        if mult == 1.0:
            break
        nxt = _PLAIN.match(s, j)
        if not nxt:
            break
        peek = _MULT.match(s, nxt.end())
        if peek and MULTIPLIERS[peek.group()] < last_mult:
            num, j = _num(nxt.group()), nxt.end()
            continue
        if not peek and last_mult >= 1e4 and _COUNTER.match(s, nxt.end()):
            total += _num(nxt.group())  # "1万2345人"
            groups += 1
            j = nxt.end()
        break
    if _ORDINAL_AFTER.match(s, j):
        return None
    cm = _COUNTER.match(s, j)
    counter = cm.group() if cm else None
    if cm:
        j = cm.end()
    elif j < len(s) and s[j].isascii() and s[j].isalpha():
        return None  # 4K, 5G, IPv6: part of a name
    unit = COUNTERS.get(counter) if counter else None
    if counter == "割":
        total *= 10.0
    as_written = ((written if groups == 1 else "") + (counter or "")) or None
    return Quantity(m.start(), j, total, unit, as_written)


def read_quantities(s: str) -> list[Quantity]:
    """All quantities in *s*, left to right (dates should be masked out by the caller)."""
    out = []
    pos = 0
    for m in _NUMBER.finditer(s):
        if m.start() < pos:
            continue
        q = read_quantity(s, m)
        if q is not None:
            out.append(q)
            pos = q.end
    return out


def _fmt(x: float) -> str:
    x = round(x, 2)
    if x == int(x):
        return f"{int(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def format_yen(value: float) -> str:
    """Money the way the documents write it: 5.08e8 → "5.08億円", 950000 → "95万円",
    1234 → "1,234円"; negative amounts take ▲ as in Japanese accounts."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        raise ValueError(f"cannot format {value!r} as yen")
    sign = "▲" if value < 0 else ""
    v = abs(float(value))
    text = None
    for unit, scale in (("兆", 1e12), ("億", 1e8)):
        if round(v / scale, 2) >= 1:  # 9,999.999億 reads better as 1兆
            text = _fmt(v / scale) + unit + "円"
            break
    if text is None and v >= 1e4:
        text = _fmt(v / 1e4) + "万円"
    if text is None:
        text = f"{round(v):,}円"
    return sign + text


def format_value(value: float | None, unit: str = "") -> str:
    """A count or rate as maps and survey findings print it: 1,741団体, 62.5%; データなし when missing."""
    if value is None:
        return "データなし"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text}{unit}"


# A better rank and a shorter time are written 以内 (16位以内, 32時間以内); other falling amounts 以下.
_WITHIN_UNITS = {"位", "時間", "日", "分", "秒", "週", "か月"}


def bound_word(unit: str | None, falling: bool) -> str:
    """The word a document puts after a target that is a bound: 以上 for a rising KPI, 以内 for a rank or a
    duration that should fall (16位以内, 32時間以内), 以下 for other falling amounts (725システム以下)."""
    if not falling:
        return "以上"
    return "以内" if unit in _WITHIN_UNITS else "以下"
