"""Mentions: sentiment, batches, external ids, filters, and the metric points they derive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from rq import Queue
from sqlalchemy import select

from api.domain.metrics.models import MetricPoint
from api.domain.metrics.rollup_requests import ROLLUP_JOB
from tests.api import builders
from tests.factories import Factory, bearer
from tests.helpers import embedded_app

POSITIVE = "Love the new Acme drill, it is fantastic!"
NEGATIVE = "Acme support is terrible, worst service ever."
NEUTRAL = "Acme opens a store in Utrecht on Tuesday."


def mention(client, org, channel_id, **fields) -> dict:
    body = {"channel_id": channel_id, "text": NEUTRAL, "posted_at": "2027-03-01T10:00:00Z"}
    return builders.created(
        client.post(org.url("/mentions"), headers=org.headers, json={**body, **fields})
    )


def batch(client, org, mentions, headers=None, **fields):
    return client.post(
        org.url("/mentions/batch"),
        headers=headers or org.headers,
        json={"mentions": mentions, **fields},
    )


def derived(database, org) -> dict[tuple[str, str, str], float]:
    """The organisation's derived points: (metric key, day, channel id) → value."""
    with database.session() as session:
        rows = session.execute(
            select(
                MetricPoint.metric_key, MetricPoint.day, MetricPoint.channel_id, MetricPoint.value
            ).where(MetricPoint.organisation_id == org.id, MetricPoint.source == "derived")
        )
        return {(key, day.isoformat(), str(channel)): value for key, day, channel, value in rows}


def points_of(org):
    return select(MetricPoint).where(MetricPoint.organisation_id == org.id)


def texts(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(m["text"] for m in response.get_json()["items"])


@pytest.fixture
def org(factory):
    return factory.organisation()


@pytest.fixture
def channel(client, org):
    return builders.channel(client, org)


# Creating one


def test_a_new_mention_gets_its_sentiment_from_its_text(client, org, channel):
    response = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "external_id": "urn:li:share:1",
            "author": "Pia Prospect",
            "text": POSITIVE,
            "url": "https://www.linkedin.com/feed/update/urn:li:share:1",
            "posted_at": "2027-03-01T10:00:00+01:00",
        },
    )

    assert response.status_code == 201
    made = response.get_json()
    assert made["sentiment_score"] > 0.5
    assert made["sentiment_label"] == "positive"
    assert made["topic"] == "company"
    assert made["posted_at"].startswith("2027-03-01T09:00:00")
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/mentions/{made['id']}")


def test_a_negative_mention_is_labelled_negative(client, org, channel):
    made = mention(client, org, channel["id"], text=NEGATIVE)

    assert made["sentiment_score"] < -0.5
    assert made["sentiment_label"] == "negative"


def test_a_supplied_score_is_kept_and_labelled(client, org, channel):
    made = mention(client, org, channel["id"], text=POSITIVE, sentiment_score=-0.2)

    assert made["sentiment_score"] == -0.2
    assert made["sentiment_label"] == "negative"


def test_scores_outside_minus_one_to_one_are_refused(client, org, channel):
    response = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "text": "x",
            "posted_at": "2027-03-01T10:00:00Z",
            "sentiment_score": 1.5,
        },
    )

    assert response.status_code == 422
    assert "sentiment_score" in response.get_json()["errors"]


def test_unknown_fields_are_refused(client, org, channel):
    response = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "text": "x",
            "posted_at": "2027-03-01T10:00:00Z",
            "sentiment_label": "positive",
        },
    )

    assert response.status_code == 422
    assert "sentiment_label" in response.get_json()["errors"]


def test_sending_an_external_id_again_updates_that_mention(client, org, channel):
    first = mention(client, org, channel["id"], external_id="post-7", text=POSITIVE)

    again = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "external_id": "post-7",
            "text": NEGATIVE,
            "posted_at": "2027-03-01T10:00:00Z",
        },
    )

    assert again.status_code == 200
    body = again.get_json()
    assert body["id"] == first["id"]
    assert body["sentiment_label"] == "negative"
    assert body["version"] == 2
    listed = client.get(org.url("/mentions"), headers=org.headers).get_json()["items"]
    assert [m["id"] for m in listed] == [first["id"]]


def test_the_same_external_id_on_another_channel_is_another_mention(client, org, channel):
    blog = builders.channel(client, org, kind="blog", name="Blog")
    first = mention(client, org, channel["id"], external_id="42")

    second = mention(client, org, blog["id"], external_id="42")

    assert second["id"] != first["id"]


