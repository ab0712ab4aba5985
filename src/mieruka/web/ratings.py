"""How the pages name and colour a rating code: labels and titles come from the rating scheme files
(mieruka.evaluate.schemes), the tone picks one of the colour-blind-safe colours of style.css."""
from __future__ import annotations

import re
from functools import lru_cache

from mieruka.evaluate.schemes import MEANINGS, Scheme, SchemeError, available, load

DEFAULT_SCHEME = "reform-schedule"  # the scheme the documents rate their KPIs under
TONES = MEANINGS  # one colour and one mark per meaning, across schemes (style.css .tone-<meaning>)
# A code spelled as an English word (the ESCAP method's "substantial") is mieruka's identifier, not a mark the
# documents print: the pages show its label in the page's language instead of the word itself.
_WORD_CODE = re.compile(r"[a-z][a-z_]+")


@lru_cache(maxsize=None)
def _scheme(name: str) -> Scheme | None:
    try:
        return load(name)
    except SchemeError:
        return None


def rating_info(scheme: str, code: str, lang: str) -> dict:
    """{"label", "tone" (the meaning: achieved, on_track, behind, not_judged), "mark" (the code as a page prints it:
    the documents' own mark, or "" for a word identifier)}; a code no scheme file declares gets no label and the
    not-judged tone."""
    s = _scheme(scheme)
    if s is None or code not in s.codes:
        return {"label": "", "tone": "not_judged", "mark": code}
    c = s.codes[code]
    return {"label": c.en if lang == "en" else c.ja, "tone": c.meaning,
            "mark": "" if _WORD_CODE.fullmatch(code) else code}


def scheme_label(scheme: str, lang: str) -> str:
    s = _scheme(scheme)
    if s is None:
        return scheme
    return s.title_en if lang == "en" else s.title_ja


def scheme_choices(in_database: list[str]) -> list[str]:
    """The default scheme, the other scheme files (shipped and $MIERUKA_SCHEMES_DIR), then any other scheme the
    database holds ratings of."""
    files = [DEFAULT_SCHEME] + [name for name in available() if name != DEFAULT_SCHEME]
    return files + [s for s in in_database if s not in files]


def scheme_codes(scheme: str) -> list[str]:
    """The codes a scheme declares, in its file's order."""
    s = _scheme(scheme)
    return list(s.codes) if s else []
