"""Mastodon: the REST API of the channel's own instance, with its OAuth bearer token.

One ``fetch`` makes exactly one HTTP request, so a rate limit or an outage never
loses work: the caller keeps the last cursor and calls again later. A sync walks
three phases:

``account``
    ``GET /api/v1/accounts/verify_credentials``: the ``followers`` total for today
    and the account id the next phase needs.
``statuses``
    ``GET /api/v1/accounts/:id/statuses?exclude_reblogs=true``, newest first, paged
    with ``max_id`` until a status is older than the window. Favourites, boosts and
    replies keep arriving on older posts, so every sync re-reads a rolling window of
    ``window_days`` days (today included) and reports, for every day of it, the
    totals of the statuses *created* that day (UTC): ``engagements`` (favourites +
    boosts + replies), ``shares`` (boosts) and ``comments`` (replies). Days without
    posts are reported as 0, so a deleted post stops counting. A day's statuses may
    span HTTP pages, so the sums ride along in the cursor and are emitted once, on
    the phase's last page; the caller upserts them over the previous sync's values.
``mentions``
    ``GET /api/v1/notifications?types[]=mention`` with ``since_id`` = the newest
    notification id of the previous sync, paged with ``max_id``. The first sync reads
    back to the start of the window only.

Pagination: Mastodon's ``Link: <…?max_id=…>; rel="next"`` URL drops ``since_id``,
so only ``max_id`` is taken from it and the request is rebuilt with our own
parameters. Ids are compared as numbers (they are digit strings).

The cursor (JSON, opaque to the caller)::

    {"phase": "statuses" | "mentions", "window_start": "YYYY-MM-DD",
     "window_end": "YYYY-MM-DD", "account_id": "…", "max_id": "…" | None,
     "totals": {"YYYY-MM-DD": [engagements, shares, comments]},
     "mentions_since": "…" | None, "mentions_newest": "…" | None}

and when ``done``: ``{"phase": "done", "mentions_since": "…" | None}``, the cursor
the next sync starts from (a missing cursor or phase ``done`` starts a sync).

Publishing (``limits``, ``publish``, ``find``, ``post_metrics``) is in
``workers/providers/mastodon_publish.py``; the HTTP and its errors in ``mastodon_http.py``.
"""

from __future__ import annotations

import ssl
import threading
import time
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from api.domain.outbound import UrlPolicy
from workers.egress import connections_policy
from workers.providers import mastodon_publish as publishing
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
from workers.providers.mastodon_http import Client, expecting, parse_time, plain_text
from workers.providers.text import split

LIMITS_TTL = 3600.0  # seconds an instance's limits are reused before reading them again


