"""Rating schemes as data: load a TOML or YAML file naming codes, labels, ordered rules and a roll-up.
A scheme is found by file path, in $MIERUKA_SCHEMES_DIR, or among the files shipped in evaluate/schemes/."""
from __future__ import annotations

import math
import os
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

SHIPPED_DIR = Path(__file__).with_name("schemes")
SUFFIXES = (".toml", ".yaml", ".yml")

# The facts a rule may test. rate.py and bulk.py each compute every one of them.
FLAGS = {
    "after_the_fact": "事後的に検証する指標 (an outcome checked only after the fact)",
    "target_unset": "the target is announced but not set yet (検討中, 目標は…中に設定)",
    "no_target": "no usable target: none stated, unset, or not a number",
    "no_observation": "no actual value up to the evaluation date",
    "no_baseline": "no baseline value with a date (after the scheme's missing_baseline fallback)",
    "no_deadline": "the target has no deadline",
    "target_met": "the latest actual reaches the target in the KPI's direction",
    "deadline_passed": "the evaluation date is on or after the deadline",
    "observed_after_deadline": "the latest actual is dated on or after the deadline",
    "forecast_met": "the weighted least-squares forecast at the deadline reaches the target",
    "printed_forecast_met": "a forecast the documents print for the deadline (見込み) reaches the target; never holds "
                            "in a scheme whose printed_forecasts is false",
}
METRICS = {
    "path_share": "(actual − baseline) ÷ (planned-path value at the actual's date − baseline)",
    "achievement": "(actual − baseline) ÷ (target − baseline): share of the way from baseline to target",
    "attainment": "actual ÷ target (target ÷ actual for falling KPIs)",
    "change": "(actual − baseline) ÷ |baseline|, positive when the KPI moved the right way",
    "cagr_ratio": "actual compound annual growth since baseline ÷ growth required to reach the target",
}
PATHS = ("linear", "compound")
MISSING_BASELINE = ("cannot_judge", "first_observation")
GROUP_BY = ("document", "reform_item")


# The four things a rating can say, across schemes (a scheme file's codes.X.meaning; see docs/evaluate.md).
MEANINGS = ("achieved", "on_track", "behind", "not_judged")


class SchemeError(ValueError):
    """A scheme that cannot be found or is not well formed; the message names the file and the key."""


@dataclass(frozen=True)
class Code:
    code: str
    ja: str
    en: str
    judged: bool = True  # False for "cannot be judged" codes (N, －, not available)
    top: bool = False  # the code that says achieved / on track (A, イ, S)
    # what the code says, one of MEANINGS: every page gives a meaning one colour and one mark, whatever the scheme
    meaning: str = "on_track"


@dataclass(frozen=True)
class Rule:
    code: str
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    metric: str | None = None
    min: float | None = None  # inclusive; rules are tried in order, so an earlier rule takes the boundary
    max: float | None = None  # inclusive
    ja: str | None = None  # why, in words, when the file gives it
    en: str | None = None

    def matches(self, flags: Mapping[str, bool], metrics: Mapping[str, float | None]) -> bool:
        if not all(flags[f] for f in self.when) or any(flags[f] for f in self.unless):
            return False
        if self.metric is None:
            return True
        value = metrics.get(self.metric)
        if value is None or math.isnan(value):
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class RollupResult:
    result: str
    ja: str
    en: str
    min_share: dict[str, float] = field(default_factory=dict)
    judged: bool = True


@dataclass(frozen=True)
class Rollup:
    group_by: str
    results: tuple[RollupResult, ...]
    unjudged: RollupResult  # the result of a group with no judged indicator
    exceed_attainment: float | None = None  # an indicator whose attainment reaches this counts as "exceeded"


@dataclass(frozen=True)
class Scheme:
    name: str
    title_ja: str
    title_en: str
    codes: dict[str, Code]
    rules: tuple[Rule, ...]
    path: str = "linear"
    missing_baseline: str = "cannot_judge"
    official: str | None = None  # the published scheme whose ratings audit compares with this one
    half_life_years: float = 2.0
    rollup: Rollup | None = None
    source: str = ""
    printed_forecasts: bool = False  # whether a 見込み the documents print for the deadline may decide a rating

    def assign(self, flags: Mapping[str, bool], metrics: Mapping[str, float | None]) -> tuple[int, str]:
        """Index and code of the first rule that matches."""
        for i, rule in enumerate(self.rules):
            if rule.matches(flags, metrics):
                return i, rule.code
        raise SchemeError(f"{self.source}: no rule matched; end the rules with one that has no condition")

    @property
    def top_codes(self) -> set[str]:
        return {c.code for c in self.codes.values() if c.top}


