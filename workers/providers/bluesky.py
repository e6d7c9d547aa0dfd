"""Bluesky over the AT Protocol's XRPC HTTP API.

Endpoints (lexicons ``app.bsky.*``), all ``GET`` with ``Authorization: Bearer <access JWT>``:

- ``app.bsky.actor.getProfile?actor=`` → ``followersCount``: a ``followers`` total for today.
- ``app.bsky.feed.getAuthorFeed?actor=&limit=100&cursor=`` → the account's own posts (items
  with a ``reason`` are reposts, or pins, and are skipped). Likes, reposts, replies and quotes
  are summed per UTC day the post was made (``createdAt``; ``indexedAt`` when that is earlier,
  as for a post dated in the future): ``engagements`` (all four), ``shares`` (reposts +
  quotes) and ``comments`` (replies). The counts on a post keep growing for days after it was
  made, so **every sync re-reads a rolling window** of the last ``window_days`` days (30) and
  re-emits every day of it, zeros included; the caller's upsert replaces the previous totals.
  The totals are therefore "engagement on posts made that day", not "engagement that happened
  that day" (Bluesky has no per-day interaction history).
- ``app.bsky.notification.listNotifications?reasons=mention&limit=50&cursor=`` → mentions
  (only ``reason == "mention"``; replies and quotes are not mentions). Incremental: the newest
  ``indexedAt`` read is remembered, and the next sync stops paging once it reaches older
  notifications (with a few minutes of overlap; mentions are upserted by ``external_id``, the
  post's ``at://`` URI, so a re-read changes nothing). A first sync reads the window's mentions.

The base URL is the account's own (``Account.base_url``: its PDS, which proxies ``app.bsky.*``
calls to the AppView with the session's access JWT) or ``https://bsky.social``. The public
AppView (``https://public.api.bsky.app``) serves profiles and feeds without a session but not
notifications.

One ``fetch`` makes exactly one HTTP request, so a failure loses nothing: the caller keeps the
last committed cursor and calls again. The cursor while a sync is under way::

    {"phase": "feed" | "mentions", "actor": did,
     "window_start": "YYYY-MM-DD", "page_cursor": str | None,
     "day": "YYYY-MM-DD", "totals": {"likes", "reposts", "replies", "quotes"},
     "mentions_since": iso | None, "mentions_newest": iso | None}

The author feed is newest first, so a day is emitted only once an older post (or the end of the
window) shows that it is complete; ``day`` and ``totals`` carry the open day's partial sums
from one page to the next. When ``done``, the cursor is where the next sync starts:
``{"mentions_since": iso | None}``.

Access JWTs are short-lived (about two hours). When the caller can store new credentials
(``Account.on_refresh``), an expired one is renewed and the call made again; otherwise it gives
``Unauthorized`` (``workers/providers/bluesky_xrpc.py`` says how sessions are kept).

Publishing (``limits``, ``publish``, ``find``, ``post_metrics``) is in
``workers/providers/bluesky_publish.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from api.domain.outbound import UrlPolicy
from workers.egress import connections_policy
from workers.providers import bluesky_publish as publishing
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
from workers.providers.bluesky_publish import post_url
from workers.providers.bluesky_xrpc import Sessions, Xrpc

DEFAULT_BASE_URL = "https://bsky.social"
WINDOW_DAYS = 30
FEED_LIMIT = 100
NOTIFICATIONS_LIMIT = 50
MENTIONS_OVERLAP = timedelta(minutes=5)
COUNTS = ("likes", "reposts", "replies", "quotes")

PROFILE = "app.bsky.actor.getProfile"
AUTHOR_FEED = "app.bsky.feed.getAuthorFeed"
NOTIFICATIONS = "app.bsky.notification.listNotifications"


class Bluesky:
    name = "bluesky"
    post_metrics_batch = publishing.GET_POSTS_MAX

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        default_base_url: str = DEFAULT_BASE_URL,
        window_days: int = WINDOW_DAYS,
        policy: UrlPolicy | None = None,
    ) -> None:
        self.timeout = timeout
        self.policy = policy  # None: the process's settings decide (workers.egress)
        self.default_base_url = default_base_url
        self.window_days = window_days
        self._sessions = Sessions()

    def __repr__(self) -> str:
        return f"Bluesky(timeout={self.timeout!r}, default_base_url={self.default_base_url!r})"

    def restart(self, cursor: dict | None) -> dict | None:
        return {"mentions_since": (cursor or {}).get("mentions_since")}

    def fetch(self, account: Account, cursor: dict | None, *, today: date) -> Page:
        state = dict(cursor or {})
        phase = state.get("phase")
        if phase == "feed":
            return self._feed(account, state)
        if phase == "mentions":
            return self._mentions(account, state)
        return self._profile(account, state, today)

    # Publishing ---------------------------------------------------------------------------

    def limits(self, account: Account) -> Limits:
        return publishing.LIMITS

    def publish(self, account: Account, post: Post) -> Published:
        handle = _handle(account)
        with self._xrpc(account) as xrpc, _expecting("a post"):
            return publishing.publish(xrpc, post, handle=handle, now=datetime.now(UTC))

    def find(self, account: Account, post: Post) -> Published | None:
        handle = _handle(account)
        with self._xrpc(account) as xrpc, _expecting("a post record"):
            return publishing.find(xrpc, post, handle=handle)

    def post_metrics(self, account: Account, external_ids: list[str]) -> list[PostMetrics]:
        with self._xrpc(account) as xrpc, _expecting("the posts' counts"):
            return publishing.post_metrics(xrpc, external_ids)

    # Phases ------------------------------------------------------------------------------

    def _profile(self, account: Account, previous: dict, today: date) -> Page:
        handle = _handle(account)
        profile = self._get(account, PROFILE, {"actor": handle})
        followers = _count(profile.get("followersCount"))
        state = {
            "phase": "feed",
            "actor": profile.get("did") or handle,
            "window_start": (today - timedelta(days=self.window_days - 1)).isoformat(),
            "page_cursor": None,
            "day": today.isoformat(),
            "totals": _zeros(),
            "mentions_since": previous.get("mentions_since"),
            "mentions_newest": None,
        }
        return Page([DailyMetric("followers", today, followers)], [], state, done=False)

    def _feed(self, account: Account, state: dict) -> Page:
        actor = state["actor"]
        window_start = date.fromisoformat(state["window_start"])
        day = date.fromisoformat(state["day"])
        totals = {key: _count(state.get("totals", {}).get(key)) for key in COUNTS}
        params = {"actor": actor, "limit": FEED_LIMIT, "cursor": state.get("page_cursor")}
        body = self._get(account, AUTHOR_FEED, params)
        feed = body.get("feed")
        feed = feed if isinstance(feed, list) else []

        metrics: list[DailyMetric] = []
        window_read = False
        for item in feed:
            if not isinstance(item, dict) or item.get("reason"):
                continue  # a repost (of anyone's post) or a pinned post
            post = item.get("post")
            if not isinstance(post, dict) or not _by(post, actor):
                continue
            posted = _post_day(post)
            if posted is None:
                continue
            if posted < window_start:
                window_read = True
                break
            # (A post out of order, newer than the open day, is counted on the open day.)
            while day > posted:
                metrics += _day_metrics(day, totals)
                totals, day = _zeros(), day - timedelta(days=1)
            for key, field in zip(
                COUNTS, ("likeCount", "repostCount", "replyCount", "quoteCount"), strict=True
            ):
                totals[key] += _count(post.get(field))

        next_page = body.get("cursor")
        stalled = not feed or not next_page or next_page == state.get("page_cursor")
        if window_read or stalled:
            while day >= window_start:
                metrics += _day_metrics(day, totals)
                totals, day = _zeros(), day - timedelta(days=1)
            state |= {"phase": "mentions", "page_cursor": None}
            state.pop("day", None)
            state.pop("totals", None)
        else:
            state |= {"page_cursor": next_page, "day": day.isoformat(), "totals": totals}
        return Page(metrics, [], state, done=False)

    def _mentions(self, account: Account, state: dict) -> Page:
        since = _parse_time(state.get("mentions_since"))
        if since is None:
            since = datetime.combine(date.fromisoformat(state["window_start"]), time(), UTC)
        else:
            since -= MENTIONS_OVERLAP
        newest = _parse_time(state.get("mentions_newest"))
        params = {
            "reasons": "mention",
            "limit": NOTIFICATIONS_LIMIT,
            "cursor": state.get("page_cursor"),
        }
        body = self._get(account, NOTIFICATIONS, params)
        notifications = body.get("notifications")
        notifications = notifications if isinstance(notifications, list) else []

        mentions: list[MentionItem] = []
        read_all = False
        for notification in notifications:
            if not isinstance(notification, dict):
                continue
            indexed = _parse_time(notification.get("indexedAt"))
            if indexed is None:
                continue
            if indexed < since:
                read_all = True
                break
            newest = indexed if newest is None else max(newest, indexed)
            if notification.get("reason") == "mention":
                mention = _mention(notification, indexed)
                if mention is not None:
                    mentions.append(mention)

        newest_iso = newest.isoformat() if newest else None
        next_page = body.get("cursor")
        stalled = not notifications or not next_page or next_page == state.get("page_cursor")
        if read_all or stalled:
            return Page([], mentions, {"mentions_since": newest_iso or state.get("mentions_since")})
        state |= {"page_cursor": next_page, "mentions_newest": newest_iso}
        return Page([], mentions, state, done=False)

    def _get(self, account: Account, nsid: str, params: dict) -> dict:
        with self._xrpc(account) as xrpc:
            return xrpc.query(nsid, params) or {}  # (None only for the errors named absent)

    def _xrpc(self, account: Account) -> Xrpc:
        return Xrpc(
            account,
            base_url=account.base_url or self.default_base_url,
            timeout=self.timeout,
            policy=self.policy or connections_policy(),
            sessions=self._sessions,
        )


@contextlib.contextmanager
def _expecting(what: str) -> Iterator[None]:
    """Turn an answer not shaped like the lexicon's into a ProviderError that says where."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ProviderError(
            f"Bluesky: unexpected data in {what} ({type(error).__name__})"
        ) from None


