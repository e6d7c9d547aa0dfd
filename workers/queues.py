"""Queues: RQ on Redis when REDIS_URL is set, in-process otherwise (the embedded default)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from api.config import Settings

QUEUES = ("sync", "rollups", "webhooks", "default")
log = logging.getLogger("clover.jobs")

# Jobs are idempotent, so a retry after a crash or timeout is safe.
RETRY = Retry(max=3, interval=[10, 60, 300])


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

    def enqueue(self, queue: str, job: str, *args: object, job_id: str | None = None):
        target = self.queue(queue)
        if job_id is None:
            return target.enqueue(job, *args, retry=RETRY, job_timeout=600)
        try:
            return target.enqueue(
                job, *args, job_id=job_id, unique=True, retry=RETRY, job_timeout=3600
            )
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=self.connection)
            if existing.get_status() in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
                return existing  # still waiting: it will see this change too
            # Already running or done: one more run after it picks up what came since.
            return self.enqueue(queue, job, *args, job_id=f"{job_id}-again")


class InProcessDispatcher:
    """Runs a job at once in this process, with the settings of the app that queued it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def enqueue(self, queue: str, job: str, *args: object, job_id: str | None = None):
        from workers import runtime

        if queue not in QUEUES:
            raise ValueError(f"unknown queue {queue!r}")
        with runtime.using(self.settings):
            return resolve(job)(*args)


_redis: dict[str, Redis] = {}


def redis_connection(url: str) -> Redis:
    if url not in _redis:
        _redis[url] = Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
    return _redis[url]


def dispatcher(settings: Settings) -> RQDispatcher | InProcessDispatcher:
    if settings.redis_url:
        return RQDispatcher(redis_connection(settings.redis_url))
    return InProcessDispatcher(settings)
