"""The login form's throttle (5 failed logins per email and client address) on the rate
limits' engine: its counters under the rate-limit key prefix, in this process without
Redis, and the rate limits' outage rule: failing open, logged once."""

from __future__ import annotations

import secrets

import pytest
from redis import Redis

from api import create_app
from api.config import Settings
from tests.api.test_oauth_errors import authorize_url, log_in, setup  # noqa: F401


@pytest.fixture
def make_client(database_url, redis_url):
    def make(redis: str | None = None, prefix: str = "", address: str = ""):
        settings = Settings.build(
            database_url=database_url,
            redis_url=redis_url if redis is None else redis,
            environment="test",
            rate_limit_prefix=prefix or f"test-throttle:{secrets.token_hex(8)}",
            rate_limits="off",  # the throttle alone
        )
        client = create_app(settings).test_client()
        client.environ_base["REMOTE_ADDR"] = address or f"10.{secrets.randbelow(250)}.0.9"
        return client

    return make


def test_without_redis_failed_logins_are_throttled_in_process(make_client, setup):  # noqa: F811
    client = make_client(redis="")
    url = authorize_url(setup.client_id)

    failures = [log_in(client, url, setup.email, "wrong password here") for _ in range(5)]
    locked = log_in(client, url, setup.email)

    assert [f.status_code for f in failures] == [200] * 5
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)


def test_a_successful_login_clears_the_failures(make_client, setup):  # noqa: F811
    prefix = f"test-throttle:{secrets.token_hex(8)}"
    url = authorize_url(setup.client_id)
    for _ in range(2):  # a fresh browser each time, from the same address
        client = make_client(prefix=prefix, address="192.0.2.33")
        for _ in range(4):
            assert log_in(client, url, setup.email, "wrong password here").status_code == 200
        assert log_in(client, url, setup.email).status_code == 303  # 4 + 4 failures, not 8


def test_failures_are_counted_under_the_rate_limit_prefix(make_client, setup, redis_url):  # noqa: F811
    prefix = f"test-throttle:{secrets.token_hex(8)}"
    client = make_client(prefix=prefix)

    log_in(client, authorize_url(setup.client_id), setup.email, "wrong password here")

    keys = list(Redis.from_url(redis_url).scan_iter(f"{prefix}/login-failures/*", count=1000))
    assert len(keys) == 1
    assert setup.email.encode() not in keys[0]  # hashed with the address


def test_an_unreachable_redis_lets_logins_through_and_is_logged_once(
    make_client,
    setup,  # noqa: F811
    caplog,
):
    client = make_client(redis="redis://127.0.0.1:1/0")
    url = authorize_url(setup.client_id)

    failures = [log_in(client, url, setup.email, "wrong password here") for _ in range(6)]
    signed_in = log_in(client, url, setup.email)

    assert [f.status_code for f in failures] == [200] * 6  # not counted, so never locked
    assert signed_in.status_code == 303
    outages = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert [r.getMessage().split(":")[0] for r in outages] == ["login throttle"]
