"""Levels in SQL: a level's figure over a stretch of days is its latest value, per channel.

A level (followers, active customers) is measured on days; adding its days up
counts the same followers again every day. Its figure for a window or a period
is, on each channel, the total of the channel's latest day with data in it, and
across channels the sum of those (two pages' followers add up; Monday's and
Tuesday's followers of one page do not).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, func, select

from api.domain.metrics.models import MetricPoint


def latest_levels(*, where: Sequence[ColumnElement], groups: Sequence[ColumnElement]) -> Select:
    """``(*groups, metric key, level)`` rows for the points ``where`` selects.

    ``groups`` are columns or expressions of ``MetricPoint`` (a period bucket, the
    campaign); the channel partitions the latest day whether it is a group or not.
    The rows are read twice (the latest days, then their points); one scan with a
    window over the day totals was measured slower for an organisation's levels (its
    sort spills past a 4 MB work_mem) and is not used (docs/performance.md).
    """
    partition = list(groups)
    if not any(g is MetricPoint.channel_id for g in partition):
        partition.append(MetricPoint.channel_id)
    partition.append(MetricPoint.metric_key)
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
