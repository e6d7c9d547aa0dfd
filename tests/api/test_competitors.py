"""Competitors: CRUD, the competitor a mention names (given or matched), re-matching."""

from __future__ import annotations

import uuid

import pytest

from tests.api import builders
from workers import jobs

AT = "2027-03-01T10:00:00Z"
GLOBEX = {"name": "Globex", "handles": ["@GlobexCorp"], "keywords": ["Globex", "hammer drill"]}
INITECH = {"name": "Initech", "handles": ["initech"], "keywords": ["Initech", "TPS report"]}


def competitor(client, org, **fields) -> dict:
    return builders.created(client.post(org.url("/competitors"), headers=org.headers, json=fields))


def mention(client, org, channel, text, **fields) -> dict:
    body = {
        "channel_id": channel["id"],
        "text": text,
        "posted_at": "2027-03-01T10:00:00Z",
        "topic": "competitor",
        **fields,
    }
    body = {key: value for key, value in body.items() if value is not None}  # None: not sent
    response = client.post(org.url("/mentions"), headers=org.headers, json=body)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()


def fetched(client, org, mention_id) -> dict:
    response = client.get(org.url(f"/mentions/{mention_id}"), headers=org.headers)
    assert response.status_code == 200
    return response.get_json()


def named(body) -> tuple:
    return body["competitor_id"], body["competitor_source"]


@pytest.fixture
def org(factory):
    return factory.organisation()


@pytest.fixture
def channel(client, org):
    return builders.channel(client, org)


@pytest.fixture
def globex(client, org):
    return competitor(client, org, **GLOBEX)


@pytest.fixture
def initech(client, org):
    return competitor(client, org, **INITECH)


# The competitors themselves


def test_a_competitor_is_created_read_listed_updated_and_deleted(client, org):
    created = competitor(client, org, name=" Globex ", handles=["@globex", "@globex"])
    url = org.url(f"/competitors/{created['id']}")

    assert (created["name"], created["handles"], created["keywords"]) == ("Globex", ["@globex"], [])
    assert client.get(url, headers=org.headers).get_json() == created
    listed = client.get(org.url("/competitors"), headers=org.headers).get_json()["items"]
    assert [c["id"] for c in listed] == [created["id"]]
    updated = client.patch(url, headers=org.headers, json={"keywords": ["Globex"]})
    assert updated.status_code == 200
    assert updated.get_json()["keywords"] == ["Globex"]
    assert updated.get_json()["version"] == created["version"] + 1
    assert client.delete(url, headers=org.headers).status_code == 204
    assert client.get(url, headers=org.headers).status_code == 404


def test_a_name_is_unique_in_the_organisation(client, factory, org, globex):
    taken = client.post(org.url("/competitors"), headers=org.headers, json={"name": "Globex"})
    elsewhere = factory.organisation("Other")

    assert taken.status_code == 409
    assert taken.get_json()["errors"] == {"name": ["Taken."]}
    assert competitor(client, elsewhere, name="Globex")["name"] == "Globex"


def test_renaming_onto_another_competitors_name_is_refused(client, org, globex, initech):
    response = client.patch(
        org.url(f"/competitors/{initech['id']}"), headers=org.headers, json={"name": "Globex"}
    )

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "G", "keywords": ["..."]}, "keywords"),
        ({"name": "G", "keywords": ["   "]}, "keywords"),
        ({"name": "G", "handles": ["@"]}, "handles"),
        ({"name": "   "}, "name"),
        ({"name": "G", "keywords": "Globex"}, "keywords"),
        ({"name": "G", "colour": "red"}, "colour"),
    ],
)
def test_bad_competitors_are_422_and_not_written(client, org, fields, field):
    response = client.post(org.url("/competitors"), headers=org.headers, json=fields)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get(org.url("/competitors"), headers=org.headers).get_json()["items"] == []


# Matching a mention on arrival


