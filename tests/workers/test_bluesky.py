"""The Bluesky adapter's sync against the fake PDS of ``tests/fakes/bluesky.py``."""

from __future__ import annotations

import json
import time
import traceback
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer

import pytest

from tests.fakes import FAKES_ON_LOOPBACK
from tests.fakes.bluesky import (
    DID,
    HANDLE,
    TOKEN,
    Fake,
    Handler,
    notification,
    others_post,
    post_item,
    reposted,
    serve,
)
from workers.providers import registry
from workers.providers.base import (
    Account,
    Credentials,
    Page,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from workers.providers.bluesky import Bluesky

TODAY = date(2025, 3, 31)  # the window is 2025-03-02 … 2025-03-31


@pytest.fixture(scope="module")
def server():
    httpd = serve()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server) -> Fake:
    server.fake = Fake()
    server.fake.posts = [
        post_item("p1", "2025-03-31T10:00:00.000Z", likes=5, reposts=1, replies=2),
        reposted(others_post("viral"), "2025-03-31T09:00:00.000Z"),
        post_item("p2", "2025-03-31T08:00:00.000Z", likes=3, replies=1, quotes=1),
        # ── page 2: 31 March goes on ──
        post_item("p3", "2025-03-31T01:00:00Z", likes=2, reposts=1),
        post_item("p4", "2025-03-30T12:00:00.000Z", likes=10, reposts=2, quotes=1),
        reposted(
            post_item("p4", "2025-03-30T12:00:00.000Z", likes=10, reposts=2, quotes=1),
            "2025-03-30T09:00:00.000Z",
        ),
        # ── page 3 ──
        post_item("p5", "2025-03-28T23:59:59.999Z", likes=1),
        post_item("p6", "2025-03-28T00:00:01.000+02:00", likes=2, reposts=1, replies=1),  # 27th UTC
        post_item("p7", "2025-03-02T00:30:00.000Z", likes=4),
        # ── page 4 ──
        post_item("p8", "2025-03-01T23:00:00.000Z", likes=50),  # before the window: stop
        post_item("p9", "2025-02-20T12:00:00.000Z", likes=70),
    ]
    server.fake.notifications = [
        notification("m1", "mention", "2025-03-31T09:00:05.000Z"),
        notification("l1", "like", "2025-03-31T08:00:00.000Z", ("dave.bsky.social", None)),
        notification("m2", "mention", "2025-03-30T12:00:00.000Z", ("bob.bsky.social", None)),
        notification("r1", "reply", "2025-03-29T12:00:00.000Z", ("bob.bsky.social", None)),
        notification("m3", "mention", "2025-03-20T07:30:00.000Z", ("handle.invalid", "did:plc:c")),
        # ── older than the window: a first sync stops here ──
        notification("m4", "mention", "2025-02-01T00:00:00.000Z"),
        notification("m5", "mention", "2025-01-15T00:00:00.000Z"),
    ]
    yield server.fake
    server.fake.release.set()


def account(server, token: str = TOKEN) -> Account:
    host, port = server.server_address[:2]
    return Account(
        provider="bluesky",
        account=HANDLE,
        base_url=f"http://{host}:{port}/",
        credentials=Credentials(access_token=token, refresh_token="refresh-s3cr3t"),
        channel_id="7f1c0a52-0000-4000-8000-000000000001",
    )


def sync(provider: Bluesky, acct: Account, cursor: dict | None, today: date) -> list[Page]:
    pages = []
    for _ in range(50):
        page = provider.fetch(acct, cursor, today=today)
        json.dumps(page.cursor)  # the caller stores it as JSON
        pages.append(page)
        cursor = page.cursor
        if page.done:
            return pages
    raise AssertionError("the sync never finished")


def totals(pages: list[Page]) -> dict[tuple[str, date], float]:
    found: dict[tuple[str, date], float] = {}
    for page in pages:
        for metric in page.metrics:
            key = (metric.metric_key, metric.day)
            assert key not in found, f"{key} emitted twice in one sync"
            found[key] = metric.value
    return found


def expected_totals() -> dict[tuple[str, date], float]:
    days = {
        date(2025, 3, 31): (16, 3, 3),  # p1 + p2 + p3 (across pages); the repost is not counted
        date(2025, 3, 30): (13, 3, 0),
        date(2025, 3, 28): (1, 0, 0),
        date(2025, 3, 27): (4, 1, 1),  # 00:00:01+02:00 is the 27th in UTC
        date(2025, 3, 2): (4, 0, 0),
    }
    expected: dict[tuple[str, date], float] = {("followers", TODAY): 1234}
    for offset in range(30):
        day = TODAY - timedelta(days=offset)
        engagements, shares, comments = days.get(day, (0, 0, 0))
        expected |= {
            ("engagements", day): engagements,
            ("shares", day): shares,
            ("comments", day): comments,
        }
    return expected


# Tests -------------------------------------------------------------------------------------


def test_registered():
    assert isinstance(registry.provider("bluesky"), Bluesky)


