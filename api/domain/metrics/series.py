"""A metric over time: one value per day, week or month, empty periods included.

Flows (counts and currency amounts) add up over a period; levels (followers)
take their latest value in the period on each channel, summed across channels;
ratios (rates, scores) are averaged over the period's points. Every point of the metric counts (all
sources, channels, campaigns and content items) unless a channel or campaign
filter narrows it, except that without a campaign filter the posts' synced points
are left to their channel's totals (``overlap``). The first and last periods hold
only the days from ``from`` to ``to``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from api.domain import periods
from api.domain.errors import NotFound, RuleViolation
from api.domain.metrics import overlap
from api.domain.metrics.definitions import get_definition
from api.domain.metrics.levels import latest_levels
from api.domain.metrics.models import MetricPoint
from api.domain.uow import UnitOfWork

MAX_PERIODS = 1_000
# How a period's value is had, by behaviour (ratios have none: averaged).
AGGREGATION_OF = {"flow": "sum", "level": "last"}


@dataclass(frozen=True)
class SeriesPeriod:
    period_start: date
    period_end: date
    value: float | None  # None: no points in the period


@dataclass(frozen=True)
class Series:
    metric: str
    kind: str
    aggregation: str  # sum (flows), last (levels) or avg (ratios)
    granularity: str
    day_from: date
    day_to: date
    periods: list[SeriesPeriod]


def metric_series(
    *,
    uow: UnitOfWork,
    metric_key: str,
    granularity: str,
    day_from: date,
    day_to: date,
    channel_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
) -> Series:
    if granularity not in periods.GRANULARITIES:
        raise RuleViolation(
            "unknown granularity", errors={"granularity": ["Must be day, week or month."]}
        )
    if day_to < day_from:
        raise RuleViolation("the range ends before it starts", errors={"to": ["Before from."]})
    count = periods.count_periods(day_from, day_to, granularity)
    if count > MAX_PERIODS:
        raise RuleViolation(
            f"the range spans {count} periods; at most {MAX_PERIODS} per request",
            errors={"to": [f"At most {MAX_PERIODS} {granularity}s after from."]},
        )
    try:
        definition = get_definition(uow=uow, key=metric_key)
    except NotFound:
        raise RuleViolation(
            f"metric key {metric_key!r} is not defined",
            errors={"metric": ["Not a built-in or organisation metric key."]},
        ) from None
    kind = definition.kind
    aggregation = AGGREGATION_OF.get(definition.behaviour, "avg")
    bucket = periods.bucket(MetricPoint.day, granularity)
    where = [
        MetricPoint.metric_key == metric_key,
        MetricPoint.day >= day_from,
        MetricPoint.day <= day_to,
        *overlap.counted(campaign_id=campaign_id),
    ]
    if channel_id is not None:
        where.append(MetricPoint.channel_id == channel_id)
    if campaign_id is not None:
        where.append(MetricPoint.campaign_id == campaign_id)
    if aggregation == "last":
        rows = (
            (start, total)
            for start, _, total in uow.session.execute(latest_levels(where=where, groups=[bucket]))
        )
    else:
        value = func.avg(MetricPoint.value) if aggregation == "avg" else func.sum(MetricPoint.value)
        rows = uow.session.execute(select(bucket, value).where(*where).group_by(bucket))
    found = {_as_date(start): float(total) for start, total in rows}
    return Series(
        metric=metric_key,
        kind=kind,
        aggregation=aggregation,
        granularity=granularity,
        day_from=day_from,
        day_to=day_to,
        periods=[
            SeriesPeriod(start, periods.period_end(start, granularity), found.get(start))
            for start in periods.period_starts(day_from, day_to, granularity)
        ],
    )


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
