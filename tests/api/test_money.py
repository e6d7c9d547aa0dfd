"""Money through the API: decimal strings with two places, ISO 4217 currencies."""

import csv
import io

import pytest

from tests.api import builders
from tests.api.test_bad_input import assert_problem
from tests.api.test_refused_input import count


@pytest.fixture
def org_and_strategy(client, factory):
    org = factory.organisation()
    return org, builders.strategy(client, org)


def post_campaign(client, org, strategy, **fields):
    body = {
        "strategy_id": strategy["id"],
        "name": "Priced",
        "start_date": "2027-03-01",
        "end_date": "2027-03-31",
        **fields,
    }
    return client.post(org.url("/campaigns"), headers=org.headers, json=body)


@pytest.mark.parametrize(
    ("given", "kept"),
    [("0.10", "0.10"), ("12000", "12000.00"), (12.5, "12.50"), ("7.500", "7.50"), (0, "0.00")],
)
def test_a_budget_is_read_from_a_string_or_a_number_and_written_with_two_places(
    client, org_and_strategy, given, kept
):
    org, strategy = org_and_strategy

    made = builders.campaign(client, org, strategy["id"], budget_amount=given)

    assert made["budget_amount"] == kept
    again = client.get(org.url(f"/campaigns/{made['id']}"), headers=org.headers).get_json()
    assert again["budget_amount"] == kept


@pytest.mark.parametrize(
    "amount",
    [
        "12.345",
        0.001,
        "-1",
        -0.5,
        "abc",
        "",
        "NaN",
        "Infinity",
        "1e13",
        "1e30",
        "-1e30",
        1e300,
        True,
    ],
)
def test_a_budget_with_more_than_two_places_or_out_of_range_is_422_and_writes_nothing(
    client, org_and_strategy, amount
):
    org, strategy = org_and_strategy

    response = post_campaign(client, org, strategy, budget_amount=amount)

    assert "budget_amount" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/campaigns") == 0


def test_an_hourly_cost_keeps_its_cents(client, factory):
    org = factory.organisation()

    made = builders.resource(client, org, hourly_cost="55.55")

    assert made["hourly_cost"] == "55.55"


def test_an_hourly_cost_above_a_million_is_422(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/resources"),
        headers=org.headers,
        json={"name": "Agency", "weekly_capacity_hours": 10, "hourly_cost": "1000000.01"},
    )

    assert "hourly_cost" in assert_problem(response, 422)["errors"]


