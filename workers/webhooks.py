"""Webhook jobs: fan out new events, send deliveries, and sweep up lost work.

``dispatch_events`` is queued after the commit of every change that emits an
event; ``deliver`` sends one delivery and schedules its retry with RQ's
scheduler; ``sweep_webhooks`` runs every minute (scheduled by ``clover worker``)
and requeues what a crash between commit and enqueue left behind.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from rq.exceptions import DuplicateJobError

from api import logs
from api.crypto import cipher_for
from api.domain.outbound import Destination, UrlPolicy
from api.domain.webhooks import delivery
from api.domain.webhooks.events import DISPATCH_JOB, dispatch_job_id
from api.domain.webhooks.service import DELIVER_JOB
from api.jobs import RQDispatcher, dispatcher
from api.observability import metrics
from workers import runtime
from workers.egress import checked_client

SWEEP_EVERY = timedelta(minutes=1)
# A job younger than this may still be on its way: the sweep leaves its work alone.
SWEEP_GRACE = timedelta(minutes=2)
log = logging.getLogger("clover.webhooks")


def sender(policy: UrlPolicy, *, timeout_seconds: float):
    """``send`` for ``delivery.attempt``, connecting only to addresses ``policy`` allows."""

    def send(
        url: str, headers: dict[str, str], body: bytes, where: Destination
    ) -> tuple[int | None, str | None]:
        return _send(url, headers, body, where, policy, timeout_seconds)

    return send


def _send(
    url: str,
    headers: dict[str, str],
    body: bytes,
    where: Destination,
    policy: UrlPolicy,
    timeout_seconds: float,
) -> tuple[int | None, str | None]:
    try:
        # Streamed and never read: only the status matters, whatever the receiver sends.
        # The connection goes only to the addresses the attempt checked (no DNS rebinding).
        with (
            checked_client(policy, pinned=where, timeout=timeout_seconds) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            pass
    except httpx.TimeoutException:
        return None, f"no response within {timeout_seconds:g} s"
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"the endpoint answered {response.status_code}"


def policy() -> UrlPolicy:
    settings = runtime.settings()
    return UrlPolicy.of_environment(
        settings.environment, allow_private=settings.webhooks_allow_private
    )


def dispatch_events(organisation_id: str) -> int:
    """Fan the organisation's new events out to its endpoints and queue the deliveries."""
    organisation = uuid.UUID(organisation_id)
    with runtime.unit_of_work(organisation) as uow:
        created = delivery.fan_out(uow=uow)
    jobs = dispatcher(runtime.settings())
    for delivery_id in created:
        jobs.enqueue("webhooks", DELIVER_JOB, organisation_id, str(delivery_id))
    return len(created)


def deliver(organisation_id: str, delivery_id: str) -> str | None:
    """Attempt one delivery if it is due; schedule the next attempt when it fails."""
    settings = runtime.settings()
    allowed = policy()
    with runtime.unit_of_work(uuid.UUID(organisation_id)) as uow:
        outcome = delivery.attempt(
            uow=uow,
            delivery_id=uuid.UUID(delivery_id),
            send=sender(allowed, timeout_seconds=settings.webhooks_timeout_ms / 1000),
            cipher=cipher_for(settings),
            policy=allowed,
            disable_after=settings.webhooks_disable_after,
            schedule=delivery.RETRY_SCHEDULE,
        )
    if outcome is None:
        return None
    metrics.webhook_delivered(outcome.status)
    # With the job's context: the request id of the change that emitted the event.
    log.info(
        "webhook delivery %s: %s",
        delivery_id,
        outcome.status,
        extra={"fields": {"delivery_id": delivery_id, "delivery_status": outcome.status}},
    )
    jobs = dispatcher(settings)
    if outcome.status == "pending" and isinstance(jobs, RQDispatcher):
        retry_at = outcome.next_attempt_at
        with contextlib.suppress(DuplicateJobError):
            jobs.queue("webhooks").enqueue_at(
                retry_at,
                DELIVER_JOB,
                organisation_id,
                delivery_id,
                job_id=f"webhook-retry-{delivery_id}-{int(retry_at.timestamp())}",
                unique=True,
                meta=logs.carried(),  # the retry's lines name the change's request too
            )
    # In-process (no scheduler), a retry waits for the next sweep.
    return outcome.status


def sweep_webhooks(reschedule: bool = True, older_than_seconds: float | None = None) -> dict:
    """Requeue events never fanned out and deliveries overdue; then schedule the next sweep."""
    grace = SWEEP_GRACE if older_than_seconds is None else timedelta(seconds=older_than_seconds)
    with runtime.database().session() as session:
        lost = delivery.lost_work(session, older_than=grace)
    jobs = dispatcher(runtime.settings())
    for organisation_id in lost.organisations:
        jobs.enqueue(
            "webhooks", DISPATCH_JOB, str(organisation_id), job_id=dispatch_job_id(organisation_id)
        )
    for organisation_id, delivery_id in lost.deliveries:
        jobs.enqueue("webhooks", DELIVER_JOB, str(organisation_id), str(delivery_id))
    if reschedule and isinstance(jobs, RQDispatcher):
        schedule_sweep(jobs, datetime.now(UTC) + SWEEP_EVERY)
    return {"organisations": len(lost.organisations), "deliveries": len(lost.deliveries)}


def schedule_sweep(jobs: RQDispatcher, at: datetime | None = None) -> str:
    """Schedule the sweep (job ids carry the minute, so many workers schedule it once)."""
    at = (at or datetime.now(UTC)).replace(second=0, microsecond=0)
    job_id = f"webhooks-sweep-{at:%Y%m%dT%H%M}"
    with contextlib.suppress(DuplicateJobError):
        jobs.queue("webhooks").enqueue_at(
            at, "workers.webhooks.sweep_webhooks", job_id=job_id, unique=True
        )
    return job_id
