"""The protocol every network adapter implements, and the errors it may raise.

A sync calls ``fetch`` repeatedly with the cursor it returned, until ``done``.
Each page carries daily metric totals and mentions; the caller writes them
(upserts, so a page written twice changes nothing) and stores the new cursor
only after that data is committed.
"""

from __future__ import annotations

import email.utils
import math
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
