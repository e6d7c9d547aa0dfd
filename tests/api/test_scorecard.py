"""The strategy scorecard through the API: each KPI's latest period with data."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.domain.access import system_tenant
from api.domain.kpis.rollups import run_rollup
from tests.api import builders

# Far east of UTC: the organisation's day is often not UTC's, and decides what has ended.
ZONE = "Pacific/Kiritimati"


def organisation_today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


@pytest.fixture
def world(client, factory):
    """A monthly leads KPI with 30 leads on the first day of last month (organisation's time)."""
    org = factory.organisation()
    changed = client.patch(org.url(), headers=org.headers, json={"timezone": ZONE})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    today = organisation_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    strategy = builders.strategy(
        client,
        org,
        period_start=last_month.isoformat(),
        period_end=date(today.year + 1, 12, 31).isoformat(),
    )
    objective = builders.objective(client, org, strategy["id"])
    builders.kpi(client, org, objective["id"], target=20, baseline=10)

    def send(day: date, value: float) -> None:
        point = {"metric_key": "leads", "day": day.isoformat(), "value": value}
        response = client.post(
            org.url("/metric-points/batch?atomic=true"),
            headers=org.headers,
            json={"points": [point]},
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    send(last_month, 30)
    return org, strategy, last_month, send


def scorecard(client, factory, org, strategy) -> dict:
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        run_rollup(uow=uow, full=True)  # today in the organisation's time zone
    response = client.get(org.url(f"/strategies/{strategy['id']}/scorecard"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_latest_is_the_newest_period_with_data_not_the_open_empty_one(client, factory, world):
    org, strategy, last_month, _ = world
    before = organisation_today()

    body = scorecard(client, factory, org, strategy)

    assert body["latest_rule"] == "latest_period_with_data"
    assert body["today"] in {before.isoformat(), organisation_today().isoformat()}
    [score] = body["objectives"][0]["kpis"]
    assert (score["period_start"], score["complete"]) == (last_month.isoformat(), True)
    assert (
        score["period_end"]
        == (date.fromisoformat(body["today"]).replace(day=1) - timedelta(days=1)).isoformat()
    )
    assert (score["latest"]["actual"], score["status"]) == (30, "on_track")
    assert score["current"] is None
    assert score["trend"] == [30, None]  # last month, then this month without data


def test_an_open_period_with_data_is_shown_as_latest_and_current_not_complete(
    client, factory, world
):
    org, strategy, _, send = world
    today = organisation_today()
    send(today, 5)

    body = scorecard(client, factory, org, strategy)

    [score] = body["objectives"][0]["kpis"]
    assert (score["period_start"], score["complete"]) == (today.replace(day=1).isoformat(), False)
    assert score["current"] == score["latest"] and score["current"]["actual"] == 5


def test_the_query_count_does_not_grow_with_the_kpis(client, factory, world, count_queries):
    org, strategy, _, _ = world
    objective = builders.objective(client, org, strategy["id"], title="More")
    url = org.url(f"/strategies/{strategy['id']}/scorecard")

    counts = []
    for n in range(2):
        builders.kpi(client, org, objective["id"], name=f"K{n}", target=20, baseline=10)
        scorecard(client, factory, org, strategy)
        with count_queries() as counter:
            assert client.get(url, headers=org.headers).status_code == 200
        counts.append(counter.count)

    assert counts[0] == counts[1]