class Mastodon:
    name = "mastodon"

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        window_days: int = 30,
        page_size: int = 40,
        policy: UrlPolicy | None = None,
        media_wait: publishing.MediaWait | None = None,
    ):
        self.timeout = timeout
        self.policy = policy  # None: the process's settings decide (workers.egress)
        self.window_days = window_days
        self.page_size = page_size  # Mastodon caps statuses at 40, notifications at 80
        self.media_wait = media_wait or publishing.MediaWait()
        self._tls: ssl.SSLContext | None = None  # built once: loading the CA bundle is slow
        self._limits: dict[str, tuple[float, Limits]] = {}  # instance URL → (until, limits)
        self._lock = threading.Lock()

    @property
    def post_metrics_batch(self) -> int:
        return self.page_size  # a status per request, a page's worth per batch

    def restart(self, cursor: dict | None) -> dict | None:
        return {"phase": "done", "mentions_since": (cursor or {}).get("mentions_since")}

    def fetch(self, account: Account, cursor: dict | None, *, today: date) -> Page:
        cursor = dict(cursor or {})
        phase = cursor.get("phase")
        if phase not in ("statuses", "mentions"):
            phase = "account"  # no cursor, or the last sync's "done" one: a new sync
        # A body not shaped like Mastodon's, or a cursor from elsewhere.
        with self._client(account) as client, expecting(f"in the {phase} phase"):
            if phase == "statuses":
                return self._statuses(client, cursor)
            if phase == "mentions":
                return self._mentions(client, cursor)
            return self._account(client, cursor, today)

    # -- publishing (workers/providers/mastodon_publish.py) -------------------------------------

    def limits(self, account: Account) -> Limits:
        instance = (account.base_url or "").rstrip("/")
        with self._lock:
            until, limits = self._limits.get(instance, (0.0, None))
        if limits is not None and time.monotonic() < until:
            return limits
        with self._client(account) as client, expecting("in the instance"):
            limits = publishing.read_limits(client)
        with self._lock:
            self._limits[instance] = (time.monotonic() + LIMITS_TTL, limits)
        return limits

    def publish(self, account: Account, post: Post) -> Published:
        parts = self._parts(account, post)
        with self._client(account) as client, expecting("in a status"):
            return publishing.publish(client, post, parts, self.media_wait)

    def find(self, account: Account, post: Post) -> Published | None:
        parts = self._parts(account, post)
        with self._client(account) as client, expecting("in the account's statuses"):
            return publishing.find(client, post, parts)

    def post_metrics(self, account: Account, external_ids: list[str]) -> list[PostMetrics]:
        with self._client(account) as client, expecting("in a status"):
            return publishing.post_metrics(client, external_ids)

    def _parts(self, account: Account, post: Post) -> list[str]:
        return split(post.text, self.limits(account)) if post.thread else [post.text]

    def _client(self, account: Account) -> Client:
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return Client(account, self.timeout, self._tls, self.policy or connections_policy())

    # -- phases ---------------------------------------------------------------------------------

    def _account(self, client: Client, cursor: dict, today: date) -> Page:
        me, _ = client.get("/api/v1/accounts/verify_credentials", {})
        followers = DailyMetric("followers", today, int(me.get("followers_count") or 0))
        start = today - timedelta(days=self.window_days - 1)
        return Page(
            metrics=[followers],
            cursor={
                "phase": "statuses",
                "window_start": start.isoformat(),
                "window_end": today.isoformat(),
                "account_id": str(me["id"]),
                "max_id": None,
                "totals": {},
                "mentions_since": cursor.get("mentions_since"),
                "mentions_newest": None,
            },
            done=False,
        )

    def _statuses(self, client: Client, cursor: dict) -> Page:
        start = date.fromisoformat(cursor["window_start"])
        end = date.fromisoformat(cursor["window_end"])
        params = {"limit": self.page_size, "exclude_reblogs": "true"}
        if cursor.get("max_id"):
            params["max_id"] = cursor["max_id"]
        path = f"/api/v1/accounts/{cursor['account_id']}/statuses"
        statuses, response = client.get(path, params)

        totals = {day: list(sums) for day, sums in cursor["totals"].items()}
        finished = False
        for status in statuses:
            day = parse_time(status["created_at"]).date()
            if day < start:
                finished = True  # newest first: everything after this is older still
                break
            if day > end or status.get("reblog"):
                continue  # posted after the sync began (next sync's), or a boost
            favourites = int(status.get("favourites_count") or 0)
            reblogs = int(status.get("reblogs_count") or 0)
            replies = int(status.get("replies_count") or 0)
            sums = totals.setdefault(day.isoformat(), [0, 0, 0])
            sums[0] += favourites + reblogs + replies
            sums[1] += reblogs
            sums[2] += replies

        next_max_id = _next_max_id(response)
        if statuses and next_max_id and not finished:
            return Page(cursor={**cursor, "max_id": next_max_id, "totals": totals}, done=False)

        metrics = []
        day = start
        while day <= end:
            engagements, shares, comments = totals.get(day.isoformat(), (0, 0, 0))
            metrics += [
                DailyMetric("engagements", day, engagements),
                DailyMetric("shares", day, shares),
                DailyMetric("comments", day, comments),
            ]
            day += timedelta(days=1)
        rest = {k: v for k, v in cursor.items() if k not in ("account_id", "totals")}
        return Page(
            metrics=metrics, cursor={**rest, "phase": "mentions", "max_id": None}, done=False
        )

    def _mentions(self, client: Client, cursor: dict) -> Page:
        since = cursor.get("mentions_since")
        params: dict = {"types[]": "mention", "limit": self.page_size}
        if since:
            params["since_id"] = since
        if cursor.get("max_id"):
            params["max_id"] = cursor["max_id"]
        notifications, response = client.get("/api/v1/notifications", params)

        start = date.fromisoformat(cursor["window_start"])
        newest = cursor.get("mentions_newest")
        mentions, finished = [], False
        for notification in notifications:
            nid = str(notification["id"])
            if since and _id_key(nid) <= _id_key(since):
                finished = True  # an instance ignoring since_id: we have caught up
                break
            if newest is None or _id_key(nid) > _id_key(newest):
                newest = nid
            if not since and parse_time(notification["created_at"]).date() < start:
                finished = True  # the first sync reads back to the window's start only
                break
            status = notification.get("status")
            if notification.get("type") != "mention" or not status:
                continue  # a deleted post, or an instance ignoring types[]
            mentions.append(
                MentionItem(
                    external_id=str(status["id"]),
                    author=(notification.get("account") or status.get("account") or {}).get(
                        "acct", ""
                    ),
                    text=plain_text(status.get("content") or ""),
                    url=status.get("url") or status.get("uri"),
                    posted_at=parse_time(status["created_at"]),
                )
            )

        next_max_id = _next_max_id(response)
        if notifications and next_max_id and not finished:
            next_cursor = {**cursor, "max_id": next_max_id, "mentions_newest": newest}
            return Page(mentions=mentions, cursor=next_cursor, done=False)
        return Page(
            mentions=mentions,
            cursor={"phase": "done", "mentions_since": newest or since},
            done=True,
        )


def _next_max_id(response: httpx.Response) -> str | None:
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("max_id")
    return values[0] if values else None


def _id_key(value: str) -> tuple[int, str]:
    """Order Mastodon ids (digit strings of varying length) numerically."""
    return (len(value), value)
