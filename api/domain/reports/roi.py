"""Return on investment per campaign: what it cost, what it brought, in a few queries.

Money cost: the sum of the campaign's `cost` metric points in the window when the
organisation defines a `cost` metric key and the campaign has such points there;
otherwise its budget charged to the window by the days it shares with the campaign
(``budgets.budget_in_window``, the rule of every report). People's time is shown apart: the
effort hours of the campaign's content items (cancelled ones excepted) times
their owner's hourly cost. Value: revenue points + conversions × value per
conversion + leads × value per lead, from the campaign's points in the window.
The campaign's points include its posts' own (the sync writes them with the item's
campaign): its engagements are what its published posts gained in the window.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from api.domain import money, tenancy
from api.domain.campaigns.models import Campaign
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.metrics.definitions import known_metric_keys
from api.domain.metrics.models import MetricPoint
from api.domain.organisations.models import Organisation
from api.domain.reports import budgets, formulas
from api.domain.reports.window import Window, window
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork

COST_KEY = "cost"
VALUE_KEYS = ("revenue", "conversions", "leads", "engagements")
MAX_CAMPAIGNS = 1_000
COST_RULE = (
    "cost points of the campaign in the window when the organisation defines a "
    "`cost` metric key and the campaign has such points; otherwise the campaign's "
    f"budget in the window ({budgets.RULE})"
)


@dataclass(frozen=True)
class CampaignRoi:
    campaign: Campaign
    figures: formulas.Figures


@dataclass(frozen=True)
class RoiInputs:
    """What the figures were computed from, so a front end can explain them."""

    day_from: date
    day_to: date
    campaign_id: uuid.UUID | None
    value_per_conversion: Decimal
    value_per_lead: Decimal
    currency: str
    cost_rule: str
    cost_metric_defined: bool
    notes: list[str]


@dataclass(frozen=True)
class RoiReport:
    inputs: RoiInputs
    campaigns: list[CampaignRoi]
    total: formulas.Figures


@dataclass(frozen=True)
class Pricing:
    """What ROI of a set of campaigns is computed with."""

    span: Window
    currency: str
    value_per_conversion: Decimal
    value_per_lead: Decimal


def roi_report(
    *,
    uow: UnitOfWork,
    day_from: date,
    day_to: date,
    campaign_id: uuid.UUID | None = None,
    value_per_conversion: Decimal | float = Decimal(0),
    value_per_lead: Decimal | float = Decimal(0),
) -> RoiReport:
    """One campaign's ROI, or that of every campaign running in the window, and a total."""
    span = window(day_from, day_to)
    value_per_conversion = money.amount(value_per_conversion)
    value_per_lead = money.amount(value_per_lead)
    if campaign_id is not None:
        campaigns = [tenancy.get(uow.session, Campaign, campaign_id, what="campaign")]
    else:
        campaigns = _running(uow, span)
    pricing = Pricing(span, currency_of(uow=uow), value_per_conversion, value_per_lead)
    cost_defined = COST_KEY in known_metric_keys(uow=uow)
    found = campaign_figures(
        uow=uow, campaigns=campaigns, pricing=pricing, cost_defined=cost_defined
    )
    rows = [CampaignRoi(c, found[c.id]) for c in campaigns]
    total = formulas.figures(
        formulas.total([row.figures.inputs for row in rows], currency=pricing.currency),
        currency=pricing.currency,
        value_per_conversion=value_per_conversion,
        value_per_lead=value_per_lead,
    )
    inputs = RoiInputs(
        day_from=span.start,
        day_to=span.end,
        campaign_id=campaign_id,
        value_per_conversion=value_per_conversion,
        value_per_lead=value_per_lead,
        currency=pricing.currency,
        cost_rule=COST_RULE,
        cost_metric_defined=cost_defined,
        notes=notes(pricing, cost_defined=cost_defined),
    )
    return RoiReport(inputs, rows, total)


def notes(pricing: Pricing, *, cost_defined: bool) -> list[str]:
    said = []
    if not pricing.value_per_conversion:
        said.append("value_per_conversion is 0: conversions add nothing to the value")
    if not pricing.value_per_lead:
        said.append("value_per_lead is 0: leads add nothing to the value")
    if not cost_defined:
        said.append(
            "no `cost` metric key is defined: the money cost is the campaign budget in the window"
        )
    said.append(
        f"people's time and revenue are in {pricing.currency}; "
        "a budget counts for the days its campaign shares with the window"
    )
    return said


def currency_of(*, uow: UnitOfWork) -> str:
    return uow.session.get(Organisation, uow.tenant.organisation_id).currency


