"""Pure formulas of the lift and funnel reports: averages, lifts and conversion rates.

A figure that would divide by zero is ``None`` with a reason saying why, never
an error and never infinity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from api.domain.reports.figures import Figure


def daily_average(
    *,
    total: float,
    days: int,
    points: int,
    kind: str,
    mean: float | None,
    behaviour: str | None = "flow",
    level: float | None = None,
) -> Figure:
    """A metric's average per day in a window.

    Flows (counts and currency amounts): ``total / days``, days without points
    counting as zero (nothing recorded that day). Levels (followers): ``level``, the
    average level, per channel over its days with data, summed across channels (a
    day without a measure is not a day of zero followers). Ratios (rates, scores) do
    not add up: the mean of the points there are, days without points left out.
    """
    if points == 0:
        return Figure(None, "no data in the window")
    if kind == "ratio":
        return Figure(mean)
    if behaviour == "level":
        return Figure(level)
    return Figure(total / days)


@dataclass(frozen=True)
class Lift:
    absolute: Figure  # current - baseline
    relative: Figure  # (current - baseline) / baseline; 0.23 is 23 %


def lift(*, current: Figure, baseline: Figure) -> Lift:
    if current.value is None or baseline.value is None:
        missing = "window" if current.value is None else "baseline window"
        reason = f"no data in the {missing}"
        return Lift(Figure(None, reason), Figure(None, reason))
    absolute = current.value - baseline.value
    if baseline.value == 0:
        return Lift(Figure(absolute), Figure(None, "the baseline average is 0"))
    return Lift(Figure(absolute), Figure(absolute / abs(baseline.value)))


def conversion_rate(*, from_total: float, to_total: float, from_stage: str) -> Figure:
    """The share of one funnel stage that reaches the next: ``to_total / from_total``."""
    if from_total == 0:
        return Figure(None, f"the {from_stage} stage total is 0")
    return Figure(to_total / from_total)


@dataclass(frozen=True)
class Conversion:
    from_stage: str
    to_stage: str
    rate: Figure


def conversions(stages: Sequence[str], totals: Mapping[str, float]) -> list[Conversion]:
    """The conversion rate between each pair of consecutive stages."""
    return [
        Conversion(
            a,
            b,
            conversion_rate(
                from_total=totals.get(a, 0.0), to_total=totals.get(b, 0.0), from_stage=a
            ),
        )
        for a, b in pairwise(stages)
    ]
