"""A job's log lines, written by a real worker, name its job, its organisation and the
request that queued it; every line the worker writes is one JSON object."""

import json

import pytest

from api.domain.jobs.service import tracked_job_id
from tests.api import builders
from tests.workers import test_webhooks as webhooks
from tests.workers.conftest import run_worker
from tests.workers.test_webhooks import private_app, receiver  # noqa: F401  (fixtures)

HUGE = 1.7e308  # stored before the bounds existed: the rollup skips its KPI with a warning


@pytest.fixture
def webhooks_api(private_app):  # noqa: F811
    return private_app.test_client()


def lines_of(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


def queued_rollup(client, factory, request_id: str):
    """An organisation whose full rollup, asked for in request ``request_id``, will warn."""
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    objective = builders.objective(client, org, strategy["id"])
    builders.kpi(client, org, objective["id"], metric_key="leads", name="Leads")
    factory.stored_metric_point(org, "leads", "2025-01-10", HUGE)
    factory.stored_metric_point(org, "leads", "2025-01-11", HUGE)
    accepted = client.post(org.url("/rollups"), headers={**org.headers, "X-Request-ID": request_id})
    assert accepted.status_code == 202
    return org, accepted.get_json()


def test_every_line_of_a_queued_job_names_the_request_job_and_organisation(
    client, factory, database_url, redis_url, empty_queues
):
    org, job = queued_rollup(client, factory, "trace-rollup-7")

    lines = lines_of(run_worker(database_url, redis_url, "rollups"))

    mine = [line for line in lines if line.get("rq_job_id") == tracked_job_id(job["id"])]
    loggers = {line["logger"] for line in mine}
    assert {"rq.worker", "clover.rollups"} <= loggers  # RQ's lines and the domain's
    assert all(line["request_id"] == "trace-rollup-7" for line in mine)
    assert all(line["organisation_id"] == str(org.id) for line in mine)
    assert all(line["job"] == "workers.jobs.rollup_kpis" for line in mine)
    [warning] = [line for line in mine if line["logger"] == "clover.rollups"]
    assert warning["level"] == "WARNING"
    assert warning["job_id"] == job["id"]  # the Job row the tenant reads
    [done] = [line for line in mine if "Successfully completed" in line["message"]]
    assert done["job_id"] == job["id"]


def test_the_worker_writes_only_json_lines_and_its_own_lines_name_no_job(
    client, factory, database_url, redis_url, empty_queues
):
    queued_rollup(client, factory, "trace-rollup-8")

    stderr = run_worker(database_url, redis_url, "rollups")

    lines = lines_of(stderr)  # each parses: RQ's lines go through the same formatter
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    started = [line for line in lines if "started with PID" in line["message"]]
    assert started
    assert all("rq_job_id" not in line and "request_id" not in line for line in started)


def test_a_webhook_delivery_logs_the_request_id_of_the_change(
    webhooks_api,
    factory,
    database_url,
    redis_url,
    empty_queues,
    receiver,  # noqa: F811
):
    org = factory.organisation()
    server = receiver(204)
    webhooks.endpoint(webhooks_api, org, server.url)
    strategy = builders.ready_strategy(webhooks_api, org)
    activated = webhooks_api.post(
        org.url(f"/strategies/{strategy['id']}/activate"),
        headers={**org.headers, "X-Request-ID": "trace-activate-9"},
    )
    assert activated.status_code == 200

    lines = lines_of(webhooks.run_worker(database_url, redis_url))

    [sent] = server.requests
    # The worker's sweep may also deliver what earlier tests of this session left pending:
    # the line of this organisation's delivery, which names it.
    [delivered] = [
        line
        for line in lines
        if line["logger"] == "clover.webhooks" and line.get("organisation_id") == str(org.id)
    ]
    assert delivered["delivery_status"] == "succeeded"
    assert delivered["request_id"] == "trace-activate-9"
    assert sent[0]["webhook-id"] != "trace-activate-9"  # the event's id, as before
