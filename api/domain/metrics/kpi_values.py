"""Reading KPI values: one KPI's periods, and a strategy's scorecard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from api.domain import tenancy
from api.domain.access import Tenant
from api.domain.errors import RuleViolation
from api.domain.jobs.models import Job
from api.domain.jobs.service import create_job, tracked_job_id
from api.domain.metrics.models import KpiValue
from api.domain.metrics.rollups import ROLLUP_JOB
from api.domain.strategy.models import Kpi, Objective, Strategy
from api.domain.uow import UnitOfWork

MAX_VALUES = 1000
TREND_PERIODS = 6


def list_values(
    uow: UnitOfWork,
    tenant: Tenant,
    kpi_id: uuid.UUID,
    *,
    since: date | None = None,
    until: date | None = None,
) -> list[KpiValue]:
    """The KPI's values by period, oldest first (periods starting in [since, until])."""
    kpi = tenancy.get(uow.session, Kpi, kpi_id, what="KPI")
    stmt = select(KpiValue).where(KpiValue.kpi_id == kpi.id)
    if since:
        stmt = stmt.where(KpiValue.period_start >= since)
    if until:
        stmt = stmt.where(KpiValue.period_start <= until)
    values = list(uow.session.scalars(stmt.order_by(KpiValue.period_start).limit(MAX_VALUES + 1)))
    if len(values) > MAX_VALUES:
        raise RuleViolation(
            "too many periods", errors={"from": [f"Ask for at most {MAX_VALUES} periods."]}
        )
    return values


def latest_values(uow: UnitOfWork, kpi_ids: list[uuid.UUID], count: int) -> dict:
    """KPI id → its last ``count`` values, newest first, in one query."""
    if not kpi_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=KpiValue.kpi_id, order_by=KpiValue.period_start.desc())
        .label("rank")
    )
    ranked = select(KpiValue.id, rank).where(KpiValue.kpi_id.in_(kpi_ids)).subquery()
    rows = uow.session.scalars(
        select(KpiValue)
        .join(ranked, ranked.c.id == KpiValue.id)
        .where(ranked.c.rank <= count)
        .order_by(KpiValue.kpi_id, KpiValue.period_start.desc())
    )
    latest: dict = {kpi_id: [] for kpi_id in kpi_ids}
    for value in rows:
        latest[value.kpi_id].append(value)
    return latest


@dataclass(frozen=True)
class Scorecard:
    strategy: Strategy
    values: dict  # KPI id → last values, newest first


def scorecard(uow: UnitOfWork, tenant: Tenant, strategy_id: uuid.UUID) -> Scorecard:
    strategy = tenancy.get(
        uow.session,
        Strategy,
        strategy_id,
        what="strategy",
        options=[selectinload(Strategy.objectives).selectinload(Objective.kpis)],
    )
    kpi_ids = [kpi.id for objective in strategy.objectives for kpi in objective.kpis]
    return Scorecard(strategy, latest_values(uow, kpi_ids, TREND_PERIODS))


def request_full_rollup(uow: UnitOfWork, tenant: Tenant) -> Job:
    """A tracked full rollup of the organisation (202 + Job for the API)."""
    job = create_job(uow, kind="rollup", params={"full": True})
    uow.after_commit(
        "rollups",
        ROLLUP_JOB,
        str(tenant.organisation_id),
        True,
        str(job.id),
        job_id=tracked_job_id(job.id),
    )
    uow.commit()
    return job
