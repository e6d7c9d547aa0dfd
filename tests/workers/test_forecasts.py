"""Forecasts end to end: points in, a real worker rolls up and forecasts, the API shows them,
and a crossing of the alert probability reaches a webhook receiver."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from api import create_app
from tests.api import builders
from tests.workers.conftest import run_worker
from tests.workers.test_webhooks import Receiver, endpoint
from tests.workers.test_webhooks import run_worker as run_webhook_worker


@pytest.fixture
def api(settings):
    """The API, allowed to register loopback endpoints (the receiver of these tests)."""
    return create_app(settings.model_copy(update={"webhooks_allow_private": True})).test_client()


@pytest.fixture
def receiver():
    server = Receiver((204,))
    yield server
    server.close()


def _today():
    return datetime.now(UTC).date()  # the organisations of the tests live in UTC


def _strategy(client, org):
    today = _today()
    return builders.strategy(
        client,
        org,
        period_start=(today - timedelta(days=120)).isoformat(),
        period_end=(today + timedelta(days=120)).isoformat(),
    )


def _points(client, org, key: str, days: int, value=lambda i: 10 + i % 7):
    today = _today()
    points = [
        {"metric_key": key, "day": (today - timedelta(days=i)).isoformat(), "value": value(i)}
        for i in range(days)
    ]
    response = client.post(
        org.url("/metric-points/batch"), headers=org.headers, json={"points": points}
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def _current_value(client, org, kpi):
    month = _today().replace(day=1).isoformat()
    response = client.get(
        org.url(f"/kpis/{kpi['id']}/values?from={month}&to={month}"), headers=org.headers
    )
    assert response.status_code == 200
    [value] = response.get_json()["items"]
    return value


def test_a_rollup_forecasts_the_open_period_and_the_api_shows_it(
    api, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    strategy = _strategy(api, org)
    objective = builders.objective(api, org, strategy["id"])
    leads = builders.kpi(api, org, objective["id"], metric_key="leads", target=200, baseline=50)
    short = builders.kpi(api, org, objective["id"], metric_key="clicks", target=200, baseline=50)
    _points(api, org, "leads", 42)
    _points(api, org, "clicks", 3)

    run_worker(database_url, redis_url, "rollups")

    value = _current_value(api, org, leads)
    forecast = value["forecast"]
    assert forecast["method"] == "local_trend_weekly" and forecast["history_days"] == 42
    assert forecast["as_of"] == _today().isoformat()
    # About 13 leads a day (10 to 16 in a weekly rhythm) for the rest of the month.
    days_left = (date.fromisoformat(value["period_end"]) - _today()).days
    expected = value["actual"] + 13 * days_left
    assert forecast["projected"] == pytest.approx(expected, rel=0.15)
    assert forecast["lower95"] <= forecast["lower80"] <= forecast["projected"]
    assert forecast["projected"] <= forecast["upper80"] <= forecast["upper95"]
    assert forecast["answer"].startswith(f"projected {round(forecast['projected']):,} leads")
    latest = api.get(org.url(f"/kpis/{leads['id']}/forecast"), headers=org.headers)
    assert latest.status_code == 200 and latest.get_json() == forecast

    nothing = _current_value(api, org, short)["forecast"]
    assert (nothing["projected"], nothing["probability"], nothing["method"]) == (None, None, None)
    assert nothing["reason"] == "only 3 day(s) of history; a forecast needs at least 7"

    card = api.get(org.url(f"/strategies/{strategy['id']}/scorecard"), headers=org.headers)
    scores = {s["kpi"]["id"]: s for s in card.get_json()["objectives"][0]["kpis"]}
    assert scores[leads["id"]]["forecast"] == forecast


def test_a_kpi_without_a_rollup_has_no_forecast(api, factory):
    org = factory.organisation()
    objective = builders.objective(api, org, _strategy(api, org)["id"])
    kpi = builders.kpi(api, org, objective["id"])

    response = api.get(org.url(f"/kpis/{kpi['id']}/forecast"), headers=org.headers)

    assert response.status_code == 404


def test_crossing_the_alert_probability_is_announced_to_a_webhook(
    api, factory, database_url, redis_url, empty_queues, receiver
):
    org = factory.organisation()
    hook = endpoint(api, org, receiver.url, events=["kpi.forecast_changed"])
    objective = builders.objective(api, org, _strategy(api, org)["id"])
    kpi = builders.kpi(
        api,
        org,
        objective["id"],
        metric_key="leads",
        target=100,
        baseline=50,
        forecast_alert_probability=0.5,
    )
    _points(api, org, "leads", 42)
    run_worker(database_url, redis_url, "rollups")
    first = _current_value(api, org, kpi)["forecast"]
    assert first["probability"] > 0.99  # 100 leads are already there

    # A target far out of reach: the next forecast's probability falls through 0.5.
    changed = api.patch(org.url(f"/kpis/{kpi['id']}"), headers=org.headers, json={"target": 5000})
    assert changed.status_code == 200
    assert api.post(org.url("/rollups"), headers=org.headers).status_code == 202
    run_worker(database_url, redis_url, "rollups")
    run_webhook_worker(database_url, redis_url)

    [sent] = receiver.verified(hook["secret"])
    second = _current_value(api, org, kpi)["forecast"]
    assert sent["type"] == "kpi.forecast_changed"
    assert sent["data"]["kpi_id"] == kpi["id"]
    assert sent["data"]["period_start"] == second["period_start"]
    assert sent["data"]["previous_probability"] == first["probability"]
    assert sent["data"]["probability"] == second["probability"] < 0.01
    assert sent["data"]["threshold"] == 0.5
    assert (sent["data"]["projected"], sent["data"]["lower80"], sent["data"]["upper80"]) == (
        second["projected"],
        second["lower80"],
        second["upper80"],
    )


def test_a_forecast_that_stays_on_the_same_side_announces_nothing(
    api, factory, database_url, redis_url, empty_queues, receiver
):
    org = factory.organisation()
    endpoint(api, org, receiver.url, events=["kpi.forecast_changed"])
    objective = builders.objective(api, org, _strategy(api, org)["id"])
    kpi = builders.kpi(
        api, org, objective["id"], target=100, baseline=50, forecast_alert_probability=0.5
    )
    _points(api, org, "leads", 42)
    run_worker(database_url, redis_url, "rollups")
    assert api.post(org.url("/rollups"), headers=org.headers).status_code == 202
    run_worker(database_url, redis_url, "rollups")
    run_webhook_worker(database_url, redis_url)

    assert _current_value(api, org, kpi)["forecast"]["probability"] > 0.99
    assert receiver.requests == []
