"""Pure rules of the strategy: objectives, audiences and resources first; only then, activities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from api.domain.metrics.definitions import BY_KEY


@dataclass(frozen=True)
class Readiness:
    """What an activation needs, counted."""

    objectives: int
    objectives_without_kpis: tuple[str, ...]  # their titles
    audiences: int
    resources: int


def activation_gaps(readiness: Readiness) -> dict[str, list[str]]:
    """Every missing precondition, keyed by what is missing (empty when ready)."""
    gaps: dict[str, list[str]] = {}
    if readiness.objectives == 0:
        gaps["objectives"] = ["The strategy needs at least one objective."]
    if readiness.objectives_without_kpis:
        titles = ", ".join(readiness.objectives_without_kpis)
        gaps["kpis"] = [f"Every objective needs a KPI; these have none: {titles}."]
    if readiness.audiences == 0:
        gaps["audiences"] = ["The organisation needs at least one audience."]
    if readiness.resources == 0:
        gaps["resources"] = ["The organisation needs at least one resource (person or team)."]
    return gaps


def check_period(start: date, end: date) -> dict[str, list[str]]:
    if end < start:
        return {"period_end": ["Must not be before period_start."]}
    return {}


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


def titles_without_kpis(objectives: Iterable[tuple[str, int]]) -> tuple[str, ...]:
    """From (title, KPI count) pairs, the titles with no KPI."""
    return tuple(title for title, count in objectives if count == 0)
