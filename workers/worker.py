"""``clover worker``: an RQ worker that outlives Redis outages.

RQ's own loop retries a lost connection only while it waits for a job; an error
anywhere else ends it, its scheduler process dies with the connection, and a
Redis that restarted empty has forgotten every queued and scheduled job. So
``run`` keeps a worker going round a loop:

1. wait for Redis (backoff up to ``MAX_WAIT`` seconds);
2. arm: schedule the periodic work again and reconcile at once (every pending job
   and event in the database that Redis no longer holds is queued again); a burst
   worker (tests, one-off draining) only schedules, as before;
3. work until RQ's loop ends; unless it was asked to stop (a signal, or burst mode
   done), go round again.

``Worker`` ends RQ's loop when Redis has lost its data (a key the worker sets at
birth has vanished), and starts its scheduler process again when it died.
"""

from __future__ import annotations

import logging
import time

import redis
from rq import Queue
from rq import Worker as RQWorker
from rq.exceptions import InvalidJobOperation, NoSuchJobError, StopRequested
from rq.job import JobStatus
from structlog.contextvars import clear_contextvars

from api import logs
from api.jobs import RQDispatcher
from api.observability import metrics
from workers import recovery, runtime

log = logging.getLogger("clover.worker")
MAX_WAIT = 5.0


class Restart(StopRequested):
    """End RQ's loop cleanly, to re-arm and start again."""


class JobQueue(Queue):
    """RQ's queue; the job it hands a worker sets the log context from then on."""

    @classmethod
    def dequeue_any(cls, *args, **kwargs):
        found = super().dequeue_any(*args, **kwargs)
        if found is not None:
            job = found[0]
            # Bound before RQ announces the job, so that its own line names it too;
            # the work horse is forked with this context.
            clear_contextvars()
            logs.bind(rq_job_id=job.id, job=job.func_name)
            logs.bind(**{name: job.meta.get(name) for name in logs.CARRIED})
        return found


class Worker(RQWorker):
    queue_class = JobQueue
    # RQ backs off up to a minute between reconnects, and redis-py reconnects a
    # blocked dequeue to a Redis that restarted empty without a word: waiting at most
    # MAX_WAIT for either, the worker notices a lost Redis within seconds.
    max_connection_wait_time = MAX_WAIT

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = False
        self.restart_reason: str | None = None
        self._holding = False  # a job is dequeued: restart only after it has run
        self._burst = False

    @property
    def dequeue_timeout(self) -> int:
        return int(MAX_WAIT)

    @property
    def marker(self) -> str:
        return f"clover:worker-armed:{self.name}"

    def register_birth(self) -> None:
        super().register_birth()
        self.connection.set(self.marker, "1", ex=self.worker_ttl + 60)

    def handle_warm_shutdown_request(self) -> None:
        self.stopping = True
        super().handle_warm_shutdown_request()

    def heartbeat(self, timeout=None, pipeline=None) -> None:
        super().heartbeat(timeout, pipeline)
        if self.is_horse or self.birth_date is None:
            return
        if not self.connection.expire(self.marker, self.worker_ttl + 60):
            self.restart_reason = "Redis lost its data"
        elif pipeline is None and self._scheduler_died():
            # Redis kept its data (a blip): the scheduler only needs starting again,
            # now rather than at RQ's next maintenance, minutes away.
            log.warning("the scheduler of worker %s stopped; starting it again", self.name)
            self.scheduler.acquire_locks(auto_start=True)
        # With a pipeline, or a job in hand, RQ is busy: restart once the job has run.
        if self.restart_reason and pipeline is None and not self._holding:
            raise Restart(self.restart_reason)

    def reorder_queues(self, reference_queue) -> None:
        self._holding = True  # RQ calls this right after it dequeued a job
        super().reorder_queues(reference_queue)

    def execute_job(self, job, queue) -> None:
        started = time.monotonic()
        try:
            super().execute_job(job, queue)
        finally:
            self._holding = False
            # Counted here, in the worker, rather than in the work horse it forks per
            # job: in multi-process mode each process writes a file of its own.
            metrics.job_ran(queue.name, job.func_name, _outcome(job), time.monotonic() - started)
            metrics.count_held(job.meta.get(HELD, []))
            clear_contextvars()  # the worker's own lines name no job

    def perform_job(self, job, queue) -> bool:
        # In the work horse: what the job counts is held, then handed over in its meta.
        with metrics.held() as counts:
            self._held = counts
            return super().perform_job(job, queue)

    def handle_execution_ended(self, job, queue, heartbeat_ttl) -> None:
        # The job has run (or raised) and RQ has not yet settled it: it still exists.
        super().handle_execution_ended(job, queue, heartbeat_ttl)
        held = getattr(self, "_held", None) or []
        if held or HELD in job.meta:  # a run again (a retry) replaces its last run's counts
            job.meta[HELD] = list(held)
            job.save_meta()

    def work(self, burst: bool = False, *args, **kwargs) -> bool:
        self._burst = burst
        return super().work(burst, *args, **kwargs)

    def _scheduler_died(self) -> bool:
        process = self.scheduler._process if self.scheduler else None
        return not self._burst and process is not None and not process.is_alive()


HELD = "clover_metrics"  # the job's meta key for the counts its work horse held
OUTCOMES = {
    JobStatus.FINISHED: "succeeded",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "stopped",
    JobStatus.CANCELED: "stopped",
}


def _outcome(job) -> str:
    """How the work horse left the job (its meta read again): a job RQ queued or
    scheduled again is retried."""
    try:
        job.refresh()
        status = job.get_status(refresh=False)
    except (InvalidJobOperation, NoSuchJobError, redis.RedisError):
        return "unknown"  # deleted meanwhile, or Redis went away
    return OUTCOMES.get(status, "retried")


def arm(queue: RQDispatcher, *, burst: bool) -> None:
    """Schedule the periodic work; unless in burst mode (which only drains the queues),
    reconcile now, before any job is forked."""
    recovery.arm_periodic(queue, reconciler=not burst, now=True)
    if burst:
        return
    try:
        recovery.reconcile(reschedule=False)
    except redis.RedisError:
        raise
    except Exception:  # the database is down: the scheduled reconcile tries again
        log.exception("reconciling jobs at start failed")
    finally:
        # Work horses are forked from this process: none may share its connections.
        runtime.database().dispose()


def run(queue: RQDispatcher, names: tuple[str, ...], *, burst: bool) -> None:
    wait = 0.5
    while True:
        try:
            queue.connection.ping()
            arm(queue, burst=burst)
            queues = [queue.queue(name) for name in names]  # refuses an unknown name
            worker = Worker(
                [JobQueue(q.name, connection=q.connection) for q in queues],
                connection=queue.connection,
            )
            began = time.monotonic()
            worker.work(burst=burst, with_scheduler=True)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            log.warning("Redis is unreachable (%s); trying again in %.1f s", error, wait)
            time.sleep(wait)
            wait = min(wait * 2, MAX_WAIT)
            continue
        except StopRequested:  # a signal between two rounds
            return
        if burst or worker.stopping:
            return
        log.warning(
            "worker %s ended (%s); re-arming", worker.name, worker.restart_reason or "RQ quit"
        )
        # A worker that keeps ending at once (a fault that is not Redis) backs off too.
        wait = 0.5 if time.monotonic() - began > 60 else min(wait * 2, MAX_WAIT)
        time.sleep(wait)
