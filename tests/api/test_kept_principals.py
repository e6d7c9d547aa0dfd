"""API keys' principals kept between requests, and dropped everywhere when rights change.

Two app instances sharing Redis and PostgreSQL stand for two API processes: each keeps
its own principals, and a change made through one is seen by the other on its very
next request. Statement counts show when a principal was kept (no key lookup).
"""

from __future__ import annotations

import secrets

import pytest

from api import create_app
from api.config import Settings
from tests.api.test_api_keys import create_key, membership_id_of
from tests.factories import bearer


@pytest.fixture
def two_processes(database_url, redis_url):
    settings = Settings.build(
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        rate_limit_prefix=f"test-kept:{secrets.token_hex(8)}",
    )
    return create_app(settings).test_client(), create_app(settings).test_client()


def statements(count_queries, call) -> tuple[int, int]:
    with count_queries() as counter:
        response = call()
    return response.status_code, counter.count


def warm(count_queries, client, url, headers) -> None:
    """Until the key's principal is kept: its GET then runs the view's statement only."""
    for _ in range(3):
        status, count = statements(count_queries, lambda: client.get(url, headers=headers))
        assert status == 200
    assert count == 1


def test_a_kept_principal_saves_the_key_lookup(two_processes, factory, count_queries):
    first, _ = two_processes
    org = factory.organisation()

    costs = [statements(count_queries, lambda: first.get(org.url(), headers=org.headers))]
    costs += [statements(count_queries, lambda: first.get(org.url(), headers=org.headers))]
    costs += [statements(count_queries, lambda: first.get(org.url(), headers=org.headers))]

    # The first request sees no generation yet (and records the key's first use), the
    # second keeps what it read, the third uses it: the key lookup is gone.
    assert costs == [(200, 3), (200, 2), (200, 1)]


def test_a_key_revoked_in_one_process_is_refused_by_the_other_at_once(
    two_processes, factory, count_queries
):
    first, second = two_processes
    org = factory.organisation()
    key = create_key(first, org).get_json()
    warm(count_queries, second, org.url(), bearer(key["token"]))

    assert first.delete(org.url(f"/api-keys/{key['id']}"), headers=org.headers).status_code == 204

    assert second.get(org.url(), headers=bearer(key["token"])).status_code == 401


def test_a_member_removed_in_one_process_is_refused_by_the_other_at_once(
    two_processes, factory, count_queries
):
    first, second = two_processes
    org = factory.organisation()
    member = factory.member(org, "strategist")
    warm(count_queries, second, org.url(), bearer(member))

    membership_id = membership_id_of(first, org, member)
    assert (
        first.delete(org.url(f"/members/{membership_id}"), headers=org.headers).status_code == 204
    )

    assert second.get(org.url(), headers=bearer(member)).status_code == 401


def test_a_member_demoted_in_one_process_is_capped_by_the_other_at_once(
    two_processes, factory, count_queries
):
    first, second = two_processes
    org = factory.organisation()
    admin = factory.member(org, "admin")
    key = bearer(create_key(first, org, headers=bearer(admin), role="admin").get_json()["token"])
    warm(count_queries, second, org.url(), key)
    assert second.get(org.url("/members"), headers=key).status_code == 200

    demoted = first.patch(
        org.url(f"/members/{membership_id_of(first, org, admin)}"),
        headers=org.headers,
        json={"role": "contributor"},
    )

    assert demoted.status_code == 200
    assert second.get(org.url("/members"), headers=key).status_code == 403


def test_without_a_rate_limit_check_nothing_is_kept(
    database_url, redis_url, factory, count_queries
):
    settings = Settings.build(
        database_url=database_url, redis_url=redis_url, environment="test", rate_limits="off"
    )
    client = create_app(settings).test_client()
    org = factory.organisation()

    costs = [statements(count_queries, lambda: client.get(org.url(), headers=org.headers))]
    costs += [statements(count_queries, lambda: client.get(org.url(), headers=org.headers))]
    costs += [statements(count_queries, lambda: client.get(org.url(), headers=org.headers))]

    # No generation to check a kept principal against: the key is read every time.
    assert costs == [(200, 3), (200, 2), (200, 2)]


def test_when_redis_loses_the_generation_kept_principals_are_read_again(
    two_processes, factory, count_queries, database_url, redis_url
):
    from api.credentials import generation_key
    from api.redis import redis_connection

    _, second = two_processes
    org = factory.organisation()
    warm(count_queries, second, org.url(), org.headers)

    redis_connection(redis_url).delete(generation_key(database_url))  # as a Redis restart would

    # The script sets a new random generation: no kept principal was read under it.
    status, count = statements(count_queries, lambda: second.get(org.url(), headers=org.headers))
    assert (status, count) == (200, 2)


def test_a_change_is_announced_on_every_redis_that_keeps_principals_for_the_database(
    database_url, redis_url, factory
):
    """Two app instances of one process on one database, each with a Redis of its own:
    the database is shared (one pool), and a change must reach both Redis servers."""
    from api.credentials import generation_key
    from api.domain.access import ROLES
    from api.redis import redis_connection

    base, _, number = redis_url.rpartition("/")
    other_url = f"{base}/{(int(number or 0) + 1) % 16}"
    for url in (redis_url, other_url):
        create_app(Settings.build(database_url=database_url, redis_url=url, environment="test"))
    before = [
        redis_connection(url).get(generation_key(database_url)) for url in (redis_url, other_url)
    ]

    org = factory.organisation()
    user_id, _ = factory.user()
    factory.membership(org, user_id, ROLES[-1])

    after = [
        redis_connection(url).get(generation_key(database_url)) for url in (redis_url, other_url)
    ]
    assert all(a is not None and a != b for a, b in zip(after, before, strict=True))
    redis_connection(other_url).delete(generation_key(database_url))
