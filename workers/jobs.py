"""RQ jobs. Each takes ids and primitives, runs domain code, and is safe to run twice."""

from __future__ import annotations

import uuid

from api.domain.jobs import service as jobs
from api.domain.metrics import rollups
from api.domain.organisations import service as organisations
from workers import runtime


def refresh_member_count(organisation_id: str) -> int:
    with runtime.unit_of_work() as uow:
        return organisations.refresh_member_count(uow, uuid.UUID(organisation_id))


def rollup_kpis(organisation_id: str, full: bool = False, job_id: str | None = None) -> dict:
    """Bring an organisation's KPI values up to date; with ``job_id``, report on that Job."""
    organisation = uuid.UUID(organisation_id)
    tracked = uuid.UUID(job_id) if job_id else None
    if tracked:
        with runtime.unit_of_work() as uow:
            uow.scope(organisation)
            jobs.start_job(uow, tracked)
    try:
        with runtime.unit_of_work() as uow:
            result = rollups.run_rollup(uow, organisation, full=full)
    except Exception as error:
        if tracked:
            with runtime.unit_of_work() as uow:
                uow.scope(organisation)
                jobs.finish_job(uow, tracked, counts={}, error=f"{type(error).__name__}: {error}")
        raise
    counts = {"kpis": result.kpis, "values": result.values, "status_changes": result.status_changes}
    if tracked:
        with runtime.unit_of_work() as uow:
            uow.scope(organisation)
            jobs.finish_job(uow, tracked, counts=counts)
    return counts
