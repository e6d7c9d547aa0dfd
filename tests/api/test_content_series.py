"""Content series through the API: a rule in the organisation's time zone that plans
ordinary content items, edited and deleted without touching what people changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.api import builders

TUE_THU = "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20271231"


def berlin(client, org) -> None:
    response = client.patch(org.url(), headers=org.headers, json={"timezone": "Europe/Berlin"})
    assert response.status_code == 200, response.get_data(as_text=True)


def post_series(client, org, campaign, channel, headers=None, **fields):
    body = {
        "campaign_id": campaign["id"],
        "channel_id": channel["id"],
        "title": "LinkedIn tip {date}",
        "rule": TUE_THU,
        "starts_at": "2027-03-02T10:00:00",
        **fields,
    }
    return client.post(org.url("/content-series"), headers=headers or org.headers, json=body)


def a_series(client, org, campaign, channel, **fields) -> dict:
    return builders.created(post_series(client, org, campaign, channel, **fields))


def items_of(client, org, series) -> list[dict]:
    url = org.url(f"/content-items?series_id={series['id']}&limit=200")
    response = client.get(url, headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(response.get_json()["items"], key=lambda i: i["occurrence_at"])


def patch_series(client, org, series, **changes):
    return client.patch(
        org.url(f"/content-series/{series['id']}"),
        headers={**org.headers, "If-Match": f'"{series["version"]}"'},
        json=changes,
    )


def at(item) -> datetime:
    return datetime.fromisoformat(item["scheduled_at"]).astimezone(UTC)


def planned(client, org, start_date="2027-03-01"):
    """A Berlin organisation's campaign on LinkedIn from ``start_date`` to December 2027."""
    berlin(client, org)
    channel = builders.channel(client, org)
    strategy = builders.strategy(client, org, period_start=start_date)
    campaign = builders.campaign(
        client,
        org,
        strategy["id"],
        channel_ids=[channel["id"]],
        start_date=start_date,
        end_date="2027-12-31",
    )
    return campaign, channel


def soon(days: int, hour: int = 10) -> str:
    """A local date-time ``days`` from now (negative: in the past), as ``starts_at``."""
    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour).isoformat()


