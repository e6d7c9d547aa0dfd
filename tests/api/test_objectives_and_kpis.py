from tests.api import builders
from tests.factories import bearer


def test_objectives_are_listed_under_their_strategy(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    other = builders.strategy(client, org, name="Other")
    builders.objective(
        client, org, made["id"], title="Awareness in Benelux", business_outcome="awareness"
    )
    builders.objective(client, org, other["id"], title="Elsewhere")

    body = client.get(
        org.url(f"/strategies/{made['id']}/objectives"), headers=org.headers
    ).get_json()

    assert [o["title"] for o in body["items"]] == ["Awareness in Benelux"]
    assert body["items"][0]["strategy_id"] == made["id"]


def test_unknown_business_outcome_is_a_field_error(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)

    response = client.post(
        org.url(f"/strategies/{made['id']}/objectives"),
        headers=org.headers,
        json={"title": "Fame", "business_outcome": "fame"},
    )

    assert response.status_code == 422
    assert "business_outcome" in response.get_json()["errors"]


def test_objective_of_a_missing_strategy_is_404(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/strategies/01a20931-7f4a-7137-9a81-d971e688f4f1/objectives"),
        headers=org.headers,
        json={"title": "Orphan", "business_outcome": "sales"},
    )

    assert response.status_code == 404


def test_a_ratio_kpi_needs_numerator_and_denominator(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    response = client.post(
        org.url(f"/objectives/{objective['id']}/kpis"),
        headers=org.headers,
        json={
            "name": "Conversion rate",
            "aggregation": "ratio",
            "numerator_key": "conversions",
            "target": 0.2,
        },
    )

    assert response.status_code == 422
    assert "denominator_key" in response.get_json()["errors"]


def test_a_complete_ratio_kpi_is_saved(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    kpi = builders.kpi(
        client,
        org,
        objective["id"],
        name="Lead conversion",
        metric_key=None,
        aggregation="ratio",
        numerator_key="conversions",
        denominator_key="leads",
        target=0.25,
        baseline=0.1,
        period="quarter",
    )

    assert (kpi["aggregation"], kpi["numerator_key"], kpi["denominator_key"]) == (
        "ratio",
        "conversions",
        "leads",
    )
    assert kpi["period"] == "quarter"


def test_unknown_metric_key_is_refused(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    response = client.post(
        org.url(f"/objectives/{objective['id']}/kpis"),
        headers=org.headers,
        json={"name": "Vibes", "metric_key": "vibes", "target": 10},
    )

    assert response.status_code == 422
    assert "metric_key" in response.get_json()["errors"]


def test_a_decrease_kpi_needs_a_target_below_its_baseline(client, factory):
    org = factory.organisation()
    objective = builders.objective(
        client, org, builders.strategy(client, org)["id"], business_outcome="churn_reduction"
    )

    response = client.post(
        org.url(f"/objectives/{objective['id']}/kpis"),
        headers=org.headers,
        json={
            "name": "Churn",
            "metric_key": "churned_customers",
            "direction": "decrease",
            "target": 30,
            "baseline": 20,
        },
    )

    assert response.status_code == 422
    assert "target" in response.get_json()["errors"]


def test_updating_a_kpi_checks_the_whole_kpi(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])
    kpi = builders.kpi(client, org, objective["id"])  # target 120, baseline 80, increase

    refused = client.patch(org.url(f"/kpis/{kpi['id']}"), headers=org.headers, json={"target": 50})
    switched = client.patch(
        org.url(f"/kpis/{kpi['id']}"),
        headers=org.headers,
        json={
            "aggregation": "ratio",
            "numerator_key": "clicks",
            "denominator_key": "impressions",
            "target": 0.05,
            "baseline": 0.02,
        },
    )

    assert refused.status_code == 422
    assert switched.status_code == 200
    assert switched.get_json()["metric_key"] is None


def test_an_active_strategy_keeps_its_objectives_and_kpis_editable(client, factory):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)
    client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)
    objective = client.get(
        org.url(f"/strategies/{made['id']}/objectives"), headers=org.headers
    ).get_json()["items"][0]

    response = client.patch(
        org.url(f"/objectives/{objective['id']}"), headers=org.headers, json={"priority": 1}
    )
    added = client.post(
        org.url(f"/objectives/{objective['id']}/kpis"),
        headers=org.headers,
        json={"name": "Reach", "metric_key": "reach", "target": 5000},
    )

    assert response.status_code == 200 and response.get_json()["priority"] == 1
    assert added.status_code == 201


def test_deleting_an_objective_deletes_its_kpis(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])
    kpi = builders.kpi(client, org, objective["id"])

    assert (
        client.delete(org.url(f"/objectives/{objective['id']}"), headers=org.headers).status_code
        == 204
    )

    assert client.get(org.url(f"/kpis/{kpi['id']}"), headers=org.headers).status_code == 404


def test_analyst_cannot_add_kpis(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    response = client.post(
        org.url(f"/objectives/{objective['id']}/kpis"),
        headers=bearer(factory.member(org, "analyst")),
        json={"name": "Reach", "metric_key": "reach", "target": 10},
    )

    assert response.status_code == 403


def test_metric_catalogue_lists_built_in_keys_with_funnel_stages(client, factory):
    org = factory.organisation()

    body = client.get("/v1/metric-definitions", headers=org.headers).get_json()

    by_key = {m["key"]: m for m in body["items"]}
    assert len(by_key) == 24
    assert by_key["leads"]["funnel_stage"] == "lead"
    assert by_key["revenue"]["kind"] == "currency"
    assert client.get("/v1/metric-definitions").status_code == 401
