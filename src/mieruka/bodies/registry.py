"""The local bodies of Japan: 47 prefectures and 1,741 municipalities with their JIS X 0402 codes.
Read once from data/local_bodies.csv (総務省「全国地方公共団体コード」; source and date in local_bodies.toml)."""
from __future__ import annotations

import csv
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

PREFECTURE = "都道府県"
CITY = "市"
TOWN = "町"
VILLAGE = "村"
SPECIAL_WARD = "特別区"

# The list postdates 那珂川町 becoming 那珂川市 (福岡県, 2018-10-01): 792 市, 743 町, 183 村
# and 23 特別区. The total has been 1,741 since 2014-04-05, so documents from 2014 on share this
# denominator even where a town has since become a city (names.py keeps the former names).
PREFECTURE_COUNT = 47
MUNICIPALITY_COUNT = 1741

# 政令指定都市 (20 since 熊本市 in April 2012) carry designated_city. Their wards (行政区) are
# administrative districts with codes of their own, but not local bodies, so they are not in the registry.

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


def source() -> dict:
    """Where the list comes from: source, source_url, edition, valid_from (a date), licence, attribution."""
    return dict(_source())


@lru_cache(maxsize=1)
def _source() -> dict:
    return tomllib.loads(_DATA.joinpath("local_bodies.toml").read_text(encoding="utf-8"))


_DATA = files("mieruka.bodies") / "data"
_KINDS = frozenset({PREFECTURE, CITY, TOWN, VILLAGE, SPECIAL_WARD})


@lru_cache(maxsize=1)
def _bodies() -> tuple[LocalBodyInfo, ...]:
    with _DATA.joinpath("local_bodies.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return tuple(sorted((_body_from_row(row) for row in rows), key=lambda b: b.code))


@lru_cache(maxsize=1)
def _by_code() -> dict[str, LocalBodyInfo]:
    index = {body.code: body for body in _bodies()}
    index.update({body.code[:5]: body for body in _bodies()})
    return index


def _body_from_row(row: dict[str, str]) -> LocalBodyInfo:
    code, kind = row["code"], row["kind"]
    if kind not in _KINDS or len(code) != 6 or int(code[5]) != check_digit(code[:5]):
        # The file ships with the package and the tests read all of it; this guards hand edits.
        raise ValueError(f"local_bodies.csv: bad row {row}")
    return LocalBodyInfo(
        code=code,
        prefecture_code=code[:2],
        prefecture=row["prefecture"],
        name=row["name"],
        kana=row["kana"] or None,
        kind=kind,
        designated_city=row["designated_city"] == "1",
    )
