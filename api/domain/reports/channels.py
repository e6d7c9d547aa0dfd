"""Channel comparison: which channels reach, engage and bring leads, at what cost.

Per channel, then by mode (push vs conversational) and by family (social vs
traditional), from one grouped query of metric points (channel × metric key) and
one query of the campaign budgets on the channels. Metric points of any source
count, but not the posts' synced points, which the channel's own totals already hold
(``metrics.overlap``); points without a channel are shown apart (``unattributed``)
and are not in the channel rows or their totals.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from api.domain import money
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import MODES, Channel, family
from api.domain.metrics import overlap
from api.domain.metrics.models import MetricPoint
from api.domain.organisations.models import Organisation
from api.domain.reports import shares
from api.domain.reports.figures import Figure
from api.domain.reports.window import window
from api.domain.uow import UnitOfWork

REACH, IMPRESSIONS, ENGAGEMENTS, LEADS, COST = (
    "reach",
    "impressions",
    "engagements",
    "leads",
    "cost",
)
PRESS, BLOG, EMAIL_RESPONSES, COMMENTS = (
    "press_mentions",
    "blog_mentions",
    "email_responses",
    "comments",
)
# The parts of engagements (definitions.part_of): counted only where a channel has no
# engagements points, never added to them.
ENGAGEMENT_PARTS = ("clicks", "shares", COMMENTS)
KEYS = (
    REACH,
    IMPRESSIONS,
    ENGAGEMENTS,
    LEADS,
    COST,
    PRESS,
    BLOG,
    EMAIL_RESPONSES,
    *ENGAGEMENT_PARTS,
)
COST_POINTS, CAMPAIGN_BUDGETS = "cost_points", "campaign_budgets"
FAMILIES = ("social", "traditional")


@dataclass(frozen=True)
class ChannelSums:
    """What one channel added up to in the window: the additive inputs of its row."""

    channel_id: uuid.UUID
    name: str
    kind: str
    mode: str
    reach: float = 0.0
    engagements: float = 0.0
    leads: float = 0.0
    cost: Decimal | None = None  # money, in the organisation's currency
    reach_metric: str | None = None  # reach, impressions, or None: neither recorded
    engagement_metric: str | None = None  # engagements, parts, or None: neither recorded
    cost_basis: str | None = None  # cost_points, campaign_budgets, or None: no cost known

    @property
    def family(self) -> str:
        return family(self.kind)


@dataclass(frozen=True)
class Figures:
    """The figures of one channel, group or the total."""

    reach: float
    engagements: float
    leads: float
    cost: Decimal | None
    engagement_rate: Figure
    cost_per_lead: Figure
    engagement_share: Figure
    lead_share: Figure


@dataclass(frozen=True)
class ChannelRow:
    channel: ChannelSums
    figures: Figures


@dataclass(frozen=True)
class GroupRow:
    group: str  # push / conversational, or social / traditional
    channels: int
    figures: Figures


@dataclass(frozen=True)
class Comparison:
    name: str
    traditional_metric: str
    traditional: float
    social_metric: str
    social: float
    social_per_traditional: Figure


@dataclass(frozen=True)
class CampaignCost:
    """A campaign whose budget counts as cost of its channels in the window."""

    campaign_id: uuid.UUID
    name: str
    budget_amount: Decimal
    start_date: date
    end_date: date
    channels: int
    budget_in_window: Decimal


@dataclass(frozen=True)
class Compared:
    rows: list[ChannelRow]
    by_mode: list[GroupRow]
    by_family: list[GroupRow]
    total: GroupRow  # group "all"


@dataclass(frozen=True)
class Inputs:
    metric_keys: tuple[str, ...]
    campaigns: list[CampaignCost]
    campaigns_in_other_currencies: list[uuid.UUID]
    unattributed: dict[str, float]  # metric key → sum of the points without a channel


@dataclass(frozen=True)
class ChannelReport:
    day_from: date
    day_to: date
    currency: str
    rows: list[ChannelRow]
    by_mode: list[GroupRow]
    by_family: list[GroupRow]
    total: GroupRow
    comparisons: list[Comparison]
    inputs: Inputs


def channel_comparison(*, uow: UnitOfWork, day_from: date, day_to: date) -> ChannelReport:
    span = window(day_from, day_to)
    sums = _metric_sums(uow, span.start, span.end)
    currency = uow.session.get(Organisation, uow.tenant.organisation_id).currency
    campaigns, other_currencies, budget_by_channel = _campaign_costs(
        uow, span.start, span.end, currency
    )
    channels = [
        _channel_sums(id_, name, kind, mode, sums.get(id_, {}), budget_by_channel.get(id_))
        for id_, name, kind, mode in uow.session.execute(
            select(Channel.id, Channel.name, Channel.kind, Channel.mode).order_by(
                Channel.kind, Channel.name, Channel.id
            )
        )
    ]
    compared = compare(channels)
    return ChannelReport(
        day_from=span.start,
        day_to=span.end,
        currency=currency,
        rows=compared.rows,
        by_mode=compared.by_mode,
        by_family=compared.by_family,
        total=compared.total,
        comparisons=traditional_vs_social(sums, channels),
        inputs=Inputs(
            metric_keys=KEYS,
            campaigns=campaigns,
            campaigns_in_other_currencies=other_currencies,
            unattributed=dict(sorted(sums.get(None, {}).items())),
        ),
    )


def _metric_sums(uow: UnitOfWork, start: date, end: date) -> dict:
    """channel id (None: no channel) → metric key → sum of its points in the window."""
    stmt = (
        select(MetricPoint.channel_id, MetricPoint.metric_key, func.sum(MetricPoint.value))
        .where(
            MetricPoint.metric_key.in_(KEYS),
            MetricPoint.day >= start,
            MetricPoint.day <= end,
            *overlap.counted(campaign_id=None),
        )
        .group_by(MetricPoint.channel_id, MetricPoint.metric_key)
    )
    sums: dict = defaultdict(dict)
    for channel_id, key, total in uow.session.execute(stmt):
        sums[channel_id][key] = float(total)
    return sums


def _campaign_costs(uow: UnitOfWork, start: date, end: date, currency: str):
    """The campaigns with a budget running in the window, and each channel's part of them."""
    stmt = (
        select(
            Campaign.id,
            Campaign.name,
            Campaign.budget_amount,
            Campaign.budget_currency,
            Campaign.start_date,
            Campaign.end_date,
            CampaignChannel.channel_id,
        )
        .join(CampaignChannel, CampaignChannel.campaign_id == Campaign.id)
        .where(
            Campaign.budget_amount > 0,
            Campaign.start_date <= end,
            Campaign.end_date >= start,
        )
        .order_by(Campaign.start_date, Campaign.id)
    )
    links: dict[uuid.UUID, list] = defaultdict(list)
    for row in uow.session.execute(stmt):
        links[row.id].append(row)
    campaigns, other_currencies = [], []
    by_channel: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for campaign_id, rows in links.items():
        first = rows[0]
        if first.budget_currency != currency:
            other_currencies.append(campaign_id)
            continue
        part = shares.budget_share(
            budget=first.budget_amount,
            channels=len(rows),
            start=first.start_date,
            end=first.end_date,
            window_start=start,
            window_end=end,
        )
        for row in rows:
            by_channel[row.channel_id] += part
        campaigns.append(
            CampaignCost(
                campaign_id=campaign_id,
                name=first.name,
                budget_amount=first.budget_amount,
                start_date=first.start_date,
                end_date=first.end_date,
                channels=len(rows),
                budget_in_window=part * len(rows),
            )
        )
    return campaigns, other_currencies, by_channel


