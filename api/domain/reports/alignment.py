"""Strategy alignment: does every objective have KPIs with data and campaigns serving it?

For each objective of a strategy: its KPIs with their latest value (the newest
period with data, as on the scorecard), the campaigns linked to it with their cost
and ROI over the strategy's period, and flags for an objective no campaign serves
and one whose KPIs have no actual yet. The number of queries does not grow with the
number of objectives, KPIs or campaigns.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.domain import money, tenancy
from api.domain.campaigns.models import Campaign, CampaignObjective
from api.domain.kpis.models import Kpi, KpiValue
from api.domain.kpis.values import latest_values, organisation_today
from api.domain.metrics.definitions import known_metric_keys
from api.domain.reports import roi
from api.domain.reports.window import Window
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork

SHARED_CAMPAIGNS = (
    "a campaign serving several objectives is shown in full under each: "
    "do not add its cost across objectives"
)


@dataclass(frozen=True)
class KpiAlignment:
    kpi: Kpi
    latest: KpiValue | None  # its newest period with an actual, as on the scorecard
    complete: bool | None  # that period has ended (None: no latest)

    @property
    def has_data(self) -> bool:
        return self.latest is not None


@dataclass(frozen=True)
class ObjectiveAlignment:
    objective: Objective
    kpis: list[KpiAlignment]
    campaigns: list[roi.CampaignRoi]

    @property
    def no_campaign(self) -> bool:
        return not self.campaigns

    @property
    def no_data(self) -> bool:
        return not any(k.has_data for k in self.kpis)


@dataclass(frozen=True)
class AlignmentInputs:
    strategy_id: uuid.UUID
    day_from: date
    day_to: date
    value_per_conversion: Decimal
    value_per_lead: Decimal
    currency: str
    cost_rule: str
    cost_metric_defined: bool
    notes: list[str]


@dataclass(frozen=True)
class AlignmentReport:
    inputs: AlignmentInputs
    strategy: Strategy
    objectives: list[ObjectiveAlignment]

    @property
    def objectives_without_campaign(self) -> int:
        return sum(1 for o in self.objectives if o.no_campaign)

    @property
    def objectives_without_data(self) -> int:
        return sum(1 for o in self.objectives if o.no_data)


def alignment_report(
    *,
    uow: UnitOfWork,
    strategy_id: uuid.UUID,
    value_per_conversion: Decimal | float = Decimal(0),
    value_per_lead: Decimal | float = Decimal(0),
    today: date | None = None,
) -> AlignmentReport:
    """``today`` (default: the organisation's) decides whether a KPI's latest period ended."""
    value_per_conversion = money.amount(value_per_conversion)
    value_per_lead = money.amount(value_per_lead)
    strategy = tenancy.get(
        uow.session,
        Strategy,
        strategy_id,
        what="strategy",
        options=[selectinload(Strategy.objectives).selectinload(Objective.kpis)],
    )
    objective_ids = [o.id for o in strategy.objectives]
    kpi_ids = [k.id for o in strategy.objectives for k in o.kpis]
    latest = latest_values(uow=uow, kpi_ids=kpi_ids, count=1, with_data=True)
    today = today or organisation_today(uow=uow)
    served_by = _campaigns_by_objective(uow, objective_ids)
    campaigns = list({c.id: c for linked in served_by.values() for c in linked}.values())

    # ROI over the strategy's whole period, the horizon its objectives are set for.
    pricing = roi.Pricing(
        Window(strategy.period_start, strategy.period_end),
        roi.currency_of(uow=uow),
        value_per_conversion,
        value_per_lead,
    )
    cost_defined = roi.COST_KEY in known_metric_keys(uow=uow)
    found = roi.campaign_figures(
        uow=uow, campaigns=campaigns, pricing=pricing, cost_defined=cost_defined
    )

    objectives = [
        ObjectiveAlignment(
            objective=objective,
            kpis=[_kpi(kpi, latest.get(kpi.id, []), today) for kpi in objective.kpis],
            campaigns=[roi.CampaignRoi(c, found[c.id]) for c in served_by.get(objective.id, [])],
        )
        for objective in _by_priority(strategy.objectives)
    ]
    inputs = AlignmentInputs(
        strategy_id=strategy.id,
        day_from=strategy.period_start,
        day_to=strategy.period_end,
        value_per_conversion=value_per_conversion,
        value_per_lead=value_per_lead,
        currency=pricing.currency,
        cost_rule=roi.COST_RULE,
        cost_metric_defined=cost_defined,
        notes=[*roi.notes(pricing, cost_defined=cost_defined), SHARED_CAMPAIGNS],
    )
    return AlignmentReport(inputs, strategy, objectives)


def _by_priority(objectives: list[Objective]) -> list[Objective]:
    # Priority 1 is the most important; ties in the order objectives were created.
    return sorted(objectives, key=lambda o: (o.priority, o.created_at, o.id))


def _kpi(kpi: Kpi, values: list[KpiValue], today: date) -> KpiAlignment:
    value = next(iter(values), None)
    return KpiAlignment(kpi, value, value.period_end < today if value is not None else None)


def _campaigns_by_objective(
    uow: UnitOfWork, objective_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Campaign]]:
    if not objective_ids:
        return {}
    rows = uow.session.execute(
        select(CampaignObjective.objective_id, Campaign)
        .join(Campaign, Campaign.id == CampaignObjective.campaign_id)
        .where(CampaignObjective.objective_id.in_(objective_ids))
        .order_by(Campaign.start_date, Campaign.name, Campaign.id)
    )
    served: dict[uuid.UUID, list[Campaign]] = {}
    for objective_id, campaign in rows:
        served.setdefault(objective_id, []).append(campaign)
    return served
