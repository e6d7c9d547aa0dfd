"""Jobs: created when work is queued, moved along by the worker that does it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from structlog.contextvars import bind_contextvars

from api import logs
from api.domain import tenancy
from api.domain.base import utcnow
from api.domain.jobs.models import LISTED_BY_DEFAULT, REQUEST_ID_LENGTH, Job, JobError
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork


def tracked_job_id(job_id: uuid.UUID | str) -> str:
    """The queue's id for the run of a job row: the reconciler looks for it there."""
    return f"job-{job_id}"


def create_job(*, uow: UnitOfWork, kind: str, params: dict | None = None) -> Job:
    """A queued job in the unit of work's organisation. The caller commits (and enqueues).

    It keeps the id of the request it stems from (from the log context), which the
    recovery carries into a run it queues again.
    """
    request_id = logs.request_id()
    if request_id is not None and len(request_id) > REQUEST_ID_LENGTH:
        request_id = None  # not a request's id (those are 1..128 characters)
    job = Job(kind=kind, status="queued", params=params or {}, counts={}, request_id=request_id)
    uow.session.add(job)
    uow.flush()
    return job


def start_job(*, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    """Mark the job running; ``started_at`` stays the first run's start."""
    job = tenancy.get(uow.session, Job, job_id, what="job")
    now = utcnow()
    job.status, job.error, job.heartbeat_at = "running", None, now
    job.started_at = job.started_at or now
    uow.commit()
    return job


def begin_attempt(*, uow: UnitOfWork, job_id: uuid.UUID) -> Job | None:
    """Start one more run of a job; None when it has finished (a late duplicate run).

    The row is locked, so two runs beginning at once count two attempts, in turn.
    A resumed job keeps its first ``started_at`` and goes on from its checkpoint.
    """
    # The run's log lines name the Job row the tenant reads.
    bind_contextvars(job_id=str(job_id))
    job = tenancy.get(uow.session, Job, job_id, what="job")
    uow.session.refresh(job, with_for_update=True)
    if job.status in ("succeeded", "failed"):
        uow.rollback()
        return None
    now = utcnow()
    job.status, job.error, job.heartbeat_at = "running", None, now
    job.started_at = job.started_at or now
    job.attempts += 1
    uow.commit()
    return job


def beat(*, uow: UnitOfWork, job_id: uuid.UUID, until: datetime | None = None) -> bool:
    """A running job's sign of life (``until``: none is due before then); False once it
    is no longer running."""
    done = uow.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(heartbeat_at=until or utcnow())
        .execution_options(synchronize_session=False)
    )
    uow.commit()
    return bool(done.rowcount)


def interrupt_job(*, uow: UnitOfWork, job_id: uuid.UUID) -> None:
    """The run stopped before the end and will be run again (RQ retries it)."""
    uow.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(status="interrupted")
        .execution_options(synchronize_session=False)
    )
    uow.commit()


def finish_job(
    *, uow: UnitOfWork, job_id: uuid.UUID, counts: dict, error: str | None = None
) -> Job:
    job = tenancy.get(uow.session, Job, job_id, what="job")
    job.status = "failed" if error else "succeeded"
    job.error = error
    job.counts = counts
    job.progress = 1.0 if not error else job.progress
    job.finished_at = utcnow()
    uow.commit()
    return job


def record_errors(*, uow: UnitOfWork, job_id: uuid.UUID, errors: list[tuple[int, str]]) -> None:
    uow.session.add_all(
        JobError(job_id=job_id, row=row, message=message) for row, message in errors
    )


def get_job(*, uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    return tenancy.get(uow.session, Job, job_id, what="job")


def list_jobs(*, uow: UnitOfWork, page: PageRequest, kind: str | None = None):
    """The jobs of ``kind``; without one, those of the kinds API 1.0 had (a client
    generated from its document refuses a kind it does not know: re-matches are listed
    when asked for)."""
    kinds = (kind,) if kind else LISTED_BY_DEFAULT
    stmt = select(Job).where(Job.kind.in_(kinds))
    return paginate(uow.session, stmt, Job.id, page, newest_first=True)


def list_job_errors(*, uow: UnitOfWork, job_id: uuid.UUID, page: PageRequest) -> Page[JobError]:
    job = get_job(uow=uow, job_id=job_id)
    stmt = select(JobError).where(JobError.job_id == job.id)
    return paginate(uow.session, stmt, JobError.id, page)
