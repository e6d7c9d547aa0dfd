"""Levels in SQL: a level's figure over a stretch of days is its latest value, per channel.

A level (followers, active customers) is measured on days; adding its days up
counts the same followers again every day. Its figure for a window or a period
is, on each channel, the total of the channel's latest day with data in it, and
across channels the sum of those (two pages' followers add up; Monday's and
Tuesday's followers of one page do not).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ARRAY, ColumnElement, Date, Float, Select, and_, cast, func, literal, select
from sqlalchemy.dialects import postgresql

from api.domain.metrics.models import MetricPoint

_EPOCH = literal(date(2000, 1, 1), Date)


def latest_levels(*, where: Sequence[ColumnElement], groups: Sequence[ColumnElement]) -> Select:
    """``(*groups, metric key, level)`` rows for the points ``where`` selects.

    ``groups`` are columns or expressions of ``MetricPoint`` (a period bucket, the
    campaign); the channel partitions the latest day whether it is a group or not.
    The rows are read twice (the latest days, then their points); one scan with a
    window over the day totals was measured slower for an organisation's levels (its
    sort spills past a 4 MB work_mem) and is not used (docs/performance.md). On
    PostgreSQL the rollup's actuals use ``latest_levels_in_one_read``.
    """
    partition = _partition(groups)
    names = [f"p{i}" for i in range(len(partition))]
    latest = (
        select(
            *(col.label(name) for col, name in zip(partition, names, strict=True)),
            func.max(MetricPoint.day).label("day"),
        )
        .where(*where)
        .group_by(*partition)
        .subquery()
    )
    # Null-safe: points of no channel or no campaign form a partition of their own.
    same = [
        col.is_not_distinct_from(latest.c[name]) for col, name in zip(partition, names, strict=True)
    ]
    outputs = [latest.c[name] for name in names[: len(groups)]]
    return (
        select(*outputs, MetricPoint.metric_key, func.sum(MetricPoint.value))
        .select_from(MetricPoint)
        .join(latest, and_(MetricPoint.day == latest.c.day, *same))
        .where(*where)
        .group_by(*outputs, MetricPoint.metric_key)
    )


def latest_levels_in_one_read(
    *, where: Sequence[ColumnElement], groups: Sequence[ColumnElement]
) -> Select:
    """``latest_levels``, reading the rows once: PostgreSQL only (array comparison).

    Nested hash aggregates, no join, window or sort: the day totals per partition;
    per partition the greatest ``[day, total]`` array, whose second element is the
    latest day's total (arrays compare element by element; a day as a float8 is
    exact); then those summed per group. GROUP BY puts the points of no channel in
    a partition of their own. Measured faster than the join for the rollup's actuals
    at 2 M points and a 4 MB work_mem (docs/performance.md).
    """
    partition = _partition(groups)
    names = [f"p{i}" for i in range(len(partition))]
    daily = (
        select(
            *(col.label(name) for col, name in zip(partition, names, strict=True)),
            cast(MetricPoint.day - _EPOCH, Float).label("day"),
            func.sum(MetricPoint.value).label("total"),
        )
        .where(*where)
        .group_by(*partition, MetricPoint.day)
        .subquery()
    )
    keyed = [daily.c[name] for name in names]
    latest = func.max(postgresql.array([daily.c.day, daily.c.total]), type_=ARRAY(Float))
    levels = select(*keyed, latest[2].label("level")).group_by(*keyed).subquery()
    outputs = [levels.c[name] for name in names[: len(groups)]]
    key = levels.c[names[-1]]
    return select(*outputs, key, func.sum(levels.c.level)).group_by(*outputs, key)


def _partition(groups: Sequence[ColumnElement]) -> list[ColumnElement]:
    partition = list(groups)
    if not any(g is MetricPoint.channel_id for g in partition):
        partition.append(MetricPoint.channel_id)
    partition.append(MetricPoint.metric_key)
    return partition