def test_first_sync_reads_the_window_across_pages(server, fake):
    pages = sync(Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2), account(server), None, TODAY)

    assert totals(pages) == expected_totals()
    mentions = [m for page in pages for m in page.mentions]
    assert [(m.external_id, m.author, m.url) for m in mentions] == [
        (
            "at://did:plc:alice/app.bsky.feed.post/m1",
            "alice.example.com",
            "https://bsky.app/profile/alice.example.com/post/m1",
        ),
        (
            "at://did:plc:bob/app.bsky.feed.post/m2",
            "bob.bsky.social",
            "https://bsky.app/profile/bob.bsky.social/post/m2",
        ),
        (  # no valid handle: the DID stands in
            "at://did:plc:c/app.bsky.feed.post/m3",
            "did:plc:c",
            "https://bsky.app/profile/did:plc:c/post/m3",
        ),
    ]
    assert mentions[0].text == f"hello @{HANDLE} (m1)"
    assert mentions[0].posted_at == datetime(2025, 3, 31, 9, 0, tzinfo=UTC)  # record.createdAt
    assert pages[-1].cursor == {"mentions_since": "2025-03-31T09:00:05+00:00"}
    assert all(not page.done for page in pages[:-1])

    # Paging stopped at the first post, and the first notification, older than the window.
    feed = fake.calls("app.bsky.feed.getAuthorFeed")
    assert len(feed) == 4
    assert feed[0] == {"actor": [DID], "limit": ["100"]}
    assert "cursor" in feed[1] and "cursor" in feed[2]
    notifications = fake.calls("app.bsky.notification.listNotifications")
    assert len(notifications) == 2
    assert notifications[0] == {"reasons": ["mention"], "limit": ["50"]}
    assert fake.calls("app.bsky.actor.getProfile") == [{"actor": [HANDLE]}]


def test_second_sync_rereads_the_window_and_only_newer_mentions(server, fake):
    provider, acct = Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2), account(server)
    cursor = sync(provider, acct, None, TODAY)[-1].cursor
    fake.requests.clear()
    fake.followers = 1240
    fake.posts[0]["post"]["likeCount"] += 7  # p1 keeps collecting likes
    fake.posts.insert(0, post_item("p0", "2025-04-01T06:00:00.000Z", likes=1, quotes=1))
    fake.notifications[:0] = [
        notification("m7", "mention", "2025-04-01T11:00:00.000Z", ("erin.bsky.social", None)),
        notification("l2", "like", "2025-04-01T10:00:00.000Z"),
        notification("m6", "mention", "2025-03-31T20:00:00.000Z", ("frank.bsky.social", None)),
    ]
    # Indexed just before the first sync's newest, but visible only after that sync read.
    fake.notifications.insert(4, notification("m8", "mention", "2025-03-31T08:58:00.000Z"))

    pages = sync(provider, acct, cursor, TODAY + timedelta(days=1))

    found = totals(pages)
    assert found[("followers", date(2025, 4, 1))] == 1240
    assert found[("engagements", date(2025, 4, 1))] == 2
    assert found[("engagements", TODAY)] == 16 + 7  # re-read: the older day's total moved
    assert found[("engagements", date(2025, 3, 3))] == 0
    assert ("engagements", date(2025, 3, 2)) not in found  # out of the rolling window now
    ids = [m.external_id.rsplit("/", 1)[1] for page in pages for m in page.mentions]
    # A few minutes of overlap catch m8; m1 is read again with it (upserted: harmless).
    assert ids == ["m7", "m6", "m1", "m8"]
    assert pages[-1].cursor == {"mentions_since": "2025-04-01T11:00:00+00:00"}
    assert len(fake.calls("app.bsky.notification.listNotifications")) == 3

    # Nothing new: nothing emitted, the watermark stays.
    fake.requests.clear()
    again = sync(provider, acct, pages[-1].cursor, TODAY + timedelta(days=1))
    assert [m.external_id for page in again for m in page.mentions] == [
        "at://did:plc:erin/app.bsky.feed.post/m7"
    ]
    assert again[-1].cursor == pages[-1].cursor


def test_a_short_history_gives_zero_days_and_ends_on_the_empty_page(server, fake):
    fake.posts = [post_item("only", "2025-03-15T12:00:00.000Z", likes=2, replies=1)]
    fake.notifications = []

    pages = sync(Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2), account(server), None, TODAY)

    found = totals(pages)
    assert len(found) == 1 + 3 * 30
    assert found[("engagements", date(2025, 3, 15))] == 3
    assert found[("comments", date(2025, 3, 15))] == 1
    assert sum(found[("engagements", TODAY - timedelta(days=n))] for n in range(30)) == 3
    assert pages[-1].cursor == {"mentions_since": None}


def test_odd_dates_are_counted_once_in_the_window(server, fake):
    future = post_item("future", "2030-01-01T00:00:00.000Z", likes=3)
    future["post"]["indexedAt"] = "2025-03-30T10:00:00.000Z"  # sorted, and counted, by this
    fake.posts = [
        future,
        post_item("late", "2025-03-31T10:00:00.000Z", likes=1),  # out of order: the 30th is open
        post_item("early", "2025-03-29T09:00:00.000Z", likes=2),
    ]

    found = totals(sync(Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2), account(server), None, TODAY))

    assert found[("engagements", TODAY)] == 0
    assert found[("engagements", date(2025, 3, 30))] == 3 + 1
    assert found[("engagements", date(2025, 3, 29))] == 2
    assert sum(found[("engagements", TODAY - timedelta(days=n))] for n in range(30)) == 6


