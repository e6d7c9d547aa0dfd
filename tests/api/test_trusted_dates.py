"""What the API no longer takes on trust: dates in the future or outside their range,
content due outside its campaign, points for a campaign on a channel it does not use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api import builders
from tests.api.test_bad_input import assert_problem
from tests.api.test_content_items import move, walk
from tests.api.test_imports import api, import_app, queues, upload_dir  # noqa: F401  (fixtures)

SCORES = {"culture": 3, "leadership": 3, "governance": 3, "technology": 3}


def assessments(client, org) -> list:
    return client.get(org.url("/readiness-assessments"), headers=org.headers).get_json()["items"]


def test_an_assessment_dated_after_today_is_422_and_not_current(client, factory):
    org = factory.organisation()
    client.patch(org.url(), headers=org.headers, json={"timezone": "Pacific/Kiritimati"})
    tomorrow = datetime.now(ZoneInfo("Pacific/Kiritimati")).date() + timedelta(days=1)

    response = client.post(
        org.url("/readiness-assessments"),
        headers=org.headers,
        json={**SCORES, "assessed_on": tomorrow.isoformat()},
    )

    assert "assessed_on" in assert_problem(response, 422)["errors"]
    assert assessments(client, org) == []


def test_an_assessment_dated_today_in_the_organisations_time_zone_is_taken(client, factory):
    org = factory.organisation()
    client.patch(org.url(), headers=org.headers, json={"timezone": "Pacific/Kiritimati"})
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14: often tomorrow in UTC

    response = client.post(
        org.url("/readiness-assessments"),
        headers=org.headers,
        json={**SCORES, "assessed_on": today.isoformat()},
    )

    assert response.status_code == 201, response.get_data(as_text=True)


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


def test_publishing_with_a_future_time_is_422_and_the_item_stays(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    walk(client, org, item, "drafting", "in_review", "approved")

    response = move(client, org, item, "published", published_at=_future())

    assert "published_at" in assert_problem(response, 422)["errors"]
    read = client.get(org.url(f"/content-items/{item['id']}"), headers=org.headers).get_json()
    assert (read["status"], read["published_at"]) == ("approved", None)


def test_an_update_setting_a_future_published_time_is_422(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])

    response = client.patch(
        org.url(f"/content-items/{item['id']}"),
        headers=org.headers,
        json={"published_at": _future()},
    )

    assert "published_at" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("due", ["2027-02-28", "2027-06-01"])
def test_an_item_due_outside_its_campaigns_dates_is_422_and_not_created(client, factory, due):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)  # 2027-03-01 to 2027-05-31

    response = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"),
        headers=org.headers,
        json={"channel_id": channel["id"], "title": "Late", "due_date": due},
    )

    assert "due_date" in assert_problem(response, 422)["errors"]
    assert client.get(org.url("/content-items"), headers=org.headers).get_json()["items"] == []


def test_moving_an_items_due_date_outside_its_campaign_is_422(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"], due_date="2027-03-10")

    response = client.patch(
        org.url(f"/content-items/{item['id']}"),
        headers=org.headers,
        json={"due_date": "2027-07-01"},
    )

    assert "due_date" in assert_problem(response, 422)["errors"]


def _points(client, org, points, atomic):
    return client.post(
        org.url(f"/metric-points/batch?atomic={'true' if atomic else 'false'}"),
        headers=org.headers,
        json={"points": points},
    )


def test_a_point_for_a_campaign_on_a_channel_it_does_not_use_is_rejected(client, factory):
    org = factory.organisation()
    campaign, linkedin = builders.running_campaign(client, org)
    blog = builders.channel(client, org, kind="blog", name="Blog", handle="https://acme.example")
    point = {"metric_key": "reach", "day": "2027-03-04", "value": 5, "campaign_id": campaign["id"]}

    body = _points(
        client,
        org,
        [{**point, "channel_id": linkedin["id"]}, {**point, "channel_id": blog["id"]}],
        False,
    ).get_json()

    assert body["inserted"] == 1
    assert body["rejected"] == [
        {"index": 1, "reason": f"campaign {campaign['id']} does not use channel {blog['id']}"}
    ]


def test_an_atomic_batch_with_a_point_on_a_channel_outside_its_campaign_is_422(client, factory):
    org = factory.organisation()
    campaign, _ = builders.running_campaign(client, org)
    blog = builders.channel(client, org, kind="blog", name="Blog", handle="https://acme.example")
    point = {"metric_key": "reach", "day": "2027-03-04", "value": 5}

    response = _points(
        client, org, [{**point, "campaign_id": campaign["id"], "channel_id": blog["id"]}], True
    )

    assert "points" in assert_problem(response, 422)["errors"]
    listed = client.get(org.url("/metric-points"), headers=org.headers).get_json()["items"]
    assert listed == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=9999-12", "start"),
        ("start=0001-01", "start"),
        ("start=0000-01", "start"),
        ("start=1969-12", "start"),
        ("start=2999-12&months=2", "months"),
    ],
)
def test_a_plan_outside_the_months_range_is_422_naming_the_parameter(client, factory, query, field):
    org = factory.organisation()

    response = client.get(org.url(f"/plan?{query}"), headers=org.headers)

    assert field in assert_problem(response, 422)["errors"]


def test_a_plan_can_start_in_the_first_and_end_in_the_last_month(client, factory):
    org = factory.organisation()

    first = client.get(org.url("/plan?start=1970-01&months=1"), headers=org.headers)
    last = client.get(org.url("/plan?start=2999-01&months=12"), headers=org.headers)

    assert first.get_json()["start"] == "1970-01"
    assert last.get_json()["months"][-1]["month"] == "2999-12"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=0001-01-01&to=0001-01-10", "from"),
        ("from=1970-01-01&to=1970-01-10", "from"),  # the default baseline would start in 1969
        ("from=2999-12-20&to=3000-01-02", "to"),
    ],
)
def test_a_lift_window_or_baseline_outside_the_range_is_422(client, factory, query, field):
    org = factory.organisation()

    response = client.get(org.url(f"/reports/lift?metric=leads&{query}"), headers=org.headers)

    assert field in assert_problem(response, 422)["errors"]


def test_an_import_for_a_campaign_on_a_channel_it_does_not_use_is_422(api, factory, queues):  # noqa: F811
    from tests.api.test_imports import GOOD, SALES, upload

    org = factory.organisation()
    campaign, _ = builders.running_campaign(api, org)
    blog = builders.channel(api, org, kind="blog", name="Blog", handle="https://acme.example")

    response = upload(
        api, org, GOOD, {**SALES, "campaign_id": campaign["id"], "channel_id": blog["id"]}
    )

    assert "channel_id" in assert_problem(response, 422)["errors"]["mapping"]
    assert queues["default"].get_jobs() == []
