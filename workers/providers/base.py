"""The protocols every network adapter implements, and the errors it may raise.

A sync calls ``fetch`` repeatedly with the cursor it returned, until ``done``.
Each page carries daily metric totals and mentions; the caller writes them
(upserts, so a page written twice changes nothing) and stores the new cursor
only after that data is committed.

A publish sends one ``Post`` exactly once: its ``key`` is stable for the content
item and attempt, so a retry after a lost answer finds or rewrites the same post
(``find`` first, then ``publish``) rather than making a second one.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol


@dataclass(frozen=True)
class Credentials:
    # Kept out of repr: an account printed in a log line or traceback shows no secret.
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Account:
    """What an adapter needs to reach one connected channel."""

    provider: str
    account: str  # the handle: "@clover@mastodon.example", "clover.bsky.social"
    base_url: str | None  # the instance or API base URL where the network has one
    credentials: Credentials
    channel_id: str  # seeds the sandbox; adapters of real networks ignore it
    # Called with the new credentials when the adapter refreshed a session, so the caller
    # stores them at once (a refresh token is single-use on some networks).
    on_refresh: Callable[[Credentials], None] | None = field(
        default=None, compare=False, repr=False
    )


@dataclass(frozen=True)
class DailyMetric:
    """A total for one metric key (from the catalogue) on one day."""

    metric_key: str  # followers, engagements, shares, comments, impressions…
    day: date
    value: float


@dataclass(frozen=True)
class MentionItem:
    external_id: str
    author: str
    text: str
    url: str | None
    posted_at: datetime


@dataclass(frozen=True)
class Page:
    metrics: list[DailyMetric] = field(default_factory=list)
    mentions: list[MentionItem] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)  # JSON-serialisable, opaque to the caller
    done: bool = True


@dataclass(frozen=True)
class MediaFile:
    """An image or video to attach, as media storage hands it to an adapter."""

    path: str  # a readable local file
    mime_type: str
    alt_text: str
    size_bytes: int


@dataclass(frozen=True)
class Post:
    """What to publish on one channel, already checked against the channel's limits."""

    key: str  # stable per content item and attempt: the idempotency key or record key
    text: str
    media: tuple[MediaFile, ...] = ()
    thread: bool = False  # a text over the limit becomes a thread instead of a refusal


@dataclass(frozen=True)
class Published:
    external_id: str  # Mastodon: the status id; Bluesky: the at:// URI of the (first) post
    url: str | None
    published_at: datetime  # as the network reports it


@dataclass(frozen=True)
class Limits:
    """What one post on a channel may carry, as the network reports or documents it."""

    max_length: int
    counting: str  # "characters" (a URL counts as ``url_length``) or "graphemes"
    url_length: int | None
    max_media: int
    max_image_bytes: int | None
    max_video_bytes: int | None
    media_types: frozenset[str]  # MIME types the network accepts


@dataclass(frozen=True)
class PostMetrics:
    """Totals of one published post today, under catalogue metric keys."""

    external_id: str
    values: dict[str, float]  # e.g. {"engagements": 4, "shares": 1, "comments": 0}


class Provider(Protocol):
    name: str

    def fetch(self, account: Account, cursor: dict | None, *, today: date) -> Page:
        """The next page of data after ``cursor`` (None: first sync)."""

    def restart(self, cursor: dict | None) -> dict | None:
        """Where the next sync starts after one failed for good mid-way: retrying the
        same page would fail again, so drop the mid-sync state and keep what marks
        data already taken (e.g. the newest mention seen)."""


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as seconds from ``now``
    (epoch seconds); None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


class ProviderError(Exception):
    """A failure talking to the network; the message is safe to show (no credentials)."""


class Unauthorized(ProviderError):
    """The credentials were refused (401): the connection needs to be re-authorised."""


class RateLimited(ProviderError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """5xx, timeouts, connection errors: worth retrying later."""


class OutcomeUnknown(Unavailable):
    """The request was sent and its answer lost (a timeout after sending): the post may
    exist. Look it up with ``find`` before any retry."""


class Publisher(Protocol):
    name: str
    # External ids per ``post_metrics`` call: the network's page size.
    post_metrics_batch: int

    def limits(self, account: Account) -> Limits:
        """The channel's limits (an instance's own, cached by the adapter)."""

    def publish(self, account: Account, post: Post) -> Published:
        """Send ``post``; sending the same ``post.key`` again makes no second post."""

    def find(self, account: Account, post: Post) -> Published | None:
        """The post made for ``post.key``, if the network has it (reconciling a lost answer)."""

    def post_metrics(self, account: Account, external_ids: list[str]) -> list[PostMetrics]:
        """Today's totals for posts Clover published on this channel."""
