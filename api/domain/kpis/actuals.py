"""A KPI's actuals: which metric points they are computed from, and how.

An actual is one grouped query over the KPI's keys (its own, or its ratio's two),
channel, campaign and days, aggregated as the KPI says. An incremental rollup asks
which keys have changed points, and on which days, to recompute only the KPIs and
periods those reach (``kpis.rollups``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, select

from api.domain import periods
from api.domain.kpis.models import Kpi
from api.domain.metrics import overlap
from api.domain.metrics.levels import latest_levels, latest_levels_in_one_read
from api.domain.metrics.models import MetricPoint
from api.domain.uow import UnitOfWork


def kpi_keys(kpi: Kpi) -> tuple[str, ...]:
    """The metric keys a KPI's actual is computed from: its own, or its ratio's two.

    Nothing else enters it: a part (``part_of``) is not added to its parent's KPIs,
    derived keys (mention counts) are metric points of their own that change when
    what they are derived from does, and the channel, campaign and content-item
    filters (``metrics.overlap``) only narrow the points of these keys.
    """
    if kpi.aggregation == "ratio":
        return (kpi.numerator_key, kpi.denominator_key)
    return (kpi.metric_key,)


def days_to_recompute(kpi: Kpi, changed: dict[str, set[date]] | None) -> set[date] | None:
    """The days whose periods the KPI recomputes, from the changed days of each key.

    ``changed`` None is a full rollup (every period: None); a KPI none of whose keys
    changed gets no day, and is left as it is.
    """
    if changed is None:
        return None
    days: set[date] = set()
    for key in kpi_keys(kpi):
        days |= changed.get(key, set())
    return days


def changed_keys(*, uow: UnitOfWork, since: datetime) -> dict[str, set[date]]:
    """metric key → the days of its points written after ``since``, in one query."""
    changed: dict[str, set[date]] = {}
    rows = uow.session.execute(
        select(MetricPoint.metric_key, MetricPoint.day)
        .where(MetricPoint.updated_at > since)
        .distinct()
    )
    for key, day in rows:
        changed.setdefault(key, set()).add(as_date(day))
    return changed


def actuals(*, uow: UnitOfWork, kpi: Kpi, starts: list[date], fiscal_start_month: int) -> dict:
    """period start → actual, for the periods of ``starts`` that have data."""
    if not starts:
        return {}
    first = starts[0]
    last = periods.period_end(starts[-1], kpi.period)
    bucket = periods.sql_period_start(MetricPoint.day, kpi.period, fiscal_start_month)
    where = overlap.figure_points(
        kpi_keys(kpi), first, last, channel_id=kpi.channel_id, campaign_id=kpi.campaign_id
    )
    if kpi.aggregation == "sum":
        value = func.sum(MetricPoint.value)
    elif kpi.aggregation == "avg":
        # Average per day with data: each day's total, then their average (never an average
        # of averages). A count(DISTINCT day) instead sorted each period's rows.
        daily = (
            select(bucket.label("start"), func.sum(MetricPoint.value).label("total"))
            .where(*where)
            .group_by(MetricPoint.day, bucket)
            .subquery()
        )
        stmt = select(daily.c.start, func.avg(daily.c.total)).group_by(daily.c.start)
        return _found(uow, stmt, starts)
    elif kpi.aggregation == "ratio":
        numerator = func.sum(
            case((MetricPoint.metric_key == kpi.numerator_key, MetricPoint.value), else_=0.0)
        )
        denominator = func.sum(
            case((MetricPoint.metric_key == kpi.denominator_key, MetricPoint.value), else_=0.0)
        )
        value = numerator / func.nullif(denominator, 0.0)
    else:
        # last: on each channel, the total of its latest day with data in the period,
        # summed across channels (the followers of two pages that report on different days).
        # PostgreSQL reads the rows once (array comparison); SQLite keeps the join.
        postgres = uow.session.get_bind().dialect.name == "postgresql"
        levels = latest_levels_in_one_read if postgres else latest_levels
        stmt = levels(where=where, groups=[bucket])
        return {as_date(p): float(v) for p, _, v in uow.session.execute(stmt) if p is not None}
    return _found(uow, select(bucket, value).where(*where).group_by(bucket), starts)


def _found(uow: UnitOfWork, stmt, starts: list[date]) -> dict:
    wanted = set(starts)
    return {
        as_date(p): (float(v) if v is not None else None)
        for p, v in uow.session.execute(stmt)
        if as_date(p) in wanted
    }


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
