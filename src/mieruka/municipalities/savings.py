"""The savings calculator (歳出削減効果を測定する簡便なツール): from cost before and after, the cut in 円 and %,
per year and per resident; or the costs an advanced case implies from its published saving and percentage."""
from __future__ import annotations

from dataclasses import asdict, dataclass


class SavingsError(ValueError):
    """Inputs the calculator cannot work with (a negative cost, zero years …)."""


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
        raise SavingsError(f"cost before must be more than 0 円, got {before:,.0f}")
    if after < 0:
        raise SavingsError(f"cost after cannot be negative, got {after:,.0f}")
    if years <= 0:
        raise SavingsError(f"years must be more than 0, got {years:g}")
    if population is not None and population <= 0:
        raise SavingsError(f"population must be more than 0, got {population}")
    return Savings(float(before), float(after), float(years), population)


def from_case(amount_yen: float, change_percent: float, years: float | None = None,
              population: int | None = None) -> Savings:
    """The costs a published effect implies: "0.5億円 (▲24%)" saved over one year means
    0.5億円 is 24 % of the cost before, so before ≈ 2.083億円 and after ≈ 1.583億円.

    The sign of the percentage is ignored: documents write a cut as ▲24 %, -24 % or 24 %削減."""
    share = abs(change_percent) / 100
    if not 0 < share <= 1:
        raise SavingsError(f"a cut of {change_percent:g} % cannot give the cost before")
    if amount_yen <= 0:
        raise SavingsError(f"the saving must be more than 0 円, got {amount_yen:,.0f}")
    before = amount_yen / share
    return calculate(before, before - amount_yen, years or 1.0, population)
