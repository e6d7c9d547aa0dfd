"""The reconciler: work survives a lost worker and a Redis that lost it.

A running job beats its heartbeat (``workers.heartbeat``).

``reconcile`` runs when ``clover worker`` starts or reconnects, and every
``CLOVER_JOB_RECONCILE_SECONDS`` from RQ's scheduler. It

- interrupts running jobs whose heartbeat is older than ``CLOVER_JOB_STALE_SECONDS``
  (their worker is gone) and forgets their dead run in Redis;
- queues again, with the same deterministic id, every interrupted job and every
  queued job older than one heartbeat interval that Redis no longer holds, its meta
  naming the request that created the job (``jobs.request_id``) as the first run's did;
- requeues outbox events and webhook deliveries whose jobs were lost (as the
  webhook sweep does, sooner);
- re-arms the periodic work (nightly rollups, periodic syncs, the webhook and
  publishing sweeps, and itself): their ids are deterministic, so arming twice
  schedules once.

It is idempotent: a job Redis still holds is left alone, row locks keep two
reconcilers from interrupting one job twice, and a late duplicate run of a
finished job does nothing (``begin_attempt``).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta

from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job as RQJob
from rq.job import JobStatus

from api.domain.base import utcnow
from api.domain.jobs import recovery
from api.domain.webhooks import delivery
from api.domain.webhooks.events import DISPATCH_JOB, dispatch_job_id
from api.domain.webhooks.service import DELIVER_JOB
from api.jobs import WAITING, RQDispatcher, dispatcher
from workers import runtime
from workers.publish import schedule_sweep as schedule_publish_sweep
from workers.schedule import schedule_nightly
from workers.sync import schedule_periodic
from workers.webhooks import SWEEP_EVERY, schedule_sweep

log = logging.getLogger("clover.recovery")
RECONCILE_JOB = "workers.recovery.reconcile"


def _runs(connection, item: recovery.Requeue) -> list[RQJob]:
    """The runs of this job Redis holds (in either slot of its id)."""
    found = []
    for slot in (item.queue_id, f"{item.queue_id}-next"):
        try:
            run = RQJob.fetch(slot, connection=connection)
        except NoSuchJobError:
            continue
        # A sync slot is the channel's: it may hold a run for another job row.
        if str(item.job_id) in (str(arg) for arg in run.args):
            found.append(run)
    return found


def _held(connection, item: recovery.Requeue) -> bool:
    """Whether Redis still holds a run that will (or just did) begin this job."""
    for run in _runs(connection, item):
        status = run.get_status(refresh=False)
        if status in WAITING or (status == JobStatus.STARTED and item.status == "queued"):
            return True
    return False


def _forget_dead_runs(connection, item: recovery.Requeue) -> None:
    """A stale job's run is dead: drop it from Redis, or RQ's own clean-up of its
    registry would run it a second time, beside the new run."""
    for run in _runs(connection, item):
        if run.get_status(refresh=False) == JobStatus.STARTED:
            run.delete()


def reconcile(reschedule: bool = True) -> dict:
    """Queue again every pending job and event Redis no longer holds (see the module)."""
    settings = runtime.settings()
    queue = dispatcher(settings)
    if not isinstance(queue, RQDispatcher):
        return {}  # in-process, jobs ran when they were accepted
    now = utcnow()
    with runtime.database().session() as session:
        stale = recovery.interrupt_stale(
            session, stale_before=now - timedelta(seconds=settings.job_stale_seconds)
        )
        waiting = recovery.lost_candidates(
            session, queued_before=now - timedelta(seconds=settings.job_heartbeat_seconds)
        )
    for item in stale.interrupted:
        _forget_dead_runs(queue.connection, item)
    requeued = 0
    for item in waiting:
        if _held(queue.connection, item):
            continue
        queue.enqueue(
            item.queue, item.function, *item.args, job_id=item.queue_id, carrying=item.carried
        )
        requeued += 1
    webhooks = _requeue_webhooks(queue, settings)
    if reschedule:
        arm_periodic(queue)
    counts = {
        "interrupted": len(stale.interrupted),
        "failed": len(stale.failed),
        "requeued": requeued,
        **{f"webhook_{k}": v for k, v in webhooks.items()},
    }
    if requeued or stale.interrupted or stale.failed:
        log.info("reconciled jobs: %s", counts)
    return counts


def _requeue_webhooks(queue: RQDispatcher, settings) -> dict:
    """Outbox events nobody fanned out (one coalesced dispatch per organisation, so
    soon is cheap), and deliveries overdue for longer than the stale bound (their
    jobs have no fixed id: a shorter wait would pile duplicates on a busy queue)."""
    with runtime.database().session() as session:
        events = delivery.lost_work(
            session, older_than=timedelta(seconds=settings.job_heartbeat_seconds)
        ).organisations
        overdue = delivery.lost_work(
            session, older_than=timedelta(seconds=settings.job_stale_seconds)
        ).deliveries
    for organisation_id in events:
        queue.enqueue(
            "webhooks", DISPATCH_JOB, str(organisation_id), job_id=dispatch_job_id(organisation_id)
        )
    for organisation_id, delivery_id in overdue:
        queue.enqueue("webhooks", DELIVER_JOB, str(organisation_id), str(delivery_id))
    return {"organisations": len(events), "deliveries": len(overdue)}


def schedule_reconcile(queue: RQDispatcher, now: datetime | None = None) -> str:
    """Schedule the next reconcile (its id names its period: scheduled once however often)."""
    every = runtime.settings().job_reconcile_seconds
    now = now or datetime.now(UTC)
    at = datetime.fromtimestamp((int(now.timestamp() // every) + 1) * every, UTC)
    job_id = f"jobs-reconcile-{int(at.timestamp())}"
    with contextlib.suppress(DuplicateJobError):
        queue.queue("default").enqueue_at(at, RECONCILE_JOB, job_id=job_id, unique=True)
    return job_id


def arm_periodic(queue: RQDispatcher, *, reconciler: bool = True, now: bool = False) -> None:
    """Schedule every periodic job (again): nightly rollups, periodic syncs, the webhook
    and publishing sweeps (``now``: at once) and the reconciler. Deterministic ids make
    this safe to repeat."""
    schedule_nightly(queue)
    schedule_periodic(queue)
    schedule_sweep(queue, None if now else datetime.now(UTC) + SWEEP_EVERY)
    schedule_publish_sweep(queue, None if now else datetime.now(UTC) + SWEEP_EVERY)
    if reconciler:
        schedule_reconcile(queue)
