"""Funnel: stage totals and conversion rates, overall, per channel and per campaign (UTM)."""

import csv
import io

import pytest

from tests.api import builders
from tests.api.builders import ingest
from tests.factories import Factory, bearer
from tests.helpers import embedded_app

MARCH = "from=2027-03-01&to=2027-03-31"
FUNNEL = ("awareness", "engagement", "lead", "customer", "advocacy")


def p(metric_key, value, day="2027-03-02", **fields):
    return {"metric_key": metric_key, "day": day, "value": value, **fields}


def funnel(client, org, query, headers=None):
    return client.get(org.url(f"/reports/funnel?{query}"), headers=headers or org.headers)


def funnelled(client, org, query, headers=None) -> dict:
    response = funnel(client, org, query, headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def totals(f) -> dict[str, float]:
    return {stage["stage"]: stage["total"] for stage in f["stages"]}


def rates(f) -> dict[str, float | None]:
    return {c["from_stage"]: c["rate"] for c in f["conversions"]}


def define(client, org, key, kind, stage):
    builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": key, "name": key, "kind": kind, "funnel_stage": stage},
        )
    )


def test_stages_add_up_their_count_metrics_and_convert_into_the_next(client, factory):
    org = factory.organisation()
    define(client, org, "demo_requests", "count", "lead")
    define(client, org, "deal_value", "currency", "customer")
    ingest(
        client,
        org,
        [
            p("impressions", 9000),
            p("reach", 1000, day="2027-03-31"),
            p("engagements", 300),
            p("customer_interactions", 100, source="import"),
            p("leads", 15),
            p("demo_requests", 5),
            p("conversions", 4),
            p("revenue", 50000),  # currency: not a count, left out
            p("deal_value", 70000),  # the organisation's currency metric, left out too
            p("leads", 1000, day="2027-04-01"),  # after the window
        ],
    )

    body = funnelled(client, org, MARCH)

    assert totals(body["funnel"]) == {
        "awareness": 9000,  # reach is part of impressions: the people among those views
        "engagement": 400,
        "lead": 20,
        "customer": 4,
        "advocacy": 0,
    }
    assert rates(body["funnel"]) == {
        "awareness": pytest.approx(400 / 9000),
        "engagement": 0.05,
        "lead": 0.2,
        "customer": 0,
    }
    lead = body["funnel"]["stages"][2]
    assert lead["metrics"] == [
        {"key": "leads", "total": 15, "counted": 15},
        {"key": "demo_requests", "total": 5, "counted": 5},
    ]
    inputs = {s["stage"]: s["metric_keys"] for s in body["stage_metrics"]}
    assert inputs["lead"] == ["leads", "demo_requests"]
    assert "revenue" not in inputs["customer"] and "deal_value" not in inputs["customer"]
    assert "customer_interactions" in inputs["engagement"]
    assert (body["from"], body["to"], body["days"]) == ("2027-03-01", "2027-03-31", 31)


def stage(f, name) -> dict:
    return next(s for s in f["stages"] if s["stage"] == name)


def counted(f, name) -> dict[str, tuple[float, float]]:
    return {m["key"]: (m["total"], m["counted"]) for m in stage(f, name)["metrics"]}


