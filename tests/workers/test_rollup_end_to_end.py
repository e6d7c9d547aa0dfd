"""Ingest through the API, a real worker rolls up, KPI values are read through the API."""

from rq import Queue

from tests.api import builders
from tests.workers.conftest import run_worker


def test_points_in_kpi_values_out(client, factory, database_url, redis_url, empty_queues):
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    objective = builders.objective(client, org, strategy["id"])
    kpi = builders.kpi(client, org, objective["id"], metric_key="leads", target=100, baseline=50)
    points = [
        {"metric_key": "leads", "day": "2025-01-10", "value": 60},
        {"metric_key": "leads", "day": "2025-01-20", "value": 50},
        {"metric_key": "leads", "day": "2025-02-03", "value": 30},
    ]

    ingested = client.post(
        org.url("/metric-points/batch"), headers=org.headers, json={"points": points}
    )
    assert ingested.status_code == 200, ingested.get_data(as_text=True)
    assert len(Queue("rollups", connection=empty_queues)) == 1  # two batches would share it
    run_worker(database_url, redis_url, "rollups")

    values = client.get(
        org.url(f"/kpis/{kpi['id']}/values?from=2025-01-01&to=2025-03-01"), headers=org.headers
    ).get_json()["items"]
    assert [(v["period_start"], v["actual"], v["status"]) for v in values] == [
        ("2025-01-01", 110.0, "on_track"),
        ("2025-02-01", 30.0, "off_track"),
        ("2025-03-01", None, "no_data"),
    ]
    card = client.get(org.url(f"/strategies/{strategy['id']}/scorecard"), headers=org.headers)
    [score] = card.get_json()["objectives"][0]["kpis"]
    # December 2025 is the newest period, but nothing was sent after February.
    assert (score["period_start"], score["complete"], score["status"]) == (
        "2025-02-01",
        True,
        "off_track",
    )
    assert score["latest"]["actual"] == 30 and score["current"] is None
    assert score["trend"][-1] is None


def test_a_requested_full_rollup_is_a_job(client, factory, database_url, redis_url, empty_queues):
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    builders.kpi(client, org, builders.objective(client, org, strategy["id"])["id"])

    accepted = client.post(org.url("/rollups"), headers=org.headers)
    assert accepted.status_code == 202
    job_url = accepted.headers["Location"]
    assert client.get(job_url, headers=org.headers).get_json()["status"] == "queued"
    run_worker(database_url, redis_url, "rollups")

    job = client.get(job_url, headers=org.headers).get_json()
    assert job["status"] == "succeeded"
    assert job["counts"] == {"kpis": 1, "values": 12, "status_changes": 12, "skipped_kpis": 0}
