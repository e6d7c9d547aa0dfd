from tests.api import builders


def test_summary_shows_everything_the_strategy_page_needs(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    objective = builders.objective(client, org, made["id"])
    kpi = builders.kpi(client, org, objective["id"])
    builders.objective(
        client, org, made["id"], title="Loyal distributors", business_outcome="loyalty"
    )
    builders.audience(client, org)
    builders.resource(client, org, weekly_capacity_hours=20)
    builders.resource(client, org, name="Sales desk", weekly_capacity_hours=12.5)

    body = client.get(org.url(f"/strategies/{made['id']}/summary"), headers=org.headers).get_json()

    assert body["strategy"]["id"] == made["id"]
    assert [o["title"] for o in body["objectives"]] == [
        "More qualified leads",
        "Loyal distributors",
    ]
    assert [k["id"] for k in body["objectives"][0]["kpis"]] == [kpi["id"]]
    assert body["objectives"][1]["kpis"] == []
    assert len(body["audiences"]) == 1
    assert body["capacity"]["weekly_capacity_hours"] == 32.5
    assert body["readiness"]["scores"] is None
    assert body["activation"]["met"] == {
        "objectives": True,
        "kpis": False,
        "audiences": True,
        "resources": True,
    }
    assert "Loyal distributors" in body["activation"]["missing"]["kpis"][0]
    assert body["activation"]["can_activate"] is False


def test_summary_query_count_does_not_grow_with_objectives_and_kpis(client, factory, count_queries):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)
    url = org.url(f"/strategies/{made['id']}/summary")
    client.get(url, headers=org.headers)
    with count_queries() as small:
        client.get(url, headers=org.headers)

    for n in range(5):
        objective = builders.objective(client, org, made["id"], title=f"Objective {n}")
        for m in range(3):
            builders.kpi(client, org, objective["id"], name=f"KPI {n}.{m}")
        builders.audience(client, org, name=f"Audience {n}")
    with count_queries() as large:
        body = client.get(url, headers=org.headers).get_json()

    assert len(body["objectives"]) == 6
    assert large.count == small.count
