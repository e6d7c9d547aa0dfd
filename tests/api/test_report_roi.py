"""The ROI report through the API, on figures computed by hand."""

import csv
import io

import pytest

from tests.api import builders
from tests.api.builders import ingest
from tests.factories import bearer

WINDOW = "from=2027-01-01&to=2027-12-31"


def roi(client, org, query=WINDOW, headers=None):
    return client.get(org.url(f"/reports/roi?{query}"), headers=headers or org.headers)


def report(client, org, query=WINDOW) -> dict:
    response = roi(client, org, query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def by_name(body) -> dict:
    return {row["name"]: row for row in body["campaigns"]}


@pytest.fixture
def world(client, factory):
    """Spring (budget 12,000, points, content items) and Summer (budget 2,000, nothing)."""
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org)
    spring = builders.campaign(
        client, org, strategy["id"], name="Spring", channel_ids=[channel["id"]]
    )
    summer = builders.campaign(
        client,
        org,
        strategy["id"],
        name="Summer",
        start_date="2027-06-01",
        end_date="2027-08-31",
        budget_amount=2000,
    )
    last_year = builders.strategy(
        client, org, period_start="2026-01-01", period_end="2026-12-31", name="2026"
    )
    builders.campaign(
        client,
        org,
        last_year["id"],
        name="Last year",
        start_date="2026-03-01",
        end_date="2026-04-30",
    )
    priced = builders.resource(client, org, name="Writer", hourly_cost=55)
    unpriced = builders.resource(client, org, name="Intern", hourly_cost=None)
    for owner, hours in ((priced["id"], 10), (unpriced["id"], 4), (None, 2)):
        builders.content_item(
            client, org, spring["id"], channel["id"], owner_id=owner, effort_hours=hours
        )
    cancelled = builders.content_item(
        client, org, spring["id"], channel["id"], owner_id=priced["id"], effort_hours=100
    )
    client.post(
        org.url(f"/content-items/{cancelled['id']}/transition"),
        headers=org.headers,
        json={"to": "cancelled"},
    )
    at = {"campaign_id": spring["id"]}
    ingest(
        client,
        org,
        [
            {"metric_key": "revenue", "day": "2027-03-10", "value": 20000, **at},
            {"metric_key": "revenue", "day": "2026-12-31", "value": 99999, **at},  # before
            {"metric_key": "leads", "day": "2027-03-10", "value": 30, **at},
            {"metric_key": "leads", "day": "2027-04-10", "value": 10, **at},
            {"metric_key": "conversions", "day": "2027-04-10", "value": 5, **at},
            {"metric_key": "engagements", "day": "2027-04-10", "value": 400, **at},
            {"metric_key": "revenue", "day": "2027-04-10", "value": 500},  # no campaign
        ],
    )
    return org, spring, summer


def test_roi_per_campaign_from_budget_points_and_people_time(client, world):
    org, spring, _ = world

    body = report(client, org, f"{WINDOW}&value_per_conversion=1000&value_per_lead=50")

    assert list(by_name(body)) == ["Spring", "Summer"]  # Last year is outside the window
    row = by_name(body)["Spring"]
    assert row["campaign_id"] == spring["id"]
    assert (row["cost"], row["cost_source"], row["cost_currency"]) == ("12000.00", "budget", "EUR")
    assert (row["people_cost"], row["priced_hours"]) == ("550.00", 10)  # cancelled item left out
    assert (row["unpriced_hours"], row["unpriced_items"]) == (6, 2)
    assert (row["revenue"], row["conversions"], row["leads"]) == ("20000.00", 5, 40)
    assert row["value"] == f"{20000 + 5 * 1000 + 40 * 50}.00"  # 27,000
    assert row["roi"] == pytest.approx((27000 - 12000) / 12000)
    assert row["roi_with_people_time"] == pytest.approx((27000 - 12550) / 12550)
    assert (row["cost_per_lead"], row["cost_per_engagement"]) == ("300.00", "30.00")
    assert row["roi_reason"] is None


def test_a_campaign_without_points_has_a_cost_and_null_ratios_with_reasons(client, world):
    org, _, _ = world

    row = by_name(report(client, org))["Summer"]

    assert row["cost"] == "2000.00"
    assert row["value"] is None and "no revenue points" in row["value_reason"]
    assert row["roi"] is None and row["roi_reason"].startswith("no value")
    assert row["cost_per_lead_reason"] == "no leads points in the window"
    assert (row["people_cost"], row["unpriced_hours"]) == ("0.00", 0)


def test_the_total_adds_up_the_campaigns(client, world):
    org, _, _ = world

    total = report(client, org, f"{WINDOW}&value_per_lead=50")["total"]

    assert (total["cost"], total["people_cost"], total["leads"]) == ("14000.00", "550.00", 40)
    assert total["value"] == f"{20000 + 40 * 50}.00"
    assert total["roi"] == pytest.approx((22000 - 14000) / 14000)


def test_inputs_say_which_defaults_were_used(client, world):
    org, _, _ = world

    inputs = report(client, org)["inputs"]

    assert inputs["from"] == "2027-01-01" and inputs["to"] == "2027-12-31"
    assert (inputs["value_per_conversion"], inputs["value_per_lead"]) == ("0.00", "0.00")
    assert inputs["currency"] == "EUR" and inputs["cost_metric_defined"] is False
    assert any(note.startswith("value_per_lead is 0") for note in inputs["notes"])


