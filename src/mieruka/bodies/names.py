"""Local-body names as documents write them ("神奈川県海老名市", "五霞町", "愛知県岡崎市・豊橋市") resolved to registry entries.
A name shared by several bodies (府中市) needs its prefecture; names are never guessed."""
from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

from mieruka.bodies.registry import LocalBodyInfo, by_code, municipalities, prefectures

# Towns that became cities after the count reached 1,741 (2014-04-05): documents of that period
# still use the old names. 福岡県那珂川町 shares its old name with 栃木県那珂川町, so a bare
# "那珂川町" stays ambiguous until the prefecture is given.
FORMER_NAMES = {
    "富谷町": "042161",  # 宮城県富谷市 since 2016-10-10
    "那珂川町": "402311",  # 福岡県那珂川市 since 2018-10-01
}

_SEPARATORS = re.compile(r"[・、,/;]|及び|および|並びに")
_PARENTHESISED = re.compile(r"\([^()]*\)")
_BRACKETS = re.compile(r"[【】「」『』\[\]〔〕]")
_WARD = re.compile(r"(?P<city>.+?市)(?P<ward>.+区)")


class UnknownName(LookupError):
    """No prefecture or municipality has this name."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


class AmbiguousName(LookupError):
    """Several municipalities share this name; the prefecture decides."""

    def __init__(self, name: str, candidates: list[LocalBodyInfo]):
        listed = ", ".join(f"{body.full_name} ({body.code})" for body in candidates)
        super().__init__(f"{name} is ambiguous: {listed}; give the prefecture")
        self.name = name
        self.candidates = candidates


def resolve(name: str, prefecture: str | None = None) -> LocalBodyInfo:
    """The prefecture or municipality `name` stands for.

    `name` may lead with its prefecture ("茨城県五霞町") and a county ("茨城県猿島郡五霞町"), and
    may hold spaces of either width. `prefecture` ("東京都", "東京", "13") settles a name shared
    by several bodies; a name that writes a different prefecture is an error, not overridden."""
    text = _compact(name)
    if not text:
        raise UnknownName(name, "an empty name names no local body")
    given = _prefecture(prefecture) if prefecture is not None else None
    written, rest = _split_prefecture(text)
    if written is not None and given is not None and written != given:
        raise UnknownName(name, f"{name} names {written.name}, not {given.name}")
    within = written or given
    if not rest:
        return written
    candidates = _candidates(rest)
    if not candidates:
        raise UnknownName(name, _unknown_message(name, rest))
    matching = [body for body in candidates if within is None or body.prefecture_code == within.prefecture_code]
    if not matching:
        elsewhere = ", ".join(f"{body.full_name} ({body.code})" for body in candidates)
        raise UnknownName(name, f"{name}: there is no {rest} in {within.name} (only {elsewhere})")
    if len(matching) > 1:
        raise AmbiguousName(name, matching)
    return matching[0]


def split_names(text: str) -> list[str]:
    """The names in a list as documents write it, each with its prefecture carried over.

    "愛知県岡崎市・豊橋市" gives ["愛知県岡崎市", "愛知県豊橋市"]; a later prefecture takes over
    from where it is written ("鳥取県北栄町・埼玉県日高市"). Notes in parentheses are dropped."""
    names = []
    current = None
    for piece in _SEPARATORS.split(_strip_notes(_compact(text))):
        if not piece:
            continue
        written, _ = _split_prefecture(piece)
        if written is not None:
            current = written
        elif current is not None:
            piece = current.name + piece
        names.append(piece)
    return names


def resolve_many(text: str, prefecture: str | None = None) -> list[LocalBodyInfo]:
    """Every body named in `text`, in the order written (see split_names and resolve)."""
    return [resolve(name, prefecture) for name in split_names(text)]


def _compact(text: str) -> str:
    # Japanese names hold no spaces, so any space (half- or full-width) is layout.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _strip_notes(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _PARENTHESISED.fullmatch(text):
        text = text[1:-1]
    removed = 1
    while removed:  # inner notes first, so nested ones go too
        text, removed = _PARENTHESISED.subn("", text)
    return _BRACKETS.sub("", text)


def _split_prefecture(text: str) -> tuple[LocalBodyInfo | None, str]:
    # Matching full prefecture names only is what keeps 京都市 and 大阪狭山市 whole: no
    # municipality's name begins with a prefecture's full name (京都府, 大阪府).
    for body in prefectures():
        if text.startswith(body.name):
            return body, text[len(body.name):]
    return None, text


def _prefecture(written: str) -> LocalBodyInfo:
    text = _compact(written)
    found = _prefecture_index().get(text)
    if found is None:
        raise UnknownName(written, f"unknown prefecture: {written}")
    return found


def _candidates(rest: str) -> list[LocalBodyInfo]:
    key = _lookup_key(rest)
    found = _name_index().get(key)
    if found:
        return found
    # A county (郡) is written before a town or village but is not a local body; 郡山市 and
    # 大和郡山市 were looked up whole above, so cutting after a 郡 only reaches what is left.
    for match in re.finditer("郡", key):
        found = _name_index().get(key[match.end():])
        if found:
            return found
    return []


# The close-match hint compares with all 1,741 names (difflib): the same unknown name, met in every copy of a
# document, is worked out once.
@lru_cache(maxsize=4096)
def _unknown_message(name: str, rest: str) -> str:
    ward = _WARD.fullmatch(rest)
    cities = _name_index().get(_lookup_key(ward["city"]), []) if ward else []
    designated = [body for body in cities if body.designated_city]
    if designated:
        city = designated[0]
        return (f"{name}: {ward['ward']} is a ward (行政区) of {city.full_name} ({city.code}),"
                f" not a municipality; use {city.name}")
    close = difflib.get_close_matches(_lookup_key(rest), list(_name_index()), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{name} is neither a prefecture nor one of the 1,741 municipalities{hint}"


@lru_cache(maxsize=1)
def _name_index() -> dict[str, list[LocalBodyInfo]]:
    index: dict[str, list[LocalBodyInfo]] = {}
    for body in municipalities():
        index.setdefault(_lookup_key(body.name), []).append(body)
    for former, code in FORMER_NAMES.items():
        index.setdefault(_lookup_key(former), []).append(by_code(code))
    return index


def _lookup_key(name: str) -> str:
    # The official names mix small ヶ (茅ヶ崎市) and full-size ケ (龍ケ崎市) and documents write
    # either for either, so lookups treat the two alike.
    return name.replace("ヶ", "ケ")


@lru_cache(maxsize=1)
def _prefecture_index() -> dict[str, LocalBodyInfo]:
    index = {}
    for body in prefectures():
        index[body.name] = body
        index[body.prefecture_code] = body
        index[_short_prefecture_name(body.name)] = body
    return index


def _short_prefecture_name(name: str) -> str:
    # 北海道 is written whole; the others drop 都, 府 or 県 in running text (東京, 大阪, 鳥取).
    return name if name == "北海道" else name[:-1]