def test_a_keyword_in_a_competitor_mention_names_the_competitor(client, org, channel, globex):
    body = mention(client, org, channel, "Their new HAMMER-DRILLS are loud")

    assert named(body) == (globex["id"], "matched")


def test_the_author_handle_names_the_competitor(client, org, channel, globex):
    body = mention(client, org, channel, "Come to our store", author="@globexcorp")

    assert named(body) == (globex["id"], "matched")


def test_a_keyword_inside_a_longer_word_does_not_match(client, org, channel, globex):
    body = mention(client, org, channel, "The Globexian empire strikes")

    assert named(body) == (None, None)


def test_a_mention_of_another_topic_names_no_competitor(client, org, channel, globex):
    body = mention(client, org, channel, "We beat Globex on price", topic="company")

    assert named(body) == (None, None)


def test_when_several_competitors_match_none_is_chosen(client, org, channel, globex, initech):
    body = mention(client, org, channel, "Globex bought Initech")

    assert named(body) == (None, None)


def test_the_competitor_given_wins_and_sets_the_topic(client, org, channel, globex, initech):
    body = mention(client, org, channel, "Globex again", topic=None, competitor_id=initech["id"])

    assert named(body) == (initech["id"], "given")
    assert body["topic"] == "competitor"


def test_a_competitor_given_for_another_topic_is_422(client, org, channel, globex):
    response = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "text": "x",
            "posted_at": "2027-03-01T10:00:00Z",
            "topic": "company",
            "competitor_id": globex["id"],
        },
    )

    assert response.status_code == 422
    assert "competitor_id" in response.get_json()["errors"]