def test_another_organisations_channel_is_not_found(client, factory, org):
    other = factory.organisation("Other")
    theirs = builders.channel(client, other)

    response = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={"channel_id": theirs["id"], "text": "x", "posted_at": "2027-03-01T10:00:00Z"},
    )

    assert response.status_code == 404
    assert client.get(other.url("/mentions"), headers=other.headers).get_json()["items"] == []


def test_an_analyst_reads_but_cannot_record_mentions(client, factory, org, channel):
    analyst = bearer(factory.member(org, "analyst"))
    made = mention(client, org, channel["id"])

    refused = client.post(
        org.url("/mentions"),
        headers=analyst,
        json={"channel_id": channel["id"], "text": "x", "posted_at": "2027-03-01T10:00:00Z"},
    )
    refused_batch = batch(client, org, [{"channel_id": channel["id"]}], headers=analyst)
    refused_patch = client.patch(
        org.url(f"/mentions/{made['id']}"), headers=analyst, json={"topic": "industry"}
    )

    assert [r.status_code for r in (refused, refused_batch, refused_patch)] == [403, 403, 403]
    assert client.get(org.url(f"/mentions/{made['id']}"), headers=analyst).status_code == 200


def test_a_contributor_records_mentions(client, factory, org, channel):
    contributor = bearer(factory.member(org, "contributor"))

    response = client.post(
        org.url("/mentions"),
        headers=contributor,
        json={"channel_id": channel["id"], "text": "x", "posted_at": "2027-03-01T10:00:00Z"},
    )

    assert response.status_code == 201


# Batches


