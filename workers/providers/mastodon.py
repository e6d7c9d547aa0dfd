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
"""

from __future__ import annotations

import math
import ssl
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from api.domain.outbound import UrlPolicy, url_problems
from workers.egress import checked_transport, connections_policy
from workers.providers.base import (
    Account,
    DailyMetric,
    MentionItem,
    Page,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
    retry_after_seconds,
)

USER_AGENT = "Clover/0.1 (social media marketing; +mastodon adapter)"
DEFAULT_RETRY_AFTER = 60.0  # when a 429 says nothing about when to come back


class Mastodon:
    name = "mastodon"

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        window_days: int = 30,
        page_size: int = 40,
        policy: UrlPolicy | None = None,
    ):
        self.timeout = timeout
        self.policy = policy  # None: the process's settings decide (workers.egress)
        self.window_days = window_days
        self.page_size = page_size  # Mastodon caps statuses at 40, notifications at 80
        self._tls: ssl.SSLContext | None = None  # built once: loading the CA bundle is slow

    def restart(self, cursor: dict | None) -> dict | None:
        return {"phase": "done", "mentions_since": (cursor or {}).get("mentions_since")}

    def fetch(self, account: Account, cursor: dict | None, *, today: date) -> Page:
        cursor = dict(cursor or {})
        phase = cursor.get("phase")
        if phase not in ("statuses", "mentions"):
            phase = "account"  # no cursor, or the last sync's "done" one: a new sync
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        policy = self.policy or connections_policy()
        with _Client(account, self.timeout, self._tls, policy) as client:
            try:
                if phase == "statuses":
                    return self._statuses(client, cursor)
                if phase == "mentions":
                    return self._mentions(client, cursor)
                return self._account(client, cursor, today)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                # A body not shaped like Mastodon's, or a cursor from elsewhere.
                raise ProviderError(
                    f"Mastodon: unexpected data in the {phase} phase ({type(error).__name__})"
                ) from None

    # -- phases ---------------------------------------------------------------------------------

    def _account(self, client: _Client, cursor: dict, today: date) -> Page:
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

    def _statuses(self, client: _Client, cursor: dict) -> Page:
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
            day = _parse_time(status["created_at"]).date()
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

    def _mentions(self, client: _Client, cursor: dict) -> Page:
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
            if not since and _parse_time(notification["created_at"]).date() < start:
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
                    text=_plain_text(status.get("content") or ""),
                    url=status.get("url") or status.get("uri"),
                    posted_at=_parse_time(status["created_at"]),
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


class _Client:
    """One httpx client per fetch; turns HTTP failures into the protocol's errors."""

    def __init__(
        self, account: Account, timeout: float, tls: ssl.SSLContext, policy: UrlPolicy
    ) -> None:
        base_url = (account.base_url or "").rstrip("/")
        if not base_url.startswith(("https://", "http://")):
            raise ProviderError("Mastodon: the channel has no instance URL")
        if problems := url_problems(base_url, policy):
            raise ProviderError(f"Mastodon: the instance URL is not allowed ({problems[0]})")
        self._token = account.credentials.access_token
        self._http = httpx.Client(
            transport=checked_transport(policy, verify=tls),
            base_url=base_url,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc) -> None:
        self._http.close()

    def get(self, path: str, params: dict) -> tuple[Any, httpx.Response]:
        where = f"Mastodon GET {path}"
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise Unavailable(f"{where}: timed out") from None
        except httpx.TransportError as error:
            raise Unavailable(f"{where}: {type(error).__name__}") from None
        status = response.status_code
        if status in (401, 403):
            raise Unauthorized(f"{where}: HTTP {status}{self._reason(response)}")
        if status == 429:
            retry_after = _retry_after(response.headers)
            raise RateLimited(f"{where}: HTTP 429, retry in {retry_after:.0f}s", retry_after)
        if status >= 500:
            raise Unavailable(f"{where}: HTTP {status}")
        if status >= 400:
            raise ProviderError(f"{where}: HTTP {status}{self._reason(response)}")
        try:
            return response.json(), response
        except ValueError:
            raise Unavailable(f"{where}: HTTP {status} with a body that is not JSON") from None

    def _reason(self, response: httpx.Response) -> str:
        """Mastodon's ``{"error": "…"}``, shortened and never carrying the token."""
        try:
            reason = str(response.json().get("error") or "")
        except (ValueError, AttributeError):
            return ""
        if self._token:
            reason = reason.replace(self._token, "***")
        return f" ({reason[:200]})" if reason else ""


def _retry_after(headers: httpx.Headers) -> float:
    """Seconds to wait: Retry-After (seconds or an HTTP date), else X-RateLimit-Reset."""
    now = datetime.now(UTC)
    seconds = retry_after_seconds(headers.get("retry-after"), now.timestamp())
    if seconds is not None:
        return seconds
    reset = (headers.get("x-ratelimit-reset") or "").strip()
    if reset:
        try:
            return _until(_parse_time(reset), now)
        except ValueError:
            pass
    return DEFAULT_RETRY_AFTER


def _until(when: datetime, now: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(math.ceil((when - now).total_seconds()), 1)


def _next_max_id(response: httpx.Response) -> str | None:
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("max_id")
    return values[0] if values else None


def _id_key(value: str) -> tuple[int, str]:
    """Order Mastodon ids (digit strings of varying length) numerically."""
    return (len(value), value)


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def _plain_text(html: str) -> str:
    """A status's HTML content as text: tags dropped, entities unescaped, paragraphs kept."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
