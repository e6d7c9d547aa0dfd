"""Objectives of a strategy.

An active strategy's objectives stay editable (plans change); every change is an
audit event. An archived strategy is read-only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.editing import apply_changes
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.kpis.models import Kpi
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.strategies.models import Objective
from api.domain.strategies.service import editable_strategy, get_strategy
from api.domain.uow import UnitOfWork

FIELDS = ("title", "business_outcome", "priority", "description")


@dataclass(frozen=True, kw_only=True)
class ObjectiveChanges(Changes):
    title: str | Unset = UNSET
    business_outcome: str | Unset = UNSET
    priority: int | Unset = UNSET
    description: str | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class ObjectiveDraft(ObjectiveChanges, Draft):
    title: str
    business_outcome: str


def create_objective(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, draft: ObjectiveDraft
) -> Objective:
    strategy = editable_strategy(uow=uow, strategy_id=strategy_id)
    objective = Objective(strategy_id=strategy.id, **draft.given())
    uow.session.add(objective)
    uow.commit()
    return objective


def list_objectives(
    *, uow: UnitOfWork, strategy_id: uuid.UUID, page: PageRequest
) -> Page[Objective]:
    strategy = get_strategy(uow=uow, strategy_id=strategy_id)
    stmt = select(Objective).where(Objective.strategy_id == strategy.id)
    return paginate(uow.session, stmt, Objective.id, page)


def get_objective(*, uow: UnitOfWork, objective_id: uuid.UUID) -> Objective:
    return tenancy.get(uow.session, Objective, objective_id, what="objective")


def editable_objective(*, uow: UnitOfWork, objective_id: uuid.UUID) -> Objective:
    """An objective whose strategy is not archived: it and its KPIs may change."""
    objective = get_objective(uow=uow, objective_id=objective_id)
    editable_strategy(uow=uow, strategy_id=objective.strategy_id)
    return objective


def update_objective(
    *,
    uow: UnitOfWork,
    objective_id: uuid.UUID,
    changes: ObjectiveChanges,
    expected_version: int | None,
) -> Objective:
    objective = editable_objective(uow=uow, objective_id=objective_id)
    check_version(objective, expected_version)
    apply_changes(objective, changes.given(), FIELDS)
    uow.commit()
    return objective


def delete_objective(*, uow: UnitOfWork, objective_id: uuid.UUID) -> None:
    objective = editable_objective(uow=uow, objective_id=objective_id)
    # Record the KPIs' deletion too; the database would cascade them silently.
    for kpi in uow.session.scalars(select(Kpi).where(Kpi.objective_id == objective.id)):
        uow.session.delete(kpi)
    uow.session.delete(objective)
    uow.commit()
