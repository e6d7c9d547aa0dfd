"""Rate limits per caller, per organisation and per client address on the sign-in
endpoints: RateLimit headers on every answer, 429 problems over the limit, plans,
exempt health checks, the in-process counters of the embedded default, and failing
open when Redis is unreachable.

Each test builds its own app with small limits and a random counter prefix, and pins
the limiter's clock, so counters of other tests and earlier runs are never seen and
no window ends mid-test."""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit

import pytest
from redis import Redis

from api import create_app
from api.config import Settings
from api.http.limits import EXTENSION, MemoryCounters, RedisCounters

NOW = 1_800_000_030.0  # 30 s into a minute


@pytest.fixture
def make_client(database_url, redis_url):
    def make(redis: str | None = None, address: str | None = None, prefix: str = "", **limits):
        settings = Settings.build(
            database_url=database_url,
            redis_url=redis_url if redis is None else redis,
            environment="test",
            rate_limit_prefix=prefix or f"test-limits:{secrets.token_hex(8)}",
            **limits,
        )
        app = create_app(settings)
        app.extensions[EXTENSION].clock = lambda: NOW
        address = address or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.7"
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    return make


def limit_headers(response) -> tuple[int, int, int]:
    h = response.headers
    return int(h["RateLimit-Limit"]), int(h["RateLimit-Remaining"]), int(h["RateLimit-Reset"])


def assert_rate_limited(response, naming: str) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "urn:clover:problem:rate-limited"
    assert body["status"] == 429
    assert naming in body["detail"]
    assert response.headers["Retry-After"] == "30"
    assert limit_headers(response) == (int(body["detail"].split("limit of ")[1].split()[0]), 0, 30)


def test_headers_count_down_and_the_fourth_request_is_refused(make_client, factory):
    client = make_client(rate_limits="caller=3/60,organisation=100/60")
    org = factory.organisation()

    seen = [limit_headers(client.get(org.url(), headers=org.headers)) for _ in range(3)]
    refused = client.get(org.url(), headers=org.headers)

    assert seen == [(3, 2, 30), (3, 1, 30), (3, 0, 30)]
    assert_rate_limited(refused, "per-caller limit of 3 requests per 60 seconds")
    assert refused.headers["RateLimit-Policy"] == "3;w=60, 100;w=60"
    assert refused.get_json()["request_id"] == refused.headers["X-Request-ID"]


def test_a_calendar_feed_is_limited_per_client_address(make_client, factory):
    client = make_client(rate_limits="caller=2/60")
    org = factory.organisation()
    made = client.post(org.url("/plan-feeds"), headers=org.headers, json={"name": "Mine"})
    path = urlsplit(made.get_json()["feed_url"]).path

    read = client.get(path)
    guessed = client.get("/v1/plan-feeds/clvfeed_0123456789ab_guessed/plan.ics")
    refused = client.get(path)

    assert (read.status_code, guessed.status_code) == (200, 404)
    assert_rate_limited(refused, "per-caller limit of 2 requests per 60 seconds")


def test_errors_carry_the_headers_too(make_client, factory):
    client = make_client(rate_limits="caller=5/60")
    org = factory.organisation()

    missing = client.get(org.url(f"/strategies/{uuid.uuid4()}"), headers=org.headers)
    unauthenticated = client.get("/v1/me", headers={"Authorization": "Bearer nope"})

    assert missing.status_code == 404
    assert limit_headers(missing) == (5, 4, 30)
    assert unauthenticated.status_code == 401  # counted per client address
    assert limit_headers(unauthenticated) == (5, 4, 30)


def test_the_organisation_limit_is_shared_by_its_callers(make_client, factory):
    client = make_client(rate_limits="caller=100/60,organisation=3/60")
    org, other = factory.organisation(), factory.organisation("Other")
    member = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}

    assert client.get(org.url(), headers=org.headers).status_code == 200
    assert client.get(org.url(), headers=org.headers).status_code == 200
    last = client.get(org.url(), headers=member)
    refused = client.get(org.url(), headers=member)

    assert last.status_code == 200
    assert limit_headers(last) == (3, 0, 30)  # the tightest: the organisation's
    assert_rate_limited(refused, "per-organisation limit of 3 requests per 60 seconds")
    # Another organisation, and the caller outside this organisation, are unaffected.
    assert client.get(other.url(), headers=other.headers).status_code == 200
    assert client.get("/v1/me", headers=member).status_code == 200


