"""類似団体: municipalities grouped the way MIC's 類似団体区分 groups them (kind, population band, industrial
structure), and one body compared with its group on adoption and cost per resident, with its rank."""
from __future__ import annotations

from dataclasses import dataclass

from mieruka.bodies import registry

# Population bands: (upper bound, exclusive; label). 都市 and 町村 have their own, as in MIC's tables.
CITY_BANDS: tuple[tuple[int | None, str], ...] = ((50_000, "Ⅰ"), (100_000, "Ⅱ"), (150_000, "Ⅲ"), (None, "Ⅳ"))
TOWN_BANDS: tuple[tuple[int | None, str], ...] = (
    (5_000, "Ⅰ"), (10_000, "Ⅱ"), (15_000, "Ⅲ"), (20_000, "Ⅳ"), (None, "Ⅴ"))
# Industrial structure from the shares of employed people in secondary + tertiary and in tertiary industry (%).
CITY_INDUSTRY = {"threshold": 95.0, "tertiary_high": 65.0, "tertiary_low": 55.0}
TOWN_INDUSTRY = {"threshold": 80.0, "tertiary": 55.0}
# Kinds grouped as one type each, whatever their size: their powers differ from other cities'.
SPECIAL_CLASSES = ("政令指定都市", "特別区", "中核市", "施行時特例市")


@dataclass(frozen=True)
class Group:
    category: str  # 政令指定都市 / 特別区 / 中核市 / 施行時特例市 / 都市 / 町村
    band: str | None = None
    industry: str | None = None

    @property
    def key(self) -> str:
        if self.band is None:
            return self.category
        return f"{self.category} {self.band}" + (f"-{self.industry}" if self.industry is not None else "")

    @property
    def label(self) -> str:
        if self.band is None:
            return self.category
        bands = CITY_BANDS if self.category == "都市" else TOWN_BANDS
        return f"{self.key}({band_range(bands, self.band)}" + ("" if self.industry is not None else "、産業構造不明") + ")"


def band_range(bands, label: str) -> str:
    low = 0
    for high, name in bands:
        if name == label:
            return f"{low:,}人以上" if high is None else (f"{high:,}人未満" if low == 0 else f"{low:,}〜{high:,}人")
        low = high
    raise ValueError(f"no band {label}")


def population_band(population: int, bands) -> str:
    for high, label in bands:
        if high is None or population < high:
            return label
    raise AssertionError("the last band has no upper bound")


def is_town(kind: str) -> bool:
    return kind in (registry.TOWN, registry.VILLAGE)


def industry_class(kind: str, secondary_tertiary: float, tertiary: float) -> str:
    """MIC's 産業構造 class: 0–3 for cities, 0–2 for towns and villages (higher = more tertiary)."""
    if is_town(kind):
        rule = TOWN_INDUSTRY
        if secondary_tertiary < rule["threshold"]:
            return "0"
        return "2" if tertiary >= rule["tertiary"] else "1"
    rule = CITY_INDUSTRY
    if secondary_tertiary >= rule["threshold"]:
        return "3" if tertiary >= rule["tertiary_high"] else "2"
    return "1" if tertiary >= rule["tertiary_low"] else "0"


def industry_label(kind: str, industry: str) -> str:
    """What a class means, from the same thresholds: "3(Ⅱ次・Ⅲ次95%以上、Ⅲ次65%以上)"."""
    if is_town(kind):
        t, high = TOWN_INDUSTRY["threshold"], TOWN_INDUSTRY["tertiary"]
        meaning = {"2": f"Ⅱ次・Ⅲ次{t:g}%以上、Ⅲ次{high:g}%以上", "1": f"Ⅱ次・Ⅲ次{t:g}%以上、Ⅲ次{high:g}%未満",
                   "0": f"Ⅱ次・Ⅲ次{t:g}%未満"}
    else:
        t, high, low = CITY_INDUSTRY["threshold"], CITY_INDUSTRY["tertiary_high"], CITY_INDUSTRY["tertiary_low"]
        meaning = {"3": f"Ⅱ次・Ⅲ次{t:g}%以上、Ⅲ次{high:g}%以上", "2": f"Ⅱ次・Ⅲ次{t:g}%以上、Ⅲ次{high:g}%未満",
                   "1": f"Ⅱ次・Ⅲ次{t:g}%未満、Ⅲ次{low:g}%以上", "0": f"Ⅱ次・Ⅲ次{t:g}%未満、Ⅲ次{low:g}%未満"}
    return f"{industry}({meaning[industry]})"


