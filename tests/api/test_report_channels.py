"""Channel comparison: per channel, by mode and family, comparisons, CSV and bad parameters."""

import csv
import io

import pytest

from tests.api import builders
from tests.api.builders import ingest
from tests.factories import bearer

WINDOW = "from=2027-03-01&to=2027-03-31"


def p(metric_key, value, channel=None, day="2027-03-10"):
    point = {"metric_key": metric_key, "day": day, "value": value}
    return point | ({"channel_id": channel["id"]} if channel else {})


def report(client, org, query=WINDOW, headers=None):
    response = client.get(org.url(f"/reports/channels?{query}"), headers=headers or org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def figures(row) -> dict:
    keys = ("reach", "engagements", "leads", "cost", "engagement_rate", "cost_per_lead")
    return {key: pytest.approx(row[key]) if row[key] is not None else None for key in keys}


@pytest.fixture
def org_with_channels(client, factory):
    """Four channels, two campaigns and a month of points; see the expected figures below."""
    org = factory.organisation()
    channels = {
        kind: builders.channel(client, org, kind=kind, name=kind.title())
        for kind in ("linkedin", "x", "email", "press")
    }
    strategy = builders.strategy(client, org)
    # 3,650 over 365 days on two channels: 310 in March, 155 per channel.
    yearly = builders.campaign(
        client,
        org,
        strategy["id"],
        name="Year round",
        start_date="2027-01-01",
        end_date="2027-12-31",
        budget_amount=3650,
        channel_ids=[channels["linkedin"]["id"], channels["email"]["id"]],
    )
    dollars = builders.campaign(
        client,
        org,
        strategy["id"],
        name="In dollars",
        start_date="2027-03-01",
        end_date="2027-03-31",
        budget_amount=1000,
        budget_currency="USD",
        channel_ids=[channels["x"]["id"]],
    )
    builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": "cost", "name": "Cost", "kind": "currency"},
        )
    )
    linkedin, x, email, press = (channels[k] for k in ("linkedin", "x", "email", "press"))
    ingest(
        client,
        org,
        [
            p("reach", 600, linkedin, "2027-03-02"),
            p("reach", 400, linkedin, "2027-03-03"),
            p("reach", 9999, linkedin, "2027-04-01"),  # after the window
            p("impressions", 5000, linkedin),  # reach wins over impressions
            p("engagements", 50, linkedin),
            p("leads", 5, linkedin),
            p("comments", 20, linkedin),
            p("impressions", 2000, x),
            p("engagements", 100, x),
            p("comments", 10, x),
            p("cost", 200, x),
            p("reach", 500, email),
            p("leads", 15, email),
            p("email_responses", 8, email),
            # Not a social channel: not a social reply. The email channel reports no
            # engagements, so its comments (a part of them) are its engagements.
            p("comments", 99, email),
            p("press_mentions", 4, press),
            p("blog_mentions", 6),  # no channel
            p("leads", 10),  # no channel
        ],
    )
    return org, channels, yearly, dollars


def test_each_channel_shows_reach_engagement_leads_and_cost(client, org_with_channels):
    org, channels, *_ = org_with_channels

    body = report(client, org)

    rows = {row["kind"]: row for row in body["channels"]}
    assert figures(rows["linkedin"]) == {
        "reach": 1000,
        "engagements": 50,
        "leads": 5,
        "cost": "155.00",
        "engagement_rate": 0.05,
        "cost_per_lead": "31.00",
    }
    assert figures(rows["x"]) == {
        "reach": 2000,
        "engagements": 100,
        "leads": 0,
        "cost": "200.00",
        "engagement_rate": 0.05,
        "cost_per_lead": None,
    }
    assert figures(rows["email"]) == {
        "reach": 500,
        "engagements": 99,
        "leads": 15,
        "cost": "155.00",
        "engagement_rate": pytest.approx(99 / 500),
        "cost_per_lead": "10.33",  # 155 / 15
    }
    assert rows["x"]["cost_per_lead_reason"] == "no leads in the window"
    assert rows["press"]["engagement_rate"] is None
    assert rows["press"]["engagement_rate_reason"] == "no reach or impressions in the window"
    assert rows["press"]["cost"] is None and rows["press"]["cost_per_lead_reason"].startswith(
        "no cost"
    )
    assert {k: (r["reach_metric"], r["cost_basis"]) for k, r in rows.items()} == {
        "linkedin": ("reach", "campaign_budgets"),
        "x": ("impressions", "cost_points"),
        "email": ("reach", "campaign_budgets"),
        "press": (None, None),
    }
    assert {k: r["engagement_metric"] for k, r in rows.items()} == {
        "linkedin": "engagements",  # its comments are a part of them: not added
        "x": "engagements",
        "email": "parts",
        "press": None,
    }
    assert {k: (r["mode"], r["family"]) for k, r in rows.items()} == {
        "linkedin": ("conversational", "social"),
        "x": ("conversational", "social"),
        "email": ("push", "traditional"),
        "press": ("push", "traditional"),
    }
    assert rows["linkedin"]["channel_id"] == channels["linkedin"]["id"]


def test_shares_of_total_engagements_and_leads(client, org_with_channels):
    org, *_ = org_with_channels

    rows = {row["kind"]: row for row in report(client, org)["channels"]}

    assert rows["linkedin"]["engagement_share"] == pytest.approx(50 / 249)
    assert rows["x"]["engagement_share"] == pytest.approx(100 / 249)
    assert rows["linkedin"]["lead_share"] == pytest.approx(0.25)
    assert rows["email"]["lead_share"] == pytest.approx(0.75)
    assert rows["press"]["lead_share"] == 0