@pytest.fixture
def levels_and_parts(client, factory):
    """Hand-computed March: followers (a level) over several days on two channels, engagements
    with their parts, churn and support tickets, and another organisation's points."""
    org = factory.organisation()
    linkedin = builders.channel(client, org, name="LinkedIn page")["id"]
    mastodon = builders.channel(client, org, kind="mastodon", name="Mastodon")["id"]
    ingest(
        client,
        org,
        [
            # followers: LinkedIn's latest is 1200, Mastodon's 450 → 1650 (summed daily: 4150)
            p("followers", 1000, "2027-03-01", channel_id=linkedin),
            p("followers", 1100, "2027-03-15", channel_id=linkedin),
            p("followers", 1200, "2027-03-31", channel_id=linkedin),
            p("followers", 5000, "2027-04-01", channel_id=linkedin),  # after the window
            p("followers", 9999, "2027-02-28", channel_id=mastodon),  # before it
            p("followers", 400, "2027-03-01", channel_id=mastodon),
            p("followers", 450, "2027-03-20", channel_id=mastodon),
            # impressions 8000 + 2000; reach is their part where they are, counts alone
            p("impressions", 5000, "2027-03-01", channel_id=linkedin),
            p("impressions", 3000, "2027-03-15", channel_id=linkedin),
            p("impressions", 2000, "2027-03-15", channel_id=mastodon),
            p("reach", 4000, "2027-03-15", channel_id=linkedin),
            p("reach", 300, "2027-03-15"),  # of no channel: no impressions there
            # LinkedIn: engagements with their parts → 600; Mastodon: only parts → 50
            p("engagements", 400, "2027-03-01", channel_id=linkedin),
            p("engagements", 200, "2027-03-02", channel_id=linkedin),
            p("clicks", 300, channel_id=linkedin),
            p("shares", 100, channel_id=linkedin),
            p("comments", 50, channel_id=linkedin),
            p("clicks", 40, channel_id=mastodon),
            p("shares", 10, channel_id=mastodon),
            p("email_opens", 25),
            p("leads", 30, channel_id=linkedin),
            p("leads", 5, channel_id=mastodon),
            p("conversions", 6, channel_id=linkedin),
            # active customers, a level: 210 is the latest
            p("active_customers", 200, "2027-03-01"),
            p("active_customers", 210, "2027-03-30"),
            p("churned_customers", 7),
            p("support_tickets", 12),
        ],
    )
    theirs = factory.organisation("Theirs")
    # A later day of another organisation's level must not hide this one's latest.
    ingest(
        client,
        theirs,
        [p("active_customers", 99999, "2027-03-31"), p("followers", 5, "2027-03-31")],
    )
    return org, linkedin, mastodon


def test_each_stage_counts_levels_once_and_parts_within_their_parent(client, levels_and_parts):
    org, _, _ = levels_and_parts

    body = funnelled(client, org, MARCH)

    f = body["funnel"]
    assert totals(f) == {
        "awareness": 10000 + 300 + 1200 + 450,
        "engagement": 600 + 40 + 10 + 25,
        "lead": 35,
        "customer": 6 + 210,
        "advocacy": 0,
    }
    assert counted(f, "awareness") == {
        "impressions": (10000, 10000),
        "reach": (4300, 300),
        "followers": (1650, 1650),
    }
    assert counted(f, "engagement") == {
        "engagements": (600, 600),
        "clicks": (340, 40),
        "shares": (110, 10),
        "comments": (50, 0),
        "email_opens": (25, 25),
    }
    assert counted(f, "customer") == {"conversions": (6, 6), "active_customers": (210, 210)}
    assert rates(f)["awareness"] == pytest.approx(675 / 11950)
    inputs = {s["stage"]: s for s in body["stage_metrics"]}
    assert inputs["awareness"]["level_keys"] == ["followers"]
    assert inputs["awareness"]["part_of"] == {"reach": "impressions"}
    assert inputs["engagement"]["part_of"] == {
        "clicks": "engagements",
        "shares": "engagements",
        "comments": "engagements",
    }


def test_per_channel_levels_are_each_channels_latest_and_add_up_to_the_funnel(
    client, levels_and_parts
):
    org, linkedin, mastodon = levels_and_parts

    body = funnelled(client, org, MARCH)

    rows = {row["channel_id"]: row["funnel"] for row in body["by_channel"]}
    assert totals(rows[linkedin])["awareness"] == 8000 + 1200
    assert totals(rows[mastodon])["awareness"] == 2000 + 450
    assert totals(rows[linkedin])["engagement"] == 600
    assert totals(rows[mastodon])["engagement"] == 50  # only parts: they count
    assert totals(rows[None])["awareness"] == 300
    for name in FUNNEL:
        assert totals(body["funnel"])[name] == sum(totals(r)[name] for r in rows.values())
    only_linkedin = funnelled(client, org, f"{MARCH}&channel_id={linkedin}")
    assert counted(only_linkedin["funnel"], "awareness")["followers"] == (1200, 1200)


def test_churn_is_reported_as_loss_beside_the_stages_not_as_advocacy(client, levels_and_parts):
    org, _, _ = levels_and_parts

    body = funnelled(client, org, MARCH)

    assert stage(body["funnel"], "advocacy") == {"stage": "advocacy", "total": 0, "metrics": []}
    assert body["funnel"]["churn"] == {
        "churned_customers": 7,
        "active_customers": 210,
        "rate": pytest.approx(7 / 210),
        "reason": None,
    }
    keys = {key for s in body["stage_metrics"] for key in s["metric_keys"]}
    assert not {"churned_customers", "support_tickets"} & keys


