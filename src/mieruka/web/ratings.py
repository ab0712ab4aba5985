"""How the pages name and colour a rating code: labels and titles come from the rating scheme files
(mieruka.evaluate.schemes), the tone picks one of the colour-blind-safe colours of style.css."""
from __future__ import annotations

from functools import lru_cache

from mieruka.evaluate.schemes import Scheme, SchemeError, available, load

DEFAULT_SCHEME = "reform-schedule"  # the scheme the documents rate their KPIs under
TONES = ("good", "mid", "bad", "none", "unset")
# Where a scheme's order does not say it: in the reform schedule B is the worst judged code and F is its own case.
TONE_OVERRIDES = {("reform-schedule", "B"): "bad", ("reform-schedule", "F"): "unset"}


@lru_cache(maxsize=None)
def _scheme(name: str) -> Scheme | None:
    try:
        return load(name)
    except SchemeError:
        return None


def _tone(scheme: Scheme, code: str) -> str:
    """The top code is good, codes that judge nothing are grey, the last judged code is bad, the rest between."""
    if (scheme.name, code) in TONE_OVERRIDES:
        return TONE_OVERRIDES[(scheme.name, code)]
    c = scheme.codes[code]
    if c.top:
        return "good"
    if not c.judged:
        return "none"
    judged = [k for k, v in scheme.codes.items() if v.judged]
    return "bad" if judged and judged[-1] == code else "mid"


def rating_info(scheme: str, code: str, lang: str) -> dict:
    """{"label": …, "tone": …} for a code; a code no scheme file declares gets no label and the grey tone."""
    s = _scheme(scheme)
    if s is None or code not in s.codes:
        return {"label": "", "tone": "none"}
    c = s.codes[code]
    return {"label": c.en if lang == "en" else c.ja, "tone": _tone(s, code)}


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
