"""Readings of Japanese names in katakana, so that a search typed in kana finds the kanji name
(「えびな」 → 海老名市, 「まどぐち」 → 窓口). SudachiPy with its core dictionary; the text in, katakana out."""
from __future__ import annotations

import re
from functools import lru_cache

# The analyser takes at most ~49,000 bytes at a time; names are short, and a reading of more is of no use to search.
MAX_READING_INPUT = 2_000
_HIRAGANA = re.compile("[\u3041-\u3096\u309d\u309e]")
_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ]")
_KANA_ONLY = re.compile("[\u3040-\u30ffー・]+")


def to_katakana(text: str) -> str:
    """Hiragana turned into katakana; everything else as it is (「まどぐち」 → 「マドグチ」)."""
    return _HIRAGANA.sub(lambda m: chr(ord(m.group()) + 0x60), text)


@lru_cache(maxsize=1)
def _tokenizer():
    from sudachipy import Dictionary, SplitMode

    # Mode C: the longest units, so a place name is one word with its dictionary reading (海老名市 → エビナシ).
    return Dictionary(dict="core").tokenizer(SplitMode.C)


@lru_cache(maxsize=8192)  # the same names (prefectures, ministries, municipalities) come again and again
def reading(text: str | None) -> str:
    """The katakana reading of *text*: each word with Japanese characters read by the dictionary, kana words as
    katakana, other words (digits, Latin letters, marks) as written. Empty for empty text."""
    if not text or not _JAPANESE.search(text):
        return ""
    text = text[:MAX_READING_INPUT]
    if _KANA_ONLY.fullmatch(text):
        return to_katakana(text)
    out = []
    for line in text.splitlines():
        for word in _tokenizer().tokenize(line):
            surface = word.surface()
            if not _JAPANESE.search(surface):
                out.append(surface)
            elif _KANA_ONLY.fullmatch(surface):
                out.append(to_katakana(surface))
            else:
                read = word.reading_form()
                out.append(read if _KANA_ONLY.fullmatch(read or "") else surface)
    return "".join(out)
