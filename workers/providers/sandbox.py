"""A deterministic network for demos and tests: believable data seeded by channel id.

Followers grow along a gentle S-curve, engagement follows a weekly rhythm
(quiet weekends) with an occasional campaign spike, and a few mentions arrive
each week. The same channel and day always give the same numbers.

Publishing keeps nothing and needs nothing kept: a post's id is a digest of ``post.key``,
so publishing the same post again gives the same post, exactly once by construction, and
``find`` has nothing to reconcile. The limits are real (500 graphemes, 4 media): a post
over them is refused, as a network would. A post's totals are seeded by its id and grow
towards a ceiling day after day.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from workers.providers.base import (
    Account,
    DailyMetric,
    Limits,
    MentionItem,
    Page,
    Post,
    PostMetrics,
    ProviderError,
    Published,
)
from workers.providers.text import length, split

HISTORY_DAYS = 90
PAGE_DAYS = 30
PHRASES = (
    ("Loving the new release from {brand}, setup took five minutes!", 1),
    ("{brand} support answered within the hour. Impressed.", 1),
    ("Anyone else seeing slow exports in {brand} today?", -1),
    ("Comparing {brand} with the usual suspects for our team.", 0),
    ("Great webinar by {brand} on channel partner programmes.", 1),
    ("Not happy: {brand} changed the pricing again.", -1),
)


LIMITS = Limits(
    max_length=500,
    counting="graphemes",
    url_length=None,
    max_media=4,
    max_image_bytes=8_000_000,
    max_video_bytes=100_000_000,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"}),
)
GROWTH_FROM = date(2024, 1, 1)  # posts' totals approach their ceiling from this day on


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


class Sandbox:
    name = "sandbox"
    post_metrics_batch = 100

    def __init__(self, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.now = now

    def restart(self, cursor: dict | None) -> dict | None:
        return cursor  # its cursor is always a day it finished

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

    def limits(self, account: Account) -> Limits:
        return LIMITS

    def publish(self, account: Account, post: Post) -> Published:
        parts = split(post.text, LIMITS) if post.thread else [post.text]
        if (size := length(parts[0], LIMITS)) > LIMITS.max_length:
            raise ProviderError(
                f"Sandbox: the text is {size} characters long, over the {LIMITS.max_length} allowed"
            )
        if len(post.media) > LIMITS.max_media:
            raise ProviderError(f"Sandbox: {len(post.media)} media, over the {LIMITS.max_media}")
        for media in post.media:
            if media.mime_type not in LIMITS.media_types:
                raise ProviderError(f"Sandbox: media of type {media.mime_type} are not accepted")
        moment = self.now().astimezone(UTC).replace(microsecond=0)
        return Published(external_id=_post_id(post.key), url=None, published_at=moment)

    def find(self, account: Account, post: Post) -> Published | None:
        return None  # nothing is kept: publishing again gives the same id

    def post_metrics(self, account: Account, external_ids: list[str]) -> list[PostMetrics]:
        today = self.now().astimezone(UTC).date()
        return [
            PostMetrics(external_id, _post_totals(external_id, today))
            for external_id in external_ids
        ]

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


def _post_id(key: str) -> str:
    return "sandbox-post-" + hashlib.sha256(f"post|{key}".encode()).hexdigest()[:20]


def _post_totals(external_id: str, day: date) -> dict[str, float]:
    ceiling = _rng(external_id).randint(20, 600)
    days = max(0, (day - GROWTH_FROM).days) + 1
    engagements = round(ceiling * days / (days + 30))
    return {
        "impressions": round(engagements / 0.035),
        "engagements": engagements,
        "shares": round(engagements * 0.15),
        "comments": round(engagements * 0.1),
    }
