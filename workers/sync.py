"""The sync job: pull a connected channel's numbers and mentions from its network.

Each page is written (upserts) and committed before the cursor moves on, so a
crash loses nothing and a rerun duplicates nothing. Faults: 429 waits for
Retry-After, 5xx and timeouts are retried by RQ with backoff and then fail the
job with a readable error, 401 marks the connection ``needs_reauth``.

Then, the channel's own data committed, a step of its own reads the metrics of the
posts Clover published on the channel (``api.domain.results.posts``), a batch of the
network's page size at a time, each batch committed. Its failure keeps what the
pages wrote and the batches before it, and is reported like the sync's (the
connection ``failing`` or ``needs_reauth``, the job's error); it is not retried: the
next sync reads the posts again.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta

from rq import get_current_job
from rq.exceptions import DuplicateJobError

from api import logs
from api.crypto import cipher_for
from api.domain.channels import sync as channels
from api.domain.jobs import service as jobs
from api.domain.mentions.service import MentionBatchItem
from api.domain.results import posts
from api.jobs import RETRY, RQDispatcher, dispatcher
from workers import runtime
from workers.accounts import account_for
from workers.heartbeat import heartbeat
from workers.providers import registry
from workers.providers.base import (
    Account,
    Page,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger("clover.sync")
MAX_PAGES = 500  # a runaway cursor cannot hold a worker forever


def _write(organisation: uuid.UUID, channel: uuid.UUID, page: Page) -> tuple[int, int]:
    with runtime.unit_of_work(organisation) as uow:
        return channels.write_page(
            uow=uow,
            channel_id=channel,
            metrics=[(m.metric_key, m.day, m.value) for m in page.metrics],
            mentions_in=[
                MentionBatchItem(
                    external_id=m.external_id,
                    author=m.author,
                    text=m.text,
                    url=m.url,
                    posted_at=m.posted_at,
                    topic="company",
                )
                for m in page.mentions
            ],
        )


def _finish(organisation, job_id, **kwargs) -> None:
    if job_id is None:
        return
    with runtime.unit_of_work(organisation) as uow:
        jobs.finish_job(uow=uow, job_id=job_id, **kwargs)


def _mark(organisation, channel, status: str, error: str | None) -> None:
    with runtime.unit_of_work(organisation) as uow:
        channels.mark(
            uow=uow,
            channel_id=channel,
            status=status,
            error=error,
            next_sync_at=next_round(),
        )


def sync_channel(
    organisation_id: str, channel_id: str, job_id: str | None = None, today: str | None = None
) -> dict:
    organisation, channel = uuid.UUID(organisation_id), uuid.UUID(channel_id)
    tracked = uuid.UUID(job_id) if job_id else None
    cipher = cipher_for(runtime.settings())
    if tracked:
        with runtime.unit_of_work(organisation) as uow:
            if jobs.begin_attempt(uow=uow, job_id=tracked) is None:
                return {"skipped": "the job has finished"}
    with heartbeat(organisation, tracked):
        return _sync(organisation, channel, tracked, cipher, today)


def _sync(organisation, channel, tracked, cipher, today) -> dict:
    organisation_id, channel_id, job_id = str(organisation), str(channel), tracked and str(tracked)
    with runtime.unit_of_work(organisation) as uow:
        target = channels.sync_target(uow=uow, channel_id=channel, cipher=cipher)
    if target.status == "needs_reauth":
        error = "the network refused the credentials; reconnect the channel"
        _finish(organisation, tracked, counts={}, error=error)
        return {"error": error}
    provider = registry.provider(target.provider)
    account = account_for(organisation, channel, target, cipher)
    day = date.fromisoformat(today) if today else datetime.now(UTC).date()
    cursor, counts = target.cursor, {"pages": 0, "metric_points": 0, "mentions": 0}
    try:
        for _ in range(MAX_PAGES):
            page = provider.fetch(account, cursor, today=day)
            written, noted = _write(organisation, channel, page)
            with runtime.unit_of_work(organisation) as uow:
                channels.save_cursor(uow=uow, channel_id=channel, cursor=page.cursor)
            cursor = page.cursor
            counts["pages"] += 1
            counts["metric_points"] += written
            counts["mentions"] += noted
            if page.done:
                break
    except Unauthorized as error:
        _mark(organisation, channel, "needs_reauth", str(error))
        _finish(organisation, tracked, counts=counts, error=f"needs reauthorisation: {error}")
        return counts
    except RateLimited as error:
        return _later(organisation_id, channel_id, job_id, error, counts)
    except (Unavailable, ProviderError) as error:
        _mark(organisation, channel, "failing", str(error))
        current = get_current_job()
        retrying = isinstance(error, Unavailable) and current and current.retries_left
        if retrying:
            if tracked:
                with runtime.unit_of_work(organisation) as uow:
                    jobs.interrupt_job(uow=uow, job_id=tracked)
            raise  # RQ retries with backoff; the cursor holds what is already written
        with runtime.unit_of_work(organisation) as uow:
            channels.save_cursor(
                uow=uow,
                channel_id=channel,
                cursor=provider.restart(cursor),
            )
        _finish(organisation, tracked, counts=counts, error=str(error))
        return counts
    try:
        _read_posts(organisation, channel, target.provider, account, day, counts)
    except Unauthorized as error:
        _mark(organisation, channel, "needs_reauth", str(error))
        _finish(organisation, tracked, counts=counts, error=f"needs reauthorisation: {error}")
        return counts
    except ProviderError as error:  # rate limited or unavailable too: the next sync reads them
        message = f"the posts' metrics were not read: {error}"
        _mark(organisation, channel, "failing", message)
        _finish(organisation, tracked, counts=counts, error=message)
        return counts
    _mark(organisation, channel, "connected", None)
    _finish(organisation, tracked, counts=counts)
    return counts


def _read_posts(organisation, channel, provider: str, account: Account, day: date, counts) -> None:
    """Write what the channel's recent posts did; ``counts`` grows batch by batch."""
    days = runtime.settings().post_metrics_days
    since = datetime.combine(day - timedelta(days=days - 1), time.min, UTC)
    with runtime.unit_of_work(organisation) as uow:
        external_ids = posts.published_posts(uow=uow, channel_id=channel, since=since)
    if not external_ids:
        return
    publisher = registry.publisher(provider)
    counts["posts"] = 0
    for start in range(0, len(external_ids), publisher.post_metrics_batch):
        read = publisher.post_metrics(
            account, external_ids[start : start + publisher.post_metrics_batch]
        )
        with runtime.unit_of_work(organisation) as uow:
            counts["metric_points"] += posts.write_post_metrics(
                uow=uow,
                channel_id=channel,
                day=day,
                totals=[posts.PostTotals(m.external_id, m.values) for m in read],
            )
        counts["posts"] += len(read)


