"""Calendar feeds of the plan: made with a bearer token, read by calendar apps without one."""

from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar

from api.domain.base import utcnow
from tests.api import builders

ICS = "text/calendar; charset=utf-8"


def dated_campaign(client, org, **fields) -> tuple[dict, dict]:
    """A running campaign over the coming months (the feed shows twelve from this month)."""
    today = utcnow().date()
    channel = builders.channel(client, org)
    strategy = builders.strategy(
        client,
        org,
        period_start=today.replace(day=1).isoformat(),
        period_end=(today + timedelta(days=200)).isoformat(),
    )
    campaign = builders.campaign(
        client,
        org,
        strategy["id"],
        channel_ids=[channel["id"]],
        start_date=today.isoformat(),
        end_date=(today + timedelta(days=150)).isoformat(),
        **fields,
    )
    return campaign, channel


def due_in(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


def new_feed(client, org, headers=None, **fields) -> dict:
    return builders.created(
        client.post(
            org.url("/plan-feeds"),
            headers=headers or org.headers,
            json={"name": "Team calendar", **fields},
        )
    )


def path_of(feed: dict) -> str:
    return urlsplit(feed["feed_url"]).path


def calendar_of(client, feed: dict) -> Calendar:
    response = client.get(path_of(feed))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == ICS
    return Calendar.from_ical(response.get_data())


def titles(calendar: Calendar) -> list[str]:
    return sorted(str(event["SUMMARY"]) for event in calendar.walk("VEVENT"))


def test_a_new_feed_shows_its_address_once_and_it_opens_without_a_bearer(client, factory):
    org = factory.organisation("Acme Marketing")
    campaign, channel = dated_campaign(client, org)
    owner = builders.resource(client, org, name="Writer")
    item = builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="Case study, part 1; draft",
        due_date=due_in(10),
        owner_id=owner["id"],
    )

    response = client.post(
        org.url("/plan-feeds"), headers=org.headers, json={"name": "Team calendar"}
    )

    assert response.status_code == 201
    feed = response.get_json()
    assert feed["token"].startswith(f"clvfeed_{feed['prefix']}_")
    assert path_of(feed) == f"/v1/plan-feeds/{feed['token']}/plan.ics"
    assert response.headers["Location"].endswith(f"/plan-feeds/{feed['id']}")
    calendar = calendar_of(client, feed)  # no Authorization header
    assert str(calendar["X-WR-CALNAME"]) == "Acme Marketing: Team calendar"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{item['id']}@clover"
    assert str(event["SUMMARY"]) == "Case study, part 1; draft"
    assert "Owner: Writer" in str(event["DESCRIPTION"])
    assert "Channel: Company page" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith(org.url(f"/content-items/{item['id']}"))


def test_a_scheduled_item_is_at_its_time_and_an_undated_one_is_left_out(client, factory):
    org = factory.organisation()
    campaign, channel = dated_campaign(client, org)
    at = (utcnow() + timedelta(days=20)).replace(hour=8, minute=0, second=0, microsecond=0)
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="Timed",
        due_date=due_in(25),
        scheduled_at=at.isoformat(),
    )
    builders.content_item(client, org, campaign["id"], channel["id"], title="Undated")

    (event,) = calendar_of(client, new_feed(client, org)).walk("VEVENT")

    assert event.decoded("DTSTART") == at


def test_the_list_shows_prefixes_but_never_tokens(client, factory):
    org = factory.organisation()
    feed = new_feed(client, org)

    response = client.get(org.url("/plan-feeds"), headers=org.headers)
    one = client.get(org.url(f"/plan-feeds/{feed['id']}"), headers=org.headers)

    assert [f["prefix"] for f in response.get_json()["items"]] == [feed["prefix"]]
    for body in (response, one):
        assert feed["token"] not in body.get_data(as_text=True)
        assert "token" not in body.get_data(as_text=True)


