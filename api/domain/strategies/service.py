"""Strategies and their lifecycle: draft → active → archived."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from api.domain import audit, tenancy
from api.domain.audiences.models import Audience
from api.domain.base import check_version
from api.domain.editing import apply_changes, refuse
from api.domain.errors import Conflict
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.kpis.models import Kpi
from api.domain.organisations.models import Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.resources.models import Resource
from api.domain.strategies import rules
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

UPDATABLE = ("name", "period_start", "period_end", "business_context")


@dataclass(frozen=True, kw_only=True)
class StrategyChanges(Changes):
    name: str | Unset = UNSET
    period_start: date | Unset = UNSET
    period_end: date | Unset = UNSET
    business_context: str | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class StrategyDraft(StrategyChanges, Draft):
    name: str
    period_start: date
    period_end: date


@dataclass(frozen=True)
class StrategyFilter:
    status: str | None = None
    # Strategies whose period overlaps [period_from, period_to].
    period_from: date | None = None
    period_to: date | None = None


def get_strategy(*, uow: UnitOfWork, strategy_id: uuid.UUID) -> Strategy:
    return tenancy.get(uow.session, Strategy, strategy_id, what="strategy")


def editable_strategy(*, uow: UnitOfWork, strategy_id: uuid.UUID) -> Strategy:
    """A strategy whose content may change: draft or active (plans change), not archived."""
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    if strategy.status == "archived":
        raise Conflict(f"strategy {strategy.id} is archived; archived strategies are read-only")
    return strategy


def create_strategy(*, uow: UnitOfWork, draft: StrategyDraft) -> Strategy:
    refuse(rules.check_period(draft.period_start, draft.period_end), "invalid period")
    strategy = Strategy(status="draft", **draft.given())
    uow.session.add(strategy)
    uow.commit()
    return strategy


def list_strategies(
    *, uow: UnitOfWork, filters: StrategyFilter, page: PageRequest
) -> Page[Strategy]:
    stmt = select(Strategy)
    if filters.status:
        stmt = stmt.where(Strategy.status == filters.status)
    if filters.period_from:
        stmt = stmt.where(Strategy.period_end >= filters.period_from)
    if filters.period_to:
        stmt = stmt.where(Strategy.period_start <= filters.period_to)
    return paginate(uow.session, stmt, Strategy.id, page)


def update_strategy(
    *,
    uow: UnitOfWork,
    strategy_id: uuid.UUID,
    changes: StrategyChanges,
    expected_version: int | None,
) -> Strategy:
    strategy = editable_strategy(uow=uow, strategy_id=strategy_id)
    check_version(strategy, expected_version)
    start = changes.or_("period_start", strategy.period_start)
    end = changes.or_("period_end", strategy.period_end)
    refuse(rules.check_period(start, end), "invalid period")
    if strategy.status == "active":
        _refuse_overlap(uow, strategy, start, end)
    apply_changes(strategy, changes.given(), UPDATABLE)
    uow.commit()
    return strategy


def delete_strategy(*, uow: UnitOfWork, strategy_id: uuid.UUID) -> None:
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    if strategy.status != "draft":
        raise Conflict(f"only draft strategies can be deleted; this one is {strategy.status}")
    uow.session.delete(strategy)
    uow.commit()


def activation_readiness(*, uow: UnitOfWork, strategy: Strategy) -> rules.Readiness:
    session = uow.session
    kpi_counts = session.execute(
        select(Objective.title, func.count(Kpi.id))
        .outerjoin(Kpi, Kpi.objective_id == Objective.id)
        .where(Objective.strategy_id == strategy.id)
        .group_by(Objective.id, Objective.title)
    ).all()
    return rules.Readiness(
        objectives=len(kpi_counts),
        objectives_without_kpis=rules.titles_without_kpis(kpi_counts),
        audiences=session.scalar(select(func.count()).select_from(Audience)),
        resources=session.scalar(select(func.count()).select_from(Resource)),
    )


def activate_strategy(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, expected_version: int | None = None
) -> Strategy:
    # Serialise activations within an organisation so two overlapping ones cannot both pass.
    uow.session.get(Organisation, uow.tenant.organisation_id, with_for_update=True)
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    check_version(strategy, expected_version)
    if strategy.status != "draft":
        raise Conflict(f"only a draft strategy can be activated; this one is {strategy.status}")
    refuse(
        rules.activation_gaps(activation_readiness(uow=uow, strategy=strategy)),
        "the strategy cannot be activated yet: objectives with KPIs, audiences and "
        "resources come first",
    )
    _refuse_overlap(uow, strategy, strategy.period_start, strategy.period_end)
    strategy.status = "active"
    audit.mark(uow.session, strategy, "activate")
    events.emit(
        uow=uow,
        type="strategy.activated",
        payload={
            "strategy_id": strategy.id,
            "name": strategy.name,
            "period_start": strategy.period_start,
            "period_end": strategy.period_end,
        },
    )
    uow.commit()
    return strategy


def archive_strategy(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, expected_version: int | None = None
) -> Strategy:
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    check_version(strategy, expected_version)
    if strategy.status == "archived":
        raise Conflict("the strategy is already archived")
    strategy.status = "archived"
    audit.mark(uow.session, strategy, "archive")
    uow.commit()
    return strategy


def _refuse_overlap(uow: UnitOfWork, strategy: Strategy, start: date, end: date) -> None:
    clash = uow.session.scalar(
        select(Strategy).where(
            Strategy.status == "active",
            Strategy.id != strategy.id,
            Strategy.period_start <= end,
            Strategy.period_end >= start,
        )
    )
    if clash is not None:
        raise Conflict(
            f"the period overlaps active strategy {clash.name!r} ({clash.id}, "
            f"{clash.period_start} to {clash.period_end}); archive it or change the period"
        )
