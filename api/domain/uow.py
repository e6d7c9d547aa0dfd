"""The transaction of one use case, and jobs enqueued only after it commits."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session

from api.domain import audit, tenancy


class JobDispatcher(Protocol):
    def enqueue(self, queue: str, job: str, *args: object) -> object:
        """Run ``job`` (a dotted function path) with ``args`` on ``queue``."""


class UnitOfWork:
    """Wraps one session. Leaving without ``commit`` rolls back; jobs wait for the commit."""

    def __init__(self, session: Session, jobs: JobDispatcher | None = None) -> None:
        self.session = session
        self.jobs = jobs
        self._pending: list[tuple[str, str, tuple[object, ...]]] = []

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def scope(self, organisation_id: uuid.UUID, actor: audit.Actor | None = None) -> None:
        """Scope every query to one organisation; record changes as made by ``actor``."""
        tenancy.scope_session(self.session, organisation_id)
        if actor is not None:
            audit.set_actor(self.session, actor)

    def after_commit(self, queue: str, job: str, *args: object) -> None:
        """Enqueue ``job(*args)`` once the transaction has committed (never after a rollback).

        Jobs take ids and primitives, never ORM objects.
        """
        self._pending.append((queue, job, args))

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()
        pending, self._pending = self._pending, []
        if self.jobs is not None:
            for queue, job, args in pending:
                self.jobs.enqueue(queue, job, *args)

    def rollback(self) -> None:
        self._pending.clear()
        self.session.rollback()

    def close(self) -> None:
        self._pending.clear()
        self.session.close()