def test_a_refused_caller_does_not_spend_its_organisations_budget(make_client, factory):
    client = make_client(rate_limits="caller=2/60,organisation=4/60")
    org = factory.organisation()
    member = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}

    statuses = [client.get(org.url(), headers=org.headers).status_code for _ in range(6)]
    others = [client.get(org.url(), headers=member).status_code for _ in range(3)]

    assert statuses == [200, 200, 429, 429, 429, 429]
    assert others == [200, 200, 429]  # 4 in all reached the organisation


def test_a_url_of_an_organisation_out_of_reach_does_not_spend_its_budget(make_client, factory):
    client = make_client(rate_limits="caller=100/60,organisation=2/60")
    victim, attacker = factory.organisation("Victim"), factory.organisation("Attacker")

    for _ in range(3):
        assert client.get(victim.url(), headers=attacker.headers).status_code == 404

    answer = client.get(victim.url(), headers=victim.headers)
    assert answer.status_code == 200
    assert limit_headers(answer) == (2, 1, 30)


def test_the_token_endpoint_login_and_signup_share_a_stricter_per_address_limit(
    make_client, factory
):
    client = make_client(rate_limits="caller=100/60,auth=3/60")
    org = factory.organisation()
    client_id, secret = factory.oauth_client(org, grant_types=["client_credentials"])
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}

    first = client.post("/oauth/token", data=form)
    second = client.post("/oauth/token", data={**form, "client_secret": "wrong"})
    signup = client.post("/v1/signup", json={})
    refused = client.post("/oauth/token", data=form)
    login = client.post(f"/oauth/authorize?client_id={client_id}", data={"action": "login"})

    assert first.status_code == 200, first.get_json()
    assert limit_headers(first) == (3, 2, 30)
    assert second.status_code == 401
    assert limit_headers(second) == (3, 1, 30)
    assert signup.status_code == 422
    assert limit_headers(signup) == (3, 0, 30)
    assert_rate_limited(refused, "per-client-address sign-in limit of 3 requests")
    assert login.status_code == 429
    # The API itself still answers this address's other requests.
    assert client.get(org.url(), headers=org.headers).status_code == 200


def test_other_addresses_have_their_own_sign_in_budget(make_client):
    prefix = f"test-limits:{secrets.token_hex(8)}"  # one counter space: only the address differs
    one = make_client(address="192.0.2.1", prefix=prefix, rate_limits="auth=1/60")
    two = make_client(address="192.0.2.2", prefix=prefix, rate_limits="auth=1/60")

    assert one.post("/oauth/token", data={}).status_code == 400  # invalid, but counted
    assert one.post("/oauth/token", data={}).status_code == 429
    assert two.post("/oauth/token", data={}).status_code == 400


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
def test_health_checks_and_the_docs_are_exempt(make_client, path):
    client = make_client(rate_limits="caller=1/60")

    for _ in range(3):
        response = client.get(path)
        assert response.status_code in (200, 308)
        assert "RateLimit-Limit" not in response.headers


