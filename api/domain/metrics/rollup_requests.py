"""Asking for a KPI rollup: after ingestion (coalesced), or a full one (tracked).

The rollup itself (``api.domain.kpis.rollups``) builds on metric points; ingestion
only queues it, by the job's name, so metrics need not import KPIs.
"""

from __future__ import annotations

import time

from api.domain.jobs.models import Job
from api.domain.jobs.service import create_job, tracked_job_id
from api.domain.uow import UnitOfWork

ROLLUP_JOB = "workers.jobs.rollup_kpis"
# Batches within this many seconds share one queued rollup.
COALESCE_SECONDS = 10


def request_rollup(*, uow: UnitOfWork) -> None:
    """Queue an incremental rollup for the organisation once this unit of work commits.

    Many batches in a short time give one job: the job id names the organisation
    and a time window, and the job itself finds every point changed since the
    previous run.
    """
    window = int(time.time() // COALESCE_SECONDS)
    organisation_id = uow.tenant.organisation_id
    uow.after_commit(
        "rollups",
        ROLLUP_JOB,
        str(organisation_id),
        job_id=f"rollup-{organisation_id}-{window}",
    )


def request_full_rollup(*, uow: UnitOfWork) -> Job:
    """A tracked full rollup of the organisation (202 + Job for the API)."""
    job = create_job(uow=uow, kind="rollup", params={"full": True})
    uow.after_commit(
        "rollups",
        ROLLUP_JOB,
        str(uow.tenant.organisation_id),
        True,
        str(job.id),
        job_id=tracked_job_id(job.id),
    )
    uow.commit()
    return job