def _running(uow: UnitOfWork, span: Window) -> list[Campaign]:
    """The campaigns whose dates overlap the window, whatever their status."""
    found = list(
        uow.session.scalars(
            select(Campaign)
            .where(Campaign.start_date <= span.end, Campaign.end_date >= span.start)
            .order_by(Campaign.start_date, Campaign.name, Campaign.id)
            .limit(MAX_CAMPAIGNS + 1)
        )
    )
    if len(found) > MAX_CAMPAIGNS:
        raise RuleViolation(
            f"more than {MAX_CAMPAIGNS} campaigns run in the window",
            errors={"to": ["Narrow the window or name one campaign."]},
        )
    return found


def campaign_figures(
    *, uow: UnitOfWork, campaigns: list[Campaign], pricing: Pricing, cost_defined: bool
) -> dict[uuid.UUID, formulas.Figures]:
    """campaign id → its figures: one grouped query over metric points, one over effort."""
    ids = [c.id for c in campaigns]
    keys = list(VALUE_KEYS) + ([COST_KEY] if cost_defined else [])
    sums = _metric_sums(uow, ids, keys, pricing.span)
    effort = _effort(uow, ids)
    result = {}
    for campaign in campaigns:
        metrics = sums.get(campaign.id, {})
        budget = (
            budgets.budget_in_window(
                budget=campaign.budget_amount,
                start=campaign.start_date,
                end=campaign.end_date,
                window=pricing.span,
            )
            if campaign.budget_amount is not None
            else None
        )
        cost, source, cost_currency = formulas.money_cost(
            cost_points=metrics.get(COST_KEY),
            budget=budget,
            budget_currency=campaign.budget_currency,
            currency=pricing.currency,
        )
        people_cost, priced_hours, unpriced_hours, unpriced_items = effort.get(
            campaign.id, (Decimal(0), 0.0, 0.0, 0)
        )
        inputs = formulas.Inputs(
            cost=cost,
            cost_source=source,
            cost_currency=cost_currency,
            people_cost=people_cost,
            priced_hours=priced_hours,
            unpriced_hours=unpriced_hours,
            unpriced_items=unpriced_items,
            revenue=money.amount_or_none(metrics.get("revenue")),
            conversions=metrics.get("conversions"),
            leads=metrics.get("leads"),
            engagements=metrics.get("engagements"),
        )
        result[campaign.id] = formulas.figures(
            inputs,
            currency=pricing.currency,
            value_per_conversion=pricing.value_per_conversion,
            value_per_lead=pricing.value_per_lead,
        )
    return result


def _metric_sums(
    uow: UnitOfWork, ids: list[uuid.UUID], keys: list[str], span: Window
) -> dict[uuid.UUID, dict[str, float]]:
    if not ids:
        return {}
    stmt = (
        select(MetricPoint.campaign_id, MetricPoint.metric_key, func.sum(MetricPoint.value))
        .where(
            MetricPoint.campaign_id.in_(ids),
            MetricPoint.metric_key.in_(keys),
            MetricPoint.day >= span.start,
            MetricPoint.day <= span.end,
        )
        .group_by(MetricPoint.campaign_id, MetricPoint.metric_key)
    )
    sums: dict[uuid.UUID, dict[str, float]] = {}
    for campaign_id, key, total in uow.session.execute(stmt):
        sums.setdefault(campaign_id, {})[key] = float(total)
    return sums


def _effort(uow: UnitOfWork, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple]:
    """campaign id → (people cost, priced hours, unpriced hours, unpriced items).

    Hours are NUMERIC(8, 2) and hourly costs NUMERIC(14, 2): their products are exact.
    """
    if not ids:
        return {}
    hours = ContentItem.effort_hours
    priced = Resource.hourly_cost.is_not(None)  # NULL too when the item has no owner
    unpriced = Resource.hourly_cost.is_(None)
    stmt = (
        select(
            ContentItem.campaign_id,
            func.sum(case((priced, hours * Resource.hourly_cost), else_=0)),
            func.sum(case((priced, hours), else_=0)),
            func.sum(case((unpriced, hours), else_=0)),
            func.count(case((and_(unpriced, hours > 0), ContentItem.id))),
        )
        .outerjoin(Resource, Resource.id == ContentItem.owner_id)
        .where(ContentItem.campaign_id.in_(ids), ContentItem.status != "cancelled")
        .group_by(ContentItem.campaign_id)
    )
    return {
        campaign_id: (
            money.amount(cost),
            float(priced_hours),
            float(unpriced_hours),
            int(items),
        )
        for campaign_id, cost, priced_hours, unpriced_hours, items in uow.session.execute(stmt)
    }
