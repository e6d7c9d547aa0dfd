"""What goes to each audience × channel, and what came back: the fit report's attribution.

A campaign's part goes to each audience it targets in equal shares: its budget in the
window (``budgets.budget_in_window``) split evenly over its audiences × its channels;
a content item's hours (cancelled items excepted) on the item's channel, split evenly
over the campaign's audiences, for the days the campaign shares with the window; its
metric points on a channel in the window split evenly over its audiences. Five
queries, whatever the number of campaigns, audiences or channels.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from api.domain.campaigns.models import Campaign, CampaignAudience, CampaignChannel
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.metrics.models import MetricPoint
from api.domain.reports import budgets, roi
from api.domain.reports.window import Window
from api.domain.uow import UnitOfWork

REACH, ENGAGEMENTS, LEADS = "reach", "engagements", "leads"
RESULT_KEYS = (REACH, ENGAGEMENTS, LEADS)
MAX_CAMPAIGNS = roi.MAX_CAMPAIGNS


@dataclass(frozen=True)
class Running:
    """The strategy's campaigns in the window and what goes to each audience × channel."""

    ids: list[uuid.UUID]
    without_audience: list[uuid.UUID]
    other_currencies: list[uuid.UUID]
    spend: dict  # (audience id, channel id) → Decimal
    hours: dict  # (audience id, channel id) → float


def running(*, uow: UnitOfWork, strategy_id: uuid.UUID, span: Window, currency: str) -> Running:
    campaigns = list(
        uow.session.execute(
            select(
                Campaign.id,
                Campaign.budget_amount,
                Campaign.budget_currency,
                Campaign.start_date,
                Campaign.end_date,
            )
            .where(
                Campaign.strategy_id == strategy_id,
                Campaign.start_date <= span.end,
                Campaign.end_date >= span.start,
            )
            .order_by(Campaign.start_date, Campaign.id)
            .limit(MAX_CAMPAIGNS + 1)
        )
    )
    if len(campaigns) > MAX_CAMPAIGNS:
        raise RuleViolation(
            f"more than {MAX_CAMPAIGNS} campaigns of the strategy run in the window",
            errors={"to": ["Narrow the window."]},
        )
    ids = [c.id for c in campaigns]
    audiences_of = _links(uow, CampaignAudience, CampaignAudience.audience_id, ids)
    channels_of = _links(uow, CampaignChannel, CampaignChannel.channel_id, ids)
    hours_of = _hours(uow, ids)
    spend: dict = defaultdict(Decimal)
    hours: dict = defaultdict(float)
    other_currencies = []
    for c in campaigns:
        targets = audiences_of.get(c.id, [])
        if not targets:
            continue
        in_window = budgets.budget_in_window(
            budget=Decimal(1), start=c.start_date, end=c.end_date, window=span
        ).value
        for channel_id, worked in hours_of.get(c.id, {}).items():
            for audience_id in targets:
                hours[audience_id, channel_id] += worked * float(in_window) / len(targets)
        if not c.budget_amount:
            continue
        if c.budget_currency != currency:
            other_currencies.append(c.id)
            continue
        on = channels_of.get(c.id, [])
        charged = budgets.budget_in_window(
            budget=c.budget_amount, start=c.start_date, end=c.end_date, window=span
        ).value
        for channel_id in on:
            for audience_id in targets:
                spend[audience_id, channel_id] += charged / (len(targets) * len(on))
    return Running(
        ids=ids,
        without_audience=[c.id for c in campaigns if not audiences_of.get(c.id)],
        other_currencies=other_currencies,
        spend=spend,
        hours=hours,
    )


def _links(uow: UnitOfWork, link, column, ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    """campaign id → the ids it links to (its audiences or its channels)."""
    if not ids:
        return {}
    linked: dict[uuid.UUID, list] = defaultdict(list)
    stmt = select(link.campaign_id, column).where(link.campaign_id.in_(ids)).order_by(column)
    for campaign_id, other in uow.session.execute(stmt):
        linked[campaign_id].append(other)
    return linked


def _hours(uow: UnitOfWork, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, float]]:
    """campaign id → channel id → the effort hours of its content items (not cancelled)."""
    if not ids:
        return {}
    stmt = (
        select(ContentItem.campaign_id, ContentItem.channel_id, func.sum(ContentItem.effort_hours))
        .where(ContentItem.campaign_id.in_(ids), ContentItem.status != "cancelled")
        .group_by(ContentItem.campaign_id, ContentItem.channel_id)
    )
    found: dict = defaultdict(dict)
    for campaign_id, channel_id, worked in uow.session.execute(stmt):
        found[campaign_id][channel_id] = float(worked)
    return found


def results(*, uow: UnitOfWork, ids: list[uuid.UUID], span: Window) -> dict:
    """(audience id, channel id) → metric key → its attributed sum, in one grouped query.

    The points are summed per campaign × channel × key first, then shared out over the
    campaign's audiences: the join multiplies those sums, never the points.
    """
    if not ids:
        return {}
    per_campaign = (
        select(
            MetricPoint.campaign_id,
            MetricPoint.channel_id,
            MetricPoint.metric_key,
            func.sum(MetricPoint.value).label("total"),
        )
        .where(
            MetricPoint.campaign_id.in_(ids),
            MetricPoint.channel_id.is_not(None),
            MetricPoint.metric_key.in_(RESULT_KEYS),
            MetricPoint.day >= span.start,
            MetricPoint.day <= span.end,
        )
        .group_by(MetricPoint.campaign_id, MetricPoint.channel_id, MetricPoint.metric_key)
        .subquery()
    )
    audiences = (
        select(CampaignAudience.campaign_id, func.count().label("audiences"))
        .where(CampaignAudience.campaign_id.in_(ids))
        .group_by(CampaignAudience.campaign_id)
        .subquery()
    )
    stmt = (
        select(
            CampaignAudience.audience_id,
            per_campaign.c.channel_id,
            per_campaign.c.metric_key,
            func.sum(per_campaign.c.total / audiences.c.audiences),
        )
        .join(per_campaign, per_campaign.c.campaign_id == CampaignAudience.campaign_id)
        .join(audiences, audiences.c.campaign_id == CampaignAudience.campaign_id)
        .group_by(
            CampaignAudience.audience_id, per_campaign.c.channel_id, per_campaign.c.metric_key
        )
    )
    found: dict = defaultdict(dict)
    for audience_id, channel_id, key, total in uow.session.execute(stmt):
        found[audience_id, channel_id][key] = float(total)
    return found