def _later(organisation_id, channel_id, job_id, error: RateLimited, counts) -> dict:
    """Rate limited: continue from the stored cursor once the network allows it."""
    organisation, channel = uuid.UUID(organisation_id), uuid.UUID(channel_id)
    jobs_ = dispatcher(runtime.settings())
    wait = max(1.0, error.retry_after)
    note = f"rate limited by the network; continuing in {wait:.0f} s"
    _mark(organisation, channel, "connected", note)
    if isinstance(jobs_, RQDispatcher):
        if job_id:  # paused, not lost: no sign of life is due before the continuation
            with runtime.unit_of_work(organisation) as uow:
                jobs.beat(
                    uow=uow,
                    job_id=uuid.UUID(job_id),
                    until=datetime.now(UTC) + timedelta(seconds=wait),
                )
        jobs_.queue("sync").enqueue_in(
            timedelta(seconds=wait),
            channels.SYNC_JOB,
            organisation_id,
            channel_id,
            job_id,
            retry=RETRY,  # the continuation is retried like the sync it continues
            job_timeout=3600,
            meta=logs.carried(),  # its lines name the request that asked for the sync too
        )
        return {**counts, "rescheduled_in": wait}
    _finish(organisation, uuid.UUID(job_id) if job_id else None, counts=counts, error=note)
    return counts


# Periodic sync of every connected channel, with RQ's own scheduler


def next_round(now: datetime | None = None) -> datetime:
    """When the periodic sync next runs: the next multiple of the interval."""
    interval = runtime.settings().sync_interval_minutes * 60
    now = now or datetime.now(UTC)
    return datetime.fromtimestamp((int(now.timestamp() // interval) + 1) * interval, UTC)


def schedule_periodic(jobs_: RQDispatcher, now: datetime | None = None) -> str:
    at = next_round(now)
    job_id = f"sync-due-{int(at.timestamp())}"
    with contextlib.suppress(DuplicateJobError):
        jobs_.queue("sync").enqueue_at(at, "workers.sync.sync_due", job_id=job_id, unique=True)
    return job_id


def sync_due() -> int:
    """Queue a sync of every connection that syncs on its own; then the next round."""
    jobs_ = dispatcher(runtime.settings())
    with runtime.unit_of_work() as uow:
        due = channels.due_connections(uow=uow)
    for organisation, channel in due:
        jobs_.enqueue(
            "sync",
            channels.SYNC_JOB,
            str(organisation),
            str(channel),
            job_id=channels.sync_job_id(channel),
        )
    if isinstance(jobs_, RQDispatcher):
        schedule_periodic(jobs_)
    return len(due)
