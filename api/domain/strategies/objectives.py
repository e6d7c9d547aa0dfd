"""Objectives of a strategy and the KPIs that measure them.

An active strategy's objectives and KPIs stay editable (plans change); every
change is an audit event. An archived strategy is read-only.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel
from api.domain.editing import apply_changes, refuse
from api.domain.metrics.definitions import catalogue_of
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.strategies import rules
from api.domain.strategies.models import Kpi, Objective
from api.domain.strategies.service import editable_strategy, get_strategy
from api.domain.uow import UnitOfWork

OBJECTIVE_FIELDS = ("title", "business_outcome", "priority", "description")
KPI_FIELDS = (
    "name",
    "metric_key",
    "aggregation",
    "numerator_key",
    "denominator_key",
    "period",
    "target",
    "baseline",
    "direction",
    "channel_id",
    "campaign_id",
)


# Objectives


def create_objective(*, uow: UnitOfWork, strategy_id: uuid.UUID, data: dict) -> Objective:
    strategy = editable_strategy(uow=uow, strategy_id=strategy_id)
    objective = Objective(strategy_id=strategy.id, **data)
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


def _editable_objective(uow: UnitOfWork, objective_id: uuid.UUID) -> Objective:
    objective = get_objective(uow=uow, objective_id=objective_id)
    editable_strategy(uow=uow, strategy_id=objective.strategy_id)
    return objective


def update_objective(
    *, uow: UnitOfWork, objective_id: uuid.UUID, changes: dict, expected_version: int | None
) -> Objective:
    objective = _editable_objective(uow, objective_id)
    check_version(objective, expected_version)
    apply_changes(objective, changes, OBJECTIVE_FIELDS)
    uow.commit()
    return objective


def delete_objective(*, uow: UnitOfWork, objective_id: uuid.UUID) -> None:
    objective = _editable_objective(uow, objective_id)
    # Record the KPIs' deletion too; the database would cascade them silently.
    for kpi in uow.session.scalars(select(Kpi).where(Kpi.objective_id == objective.id)):
        uow.session.delete(kpi)
    uow.session.delete(objective)
    uow.commit()


# KPIs


def _check(uow: UnitOfWork, values: dict) -> None:
    # The organisation's own metric keys count as much as the built-in ones.
    behaviours = {key: d.behaviour for key, d in catalogue_of(uow=uow).items()}
    errors = rules.check_kpi(
        rules.KpiDefinition(**{f: values.get(f) for f in KPI_CHECKED}), behaviours=behaviours
    )
    detail = errors["aggregation"][0] if "aggregation" in errors else None
    refuse(errors, detail or "the KPI's parts do not fit together")


KPI_CHECKED = (
    "aggregation",
    "metric_key",
    "numerator_key",
    "denominator_key",
    "target",
    "baseline",
    "direction",
)
KPI_DEFAULTS = {"aggregation": "sum", "period": "month", "direction": "increase"}


def _check_filters(uow: UnitOfWork, values: dict) -> None:
    """A KPI may measure one channel's or campaign's data; another tenant's is not found."""
    for field, model, noun in (
        ("channel_id", Channel, "channel"),
        ("campaign_id", Campaign, "campaign"),
    ):
        if values.get(field) is not None:
            tenancy.get(uow.session, model, values[field], what=noun)


def create_kpi(*, uow: UnitOfWork, objective_id: uuid.UUID, data: dict) -> Kpi:
    objective = _editable_objective(uow, objective_id)
    values = {**KPI_DEFAULTS, **data}
    _check(uow, values)
    _check_filters(uow, values)
    kpi = Kpi(objective_id=objective.id, **values)
    uow.session.add(kpi)
    uow.commit()
    return kpi


def list_kpis(*, uow: UnitOfWork, objective_id: uuid.UUID, page: PageRequest) -> Page[Kpi]:
    objective = get_objective(uow=uow, objective_id=objective_id)
    return paginate(uow.session, select(Kpi).where(Kpi.objective_id == objective.id), Kpi.id, page)


def get_kpi(*, uow: UnitOfWork, kpi_id: uuid.UUID) -> Kpi:
    return tenancy.get(uow.session, Kpi, kpi_id, what="KPI")


def update_kpi(
    *, uow: UnitOfWork, kpi_id: uuid.UUID, changes: dict, expected_version: int | None
) -> Kpi:
    kpi = get_kpi(uow=uow, kpi_id=kpi_id)
    _editable_objective(uow, kpi.objective_id)
    check_version(kpi, expected_version)
    merged = {f: getattr(kpi, f) for f in KPI_FIELDS} | changes
    if "aggregation" in changes:
        # Switching between ratio and plain KPIs drops the keys the new kind has no use for.
        ratio = merged["aggregation"] == "ratio"
        for field in ("metric_key",) if ratio else ("numerator_key", "denominator_key"):
            if field not in changes:
                merged[field] = None
    _check(uow, merged)
    _check_filters(uow, changes)
    apply_changes(kpi, {f: merged[f] for f in KPI_FIELDS}, KPI_FIELDS)
    uow.commit()
    return kpi


def delete_kpi(*, uow: UnitOfWork, kpi_id: uuid.UUID) -> None:
    kpi = get_kpi(uow=uow, kpi_id=kpi_id)
    _editable_objective(uow, kpi.objective_id)
    uow.session.delete(kpi)
    uow.commit()
