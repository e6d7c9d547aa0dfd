"""The publish job: a scheduled content item goes out on its channel, exactly once.

``publish_item`` is queued for the item's time on the ``publish`` queue (RQ's
``enqueue_at``) when it is scheduled; ``sweep_publishing`` runs every minute and
queues it for items whose job was lost, and for attempts whose worker went silent
(the embedded default runs the same sweep in-process, see ``api.background``).
The job re-reads the item: unscheduled, cancelled or not yet due, it does nothing.

The steps (``api.domain.publishing.attempts``): claim the item and commit its
attempt before any request; look a resumed attempt's post up before sending it
again under the same key. Faults: a 429 tries again after Retry-After; a 5xx or
timeout is retried by RQ with backoff (a lost answer is looked up first) and then
fails loudly; a 401 marks the connection ``needs_reauth`` and fails the item, as
every later item of that channel fails when its time comes, until it is
reconnected; the channel's limits are checked again before sending.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from rq import get_current_job
from rq.exceptions import DuplicateJobError

from api.counters import Entry, budget, counters_for
from api.crypto import cipher_for
from api.domain.media.storage import DiskStorage
from api.domain.publishing import attempts, outcomes
from api.domain.publishing.limits import ChannelLimits
from api.domain.publishing.service import PUBLISH_JOB
from api.jobs import RETRY, RQDispatcher, dispatcher
from api.observability import metrics
from workers import runtime
from workers.accounts import account_for
from workers.providers import registry
from workers.providers.base import (
    Limits,
    MediaFile,
    Post,
    ProviderError,
    Publisher,
    RateLimited,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger("clover.publish")
SWEEP_EVERY = timedelta(minutes=1)
# A due item whose own job has not taken it this long after its time lost that job.
SWEEP_LATE = timedelta(minutes=1)
# Posts per connection and window, inside what each network allows one account:
# Mastodon's 300 statuses per 3 hours; Bluesky's 5,000 write points per hour, 3 per
# post created (a thread costs 3 per post). A burst past the cap waits for the window.
CAPS = {
    "mastodon": budget("clover:publish:mastodon", 300, 3 * 3600),
    "bluesky": budget("clover:publish:bluesky", 5000, 3600),
    "sandbox": budget("clover:publish:sandbox", 600, 3600),
}
POINTS_PER_POST = {"bluesky": 3}
_counters: dict[str, object] = {}


def _clock(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else datetime.now(UTC)


def publish_item(
    organisation_id: str, item_id: str, grace_seconds: float | None = None, now: str | None = None
) -> str:
    """Publish the item if it is due (or take the next try of its open attempt)."""
    organisation, item = uuid.UUID(organisation_id), uuid.UUID(item_id)
    cipher = cipher_for(runtime.settings())
    when = _clock(now)
    grace = attempts.GRACE if grace_seconds is None else timedelta(seconds=grace_seconds)
    with runtime.unit_of_work(organisation) as uow:
        target = attempts.target(uow=uow, item_id=item, now=when, grace=grace, cipher=cipher)
    if target is None:
        return "nothing to do"
    publisher = registry.publisher(target.provider)
    account = account_for(organisation, target.channel_id, target.connection, cipher)
    _refresh_limits(organisation, publisher, account, target, when)
    wait = _over_cap(target)
    if wait is not None:
        log.info("publishing item %s waits %.0f s for the channel's cap", item_id, wait)
        # One waiting run per item however often the sweep finds it capped.
        _again(organisation_id, item_id, when + timedelta(seconds=wait), f"publish-{item_id}-later")
        metrics.publish_attempted(target.provider, "capped")
        return "capped"
    with runtime.unit_of_work(organisation) as uow:
        begun = attempts.begin(uow=uow, item_id=item, now=when, grace=grace)
    if begun is None:
        return "nothing to do"
    storage = DiskStorage(runtime.settings().media_dir)
    media = tuple(
        MediaFile(storage.location(m.storage_key), m.mime_type, m.alt_text, m.size_bytes)
        for m in begun.media
    )
    post = Post(key=begun.key, text=begun.text, media=media, thread=begun.as_thread)
    try:
        outcome = _send(organisation, target, publisher, account, post, begun, when)
    except Exception:
        # RQ tries again with backoff, or the item failed loudly: the network erred.
        metrics.publish_attempted(target.provider, "error")
        raise
    metrics.publish_attempted(target.provider, outcome.replace(" ", "_"))
    return outcome


def _send(organisation, target, publisher: Publisher, account, post, begun, when) -> str:
    attempt = begun.attempt_id
    try:
        found = publisher.find(account, post) if begun.resumed else None
        published = found or publisher.publish(account, post)
    except Unauthorized as error:
        with runtime.unit_of_work(organisation) as uow:
            outcomes.refuse_connection(uow=uow, channel_id=target.channel_id, error=str(error))
        reason = outcomes.maybe_sent(outcomes.REAUTH, begun.resumed)
        _failed(organisation, attempt, reason, retryable=True)
        return "needs_reauth"
    except RateLimited as error:
        until = datetime.now(UTC) + timedelta(seconds=max(1.0, error.retry_after))
        _defer(organisation, attempt, until, f"rate limited by the network until {until:%H:%M:%S}")
        _again(str(organisation), str(begun.item_id), until, f"publish-{attempt}-{begun.tries}")
        return "rate limited"
    except Unavailable as error:
        if _retry_later(organisation, attempt, f"the network did not answer: {error}"):
            raise  # RQ tries again with backoff; the next try looks the post up first
        _failed(organisation, attempt, f"the network kept failing ({error})", retryable=True)
        return "failed"
    except ProviderError as error:
        _failed(organisation, attempt, f"the network refused the post: {error}", retryable=False)
        return "failed"
    except Exception:
        note = "publishing stopped unexpectedly; it was logged"
        if not _retry_later(organisation, attempt, note):
            _failed(organisation, attempt, outcomes.maybe_sent(note, True), retryable=True)
        raise
    with runtime.unit_of_work(organisation) as uow:
        outcomes.sent(
            uow=uow,
            attempt_id=attempt,
            external_id=published.external_id,
            url=published.url,
            published_at=published.published_at,
            now=datetime.now(UTC),
        )
    return "published"


def _refresh_limits(organisation, publisher: Publisher, account, target, when) -> None:
    """Store the limits the network reports; on a failure the stored ones still apply."""
    try:
        reported: Limits = publisher.limits(account)
    except ProviderError as error:
        log.warning("limits of channel %s not refreshed: %s", target.channel_id, error)
        return
    limits = ChannelLimits(
        max_length=reported.max_length,
        counting=reported.counting,
        url_length=reported.url_length,
        max_media=reported.max_media,
        max_image_bytes=reported.max_image_bytes,
        max_video_bytes=reported.max_video_bytes,
        media_types=tuple(sorted(reported.media_types)),
    )
    with runtime.unit_of_work(organisation) as uow:
        attempts.store_limits(
            uow=uow, channel_id=target.channel_id, reported=limits.to_json(), now=when
        )


def _over_cap(target: attempts.Target) -> float | None:
    """Seconds to wait when this post would break the channel's cap; None to go on."""
    settings = runtime.settings()
    counters = _counters.get(settings.redis_url)
    if counters is None:
        counters = _counters[settings.redis_url] = counters_for(settings.redis_url, "publish caps")
    cost = target.posts * POINTS_PER_POST.get(target.provider, 1)
    entry = Entry(CAPS[target.provider], (str(target.channel_id),))
    decision = counters.acquire([entry], time.time(), cost=cost)
    if decision is None or decision.allowed:
        return None  # Redis unreachable: the network's own 429 is the backstop
    return float(decision.counts[0].reset)


