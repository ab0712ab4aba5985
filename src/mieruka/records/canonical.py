"""Canonical keys that link one KPI, reform item or theme across documents and editions.
A key ignores numbering (①, - 1), markers (【再掲】), spacing, width, quote marks and invisible characters (zero-width,
bidirectional and control characters); aliases.toml joins rewordings."""
from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

from mieruka.jp import strip_invisible

_ALIASES = Path(__file__).with_name("aliases.toml")
_NOISE = re.compile(r"[\s　「」『』\"'“”・,、。:：]")
_AFTER_THE_FACT = re.compile(r"[(（]事後的に検証する指標[)）]")
_LEADING_NUMBER = re.compile(r"^\s*(?:[①-⑳]|[-－]\s*\d+|\(\d+\)|\d+[.)．])\s*")
_MARKERS = re.compile(r"[【\[(（]\s*再掲\s*[】\])）]")
# Control characters (BEL, ESC, DEL, C1): shown as nothing or as a box, they must not make a second KPI either.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@lru_cache(maxsize=1)
def _aliases_file() -> dict:
    return tomllib.loads(_ALIASES.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _aliases() -> dict[str, dict[str, str]]:
    return {kind: {_fold(k): v for k, v in table.items()} for kind, table in _aliases_file().items()
            if kind != "per_item"}


@lru_cache(maxsize=1)
def _per_item() -> frozenset[str]:
    return frozenset(_fold(n) for n in _aliases_file().get("per_item", {}).get("kpi", []))


def alias_of(kind: str, name: str) -> str | None:
    """The wording aliases.toml files this name under, if it names one."""
    return _aliases().get(kind, {}).get(_fold(name))


def canonical_name(kind: str, name: str | None) -> str | None:
    """The name to store: the wording aliases.toml files it under, else the name as given without the invisible
    characters that would make two equal-looking names two rows."""
    if not name:
        return name
    return alias_of(kind, name) or strip_invisible(name)


def _fold(name: str) -> str:
    name = _CONTROL.sub("", strip_invisible(name))
    name = _LEADING_NUMBER.sub("", name)  # before NFKC, which would turn ④ into a plain 4
    name = unicodedata.normalize("NFKC", name)
    name = _MARKERS.sub("", name)
    name = _LEADING_NUMBER.sub("", name)
    name = _AFTER_THE_FACT.sub("", name)
    return _NOISE.sub("", name)


def is_after_the_fact(name: str) -> bool:
    return bool(_AFTER_THE_FACT.search(unicodedata.normalize("NFKC", strip_invisible(name))))


def key_for(kind: str, name: str) -> str:
    """kind is 'kpi', 'item' or 'theme'; aliases map a folded wording to the canonical folded key."""
    alias = alias_of(kind, name)
    return _fold(alias or name)


def item_key(name: str) -> str:
    # A schedule marker may add a trailing 等 to the heading's wording; both name one item.
    return key_for("item", name).rstrip("等")


def kpi_key(name: str, item: str | None = None) -> str:
    """The KPI's key; a name aliases.toml lists as too general to tell two items' KPIs apart
    (歳出効率化の成果) is keyed within its reform item."""
    key = key_for("kpi", name)
    if item and key in _per_item():
        return f"{key}@{item_key(item)}"
    return key