# The scheme files of each set of folders, with the folders' modification times when listed: a request asks for
# them several times over, and a folder's time changes when a file is added, removed or renamed in it. A folder
# changed within the last STABLE_S seconds is listed again every time (its time may not have moved yet).
_listed: dict[tuple, tuple[tuple, dict[str, Path]]] = {}
STABLE_S = 2.0


def available() -> dict[str, Path]:
    """Scheme name → file: shipped ones first, then $MIERUKA_SCHEMES_DIR, whose files win on a name clash."""
    dirs = [SHIPPED_DIR]
    if os.environ.get("MIERUKA_SCHEMES_DIR"):
        dirs.append(Path(os.environ["MIERUKA_SCHEMES_DIR"]))
    stamp = tuple(_modified(d) for d in dirs)
    kept = _listed.get(tuple(dirs))
    if kept is not None and kept[0] == stamp:
        return dict(kept[1])
    found: dict[str, Path] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.suffix in SUFFIXES:
                found[p.stem] = p
    if all(t is None or time.time_ns() - t > STABLE_S * 1e9 for t in stamp):
        _listed[tuple(dirs)] = (stamp, found)
    return dict(found)


def _modified(folder: Path) -> int | None:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return None


def load(name_or_path: str | Path) -> Scheme:
    """A scheme by file path, or by name from $MIERUKA_SCHEMES_DIR or the shipped schemes."""
    p = Path(name_or_path)
    if p.suffix in SUFFIXES and p.is_file():
        return load_file(p)
    schemes = available()
    if str(name_or_path) not in schemes:
        if p.suffix in SUFFIXES:
            raise SchemeError(f"scheme file not found: {p}")
        names = ", ".join(sorted(schemes)) or "none"
        raise SchemeError(f"unknown scheme {str(name_or_path)!r}; available: {names} (or give a .toml/.yaml file)")
    return load_file(schemes[str(name_or_path)])


_loaded: dict[Path, tuple[tuple[int, int], Scheme]] = {}


