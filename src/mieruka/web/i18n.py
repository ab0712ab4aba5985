"""The Japanese and English messages of the web pages, read from templates/i18n/messages.toml.
Japanese is the default; a key missing in English falls back to Japanese, a key missing in both shows itself."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Callable

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"
# Kept beside the templates so it ships with them as package data.
CATALOGUE = Path(__file__).with_name("templates") / "i18n" / "messages.toml"
_extra: list[Path] = []


def _flatten(table: dict, prefix: str = "") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and DEFAULT_LANG in value and all(isinstance(v, str) for v in value.values()):
            out[name] = value
        elif isinstance(value, dict):
            out.update(_flatten(value, name + "."))
    return out


def add_catalogue(path: Path) -> None:
    """Merge a plugged-in router's own messages (same layout) into the catalogue; its keys win on a clash."""
    if path not in _extra:
        _extra.append(path)
        messages.cache_clear()


@lru_cache(maxsize=None)
def messages() -> dict[str, dict[str, str]]:
    """Every message key ("nav.kpis") with its texts by language."""
    out: dict[str, dict[str, str]] = {}
    for path in (CATALOGUE, *_extra):
        with path.open("rb") as f:
            out.update(_flatten(tomllib.load(f)))
    return out


def label(text: str | dict, lang: str) -> str:
    """A label given either as a message key or as {"ja": …, "en": …}."""
    if isinstance(text, dict):
        return text.get(lang) or text.get(DEFAULT_LANG, "")
    return translator(lang)(text)


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


def translator(lang: str) -> Callable[..., str]:
    """t("key", n=3) → the message in *lang*, with {n}-style fields filled in; default (or the key) when unknown."""
    catalogue = messages()

    def t(key: str, default: str | None = None, **fields) -> str:
        texts = catalogue.get(key)
        if texts is None:
            return key if default is None else default
        text = texts.get(lang) or texts.get(DEFAULT_LANG, key)
        return text.format(**fields) if fields else text

    return t
