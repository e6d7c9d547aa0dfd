"""Causal lift through the API: points posted as a client would, against a counterfactual."""

from datetime import date, timedelta

import numpy as np
import pytest

from tests.api import builders
from tests.api.builders import ingest

INTERACTIONS = "customer_interactions"
PRE_FROM, FROM = date(2027, 1, 1), date(2027, 3, 1)  # 59 pre-period days
DAYS, EFFECT = 80, 20.0  # 21 days in the period
PERIOD = "from=2027-03-01&to=2027-03-21&pre_from=2027-01-01&pre_to=2027-02-28"


def report(client, org, query, headers=None):
    return client.get(org.url(f"/reports/causal-lift?{query}"), headers=headers or org.headers)


def reported(client, org, query) -> dict:
    response = report(client, org, query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def simulated(effect: float, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """A control channel's series and the campaign's, which follows it (plus ``effect``)."""
    rng = np.random.default_rng(seed)
    week = np.tile([0, 4, 6, 8, 6, -10, -14], DAYS // 7 + 1)[:DAYS]
    control = np.round(200 + np.cumsum(rng.normal(0, 3, DAYS)) + week)
    metric = np.round(50 + 0.8 * control + rng.normal(0, 3, DAYS))
    metric[(FROM - PRE_FROM).days :] += effect
    return control, metric


def points(values, **fields) -> list[dict]:
    return [
        {
            "metric_key": INTERACTIONS,
            "day": (PRE_FROM + timedelta(days=i)).isoformat(),
            "value": float(v),
            **fields,
        }
        for i, v in enumerate(values)
    ]


@pytest.fixture
def campaign_with_data(client, factory):
    """A campaign on LinkedIn with an injected effect; a blog it is not on, as the control."""
    org = factory.organisation()
    campaign, linkedin = builders.running_campaign(client, org)
    blog = builders.channel(client, org, kind="blog", name="Blog")
    control, metric = simulated(EFFECT)
    ingest(
        client,
        org,
        points(control, channel_id=blog["id"]) + points(metric, channel_id=linkedin["id"]),
    )
    return org, campaign, blog


def test_an_injected_effect_is_found_with_its_interval_and_probability(client, campaign_with_data):
    org, campaign, blog = campaign_with_data

    body = reported(client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}")

    assert body["verdict"] == "lift"
    assert body["absolute_lift_lower"] < EFFECT < body["absolute_lift_upper"]
    assert body["absolute_lift_lower"] > 0
    assert body["total_lift"] == pytest.approx(body["absolute_lift"] * 21)
    assert body["relative_lift_lower"] < body["relative_lift"] < body["relative_lift_upper"]
    assert body["probability"] > 0.95
    assert body["controls_default"] is True
    [control] = body["controls"]
    assert (control["kind"], control["name"], control["channel_id"]) == (
        "channel",
        "Blog",
        blog["id"],
    )
    assert control["correlation"] > 0.5
    assert len(body["days"]) == 80 and sum(d["in_period"] for d in body["days"]) == 21
    assert body["answer"].startswith(
        "Yes: customer interactions for the campaign Spring reseller push rose "
    )
    assert any("did not affect the controls" in a and "Blog" in a for a in body["assumptions"])
    assert body["pre_period"] == {"from": "2027-01-01", "to": "2027-02-28", "days": 59}


def test_a_channel_given_as_control_is_used_and_the_same_report_comes_twice(
    client, campaign_with_data
):
    org, campaign, blog = campaign_with_data
    query = f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}&controls={blog['id']}"

    first, again = reported(client, org, query), reported(client, org, query)

    assert first["controls_default"] is False
    assert [c["name"] for c in first["controls"]] == ["Blog"]
    assert first == again


def test_a_control_that_tracks_the_metric_badly_gives_nulls_with_the_reason(
    client, campaign_with_data
):
    org, campaign, _ = campaign_with_data
    rng = np.random.default_rng(3)
    ingest(client, org, points(rng.normal(100, 10, DAYS), metric_key="reach"))

    body = reported(
        client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}&controls=reach"
    )

    assert body["verdict"] == "not_enough_data"
    for name in ("absolute_lift", "relative_lift", "probability", "counterfactual"):
        assert body[name] is None
        assert "track the metric badly" in body[f"{name}_reason"]
    assert body["actual"] is not None
    assert body["answer"].startswith("Not enough to say")


def test_a_campaign_reads_its_channels_totals_not_its_own_points(client, factory):
    org = factory.organisation()
    campaign, linkedin = builders.running_campaign(client, org)
    blog = builders.channel(client, org, kind="blog", name="Blog")
    control, metric = simulated(0.0)
    ingest(
        client,
        org,
        points(control, channel_id=blog["id"])
        + points(metric, channel_id=linkedin["id"])
        # The campaign's own points, only while it runs: no pre-period of their own.
        + [
            {"metric_key": INTERACTIONS, "day": f"2027-03-{d:02}", "value": 500.0,
             "campaign_id": campaign["id"]}
            for d in range(1, 22)
        ],
    )  # fmt: skip

    body = reported(client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}")

    assert body["days"][0]["actual"] == metric[0]
    assert body["days"][-1]["actual"] == metric[-1]  # not + 500
    assert body["verdict"] == "no_clear_effect", body["answer"]
    assert body["answer"].startswith("Not clearly: customer interactions for the campaign")


def test_a_campaign_on_no_channel_gives_the_reason(client, factory):
    org = factory.organisation()
    campaign = builders.campaign(client, org, builders.strategy(client, org)["id"])

    body = reported(client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}")

    assert body["verdict"] == "not_enough_data"
    assert (
        body["absolute_lift_reason"]
        == "The campaign is on no channel: there is no series to compare."
    )


def test_a_short_pre_period_gives_nulls_with_the_reason(client, campaign_with_data):
    org, campaign, _ = campaign_with_data
    query = "from=2027-03-01&to=2027-03-21&pre_from=2027-02-10&pre_to=2027-02-28"

    body = reported(client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{query}")

    assert body["verdict"] == "not_enough_data"
    assert body["absolute_lift"] is None
    assert "pre-period has 19 days" in body["absolute_lift_reason"]


def test_too_few_days_with_data_give_nulls_with_the_reason(client, factory):
    org = factory.organisation()
    campaign, linkedin = builders.running_campaign(client, org)
    _, metric = simulated(EFFECT)
    sparse = [p for i, p in enumerate(points(metric, channel_id=linkedin["id"])) if i % 4 == 0]
    ingest(client, org, sparse)

    body = reported(client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}")

    assert body["verdict"] == "not_enough_data"
    assert body["probability"] is None
    assert body["probability_reason"].startswith("Too little data: points on 15 days")


def test_the_daily_series_comes_as_csv(client, campaign_with_data):
    org, campaign, _ = campaign_with_data
    headers = {**org.headers, "Accept": "text/csv"}

    response = report(
        client, org, f"metric={INTERACTIONS}&campaign_id={campaign['id']}&{PERIOD}", headers
    )

    lines = response.get_data(as_text=True).splitlines()
    assert response.mimetype == "text/csv"
    assert lines[0] == "day,in_period,actual,counterfactual,lower,upper"
    assert len(lines) == 1 + 80
    assert lines[1].startswith("2027-01-01,False,")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"metric={INTERACTIONS}&{PERIOD}", "campaign_id"),  # neither
        (f"metric=nope&channel_id={{channel}}&{PERIOD}", "metric"),
        (
            f"metric={INTERACTIONS}&channel_id={{channel}}&from=2027-03-01&to=2027-03-21"
            "&pre_from=2027-01-01&pre_to=2027-03-01",
            "pre_to",
        ),
        (
            f"metric={INTERACTIONS}&channel_id={{channel}}&from=2027-03-01&to=2027-03-21"
            "&pre_from=2027-01-01",
            "pre_to",
        ),
        (f"metric={INTERACTIONS}&channel_id={{channel}}&from=2027-03-01&to=2033-03-21", "to"),
        (
            f"metric={INTERACTIONS}&channel_id={{channel}}&{PERIOD}"
            + "".join(f"&controls=reach{i}" for i in range(6)),
            "controls",
        ),
        (f"metric={INTERACTIONS}&channel_id={{channel}}&{PERIOD}&controls={{channel}}", "controls"),
        (f"metric={INTERACTIONS}&channel_id={{channel}}&{PERIOD}&controls=nope", "controls"),
        (f"metric={INTERACTIONS}&channel_id={{channel}}&from=1970-01-10&to=1970-01-20", "from"),
    ],
)
def test_bad_parameters_are_refused(client, factory, query, field):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    query = query.format(channel=channel["id"])
    if field == "campaign_id" and "channel_id" not in query:
        both = f"{query}&campaign_id={campaign['id']}&channel_id={channel['id']}"
        assert report(client, org, both).status_code == 422

    response = report(client, org, query)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"], response.get_json()