def test_a_revoked_feed_is_the_same_404_as_an_unknown_or_malformed_token(client, factory):
    org = factory.organisation()
    feed = new_feed(client, org)
    calendar_of(client, feed)

    revoked = client.delete(org.url(f"/plan-feeds/{feed['id']}"), headers=org.headers)

    assert revoked.status_code == 204
    answers = [
        client.get(path_of(feed)),
        client.get(f"/v1/plan-feeds/clvfeed_{feed['prefix']}_{'x' * 43}/plan.ics"),
        client.get("/v1/plan-feeds/not-a-token/plan.ics"),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert {a.mimetype for a in answers} == {"application/problem+json"}
    assert len({a.get_json()["detail"] for a in answers}) == 1
    listed = client.get(org.url(f"/plan-feeds/{feed['id']}"), headers=org.headers).get_json()
    assert listed["revoked_at"] is not None


def test_a_feed_shows_only_its_own_organisations_items(client, factory):
    org = factory.organisation("First")
    other = factory.organisation("Second")
    for owner, title in ((org, "Ours"), (other, "Theirs")):
        campaign, channel = dated_campaign(client, owner)
        builders.content_item(
            client, owner, campaign["id"], channel["id"], title=title, due_date=due_in(5)
        )

    assert titles(calendar_of(client, new_feed(client, org))) == ["Ours"]
    assert titles(calendar_of(client, new_feed(client, other))) == ["Theirs"]


def test_a_feed_of_one_campaign_shows_only_its_items(client, factory):
    org = factory.organisation()
    first, channel = dated_campaign(client, org)
    second, other_channel = dated_campaign(client, org, name="Autumn push")
    builders.content_item(client, org, first["id"], channel["id"], title="A", due_date=due_in(3))
    builders.content_item(
        client, org, second["id"], other_channel["id"], title="B", due_date=due_in(4)
    )

    feed = new_feed(client, org, campaign_id=second["id"])

    assert feed["campaign_id"] == second["id"]
    assert titles(calendar_of(client, feed)) == ["B"]


def test_a_feed_cannot_name_another_organisations_campaign_channel_or_owner(client, factory):
    org = factory.organisation()
    other = factory.organisation("Second")
    campaign, channel = dated_campaign(client, other)
    owner = builders.resource(client, other)

    answers = [
        client.post(
            org.url("/plan-feeds"), headers=org.headers, json={"name": "Borrowed", field: value}
        )
        for field, value in (
            ("campaign_id", campaign["id"]),
            ("channel_id", channel["id"]),
            ("owner_id", owner["id"]),
        )
    ]

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert client.get(org.url("/plan-feeds"), headers=org.headers).get_json()["items"] == []


def test_another_organisation_cannot_see_or_revoke_a_feed(client, factory):
    org = factory.organisation()
    other = factory.organisation("Second")
    feed = new_feed(client, org)

    seen = client.get(org.url(f"/plan-feeds/{feed['id']}"), headers=other.headers)
    own_url = client.get(other.url(f"/plan-feeds/{feed['id']}"), headers=other.headers)
    revoked = client.delete(other.url(f"/plan-feeds/{feed['id']}"), headers=other.headers)

    assert [seen.status_code, own_url.status_code, revoked.status_code] == [404, 404, 404]
    assert client.get(path_of(feed)).status_code == 200


def test_a_feed_token_is_not_a_bearer_token(client, factory):
    org = factory.organisation()
    feed = new_feed(client, org)

    response = client.get(org.url("/plan"), headers={"Authorization": f"Bearer {feed['token']}"})

    assert response.status_code == 401


def test_a_feed_stops_when_the_member_who_made_it_leaves(client, factory):
    org = factory.organisation()
    member = builders.invited_member(client, org, "contributor")
    headers = {"Authorization": f"Bearer {member['api_key']['token']}"}
    feed = new_feed(client, org, headers=headers)
    calendar_of(client, feed)
    membership = builders.member_id(client, org, member["user"]["id"])

    left = client.delete(org.url(f"/members/{membership}"), headers=org.headers)

    assert left.status_code == 204
    assert client.get(path_of(feed)).status_code == 404
    listed = client.get(org.url(f"/plan-feeds/{feed['id']}"), headers=org.headers).get_json()
    assert listed["revoked_at"] is not None


def test_reading_needs_content_read_and_making_needs_content_write(client, factory):
    org = factory.organisation()
    analyst = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}
    new_feed(client, org)

    listed = client.get(org.url("/plan-feeds"), headers=analyst)
    made = client.post(org.url("/plan-feeds"), headers=analyst, json={"name": "Mine"})

    assert listed.status_code == 200
    assert made.status_code == 403


def test_reading_a_feed_records_when_it_was_last_used(client, factory):
    org = factory.organisation()
    feed = new_feed(client, org)
    assert feed["last_used_at"] is None

    calendar_of(client, feed)

    read = client.get(org.url(f"/plan-feeds/{feed['id']}"), headers=org.headers).get_json()
    assert read["last_used_at"] is not None


def test_an_unchanged_plan_answers_304_to_its_etag(client, factory):
    org = factory.organisation()
    campaign, channel = dated_campaign(client, org)
    builders.content_item(client, org, campaign["id"], channel["id"], due_date=due_in(2))
    feed = new_feed(client, org)
    first = client.get(path_of(feed))

    again = client.get(path_of(feed), headers={"If-None-Match": first.headers["ETag"]})
    builders.content_item(client, org, campaign["id"], channel["id"], due_date=due_in(3))
    changed = client.get(path_of(feed), headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert changed.status_code == 200


def test_a_feed_runs_as_many_queries_for_many_items_as_for_one(client, factory, count_queries):
    org = factory.organisation()
    campaign, channel = dated_campaign(client, org)
    builders.content_item(client, org, campaign["id"], channel["id"], due_date=due_in(1))
    feed = new_feed(client, org)
    client.get(path_of(feed))  # its last use recorded: not part of what is counted

    with count_queries() as one:
        client.get(path_of(feed))
    for n in range(4):
        builders.content_item(client, org, campaign["id"], channel["id"], due_date=due_in(n + 2))
    with count_queries() as five:
        body = client.get(path_of(feed)).get_data()

    assert len(Calendar.from_ical(body).walk("VEVENT")) == 5
    assert one.count == five.count


def test_a_replayed_create_does_not_show_the_token_again(client, factory):
    org = factory.organisation()
    headers = {**org.headers, "Idempotency-Key": "feed-1"}
    body = {"name": "Team calendar"}
    first = client.post(org.url("/plan-feeds"), headers=headers, json=body)

    replay = client.post(org.url("/plan-feeds"), headers=headers, json=body)

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert (replay.get_json()["token"], replay.get_json()["feed_url"]) == (None, None)