def test_without_redis_the_counters_are_in_process(make_client, factory):
    client = make_client(redis="", rate_limits="caller=2/60")
    org = factory.organisation()
    assert isinstance(client.application.extensions[EXTENSION].counters, MemoryCounters)

    statuses = [client.get(org.url(), headers=org.headers).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_with_redis_the_counters_are_shared_by_processes(make_client, factory):
    prefix = f"test-limits:{secrets.token_hex(8)}"
    one = make_client(prefix=prefix, rate_limits="caller=2/60")
    two = make_client(prefix=prefix, rate_limits="caller=2/60")
    org = factory.organisation()
    assert isinstance(one.application.extensions[EXTENSION].counters, RedisCounters)

    assert one.get(org.url(), headers=org.headers).status_code == 200
    assert two.get(org.url(), headers=org.headers).status_code == 200
    assert one.get(org.url(), headers=org.headers).status_code == 429


def test_an_unreachable_redis_fails_open(make_client, factory, caplog):
    client = make_client(redis="redis://127.0.0.1:1/0", rate_limits="caller=1/60")
    org = factory.organisation()

    statuses = [client.get(org.url(), headers=org.headers).status_code for _ in range(3)]
    health = client.get("/healthz")

    assert statuses == [200, 200, 200]
    assert health.status_code == 200
    assert "RateLimit-Limit" not in client.get(org.url(), headers=org.headers).headers
    outages = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(outages) == 1  # logged once, not per request


def test_a_plan_overrides_the_limits_of_its_organisations(make_client, factory):
    pro, basic = factory.organisation("Pro"), factory.organisation("Basic")
    client = make_client(
        rate_limits="caller=100/60,organisation=2/60",
        plan_limits={"pro": "organisation=4/60"},
        organisation_plans={pro.id: "pro"},
    )

    pro_statuses = [client.get(pro.url(), headers=pro.headers).status_code for _ in range(5)]
    basic_statuses = [client.get(basic.url(), headers=basic.headers).status_code for _ in range(3)]

    assert pro_statuses == [200, 200, 200, 200, 429]
    assert basic_statuses == [200, 200, 429]


def test_limits_can_be_switched_off(make_client, factory):
    client = make_client(rate_limits="off")
    org = factory.organisation()

    response = client.get(org.url(), headers=org.headers)

    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers


def test_cors_answers_expose_the_limit_headers(database_url, redis_url, factory):
    settings = Settings.build(
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        cors_origins="https://app.example.test",
        rate_limit_prefix=f"test-limits:{secrets.token_hex(8)}",
    )
    org = factory.organisation()
    response = (
        create_app(settings)
        .test_client()
        .get(org.url(), headers={**org.headers, "Origin": "https://app.example.test"})
    )

    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "RateLimit-Remaining" in exposed and "Retry-After" in exposed


def test_every_limited_operation_documents_429(app):
    spec = app.extensions["clover.api"].document()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            documented = "429" in operation["responses"]
            assert documented == (path not in ("/healthz", "/readyz")), (method, path)
    too_many = spec["components"]["responses"]["TOO_MANY_REQUESTS"]
    assert "Retry-After" in too_many["headers"]


@pytest.mark.parametrize("redis", [None, ""], ids=["redis", "in-process"])
def test_the_window_edge_does_not_let_twice_the_limit_through(make_client, factory, redis):
    client = make_client(redis=redis, rate_limits="caller=10/60")
    rate = client.application.extensions[EXTENSION]
    org = factory.organisation()

    def burst(at: float, n: int) -> list:
        rate.clock = lambda: at
        return [client.get(org.url(), headers=org.headers) for _ in range(n)]

    end_of_one = burst(1_800_000_059.5, 10)  # the last half second of a window
    start_of_next = burst(1_800_000_060.5, 10)  # the first half second of the next
    half_way = burst(1_800_000_090.0, 10)  # the previous window now counts for half

    assert [r.status_code for r in end_of_one] == [200] * 10
    # Fixed windows let all 10 through again here: 20 requests in one second. The
    # previous window still counts 10 × 59.5/60, rounded down as limits does: one more.
    assert [r.status_code for r in start_of_next] == [200] + [429] * 9
    # Its share drops by one request every 6 s: the next drop is 5.5 s away.
    assert start_of_next[-1].headers["Retry-After"] == "6"
    assert [r.status_code for r in half_way] == [200] * 4 + [429] * 6  # 10 / 2 + 1 counted


class CountingRedis(Redis):
    """A Redis client that counts the commands it sends (pipelines count as one)."""

    commands = 0

    def execute_command(self, *args, **options):
        CountingRedis.commands += 1
        return super().execute_command(*args, **options)


def test_all_limits_of_a_request_cost_one_redis_round_trip(make_client, factory, redis_url):
    client = make_client(rate_limits="caller=3/60,organisation=100/60")
    rate = client.application.extensions[EXTENSION]
    rate.counters = RedisCounters(CountingRedis.from_url(redis_url))
    org = factory.organisation()
    client.get("/v1/me")  # loads the script into Redis if no one has yet

    costs = []
    for _ in range(5):  # three within the caller's limit, two refused
        before = CountingRedis.commands
        client.get(org.url(), headers=org.headers)
        costs.append(CountingRedis.commands - before)

    assert costs == [1] * 5  # caller and organisation limits checked and counted at once