def _channel_sums(
    channel_id, name, kind, mode, sums: Mapping[str, float], budget: Decimal | None
) -> ChannelSums:
    # Reach where the channel reports it; impressions (views, not people) otherwise.
    # Both are flows; reach is a part of impressions, so the two are never added.
    reach_metric = REACH if REACH in sums else IMPRESSIONS if IMPRESSIONS in sums else None
    # Engagements include their parts (clicks, shares, comments): the parts count only
    # where the channel reports no engagements, so each interaction counts once.
    parts = [key for key in ENGAGEMENT_PARTS if key in sums]
    if ENGAGEMENTS in sums:
        engagements, engagement_metric = sums[ENGAGEMENTS], ENGAGEMENTS
    elif parts:
        engagements, engagement_metric = sum(sums[key] for key in parts), "parts"
    else:
        engagements, engagement_metric = 0.0, None
    if COST in sums:
        cost, cost_basis = money.amount(sums[COST]), COST_POINTS
    elif budget is not None:
        cost, cost_basis = budget, CAMPAIGN_BUDGETS
    else:
        cost, cost_basis = None, None
    return ChannelSums(
        channel_id=channel_id,
        name=name,
        kind=kind,
        mode=mode,
        reach=sums.get(reach_metric, 0.0) if reach_metric else 0.0,
        engagements=engagements,
        leads=sums.get(LEADS, 0.0),
        cost=cost,
        reach_metric=reach_metric,
        engagement_metric=engagement_metric,
        cost_basis=cost_basis,
    )


