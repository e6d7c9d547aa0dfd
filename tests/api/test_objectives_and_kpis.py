from datetime import date

from api.domain.access import system_tenant
from api.domain.kpis.rollups import run_rollup
from tests.api import builders
from tests.factories import bearer


def define(client, org, key, **fields):
    return builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": key, "name": key, **fields},
        )
    )


def post_kpi(client, org, objective_id, **fields):
    body = {"name": "K", "target": 100, **fields}
    return client.post(org.url(f"/objectives/{objective_id}/kpis"), headers=org.headers, json=body)


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


def test_metric_catalogue_says_which_metrics_are_levels_and_which_are_parts(client, factory):
    org = factory.organisation()

    body = client.get("/v1/metric-definitions", headers=org.headers).get_json()

    by_key = {m["key"]: m for m in body["items"]}
    assert {k for k, m in by_key.items() if m["behaviour"] == "level"} == {
        "followers",
        "active_customers",
    }
    assert {k: m["part_of"] for k, m in by_key.items() if m["part_of"]} == {
        "reach": "impressions",
        "clicks": "engagements",
        "shares": "engagements",
        "comments": "engagements",
    }
    assert by_key["leads"]["behaviour"] == "flow"
    assert by_key["churned_customers"]["funnel_stage"] is None
    assert by_key["support_tickets"]["funnel_stage"] is None


def test_a_kpi_on_an_organisations_own_metric_is_rolled_up(client, factory):
    org = factory.organisation()
    define(client, org, "demo_requests", funnel_stage="lead")
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])

    made = post_kpi(client, org, objective["id"], metric_key="demo_requests", target=10)
    assert made.status_code == 201, made.get_data(as_text=True)
    points = [
        {"metric_key": "demo_requests", "day": "2027-01-10", "value": 3},
        {"metric_key": "demo_requests", "day": "2027-01-20", "value": 4},
        {"metric_key": "demo_requests", "day": "2027-02-03", "value": 12},
    ]
    ingested = client.post(
        org.url("/metric-points/batch"), headers=org.headers, json={"points": points}
    )
    assert ingested.get_json()["rejected"] == []
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        run_rollup(uow=uow, full=True, today=date(2027, 12, 31))

    values = client.get(
        org.url(f"/kpis/{made.get_json()['id']}/values?from=2027-01-01&to=2027-03-01"),
        headers=org.headers,
    ).get_json()["items"]
    assert [(v["period_start"], v["actual"], v["status"]) for v in values] == [
        ("2027-01-01", 7.0, "off_track"),
        ("2027-02-01", 12.0, "on_track"),
        ("2027-03-01", None, "no_data"),
    ]


def test_another_organisations_metric_key_is_unknown_to_a_kpi(client, factory):
    define(client, factory.organisation("Theirs"), "demo_requests")
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    response = post_kpi(client, org, objective["id"], metric_key="demo_requests")

    assert response.status_code == 422
    assert "Unknown metric key" in response.get_json()["errors"]["metric_key"][0]


def test_a_sum_over_a_level_is_refused_last_and_avg_are_not(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    summed = post_kpi(client, org, objective["id"], metric_key="followers", aggregation="sum")

    assert summed.status_code == 422
    body = summed.get_json()
    assert body["errors"]["aggregation"][0].startswith("followers is a level: use last")
    assert body["detail"].startswith("followers is a level: use last")
    for aggregation in ("last", "avg"):
        made = post_kpi(
            client, org, objective["id"], metric_key="followers", aggregation=aggregation
        )
        assert made.status_code == 201, aggregation


def test_a_ratio_of_a_level_and_an_own_level_summed_are_refused(client, factory):
    org = factory.organisation()
    define(client, org, "subscribers", behaviour="level")
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])

    ratio = post_kpi(
        client,
        org,
        objective["id"],
        aggregation="ratio",
        numerator_key="engagements",
        denominator_key="followers",
        target=0.1,
    )
    own = post_kpi(client, org, objective["id"], metric_key="subscribers")  # sum by default

    assert ratio.status_code == 422
    assert ratio.get_json()["errors"]["aggregation"][0].startswith("followers is a level")
    assert own.status_code == 422
    assert own.get_json()["errors"]["aggregation"][0].startswith("subscribers is a level")


def test_changing_a_kpi_to_a_sum_over_a_level_is_refused(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])
    kpi = builders.kpi(
        client, org, objective["id"], metric_key="followers", aggregation="last", baseline=None
    )

    response = client.patch(
        org.url(f"/kpis/{kpi['id']}"), headers=org.headers, json={"aggregation": "sum"}
    )

    assert response.status_code == 422
    assert "aggregation" in response.get_json()["errors"]


def test_a_kpi_alerts_on_a_forecast_probability_between_0_and_1(client, factory):
    org = factory.organisation()
    objective = builders.objective(client, org, builders.strategy(client, org)["id"])
    kpi = builders.kpi(client, org, objective["id"])
    url = org.url(f"/kpis/{kpi['id']}")

    refused = client.patch(url, headers=org.headers, json={"forecast_alert_probability": 1.5})
    accepted = client.patch(url, headers=org.headers, json={"forecast_alert_probability": 0.4})
    cleared = client.patch(url, headers=org.headers, json={"forecast_alert_probability": None})

    assert refused.status_code == 422
    assert "forecast_alert_probability" in refused.get_json()["errors"]
    assert accepted.status_code == 200
    assert accepted.get_json()["forecast_alert_probability"] == 0.4
    assert cleared.get_json()["forecast_alert_probability"] is None