def test_cost_points_replace_the_budget_when_a_cost_metric_is_defined(client, world):
    org, spring, _ = world
    builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": "cost", "name": "Cost", "kind": "currency", "unit": "EUR"},
        )
    )
    at = {"campaign_id": spring["id"]}
    ingest(
        client,
        org,
        [
            {"metric_key": "cost", "day": "2027-03-01", "value": 3000, **at},
            {"metric_key": "cost", "day": "2027-04-01", "value": 1500, **at},
        ],
    )

    body = report(client, org)

    spring_row, summer_row = by_name(body)["Spring"], by_name(body)["Summer"]
    assert (spring_row["cost"], spring_row["cost_source"]) == ("4500.00", "cost_points")
    assert spring_row["roi"] == pytest.approx((20000 - 4500) / 4500)
    assert (summer_row["cost"], summer_row["cost_source"]) == ("2000.00", "budget")
    assert body["total"]["cost_source"] == "mixed"
    assert body["inputs"]["cost_metric_defined"] is True


def test_one_campaign(client, world):
    org, _, summer = world

    body = report(client, org, f"campaign_id={summer['id']}&{WINDOW}")

    assert [row["name"] for row in body["campaigns"]] == ["Summer"]
    assert body["total"]["cost"] == "2000.00"
    assert body["inputs"]["campaign_id"] == summer["id"]


def test_a_budget_in_another_currency_has_no_ratios(client, factory):
    org = factory.organisation()
    made = builders.campaign(
        client, org, builders.strategy(client, org)["id"], budget_currency="USD"
    )
    ingest(
        client,
        org,
        [{"metric_key": "revenue", "day": "2027-03-10", "value": 1, "campaign_id": made["id"]}],
    )

    body = report(client, org)

    assert body["campaigns"][0]["roi_reason"] == "the cost is in USD, the value in EUR"
    assert body["total"]["cost"] is None


def test_csv_has_a_row_per_campaign_and_a_total(client, world):
    org, _, _ = world

    response = client.get(
        org.url(f"/reports/roi?{WINDOW}"), headers={**org.headers, "Accept": "text/csv"}
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["name"] for row in rows] == ["Spring", "Summer", "Total"]
    assert rows[0]["cost"] == "12000.00" and rows[1]["roi"] == ""
    assert rows[2]["cost"] == "14000.00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2027-12-31&to=2027-01-01", "to"),
        ("from=2020-01-01&to=2027-12-31", "to"),
        (f"{WINDOW}&value_per_lead=-1", "value_per_lead"),
        (f"{WINDOW}&value_per_conversion=nan", "value_per_conversion"),
        ("from=2027-01-01", "to"),
        (f"{WINDOW}&campaign_id=not-a-uuid", "campaign_id"),
    ],
)
def test_bad_parameters_are_422(client, factory, query, field):
    org = factory.organisation()

    response = roi(client, org, query)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in str(response.get_json()["errors"])


def test_an_unknown_campaign_is_404(client, factory):
    org = factory.organisation()

    response = roi(client, org, f"campaign_id=00000000-0000-4000-8000-000000000000&{WINDOW}")

    assert response.status_code == 404


def test_an_analyst_can_read_it(client, factory, world):
    org, _, _ = world
    analyst = bearer(factory.member(org, "analyst"))

    response = roi(client, org, headers=analyst)

    assert response.status_code == 200
    assert len(response.get_json()["campaigns"]) == 2


def test_a_key_without_the_reports_scope_is_refused(client, factory):
    org = factory.organisation()
    key = bearer(factory.member(org, "owner", scopes=["metrics:read"]))

    assert roi(client, org, headers=key).status_code == 403


def test_roi_and_the_channel_report_charge_the_same_budget_to_a_window(client, factory):
    # 3,000 over March-May (92 days); April has 30 of them: 3,000 × 30 / 92 = 978.26.
    org = factory.organisation()
    channel = builders.channel(client, org)
    campaign = builders.campaign(
        client,
        org,
        builders.strategy(client, org)["id"],
        budget_amount=3000,
        channel_ids=[channel["id"]],
    )
    april = "from=2027-04-01&to=2027-04-30"

    [row] = report(client, org, april)["campaigns"]
    channels = client.get(org.url(f"/reports/channels?{april}"), headers=org.headers).get_json()

    assert (row["campaign_id"], row["cost_source"]) == (campaign["id"], "budget")
    assert row["cost"] == "978.26"
    assert row["budget_amount"] == "3000.00"  # the whole budget stays visible beside its part
    assert channels["channels"][0]["cost"] == row["cost"]
    assert channels["inputs"]["campaigns"][0]["budget_in_window"] == row["cost"]


def test_a_named_campaign_outside_the_window_costs_nothing_in_it(client, world):
    org, _, summer = world

    body = report(client, org, f"campaign_id={summer['id']}&from=2027-01-01&to=2027-03-31")

    [row] = body["campaigns"]
    assert (row["cost"], row["cost_source"], row["budget_amount"]) == ("0.00", "budget", "2000.00")


def test_notes_say_budgets_count_for_their_days_in_the_window(client, world):
    org, _, _ = world

    inputs = report(client, org)["inputs"]

    assert "budget × days in the window / days of the campaign" in inputs["cost_rule"]
    assert any("shares with the window" in note for note in inputs["notes"])
