"""Funnel: how many move from awareness to engagement, lead, customer and advocacy.

A stage's total is the sum of the points of its metrics: the count metrics of
the built-in catalogue and of the organisation's own definitions that name the
stage. Currency and ratio metrics stay out (they do not add up with counts).
The same funnel per channel, so that leads can be traced to the interactions
before them, and per campaign with its UTM code, so that lead data kept
elsewhere (a CRM keyed by ``utm_campaign``) can be joined to it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from api.domain import tenancy
from api.domain.access import Tenant
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel, family
from api.domain.metrics.catalogue import BUILT_IN, FUNNEL_STAGES
from api.domain.metrics.models import MetricPoint, OrganisationMetric
from api.domain.reports import rates
from api.domain.reports.window import window
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class StageMetrics:
    """The input of a stage: which metric keys add up to it."""

    stage: str
    metric_keys: list[str]


@dataclass(frozen=True)
class MetricTotal:
    key: str
    total: float


@dataclass(frozen=True)
class Stage:
    stage: str
    total: float
    metrics: list[MetricTotal]  # the stage's metrics that have points, in input order


@dataclass(frozen=True)
class Funnel:
    stages: list[Stage]
    conversions: list[rates.Conversion]


@dataclass(frozen=True)
class ChannelFunnel:
    channel_id: uuid.UUID | None  # None: points of no channel
    name: str | None
    kind: str | None
    mode: str | None
    family: str | None
    funnel: Funnel


@dataclass(frozen=True)
class CampaignFunnel:
    campaign_id: uuid.UUID | None  # None: points of no campaign
    name: str | None
    utm_campaign: str | None
    funnel: Funnel


@dataclass(frozen=True)
class FunnelReport:
    day_from: date
    day_to: date
    days: int
    campaign_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    stage_metrics: list[StageMetrics]
    funnel: Funnel
    by_channel: list[ChannelFunnel]
    by_campaign: list[CampaignFunnel]


# Pure assembly: grouped sums in, funnels out.


def funnel_of(stage_metrics: Sequence[StageMetrics], totals: Mapping[str, float]) -> Funnel:
    """One funnel from metric totals: each stage adds up its metrics' totals."""
    stages = [
        Stage(
            s.stage,
            sum(totals.get(key, 0.0) for key in s.metric_keys),
            [MetricTotal(key, totals[key]) for key in s.metric_keys if key in totals],
        )
        for s in stage_metrics
    ]
    by_stage = {stage.stage: stage.total for stage in stages}
    return Funnel(stages, rates.conversions([s.stage for s in stage_metrics], by_stage))


def funnels_by(
    stage_metrics: Sequence[StageMetrics], groups: Iterable[tuple[object, str, float]]
) -> dict[object, Funnel]:
    """A funnel per group from (group, metric key, total) rows."""
    totals: dict[object, dict[str, float]] = defaultdict(dict)
    for group, key, total in groups:
        totals[group][key] = totals[group].get(key, 0.0) + total
    return {group: funnel_of(stage_metrics, by_key) for group, by_key in totals.items()}


def overall(stage_metrics: Sequence[StageMetrics], parts: Iterable[Funnel]) -> Funnel:
    """The funnel of the whole, from the funnels of its parts."""
    totals: dict[str, float] = defaultdict(float)
    for part in parts:
        for stage in part.stages:
            for metric in stage.metrics:
                totals[metric.key] += metric.total
    return funnel_of(stage_metrics, totals)


# The report.


def funnel_report(
    uow: UnitOfWork,
    tenant: Tenant,
    *,
    day_from: date,
    day_to: date,
    campaign_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
) -> FunnelReport:
    w = window(day_from, day_to)
    if campaign_id is not None:
        tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    if channel_id is not None:
        tenancy.get(uow.session, Channel, channel_id, what="channel")
    stage_metrics = stage_metrics_of(uow)
    keys = [key for s in stage_metrics for key in s.metric_keys]

    def grouped(column):
        stmt = (
            select(column, MetricPoint.metric_key, func.sum(MetricPoint.value))
            .where(
                MetricPoint.metric_key.in_(keys),
                MetricPoint.day.between(w.start, w.end),
            )
            .group_by(column, MetricPoint.metric_key)
        )
        if campaign_id is not None:
            stmt = stmt.where(MetricPoint.campaign_id == campaign_id)
        if channel_id is not None:
            stmt = stmt.where(MetricPoint.channel_id == channel_id)
        return funnels_by(
            stage_metrics, ((g, k, float(t)) for g, k, t in uow.session.execute(stmt))
        )

    per_channel = grouped(MetricPoint.channel_id)
    per_campaign = grouped(MetricPoint.campaign_id)
    return FunnelReport(
        day_from=w.start,
        day_to=w.end,
        days=w.days,
        campaign_id=campaign_id,
        channel_id=channel_id,
        stage_metrics=stage_metrics,
        funnel=overall(stage_metrics, per_channel.values()),
        by_channel=_channel_rows(uow, per_channel),
        by_campaign=_campaign_rows(uow, per_campaign),
    )


def stage_metrics_of(uow: UnitOfWork) -> list[StageMetrics]:
    """Each stage's count metrics: built-in ones in catalogue order, then the organisation's."""
    own = uow.session.execute(
        select(OrganisationMetric.key, OrganisationMetric.funnel_stage)
        .where(
            OrganisationMetric.kind == "count",
            OrganisationMetric.funnel_stage.in_(FUNNEL_STAGES),
        )
        .order_by(OrganisationMetric.key)
    )
    keys: dict[str, list[str]] = {stage: [] for stage in FUNNEL_STAGES}
    for m in BUILT_IN:
        if m.kind == "count" and m.funnel_stage in keys:
            keys[m.funnel_stage].append(m.key)
    for key, stage in own:
        keys[stage].append(key)
    return [StageMetrics(stage, keys[stage]) for stage in FUNNEL_STAGES]


def _channel_rows(uow: UnitOfWork, funnels: dict) -> list[ChannelFunnel]:
    ids = [i for i in funnels if i is not None]
    found = {}
    if ids:
        stmt = select(Channel.id, Channel.name, Channel.kind, Channel.mode).where(
            Channel.id.in_(ids)
        )
        found = {row.id: row for row in uow.session.execute(stmt)}
    rows = [
        ChannelFunnel(i, c.name, c.kind, c.mode, family(c.kind), funnels[i])
        for i, c in found.items()
    ]
    rows.sort(key=lambda r: (r.name, str(r.channel_id)))
    if None in funnels:
        rows.append(ChannelFunnel(None, None, None, None, None, funnels[None]))
    return rows


def _campaign_rows(uow: UnitOfWork, funnels: dict) -> list[CampaignFunnel]:
    ids = [i for i in funnels if i is not None]
    found = {}
    if ids:
        stmt = select(Campaign.id, Campaign.name, Campaign.utm_campaign).where(Campaign.id.in_(ids))
        found = {row.id: row for row in uow.session.execute(stmt)}
    rows = [CampaignFunnel(i, c.name, c.utm_campaign, funnels[i]) for i, c in found.items()]
    rows.sort(key=lambda r: (r.utm_campaign, str(r.campaign_id)))
    if None in funnels:
        rows.append(CampaignFunnel(None, None, None, funnels[None]))
    return rows
