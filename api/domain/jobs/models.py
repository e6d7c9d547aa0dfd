"""Jobs a tenant can see: asynchronous work (imports, rollups, syncs, re-matches) and its
outcome.

Statuses: ``queued`` (accepted, waiting for a worker), ``running`` (a worker has it
and beats ``heartbeat_at``), ``interrupted`` (its run stopped before the end: a
lost worker, a Redis that lost the job, or an error RQ retries; it is queued
again and resumes from its checkpoint), then ``succeeded`` or ``failed``.
``attempts`` counts the runs that began; ``started_at`` is the first one's start.
``request_id`` names the request that created the job (NULL for a job no request
created, and for those created before it was kept): the recovery queues a lost run
again under it, so its log lines still lead back to the client's request.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.base import Base, IdMixin, one_of, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

JOB_KINDS = ("import", "rollup", "sync", "rematch")
# The kinds of API 1.0: a list of jobs that names no kind has only these.
LISTED_BY_DEFAULT = ("import", "rollup", "sync")
JOB_STATUSES = ("queued", "running", "interrupted", "succeeded", "failed")
# Not finished: the reconciler sees that these reach a worker again.
PENDING_STATUSES = ("queued", "running", "interrupted")
REQUEST_ID_LENGTH = 128


class Job(IdMixin, TenantOwned, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("kind", JOB_KINDS),
        one_of("status", JOB_STATUSES),
    )

    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The running attempt's last sign of life; older than CLOVER_JOB_STALE_SECONDS
    # means its worker is gone.
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # As long as a request id may be (X-Request-ID, 1..128 characters).
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_LENGTH))


class JobError(IdMixin, TenantOwned, Base):
    """One row (or item) a job could not take, and why."""

    __tablename__ = "job_errors"
    __table_args__ = (tenant_fk("job_id", "jobs", ondelete="CASCADE"),)

    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    row: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
