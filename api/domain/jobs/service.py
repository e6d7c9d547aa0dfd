"""Jobs: created when work is queued, moved along by the worker that does it."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from api.domain import tenancy
from api.domain.access import Tenant
from api.domain.base import utcnow
from api.domain.jobs.models import Job, JobError
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork


def create_job(uow: UnitOfWork, *, kind: str, params: dict | None = None) -> Job:
    """A queued job in the unit of work's organisation. The caller commits (and enqueues)."""
    job = Job(kind=kind, status="queued", params=params or {}, counts={})
    uow.session.add(job)
    uow.flush()
    return job


def start_job(uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    job = tenancy.get(uow.session, Job, job_id, what="job")
    job.status, job.started_at, job.error = "running", utcnow(), None
    uow.commit()
    return job


def finish_job(
    uow: UnitOfWork, job_id: uuid.UUID, *, counts: dict, error: str | None = None
) -> Job:
    job = tenancy.get(uow.session, Job, job_id, what="job")
    job.status = "failed" if error else "succeeded"
    job.error = error
    job.counts = counts
    job.progress = 1.0 if not error else job.progress
    job.finished_at = utcnow()
    uow.commit()
    return job


def record_errors(uow: UnitOfWork, job_id: uuid.UUID, errors: list[tuple[int, str]]) -> None:
    uow.session.add_all(
        JobError(job_id=job_id, row=row, message=message) for row, message in errors
    )


def get_job(uow: UnitOfWork, tenant: Tenant, job_id: uuid.UUID) -> Job:
    return tenancy.get(uow.session, Job, job_id, what="job")


def list_jobs(uow: UnitOfWork, tenant: Tenant, page: PageRequest, *, kind: str | None = None):
    stmt = select(Job)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return paginate(uow.session, stmt, Job.id, page, newest_first=True)


def list_job_errors(
    uow: UnitOfWork, tenant: Tenant, job_id: uuid.UUID, page: PageRequest
) -> Page[JobError]:
    job = get_job(uow, tenant, job_id)
    stmt = select(JobError).where(JobError.job_id == job.id)
    return paginate(uow.session, stmt, JobError.id, page)
