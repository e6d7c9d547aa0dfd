"""The Mastodon adapter's sync against the fake instance of ``tests/fakes/mastodon.py``."""

from __future__ import annotations

import json
import socket
import time
import traceback
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from api.config import Settings
from tests.fakes import FAKES_ON_LOOPBACK
from tests.fakes.mastodon import (
    ACCOUNT_ID,
    STATUSES_PATH,
    TOKEN,
    FakeMastodon,
    iso,
    mention,
    status,
)
from workers import runtime
from workers.providers import registry
from workers.providers.base import (
    Account,
    Credentials,
    DailyMetric,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from workers.providers.mastodon import Mastodon

TODAY = date(2025, 3, 20)


@pytest.fixture
def fake():
    server = FakeMastodon()
    server.statuses = [
        status("2025-03-20T09:00:00", 5, 2, 1),
        status("2025-03-20T00:10:00", 1, 0, 0),
        status("2025-03-19T23:59:59", 3, 1, 2),
        status("2025-03-19T12:00:00", 100, 100, 100, boost=True),  # excluded by the API
        status("2025-03-19T00:00:00", 0, 0, 4),
        status("2025-03-12T15:00:00", 10, 3, 0),
        status("2025-03-12T08:00:00", 2, 2, 2),
        status("2025-03-12T07:00:00", 1, 0, 0),
        status("2025-02-19T00:00:01", 7, 1, 1),  # the window's first day
        status("2025-02-18T23:59:59", 50, 50, 50),  # a second before the window
        status("2025-01-01T10:00:00", 99, 99, 99),
    ]
    server.notifications = [
        mention(
            "2025-03-20T08:00:00",
            "ana@elsewhere.example",
            '<p><span class="h-card" translate="no"><a href="https://mastodon.example/@clover" '
            'class="u-url mention">@<span>clover</span></a></span> Loving the new release '
            "&amp; the docs&#39; tone</p><p>Second thought:<br>ship it</p>",
        ),
        mention("2025-03-18T10:00:00", "bo", "<p>@clover support was quick</p>"),
        mention("2025-03-17T10:00:00", "bo", "<p>liked</p>", type_="favourite"),
        mention("2025-03-10T10:00:00", "cy@social.example", "<p>Comparing tools</p>"),
        mention("2025-03-01T10:00:00", "dee@social.example", "<p>Pricing again?</p>"),
        mention("2025-02-20T10:00:00", "ed@social.example", "<p>Webinar was great</p>"),
        mention("2025-01-05T10:00:00", "old@social.example", "<p>Before the window</p>"),
    ]
    yield server
    server.close()


def account_for(server: FakeMastodon, token: str = TOKEN, *, slash: str = "") -> Account:
    return Account(
        provider="mastodon",
        account="@clover@mastodon.example",
        base_url=server.url + slash,
        credentials=Credentials(access_token=token),
        channel_id="5d1c0e3e-0000-4000-8000-000000000001",
    )


def sync(provider, account, cursor, today):
    """Call fetch until done, as the sync job does: upsert, store the cursor (as JSON)."""
    values: dict[tuple[str, date], float] = {}
    emitted: list[tuple[str, date]] = []
    mentions = []
    pages = 0
    while True:
        page = provider.fetch(account, cursor, today=today)
        pages += 1
        for metric in page.metrics:
            values[(metric.metric_key, metric.day)] = metric.value
            emitted.append((metric.metric_key, metric.day))
        mentions += page.mentions
        cursor = json.loads(json.dumps(page.cursor))
        if page.done:
            return values, emitted, mentions, cursor, pages
        assert pages < 50, "the adapter never finished"


def window(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(29, -1, -1)]


EXPECTED = {  # (engagements, shares, comments) of the statuses created that UTC day
    date(2025, 3, 20): (9, 2, 1),
    date(2025, 3, 19): (10, 1, 6),
    date(2025, 3, 12): (20, 5, 2),
    date(2025, 2, 19): (9, 1, 1),
}


def expected_values(today: date, totals: dict) -> dict:
    values = {("followers", today): 1234}
    for day in window(today):
        engagements, shares, comments = totals.get(day, (0, 0, 0))
        values |= {
            ("engagements", day): engagements,
            ("shares", day): shares,
            ("comments", day): comments,
        }
    return values


def test_a_first_sync_reads_every_page_into_exact_daily_totals_and_mentions(fake):
    provider = Mastodon(policy=FAKES_ON_LOOPBACK, page_size=3)

    values, emitted, mentions, cursor, pages = sync(
        provider, account_for(fake, slash="/"), None, TODAY
    )

    assert values == expected_values(TODAY, EXPECTED)
    assert len(emitted) == len(set(emitted)) == 1 + 30 * 3  # each day once, on the last page
    assert len(fake.requests_to(STATUSES_PATH)) == 3  # stops at the first status before the window
    max_ids = [q.get("max_id", [None])[0] for q in fake.requests_to(STATUSES_PATH)]
    assert max_ids == [None, fake.statuses[2]["id"], fake.statuses[6]["id"]]  # boost skipped
    assert all(q["exclude_reblogs"] == ["true"] for q in fake.requests_to(STATUSES_PATH))
    notification_requests = fake.requests_to("/api/v1/notifications")
    assert len(notification_requests) == 2
    assert all(q["types[]"] == ["mention"] and "since_id" not in q for q in notification_requests)
    assert pages == 1 + 3 + 2

    by_author = {m.author: m for m in mentions}
    assert list(by_author) == [
        "ana@elsewhere.example",
        "bo",
        "cy@social.example",
        "dee@social.example",
        "ed@social.example",
    ]
    ana = by_author["ana@elsewhere.example"]
    assert ana.text == (
        "@clover Loving the new release & the docs' tone\n\nSecond thought:\nship it"
    )
    source = fake.notifications[0]["status"]
    assert ana.external_id == source["id"]
    assert ana.url == source["url"]
    assert ana.posted_at == datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
    assert cursor == {"phase": "done", "mentions_since": fake.notifications[0]["id"]}


def test_the_next_sync_rereads_the_window_and_takes_only_new_mentions(fake):
    provider = Mastodon(policy=FAKES_ON_LOOPBACK, page_size=3)
    account = account_for(fake)
    *_, cursor, _ = sync(provider, account, None, TODAY)
    since = cursor["mentions_since"]
    fake.requests.clear()
    fake.statuses[5]["favourites_count"] += 5  # an older post keeps collecting likes
    fake.statuses.insert(0, status("2025-03-21T06:00:00", 4, 0, 0))
    fake.notifications += [
        mention("2025-03-21T07:00:00", "fi@social.example", "<p>new one</p>"),
        mention("2025-03-21T06:00:00", "gu@social.example", "<p>new two</p>"),
        mention("2025-03-21T05:30:00", "gu", "<p>follow</p>", type_="follow"),
        mention("2025-03-20T23:00:00", "hal@social.example", "<p>new three</p>"),
        mention("2025-03-20T22:00:00", "ida@social.example", "<p>new four</p>"),
    ]
    tomorrow = TODAY + timedelta(days=1)

    values, _, mentions, cursor, _ = sync(provider, account, cursor, tomorrow)

    totals = {k: v for k, v in EXPECTED.items() if k != date(2025, 2, 19)}  # left the window
    totals[date(2025, 3, 12)] = (25, 5, 2)
    totals[date(2025, 3, 21)] = (4, 0, 0)
    assert values == expected_values(tomorrow, totals)
    assert [m.author for m in mentions] == [
        "fi@social.example",
        "gu@social.example",
        "hal@social.example",
        "ida@social.example",
    ]
    requests = fake.requests_to("/api/v1/notifications")
    assert len(requests) == 2
    assert all(q["since_id"] == [since] for q in requests)  # kept though Link drops it
    assert cursor == {"phase": "done", "mentions_since": fake.notifications[-5]["id"]}

    *_, mentions, cursor, _ = sync(provider, account, cursor, tomorrow)
    assert mentions == []
    assert cursor["mentions_since"] == fake.notifications[-5]["id"]


def test_a_sync_interrupted_by_a_rate_limit_resumes_from_its_cursor(fake):
    provider = Mastodon(policy=FAKES_ON_LOOPBACK, page_size=3)
    account = account_for(fake)
    fake.fail(STATUSES_PATH, 429, after=1, headers={"Retry-After": "7"})
    fake.fail("/api/v1/notifications", 503, after=1)
    values, mentions, cursor, faults = {}, [], None, []
    while True:
        try:
            page = provider.fetch(account, cursor, today=TODAY)
        except (RateLimited, Unavailable) as error:
            faults.append(error)
            continue  # the job retries later with the cursor it stored
        values |= {(m.metric_key, m.day): m.value for m in page.metrics}
        mentions += page.mentions
        cursor = json.loads(json.dumps(page.cursor))
        if page.done:
            break

    assert [type(f) for f in faults] == [RateLimited, Unavailable]
    assert faults[0].retry_after == 7
    assert values == expected_values(TODAY, EXPECTED)
    assert len(mentions) == len({m.external_id for m in mentions}) == 5
    assert len(fake.requests_to(STATUSES_PATH)) == 4


def fetch_error(server: FakeMastodon, provider=None, token: str = TOKEN) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        (provider or Mastodon(policy=FAKES_ON_LOOPBACK)).fetch(
            account_for(server, token), None, today=TODAY
        )
    return caught.value


def test_a_refused_token_is_unauthorized(fake):
    error = fetch_error(fake, token="tok-revoked")
    assert type(error) is Unauthorized
    assert str(error) == (
        "Mastodon GET /api/v1/accounts/verify_credentials: HTTP 401 (The access token is invalid)"
    )

    fake.fail("/api/v1/accounts/verify_credentials", 403, body={"error": "outside scopes"})
    assert type(fetch_error(fake)) is Unauthorized


def test_a_rate_limit_says_when_to_come_back(fake):
    path = "/api/v1/accounts/verify_credentials"
    fake.fail(path, 429, headers={"Retry-After": "17"}, body={"error": "Too many requests"})
    error = fetch_error(fake)
    assert type(error) is RateLimited
    assert error.retry_after == 17
    assert str(error) == f"Mastodon GET {path}: HTTP 429, retry in 17s"

    in_two_minutes = datetime.now(UTC) + timedelta(seconds=120)
    fake.fail(path, 429, headers={"Retry-After": format_datetime(in_two_minutes, usegmt=True)})
    assert 115 <= fetch_error(fake).retry_after <= 121

    reset = iso(datetime.now(UTC) + timedelta(seconds=30))  # Mastodon's own header
    fake.fail(path, 429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    assert 25 <= fetch_error(fake).retry_after <= 31

    fake.fail(path, 429)
    assert fetch_error(fake).retry_after == 60


def test_server_errors_and_unreachable_instances_are_unavailable(fake):
    fake.fail("/api/v1/accounts/verify_credentials", 500)
    error = fetch_error(fake)
    assert type(error) is Unavailable
    assert str(error) == "Mastodon GET /api/v1/accounts/verify_credentials: HTTP 500"

    fake.fail("/api/v1/accounts/verify_credentials", 502, body="<html>Bad gateway</html>")
    assert type(fetch_error(fake)) is Unavailable

    fake.fail("/api/v1/accounts/verify_credentials", 200, body="<html>Maintenance</html>")
    assert type(fetch_error(fake)) is Unavailable

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = Account("mastodon", "@a@b", f"http://127.0.0.1:{port}", Credentials(TOKEN), "x")
    with pytest.raises(Unavailable, match="ConnectError"):
        Mastodon(policy=FAKES_ON_LOOPBACK).fetch(closed, None, today=TODAY)


def test_a_response_slower_than_the_timeout_is_unavailable(fake):
    fake.fail("/api/v1/accounts/verify_credentials", 200, delay=3, body=fake.account)
    started = time.monotonic()

    error = fetch_error(fake, Mastodon(policy=FAKES_ON_LOOPBACK, timeout=0.5))

    assert type(error) is Unavailable
    assert str(error) == "Mastodon GET /api/v1/accounts/verify_credentials: timed out"
    assert time.monotonic() - started < 2


def test_other_client_errors_and_odd_data_are_provider_errors(fake):
    provider = Mastodon(policy=FAKES_ON_LOOPBACK, page_size=3)
    fake.fail("/api/v1/notifications", 422, body={"error": "Validation failed"})
    with pytest.raises(ProviderError) as caught:
        sync(provider, account_for(fake), None, TODAY)
    assert type(caught.value) is ProviderError
    assert str(caught.value) == "Mastodon GET /api/v1/notifications: HTTP 422 (Validation failed)"

    fake.account = {"error": "not an account"}  # a 200 that is not shaped like the docs
    with pytest.raises(ProviderError) as caught:
        provider.fetch(account_for(fake), None, today=TODAY)
    assert type(caught.value) is ProviderError
    assert "unexpected data in the account phase (KeyError)" in str(caught.value)

    no_instance = Account("mastodon", "@clover@mastodon.example", None, Credentials(TOKEN), "x")
    with pytest.raises(ProviderError, match="no instance URL"):
        provider.fetch(no_instance, None, today=TODAY)


def test_no_error_reveals_the_token(fake):
    path = "/api/v1/accounts/verify_credentials"
    provider = Mastodon(policy=FAKES_ON_LOOPBACK, timeout=0.5)
    errors = [fetch_error(fake, provider, token=f"{TOKEN}-old")]
    for status_code, extra in [
        (401, {"body": {"error": f"token {TOKEN} was revoked"}}),
        (403, {}),
        (429, {"headers": {"Retry-After": "5"}}),
        (400, {"body": {"error": f"bad header Authorization: Bearer {TOKEN}"}}),
        (500, {"body": {"error": TOKEN}}),
        (200, {"delay": 3}),
    ]:
        fake.fail(path, status_code, **extra)
        errors.append(fetch_error(fake, provider))

    assert [type(e) for e in errors] == [
        Unauthorized,
        Unauthorized,
        Unauthorized,
        RateLimited,
        ProviderError,
        Unavailable,
        Unavailable,
    ]
    for error in errors:
        shown = f"{error} {error!r} {''.join(traceback.format_exception(error))}"
        assert TOKEN not in shown
        assert "Bearer" not in shown or "***" in shown
        assert path in str(error)


def test_it_is_registered_and_reports_followers_for_today(fake):
    provider = registry.provider("mastodon")
    assert isinstance(provider, Mastodon)
    allowed = Settings.build(environment="test", connections_allow_private=True)
    with runtime.using(allowed):
        page = provider.fetch(account_for(fake), None, today=TODAY)
    assert page.metrics == [DailyMetric("followers", TODAY, 1234)]
    assert page.done is False
    assert page.cursor["phase"] == "statuses"
    assert page.cursor["account_id"] == ACCOUNT_ID


def test_the_registered_adapter_refuses_a_private_instance_and_sends_nothing(fake):
    """An instance URL on the machine's own ports never gets the channel's token."""
    with runtime.using(Settings.build(environment="test")), pytest.raises(ProviderError) as error:
        registry.provider("mastodon").fetch(account_for(fake), None, today=TODAY)

    assert "not allowed" in str(error.value)
    assert not isinstance(error.value, Unavailable)  # refused for good, not retried
    assert fake.requests == []