def test_another_organisations_campaign_channel_or_control_is_not_found(client, factory):
    theirs = factory.organisation("Theirs")
    their_campaign, their_channel = builders.running_campaign(client, theirs)
    org = factory.organisation()
    _, channel = builders.running_campaign(client, org)

    for query in (
        f"campaign_id={their_campaign['id']}",
        f"channel_id={their_channel['id']}",
        f"channel_id={channel['id']}&controls={their_channel['id']}",
    ):
        response = report(client, org, f"metric={INTERACTIONS}&{PERIOD}&{query}")
        assert response.status_code == 404, query
    # Their token on our report.
    ours = report(client, org, f"metric={INTERACTIONS}&{PERIOD}&channel_id={channel['id']}")
    assert (
        report(client, org, ours.request.query_string.decode(), theirs.headers).status_code == 404
    )


def test_a_review_can_take_a_causal_lift_snapshot_of_its_window(client, campaign_with_data):
    org, campaign, _ = campaign_with_data
    url = org.url(f"/campaigns/{campaign['id']}")
    for _ in range(2):
        client.post(f"{url}/advance", headers=org.headers)
    asked = {
        "metric": INTERACTIONS,
        "from": "2027-03-01",
        "to": "2027-03-21",
        "pre_from": "2027-01-01",
        "pre_to": "2027-02-28",
    }

    made = client.post(
        f"{url}/reviews",
        headers=org.headers,
        json={"what_worked": "Webinars", "causal_lift": asked},
    )
    read = client.get(org.url(f"/reviews/{made.get_json()['id']}"), headers=org.headers)
    other = org.url(f"/campaigns/{builders.running_campaign(client, org)[0]['id']}")
    for _ in range(2):
        client.post(f"{other}/advance", headers=org.headers)
    plain = client.post(f"{other}/reviews", headers=org.headers, json={"what_worked": "-"})

    assert made.status_code == 201, made.get_data(as_text=True)
    snapshot = read.get_json()["causal_lift_snapshot"]
    assert snapshot["verdict"] == "lift"
    assert snapshot["absolute_lift"]["value"] > 0 and snapshot["absolute_lift"]["reason"] is None
    assert snapshot["period"] == {"start": "2027-03-01", "end": "2027-03-21"}
    assert snapshot["answer"].startswith("Yes: customer interactions for the campaign")
    assert "days" not in snapshot
    assert read.get_json()["kpi_snapshot"] == []
    assert plain.get_json()["causal_lift_snapshot"] is None


