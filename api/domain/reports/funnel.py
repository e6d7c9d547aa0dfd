"""Funnel: how many move from awareness to engagement, lead, customer and advocacy.

A stage's inputs are the count metrics, built-in and the organisation's own,
that name the stage; currency and ratio metrics stay out (they do not add up
with counts). A stage's total counts each interaction once:

- a **flow** (impressions, leads) counts the sum of its points in the window;
- a **level** (followers, active customers) counts its latest value in the
  window on each channel, summed across channels: never a sum over days;
- a **part** (clicks, shares, comments of engagements) is not added where the
  metric it is a part of has data; where only the parts have data, the parts
  count. That choice is made for each channel and campaign apart, so a channel
  that reports only clicks still counts beside one that reports engagements.

Churned customers are loss, not a stage: ``churn`` beside the stages gives them
with a churn rate against the active customers. Support tickets are customer
service demand: in no stage (a request for help is neither advocacy nor loss).

The same funnel per channel, so that leads can be traced to the interactions
before them, and per campaign with its UTM code, so that lead data kept
elsewhere (a CRM keyed by ``utm_campaign``) can be joined to it. Every funnel is
the sum of the cells (channel × campaign) it holds.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from api.domain import tenancy
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel, family
from api.domain.metrics import overlap
from api.domain.metrics.definitions import CHURN_KEY, CUSTOMER_BASE_KEY, Definition, catalogue_of
from api.domain.metrics.levels import latest_levels
from api.domain.metrics.models import FUNNEL_STAGES, MetricPoint
from api.domain.reports import rates
from api.domain.reports.figures import Figure
from api.domain.reports.window import window
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class StageMetrics:
    """The input of a stage: which metric keys count in it, and how."""

    stage: str
    metric_keys: list[str]
    level_keys: list[str] = field(default_factory=list)
    # part → the metric of the same stage it is a part of
    part_of: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricTotal:
    key: str
    total: float  # flows: the sum of the window; levels: the latest value per channel
    counted: float  # what of it the stage total counts (0 for a part whose parent has data)


@dataclass(frozen=True)
class Stage:
    stage: str
    total: float
    metrics: list[MetricTotal]  # the stage's metrics that have points, in input order


@dataclass(frozen=True)
class Churn:
    """Loss beside the stages: churned customers against the active customers."""

    churned_customers: float
    active_customers: float  # the customer base: its latest level per channel
    rate: Figure  # churned ÷ active customers


@dataclass(frozen=True)
class Funnel:
    stages: list[Stage]
    conversions: list[rates.Conversion]
    churn: Churn


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


# Pure assembly: the totals of cells in, funnels out.


def counted(stage: StageMetrics, totals: Mapping[str, float]) -> dict[str, float]:
    """What each of the stage's metrics with data adds to its total in one cell.

    A part adds nothing where a metric it is (through any chain) a part of has data.
    """

    def covered(key: str) -> bool:
        seen: set[str] = set()
        parent = stage.part_of.get(key)
        while parent is not None and parent not in seen:
            if parent in totals:
                return True
            seen.add(parent)
            parent = stage.part_of.get(parent)
        return False

    return {key: 0.0 if covered(key) else totals[key] for key in stage.metric_keys if key in totals}


def churn_of(*, churned: float, customers: float) -> Churn:
    if customers == 0:
        rate = Figure.missing("no active customers in the window")
    else:
        rate = Figure(churned / customers)
    return Churn(churned, customers, rate)


def funnel_of(
    stage_metrics: Sequence[StageMetrics], cells: Iterable[Mapping[str, float]]
) -> Funnel:
    """One funnel from the metric totals of its cells: each cell counts each interaction once."""
    totals: dict[str, dict[str, float]] = {s.stage: defaultdict(float) for s in stage_metrics}
    counts: dict[str, dict[str, float]] = {s.stage: defaultdict(float) for s in stage_metrics}
    churned = customers = 0.0
    for cell in cells:
        for s in stage_metrics:
            for key, value in counted(s, cell).items():
                totals[s.stage][key] += cell[key]
                counts[s.stage][key] += value
        churned += cell.get(CHURN_KEY, 0.0)
        customers += cell.get(CUSTOMER_BASE_KEY, 0.0)
    stages = [
        Stage(
            s.stage,
            sum(counts[s.stage].values()),
            [
                MetricTotal(key, totals[s.stage][key], counts[s.stage][key])
                for key in s.metric_keys
                if key in totals[s.stage]
            ],
        )
        for s in stage_metrics
    ]
    by_stage = {stage.stage: stage.total for stage in stages}
    return Funnel(
        stages,
        rates.conversions([s.stage for s in stage_metrics], by_stage),
        churn_of(churned=churned, customers=customers),
    )


Cell = tuple[uuid.UUID | None, uuid.UUID | None]  # (channel, campaign)


def funnels_by(
    stage_metrics: Sequence[StageMetrics], cells: Mapping[Cell, Mapping[str, float]], which: int
) -> dict[object, Funnel]:
    """A funnel per channel (``which`` 0) or per campaign (1) from the cells they hold."""
    grouped: dict[object, list[Mapping[str, float]]] = defaultdict(list)
    for cell, totals in cells.items():
        grouped[cell[which]].append(totals)
    return {group: funnel_of(stage_metrics, of) for group, of in grouped.items()}


# The report.


def funnel_report(
    *,
    uow: UnitOfWork,
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
    catalogue = catalogue_of(uow=uow)
    stage_metrics = stage_metrics_of(catalogue.values())
    keys = {key for s in stage_metrics for key in s.metric_keys} | {CHURN_KEY}
    levels = {key for key in keys if catalogue[key].behaviour == "level"}
    where = [MetricPoint.day.between(w.start, w.end), *overlap.counted(campaign_id=campaign_id)]
    if campaign_id is not None:
        where.append(MetricPoint.campaign_id == campaign_id)
    if channel_id is not None:
        where.append(MetricPoint.channel_id == channel_id)
    groups = (MetricPoint.channel_id, MetricPoint.campaign_id)
    flows = (
        select(*groups, MetricPoint.metric_key, func.sum(MetricPoint.value))
        .where(*where, MetricPoint.metric_key.in_(sorted(keys - levels)))
        .group_by(*groups, MetricPoint.metric_key)
    )
    cells: dict[Cell, dict[str, float]] = defaultdict(dict)
    for stmt in (
        flows,
        latest_levels(where=[*where, MetricPoint.metric_key.in_(sorted(levels))], groups=groups),
    ):
        for channel, campaign, key, total in uow.session.execute(stmt):
            cells[(channel, campaign)][key] = float(total)

    return FunnelReport(
        day_from=w.start,
        day_to=w.end,
        days=w.days,
        campaign_id=campaign_id,
        channel_id=channel_id,
        stage_metrics=stage_metrics,
        funnel=funnel_of(stage_metrics, cells.values()),
        by_channel=_channel_rows(uow, funnels_by(stage_metrics, cells, 0)),
        by_campaign=_campaign_rows(uow, funnels_by(stage_metrics, cells, 1)),
    )


def stage_metrics_of(definitions: Iterable[Definition]) -> list[StageMetrics]:
    """Each stage's count metrics (built-in ones in catalogue order, then the organisation's)."""
    of_stage: dict[str, list[Definition]] = {stage: [] for stage in FUNNEL_STAGES}
    for d in definitions:
        if d.kind == "count" and d.funnel_stage in of_stage:
            of_stage[d.funnel_stage].append(d)
    result = []
    for stage in FUNNEL_STAGES:
        keys = [d.key for d in of_stage[stage]]
        result.append(
            StageMetrics(
                stage,
                keys,
                [d.key for d in of_stage[stage] if d.behaviour == "level"],
                {d.key: d.part_of for d in of_stage[stage] if d.part_of in keys},
            )
        )
    return result


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
