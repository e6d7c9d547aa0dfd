"""KPI rollups: metric points → KPI values, with set-based SQL.

Ingestion calls ``request_rollup`` after it wrote points; the job it queues
(coalesced per organisation) recomputes the periods touched since the last run.
"""

from __future__ import annotations

import time
import uuid

from api.domain.uow import UnitOfWork

ROLLUP_JOB = "workers.jobs.rollup_kpis"
# Batches within this many seconds share one queued rollup.
COALESCE_SECONDS = 10


def request_rollup(uow: UnitOfWork, organisation_id: uuid.UUID) -> None:
    """Queue an incremental rollup for the organisation once this unit of work commits.

    Many batches in a short time give one job: the job id is the organisation's,
    and the job itself finds every point changed since the previous run.
    """
    window = int(time.time() // COALESCE_SECONDS)
    uow.after_commit(
        "rollups",
        ROLLUP_JOB,
        str(organisation_id),
        job_id=f"rollup:{organisation_id}:{window}",
    )
