"""Recovery of jobs whose run was lost: the database is the record, not the queue.

A job row that has not finished must reach a worker again after any loss: a worker
and its work horse killed, or a Redis that restarted empty. The reconciler
(``workers.recovery``) calls ``interrupt_stale`` for running jobs whose heartbeat
stopped, then checks each of ``lost_candidates`` against the queue and queues
again, as ``requeue_of`` says, those the queue no longer holds. These functions
work across organisations (an unscoped session): they are the system's, not a tenant's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from api.domain.base import utcnow
from api.domain.channels.sync import SYNC_JOB, sync_job_id
from api.domain.content_items import imports as content_imports
from api.domain.jobs import rematches
from api.domain.jobs.models import Job
from api.domain.jobs.service import tracked_job_id
from api.domain.metrics.imports import IMPORT_JOB
from api.domain.metrics.rollup_requests import ROLLUP_JOB

# A job whose runs were lost this many times fails instead of being queued again
# (a job that kills its work horse must not loop for ever).
MAX_ATTEMPTS = 5
BATCH = 1000


@dataclass(frozen=True)
class Requeue:
    """How a job is queued: the same queue, job, arguments and id as when accepted."""

    job_id: uuid.UUID
    status: str
    queue: str
    function: str
    args: tuple[object, ...]
    queue_id: str  # the dispatcher's id: its slots are this and ``<id>-next``
    # The log context the run takes along (RQ job meta), as when the request queued it:
    # its lines name the request that created the job. Empty for a job no request made.
    carried: dict[str, str] = field(default_factory=dict)


def carried_by(job: Job) -> dict[str, str]:
    """What the run of ``job`` carries, as ``api.logs.carried()`` in its request gave it."""
    if job.request_id is None:
        return {}
    return {"request_id": job.request_id, "organisation_id": str(job.organisation_id)}


def requeue_of(job: Job) -> Requeue:
    """How ``job`` is queued again: as when accepted, under the request that created it."""
    return replace(_requeue_of(job), carried=carried_by(job))


def _requeue_of(job: Job) -> Requeue:
    organisation, tracked = str(job.organisation_id), str(job.id)
    if job.kind == "import":
        of_content = job.params.get("of") == content_imports.OF
        return Requeue(
            job.id,
            job.status,
            "default",
            content_imports.IMPORT_JOB if of_content else IMPORT_JOB,
            (organisation, tracked),
            tracked_job_id(job.id),
        )
    if job.kind == "rollup":
        full = bool(job.params.get("full", True))
        return Requeue(
            job.id,
            job.status,
            "rollups",
            ROLLUP_JOB,
            (organisation, full, tracked),
            tracked_job_id(job.id),
        )
    if job.kind == rematches.KIND:
        return Requeue(
            job.id,
            job.status,
            rematches.QUEUE,
            rematches.REMATCH_JOBS[job.params["of"]],
            (organisation, tracked),
            tracked_job_id(job.id),
        )
    channel = job.params["channel_id"]
    return Requeue(
        job.id, job.status, "sync", SYNC_JOB, (organisation, channel, tracked), sync_job_id(channel)
    )


@dataclass(frozen=True)
class Stale:
    interrupted: list[Requeue]
    failed: list[uuid.UUID]


def interrupt_stale(session: Session, *, stale_before: datetime) -> Stale:
    """Running jobs with no heartbeat since ``stale_before``: interrupted (to be queued
    again), or failed after MAX_ATTEMPTS lost runs. Row locks (skip locked) let two
    reconcilers run at once without taking a job twice."""
    last_sign = func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)
    stale = list(
        session.scalars(
            select(Job)
            .where(Job.status == "running", last_sign < stale_before)
            .order_by(Job.created_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    interrupted, failed, now = [], [], utcnow()
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = "failed", now
            job.error = f"the job stopped {job.attempts} times before finishing; it was logged"
            failed.append(job.id)
        else:
            job.status = "interrupted"
            interrupted.append(requeue_of(job))
    session.commit()
    return Stale(interrupted, failed)


def lost_candidates(session: Session, *, queued_before: datetime) -> list[Requeue]:
    """Jobs waiting for a run: interrupted ones, and queued ones older than
    ``queued_before`` (a younger one's enqueue may still be on its way)."""
    waiting = session.scalars(
        select(Job)
        .where(
            or_(
                Job.status == "interrupted",
                (Job.status == "queued") & (Job.created_at < queued_before),
            )
        )
        .order_by(Job.created_at)
        .limit(BATCH)
    )
    return [requeue_of(job) for job in waiting]
