"""KPIs: what measures an objective, from metric points.

A KPI's parts (aggregation, metric keys, target against baseline and direction)
are checked together on every change; it stays editable while its strategy is
not archived, and every change is an audit event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel
from api.domain.editing import apply_changes, refuse
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.kpis import rules
from api.domain.kpis.models import Kpi
from api.domain.metrics.definitions import catalogue_of
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.strategies.objectives import editable_objective, get_objective
from api.domain.uow import UnitOfWork

FIELDS = (
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
    "forecast_alert_probability",
)
CHECKED = (
    "aggregation",
    "metric_key",
    "numerator_key",
    "denominator_key",
    "target",
    "baseline",
    "direction",
)
DEFAULTS = {"aggregation": "sum", "period": "month", "direction": "increase"}


@dataclass(frozen=True, kw_only=True)
class KpiChanges(Changes):
    name: str | Unset = UNSET
    metric_key: str | Unset | None = UNSET
    aggregation: str | Unset = UNSET
    numerator_key: str | Unset | None = UNSET
    denominator_key: str | Unset | None = UNSET
    period: str | Unset = UNSET
    target: float | Unset = UNSET
    baseline: float | Unset | None = UNSET
    direction: str | Unset = UNSET
    channel_id: uuid.UUID | Unset | None = UNSET
    campaign_id: uuid.UUID | Unset | None = UNSET
    forecast_alert_probability: float | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class KpiDraft(KpiChanges, Draft):
    name: str
    target: float


def _check(uow: UnitOfWork, values: dict) -> None:
    # The organisation's own metric keys count as much as the built-in ones.
    behaviours = {key: d.behaviour for key, d in catalogue_of(uow=uow).items()}
    errors = rules.check_kpi(
        rules.KpiDefinition(**{f: values.get(f) for f in CHECKED}), behaviours=behaviours
    )
    detail = errors["aggregation"][0] if "aggregation" in errors else None
    refuse(errors, detail or "the KPI's parts do not fit together")


def _check_filters(uow: UnitOfWork, values: dict) -> None:
    """A KPI may measure one channel's or campaign's data; another tenant's is not found."""
    for field, model, noun in (
        ("channel_id", Channel, "channel"),
        ("campaign_id", Campaign, "campaign"),
    ):
        if values.get(field) is not None:
            tenancy.get(uow.session, model, values[field], what=noun)


def create_kpi(*, uow: UnitOfWork, objective_id: uuid.UUID, draft: KpiDraft) -> Kpi:
    objective = editable_objective(uow=uow, objective_id=objective_id)
    values = {**DEFAULTS, **draft.given()}
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
    *, uow: UnitOfWork, kpi_id: uuid.UUID, changes: KpiChanges, expected_version: int | None
) -> Kpi:
    kpi = get_kpi(uow=uow, kpi_id=kpi_id)
    editable_objective(uow=uow, objective_id=kpi.objective_id)
    check_version(kpi, expected_version)
    given = changes.given()
    merged = {f: getattr(kpi, f) for f in FIELDS} | given
    if changes.sent("aggregation"):
        # Switching between ratio and plain KPIs drops the keys the new kind has no use for.
        ratio = merged["aggregation"] == "ratio"
        for field in ("metric_key",) if ratio else ("numerator_key", "denominator_key"):
            if not changes.sent(field):
                merged[field] = None
    _check(uow, merged)
    _check_filters(uow, given)
    apply_changes(kpi, {f: merged[f] for f in FIELDS}, FIELDS)
    uow.commit()
    return kpi


def delete_kpi(*, uow: UnitOfWork, kpi_id: uuid.UUID) -> None:
    kpi = get_kpi(uow=uow, kpi_id=kpi_id)
    editable_objective(uow=uow, objective_id=kpi.objective_id)
    uow.session.delete(kpi)
    uow.commit()