def test_report_money_adds_up_to_the_cent(client, org_and_strategy):
    """0.10 + 0.20 is 0.30: with floats the total cost was 0.30000000000000004."""
    org, strategy = org_and_strategy
    for name, budget in (("Ten cents", "0.10"), ("Twenty cents", "0.20")):
        builders.campaign(client, org, strategy["id"], name=name, budget_amount=budget)

    response = client.get(
        org.url("/reports/roi?from=2027-01-01&to=2027-12-31"), headers=org.headers
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["total"]["cost"] == "0.30"


def test_people_cost_is_exact_hours_times_hourly_cost(client, org_and_strategy):
    org, strategy = org_and_strategy
    channel = builders.channel(client, org)
    campaign = builders.campaign(client, org, strategy["id"], channel_ids=[channel["id"]])
    writer = builders.resource(client, org, name="Writer", hourly_cost="0.10")
    for _ in range(3):
        builders.content_item(
            client, org, campaign["id"], channel["id"], owner_id=writer["id"], effort_hours=1
        )

    body = client.get(
        org.url("/reports/roi?from=2027-01-01&to=2027-12-31"), headers=org.headers
    ).get_json()

    assert body["campaigns"][0]["people_cost"] == "0.30"


def test_a_value_per_lead_with_more_than_two_places_is_422(client, factory):
    org = factory.organisation()

    response = client.get(
        org.url("/reports/roi?from=2027-01-01&to=2027-12-31&value_per_lead=0.005"),
        headers=org.headers,
    )

    assert "value_per_lead" in assert_problem(response, 422)["errors"]


def test_a_value_per_lead_is_read_from_the_query_as_a_decimal(client, factory):
    org = factory.organisation()

    response = client.get(
        org.url("/reports/roi?from=2027-01-01&to=2027-12-31&value_per_lead=0.1"),
        headers=org.headers,
    )

    assert response.get_json()["inputs"]["value_per_lead"] == "0.10"


@pytest.mark.parametrize("code", ["ABC", "XYZ", "EURO", "eur", "E1R"])
def test_a_campaign_budget_currency_outside_iso_4217_is_422(client, org_and_strategy, code):
    org, strategy = org_and_strategy

    response = post_campaign(client, org, strategy, budget_amount="10", budget_currency=code)

    assert "budget_currency" in assert_problem(response, 422)["errors"]
    assert count(client, org, "/campaigns") == 0


@pytest.mark.parametrize("code", ["JPY", "CHF", "GBP"])
def test_a_campaign_budget_currency_of_iso_4217_is_kept(client, org_and_strategy, code):
    org, strategy = org_and_strategy

    made = builders.campaign(client, org, strategy["id"], budget_currency=code)

    assert made["budget_currency"] == code


@pytest.mark.parametrize("code", ["ABC", "QQQ", "usd"])
def test_an_organisation_currency_outside_iso_4217_is_422_and_unchanged(client, factory, code):
    org = factory.organisation()

    response = client.patch(org.url(), headers=org.headers, json={"currency": code})

    assert "currency" in assert_problem(response, 422)["errors"]
    assert client.get(org.url(), headers=org.headers).get_json()["currency"] == "EUR"


def test_a_negative_amount_in_a_csv_export_stays_a_number(client, org_and_strategy):
    """Amounts are strings now; a leading minus must not be taken for a formula."""
    org, strategy = org_and_strategy
    campaign = builders.campaign(client, org, strategy["id"])
    point = {"metric_key": "revenue", "day": "2027-03-10", "value": -500.5}
    client.post(
        org.url("/metric-points/batch?atomic=true"),
        headers=org.headers,
        json={"points": [{**point, "campaign_id": campaign["id"]}]},
    )

    response = client.get(
        org.url("/reports/roi?from=2027-01-01&to=2027-12-31"),
        headers={**org.headers, "Accept": "text/csv"},
    )

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["revenue"] == "-500.50"


def test_a_pro_rated_budget_in_a_csv_export_is_written_to_the_cent(client, org_and_strategy):
    org, strategy = org_and_strategy
    builders.campaign(
        client, org, strategy["id"], budget_amount="3000", start_date="2027-03-01"
    )  # 92 days to 2027-05-31

    response = client.get(
        org.url("/reports/roi?from=2027-04-01&to=2027-04-30"),
        headers={**org.headers, "Accept": "text/csv"},
    )

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["cost"] == "978.26"  # 3000 × 30 / 92, as in the JSON body


def test_a_cost_per_lead_of_many_digits_is_written_to_the_cent(client, org_and_strategy):
    """A huge budget over a tiny lead count needs more than 28 digits at the cent."""
    org, strategy = org_and_strategy
    campaign = builders.campaign(client, org, strategy["id"], budget_amount="999999999999.99")
    point = {"metric_key": "leads", "day": "2027-03-10", "value": 1e-20}
    client.post(
        org.url("/metric-points/batch?atomic=true"),
        headers=org.headers,
        json={"points": [{**point, "campaign_id": campaign["id"]}]},
    )

    response = client.get(
        org.url("/reports/roi?from=2027-01-01&to=2027-12-31"), headers=org.headers
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert (
        response.get_json()["campaigns"][0]["cost_per_lead"] == "99999999999999" + "0" * 18 + ".00"
    )