def test_a_review_asking_a_bad_causal_lift_is_refused_and_not_made(client, campaign_with_data):
    org, campaign, _ = campaign_with_data
    url = org.url(f"/campaigns/{campaign['id']}")
    for _ in range(2):
        client.post(f"{url}/advance", headers=org.headers)

    refused = client.post(
        f"{url}/reviews", headers=org.headers, json={"causal_lift": {"metric": "nope"}}
    )

    assert refused.status_code == 422
    assert "metric" in refused.get_json()["errors"]["causal_lift"]
    assert client.get(f"{url}/reviews", headers=org.headers).get_json()["items"] == []


def test_more_controls_run_no_more_statements(client, factory, count_queries):
    def statements(controls: int) -> tuple[int, int]:
        org = factory.organisation()
        target = builders.channel(client, org, name="Target")
        control, metric = simulated(EFFECT)
        made = []
        for n in range(controls):
            channel = builders.channel(client, org, kind="blog", name=f"Blog {n}")
            made += points(control + n, channel_id=channel["id"])
        ingest(client, org, made + points(metric, channel_id=target["id"]))
        query = f"metric={INTERACTIONS}&channel_id={target['id']}&{PERIOD}"
        with count_queries() as counter:
            body = reported(client, org, query)
        return counter.count, len(body["controls"])

    one, four = statements(1), statements(4)

    assert (one[1], four[1]) == (1, 4)
    assert one[0] == four[0]


def test_a_level_is_compared_a_day_and_never_totalled_over_days(client, factory):
    org = factory.organisation()
    page = builders.channel(client, org, name="Page")
    blog = builders.channel(client, org, kind="blog", name="Blog")
    control, metric = simulated(EFFECT)
    ingest(
        client,
        org,
        points(control + 1000, metric_key="followers", channel_id=blog["id"])
        + points(metric + 1000, metric_key="followers", channel_id=page["id"])[:-1],
    )
    query = f"metric=followers&channel_id={page['id']}&{PERIOD}"

    gap = reported(client, org, query)  # the last day unmeasured
    ingest(client, org, points(metric + 1000, metric_key="followers", channel_id=page["id"]))
    body = reported(client, org, query)

    assert gap["verdict"] == "not_enough_data"
    assert "days without data" in gap["absolute_lift_reason"]
    assert body["verdict"] == "lift"
    assert body["total_lift"] is None
    assert body["total_lift_reason"] == "a ratio or level does not add up over days"
    assert body["absolute_lift_lower"] < EFFECT < body["absolute_lift_upper"]