def test_churn_without_active_customers_has_no_rate_and_a_reason(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("churned_customers", 3)])

    churn = funnelled(client, org, MARCH)["funnel"]["churn"]

    assert (churn["churned_customers"], churn["rate"]) == (3, None)
    assert churn["reason"] == "no active customers in the window"


def test_an_organisations_own_level_and_part_count_as_such(client, factory):
    org = factory.organisation()
    for key, stage_name, extra in (
        ("subscribers", "awareness", {"behaviour": "level"}),
        ("referrals", "advocacy", {}),
        ("referral_signups", "advocacy", {"part_of": "referrals"}),
    ):
        builders.created(
            client.post(
                org.url("/metric-definitions"),
                headers=org.headers,
                json={"key": key, "name": key, "funnel_stage": stage_name, **extra},
            )
        )
    ingest(
        client,
        org,
        [
            p("subscribers", 50, "2027-03-01"),
            p("subscribers", 70, "2027-03-10"),
            p("referrals", 9),
            p("referral_signups", 4),
        ],
    )

    f = funnelled(client, org, MARCH)["funnel"]

    assert totals(f)["awareness"] == 70
    assert totals(f)["advocacy"] == 9


def test_a_conversion_from_an_empty_stage_is_null_with_a_reason(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("leads", 3)])

    body = funnelled(client, org, MARCH)

    first = body["funnel"]["conversions"][0]
    assert (first["from_stage"], first["to_stage"]) == ("awareness", "engagement")
    assert (first["rate"], first["reason"]) == (None, "the awareness stage total is 0")
    assert body["by_channel"][0]["channel_id"] is None


def test_per_channel_leads_are_traced_to_the_interactions_before_them(client, factory):
    org = factory.organisation()
    linkedin = builders.channel(client, org, name="LinkedIn page")
    newsletter = builders.channel(client, org, kind="newsletter", name="Newsletter")
    ingest(
        client,
        org,
        [
            p("impressions", 2000, channel_id=linkedin["id"]),
            p("engagements", 200, channel_id=linkedin["id"]),
            p("leads", 10, channel_id=linkedin["id"]),
            p("email_sends", 1000, channel_id=newsletter["id"]),
            p("email_opens", 250, channel_id=newsletter["id"]),
            p("leads", 5, channel_id=newsletter["id"]),
            p("leads", 1),  # of no channel
        ],
    )

    body = funnelled(client, org, MARCH)

    rows = {row["name"]: row for row in body["by_channel"]}
    assert list(rows) == ["LinkedIn page", "Newsletter", None]
    social = rows["LinkedIn page"]
    assert (social["channel_id"], social["kind"], social["mode"], social["family"]) == (
        linkedin["id"],
        "linkedin",
        "conversational",
        "social",
    )
    assert rates(social["funnel"])["engagement"] == 0.05
    assert rates(rows["Newsletter"]["funnel"])["engagement"] == 0.02
    assert rows["Newsletter"]["family"] == "traditional"
    assert totals(rows[None]["funnel"])["lead"] == 1
    for stage in ("awareness", "engagement", "lead"):
        assert totals(body["funnel"])[stage] == sum(
            totals(row["funnel"])[stage] for row in body["by_channel"]
        )


def test_per_campaign_rows_carry_the_utm_code_to_join_lead_data_on(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org, utm_campaign="spring27")
    other = builders.campaign(client, org, campaign["strategy_id"], name="Autumn")
    ingest(
        client,
        org,
        [
            p("clicks", 80, campaign_id=campaign["id"], channel_id=channel["id"]),
            p("leads", 8, campaign_id=campaign["id"], channel_id=channel["id"]),
            p("leads", 2, campaign_id=other["id"]),
            p("reach", 500),
        ],
    )

    body = funnelled(client, org, MARCH)

    by_utm = {row["utm_campaign"]: row for row in body["by_campaign"]}
    assert list(by_utm) == ["autumn", "spring27", None]
    spring = by_utm["spring27"]
    assert (spring["campaign_id"], spring["name"]) == (campaign["id"], "Spring reseller push")
    assert totals(spring["funnel"])["lead"] == 8
    assert rates(spring["funnel"])["engagement"] == 0.1
    assert totals(by_utm[None]["funnel"])["awareness"] == 500
    assert sum(totals(row["funnel"])["lead"] for row in body["by_campaign"]) == 10


