"""What the rater established about one KPI before choosing a rule: flags, metrics, the planned value, the
latest actual and the forecast. rate.py fills it in and explain.py puts it into words."""
from __future__ import annotations

from dataclasses import dataclass

from mieruka.evaluate.forecast import Forecast
from mieruka.evaluate.series import Point


@dataclass
class Facts:
    flags: dict[str, bool]
    metrics: dict[str, float | None]
    expected: float | None = None  # the planned path at the latest actual's date
    actual: Point | None = None
    forecast: Forecast | None = None