def _retry_later(organisation, attempt, reason: str) -> bool:
    """Whether another try comes: RQ's retry (its interval), or in-process the sweep's."""
    current = get_current_job()
    if current is not None:
        if not current.retries_left:
            return False
        until = datetime.now(UTC) + timedelta(seconds=current.get_retry_interval())
    else:
        with runtime.unit_of_work(organisation) as uow:
            tries = outcomes.tries_of(uow=uow, attempt_id=attempt)
        if tries > RETRY.max:
            return False
        until = datetime.now(UTC) + timedelta(seconds=RETRY.intervals[tries - 1])
    _defer(organisation, attempt, until, reason)
    return True


def _defer(organisation, attempt, until: datetime, reason: str) -> None:
    with runtime.unit_of_work(organisation) as uow:
        outcomes.defer(uow=uow, attempt_id=attempt, until=until, reason=reason)


def _failed(organisation, attempt, reason: str, *, retryable: bool) -> None:
    with runtime.unit_of_work(organisation) as uow:
        outcomes.failed(
            uow=uow, attempt_id=attempt, reason=reason, retryable=retryable, now=datetime.now(UTC)
        )


def _again(organisation_id: str, item_id: str, at: datetime, job_id: str) -> None:
    """Queue the item's job for ``at`` (in-process: the sweep takes it when due)."""
    dispatcher(runtime.settings()).enqueue(
        "publish", PUBLISH_JOB, organisation_id, item_id, at=at, job_id=job_id
    )


# The sweep, every minute with RQ's scheduler (in-process: api.background)


def sweep_publishing(
    reschedule: bool = True, older_than_seconds: float | None = None, now: str | None = None
) -> int:
    """Queue the publish job of every item it is due for (see the module); then the next sweep.

    In-process no job was scheduled for the item's time, so items are due at once.
    """
    jobs = dispatcher(runtime.settings())
    queued = isinstance(jobs, RQDispatcher)
    late = SWEEP_LATE if queued else timedelta(0)
    grace = attempts.GRACE
    if older_than_seconds is not None:
        late = grace = timedelta(seconds=older_than_seconds)
    with runtime.database().session() as session:
        due = attempts.due_work(session, now=_clock(now), late=late, grace=grace)
    for organisation, item in due:
        jobs.enqueue(
            "publish",
            PUBLISH_JOB,
            str(organisation),
            str(item),
            grace.total_seconds(),
            now,
            job_id=f"publish-{item}",
        )
    if reschedule and queued:
        schedule_sweep(jobs, datetime.now(UTC) + SWEEP_EVERY)
    return len(due)


def schedule_sweep(jobs: RQDispatcher, at: datetime | None = None) -> str:
    """Schedule the sweep (job ids carry the minute, so many workers schedule it once)."""
    at = (at or datetime.now(UTC)).replace(second=0, microsecond=0)
    job_id = f"publish-sweep-{at:%Y%m%dT%H%M}"
    with contextlib.suppress(DuplicateJobError):
        jobs.queue("publish").enqueue_at(
            at, "workers.publish.sweep_publishing", job_id=job_id, unique=True
        )
    return job_id