def valid_industry(kind: str, industry: str) -> bool:
    return industry in (("0", "1", "2") if is_town(kind) else ("0", "1", "2", "3"))


def classify(kind: str, designated_city: bool = False, population: int | None = None,
             industry: str | None = None, city_class: str | None = None) -> Group | None:
    """The group of a municipality, or None when its population (needed for 都市 and 町村) is not known."""
    if designated_city:
        return Group("政令指定都市")
    if kind == registry.SPECIAL_WARD:
        return Group("特別区")
    if kind == registry.CITY and city_class in ("中核市", "施行時特例市"):
        return Group(city_class)
    if population is None:
        return None
    if kind == registry.CITY:
        return Group("都市", population_band(population, CITY_BANDS), industry)
    if is_town(kind):
        return Group("町村", population_band(population, TOWN_BANDS), industry)
    raise ValueError(f"{kind} is not a kind of municipality")


def group_of(fact: dict) -> Group | None:
    return classify(fact["kind"], fact["designated_city"], fact.get("population"), fact.get("industry"),
                    fact.get("city_class"))


def cost_of(fact: dict) -> float | None:
    """What the service costs the body now: after adoption if it adopted and said so, else before."""
    if fact.get("adopted") and fact.get("cost_after") is not None:
        return fact["cost_after"]
    return fact.get("cost_before") if fact.get("cost_before") is not None else fact.get("cost_after")


def cost_per_resident(fact: dict) -> float | None:
    cost = cost_of(fact)
    population = fact.get("population")
    return None if cost is None or not population else cost / population


def ranks(values: dict[str, float | None]) -> dict[str, int | None]:
    """Competition ranking, lowest first (1, 2, 2, 4); a body without a value has no rank."""
    ordered = sorted(v for v in values.values() if v is not None)
    first = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {code: None if v is None else first[v] for code, v in values.items()}


def by_group(facts: list[dict]) -> dict[Group | None, list[dict]]:
    """The facts of each group, in the order of facts: what compare() would work out again for every body."""
    out: dict[Group | None, list[dict]] = {}
    for f in facts:
        out.setdefault(group_of(f), []).append(f)
    return out


def compare(facts: list[dict], code: str, groups: dict[Group | None, list[dict]] | None = None) -> dict | None:
    """The body `code` beside the members of its group (facts from storage.local_bodies.body_facts; groups, when
    given, is by_group(facts)).

    None when the body is unknown; a body whose group cannot be told (no population) gets group None."""
    body = next((f for f in facts if f["code"] == code), None)
    if body is None:
        return None
    group = group_of(body)
    if group is None:
        return {"group": None, "body": _member(body, None), "members": [], "size": 0}
    same = groups[group] if groups is not None else [f for f in facts if group_of(f) == group]
    per_resident = {f["code"]: cost_per_resident(f) for f in same}
    rank = ranks(per_resident)
    members = sorted((_member(f, rank[f["code"]]) for f in same),
                     key=lambda x: (x["rank"] is None, x["rank"] or 0, x["code"]))
    answered = [f for f in same if f.get("adopted") is not None]
    adopted = sum(1 for f in answered if f["adopted"])
    ranked = [v for v in per_resident.values() if v is not None]
    return {
        "group": {"key": group.key, "label": group.label, "category": group.category, "band": group.band,
                  "industry": group.industry},
        "body": _member(body, rank[code]),
        "members": members,
        "size": len(same),
        "answered": len(answered),
        "adopted": adopted,
        "adoption_rate": adopted / len(same) * 100,
        "ranked": len(ranked),
        "median_cost_per_resident": _median(ranked),
    }


def _member(fact: dict, rank: int | None) -> dict:
    return {"code": fact["code"], "name": fact["name"], "prefecture": fact["prefecture"], "kind": fact["kind"],
            "population": fact.get("population"), "adopted": fact.get("adopted"), "cost": cost_of(fact),
            "cost_per_resident": cost_per_resident(fact), "rank": rank}


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