def load_file(path: Path) -> Scheme:
    """The scheme in a file, read again only when the file changed (every page asks for every scheme's codes)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _read_file(path)  # says which file it cannot read
    key, stamp = path.resolve(), (stat.st_mtime_ns, stat.st_size)
    kept = _loaded.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    scheme = _read_file(path)
    _loaded[key] = (stamp, scheme)
    return scheme


def _read_file(path: Path) -> Scheme:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:
        raise SchemeError(f"{path}: cannot read the scheme file: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemeError(f"{path}: a scheme file must hold a table of settings")
    return from_dict(data, source=str(path), default_name=path.stem)


def _label(where: str, value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        return value, value
    if isinstance(value, dict) and "ja" in value:
        return str(value["ja"]), str(value.get("en", value["ja"]))
    raise SchemeError(f"{where}: give a label as {{ja = \"…\", en = \"…\"}}")


def _names(where: str, value: Any, known: Mapping[str, str]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    for v in items:
        if v not in known:
            raise SchemeError(f"{where}: unknown condition {v!r}; known: {', '.join(known)}")
    return tuple(items)


def _number(where: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SchemeError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _choice(where: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SchemeError(f"{where}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def from_dict(data: dict, source: str = "<scheme>", default_name: str | None = None) -> Scheme:
    """Validate a parsed scheme file; every error names the file and the key."""
    name = str(data.get("name") or default_name or "")
    if not name:
        raise SchemeError(f"{source}: the scheme needs a name")
    title_ja, title_en = _label(f"{source}: title", data.get("title", name))
    codes_data = data.get("codes")
    if not isinstance(codes_data, dict) or not codes_data:
        raise SchemeError(f"{source}: [codes] must declare at least one code with its labels")
    codes = {}
    for code, spec in codes_data.items():
        if not isinstance(spec, dict):
            raise SchemeError(f"{source}: codes.{code} must be a table with ja and en labels")
        ja, en = _label(f"{source}: codes.{code}", spec)
        codes[str(code)] = Code(str(code), ja, en, judged=bool(spec.get("judged", True)), top=bool(spec.get("top", False)))
    judged = [c for c, v in codes.items() if v.judged]
    for code, spec in codes_data.items():
        c = codes[str(code)]
        # a file that does not say: the top code is achieved, codes that judge nothing are not judged, the last
        # judged code is behind, the ones between on track
        default = ("achieved" if c.top else "not_judged" if not c.judged else
                   "behind" if judged and judged[-1] == c.code else "on_track")
        meaning = _choice(f"{source}: codes.{code}.meaning", spec.get("meaning", default), MEANINGS)
        codes[str(code)] = Code(c.code, c.ja, c.en, judged=c.judged, top=c.top, meaning=meaning)
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or not rules_data:
        raise SchemeError(f"{source}: [[rules]] must list at least one rule")
    rules = []
    for i, spec in enumerate(rules_data, 1):
        where = f"{source}: rules[{i}]"
        if not isinstance(spec, dict):
            raise SchemeError(f"{where}: each rule must be a table")
        code = str(spec.get("code", ""))
        if code not in codes:
            raise SchemeError(f"{where}: code {code!r} is not declared under [codes]")
        unknown = set(spec) - {"code", "when", "unless", "metric", "min", "max", "ja", "en"}
        if unknown:
            raise SchemeError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        metric = spec.get("metric")
        if metric is not None and metric not in METRICS:
            raise SchemeError(f"{where}: unknown metric {metric!r}; known: {', '.join(METRICS)}")
        lo, hi = _number(f"{where}.min", spec.get("min")), _number(f"{where}.max", spec.get("max"))
        if (lo is not None or hi is not None) and metric is None:
            raise SchemeError(f"{where}: min/max need a metric")
        rules.append(Rule(code, _names(f"{where}.when", spec.get("when"), FLAGS),
                          _names(f"{where}.unless", spec.get("unless"), FLAGS), metric, lo, hi,
                          spec.get("ja"), spec.get("en")))
    last = rules[-1]
    if last.when or last.unless or last.metric:
        raise SchemeError(f"{source}: the last rule must have no condition, so that every KPI gets a code")
    forecast = data.get("forecast") or {}
    half_life = _number(f"{source}: forecast.half_life_years", forecast.get("half_life_years", 2.0))
    if half_life is None or half_life <= 0:
        raise SchemeError(f"{source}: forecast.half_life_years must be positive")
    return Scheme(
        name=name, title_ja=title_ja, title_en=title_en, codes=codes, rules=tuple(rules),
        path=_choice(f"{source}: path", data.get("path", "linear"), PATHS),
        missing_baseline=_choice(f"{source}: missing_baseline", data.get("missing_baseline", "cannot_judge"),
                                 MISSING_BASELINE),
        official=data.get("official"), half_life_years=half_life,
        rollup=_rollup(data.get("rollup"), source, codes), source=source,
        printed_forecasts=_flag(f"{source}: printed_forecasts", data.get("printed_forecasts", False)))


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SchemeError(f"{where} must be true or false, not {value!r}")
    return value


def _rollup(spec: Any, source: str, codes: dict[str, Code]) -> Rollup | None:
    if spec is None:
        return None
    where = f"{source}: rollup"
    if not isinstance(spec, dict) or not isinstance(spec.get("results"), list) or not spec["results"]:
        raise SchemeError(f"{where}: needs a list of [[rollup.results]]")
    results = []
    for i, r in enumerate(spec["results"], 1):
        ja, en = _label(f"{where}.results[{i}]", {"ja": r.get("ja", r.get("result")), "en": r.get("en", r.get("result"))})
        shares = {}
        for key, value in (r.get("min_share") or {}).items():
            for part in str(key).split("+"):
                if part not in codes and part != "exceeded":
                    raise SchemeError(f"{where}.results[{i}].min_share: unknown code {part!r}")
            shares[str(key)] = _number(f"{where}.results[{i}].min_share.{key}", value)
        results.append(RollupResult(str(r.get("result", "")), ja, en, shares, bool(r.get("judged", True))))
    if results[-1].min_share:
        raise SchemeError(f"{where}: the last result must have no min_share, so that every group gets one")
    u = spec.get("unjudged") or {"result": "判定不能", "en": "cannot be judged"}
    unjudged = RollupResult(str(u.get("result")), str(u.get("ja", u.get("result"))), str(u.get("en", u.get("result"))),
                            judged=False)
    return Rollup(_choice(f"{where}.group_by", spec.get("group_by", "document"), GROUP_BY), tuple(results), unjudged,
                  _number(f"{where}.exceed_attainment", spec.get("exceed_attainment")))