def test_groups_by_mode_and_family_add_up_their_channels(client, org_with_channels):
    org, *_ = org_with_channels

    body = report(client, org)

    by_mode = {g["group"]: g for g in body["by_mode"]}
    by_family = {g["group"]: g for g in body["by_family"]}
    assert figures(by_mode["conversational"]) == {
        "reach": 3000,
        "engagements": 150,
        "leads": 5,
        "cost": "355.00",
        "engagement_rate": 0.05,
        "cost_per_lead": "71.00",
    }
    assert figures(by_mode["push"]) == figures(by_family["traditional"])
    assert by_mode["push"]["channels"] == 2 and by_mode["push"]["cost"] == "155.00"
    assert figures(body["total"]) == {
        "reach": 3500,
        "engagements": 249,
        "leads": 20,
        "cost": "510.00",
        "engagement_rate": pytest.approx(249 / 3500),
        "cost_per_lead": "25.50",
    }
    assert body["total"]["group"] == "all" and body["total"]["channels"] == 4


def test_traditional_and_social_comparisons(client, org_with_channels):
    org, *_ = org_with_channels

    comparisons = {c["name"]: c for c in report(client, org)["comparisons"]}

    assert comparisons["press_vs_blog_mentions"] == {
        "name": "press_vs_blog_mentions",
        "traditional_metric": "press_mentions",
        "traditional": 4,
        "social_metric": "blog_mentions",
        "social": 6,
        "social_per_traditional": 1.5,
        "social_per_traditional_reason": None,
    }
    replies = comparisons["email_responses_vs_social_replies"]
    assert (replies["traditional"], replies["social"]) == (8, 30)
    assert replies["social_per_traditional"] == pytest.approx(3.75)


def test_inputs_show_the_campaign_budgets_and_what_is_left_out(client, org_with_channels):
    org, _, yearly, dollars = org_with_channels

    body = report(client, org)

    assert body["from"] == "2027-03-01" and body["currency"] == "EUR"
    inputs = body["inputs"]
    assert inputs["campaigns"] == [
        {
            "campaign_id": yearly["id"],
            "name": "Year round",
            "budget_amount": "3650.00",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "channels": 2,
            "budget_in_window": "310.00",
        }
    ]
    assert inputs["campaigns_in_other_currencies"] == [dollars["id"]]
    assert inputs["unattributed"] == {"blog_mentions": 6, "leads": 10}
    assert "cost" in inputs["metric_keys"]


def test_an_organisation_without_data_gets_nulls_with_reasons(client, factory):
    org = factory.organisation()
    builders.channel(client, org)

    body = report(client, org)

    assert body["total"]["engagement_share"] is None
    assert body["total"]["engagement_share_reason"] == "no engagements in the window"
    assert body["channels"][0]["cost"] is None
    assert body["comparisons"][0]["social_per_traditional_reason"] == (
        "no press_mentions in the window"
    )


def test_csv_has_a_row_per_channel_group_and_total(client, org_with_channels):
    org, *_ = org_with_channels

    response = client.get(
        org.url(f"/reports/channels?{WINDOW}"), headers={**org.headers, "Accept": "text/csv"}
    )

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["level"] for r in rows] == ["channel"] * 4 + ["mode"] * 2 + ["family"] * 2 + ["total"]
    total = rows[-1]
    assert (total["leads"], total["cost"], total["cost_per_lead"]) == ("20.0", "510.00", "25.50")
    press = next(r for r in rows if r.get("kind") == "press")
    assert press["cost"] == "" and press["cost_per_lead_reason"].startswith("no cost")


def test_an_analyst_can_read_the_report(client, factory, org_with_channels):
    org, *_ = org_with_channels

    body = report(client, org, headers=bearer(factory.member(org, "analyst")))

    assert body["total"]["leads"] == 20


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2027-03-31&to=2027-03-01", "to"),
        ("from=2020-01-01&to=2025-12-31", "to"),
        ("to=2027-03-31", "from"),
        ("from=2027-03-01&to=someday", "to"),
    ],
)
def test_bad_parameters_are_422(client, factory, query, field):
    org = factory.organisation()

    response = client.get(org.url(f"/reports/channels?{query}"), headers=org.headers)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]


def test_another_organisations_data_is_not_counted(client, factory, org_with_channels):
    other = factory.organisation("Other")
    builders.channel(client, other)

    body = report(client, other)

    assert len(body["channels"]) == 1 and body["total"]["leads"] == 0
    assert body["inputs"]["campaigns"] == [] and body["inputs"]["unattributed"] == {}


def test_a_blog_channel_is_on_the_social_side_like_its_mentions(client, factory):
    org = factory.organisation()
    blog = builders.channel(client, org, kind="blog", name="Company blog")
    press = builders.channel(client, org, kind="press", name="Press office")
    ingest(
        client,
        org,
        [
            p("engagements", 30, blog),
            p("comments", 12, blog),
            p("blog_mentions", 6, blog),
            p("engagements", 10, press),
            p("press_mentions", 3, press),
        ],
    )

    body = report(client, org)

    assert blog["family"] == "social" and press["family"] == "traditional"
    rows = {row["kind"]: row for row in body["channels"]}
    assert (rows["blog"]["family"], rows["press"]["family"]) == ("social", "traditional")
    by_family = {g["group"]: g for g in body["by_family"]}
    assert (by_family["social"]["channels"], by_family["social"]["engagements"]) == (1, 30)
    assert by_family["traditional"]["engagements"] == 10
    comparisons = {c["name"]: c for c in body["comparisons"]}
    press_vs_blog = comparisons["press_vs_blog_mentions"]
    assert (press_vs_blog["traditional"], press_vs_blog["social"]) == (3, 6)
    # A blog's comments are replies on a social channel.
    assert comparisons["email_responses_vs_social_replies"]["social"] == 12