def test_every_tuesday_and_thursday_at_ten_in_berlin_from_march_to_december(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    owner = builders.resource(client, org, name="Ana")

    series = a_series(client, org, campaign, channel, owner_id=owner["id"], effort_hours=1.5)

    items = items_of(client, org, series)
    days = [date(2027, 3, 2) + timedelta(days=n) for n in range(305)]
    assert len(items) == len([d for d in days if d.weekday() in (1, 3)])
    assert {i["status"] for i in items} == {"idea"}
    assert {(i["owner_id"], i["effort_hours"], i["detached"]) for i in items} == {
        (owner["id"], 1.5, False)
    }
    by_day = {at(i).date(): i for i in items}
    # 10:00 in Berlin is 09:00 UTC in winter and 08:00 UTC in summer (28 March to 31 October).
    assert at(by_day[date(2027, 3, 25)]).hour == 9
    assert at(by_day[date(2027, 3, 30)]).hour == 8
    assert at(by_day[date(2027, 10, 28)]).hour == 8
    assert at(by_day[date(2027, 11, 2)]).hour == 9
    assert by_day[date(2027, 3, 30)]["title"] == "LinkedIn tip 2027-03-30"
    assert by_day[date(2027, 3, 30)]["occurrence_at"] == by_day[date(2027, 3, 30)]["scheduled_at"]
    assert max(by_day) == date(2027, 12, 30)


def test_the_series_reads_back_as_created(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    response = post_series(client, org, campaign, channel, initial_status="drafting")
    series = builders.created(response)

    read = client.get(response.headers["Location"], headers=org.headers)

    assert read.status_code == 200
    assert read.get_json() == series
    assert read.headers["ETag"] == f'"{series["version"]}"'
    assert (series["starts_at"], series["rule"], series["initial_status"]) == (
        "2027-03-02T10:00:00",
        TUE_THU,
        "drafting",
    )
    listed = client.get(
        org.url(f"/content-series?campaign_id={campaign['id']}"), headers=org.headers
    )
    assert [s["id"] for s in listed.get_json()["items"]] == [series["id"]]


def test_each_item_has_its_history_row_in_the_initial_status(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(
        client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2", initial_status="drafting"
    )

    for item in items_of(client, org, series):
        history = client.get(org.url(f"/content-items/{item['id']}/history"), headers=org.headers)
        assert [h["to_status"] for h in history.get_json()["items"]] == ["drafting"]


def test_editing_an_occurrence_detaches_it_from_the_series(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=WEEKLY;BYDAY=TU;COUNT=3")
    _, second, _ = items_of(client, org, series)

    edited = client.patch(
        org.url(f"/content-items/{second['id']}"), headers=org.headers, json={"title": "Special"}
    )
    assert edited.get_json()["detached"] is True
    assert patch_series(client, org, series, title="Weekly tip {date}").status_code == 200

    titles = [i["title"] for i in items_of(client, org, series)]
    assert titles == ["Weekly tip 2027-03-02", "Special", "Weekly tip 2027-03-16"]


def test_editing_the_series_leaves_items_that_moved_on(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=WEEKLY;BYDAY=TU;COUNT=2")
    first, _ = items_of(client, org, series)
    moved = client.post(
        org.url(f"/content-items/{first['id']}/transition"),
        headers=org.headers,
        json={"to": "drafting"},
    )
    assert moved.status_code == 200

    patch_series(client, org, series, brief="New angle", effort_hours=3)

    after = items_of(client, org, series)
    assert [(i["status"], i["brief"], i["effort_hours"]) for i in after] == [
        ("drafting", "", 0),
        ("idea", "New angle", 3),
    ]


def test_a_changed_rule_cancels_dropped_occurrences_and_adds_new_ones(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4")
    before = items_of(client, org, series)

    response = patch_series(client, org, series, rule="FREQ=WEEKLY;BYDAY=TU;COUNT=3")

    assert response.status_code == 200
    after = {i["id"]: i for i in items_of(client, org, series)}
    assert [after[i["id"]]["status"] for i in before] == ["idea", "cancelled", "idea", "cancelled"]
    added = [i for i in after.values() if i["id"] not in {b["id"] for b in before}]
    assert [at(i).date() for i in added] == [date(2027, 3, 16)]
    dropped = client.get(org.url(f"/content-items/{before[1]['id']}/history"), headers=org.headers)
    assert dropped.get_json()["items"][-1]["comment"] == "no longer an occurrence of its series"


def test_past_occurrences_are_left_as_they_are(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org, start_date="2026-01-01")
    series = a_series(
        client, org, campaign, channel, title="Daily", rule="FREQ=DAILY;COUNT=6", starts_at=soon(-3)
    )

    assert patch_series(client, org, series, title="Renamed").status_code == 200

    items = items_of(client, org, series)
    now = datetime.now(UTC)
    past = [i for i in items if at(i) <= now]
    future = [i for i in items if at(i) > now]
    assert {(i["title"], i["status"]) for i in past} == {("Daily", "idea")}
    assert len(past) >= 3 and len(future) >= 2
    assert {(i["title"], i["status"]) for i in future} == {("Renamed", "idea")}


def test_deleting_the_series_cancels_its_untouched_future_items(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=WEEKLY;BYDAY=TU;COUNT=3")
    first, second, third = items_of(client, org, series)
    client.patch(
        org.url(f"/content-items/{first['id']}"), headers=org.headers, json={"brief": "Mine"}
    )

    response = client.delete(org.url(f"/content-series/{series['id']}"), headers=org.headers)

    assert response.status_code == 204
    assert (
        client.get(org.url(f"/content-series/{series['id']}"), headers=org.headers).status_code
        == 404
    )
    kept = [
        client.get(org.url(f"/content-items/{i['id']}"), headers=org.headers).get_json()
        for i in (first, second, third)
    ]
    assert [(i["status"], i["series_id"]) for i in kept] == [
        ("idea", None),
        ("cancelled", None),
        ("cancelled", None),
    ]
    assert kept[1]["occurrence_at"] == second["occurrence_at"]


def test_the_plan_counts_a_series_items(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    ana = builders.resource(client, org, name="Ana", weekly_capacity_hours=2)
    a_series(client, org, campaign, channel, owner_id=ana["id"], effort_hours=1)

    [april] = client.get(org.url("/plan?start=2027-04&months=1"), headers=org.headers).get_json()[
        "months"
    ]

    load = next(c for c in april["capacity"] if c["name"] == "Ana")
    assert load["planned_hours"] == 9  # 4 Tuesdays and 5 Thursdays
    assert load["over_capacity"] is True
    assert april["counts_by_status"] == {"idea": 9}


def test_a_stale_if_match_is_refused(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")
    assert patch_series(client, org, series, title="Once").status_code == 200

    assert patch_series(client, org, series, title="Twice").status_code == 412


def test_bad_rules_are_422s_that_write_nothing(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)

    for rule, says in (
        ("every Tuesday", "Not a valid RRULE"),
        ("FREQ=WEEKLY;BYDAY=TU", "must end"),
        ("FREQ=DAILY;COUNT=501", "more than 500"),
    ):
        response = post_series(client, org, campaign, channel, rule=rule)
        assert response.status_code == 422, rule
        assert response.mimetype == "application/problem+json"
        assert says in response.get_json()["errors"]["rule"][0]
    assert client.get(org.url("/content-series"), headers=org.headers).get_json()["items"] == []
    assert client.get(org.url("/content-items"), headers=org.headers).get_json()["items"] == []


def test_a_bad_rule_in_an_edit_changes_nothing(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")

    response = patch_series(client, org, series, title="Changed", rule="FREQ=DAILY;COUNT=900")

    assert response.status_code == 422
    read = client.get(org.url(f"/content-series/{series['id']}"), headers=org.headers).get_json()
    assert (read["title"], read["version"]) == (series["title"], series["version"])
    assert len(items_of(client, org, series)) == 2


def test_a_start_with_an_offset_is_refused(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)

    response = post_series(client, org, campaign, channel, starts_at="2027-03-02T10:00:00+01:00")

    assert response.status_code == 422
    assert "starts_at" in response.get_json()["errors"]


def test_the_channel_must_be_one_of_the_campaigns(client, factory):
    org = factory.organisation()
    campaign, _ = planned(client, org)
    elsewhere = builders.channel(client, org, name="Elsewhere")

    response = post_series(client, org, campaign, elsewhere)

    assert response.status_code == 422
    assert "channel_id" in response.get_json()["errors"]


def test_another_organisations_key_cannot_see_or_change_a_series(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")
    other = factory.organisation("Second")
    url = org.url(f"/content-series/{series['id']}")

    for method, body in (("GET", None), ("PATCH", {"title": "Taken"}), ("DELETE", None)):
        assert client.open(url, method=method, headers=other.headers, json=body).status_code == 404
        own_url = other.url(f"/content-series/{series['id']}")
        assert (
            client.open(own_url, method=method, headers=other.headers, json=body).status_code == 404
        )
    assert client.get(url, headers=org.headers).get_json() == series
    listed = client.get(
        other.url(f"/content-items?series_id={series['id']}"), headers=other.headers
    )
    assert listed.get_json()["items"] == []


def test_a_series_cannot_name_another_organisations_campaign_channel_or_owner(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    owner = builders.resource(client, org)
    other = factory.organisation("Second")
    own_campaign, own_channel = planned(client, other)

    for fields in (
        {"campaign_id": campaign["id"], "channel_id": own_channel["id"]},
        {"campaign_id": own_campaign["id"], "channel_id": channel["id"]},
        {
            "campaign_id": own_campaign["id"],
            "channel_id": own_channel["id"],
            "owner_id": owner["id"],
        },
    ):
        response = post_series(client, other, own_campaign, own_channel, **fields)
        assert response.status_code == 404, fields
    assert client.get(other.url("/content-series"), headers=other.headers).get_json()["items"] == []
    mine = a_series(client, other, own_campaign, own_channel, rule="FREQ=DAILY;COUNT=2")
    for changes in ({"channel_id": channel["id"]}, {"owner_id": owner["id"]}):
        assert patch_series(client, other, mine, **changes).status_code == 404, changes


def test_an_item_of_a_series_is_cancelled_not_deleted(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")
    first, _ = items_of(client, org, series)

    response = client.delete(org.url(f"/content-items/{first['id']}"), headers=org.headers)

    assert response.status_code == 409
    assert len(items_of(client, org, series)) == 2


def test_a_series_of_a_cancelled_campaign_adds_no_items(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")
    cancel = client.post(org.url(f"/campaigns/{campaign['id']}/cancel"), headers=org.headers)
    assert cancel.status_code == 200, cancel.get_data(as_text=True)

    response = patch_series(client, org, series, rule="FREQ=DAILY;COUNT=3")

    assert response.status_code == 409
    assert len(items_of(client, org, series)) == 2


def test_deleting_a_planned_campaign_deletes_its_series_and_items(client, factory):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    series = a_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")

    response = client.delete(org.url(f"/campaigns/{campaign['id']}"), headers=org.headers)

    assert response.status_code == 204, response.get_data(as_text=True)
    assert (
        client.get(org.url(f"/content-series/{series['id']}"), headers=org.headers).status_code
        == 404
    )
    assert client.get(org.url("/content-items"), headers=org.headers).get_json()["items"] == []


def test_creating_a_series_runs_as_many_queries_for_40_items_as_for_2(
    client, factory, count_queries
):
    org = factory.organisation()
    campaign, channel = planned(client, org)
    post_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2")  # warm caches

    with count_queries() as few:
        builders.created(post_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=2"))
    with count_queries() as many:
        builders.created(post_series(client, org, campaign, channel, rule="FREQ=DAILY;COUNT=40"))

    assert many.count == few.count