# Parsing ----------------------------------------------------------------------------------


def _handle(account: Account) -> str:
    handle = account.account.strip().lstrip("@")
    if not handle:
        raise ProviderError("Bluesky: the connection has no handle")
    return handle


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _zeros() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def _day_metrics(day: date, totals: dict[str, int]) -> list[DailyMetric]:
    return [
        DailyMetric("engagements", day, sum(totals[key] for key in COUNTS)),
        DailyMetric("shares", day, totals["reposts"] + totals["quotes"]),
        DailyMetric("comments", day, totals["replies"]),
    ]


def _by(post: dict, actor: str) -> bool:
    author = post.get("author")
    if not isinstance(author, dict):
        return True
    return actor in (author.get("did"), author.get("handle")) or not actor.startswith("did:")


def _post_day(post: dict) -> date | None:
    """The UTC day of the post: its ``createdAt``, or ``indexedAt`` when that is earlier.

    The AppView orders author feeds the same way (a post dated in the future sorts by when it
    was indexed), so days arrive in order.
    """
    record = post.get("record")
    created = _parse_time(record.get("createdAt")) if isinstance(record, dict) else None
    indexed = _parse_time(post.get("indexedAt"))
    moments = [moment for moment in (created, indexed) if moment is not None]
    return min(moments).date() if moments else None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)


def _mention(notification: dict, indexed: datetime) -> MentionItem | None:
    uri = notification.get("uri")
    if not isinstance(uri, str) or not uri:
        return None
    author = notification.get("author")
    author = author if isinstance(author, dict) else {}
    handle = author.get("handle")
    if not isinstance(handle, str) or not handle or handle == "handle.invalid":
        handle = author.get("did") if isinstance(author.get("did"), str) else ""
    record = notification.get("record")
    record = record if isinstance(record, dict) else {}
    text = record.get("text")
    return MentionItem(
        external_id=uri,
        author=handle,
        text=text if isinstance(text, str) else "",
        url=post_url(handle, uri),
        posted_at=_parse_time(record.get("createdAt")) or indexed,
    )
