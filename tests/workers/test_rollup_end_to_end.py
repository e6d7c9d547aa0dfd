"""Ingest through the API, a real worker rolls up, KPI values are read through the API."""

from datetime import timedelta

from rq import Queue
from sqlalchemy import update

from api.domain.access import system_tenant
from api.domain.base import utcnow
from api.domain.metrics.models import MetricPoint
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


def values_of(client, org, kpi) -> dict:
    items = client.get(
        org.url(f"/kpis/{kpi['id']}/values?from=2025-01-01&to=2025-12-31"), headers=org.headers
    ).get_json()["items"]
    return {v["period_start"]: (v["actual"], v["computed_at"]) for v in items}


def test_a_batch_of_one_key_recomputes_the_kpis_of_that_key_and_leaves_the_others_be(
    client, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    objective = builders.objective(client, org, strategy["id"])["id"]
    leads = builders.kpi(client, org, objective, metric_key="leads", name="Leads")
    engagements = builders.kpi(client, org, objective, metric_key="engagements", name="Eng.")
    per_engagement = builders.kpi(
        client,
        org,
        objective,
        name="Leads per engagement",
        metric_key=None,
        aggregation="ratio",
        numerator_key="leads",
        denominator_key="engagements",
        target=0.5,
        baseline=0.1,
    )
    first = [
        {"metric_key": "leads", "day": "2025-03-03", "value": 10},
        {"metric_key": "engagements", "day": "2025-03-03", "value": 40},
    ]
    assert (
        client.post(
            org.url("/metric-points/batch"), headers=org.headers, json={"points": first}
        ).status_code
        == 200
    )
    # Older than the rollups' look-back: only the next batch is a change.
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        uow.session.execute(
            update(MetricPoint)
            .where(MetricPoint.organisation_id == org.id)
            .values(updated_at=utcnow() - timedelta(hours=1))
        )
        uow.commit()
    assert client.post(org.url("/rollups"), headers=org.headers).status_code == 202
    run_worker(database_url, redis_url, "rollups")
    before = {k["id"]: values_of(client, org, k) for k in (leads, engagements, per_engagement)}

    batch = [{"metric_key": "engagements", "day": "2025-03-10", "value": 10}]
    assert (
        client.post(
            org.url("/metric-points/batch"), headers=org.headers, json={"points": batch}
        ).status_code
        == 200
    )
    run_worker(database_url, redis_url, "rollups")

    assert values_of(client, org, leads) == before[leads["id"]]
    for kpi, actual in ((engagements, 50.0), (per_engagement, 10 / 50)):
        after = values_of(client, org, kpi)
        assert after["2025-03-01"][0] == actual
        assert after["2025-03-01"][1] > before[kpi["id"]]["2025-03-01"][1]
        del after["2025-03-01"]
        assert after == {d: v for d, v in before[kpi["id"]].items() if d != "2025-03-01"}
