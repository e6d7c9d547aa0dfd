"""The audience × channel fit report through the API: figures by hand, nulls, CSV, bad input."""

import csv
import io
import uuid

import pytest

from tests.api import builders
from tests.api.builders import ingest

WINDOW = "from=2027-03-01&to=2027-03-31"
NO_RESULTS = (
    "no metric points of the strategy's campaigns for the audience on this channel in the window"
)


def fit(client, org, query, headers=None):
    url = org.url(f"/reports/audience-channel-fit?{query}")
    return client.get(url, headers=headers or org.headers)


def report(client, org, strategy_id, query=WINDOW) -> dict:
    response = fit(client, org, f"strategy_id={strategy_id}&{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def p(metric_key, value, campaign=None, channel=None, day="2027-03-10"):
    point = {"metric_key": metric_key, "day": day, "value": value}
    if campaign:
        point["campaign_id"] = campaign["id"]
    if channel:
        point["channel_id"] = channel["id"]
    return point


@pytest.fixture
def world(client, factory):
    """Two audiences × three channels, two campaigns of the strategy in March 2027.

    Partner push (March, 3,100, both audiences, LinkedIn + email): 775 per audience ×
    channel; items 4 h on LinkedIn and 6 h on email, halved per audience.
    Spring on X (17 March to 15 April, 3,000, Shoppers, X): 15 of its 30 days in March,
    so 1,500 and half of its 10 h.
    """
    org = factory.organisation()
    channels = {
        "linkedin": builders.channel(client, org, kind="linkedin", name="Company page"),
        "email": builders.channel(client, org, kind="email", name="Newsletter", handle=None),
        "x": builders.channel(client, org, kind="x", name="X account"),
    }
    partners = builders.audience(
        client,
        org,
        name="Partners",
        value_tier="strategic",
        channel_preferences={"linkedin": 0.9, "email": 0.7},
    )
    shoppers = builders.audience(
        client,
        org,
        name="Shoppers",
        kind="customers",
        value_tier="medium",
        channel_preferences={"x": 0.6, "email": 0.2, "linkedin": 0.2},
    )
    strategy = builders.strategy(client, org)
    push = builders.campaign(
        client,
        org,
        strategy["id"],
        name="Partner push",
        start_date="2027-03-01",
        end_date="2027-03-31",
        budget_amount=3100,
        audience_ids=[partners["id"], shoppers["id"]],
        channel_ids=[channels["linkedin"]["id"], channels["email"]["id"]],
    )
    spring = builders.campaign(
        client,
        org,
        strategy["id"],
        name="Spring on X",
        start_date="2027-03-17",
        end_date="2027-04-15",
        budget_amount=3000,
        audience_ids=[shoppers["id"]],
        channel_ids=[channels["x"]["id"]],
    )
    # Another strategy's campaign: not in this strategy's report.
    other = builders.campaign(
        client,
        org,
        builders.strategy(client, org, name="Other")["id"],
        name="Elsewhere",
        start_date="2027-03-01",
        end_date="2027-03-31",
        budget_amount=9999,
        audience_ids=[partners["id"]],
        channel_ids=[channels["x"]["id"]],
    )
    linkedin, email, x = channels["linkedin"], channels["email"], channels["x"]
    builders.content_item(client, org, push["id"], linkedin["id"], effort_hours=4)
    builders.content_item(client, org, push["id"], email["id"], effort_hours=6)
    builders.content_item(client, org, spring["id"], x["id"], effort_hours=10)
    builders.content_item(client, org, other["id"], x["id"], effort_hours=50)
    cancelled = builders.content_item(client, org, push["id"], linkedin["id"], effort_hours=100)
    response = client.post(
        org.url(f"/content-items/{cancelled['id']}/transition"),
        headers=org.headers,
        json={"to": "cancelled"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    ingest(
        client,
        org,
        [
            p("reach", 1000, push, linkedin),
            p("engagements", 50, push, linkedin),
            p("leads", 10, push, linkedin),
            p("reach", 999, push, linkedin, day="2027-04-02"),  # after the window
            p("reach", 400, push, email),
            p("leads", 4, push, email),
            p("reach", 2000, spring, x),
            p("engagements", 100, spring, x),
            p("reach", 7777, other, x),  # another strategy
            p("reach", 5555, None, linkedin),  # no campaign
        ],
    )
    return org, strategy, channels, partners, shoppers


def cells_of(body) -> dict:
    return {(c["audience"], c["kind"]): c for c in body["cells"]}


def test_spend_and_hours_are_split_over_audiences_and_channels(client, world):
    org, strategy, *_ = world

    cells = cells_of(report(client, org, strategy["id"]))

    assert {k: (c["spend"], c["hours"]) for k, c in cells.items()} == {
        ("Partners", "linkedin"): ("775.00", 2),
        ("Partners", "email"): ("775.00", 3),
        ("Partners", "x"): ("0.00", 0),
        ("Shoppers", "linkedin"): ("775.00", 2),
        ("Shoppers", "email"): ("775.00", 3),
        ("Shoppers", "x"): ("1500.00", 5),
    }


def test_the_audiences_show_their_value_and_totals(client, world):
    org, strategy, *_ = world

    body = report(client, org, strategy["id"])

    assert [
        (a["name"], a["value_tier"], a["value_weight"], a["spend"], a["hours"])
        for a in body["audiences"]
    ] == [
        ("Partners", "strategic", 1.0, "1550.00", 5),
        ("Shoppers", "medium", 0.5, "3050.00", 10),
    ]
    assert body["inputs"]["value_weights"] == {
        "low": 0.25,
        "medium": 0.5,
        "high": 0.75,
        "strategic": 1.0,
    }
    assert len(body["inputs"]["campaigns"]) == 2


def test_shares_and_fit_scores_follow_the_documented_formula(client, world):
    org, strategy, *_ = world

    cells = cells_of(report(client, org, strategy["id"]))

    # Partners: spend shares 0.5 / 0.5, hours shares 0.4 / 0.6; preferences 0.9 / 0.7.
    # Shoppers: spend 775, 775, 1500 of 3050; hours 2, 3, 5 of 10; preferences .2 .2 .6.
    expected = {
        ("Partners", "linkedin"): (0.9, 0.9 / 1.6, 0.45),
        ("Partners", "email"): (0.7, 0.7 / 1.6, 0.55),
        ("Shoppers", "linkedin"): (0.2, 0.2, (775 / 3050 + 0.2) / 2),
        ("Shoppers", "email"): (0.2, 0.2, (775 / 3050 + 0.3) / 2),
        ("Shoppers", "x"): (0.6, 0.6, (1500 / 3050 + 0.5) / 2),
    }
    for key, (preference, desired, effort) in expected.items():
        cell = cells[key]
        assert cell["preference"] == pytest.approx(preference), key
        assert cell["desired_share"] == pytest.approx(desired), key
        assert cell["effort_share"] == pytest.approx(effort), key
        assert cell["fit_score"] == pytest.approx(effort - desired), key


def test_a_channel_kind_without_a_stated_preference_has_no_fit(client, world):
    org, strategy, *_ = world

    cell = cells_of(report(client, org, strategy["id"]))[("Partners", "x")]

    reason = "the audience states no preference for x"
    assert (cell["preference"], cell["preference_reason"]) == (None, reason)
    assert (cell["desired_share"], cell["desired_share_reason"]) == (None, reason)
    assert (cell["fit_score"], cell["fit_score_reason"]) == (None, reason)
    assert cell["effort_share"] == 0  # its effort is elsewhere: a fact, not a gap


def test_results_are_the_campaigns_points_shared_among_their_audiences(client, world):
    org, strategy, *_ = world

    cells = cells_of(report(client, org, strategy["id"]))

    keys = ("reach", "engagements", "leads", "engagement_rate", "cost_per_lead")
    assert {k: tuple(c[key] for key in keys) for k, c in cells.items()} == {
        ("Partners", "linkedin"): (500, 25, 5, 0.05, "155.00"),
        ("Partners", "email"): (200, 0, 2, 0, "387.50"),
        ("Partners", "x"): (None, None, None, None, None),
        ("Shoppers", "linkedin"): (500, 25, 5, 0.05, "155.00"),
        ("Shoppers", "email"): (200, 0, 2, 0, "387.50"),
        ("Shoppers", "x"): (2000, 100, 0, 0.05, None),
    }
    assert cells[("Shoppers", "x")]["cost_per_lead_reason"] == "no leads in the window"
    nothing = cells[("Partners", "x")]
    assert {nothing[f"{key}_reason"] for key in keys} == {NO_RESULTS}


def test_mismatches_rank_gaps_by_value_in_plain_words(client, world):
    org, strategy, channels, partners, shoppers = world

    body = report(client, org, strategy["id"])

    ranked = [(m["audience_id"], m["channel_id"]) for m in body["mismatches"]]
    assert ranked == [
        (partners["id"], channels["linkedin"]["id"]),  # |−0.1125| × 1
        (partners["id"], channels["email"]["id"]),  # |+0.1125| × 1, then by channel name
        (shoppers["id"], channels["x"]["id"]),
        (shoppers["id"], channels["email"]["id"]),
        (shoppers["id"], channels["linkedin"]["id"]),
    ]
    assert [m["weight"] for m in body["mismatches"]][:2] == [pytest.approx(0.1125)] * 2
    assert body["mismatches"][0]["answer"] == (
        "Partners, your highest-value audience, prefer linkedin (0.9) and email (0.7); "
        "45 % of your effort for them goes to Company page (linkedin), where their "
        "preferences ask for 56 %."
    )
    assert body["mismatches"][2]["answer"].startswith(
        "Shoppers, a medium-value audience, prefer x (0.6) and email (0.2); 50 % of your "
        "effort for them goes to X account (x)"
    )


def test_an_audience_without_effort_has_no_effort_share(client, factory):
    org = factory.organisation()
    builders.channel(client, org, kind="linkedin", name="Company page")
    builders.audience(client, org, name="Lurkers", channel_preferences={"linkedin": 1.0})
    strategy = builders.strategy(client, org)

    body = report(client, org, strategy["id"])

    [cell] = body["cells"]
    assert cell["desired_share"] == 1.0
    assert (cell["effort_share"], cell["fit_score"]) == (None, None)
    assert cell["fit_score_reason"] == "no spend and no hours for the audience in the window"
    assert body["mismatches"] == []


def test_the_csv_has_a_row_per_cell(client, world):
    org, strategy, *_ = world

    response = fit(
        client,
        org,
        f"strategy_id={strategy['id']}&{WINDOW}",
        headers=org.headers | {"Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 6
    linkedin = next(r for r in rows if (r["audience"], r["kind"]) == ("Partners", "linkedin"))
    assert (linkedin["spend"], linkedin["cost_per_lead"], linkedin["reach"]) == (
        "775.00",
        "155.00",
        "500.0",
    )
    x = next(r for r in rows if (r["audience"], r["kind"]) == ("Partners", "x"))
    assert (x["fit_score"], x["fit_score_reason"]) == (
        "",
        "the audience states no preference for x",
    )


@pytest.mark.parametrize(
    "query",
    [
        WINDOW,  # no strategy
        "strategy_id=not-a-uuid&" + WINDOW,
        "strategy_id={id}&from=2027-03-01",
        "strategy_id={id}&from=2027-03-31&to=2027-03-01",
        "strategy_id={id}&from=2027-02-30&to=2027-03-01",
        "strategy_id={id}&from=2020-01-01&to=2027-03-01",  # more than 5 years
    ],
)
def test_bad_parameters_are_422(client, factory, query):
    org = factory.organisation()
    strategy = builders.strategy(client, org)

    response = fit(client, org, query.format(id=strategy["id"]))

    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_an_unknown_strategy_is_404(client, factory):
    org = factory.organisation()

    response = fit(client, org, f"strategy_id={uuid.uuid4()}&{WINDOW}")

    assert response.status_code == 404


def test_another_organisations_strategy_is_404(client, factory, world):
    _, strategy, *_ = world
    other = factory.organisation("Second")

    response = fit(client, other, f"strategy_id={strategy['id']}&{WINDOW}")

    assert response.status_code == 404


def test_another_organisations_token_is_404(client, factory, world):
    org, strategy, *_ = world
    other = factory.organisation("Second")

    response = fit(client, org, f"strategy_id={strategy['id']}&{WINDOW}", headers=other.headers)

    assert response.status_code == 404


def test_the_query_count_does_not_grow_with_audiences_channels_or_campaigns(
    client, world, count_queries
):
    org, strategy, *_ = world
    query = f"strategy_id={strategy['id']}&{WINDOW}"
    fit(client, org, query)
    with count_queries() as few:
        fit(client, org, query)

    for n in range(3):
        channel = builders.channel(client, org, kind="blog", name=f"Blog {n}", handle=None)
        audience = builders.audience(client, org, name=f"Audience {n}")
        made = builders.campaign(
            client,
            org,
            strategy["id"],
            name=f"More {n}",
            start_date="2027-03-01",
            end_date="2027-03-31",
            audience_ids=[audience["id"]],
            channel_ids=[channel["id"]],
        )
        builders.content_item(client, org, made["id"], channel["id"], effort_hours=1)
    with count_queries() as many:
        body = report(client, org, strategy["id"])

    assert len(body["cells"]) == 5 * 6
    assert many.count == few.count


def test_campaigns_without_audience_or_in_another_currency_are_listed_not_counted(client, world):
    org, strategy, channels, partners, _ = world
    alone = builders.campaign(
        client,
        org,
        strategy["id"],
        name="For nobody",
        start_date="2027-03-01",
        end_date="2027-03-31",
        budget_amount=5000,
        channel_ids=[channels["x"]["id"]],
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
        audience_ids=[partners["id"]],
        channel_ids=[channels["x"]["id"]],
    )
    builders.content_item(client, org, dollars["id"], channels["x"]["id"], effort_hours=2)

    body = report(client, org, strategy["id"])

    assert body["inputs"]["campaigns_without_audience"] == [alone["id"]]
    assert body["inputs"]["campaigns_in_other_currencies"] == [dollars["id"]]
    cell = cells_of(body)[("Partners", "x")]
    assert (cell["spend"], cell["hours"]) == ("0.00", 2)  # its hours count, not its dollars
    assert cells_of(body)[("Shoppers", "x")]["spend"] == "1500.00"
