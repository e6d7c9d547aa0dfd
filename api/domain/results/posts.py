"""The sync's last step: what the posts Clover published on a channel did, as metric points.

After the channel's own data is committed, the worker asks for the posts published on
the channel in the last days (``published_posts``), reads their totals from the
network in batches and writes each batch (``write_post_metrics``) with the content
item's id, source ``sync``, on the sync's day.

A network gives a post's totals so far (favourites, reposts, replies); a metric point
of a flow is what happened on its day. So the day's point holds what the post gained
since the totals already written: its total less the item's other synced points of
that metric. Summed over days the points give the post's total, which is what ROI, a
campaign's KPIs, the plan and the item's results read; read again the same day, the
day's point is replaced, never added to.

The points carry the item's campaign while that campaign uses the channel (a point of
a campaign on a channel it does not use is refused): a campaign's figures include what
its posts did. Figures not narrowed to a campaign leave these points to the channel's
own totals, which already hold them (``metrics.overlap``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select, tuple_

from api.domain.campaigns.models import CampaignChannel
from api.domain.content_items.models import ContentItem
from api.domain.metrics import points
from api.domain.metrics.models import MetricPoint, dimensions_of
from api.domain.metrics.overlap import POST_SOURCE
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class PostTotals:
    """One post's totals so far, as the network reports them, under catalogue metric keys."""

    external_id: str
    values: dict[str, float]


def published_posts(*, uow: UnitOfWork, channel_id: uuid.UUID, since: datetime) -> list[str]:
    """The network ids of the posts Clover published on the channel since ``since``,
    newest first."""
    return list(
        uow.session.scalars(
            select(ContentItem.external_id)
            .where(
                ContentItem.channel_id == channel_id,
                ContentItem.status == "published",
                ContentItem.external_id.is_not(None),
                ContentItem.published_at >= since,
            )
            .order_by(ContentItem.published_at.desc(), ContentItem.id)
        )
    )


def write_post_metrics(
    *, uow: UnitOfWork, channel_id: uuid.UUID, day: date, totals: list[PostTotals]
) -> int:
    """Write what each post gained up to ``day`` (upserts); returns the points written."""
    read = {t.external_id: t.values for t in totals if t.values}
    if not read:
        return 0
    session = uow.session
    items = session.execute(
        select(ContentItem.id, ContentItem.external_id, CampaignChannel.campaign_id)
        .outerjoin(
            CampaignChannel,
            and_(
                CampaignChannel.campaign_id == ContentItem.campaign_id,
                CampaignChannel.channel_id == ContentItem.channel_id,
            ),
        )
        .where(ContentItem.channel_id == channel_id, ContentItem.external_id.in_(read))
    ).all()
    if not items:
        return 0
    # The day's own points are left out of what came before: they are being replaced.
    replaced = [
        (day, dimensions_of(channel_id, campaign_id, item_id)) for item_id, _, campaign_id in items
    ]
    before = {
        (item_id, key): float(total)
        for item_id, key, total in session.execute(
            select(MetricPoint.content_item_id, MetricPoint.metric_key, func.sum(MetricPoint.value))
            .where(
                MetricPoint.content_item_id.in_([item_id for item_id, _, _ in items]),
                MetricPoint.source == POST_SOURCE,
                tuple_(MetricPoint.day, MetricPoint.dimensions).not_in(replaced),
            )
            .group_by(MetricPoint.content_item_id, MetricPoint.metric_key)
        )
    }
    drafts = [
        points.PointDraft(
            metric_key=key,
            day=day,
            value=float(value) - before.get((item_id, key), 0.0),
            channel_id=channel_id,
            campaign_id=campaign_id,
            content_item_id=item_id,
            source=POST_SOURCE,
        )
        for item_id, external_id, campaign_id in items
        for key, value in read[external_id].items()
    ]
    result = points.ingest_points(uow=uow, points=drafts, atomic=True)
    return result.inserted + result.updated