def test_an_unknown_competitor_is_404(client, org, channel):
    response = client.post(
        org.url("/mentions"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "text": "x",
            "posted_at": "2027-03-01T10:00:00Z",
            "competitor_id": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 404


def test_a_batch_matches_each_mention_and_rejects_an_unknown_competitor(
    client, org, channel, globex, initech
):
    response = client.post(
        org.url("/mentions/batch"),
        headers=org.headers,
        json={
            "channel_id": channel["id"],
            "mentions": [
                {"text": "Initech TPS reports", "posted_at": AT, "topic": "competitor"},
                {"text": "Nobody", "posted_at": AT, "topic": "competitor", "author": "initech"},
                {"text": "Globex", "posted_at": "2027-03-01T10:00:00Z", "topic": "industry"},
                {"text": "x", "posted_at": "2027-03-01T10:00:00Z", "competitor_id": globex["id"]},
                {
                    "text": "x",
                    "posted_at": "2027-03-01T10:00:00Z",
                    "competitor_id": str(uuid.uuid4()),
                },
            ],
        },
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert [r["index"] for r in result["rejected"]] == [4]
    assert result["rejected"][0]["errors"] == {"competitor_id": ["Not found."]}
    ids = [a["id"] for a in result["accepted"]]
    assert [named(fetched(client, org, i)) for i in ids] == [
        (initech["id"], "matched"),
        (initech["id"], "matched"),
        (None, None),
        (globex["id"], "given"),
    ]


def test_correcting_the_text_matches_again(client, org, channel, globex, initech):
    body = mention(client, org, channel, "Globex is loud")

    corrected = client.patch(
        org.url(f"/mentions/{body['id']}"), headers=org.headers, json={"text": "Initech is loud"}
    ).get_json()

    assert named(corrected) == (initech["id"], "matched")


def test_clearing_a_given_competitor_lets_it_be_matched(client, org, channel, globex, initech):
    body = mention(client, org, channel, "Globex is loud", competitor_id=initech["id"])

    cleared = client.patch(
        org.url(f"/mentions/{body['id']}"), headers=org.headers, json={"competitor_id": None}
    ).get_json()

    assert named(cleared) == (globex["id"], "matched")


def test_moving_a_mention_to_another_topic_forgets_its_competitor(client, org, channel, globex):
    body = mention(client, org, channel, "Globex", competitor_id=globex["id"])

    moved = client.patch(
        org.url(f"/mentions/{body['id']}"), headers=org.headers, json={"topic": "industry"}
    ).get_json()

    assert named(moved) == (None, None)


def test_mentions_are_filtered_by_competitor(client, org, channel, globex, initech):
    mine = mention(client, org, channel, "Globex one")
    mention(client, org, channel, "Initech one")
    mention(client, org, channel, "Nobody")

    response = client.get(
        org.url(f"/mentions?competitor_id={globex['id']}"), headers=org.headers
    ).get_json()

    assert [m["id"] for m in response["items"]] == [mine["id"]]


# Matching again when competitors change


def test_new_keywords_match_older_mentions_but_never_override_a_given_one(
    client, org, channel, globex, initech, job_runtime
):
    unmatched = mention(client, org, channel, "Acme Widgets are cheap")
    given = mention(client, org, channel, "Acme Widgets", competitor_id=initech["id"])

    client.patch(
        org.url(f"/competitors/{globex['id']}"),
        headers=org.headers,
        json={"keywords": ["acme widget"]},
    )
    changed = jobs.rematch_competitor_mentions(str(org.id))

    assert changed == 1
    rematched = fetched(client, org, unmatched["id"])
    assert named(rematched) == (globex["id"], "matched")
    assert rematched["version"] == unmatched["version"] + 1
    assert fetched(client, org, given["id"]) == given
    assert jobs.rematch_competitor_mentions(str(org.id)) == 0  # idempotent


def test_keywords_taken_away_leave_a_mention_unnamed(client, org, channel, globex, job_runtime):
    body = mention(client, org, channel, "hammer drill noise")

    client.patch(
        org.url(f"/competitors/{globex['id']}"), headers=org.headers, json={"keywords": ["Globex"]}
    )
    jobs.rematch_competitor_mentions(str(org.id))

    assert named(fetched(client, org, body["id"])) == (None, None)


def test_a_deleted_competitor_leaves_its_mentions_unnamed_and_unambiguous_ones_matched(
    client, org, channel, globex, initech, job_runtime
):
    both = mention(client, org, channel, "Globex and Initech")
    given = mention(client, org, channel, "nothing", competitor_id=initech["id"])

    assert (
        client.delete(org.url(f"/competitors/{initech['id']}"), headers=org.headers).status_code
        == 204
    )
    assert named(fetched(client, org, given["id"])) == (None, None)
    jobs.rematch_competitor_mentions(str(org.id))

    assert named(fetched(client, org, both["id"])) == (globex["id"], "matched")


# Another organisation


def test_a_mention_cannot_name_another_organisations_competitor(client, factory, org, globex):
    other = factory.organisation("Other")
    other_channel = builders.channel(client, other)

    single = client.post(
        other.url("/mentions"),
        headers=other.headers,
        json={
            "channel_id": other_channel["id"],
            "text": "Globex",
            "posted_at": "2027-03-01T10:00:00Z",
            "competitor_id": globex["id"],
        },
    )
    batch = client.post(
        other.url("/mentions/batch"),
        headers=other.headers,
        json={
            "channel_id": other_channel["id"],
            "mentions": [
                {"text": "x", "posted_at": "2027-03-01T10:00:00Z", "competitor_id": globex["id"]}
            ],
        },
    )

    assert single.status_code == 404
    assert batch.get_json()["rejected"][0]["errors"] == {"competitor_id": ["Not found."]}
    listed = client.get(other.url("/mentions"), headers=other.headers).get_json()["items"]
    assert listed == []


def test_another_organisations_keywords_never_match(client, factory, globex):
    other = factory.organisation("Other")
    other_channel = builders.channel(client, other)

    body = mention(client, other, other_channel, "Globex everywhere")

    assert named(body) == (None, None)
