"""Audience × channel fit: is the effort for each audience where it says it hangs out?

For each of the organisation's audiences × channels, over a strategy's campaigns that
run in the window: the audience's stated preference for the channel's kind, its value
tier, what goes there for it (budget and content hours) and what came back (reach,
engagements, leads), then the fit score (``fit_scores``) and the largest mismatches.

Attribution (``attribution``), one rule for money, time and results alike: a
campaign's budget in the window, its content items' hours and its metric points go
to each audience it targets in equal shares (the budget also split evenly over its
channels; hours and points stay on their own channel).

A campaign without audiences counts for none (it is listed in ``inputs``); budgets in
another currency than the organisation's are left out of the spend (listed too). The
number of queries does not grow with the audiences, channels or campaigns.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from api.domain import tenancy
from api.domain.audiences.models import Audience
from api.domain.channels.models import Channel
from api.domain.errors import RuleViolation
from api.domain.reports import attribution, budgets, fit_scores, roi, shares
from api.domain.reports.figures import Figure
from api.domain.reports.window import window
from api.domain.strategies.models import Strategy
from api.domain.uow import UnitOfWork

NO_RESULTS = (
    "no metric points of the strategy's campaigns for the audience on this channel in the window"
)
# A report is read by a person: past these it is a dump, not an answer (and a slow one).
MAX_CELLS = 10_000
NO_SPEND = "no budget attributed to the audience on this channel in the window"
RULES = (
    "a campaign's budget in the window is split evenly over its audiences × its channels "
    f"({budgets.RULE})",
    "a content item's hours go to its channel, split evenly over its campaign's audiences, "
    "for the days the campaign shares with the window",
    "a campaign's metric points on a channel are split evenly over its audiences",
)


@dataclass(frozen=True)
class AudienceRow:
    audience_id: uuid.UUID
    name: str
    value_tier: str
    value_weight: float
    channel_preferences: dict[str, float]
    spend: Decimal  # attributed budget over all channels
    hours: float  # attributed content hours over all channels


@dataclass(frozen=True)
class ChannelRow:
    channel_id: uuid.UUID
    name: str
    kind: str


@dataclass(frozen=True)
class Cell:
    audience: AudienceRow
    channel: ChannelRow
    preference: Figure
    spend: Decimal
    hours: float
    desired_share: Figure
    effort_share: Figure
    fit_score: Figure
    reach: Figure
    engagements: Figure
    leads: Figure
    engagement_rate: Figure
    cost_per_lead: Figure


@dataclass(frozen=True)
class Mismatch:
    audience_id: uuid.UUID
    channel_id: uuid.UUID
    fit_score: float
    weight: float
    answer: str


@dataclass(frozen=True)
class FitInputs:
    strategy_id: uuid.UUID
    day_from: date
    day_to: date
    currency: str
    value_weights: dict[str, float]
    rules: tuple[str, ...]
    campaigns: list[uuid.UUID]
    campaigns_without_audience: list[uuid.UUID]
    campaigns_in_other_currencies: list[uuid.UUID]


@dataclass(frozen=True)
class AudienceFitReport:
    inputs: FitInputs
    audiences: list[AudienceRow]
    cells: list[Cell]
    mismatches: list[Mismatch]


def audience_channel_fit(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, day_from: date, day_to: date
) -> AudienceFitReport:
    span = window(day_from, day_to)
    strategy = tenancy.get(uow.session, Strategy, strategy_id, what="strategy")
    currency = roi.currency_of(uow=uow)
    audiences = uow.session.execute(
        select(
            Audience.id, Audience.name, Audience.value_tier, Audience.channel_preferences
        ).order_by(Audience.name, Audience.id)
    ).all()
    channels = [
        ChannelRow(*row)
        for row in uow.session.execute(
            select(Channel.id, Channel.name, Channel.kind).order_by(
                Channel.kind, Channel.name, Channel.id
            )
        )
    ]
    if len(audiences) * len(channels) > MAX_CELLS:
        raise RuleViolation(
            f"more than {MAX_CELLS} audience × channel cells",
            errors={"strategy_id": [f"At most {MAX_CELLS} audiences × channels in one report."]},
        )
    running = attribution.running(uow=uow, strategy_id=strategy.id, span=span, currency=currency)
    results = attribution.results(uow=uow, ids=running.ids, span=span)
    rows = [
        AudienceRow(
            audience_id=id_,
            name=name,
            value_tier=tier,
            value_weight=fit_scores.value_weight(tier),
            channel_preferences=dict(preferences or {}),
            spend=sum(
                (running.spend.get((id_, c.channel_id), Decimal(0)) for c in channels), Decimal(0)
            ),
            hours=sum(running.hours.get((id_, c.channel_id), 0.0) for c in channels),
        )
        for id_, name, tier, preferences in audiences
    ]
    cells = [cell for row in rows for cell in _cells(row, channels, running, results)]
    inputs = FitInputs(
        strategy_id=strategy.id,
        day_from=span.start,
        day_to=span.end,
        currency=currency,
        value_weights=dict(fit_scores.VALUE_WEIGHTS),
        rules=RULES,
        campaigns=running.ids,
        campaigns_without_audience=running.without_audience,
        campaigns_in_other_currencies=running.other_currencies,
    )
    return AudienceFitReport(inputs, rows, cells, _mismatches(rows, cells))


def _cells(
    row: AudienceRow, channels: list[ChannelRow], running: attribution.Running, results: dict
):
    pairs = [(row.audience_id, c.channel_id) for c in channels]
    preferences = {
        c.channel_id: row.channel_preferences.get(c.kind) for c in channels
    }  # None: no stated preference for the kind
    desired = fit_scores.desired_shares(preferences, {c.channel_id: c.kind for c in channels})
    effort = fit_scores.effort_shares(
        {p[1]: running.spend.get(p, Decimal(0)) for p in pairs},
        {p[1]: running.hours.get(p, 0.0) for p in pairs},
    )
    cells = []
    for channel in channels:
        key = (row.audience_id, channel.channel_id)
        spend = running.spend.get(key, Decimal(0))
        came_back = results.get(key)
        weight = preferences[channel.channel_id]
        cells.append(
            Cell(
                audience=row,
                channel=channel,
                preference=Figure(weight)
                if weight is not None
                else Figure.missing(fit_scores.NO_PREFERENCE.format(kind=channel.kind)),
                spend=spend,
                hours=running.hours.get(key, 0.0),
                desired_share=desired[channel.channel_id],
                effort_share=effort[channel.channel_id],
                fit_score=fit_scores.fit_score(
                    effort=effort[channel.channel_id], desired=desired[channel.channel_id]
                ),
                **_returns(came_back, spend),
            )
        )
    return cells


def _returns(came_back: dict | None, spend: Decimal) -> dict[str, Figure]:
    if came_back is None:
        missing = Figure.missing(NO_RESULTS)
        return dict.fromkeys(
            ("reach", "engagements", "leads", "engagement_rate", "cost_per_lead"), missing
        )
    reach, engagements, leads = (came_back.get(key, 0.0) for key in attribution.RESULT_KEYS)
    return {
        "reach": Figure(reach),
        "engagements": Figure(engagements),
        "leads": Figure(leads),
        "engagement_rate": shares.engagement_rate(engagements=engagements, reach=reach),
        "cost_per_lead": shares.cost_per_lead(cost=spend, leads=leads)
        if spend > 0
        else Figure.missing(NO_SPEND),
    }


def _mismatches(rows: list[AudienceRow], cells: list[Cell]) -> list[Mismatch]:
    top = max((r.value_weight for r in rows), default=0.0)
    unique_top = sum(1 for r in rows if r.value_weight == top) == 1
    gaps = [
        fit_scores.Gap(
            audience=cell.audience.name,
            tier=cell.audience.value_tier,
            highest_value=unique_top and cell.audience.value_weight == top,
            preferences=cell.audience.channel_preferences,
            channel=cell.channel.name,
            kind=cell.channel.kind,
            effort_share=cell.effort_share.value,
            desired_share=cell.desired_share.value,
            weight=fit_scores.mismatch_weight(
                fit=cell.fit_score, weight=cell.audience.value_weight
            ),
            key=cell,
        )
        for cell in cells
        if cell.fit_score.value is not None
    ]
    return [
        Mismatch(
            audience_id=gap.key.audience.audience_id,
            channel_id=gap.key.channel.channel_id,
            fit_score=gap.key.fit_score.value,
            weight=gap.weight,
            answer=fit_scores.sentence(gap),
        )
        for gap in fit_scores.largest(gaps)
    ]
