"""Job dispatchers: RQ on Redis when REDIS_URL is set, in-process otherwise (the embedded default).

The API queues jobs and the workers run them; both take the dispatcher from here, so
the API never imports the workers. A job is named by its dotted path and resolved
only when it runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from api import logs
from api.config import Settings
from api.observability import metrics
from api.redis import redis_connection

QUEUES = ("sync", "rollups", "webhooks", "publish", "default")
log = logging.getLogger("clover.jobs")

# Jobs are idempotent, so a retry after a crash or timeout is safe.
RETRY = Retry(max=3, interval=[10, 60, 300])
WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
ENDED = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)

# The settings of the app that queued an in-process job, while it runs.
_queued_with: ContextVar[Settings | None] = ContextVar("clover_job_settings", default=None)


@contextmanager
def using(settings: Settings) -> Iterator[None]:
    """Run what follows as a job of an app with these settings."""
    token = _queued_with.set(settings)
    try:
        yield
    finally:
        _queued_with.reset(token)


def queued_settings() -> Settings | None:
    """The settings an in-process job runs with (None in a worker process)."""
    return _queued_with.get()


def resolve(job: str) -> Callable[..., object]:
    module, _, name = job.rpartition(".")
    return getattr(importlib.import_module(module), name)


class RQDispatcher:
    def __init__(self, connection: Redis) -> None:
        self.connection = connection

    def queue(self, name: str) -> Queue:
        if name not in QUEUES:
            raise ValueError(f"unknown queue {name!r}")
        return Queue(name, connection=self.connection)

    def enqueue(
        self,
        queue: str,
        job: str,
        *args: object,
        job_id: str | None = None,
        at: datetime | None = None,
        carrying: dict[str, str] | None = None,
    ):
        """Queue ``job``; with a ``job_id``, coalesce with a run of that id that is still waiting.

        With ``at``, RQ's scheduler queues it at that time (a ``job_id`` then names it
        once: the same id scheduled again is the same run).

        Two slots per id, ``job_id`` and ``job_id-next``: a change made while one run
        is in progress queues the other, so a run always follows the last change. Ids
        stay bounded, and one call costs a fixed number of Redis round trips however
        many changes came before (a run that has ended is replaced, not chained).

        With ``carrying``, the run carries that log context instead of the caller's: the
        reconciler queues a lost run again under the request that created its job.
        """
        target = self.queue(queue)
        # The job's log lines name the request (and organisation) that queued it; a
        # waiting run that coalesces later changes keeps the first one's.
        meta = logs.carried() if carrying is None else dict(carrying)
        if at is not None:
            with contextlib.suppress(DuplicateJobError):
                return target.enqueue_at(
                    at,
                    job,
                    *args,
                    job_id=job_id,
                    unique=job_id is not None,
                    meta=meta,
                    retry=RETRY,
                    job_timeout=600,
                )
            return None
        if job_id is None:
            return target.enqueue(job, *args, meta=meta, retry=RETRY, job_timeout=600)
        for slot in (job_id, f"{job_id}-next"):
            queued = self._coalesce(target, job, args, slot, meta)
            if queued is not None:
                return queued
        # Both slots are running (two workers): one more run after them, under no id.
        return target.enqueue(job, *args, meta=meta, retry=RETRY, job_timeout=3600)

    def _coalesce(self, target: Queue, job: str, args: tuple, slot: str, meta: dict) -> Job | None:
        """The waiting run in ``slot`` (queued now if the slot was free), or None while it runs."""
        for _ in range(2):
            try:
                return target.enqueue(
                    job, *args, job_id=slot, unique=True, meta=meta, retry=RETRY, job_timeout=3600
                )
            except DuplicateJobError:
                try:
                    existing = Job.fetch(slot, connection=self.connection)
                except NoSuchJobError:
                    continue  # ended and expired in between: the slot is free again
                status = existing.get_status(refresh=False)
                if status in WAITING:
                    return existing  # still waiting: it will see this change too
                if status not in ENDED:
                    return None  # running: the next slot takes this change
                existing.delete()  # ended: its slot queues the next run
        return None


class InProcessDispatcher:
    """Runs a job at once in this process, with the settings of the app that queued it.

    A job for later (``at``) is not run: this process has no scheduler, and the work
    it stands for is found by the in-process sweep when due (``api.background``).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def enqueue(
        self,
        queue: str,
        job: str,
        *args: object,
        job_id: str | None = None,
        at: datetime | None = None,
    ):
        if queue not in QUEUES:
            raise ValueError(f"unknown queue {queue!r}")
        if at is not None:
            return None
        # In a copy of the caller's context: the job's lines carry the request's id,
        # and what the job binds (its organisation, its Job row) stays with the job.
        return contextvars.copy_context().run(self._run, queue, job, args)

    def _run(self, queue: str, job: str, args: tuple) -> object:
        logs.bind(job=job)
        started, outcome = time.perf_counter(), "failed"
        try:
            with using(self.settings):
                result = resolve(job)(*args)
            outcome = "succeeded"
            return result
        finally:
            metrics.job_ran(queue, job, outcome, time.perf_counter() - started)


def dispatcher(settings: Settings) -> RQDispatcher | InProcessDispatcher:
    if settings.redis_url:
        return RQDispatcher(redis_connection(settings.redis_url))
    return InProcessDispatcher(settings)
