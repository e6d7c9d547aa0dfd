"""Values no sum can hold are refused; data stored before that stops one KPI, never the others."""

import pytest

from tests.api import builders
from tests.workers.conftest import run_worker
from workers import jobs, runtime

HUGE = 1.7e308


def test_values_beyond_the_documented_range_are_rejected(client, factory):
    org = factory.organisation()
    points = [
        {"metric_key": "leads", "day": "2025-01-10", "value": value} for value in (HUGE, 1e16)
    ]

    atomic = client.post(
        org.url("/metric-points/batch?atomic=true"), headers=org.headers, json={"points": points}
    )
    lenient = client.post(
        org.url("/metric-points/batch"), headers=org.headers, json={"points": points}
    )

    assert atomic.status_code == 422
    body = lenient.get_json()
    assert body["inserted"] == 0
    assert [r["reason"] for r in body["rejected"]] == ["value must be between -1e+15 and 1e+15"] * 2


@pytest.fixture
def two_kpis(client, factory):
    """Leads with points no sum can hold (stored long ago), engagements with ordinary ones."""
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    objective = builders.objective(client, org, strategy["id"])
    leads = builders.kpi(client, org, objective["id"], metric_key="leads", name="Leads")
    engagements = builders.kpi(
        client, org, objective["id"], metric_key="engagements", name="Engagements"
    )
    for day in ("2025-01-10", "2025-01-11"):
        factory.stored_metric_point(org, "leads", day, HUGE)
    ingested = client.post(
        org.url("/metric-points/batch"),
        headers=org.headers,
        json={"points": [{"metric_key": "engagements", "day": "2025-01-10", "value": 40}]},
    )
    assert ingested.status_code == 200
    return org, leads, engagements


def job_url(org, job) -> str:
    return org.url(f"/jobs/{job['id']}")


def run_rollup(client, org, database_url, redis_url) -> dict:
    accepted = client.post(org.url("/rollups"), headers=org.headers)
    assert accepted.status_code == 202
    run_worker(database_url, redis_url, "rollups")
    return client.get(accepted.headers["Location"], headers=org.headers).get_json()


def test_an_overflowing_kpi_is_skipped_with_a_reason_and_the_others_roll_up(
    client, two_kpis, database_url, redis_url, empty_queues
):
    org, leads, engagements = two_kpis

    job = run_rollup(client, org, database_url, redis_url)

    assert job["status"] == "succeeded"
    assert job["counts"]["skipped_kpis"] == 1
    errors = client.get(f"{job_url(org, job)}/errors", headers=org.headers).get_json()["items"]
    [skipped] = [e["message"] for e in errors]
    assert leads["id"] in skipped and "more than a number can hold" in skipped
    values = client.get(
        org.url(f"/kpis/{engagements['id']}/values?from=2025-01-01&to=2025-01-31"),
        headers=org.headers,
    ).get_json()["items"]
    assert [v["actual"] for v in values] == [40.0]


def test_a_series_over_such_points_is_a_problem_not_a_500(client, two_kpis):
    org, _, _ = two_kpis

    response = client.get(
        org.url("/metric-series?metric=leads&from=2025-01-01&to=2025-01-31&granularity=month"),
        headers=org.headers,
    )

    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


@pytest.fixture
def failing_kpi_writes(database_faults):
    """Every write of a KPI value fails in the database until the test ends."""
    database_faults.refuse("kpi_values", on="INSERT OR UPDATE")


def test_a_failed_rollup_tells_the_tenant_no_sql_or_internal_names(
    client, factory, failing_kpi_writes, settings, empty_queues
):
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    builders.kpi(client, org, builders.objective(client, org, strategy["id"])["id"])
    accepted = client.post(org.url("/rollups"), headers=org.headers)
    job_id = accepted.get_json()["id"]

    # Its last attempt, as the embedded default runs it: in this process, no retry left.
    with runtime.using(settings), pytest.raises(Exception, match="disk on fire"):
        jobs.rollup_kpis(str(org.id), True, job_id)

    job = client.get(accepted.headers["Location"], headers=org.headers).get_json()
    assert job["status"] == "failed"
    assert job["error"] == "the rollup stopped unexpectedly; it was logged"
