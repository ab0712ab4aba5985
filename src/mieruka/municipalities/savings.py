"""The savings calculator (歳出削減効果を測定する簡便なツール): from cost before and after, the cut in 円 and %,
per year and per resident; or the costs an advanced case implies from its published saving and percentage."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MIN_DIGITS = 2  # money is never shown with fewer significant figures than this, however round the inputs


class SavingsError(ValueError):
    """Inputs the calculator cannot work with (a negative cost, zero years …). `key` and `fields` let a page say it
    in its own language (savings.error_<key> in the web catalogue); str() is the English sentence of the CLI."""

    def __init__(self, message: str, key: str = "", **fields):
        super().__init__(message)
        self.key, self.fields = key, fields


@dataclass(frozen=True)
class Savings:
    """Costs are totals over `years` years, in 円; the cut is what the change saved over that period."""

    before: float
    after: float
    years: float = 1.0
    population: int | None = None

    @property
    def cut(self) -> float:
        return self.before - self.after

    @property
    def cut_percent(self) -> float:
        return self.cut / self.before * 100

    @property
    def cut_per_year(self) -> float:
        return self.cut / self.years

    @property
    def cut_per_resident(self) -> float | None:
        return None if not self.population else self.cut / self.population

    @property
    def cut_per_resident_per_year(self) -> float | None:
        return None if not self.population else self.cut_per_year / self.population

    def to_dict(self) -> dict:
        return {**asdict(self), "cut": self.cut, "cut_percent": self.cut_percent, "cut_per_year": self.cut_per_year,
                "cut_per_resident": self.cut_per_resident, "cut_per_resident_per_year": self.cut_per_resident_per_year}


def calculate(before: float, after: float, years: float = 1.0, population: int | None = None) -> Savings:
    """The cut from `before` to `after` (円, totals over `years`), checked for sense."""
    if before <= 0:
        raise SavingsError(f"cost before must be more than 0 円, got {before:,.0f}", "before", value=f"{before:,.0f}")
    if after < 0:
        raise SavingsError(f"cost after cannot be negative, got {after:,.0f}", "after", value=f"{after:,.0f}")
    if years <= 0:
        raise SavingsError(f"years must be more than 0, got {years:g}", "years", value=f"{years:g}")
    if population is not None and population <= 0:
        raise SavingsError(f"population must be more than 0, got {population}", "population", value=f"{population}")
    return Savings(float(before), float(after), float(years), population)


def from_case(amount_yen: float, change_percent: float, years: float | None = None,
              population: int | None = None) -> Savings:
    """The costs a published effect implies: "0.5億円 (▲24%)" saved over one year means
    0.5億円 is 24 % of the cost before, so before ≈ 2.083億円 and after ≈ 1.583億円.

    The sign of the percentage is ignored: documents write a cut as ▲24 %, -24 % or 24 %削減."""
    share = abs(change_percent) / 100
    if not 0 < share <= 1:
        raise SavingsError(f"a cut of {change_percent:g} % cannot give the cost before", "percent",
                           value=f"{change_percent:g}")
    if amount_yen <= 0:
        raise SavingsError(f"the saving must be more than 0 円, got {amount_yen:,.0f}", "saving", value=f"{amount_yen:,.0f}")
    before = amount_yen / share
    return calculate(before, before - amount_yen, years or 1.0, population)


def scaled(case: Savings, by: str, population: float | None = None, case_population: float | None = None,
           before: float | None = None) -> Savings:
    """A case's costs carried over to another body.

    by="population": both costs times population / case_population (a body twice the size spends twice as much);
    by="cost": the other body's own cost before, cut by the case's percentage."""
    if by == "population":
        if not population or not case_population or population <= 0 or case_population <= 0:
            raise SavingsError("scaling by population needs both populations", "need_populations")
        ratio = population / case_population
        return calculate(case.before * ratio, case.after * ratio, case.years, round(population))
    if by == "cost":
        if before is None or before <= 0:
            raise SavingsError("scaling by cost needs your own cost before", "need_before")
        return calculate(before, before * case.after / case.before, case.years,
                         round(population) if population else None)
    raise SavingsError(f"unknown scaling {by!r}: population or cost", "scale", value=by[:20])


def significant_digits(value: float) -> int:
    """How many significant figures a figure as typed or published holds: 208333000 → 6, 0.5億円 (5e7) → 1, 24 → 2.
    Trailing zeros of a whole number count as placeholders, not as measured digits."""
    if not value or not math.isfinite(value):
        return 1
    digits = f"{abs(value):.12g}".split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return max(1, len(digits))


def supported_digits(*inputs: float | None) -> int:
    """The significant figures a result may show: those of its least precise input, at least MIN_DIGITS."""
    given = [significant_digits(v) for v in inputs if v]
    return max(MIN_DIGITS, min(given)) if given else MIN_DIGITS


def round_significant(value: float | None, digits: int) -> float | None:
    """value to `digits` significant figures: 208333333 at 2 → 210000000."""
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