def compare(channels: list[ChannelSums]) -> Compared:
    """Channel rows, the groups by mode and by family, and the total (pure).

    Groups and the total add up the channels' reach, engagements, leads and cost
    (a cost nobody knows is left out; ``None`` when no channel has one) and compute
    their rates from those sums, never from the channels' rates.
    """
    engagements = sum(c.engagements for c in channels)
    leads = sum(c.leads for c in channels)

    def figures(of: list[ChannelSums]) -> Figures:
        costs = [c.cost for c in of if c.cost is not None]
        return _figures(
            reach=sum(c.reach for c in of),
            engagements=sum(c.engagements for c in of),
            leads=sum(c.leads for c in of),
            cost=sum((money.amount(c) for c in costs), Decimal(0)) if costs else None,
            total_engagements=engagements,
            total_leads=leads,
        )

    def groups(key, names: tuple[str, ...]) -> list[GroupRow]:
        members = {name: [c for c in channels if key(c) == name] for name in names}
        return [GroupRow(name, len(of), figures(of)) for name, of in members.items()]

    return Compared(
        rows=[ChannelRow(c, figures([c])) for c in channels],
        by_mode=groups(lambda c: c.mode, MODES),
        by_family=groups(lambda c: c.family, FAMILIES),
        total=GroupRow("all", len(channels), figures(channels)),
    )


def _figures(
    *,
    reach: float,
    engagements: float,
    leads: float,
    cost: Decimal | None,
    total_engagements: float,
    total_leads: float,
) -> Figures:
    return Figures(
        reach=reach,
        engagements=engagements,
        leads=leads,
        cost=cost,
        engagement_rate=shares.engagement_rate(engagements=engagements, reach=reach),
        cost_per_lead=shares.cost_per_lead(cost=cost, leads=leads),
        engagement_share=shares.share_of_total(engagements, total_engagements, what="engagements"),
        lead_share=shares.share_of_total(leads, total_leads, what="leads"),
    )


def traditional_vs_social(sums: Mapping, channels: list[ChannelSums]) -> list[Comparison]:
    """Press vs blog coverage, and email responses vs replies on social channels.

    Press, blog and email figures count every point of their metric (with or
    without a channel); social replies are the ``comments`` of social channels.
    """

    def everywhere(key: str) -> float:
        return sum(by_key.get(key, 0.0) for by_key in sums.values())

    social_replies = sum(
        sums.get(c.channel_id, {}).get(COMMENTS, 0.0) for c in channels if c.family == "social"
    )

    def comparison(name, traditional_metric, traditional, social_metric, social) -> Comparison:
        return Comparison(
            name=name,
            traditional_metric=traditional_metric,
            traditional=traditional,
            social_metric=social_metric,
            social=social,
            social_per_traditional=shares.ratio(
                social, traditional, missing=f"no {traditional_metric} in the window"
            ),
        )

    return [
        comparison("press_vs_blog_mentions", PRESS, everywhere(PRESS), BLOG, everywhere(BLOG)),
        comparison(
            "email_responses_vs_social_replies",
            EMAIL_RESPONSES,
            everywhere(EMAIL_RESPONSES),
            f"{COMMENTS} (social channels)",
            social_replies,
        ),
    ]
