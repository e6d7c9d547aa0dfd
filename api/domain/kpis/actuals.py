"""A KPI's actuals: which metric points they are computed from, and how.

An actual is one grouped query over the KPI's keys (its own, or its ratio's two),
channel, campaign and days, aggregated as the KPI says. An incremental rollup asks
which keys have changed points, and on which days, to recompute only the KPIs and
periods those reach (``kpis.rollups``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    union_all,
)

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
    postgres = uow.session.get_bind().dialect.name == "postgresql"
    stmt = _query(_shape(kpi, fiscal_start_month, postgres))
    rows = uow.session.execute(stmt, _parameters(kpi, starts))
    return _read(kpi, starts, {row[0]: row[-1] for row in rows})


# KPIs per statement in ``actuals_of``: within SQLite's 500 terms of a compound SELECT
# and its parameters, and a statement PostgreSQL plans in a moment.
KPIS_PER_STATEMENT = 50


def actuals_of(
    *, uow: UnitOfWork, wanted: Sequence[tuple[Kpi, list[date]]], fiscal_start_month: int
) -> list[dict]:
    """``actuals`` of each (KPI, period starts), in that order: the KPIs' grouped queries
    as one statement (``UNION ALL``, each row tagged with its KPI's place), up to
    ``KPIS_PER_STATEMENT`` KPIs at a time.

    For an incremental rollup, whose queries each read a few days: a round trip and an
    execution through the ORM per KPI cost more than its scan.
    """
    postgres = uow.session.get_bind().dialect.name == "postgresql"
    found: list[dict] = [{} for _ in wanted]
    asked = [n for n, (_kpi, starts) in enumerate(wanted) if starts]
    for first in range(0, len(asked), KPIS_PER_STATEMENT):
        chunk = asked[first : first + KPIS_PER_STATEMENT]
        shapes = tuple(_shape(wanted[n][0], fiscal_start_month, postgres) for n in chunk)
        parameters = {}
        for place, n in enumerate(chunk):
            parameters |= _parameters(*wanted[n], prefix=f"k{place}_")
        for place, start, value in uow.session.execute(_together(shapes), parameters):
            found[chunk[place]][start] = value
    return [_read(kpi, starts, rows) for (kpi, starts), rows in zip(wanted, found, strict=True)]


class _Shape(NamedTuple):
    """What a KPI's grouped query is made of, its values (keys, days, channel…) apart."""

    aggregation: str
    period: str
    fiscal_start_month: int
    keys: int  # its metric keys: one, or a ratio's two
    channel: bool
    campaign: bool
    postgres: bool


def _shape(kpi: Kpi, fiscal_start_month: int, postgres: bool) -> _Shape:
    return _Shape(
        kpi.aggregation,
        kpi.period,
        fiscal_start_month,
        len(kpi_keys(kpi)),
        kpi.channel_id is not None,
        kpi.campaign_id is not None,
        postgres,
    )


def _parameters(kpi: Kpi, starts: list[date], prefix: str = "") -> dict:
    """The values of ``_query``'s parameters for the KPI over the periods of ``starts``."""
    values = {
        f"{prefix}first": starts[0],
        f"{prefix}last": periods.period_end(starts[-1], kpi.period),
    }
    for n, key in enumerate(kpi_keys(kpi)):
        values[f"{prefix}key{n}"] = key
    if kpi.channel_id is not None:
        values[f"{prefix}channel"] = kpi.channel_id
    if kpi.campaign_id is not None:
        values[f"{prefix}campaign"] = kpi.campaign_id
    return values


_COLUMNS = MetricPoint.__table__.c


@lru_cache(maxsize=512)
def _query(shape: _Shape, prefix: str = "") -> Select:
    """The grouped query of a KPI of this shape: (period start, …, actual) rows, its keys,
    days, channel and campaign parameters named after ``prefix`` (``_parameters``).

    Built once per shape and prefix: building it anew for every KPI of every rollup cost
    more than an incremental rollup's scan of a few days.
    """

    def parameter(name: str, column: str):
        return bindparam(prefix + name, type_=_COLUMNS[column].type)

    keys = [parameter(f"key{n}", "metric_key") for n in range(shape.keys)]
    bucket = periods.sql_period_start(MetricPoint.day, shape.period, shape.fiscal_start_month)
    where = overlap.figure_points(
        keys,
        parameter("first", "day"),
        parameter("last", "day"),
        channel_id=parameter("channel", "channel_id") if shape.channel else None,
        campaign_id=parameter("campaign", "campaign_id") if shape.campaign else None,
    )
    if shape.aggregation == "sum":
        value = func.sum(MetricPoint.value)
    elif shape.aggregation == "avg":
        # Average per day with data: each day's total, then their average (never an average
        # of averages). A count(DISTINCT day) instead sorted each period's rows.
        daily = (
            select(bucket.label("start"), func.sum(MetricPoint.value).label("total"))
            .where(*where)
            .group_by(MetricPoint.day, bucket)
            .subquery()
        )
        return select(daily.c.start, func.avg(daily.c.total)).group_by(daily.c.start)
    elif shape.aggregation == "ratio":
        numerator_key, denominator_key = keys
        numerator = func.sum(
            case((MetricPoint.metric_key == numerator_key, MetricPoint.value), else_=0.0)
        )
        denominator = func.sum(
            case((MetricPoint.metric_key == denominator_key, MetricPoint.value), else_=0.0)
        )
        value = numerator / func.nullif(denominator, 0.0)
    else:
        # last: on each channel, the total of its latest day with data in the period,
        # summed across channels (the followers of two pages that report on different days).
        # PostgreSQL reads the rows once (array comparison); SQLite keeps the join.
        levels = latest_levels_in_one_read if shape.postgres else latest_levels
        return levels(where=where, groups=[bucket])
    return select(bucket, value).where(*where).group_by(bucket)


@lru_cache(maxsize=256)
def _together(shapes: tuple[_Shape, ...]):
    """One statement of the grouped queries of KPIs of these shapes, each row tagged with
    its KPI's place; the parameters of the KPI in place n are prefixed ``k{n}_``."""
    branches = []
    for place, shape in enumerate(shapes):
        rows = _query(shape, f"k{place}_").subquery()
        columns = list(rows.c)
        branches.append(select(literal_column(str(place), Integer), columns[0], columns[-1]))
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _read(kpi: Kpi, starts: list[date], rows: dict) -> dict:
    """period start → actual from the query's rows: a level's of every period it found,
    the others' of the periods asked for."""
    if kpi.aggregation == "last":
        return {as_date(p): float(v) for p, v in rows.items() if p is not None}
    wanted = set(starts)
    return {
        as_date(p): (float(v) if v is not None else None)
        for p, v in rows.items()
        if as_date(p) in wanted
    }


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
