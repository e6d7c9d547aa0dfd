"""What a content item did: its metric points summed up, beside its publication and campaign.

Every point of the item counts (the sync's per-post points and any a client sent for
it). A metric's figure follows its behaviour (``metrics.definitions``): a flow sums
its days (a post's engagements so far), a level takes its latest day, a ratio
averages its points. The plan shows one headline per item, read in the plan's own
query (``headline``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select

from api.domain import tenancy
from api.domain.campaigns.models import Campaign
from api.domain.content_items.models import ContentItem
from api.domain.metrics.definitions import catalogue_of
from api.domain.metrics.models import MetricPoint
from api.domain.publishing.models import PublishAttempt
from api.domain.uow import UnitOfWork

# The one number the plan shows per item: every network reports it.
HEADLINE = "engagements"


@dataclass(frozen=True)
class Publication:
    network: str | None  # the provider Clover published with; None when marked published by hand
    external_id: str | None
    url: str | None
    published_at: datetime


@dataclass(frozen=True)
class ResultDay:
    day: date
    values: dict[str, float]  # metric key → the day's figure (for a flow: what it gained)


@dataclass(frozen=True)
class ItemResults:
    item: ContentItem
    campaign: Campaign
    publication: Publication | None
    totals: dict[str, float]
    series: list[ResultDay]

    @property
    def as_of(self) -> date | None:
        """The last day with a figure."""
        return self.series[-1].day if self.series else None


@dataclass(frozen=True)
class DayFigure:
    """One metric on one day: the sum and the number of the item's points."""

    day: date
    metric_key: str
    total: float
    points: int


def summarise(
    figures: Iterable[DayFigure], behaviour_of: dict[str, str | None]
) -> tuple[dict[str, float], list[ResultDay]]:
    """(totals per metric key, the series by day) of ``figures``, in day order.

    A flow's total is the sum of its days, a level's its latest day's, a ratio's
    the mean of all its points (its days show their own mean).
    """
    days: dict[date, dict[str, float]] = {}
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    latest: dict[str, float] = {}
    for figure in sorted(figures, key=lambda f: (f.day, f.metric_key)):
        ratio = behaviour_of.get(figure.metric_key, "flow") is None
        value = figure.total / figure.points if ratio else figure.total
        days.setdefault(figure.day, {})[figure.metric_key] = value
        sums[figure.metric_key] = sums.get(figure.metric_key, 0.0) + figure.total
        counts[figure.metric_key] = counts.get(figure.metric_key, 0) + figure.points
        latest[figure.metric_key] = value
    totals = {}
    for key, total in sums.items():
        behaviour = behaviour_of.get(key, "flow")
        if behaviour == "level":
            totals[key] = latest[key]
        elif behaviour is None:
            totals[key] = total / counts[key]
        else:
            totals[key] = total
    series = [ResultDay(day, values) for day, values in days.items()]
    return dict(sorted(totals.items())), series


def item_results(*, uow: UnitOfWork, item_id: uuid.UUID) -> ItemResults:
    session = uow.session
    item = tenancy.get(session, ContentItem, item_id, what="content item")
    campaign = tenancy.get(session, Campaign, item.campaign_id, what="campaign")
    rows = session.execute(
        select(
            MetricPoint.day,
            MetricPoint.metric_key,
            func.sum(MetricPoint.value),
            func.count(MetricPoint.id),
        )
        .where(MetricPoint.content_item_id == item.id)
        .group_by(MetricPoint.day, MetricPoint.metric_key)
    )
    figures = [DayFigure(day, key, float(total), count) for day, key, total, count in rows]
    behaviours = {key: d.behaviour for key, d in catalogue_of(uow=uow).items()} if figures else {}
    totals, series = summarise(figures, behaviours)
    return ItemResults(item, campaign, _publication(uow, item), totals, series)


def _publication(uow: UnitOfWork, item: ContentItem) -> Publication | None:
    if item.published_at is None:
        return None
    network = uow.session.scalar(
        select(PublishAttempt.provider)
        .where(PublishAttempt.content_item_id == item.id, PublishAttempt.outcome == "sent")
        .order_by(PublishAttempt.number.desc())
        .limit(1)
    )
    return Publication(network, item.external_id, item.published_url, item.published_at)


def headline(item_id: ColumnElement) -> ColumnElement:
    """The item's headline figure (its engagements so far; NULL without points), as a
    correlated subquery of a query over content items: no query per item."""
    return (
        select(func.sum(MetricPoint.value))
        .where(MetricPoint.content_item_id == item_id, MetricPoint.metric_key == HEADLINE)
        .scalar_subquery()
    )