def test_a_failed_page_is_retried_from_the_last_cursor(server, fake):
    provider, acct = Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2), account(server)
    pages = [provider.fetch(acct, None, today=TODAY)]
    pages.append(provider.fetch(acct, pages[-1].cursor, today=TODAY))  # feed page 1
    fake.faults["app.bsky.feed.getAuthorFeed"] = (503, {}, {"error": "InternalServerError"})
    with pytest.raises(Unavailable):
        provider.fetch(acct, pages[-1].cursor, today=TODAY)
    del fake.faults["app.bsky.feed.getAuthorFeed"]

    pages += sync(provider, acct, pages[-1].cursor, TODAY)

    assert totals(pages) == expected_totals()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"error": "AuthenticationRequired", "message": "Authentication Required"}),
        (400, {"error": "ExpiredToken", "message": "Token has expired"}),
        (400, {"error": "InvalidToken", "message": "Token could not be verified"}),
    ],
)
def test_refused_tokens_are_unauthorized(server, fake, status, body):
    fake.faults["app.bsky.actor.getProfile"] = (status, {}, body)
    with pytest.raises(Unauthorized) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2).fetch(account(server), None, today=TODAY)
    assert "app.bsky.actor.getProfile" in str(caught.value) and str(status) in str(caught.value)
    assert_no_secret(caught.value)


def test_a_wrong_token_is_unauthorized(server, fake):
    with pytest.raises(Unauthorized) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2).fetch(
            account(server, token="eyJ.wrong-token.x"), None, today=TODAY
        )
    assert "401" in str(caught.value)
    assert "wrong-token" not in str(caught.value)


def test_429_with_ratelimit_reset_is_rate_limited(server, fake):
    reset = int(time.time()) + 30
    headers = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
    fake.faults["app.bsky.actor.getProfile"] = (429, headers, {"error": "RateLimitExceeded"})
    with pytest.raises(RateLimited) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2).fetch(account(server), None, today=TODAY)
    assert 27 <= caught.value.retry_after <= 30
    assert "429" in str(caught.value)
    assert_no_secret(caught.value)


def test_429_with_retry_after_is_rate_limited(server, fake):
    fake.faults["app.bsky.notification.listNotifications"] = (
        429,
        {"Retry-After": "7"},
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
    )
    provider, acct = Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2), account(server)
    cursor = None
    with pytest.raises(RateLimited) as caught:
        for _ in range(10):
            cursor = provider.fetch(acct, cursor, today=TODAY).cursor
    assert caught.value.retry_after == 7
    assert cursor["phase"] == "mentions"  # metrics were delivered; the sync resumes here
    assert_no_secret(caught.value)


def test_502_is_unavailable(server, fake):
    fake.faults["app.bsky.actor.getProfile"] = (502, {}, {"error": "UpstreamFailure"})
    with pytest.raises(Unavailable) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2).fetch(account(server), None, today=TODAY)
    assert "502" in str(caught.value)
    assert_no_secret(caught.value)


def test_a_slow_answer_is_unavailable(server, fake):
    fake.delay["app.bsky.actor.getProfile"] = 1.5
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=0.5).fetch(account(server), None, today=TODAY)
    assert time.monotonic() - started < 1.4
    assert "0.5" in str(caught.value)
    assert_no_secret(caught.value)


def test_a_refused_connection_is_unavailable(server, fake):
    probe = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    acct = account(server)
    acct = Account(acct.provider, acct.account, f"http://127.0.0.1:{port}", acct.credentials, "c")
    with pytest.raises(Unavailable) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2).fetch(acct, None, today=TODAY)
    assert_no_secret(caught.value)


def test_other_client_errors_are_provider_errors(server, fake):
    acct = account(server)
    acct = Account(acct.provider, "nobody.example", acct.base_url, acct.credentials, "c")
    with pytest.raises(ProviderError) as caught:
        Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2).fetch(acct, None, today=TODAY)
    assert type(caught.value) is ProviderError
    assert str(caught.value) == "Bluesky app.bsky.actor.getProfile: HTTP 400 InvalidRequest"
    assert_no_secret(caught.value)


def test_the_token_is_never_in_pages_or_the_adapter(server, fake):
    provider = Bluesky(policy=FAKES_ON_LOOPBACK, timeout=2)
    pages = sync(provider, account(server), None, TODAY)
    assert TOKEN not in repr(pages) + json.dumps([p.cursor for p in pages]) + repr(provider)


def assert_no_secret(error: BaseException) -> None:
    told = str(error) + repr(error) + "".join(traceback.format_exception(error))
    assert TOKEN not in told and "s3cr3t" not in told
    assert error.__cause__ is None and error.__context__ is None
