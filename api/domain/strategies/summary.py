"""One read for the strategy page: objectives with KPIs, audiences, resources, readiness, gaps.

A bounded set of queries whatever the number of objectives and KPIs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.domain import tenancy
from api.domain.audiences.models import Audience
from api.domain.readiness.service import CurrentReadiness, current_readiness
from api.domain.resources.models import Resource
from api.domain.strategies import rules
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class StrategySummary:
    strategy: Strategy
    audiences: list[Audience]
    resources: list[Resource]
    readiness: CurrentReadiness
    gaps: dict[str, list[str]]

    @property
    def weekly_capacity_hours(self) -> float:
        return float(sum(r.weekly_capacity_hours for r in self.resources))

    @property
    def preconditions(self) -> dict[str, bool]:
        return {name: name not in self.gaps for name in PRECONDITIONS}


PRECONDITIONS = ("objectives", "kpis", "audiences", "resources")


def strategy_summary(*, uow: UnitOfWork, strategy_id: uuid.UUID) -> StrategySummary:
    session = uow.session
    strategy = tenancy.get(
        session,
        Strategy,
        strategy_id,
        what="strategy",
        options=[selectinload(Strategy.objectives).selectinload(Objective.kpis)],
    )
    audiences = list(session.scalars(select(Audience).order_by(Audience.id)))
    resources = list(session.scalars(select(Resource).order_by(Resource.id)))
    readiness = rules.Readiness(
        objectives=len(strategy.objectives),
        objectives_without_kpis=rules.titles_without_kpis(
            (o.title, len(o.kpis)) for o in strategy.objectives
        ),
        audiences=len(audiences),
        resources=len(resources),
    )
    return StrategySummary(
        strategy=strategy,
        audiences=audiences,
        resources=resources,
        readiness=current_readiness(uow=uow),
        gaps=rules.activation_gaps(readiness),
    )
