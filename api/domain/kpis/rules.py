"""How a KPI's actual compares with its target: pure rules.

Status for a period:
- ``no_data`` when the period has no metric points.
- The expected value to date is the target, pro-rated for the elapsed part of
  the period for ``sum`` KPIs (they accumulate); ``avg``, ``last`` and ``ratio``
  KPIs are compared with the whole target at any time.
- ``increase`` KPIs: attainment = actual / expected. ``decrease`` KPIs:
  attainment = expected / actual (doing less is doing better).
- ``on_track`` at 100 % attainment or more, ``at_risk`` from 80 %, else ``off_track``.
  With nothing expected yet (an expected value of 0), an increase KPI is on track;
  a decrease KPI with an actual of 0 is on track.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ON_TRACK, AT_RISK = 1.0, 0.8


def elapsed_fraction(start: date, end: date, today: date) -> float:
    if today < start:
        return 0.0
    if today >= end:
        return 1.0
    return ((today - start).days + 1) / ((end - start).days + 1)


@dataclass(frozen=True)
class Evaluation:
    expected: float | None
    attainment: float | None
    status: str


def evaluate(
    *,
    actual: float | None,
    target: float,
    direction: str,
    aggregation: str,
    start: date,
    end: date,
    today: date,
) -> Evaluation:
    if actual is None:
        return Evaluation(None, None, "no_data")
    fraction = elapsed_fraction(start, end, today) if aggregation == "sum" else 1.0
    expected = target * fraction
    if direction == "increase":
        attainment = actual / expected if expected > 0 else None
        ratio = attainment if attainment is not None else 1.0
    else:
        attainment = expected / actual if actual > 0 else None
        ratio = attainment if attainment is not None else 1.0
    if ratio >= ON_TRACK:
        status = "on_track"
    elif ratio >= AT_RISK:
        status = "at_risk"
    else:
        status = "off_track"
    return Evaluation(expected, round(attainment, 4) if attainment is not None else None, status)
