"""GET /metrics: Prometheus's view of requests, rate-limit refusals, queues, and the jobs
and webhook deliveries of real worker processes (multi-process mode)."""

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, Retry

from api import create_app
from api.config import Settings
from api.db import database_for
from tests.api import builders
from tests.workers import test_webhooks as webhooks
from tests.workers.conftest import run_worker
from tests.workers.test_publish import item_of, scheduled_item
from tests.workers.test_webhooks import receiver  # noqa: F401  (fixture)

TOKEN = "metrics-" + secrets.token_hex(8)
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def database_url(fresh_database) -> str:
    """A database of this module's own: its workers sweep every organisation's due items."""
    return fresh_database()


@pytest.fixture(scope="module")
def settings(database_url, redis_url) -> Settings:
    return Settings.build(database_url=database_url, redis_url=redis_url, environment="test")


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="module")
def database(settings):
    database = database_for(settings)
    yield database
    database.dispose()  # before the session drops the module's database


@pytest.fixture
def metrics_dir(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    return str(folder)


@pytest.fixture
def watched(settings, metrics_dir):
    """The API with a metrics token, reading the folder its workers write their metrics to,
    and a sign-in limit of one request a minute."""
    app = create_app(
        settings.model_copy(
            update={
                "metrics_token": TOKEN,
                "prometheus_multiproc_dir": metrics_dir,
                "webhooks_allow_private": True,
                "rate_limits": "caller=1000/60,organisation=1000/60,auth=1/60",
                "rate_limit_prefix": f"test-metrics:{secrets.token_hex(8)}",
            }
        )
    )
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{secrets.randbelow(250)}.7.7"
    return client


def scraped(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before, after, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_requests_are_counted_per_operation_and_status(watched, factory):
    org = factory.organisation()
    before = scraped(watched)

    builders.audience(watched, org)
    builders.audience(watched, org, name="Partners")
    missing = watched.get(org.url(f"/audiences/{uuid.uuid4()}"), headers=org.headers)
    first = watched.post("/v1/signup", json={})
    refused = watched.post("/v1/signup", json={})
    after = scraped(watched)

    assert missing.status_code == 404
    assert (first.status_code, refused.status_code) == (422, 429)
    requests = "clover_http_requests_total"
    created = {"operation": "audiences_create", "method": "POST", "status": "201"}
    assert delta(before, after, requests, **created) == 2
    assert (
        delta(before, after, requests, operation="audiences_get", method="GET", status="404") == 1
    )
    assert (
        delta(before, after, requests, operation="signup_create", method="POST", status="422") == 1
    )
    assert (
        delta(before, after, requests, operation="signup_create", method="POST", status="429") == 1
    )
    assert delta(before, after, "clover_rate_limit_refusals_total", limit="auth") == 1
    durations = "clover_http_request_duration_seconds_count"
    assert delta(before, after, durations, operation="audiences_create") == 2
    # The scrape itself is an answer like any other.
    assert delta(before, after, requests, operation="metrics", method="GET", status="200") == 1


def test_an_unrouted_path_is_counted_as_unmatched_not_by_its_path(watched):
    before = scraped(watched)

    watched.get(f"/no/such/{uuid.uuid4()}")
    after = scraped(watched)

    assert (
        delta(
            before,
            after,
            "clover_http_requests_total",
            operation="unmatched",
            method="GET",
            status="404",
        )
        == 1
    )
    assert not any("/no/such" in str(labels) for _name, labels in after)


def test_jobs_and_deliveries_of_a_worker_process_are_counted_and_queues_measured(
    watched,
    factory,
    database_url,
    redis_url,
    metrics_dir,
    empty_queues,
    receiver,  # noqa: F811
):
    org = factory.organisation()
    server = receiver(204)
    webhooks.endpoint(watched, org, server.url)
    strategy = builders.ready_strategy(watched, org)
    assert (
        watched.post(
            org.url(f"/strategies/{strategy['id']}/activate"), headers=org.headers
        ).status_code
        == 200
    )
    assert watched.post(org.url("/rollups"), headers=org.headers).status_code == 202
    waiting = scraped(watched)

    run_worker(
        database_url,
        redis_url,
        "rollups",
        "webhooks",
        PROMETHEUS_MULTIPROC_DIR=metrics_dir,
        CLOVER_WEBHOOKS_ALLOW_PRIVATE="true",
    )
    after = scraped(watched)

    assert value(waiting, "clover_queue_depth", queue="rollups") == 1
    assert value(after, "clover_queue_depth", queue="rollups") == 0
    assert value(after, "clover_queue_depth", queue="webhooks") == 0
    # Deltas: the scrape also reads this process's own registry, where jobs that earlier
    # tests ran in-process are counted.
    jobs = "clover_jobs_total"
    rollups = {"queue": "rollups", "kind": "rollup_kpis"}
    assert delta(waiting, after, jobs, **rollups, outcome="succeeded") == 1
    assert delta(waiting, after, jobs, queue="webhooks", kind="deliver", outcome="succeeded") == 1
    assert delta(waiting, after, "clover_job_duration_seconds_count", **rollups) == 1
    assert delta(waiting, after, "clover_webhook_deliveries_total", outcome="succeeded") == 1
    assert len(server.requests) == 1


def test_the_endpoint_needs_its_token(watched):
    assert watched.get("/metrics").status_code == 401
    wrong = watched.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.mimetype == "application/problem+json"
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_endpoint_is_not_there_without_a_token_set(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_scrapes_are_not_rate_limited(watched):
    answers = [watched.get("/metrics", headers=SCRAPE) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "RateLimit-Limit" not in answers[0].headers


def test_a_publication_by_a_worker_is_counted_by_network_and_outcome(
    watched, factory, database_url, redis_url, metrics_dir, empty_queues
):
    org = factory.organisation()
    item = scheduled_item(watched, org, datetime.now(UTC) - timedelta(seconds=5))

    before = scraped(watched)
    run_worker(database_url, redis_url, "publish", PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    after = scraped(watched)

    assert item_of(watched, org, item)["status"] == "published"
    publish = "clover_publish_attempts_total"
    assert delta(before, after, publish, network="sandbox", outcome="published") == 1
    published = {"queue": "publish", "kind": "publish_item", "outcome": "succeeded"}
    assert delta(before, after, "clover_jobs_total", **published) >= 1  # the sweep may run it too


def test_a_job_that_fails_is_counted_retried_then_failed(
    watched, database_url, redis_url, metrics_dir, empty_queues
):
    # An organisation id that is none: the job raises on each of its two runs.
    Queue("rollups", connection=empty_queues).enqueue(
        "workers.jobs.rollup_kpis", "not-an-id", retry=Retry(max=1, interval=[0])
    )

    before = scraped(watched)
    run_worker(database_url, redis_url, "rollups", PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    after = scraped(watched)

    jobs = "clover_jobs_total"
    rollups = {"queue": "rollups", "kind": "rollup_kpis"}
    assert delta(before, after, jobs, **rollups, outcome="retried") == 1
    assert delta(before, after, jobs, **rollups, outcome="failed") == 1
    assert delta(before, after, jobs, **rollups, outcome="succeeded") == 0


def test_work_horses_leave_no_metrics_files_of_their_own(
    watched,
    factory,
    database_url,
    redis_url,
    metrics_dir,
    empty_queues,
    receiver,  # noqa: F811
):
    org = factory.organisation()
    server = receiver(204)
    webhooks.endpoint(watched, org, server.url)
    strategy = builders.ready_strategy(watched, org)
    watched.post(org.url(f"/strategies/{strategy['id']}/activate"), headers=org.headers)

    run_worker(
        database_url,
        redis_url,
        "webhooks",
        PROMETHEUS_MULTIPROC_DIR=metrics_dir,
        CLOVER_WEBHOOKS_ALLOW_PRIVATE="true",
    )

    # One worker process ran several jobs (fan-out, delivery, sweeps): one file per kind.
    files = sorted(path.name for path in Path(metrics_dir).iterdir())
    assert len({name.rpartition("_")[2] for name in files}) == 1, files
    assert value(scraped(watched), "clover_webhook_deliveries_total", outcome="succeeded") == 1


def test_jobs_run_in_process_are_counted_and_no_queue_is_measured(settings, factory):
    app = create_app(settings.model_copy(update={"metrics_token": TOKEN, "redis_url": ""}))
    client = app.test_client()
    org = factory.organisation()
    before = scraped(client)

    assert client.post(org.url("/rollups"), headers=org.headers).status_code == 202
    after = scraped(client)

    jobs = "clover_jobs_total"
    assert delta(before, after, jobs, queue="rollups", kind="rollup_kpis", outcome="succeeded") == 1
    assert not any(name == "clover_queue_depth" for name, _labels in after)


def test_a_scrape_answers_without_queue_depths_while_redis_is_unreachable(settings):
    closed = settings.model_copy(
        update={"metrics_token": TOKEN, "redis_url": "redis://127.0.0.1:1/0"}
    )
    client = create_app(closed).test_client()

    samples = scraped(client)  # 200, the exposition

    assert not any(name == "clover_queue_depth" for name, _labels in samples)
