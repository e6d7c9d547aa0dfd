"""Pure rules of the strategy: objectives, audiences and resources first; only then, activities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


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


def titles_without_kpis(objectives: Iterable[tuple[str, int]]) -> tuple[str, ...]:
    """From (title, KPI count) pairs, the titles with no KPI."""
    return tuple(title for title, count in objectives if count == 0)
