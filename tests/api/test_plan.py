from tests.api import builders


def plan(client, org, query=""):
    response = client.get(org.url(f"/plan?{query}"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_items_land_in_the_month_of_their_scheduled_day_else_due_date(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    owner = builders.resource(client, org, name="Writer", weekly_capacity_hours=7)
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="Due in March",
        due_date="2027-03-20",
        owner_id=owner["id"],
        effort_hours=10,
    )
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="Scheduled in April",
        due_date="2027-03-25",
        scheduled_at="2027-04-03T08:00:00Z",
        owner_id=owner["id"],
        effort_hours=50,
    )
    builders.content_item(client, org, campaign["id"], channel["id"], title="Undated")

    body = plan(client, org, "start=2027-03&months=3")

    assert body["start"] == "2027-03"
    assert [m["month"] for m in body["months"]] == ["2027-03", "2027-04", "2027-05"]
    march, april, may = body["months"]
    assert [i["title"] for i in march["items"]] == ["Due in March"]
    assert [i["title"] for i in april["items"]] == ["Scheduled in April"]
    assert may["items"] == []
    item = march["items"][0]
    assert (item["campaign_name"], item["channel_name"], item["owner_name"]) == (
        "Spring reseller push",
        "Company page",
        "Writer",
    )
    assert march["counts_by_channel"] == {channel["id"]: 1}
    assert march["counts_by_status"] == {"idea": 1}


def test_capacity_shows_the_wiggle_room(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org, start_date="2027-02-01")
    writer = builders.resource(client, org, name="Writer", weekly_capacity_hours=7)
    builders.resource(client, org, name="Idle", weekly_capacity_hours=10)
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        due_date="2027-02-10",
        owner_id=writer["id"],
        effort_hours=20,
    )
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        due_date="2027-02-11",
        owner_id=writer["id"],
        effort_hours=15,
    )

    [february] = plan(client, org, "start=2027-02&months=1")["months"]

    loads = {load["name"]: load for load in february["capacity"]}
    assert loads["Writer"]["planned_hours"] == 35
    assert loads["Writer"]["capacity_hours"] == 28  # 7 h × 4 weeks
    assert loads["Writer"]["over_capacity"] is True
    assert (loads["Idle"]["planned_hours"], loads["Idle"]["over_capacity"]) == (0, False)


def test_a_cancelled_item_frees_its_owners_time(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org, start_date="2027-02-01")
    writer = builders.resource(client, org, name="Writer", weekly_capacity_hours=7)
    _, dropped = (
        builders.content_item(
            client,
            org,
            campaign["id"],
            channel["id"],
            due_date=day,
            owner_id=writer["id"],
            effort_hours=hours,
        )
        for day, hours in (("2027-02-10", 20), ("2027-02-11", 15))
    )
    response = client.post(
        org.url(f"/content-items/{dropped['id']}/transition"),
        headers=org.headers,
        json={"to": "cancelled"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    [february] = plan(client, org, "start=2027-02&months=1")["months"]

    [load] = [load for load in february["capacity"] if load["name"] == "Writer"]
    assert (load["planned_hours"], load["over_capacity"]) == (20, False)


def test_filters_by_campaign_channel_and_owner(client, factory):
    org = factory.organisation()
    first, linkedin = builders.running_campaign(client, org)
    second, blog = builders.running_campaign(client, org, name="Blog series")
    owner = builders.resource(client, org)
    builders.content_item(
        client,
        org,
        first["id"],
        linkedin["id"],
        title="A",
        due_date="2027-03-01",
        owner_id=owner["id"],
    )
    builders.content_item(client, org, second["id"], blog["id"], title="B", due_date="2027-03-02")

    def titles(query):
        return [
            i["title"]
            for m in plan(client, org, f"start=2027-03&months=1&{query}")["months"]
            for i in m["items"]
        ]

    assert titles("") == ["A", "B"]
    assert titles(f"campaign_id={second['id']}") == ["B"]
    assert titles(f"channel_id={linkedin['id']}") == ["A"]
    assert titles(f"owner_id={owner['id']}") == ["A"]


def test_months_and_start_are_validated(client, factory):
    org = factory.organisation()

    for query in ("months=0", "months=25", "start=2027-13", "start=March"):
        response = client.get(org.url(f"/plan?{query}"), headers=org.headers)
        assert response.status_code == 422, query
    assert len(plan(client, org, "start=2027-01")["months"]) == 12


def test_plan_query_count_does_not_grow_with_items(client, factory, count_queries):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(
        client, org, start_date="2027-01-01", end_date="2027-12-31"
    )
    owner = builders.resource(client, org)
    url = org.url("/plan?start=2027-01&months=12")
    builders.content_item(
        client, org, campaign["id"], channel["id"], due_date="2027-03-01", owner_id=owner["id"]
    )
    client.get(url, headers=org.headers)
    with count_queries() as few:
        client.get(url, headers=org.headers)

    for month in range(1, 13):
        for day in (5, 20):
            builders.content_item(
                client,
                org,
                campaign["id"],
                channel["id"],
                due_date=f"2027-{month:02d}-{day:02d}",
                owner_id=owner["id"],
            )
        builders.resource(client, org, name=f"R{month}")
    with count_queries() as many:
        body = client.get(url, headers=org.headers).get_json()

    assert sum(len(m["items"]) for m in body["months"]) == 25
    assert many.count == few.count


def test_the_hand_written_body_is_what_the_documented_schema_dumps(app, client, factory):
    """The plan view skips marshmallow for speed; it must still match PlanSchema exactly."""
    from datetime import date

    from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
    from api.domain.plan.service import PlanFilter, build_plan
    from api.resources.v1.plan.routes import PlanSchema, plan_body

    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    owner = builders.resource(client, org)
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        due_date="2027-03-02",
        owner_id=owner["id"],
        effort_hours=2.5,
    )
    builders.content_item(
        client, org, campaign["id"], channel["id"], scheduled_at="2027-04-03T08:00:00Z"
    )
    grant = Grant(org.id, "owner", ROLE_SCOPES["owner"])
    with factory.uow() as uow:
        uow.open_for(Tenant(org.id, Principal("api_key", {org.id: grant}), grant))
        built = build_plan(uow=uow, start=date(2027, 3, 1), months=2, filters=PlanFilter())
        with app.app_context():
            assert plan_body(built) == PlanSchema().dump(built)
    assert sum(len(m["items"]) for m in plan_body(built)["months"]) == 2
