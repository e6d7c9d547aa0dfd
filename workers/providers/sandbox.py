"""A deterministic network for demos and tests: believable data seeded by channel id.

Followers grow along a gentle S-curve, engagement follows a weekly rhythm
(quiet weekends) with an occasional campaign spike, and a few mentions arrive
each week. The same channel and day always give the same numbers.

It publishes too, without leaving the process: a post's id and URL derive from its
key, so sending the same key again is the same post, and nothing is ever lost to
look up (``find`` has nothing to reconcile).
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, date, datetime, time, timedelta

from workers.providers.base import (
    Account,
    DailyMetric,
    Limits,
    MentionItem,
    Page,
    Post,
    PostMetrics,
    Published,
)

HISTORY_DAYS = 90
# Like a stock Mastodon instance, so a demo shows the limits at work.
LIMITS = Limits(
    max_length=500,
    counting="characters",
    url_length=23,
    max_media=4,
    max_image_bytes=16 * 1024 * 1024,
    max_video_bytes=99 * 1024 * 1024,
    media_types=frozenset(
        (
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "video/mp4",
            "video/webm",
            "video/quicktime",
        )
    ),
)
PAGE_DAYS = 30
PHRASES = (
    ("Loving the new release from {brand}, setup took five minutes!", 1),
    ("{brand} support answered within the hour. Impressed.", 1),
    ("Anyone else seeing slow exports in {brand} today?", -1),
    ("Comparing {brand} with the usual suspects for our team.", 0),
    ("Great webinar by {brand} on channel partner programmes.", 1),
    ("Not happy: {brand} changed the pricing again.", -1),
)


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


class Sandbox:
    name = "sandbox"

    def restart(self, cursor: dict | None) -> dict | None:
        return cursor  # its cursor is always a day it finished

    def limits(self, account: Account) -> Limits:
        return LIMITS

    def publish(self, account: Account, post: Post) -> Published:
        post_id = f"sandbox-{post.key[:20]}"
        return Published(
            external_id=post_id,
            url=f"https://sandbox.clover.invalid/{account.account.lstrip('@')}/{post_id}",
            published_at=datetime.now(UTC),
        )

    def find(self, account: Account, post: Post) -> Published | None:
        return None  # publishing the key again is the same post

    def post_metrics(self, account: Account, external_ids: list[str]) -> list[PostMetrics]:
        return [
            PostMetrics(post_id, {"likes": _rng(post_id).randint(0, 40)})
            for post_id in external_ids
        ]

    def fetch(self, account: Account, cursor: dict | None, *, today: date) -> Page:
        last = date.fromisoformat(cursor["last_day"]) if cursor else today - timedelta(HISTORY_DAYS)
        first = last + timedelta(days=1)
        if first > today:
            return Page(cursor=cursor or {"last_day": last.isoformat()}, done=True)
        end = min(today, first + timedelta(days=PAGE_DAYS - 1))
        metrics, mentions = [], []
        day = first
        while day <= end:
            metrics += self._metrics(account.channel_id, day)
            mentions += self._mentions(account, day)
            day += timedelta(days=1)
        return Page(metrics, mentions, {"last_day": end.isoformat()}, done=end >= today)

    def _metrics(self, channel_id: str, day: date) -> list[DailyMetric]:
        base = _rng(channel_id)
        size = base.randint(800, 5000)
        ordinal = day.toordinal()
        followers = size * (1 + 0.6 / (1 + math.exp(-(ordinal % 720 - 360) / 120)))
        weekday = 0.45 if day.weekday() >= 5 else 1.0
        spike = 2.5 if _rng(channel_id, day.isocalendar()[1], "spike").random() < 0.08 else 1.0
        noise = _rng(channel_id, ordinal).uniform(0.85, 1.15)
        impressions = followers * 0.9 * weekday * spike * noise
        engagements = impressions * 0.035
        return [
            DailyMetric("followers", day, round(followers)),
            DailyMetric("impressions", day, round(impressions)),
            DailyMetric("engagements", day, round(engagements)),
            DailyMetric("shares", day, round(engagements * 0.15)),
            DailyMetric("comments", day, round(engagements * 0.1)),
            DailyMetric("clicks", day, round(engagements * 0.3)),
        ]

    def _mentions(self, account: Account, day: date) -> list[MentionItem]:
        rng = _rng(account.channel_id, day.toordinal(), "mentions")
        brand = account.account.lstrip("@").split("@")[0] or "us"
        items = []
        for n in range(rng.choice((0, 0, 1, 1, 2))):
            text, _ = PHRASES[rng.randrange(len(PHRASES))]
            posted = datetime.combine(day, time(9 + n * 3, rng.randrange(60)), tzinfo=UTC)
            items.append(
                MentionItem(
                    external_id=f"sandbox-{account.channel_id[:8]}-{day.isoformat()}-{n}",
                    author=f"@fan{rng.randrange(1000)}",
                    text=text.format(brand=brand),
                    url=None,
                    posted_at=posted,
                )
            )
        return items
