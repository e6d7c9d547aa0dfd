from tests.api import builders
from tests.factories import bearer


def test_campaign_links_objectives_channels_and_audiences(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])
    channel = builders.channel(client, org)
    audience = builders.audience(client, org)

    made = builders.campaign(
        client,
        org,
        strategy["id"],
        objective_ids=[objective["id"]],
        channel_ids=[channel["id"]],
        audience_ids=[audience["id"]],
    )

    assert made["status"] == "planned"
    assert (made["pdca_cycle"], made["pdca_phase"]) == (1, "plan")
    assert made["objective_ids"] == [objective["id"]]
    assert made["channel_ids"] == [channel["id"]]
    assert made["audience_ids"] == [audience["id"]]
    assert made["budget_currency"] == "EUR"
    assert made["utm_campaign"] == "spring_reseller_push"


def test_utm_code_is_unique_per_organisation(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    first = builders.campaign(client, org, strategy["id"])
    second = builders.campaign(client, org, strategy["id"])

    clash = client.post(
        org.url("/campaigns"),
        headers=org.headers,
        json={
            "strategy_id": strategy["id"],
            "name": "Other",
            "start_date": "2027-03-01",
            "end_date": "2027-03-02",
            "utm_campaign": first["utm_campaign"],
        },
    )

    assert second["utm_campaign"].startswith("spring_reseller_push_")
    assert second["utm_campaign"] != first["utm_campaign"]
    assert clash.status_code == 409


def test_dates_outside_the_strategy_period_are_422(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)

    response = client.post(
        org.url("/campaigns"),
        headers=org.headers,
        json={
            "strategy_id": strategy["id"],
            "name": "Too late",
            "start_date": "2027-11-01",
            "end_date": "2028-02-01",
        },
    )

    assert response.status_code == 422
    assert "end_date" in response.get_json()["errors"]


def test_an_archived_strategy_takes_no_campaigns(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    client.post(org.url(f"/strategies/{strategy['id']}/archive"), headers=org.headers)

    response = client.post(
        org.url("/campaigns"),
        headers=org.headers,
        json={
            "strategy_id": strategy["id"],
            "name": "X",
            "start_date": "2027-03-01",
            "end_date": "2027-03-02",
        },
    )

    assert response.status_code == 422
    assert "strategy_id" in response.get_json()["errors"]


def test_objectives_must_be_of_the_campaigns_strategy(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    foreign_objective = builders.objective(
        client, org, builders.strategy(client, org, name="Other")["id"]
    )

    response = client.post(
        org.url("/campaigns"),
        headers=org.headers,
        json={
            "strategy_id": strategy["id"],
            "name": "X",
            "start_date": "2027-03-01",
            "end_date": "2027-03-02",
            "objective_ids": [foreign_objective["id"]],
        },
    )

    assert response.status_code == 422
    assert "objective_ids" in response.get_json()["errors"]


def test_transitions_are_enforced_and_named(client, factory):
    org = factory.organisation()
    made, _ = builders.running_campaign(client, org)
    url = org.url(f"/campaigns/{made['id']}")

    too_early = client.post(f"{url}/complete", headers=org.headers)
    started = client.post(f"{url}/start", headers=org.headers)
    completed = client.post(f"{url}/complete", headers=org.headers)
    too_late = client.post(f"{url}/cancel", headers=org.headers)

    assert too_early.status_code == 409
    assert (
        "planned" in too_early.get_json()["detail"]
        and "completed" in too_early.get_json()["detail"]
    )
    assert started.get_json()["status"] == "active"
    assert completed.get_json()["status"] == "completed"
    assert too_late.status_code == 409


def test_updating_links_replaces_them_and_is_a_new_version(client, factory):
    org = factory.organisation()
    made, old_channel = builders.running_campaign(client, org)
    new_channel = builders.channel(client, org, kind="blog", name="Blog")

    response = client.patch(
        org.url(f"/campaigns/{made['id']}"),
        headers={**org.headers, "If-Match": '"1"'},
        json={"channel_ids": [new_channel["id"]]},
    )

    assert response.status_code == 200
    assert response.get_json()["channel_ids"] == [new_channel["id"]]
    assert response.headers["ETag"] == '"2"'
    trail = client.get(
        org.url(f"/audit-events?resource_id={made['id']}"), headers=org.headers
    ).get_json()["items"]
    assert trail[0]["changes"]["channel_ids"] == {
        "before": [old_channel["id"]],
        "after": [new_channel["id"]],
    }


def test_pdca_cycle_needs_a_review_to_leave_check(client, factory):
    org = factory.organisation()
    made, _ = builders.running_campaign(client, org)
    url = org.url(f"/campaigns/{made['id']}")
    client.post(f"{url}/start", headers=org.headers)

    phases = [
        client.post(f"{url}/advance", headers=org.headers).get_json()["pdca_phase"]
        for _ in range(2)
    ]
    blocked = client.post(f"{url}/advance", headers=org.headers)
    review = client.post(
        f"{url}/reviews",
        headers=org.headers,
        json={
            "what_worked": "Partner webinars",
            "what_did_not_work": "Cold posts",
            "actions": ["More webinars"],
            "quick_win": True,
        },
    )
    to_act = client.post(f"{url}/advance", headers=org.headers).get_json()
    next_cycle = client.post(f"{url}/advance", headers=org.headers).get_json()

    assert phases == ["do", "check"]
    assert blocked.status_code == 409 and "review" in blocked.get_json()["detail"]
    assert review.status_code == 201
    assert review.get_json()["cycle"] == 1
    assert review.get_json()["kpi_snapshot"] == []
    assert to_act["pdca_phase"] == "act"
    assert (next_cycle["pdca_cycle"], next_cycle["pdca_phase"]) == (2, "plan")


def test_a_review_belongs_to_the_check_phase_once_per_cycle(client, factory):
    org = factory.organisation()
    made, _ = builders.running_campaign(client, org)
    url = org.url(f"/campaigns/{made['id']}")

    too_early = client.post(f"{url}/reviews", headers=org.headers, json={"what_worked": "?"})
    client.post(f"{url}/advance", headers=org.headers)
    client.post(f"{url}/advance", headers=org.headers)
    first = client.post(f"{url}/reviews", headers=org.headers, json={"what_worked": "A"})
    second = client.post(f"{url}/reviews", headers=org.headers, json={"what_worked": "B"})

    assert too_early.status_code == 409
    assert first.status_code == 201
    assert second.status_code == 409


def test_learnings_filter_by_channel_objective_and_quick_win(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])
    linkedin = builders.channel(client, org)
    blog = builders.channel(client, org, kind="blog", name="Blog")

    def reviewed(name, channel, quick_win, objective_ids=()):
        made = builders.campaign(
            client,
            org,
            strategy["id"],
            name=name,
            channel_ids=[channel["id"]],
            objective_ids=list(objective_ids),
        )
        url = org.url(f"/campaigns/{made['id']}")
        client.post(f"{url}/advance", headers=org.headers)
        client.post(f"{url}/advance", headers=org.headers)
        client.post(
            f"{url}/reviews",
            headers=org.headers,
            json={"what_worked": name, "quick_win": quick_win},
        )

    reviewed("LinkedIn lives", linkedin, True, [objective["id"]])
    reviewed("Blog series", blog, False)

    def names(query):
        body = client.get(org.url(f"/learnings?{query}"), headers=org.headers).get_json()
        return [item["campaign_name"] for item in body["items"]]

    assert names("") == ["Blog series", "LinkedIn lives"]
    assert names(f"channel_id={blog['id']}") == ["Blog series"]
    assert names(f"objective_id={objective['id']}") == ["LinkedIn lives"]
    assert names("quick_win=true") == ["LinkedIn lives"]


def test_references_to_another_organisations_objects_are_404(client, factory):
    org, other = factory.organisation(), factory.organisation()
    strategy = builders.strategy(client, org)
    their_strategy = builders.strategy(client, other)
    their_channel = builders.channel(client, other)
    their_audience = builders.audience(client, other)
    base = {"name": "X", "start_date": "2027-03-01", "end_date": "2027-03-02"}

    for body in (
        {**base, "strategy_id": their_strategy["id"]},
        {**base, "strategy_id": strategy["id"], "channel_ids": [their_channel["id"]]},
        {**base, "strategy_id": strategy["id"], "audience_ids": [their_audience["id"]]},
    ):
        response = client.post(org.url("/campaigns"), headers=org.headers, json=body)
        assert response.status_code == 404, body
    assert client.get(org.url("/campaigns"), headers=org.headers).get_json()["items"] == []


def test_contributors_and_analysts_cannot_run_campaigns(client, factory):
    org = factory.organisation()
    made, _ = builders.running_campaign(client, org)

    for role in ("contributor", "analyst"):
        key = bearer(factory.member(org, role))
        assert client.get(org.url(f"/campaigns/{made['id']}"), headers=key).status_code == 200
        assert (
            client.post(org.url(f"/campaigns/{made['id']}/start"), headers=key).status_code == 403
        )


def test_kpi_filters_reference_this_organisations_channels_and_campaigns(client, factory):
    org, other = factory.organisation(), factory.organisation()
    made, channel = builders.running_campaign(client, org)
    objective = builders.objective(client, org, made["strategy_id"])
    their_channel = builders.channel(client, other)

    kpi = builders.kpi(
        client, org, objective["id"], channel_id=channel["id"], campaign_id=made["id"]
    )
    foreign = client.post(
        org.url(f"/objectives/{objective['id']}/kpis"),
        headers=org.headers,
        json={"name": "X", "metric_key": "reach", "target": 1, "channel_id": their_channel["id"]},
    )

    assert (kpi["channel_id"], kpi["campaign_id"]) == (channel["id"], made["id"])
    assert foreign.status_code == 404


def test_list_finds_a_campaign_by_its_exact_utm_code(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    builders.campaign(client, org, strategy["id"], name="Spring", utm_campaign="spring_push")
    builders.campaign(client, org, strategy["id"], name="Autumn", utm_campaign="autumn_push")

    def names(code):
        response = client.get(
            org.url("/campaigns"), headers=org.headers, query_string={"utm_campaign": code}
        )
        assert response.status_code == 200
        return [c["name"] for c in response.get_json()["items"]]

    assert names("spring_push") == ["Spring"]
    assert names("SPRING_PUSH") == []
    assert names("winter_push") == []


def test_list_by_utm_code_never_finds_another_organisations_campaign(client, factory):
    org, other = factory.organisation(), factory.organisation()
    builders.campaign(client, other, builders.strategy(client, other)["id"], utm_campaign="theirs")

    response = client.get(
        org.url("/campaigns"), headers=org.headers, query_string={"utm_campaign": "theirs"}
    )

    assert response.status_code == 200 and response.get_json()["items"] == []
