"""Pure rules of KPIs: whether a KPI's parts fit together, and how its actual compares
with its target.

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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from api.domain.metrics.definitions import BY_KEY

# A KPI's definition


@dataclass(frozen=True)
class KpiDefinition:
    aggregation: str
    metric_key: str | None
    numerator_key: str | None
    denominator_key: str | None
    target: float
    baseline: float | None
    direction: str


BUILT_IN_BEHAVIOURS = {key: m.behaviour for key, m in BY_KEY.items()}


def check_kpi(
    kpi: KpiDefinition, *, behaviours: Mapping[str, str | None] = BUILT_IN_BEHAVIOURS
) -> dict[str, list[str]]:
    """Field errors for a KPI whose parts don't fit together.

    ``behaviours`` maps every metric key the organisation may use (built-in and its
    own) to flow, level or None (ratio). A level (followers) summed over a period
    would count it again every day, so ``sum`` and ``ratio`` KPIs refuse levels:
    ``last`` (the latest level) or ``avg`` (the average daily level) measure them.
    """
    errors: dict[str, list[str]] = {}

    def unknown(field: str, key: str | None) -> None:
        if key is None:
            return
        if key not in behaviours:
            errors[field] = [f"Unknown metric key {key!r}; see GET /v1/metric-definitions."]
        elif behaviours[key] == "level" and kpi.aggregation in ("sum", "ratio"):
            adds = "sum" if kpi.aggregation == "sum" else "ratio of sums"
            errors.setdefault("aggregation", []).append(
                f"{key} is a level: use last (or avg); a {adds} over the period would "
                "count it again every day."
            )

    if kpi.aggregation == "ratio":
        for field in ("numerator_key", "denominator_key"):
            if getattr(kpi, field) is None:
                errors[field] = ["A ratio KPI needs both a numerator and a denominator key."]
        unknown("numerator_key", kpi.numerator_key)
        unknown("denominator_key", kpi.denominator_key)
        if kpi.numerator_key and kpi.numerator_key == kpi.denominator_key:
            errors["denominator_key"] = ["Must differ from the numerator key."]
    else:
        if kpi.metric_key is None:
            errors["metric_key"] = [f"A {kpi.aggregation} KPI needs a metric key."]
        unknown("metric_key", kpi.metric_key)
        for field in ("numerator_key", "denominator_key"):
            if getattr(kpi, field) is not None:
                errors[field] = ["Only ratio KPIs have numerator and denominator keys."]
    if kpi.baseline is not None:
        if kpi.direction == "increase" and kpi.target <= kpi.baseline:
            errors["target"] = ["An 'increase' KPI needs a target above its baseline."]
        if kpi.direction == "decrease" and kpi.target >= kpi.baseline:
            errors["target"] = ["A 'decrease' KPI needs a target below its baseline."]
    if kpi.target < 0:
        errors.setdefault("target", []).append("Must not be negative.")
    return errors


# Status

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
