"""The transaction of one use case, and jobs enqueued only after it commits."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session
from structlog.contextvars import bind_contextvars

from api.domain import audit, tenancy
from api.domain.access import Tenant

log = logging.getLogger("clover.jobs")


class JobDispatcher(Protocol):
    def enqueue(
        self,
        queue: str,
        job: str,
        *args: object,
        job_id: str | None = None,
        at: datetime | None = None,
    ) -> object:
        """Run ``job`` (a dotted function path) with ``args`` on ``queue``, at ``at`` if given.

        Jobs with the same ``job_id`` waiting in the queue are one job.
        """


class NoTenant(RuntimeError):
    """A use case read ``uow.tenant`` in a unit of work opened for no organisation (a bug)."""


class UnitOfWork:
    """Wraps one session. Leaving without ``commit`` rolls back; jobs wait for the commit.

    An entry point (the operation decorator, a job) opens it for one organisation
    with ``open_for``, once; use cases read ``uow.tenant`` and never scope it
    themselves.
    """

    def __init__(self, session: Session, jobs: JobDispatcher | None = None) -> None:
        self.session = session
        self.jobs = jobs
        self._tenant: Tenant | None = None
        self._pending: list[tuple[str, str, tuple[object, ...], str | None, datetime | None]] = []

    @property
    def tenant(self) -> Tenant:
        """The organisation this unit of work acts for, and who asked."""
        if self._tenant is None:
            raise NoTenant("this unit of work was opened for no organisation")
        return self._tenant

    def open_for(self, tenant: Tenant, actor: audit.Actor | None = None) -> UnitOfWork:
        """Act for ``tenant`` from here on: every query is scoped to its organisation.

        Changes are recorded as made by ``actor``; the log lines that follow (of the
        request or job at hand) name the organisation.
        """
        self._tenant = tenant
        tenancy.scope_session(self.session, tenant.organisation_id)
        bind_contextvars(organisation_id=str(tenant.organisation_id))
        if actor is not None:
            self.act_as(actor)
        return self

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def act_as(self, actor: audit.Actor) -> None:
        """Record the changes of this unit of work as made by ``actor``."""
        audit.set_actor(self.session, actor)

    def after_commit(
        self,
        queue: str,
        job: str,
        *args: object,
        job_id: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Enqueue ``job(*args)`` once the transaction has committed (never after a rollback),
        to run at ``at`` when given.

        Jobs take ids and primitives, never ORM objects.
        """
        self._pending.append((queue, job, args, job_id, at))

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()
        pending, self._pending = self._pending, []
        if self.jobs is None:
            return
        for queue, job, args, job_id, at in pending:
            # The change is committed: a job that cannot be queued or fails in-process is
            # logged, never turned into an error for a request that succeeded. Jobs are
            # idempotent recomputations, so the next change (or a rerun) repairs the state.
            try:
                self.jobs.enqueue(queue, job, *args, job_id=job_id, at=at)
            except Exception:
                log.exception("job %s on queue %s was not run after commit", job, queue)

    def rollback(self) -> None:
        self._pending.clear()
        self.session.rollback()

    def close(self) -> None:
        self._pending.clear()
        self.session.close()