def test_a_campaign_or_a_channel_narrows_every_view(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ingest(
        client,
        org,
        [
            p("leads", 8, campaign_id=campaign["id"], channel_id=channel["id"]),
            p("leads", 3, campaign_id=campaign["id"]),
            p("leads", 100),
        ],
    )

    of_campaign = funnelled(client, org, f"{MARCH}&campaign_id={campaign['id']}")
    both = funnelled(
        client, org, f"{MARCH}&campaign_id={campaign['id']}&channel_id={channel['id']}"
    )

    assert totals(of_campaign["funnel"])["lead"] == 11
    assert [row["campaign_id"] for row in of_campaign["by_campaign"]] == [campaign["id"]]
    assert [row["channel_id"] for row in of_campaign["by_channel"]] == [channel["id"], None]
    assert totals(both["funnel"])["lead"] == 8
    assert (both["campaign_id"], both["channel_id"]) == (campaign["id"], channel["id"])


def test_funnel_as_csv_has_a_row_per_stage_and_view(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ingest(client, org, [p("reach", 100, campaign_id=campaign["id"], channel_id=channel["id"])])

    response = funnel(client, org, MARCH, {**org.headers, "Accept": "text/csv"})

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["view"] for r in rows] == ["total"] * 5 + ["channel"] * 5 + ["campaign"] * 5
    assert rows[0]["stage"] == "awareness" and float(rows[0]["total"]) == 100
    assert rows[0]["rate_to_next_stage"] == "0.0"
    assert rows[1]["rate_reason"] == "the engagement stage total is 0"
    assert rows[5]["channel_name"] == "Company page"
    assert rows[10]["utm_campaign"] == campaign["utm_campaign"]


def test_an_analyst_can_read_the_funnel(client, factory):
    org = factory.organisation()
    analyst = bearer(factory.member(org, "analyst"))

    assert funnel(client, org, MARCH, analyst).status_code == 200


def test_an_inverted_window_is_refused(client, factory):
    org = factory.organisation()

    response = funnel(client, org, "from=2027-03-10&to=2027-03-01")

    assert response.status_code == 422
    assert "to" in response.get_json()["errors"]


def test_a_window_over_five_years_is_refused(client, factory):
    org = factory.organisation()

    assert funnel(client, org, "from=2020-01-01&to=2027-01-01").status_code == 422


def test_a_missing_window_is_refused(client, factory):
    org = factory.organisation()

    assert funnel(client, org, "from=2027-01-01").status_code == 422


def test_another_organisations_campaign_or_channel_is_not_found(client, factory):
    theirs = factory.organisation("Theirs")
    campaign, channel = builders.running_campaign(client, theirs)
    org = factory.organisation()

    for query in (f"campaign_id={campaign['id']}", f"channel_id={channel['id']}"):
        assert funnel(client, org, f"{MARCH}&{query}").status_code == 404, query


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    with embedded_app(tmp_path_factory.mktemp("funnel")) as app:
        yield app, Factory(app.extensions["clover"].database)


def test_on_sqlite_the_funnel_is_the_same(embedded):
    app, sqlite_factory = embedded
    client = app.test_client()
    org = sqlite_factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ingest(
        client,
        org,
        [
            p("clicks", 80, campaign_id=campaign["id"], channel_id=channel["id"]),
            p("leads", 4),
            p("followers", 100, "2027-03-01", channel_id=channel["id"]),
            p("followers", 120, "2027-03-09", channel_id=channel["id"]),
            p("followers", 30, "2027-03-05"),
        ],
    )

    body = funnelled(client, org, MARCH)

    assert totals(body["funnel"])["awareness"] == 120 + 30  # each channel's latest
    assert rates(body["funnel"])["engagement"] == 0.05
    assert [row["channel_id"] for row in body["by_channel"]] == [channel["id"], None]
    assert [row["utm_campaign"] for row in body["by_campaign"]] == [campaign["utm_campaign"], None]


def test_levels_and_parts_add_no_query_per_channel_or_campaign(client, factory, count_queries):
    def queries(org) -> int:
        with count_queries() as counter:
            funnelled(client, org, MARCH)
        return counter.count

    small, big = factory.organisation("Small"), factory.organisation("Big")
    for org, channels in ((small, 1), (big, 4)):
        for n in range(channels):
            channel = builders.channel(client, org, name=f"C{n}")["id"]
            ingest(
                client,
                org,
                [
                    p("followers", 100 + n, "2027-03-01", channel_id=channel),
                    p("followers", 120 + n, "2027-03-09", channel_id=channel),
                    p("engagements", 10, channel_id=channel),
                    p("clicks", 4, channel_id=channel),
                ],
            )

    assert queries(big) == queries(small)
