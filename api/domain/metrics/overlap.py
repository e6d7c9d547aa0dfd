"""A post's own synced points are a share of its channel's totals: never count both.

The sync writes a channel's daily totals (points of the channel alone) and, for the
posts Clover published there, each post's points (channel, campaign and content
item, source ``sync``). The channel's totals already hold what its posts did, so a
figure that can read those totals (a KPI, report or series not narrowed to a
campaign) leaves the posts' synced points out. A figure of one campaign reads them:
channel totals carry no campaign, so the two never meet there, and a campaign's posts
are what it did on the networks.

Points a client sends for a content item (``api``, ``import``) count as before: they
are the client's own figures, not a share of totals Clover synced.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, or_

from api.domain.metrics.models import MetricPoint

POST_SOURCE = "sync"


def counted(*, campaign_id: uuid.UUID | ColumnElement | None) -> list[ColumnElement[bool]]:
    """The conditions a figure's points meet, for a figure of ``campaign_id`` (None: any)."""
    if campaign_id is not None:
        return []
    return [or_(MetricPoint.content_item_id.is_(None), MetricPoint.source != POST_SOURCE)]


def figure_points(
    keys: Sequence[str | ColumnElement],
    first: date | ColumnElement,
    last: date | ColumnElement,
    *,
    channel_id: uuid.UUID | ColumnElement | None,
    campaign_id: uuid.UUID | ColumnElement | None,
) -> list[ColumnElement[bool]]:
    """The conditions on the points of a figure of ``keys`` from ``first`` to ``last``,
    narrowed to a channel and a campaign when given, each point counted once.

    Each may be a value or a bound parameter (a statement built once, its values given
    when it runs)."""
    where = [
        MetricPoint.metric_key.in_(keys),
        MetricPoint.day >= first,
        MetricPoint.day <= last,
        *counted(campaign_id=campaign_id),
    ]
    if channel_id is not None:
        where.append(MetricPoint.channel_id == channel_id)
    if campaign_id is not None:
        where.append(MetricPoint.campaign_id == campaign_id)
    return where
