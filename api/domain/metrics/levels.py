"""Levels in SQL: a level's figure over a stretch of days is its latest value, per channel.

A level (followers, active customers) is measured on days; adding its days up
counts the same followers again every day. Its figure for a window or a period
is, on each channel, the total of the channel's latest day with data in it, and
across channels the sum of those (two pages' followers add up; Monday's and
Tuesday's followers of one page do not).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, func, select

from api.domain.metrics.models import MetricPoint


def latest_levels(*, where: Sequence[ColumnElement], groups: Sequence[ColumnElement]) -> Select:
    """``(*groups, metric key, level)`` rows for the points ``where`` selects.

    ``groups`` are columns or expressions of ``MetricPoint`` (a period bucket, the
    campaign); the channel partitions the latest day whether it is a group or not.
    One scan: the day totals of each partition, the partition's latest day beside
    them (a window), then the totals of those days (a join back to the table for
    the latest day read every row twice).
    """
    partition = list(groups)
    if not any(g is MetricPoint.channel_id for g in partition):
        partition.append(MetricPoint.channel_id)
    partition.append(MetricPoint.metric_key)
    names = [f"p{i}" for i in range(len(partition))]
    totals = (
        select(
            *(col.label(name) for col, name in zip(partition, names, strict=True)),
            MetricPoint.day.label("day"),
            func.sum(MetricPoint.value).label("total"),
        )
        .where(*where)
        .group_by(*partition, MetricPoint.day)
        .subquery()
    )
    # A window's partitions are null-safe: points of no channel or no campaign form
    # a partition of their own.
    latest = select(
        totals,
        func.max(totals.c.day)
        .over(partition_by=[totals.c[name] for name in names])
        .label("latest"),
    ).subquery()
    outputs = [latest.c[name] for name in names[: len(groups)]]
    key = latest.c[names[-1]]
    return (
        select(*outputs, key, func.sum(latest.c.total))
        .where(latest.c.day == latest.c.latest)
        .group_by(*outputs, key)
    )
