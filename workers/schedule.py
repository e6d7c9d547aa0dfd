"""Periodic work with RQ's own scheduler: the nightly full rollup of every organisation.

``clover worker`` (which runs RQ's scheduler) calls ``schedule_nightly`` at start;
the nightly job schedules the next night's when it runs. Job ids carry the date,
so starting any number of workers schedules each night once.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta

from rq.exceptions import DuplicateJobError
from sqlalchemy import select

from api.domain.organisations.models import Organisation
from api.jobs import RQDispatcher, dispatcher
from workers import runtime

NIGHTLY_AT = time(2, 0, tzinfo=UTC)


def next_night(now: datetime) -> datetime:
    candidate = datetime.combine(now.date(), NIGHTLY_AT)
    return candidate if candidate > now else candidate + timedelta(days=1)


def schedule_nightly(jobs: RQDispatcher, now: datetime | None = None) -> str:
    """Schedule the next nightly run; returns its job id (already scheduled is fine)."""
    at = next_night(now or datetime.now(UTC))
    job_id = f"nightly-rollups-{at.date().isoformat()}"
    with contextlib.suppress(DuplicateJobError):  # already scheduled by another worker
        jobs.queue("rollups").enqueue_at(
            at, "workers.schedule.nightly_rollups", job_id=job_id, unique=True
        )
    return job_id


def nightly_rollups() -> int:
    """Queue a full rollup for every organisation, then schedule tomorrow's run."""
    jobs = dispatcher(runtime.settings())
    with runtime.database().session() as session:
        organisation_ids = list(session.scalars(select(Organisation.id).order_by(Organisation.id)))
    for organisation_id in organisation_ids:
        jobs.enqueue("rollups", "workers.jobs.rollup_kpis", str(organisation_id), True)
    if isinstance(jobs, RQDispatcher):
        schedule_nightly(jobs, datetime.now(UTC) + timedelta(minutes=1))
    return len(organisation_ids)
