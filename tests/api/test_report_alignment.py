"""The strategy alignment report through the API."""

import csv
import io
import uuid
from datetime import date

import pytest

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant, system_tenant
from api.domain.kpis.rollups import run_rollup
from api.domain.reports.alignment import alignment_report
from tests.api import builders
from tests.factories import bearer


def alignment(client, org, query, headers=None):
    return client.get(org.url(f"/reports/alignment?{query}"), headers=headers or org.headers)


def report(client, org, query) -> dict:
    response = alignment(client, org, query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def roll_up(factory, org):
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        run_rollup(uow=uow, full=True, today=date(2027, 12, 31))


@pytest.fixture
def world(client, factory):
    """Leads (priority 1): a KPI with data and the Spring campaign.
    Loyalty (priority 2): a KPI without data, no campaign. Awareness (3): nothing."""
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    leads = builders.objective(client, org, strategy["id"], title="Leads", priority=1)
    loyalty = builders.objective(
        client, org, strategy["id"], title="Loyalty", business_outcome="loyalty", priority=2
    )
    builders.objective(
        client, org, strategy["id"], title="Awareness", business_outcome="awareness", priority=3
    )
    leads_kpi = builders.kpi(client, org, leads["id"])
    builders.kpi(client, org, loyalty["id"], name="Churned", metric_key="churned_customers")
    spring = builders.campaign(client, org, strategy["id"], objective_ids=[leads["id"]])
    at = {"campaign_id": spring["id"]}
    response = client.post(
        org.url("/metric-points/batch?atomic=true"),
        headers=org.headers,
        json={
            "points": [
                {"metric_key": "leads", "day": "2027-03-10", "value": 30, **at},
                {"metric_key": "revenue", "day": "2027-03-10", "value": 15000, **at},
            ]
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    roll_up(factory, org)
    return org, strategy, spring, leads_kpi


def test_objectives_with_their_kpis_campaigns_and_flags(client, world):
    org, strategy, spring, leads_kpi = world

    body = report(client, org, f"strategy_id={strategy['id']}&value_per_lead=100")

    leads, loyalty, awareness = body["objectives"]
    assert [o["title"] for o in body["objectives"]] == ["Leads", "Loyalty", "Awareness"]
    [kpi] = leads["kpis"]
    assert kpi["kpi_id"] == leads_kpi["id"]
    # March has the data; December, the newest period rolled up, has none.
    assert (kpi["latest"]["period_start"], kpi["latest"]["actual"]) == ("2027-03-01", 30)
    assert (kpi["status"], kpi["has_data"]) == ("off_track", True)
    [campaign] = leads["campaigns"]
    assert campaign["campaign_id"] == spring["id"]
    assert (campaign["cost"], campaign["value"]) == ("12000.00", f"{15000 + 30 * 100}.00")
    assert campaign["roi"] == pytest.approx((18000 - 12000) / 12000)
    assert (leads["no_campaign"], leads["no_data"]) == (False, False)
    assert (loyalty["no_campaign"], loyalty["no_data"]) == (True, True)
    assert loyalty["kpis"][0]["has_data"] is False
    assert (awareness["kpis"], awareness["no_campaign"], awareness["no_data"]) == ([], True, True)
    assert (body["objectives_without_campaign"], body["objectives_without_data"]) == (2, 2)


@pytest.mark.parametrize(
    ("today", "complete"), [(date(2027, 3, 31), False), (date(2027, 4, 1), True)]
)
def test_a_kpi_s_latest_period_is_complete_once_it_has_ended(factory, world, today, complete):
    org, strategy, _, leads_kpi = world
    grant = Grant(org.id, "owner", ROLE_SCOPES["owner"])
    tenant = Tenant(org.id, Principal("api_key", {org.id: grant}), grant)

    with factory.uow() as uow:
        uow.open_for(tenant)
        found = alignment_report(uow=uow, strategy_id=uuid.UUID(strategy["id"]), today=today)

    [kpi] = found.objectives[0].kpis
    assert str(kpi.kpi.id) == leads_kpi["id"]
    assert (kpi.latest.period_start, kpi.complete) == (date(2027, 3, 1), complete)


def test_inputs_are_the_strategy_period_and_the_values_used(client, world):
    org, strategy, _, _ = world

    inputs = report(client, org, f"strategy_id={strategy['id']}")["inputs"]

    assert (inputs["from"], inputs["to"]) == ("2027-01-01", "2027-12-31")
    assert inputs["strategy_id"] == strategy["id"]
    assert inputs["value_per_lead"] == "0.00"
    assert any("value_per_lead is 0" in note for note in inputs["notes"])


def test_csv_lists_objectives_then_their_kpis_and_campaigns(client, world):
    org, strategy, spring, _ = world

    response = client.get(
        org.url(f"/reports/alignment?strategy_id={strategy['id']}"),
        headers={**org.headers, "Accept": "text/csv"},
    )

    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["objective"], r["line"]) for r in rows] == [
        ("Leads", "objective"),
        ("Leads", "kpi"),
        ("Leads", "campaign"),
        ("Loyalty", "objective"),
        ("Loyalty", "kpi"),
        ("Awareness", "objective"),
    ]
    assert rows[2]["id"] == spring["id"] and rows[2]["cost"] == "12000.00"
    assert rows[3]["no_campaign"] == "True"


def test_the_query_count_does_not_grow_with_the_objectives(client, factory, count_queries):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    url = org.url(f"/reports/alignment?strategy_id={strategy['id']}")

    def add_objective(n):
        objective = builders.objective(client, org, strategy["id"], title=f"O{n}")
        builders.kpi(client, org, objective["id"], name=f"K{n}")
        builders.campaign(
            client, org, strategy["id"], name=f"C{n}", objective_ids=[objective["id"]]
        )

    counts = []
    for size in (1, 5):
        while len(report(client, org, f"strategy_id={strategy['id']}")["objectives"]) < size:
            add_objective(size)
        roll_up(factory, org)
        with count_queries() as counter:
            assert client.get(url, headers=org.headers).status_code == 200
        counts.append(counter.count)

    assert counts[0] == counts[1]
    assert counts[1] <= 15


@pytest.mark.parametrize(
    "query",
    ["", "strategy_id=not-a-uuid", "strategy_id={strategy_id}&value_per_lead=-5"],
)
def test_bad_parameters_are_422(client, world, query):
    org, strategy, _, _ = world

    response = alignment(client, org, query.format(strategy_id=strategy["id"]))

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_an_unknown_strategy_is_404(client, factory):
    org = factory.organisation()

    response = alignment(client, org, "strategy_id=00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404


def test_an_analyst_can_read_it(client, factory, world):
    org, strategy, _, _ = world
    analyst = bearer(factory.member(org, "analyst"))

    response = alignment(client, org, f"strategy_id={strategy['id']}", headers=analyst)

    assert response.status_code == 200
