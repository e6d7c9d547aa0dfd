"""Re-matches: tracked jobs that match a history of texts again after what they are
matched against changed (a key message's phrases, the competitors' handles or keywords).

A job of kind ``rematch`` says what in ``params["of"]``: ``key_message`` (with its
``key_message_id``) or ``competitors`` (all of them). The job reads the phrases it
finds when it runs, so asking again while one is still queued reuses it; one already
running may have read the old phrases, so it gets a successor.

The worker functions are named here, as strings: the areas that ask for a re-match
import this module, and the reconciler (``recovery``) queues their jobs again, without
the jobs package importing those areas.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from api.domain.jobs.models import Job
from api.domain.jobs.service import create_job, tracked_job_id
from api.domain.uow import UnitOfWork

KIND = "rematch"
KEY_MESSAGE, COMPETITORS = "key_message", "competitors"
QUEUE = "default"
REMATCH_JOBS = {
    KEY_MESSAGE: "workers.jobs.rematch_key_message",
    COMPETITORS: "workers.jobs.rematch_competitor_mentions",
}


def _queued(uow: UnitOfWork, params: dict[str, str]) -> Job | None:
    """The queued re-match of the same thing, locked: a worker beginning it waits for
    this unit of work, and then reads what it commits."""
    stmt = select(Job).where(Job.kind == KIND, Job.status == "queued")
    for name, value in params.items():
        stmt = stmt.where(Job.params[name].as_string() == value)
    return uow.session.scalars(stmt.order_by(Job.created_at).limit(1).with_for_update()).first()


def request_rematch(*, uow: UnitOfWork, of: str, key_message_id: uuid.UUID | None = None) -> Job:
    """A re-match of ``of`` queued once this unit of work commits (the caller commits),
    or the one of the same thing still waiting for a worker."""
    params = {"of": of}
    if of == KEY_MESSAGE:
        params["key_message_id"] = str(key_message_id)
    waiting = _queued(uow, params)
    if waiting is not None:
        return waiting
    job = create_job(uow=uow, kind=KIND, params=params)
    uow.after_commit(
        QUEUE,
        REMATCH_JOBS[of],
        str(uow.tenant.organisation_id),
        str(job.id),
        job_id=tracked_job_id(job.id),
    )
    return job