def test_a_batch_writes_the_valid_mentions_and_rejects_the_others_by_index(
    client, factory, org, channel
):
    theirs = builders.channel(client, factory.organisation("Other"))
    ok = {"channel_id": channel["id"], "text": POSITIVE, "posted_at": "2027-03-01T10:00:00Z"}

    response = batch(
        client,
        org,
        [
            ok,
            {**ok, "text": ""},
            {**ok, "topic": "weather"},
            {**ok, "channel_id": theirs["id"]},
            {**ok, "channel_id": str(uuid.uuid4())},
            {key: value for key, value in ok.items() if key != "channel_id"},
            "not a mention",
            {**ok, "text": NEGATIVE, "topic": "competitor", "sentiment_score": 0.9},
        ],
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["inserted"], body["updated"]) == (2, 0)
    assert [(a["index"], a["outcome"]) for a in body["accepted"]] == [
        (0, "inserted"),
        (7, "inserted"),
    ]
    rejected = {r["index"]: r for r in body["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6]
    assert "text" in rejected[1]["errors"]
    assert "topic" in rejected[2]["errors"]
    assert rejected[3]["reason"] == f"channel {theirs['id']} not found"
    assert "channel_id" in rejected[5]["errors"]
    stored = client.get(org.url(f"/mentions/{body['accepted'][1]['id']}"), headers=org.headers)
    assert stored.get_json()["sentiment_score"] == 0.9
    assert stored.get_json()["topic"] == "competitor"


def test_a_batch_channel_applies_to_items_that_name_none(client, org, channel):
    response = batch(
        client,
        org,
        [{"text": "one", "posted_at": "2027-03-01T10:00:00Z"}],
        channel_id=channel["id"],
    )

    made = response.get_json()["accepted"][0]
    stored = client.get(org.url(f"/mentions/{made['id']}"), headers=org.headers).get_json()
    assert stored["channel_id"] == channel["id"]


def test_a_batch_for_another_organisations_channel_is_not_found(client, factory, org):
    theirs = builders.channel(client, factory.organisation("Other"))

    response = batch(
        client,
        org,
        [{"text": "one", "posted_at": "2027-03-01T10:00:00Z"}],
        channel_id=theirs["id"],
    )

    assert response.status_code == 404


def test_a_batch_updates_known_external_ids_and_applies_repeats_in_order(client, org, channel):
    known = mention(client, org, channel["id"], external_id="a", text=POSITIVE)
    at = "2027-03-01T10:00:00Z"

    body = batch(
        client,
        org,
        [
            {"external_id": "a", "text": NEGATIVE, "posted_at": at},
            {"external_id": "b", "text": "first", "posted_at": at},
            {"external_id": "b", "text": "second", "posted_at": at, "topic": "industry"},
        ],
        channel_id=channel["id"],
    ).get_json()

    assert (body["inserted"], body["updated"]) == (1, 2)
    assert [a["outcome"] for a in body["accepted"]] == ["updated", "inserted", "updated"]
    assert body["accepted"][0]["id"] == known["id"]
    assert body["accepted"][1]["id"] == body["accepted"][2]["id"]
    b = client.get(org.url(f"/mentions/{body['accepted'][2]['id']}"), headers=org.headers)
    assert (b.get_json()["text"], b.get_json()["topic"]) == ("second", "industry")
    a = client.get(org.url(f"/mentions/{known['id']}"), headers=org.headers).get_json()
    assert a["sentiment_label"] == "negative"


def test_a_batch_holds_at_most_1000_mentions(client, org, channel):
    item = {"text": "x", "posted_at": "2027-03-01T10:00:00Z"}

    response = batch(client, org, [item] * 1001, channel_id=channel["id"])

    assert response.status_code == 422
    assert "mentions" in response.get_json()["errors"]


def test_a_full_batch_of_1000_is_written(client, org, channel, database):
    items = [
        {
            "external_id": str(n),
            "text": f"Acme is great, says customer {n}",
            "posted_at": f"2027-03-{1 + n % 10:02d}T10:00:00Z",
        }
        for n in range(1000)
    ]

    body = batch(client, org, items, channel_id=channel["id"]).get_json()

    assert body["inserted"] == 1000
    points = derived(database, org)
    assert sum(v for (key, _, _), v in points.items() if key == "mentions") == 1000


# Listing


@pytest.fixture
def listed(client, org, channel):
    blog = builders.channel(client, org, kind="blog", name="Blog")
    mention(client, org, channel["id"], text=POSITIVE, posted_at="2027-03-01T08:00:00Z")
    mention(client, org, channel["id"], text=NEGATIVE, posted_at="2027-03-02T08:00:00Z")
    later = "2027-03-03T08:00:00Z"
    mention(client, org, blog["id"], text="100% off_road fun", topic="industry", posted_at=later)
    mention(client, org, blog["id"], text="Rival Corp grows", topic="competitor", posted_at=later)
    return blog


def test_mentions_filter_by_channel_topic_and_sentiment(client, org, channel, listed):
    def get(query):
        return texts(client.get(org.url(f"/mentions?{query}"), headers=org.headers))

    assert get(f"channel_id={channel['id']}") == sorted([POSITIVE, NEGATIVE])
    assert get("topic=competitor") == ["Rival Corp grows"]
    assert get("sentiment_label=negative") == [NEGATIVE]
    assert get(f"sentiment_label=negative&channel_id={listed['id']}") == []


def test_mentions_filter_by_posted_time(client, org, channel, listed):
    response = client.get(
        org.url("/mentions"),
        headers=org.headers,
        query_string={
            "posted_from": "2027-03-01T08:00:00Z",
            "posted_to": "2027-03-02T08:00:00Z",
        },
    )

    assert texts(response) == [POSITIVE]


def test_text_search_ignores_case_and_takes_wildcards_literally(client, org, channel, listed):
    def search(q):
        return texts(client.get(org.url("/mentions"), headers=org.headers, query_string={"q": q}))

    assert search("ACME") == sorted([POSITIVE, NEGATIVE])
    assert search("100%") == ["100% off_road fun"]
    assert search("f_r") == ["100% off_road fun"]
    assert search("%") == ["100% off_road fun"]
    assert search("_") == ["100% off_road fun"]
    assert search("Acme%drill") == []


def test_mentions_are_listed_newest_first_in_cursor_pages(client, org, channel):
    made = [mention(client, org, channel["id"], text=f"m{n}")["id"] for n in range(3)]

    first = client.get(org.url("/mentions?limit=2"), headers=org.headers).get_json()
    second = client.get(
        org.url("/mentions"),
        headers=org.headers,
        query_string={"limit": 2, "cursor": first["next_cursor"]},
    ).get_json()

    assert [m["id"] for m in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None


def test_a_bigger_page_runs_no_more_queries(client, org, channel, count_queries):
    for n in range(4):
        mention(client, org, channel["id"], text=f"m{n}")

    counts = []
    for limit in (1, 4):
        with count_queries() as counter:
            response = client.get(org.url(f"/mentions?limit={limit}"), headers=org.headers)
        assert len(response.get_json()["items"]) == limit
        counts.append(counter.count)

    assert counts[0] == counts[1]


# Corrections


def test_a_correction_is_versioned(client, org, channel):
    made = mention(client, org, channel["id"])
    url = org.url(f"/mentions/{made['id']}")

    updated = client.patch(url, headers={**org.headers, "If-Match": '"1"'}, json={"author": "A"})
    stale = client.patch(url, headers={**org.headers, "If-Match": '"1"'}, json={"author": "B"})

    assert updated.status_code == 200
    assert updated.headers["ETag"] == '"2"'
    assert stale.status_code == 412


def test_a_new_text_is_scored_again_unless_a_score_comes_with_it(client, org, channel):
    made = mention(client, org, channel["id"], text=POSITIVE)
    url = org.url(f"/mentions/{made['id']}")

    rescored = client.patch(url, headers=org.headers, json={"text": NEGATIVE}).get_json()
    given = client.patch(
        url, headers=org.headers, json={"text": POSITIVE, "sentiment_score": -0.1}
    ).get_json()
    kept = client.patch(url, headers=org.headers, json={"topic": "industry"}).get_json()
    recomputed = client.patch(url, headers=org.headers, json={"sentiment_score": None}).get_json()

    assert rescored["sentiment_label"] == "negative"
    assert (given["sentiment_score"], given["sentiment_label"]) == (-0.1, "negative")
    assert kept["sentiment_score"] == -0.1
    assert recomputed["sentiment_label"] == "positive"


def test_channel_and_external_id_cannot_be_changed(client, org, channel):
    made = mention(client, org, channel["id"])

    response = client.patch(
        org.url(f"/mentions/{made['id']}"), headers=org.headers, json={"external_id": "x"}
    )

    assert response.status_code == 422


# Derived metric points


def test_mentions_derive_daily_points_per_channel(client, org, channel, database):
    blog = builders.channel(client, org, kind="blog", name="Blog")
    c, b = channel["id"], blog["id"]
    mention(client, org, c, text=POSITIVE, sentiment_score=0.8, posted_at="2027-03-01T08:00:00Z")
    # 23:30 in New York on 1 March is 2 March in UTC.
    mention(client, org, c, sentiment_score=-0.2, posted_at="2027-03-01T23:30:00-05:00")
    mention(client, org, c, sentiment_score=0.4, posted_at="2027-03-01T20:00:00Z")
    mention(client, org, c, topic="competitor", posted_at="2027-03-01T09:00:00Z")
    mention(client, org, b, topic="industry", posted_at="2027-03-01T09:00:00Z")
    mention(client, org, b, topic="industry", posted_at="2027-03-01T10:00:00Z")

    assert derived(database, org) == {
        ("mentions", "2027-03-01", c): 2,
        ("sentiment_score_sum", "2027-03-01", c): pytest.approx(1.2),
        ("competitor_mentions", "2027-03-01", c): 1,
        ("industry_mentions", "2027-03-01", c): 0,
        ("mentions", "2027-03-02", c): 1,
        ("sentiment_score_sum", "2027-03-02", c): pytest.approx(-0.2),
        ("competitor_mentions", "2027-03-02", c): 0,
        ("industry_mentions", "2027-03-02", c): 0,
        ("mentions", "2027-03-01", b): 0,
        ("sentiment_score_sum", "2027-03-01", b): 0,
        ("competitor_mentions", "2027-03-01", b): 0,
        ("industry_mentions", "2027-03-01", b): 2,
    }


def test_derived_points_have_no_campaign_or_content_item(client, org, channel, database):
    mention(client, org, channel["id"])

    with database.session() as session:
        points = session.scalars(points_of(org)).all()

    assert len(points) == 4
    assert {(p.source, p.campaign_id, p.content_item_id) for p in points} == {
        ("derived", None, None)
    }
    assert {p.dimensions for p in points} == {f"{channel['id']}||"}


def test_a_topic_correction_moves_the_counts(client, org, channel, database):
    c = channel["id"]
    made = mention(client, org, c, sentiment_score=0.5)
    mention(client, org, c, sentiment_score=0.25)

    client.patch(
        org.url(f"/mentions/{made['id']}"), headers=org.headers, json={"topic": "competitor"}
    )

    points = derived(database, org)
    assert points[("mentions", "2027-03-01", c)] == 1
    assert points[("sentiment_score_sum", "2027-03-01", c)] == pytest.approx(0.25)
    assert points[("competitor_mentions", "2027-03-01", c)] == 1


def test_moving_the_only_mention_of_a_day_zeroes_that_day(client, org, channel, database):
    c = channel["id"]
    made = mention(client, org, c, sentiment_score=0.5, posted_at="2027-03-01T10:00:00Z")

    client.patch(
        org.url(f"/mentions/{made['id']}"),
        headers=org.headers,
        json={"posted_at": "2027-03-04T10:00:00Z"},
    )

    points = derived(database, org)
    assert points[("mentions", "2027-03-01", c)] == 0
    assert points[("sentiment_score_sum", "2027-03-01", c)] == 0
    assert points[("mentions", "2027-03-04", c)] == 1
    assert points[("sentiment_score_sum", "2027-03-04", c)] == 0.5


def test_an_external_id_resent_on_another_day_moves_its_count(client, org, channel, database):
    c = channel["id"]
    mention(client, org, c, external_id="x", posted_at="2027-03-01T10:00:00Z")

    batch(
        client,
        org,
        [{"external_id": "x", "text": "again", "posted_at": "2027-03-02T10:00:00Z"}],
        channel_id=c,
    )

    points = derived(database, org)
    assert (points[("mentions", "2027-03-01", c)], points[("mentions", "2027-03-02", c)]) == (0, 1)


def test_a_change_that_moves_no_number_leaves_the_points_untouched(client, org, channel, database):
    made = mention(client, org, channel["id"], sentiment_score=0.5)
    with database.session() as session:
        before = {p.id: p.updated_at for p in session.scalars(points_of(org))}

    client.patch(org.url(f"/mentions/{made['id']}"), headers=org.headers, json={"author": "Zed"})

    with database.session() as session:
        after = {p.id: p.updated_at for p in session.scalars(points_of(org))}
    assert after == before


def test_mentions_ask_for_a_kpi_rollup(client, org, channel, empty_queues):
    mention(client, org, channel["id"])

    queued = Queue("rollups", connection=empty_queues).get_jobs()
    asked = [job.args for job in queued if job.func_name == ROLLUP_JOB]
    assert asked == [(str(org.id),)]


def test_points_of_other_organisations_are_left_alone(client, factory, org, channel, database):
    other = factory.organisation("Other")
    theirs = builders.channel(client, other)
    mention(client, other, theirs["id"])

    mention(client, org, channel["id"])

    assert derived(database, other)[("mentions", "2027-03-01", theirs["id"])] == 1
    assert {k[2] for k in derived(database, org)} == {channel["id"]}


# The embedded default: the same statements on SQLite


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    with embedded_app(tmp_path_factory.mktemp("mentions")) as app:
        yield app


def test_derived_points_on_sqlite(sqlite_app):
    client = sqlite_app.test_client()
    database = sqlite_app.extensions["clover"].database
    org = Factory(database).organisation()
    c = builders.channel(client, org)["id"]
    made = mention(client, org, c, sentiment_score=0.5, posted_at="2027-03-01T23:30:00Z")
    mention(client, org, c, topic="industry", posted_at="2027-03-01T10:00:00+02:00")
    found = client.get(org.url("/mentions"), headers=org.headers, query_string={"q": "UTRECHT"})

    client.patch(
        org.url(f"/mentions/{made['id']}"),
        headers=org.headers,
        json={"posted_at": "2027-03-02T00:30:00Z", "topic": "company"},
    )

    assert len(found.get_json()["items"]) == 2
    points = derived(database, org)
    assert points[("mentions", "2027-03-01", c)] == 0
    assert points[("industry_mentions", "2027-03-01", c)] == 1
    assert points[("mentions", "2027-03-02", c)] == 1
    assert points[("sentiment_score_sum", "2027-03-02", c)] == 0.5
    with database.session() as session:
        ids = [p.id for p in session.scalars(points_of(org))]
    assert {i.version for i in ids} == {7}


# Concurrency


def test_concurrent_writers_of_one_day_both_count(client, org, channel, database):
    """The second recompute waits for the first to commit, so it counts both mentions."""
    import threading

    from api.domain import tenancy
    from api.domain.mentions import derived as derived_points
    from api.domain.mentions.models import Mention

    channel_id = uuid.UUID(channel["id"])
    posted = datetime(2027, 3, 1, 10, tzinfo=UTC)

    def write(session, text):
        tenancy.scope_session(session, org.id)
        made = Mention(
            channel_id=channel_id,
            text=text,
            posted_at=posted,
            sentiment_score=0.0,
            sentiment_label="neutral",
        )
        session.add(made)
        session.flush()
        derived_points.refresh(session, org.id, {derived_points.slot_of(made)})

    first = database.session()
    write(first, "first")  # holds the day's lock until it commits
    second_done = threading.Event()

    def second_writer():
        with database.session() as second:
            write(second, "second")
            second.commit()
        second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    waited = not second_done.wait(0.5)
    first.commit()
    first.close()
    thread.join(10)

    assert waited
    assert derived(database, org)[("mentions", "2027-03-01", channel["id"])] == 2
