"""Competitors: CRUD, the competitor a mention names (given or matched), re-matching, reports."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.api import builders
from tests.factories import Factory
from tests.helpers import embedded_app
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


def rematched(client, org) -> dict:
    """Run the organisation's queued re-match here, as a worker would; its job as shown."""
    listed = client.get(org.url("/jobs?kind=rematch"), headers=org.headers).get_json()["items"]
    [queued] = [job for job in listed if job["status"] == "queued"]
    jobs.rematch_competitor_mentions(str(org.id), queued["id"])
    return client.get(org.url(f"/jobs/{queued['id']}"), headers=org.headers).get_json()


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
    job = rematched(client, org)

    assert (job["status"], job["counts"], job["rematches"]) == (
        "succeeded",
        {"changed": 1},
        "competitors",
    )
    matched = fetched(client, org, unmatched["id"])
    assert named(matched) == (globex["id"], "matched")
    assert matched["version"] == unmatched["version"] + 1
    assert fetched(client, org, given["id"]) == given
    assert jobs.rematch_competitor_mentions(str(org.id)) == {"changed": 0}  # idempotent


def test_keywords_taken_away_leave_a_mention_unnamed(client, org, channel, globex, job_runtime):
    body = mention(client, org, channel, "hammer drill noise")

    client.patch(
        org.url(f"/competitors/{globex['id']}"), headers=org.headers, json={"keywords": ["Globex"]}
    )
    rematched(client, org)

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
    rematched(client, org)

    assert named(fetched(client, org, both["id"])) == (globex["id"], "matched")


# Share of voice, competitor by competitor

WINDOW = "from=2027-01-01&to=2027-02-28"


def report(client, org, headers=None):
    response = client.get(
        org.url(f"/reports/share-of-voice?{WINDOW}"), headers={**org.headers, **(headers or {})}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


@pytest.fixture
def voices(client, org, channel, globex, initech):
    """January: 2 company, Globex 2 (0.5, -0.1), Initech 1 (0.4), 1 unnamed (0.0), 1 industry.
    February: 1 company, Globex 1 (-0.6)."""

    def said(text, day, score, topic="competitor"):
        mention(
            client,
            org,
            channel,
            text,
            posted_at=f"{day}T10:00:00Z",
            sentiment_score=score,
            topic=topic,
        )

    said("Acme is fine", "2027-01-03", 0.2, "company")
    said("Acme again", "2027-01-09", 0.2, "company")
    said("Globex drills", "2027-01-04", 0.5)
    said("Globex prices", "2027-01-20", -0.1)
    said("Initech news", "2027-01-05", 0.4)
    said("Someone else", "2027-01-06", 0.0)
    said("Drills in general", "2027-01-07", 0.9, "industry")
    said("Acme in February", "2027-02-03", 0.1, "company")
    said("Globex in February", "2027-02-04", -0.6)
    return globex, initech


def by_name(entry) -> dict:
    return {c["name"]: c for c in entry["competitors"]}


def test_each_period_lists_every_competitors_mentions_share_and_sentiment(client, org, voices):
    january, february = report(client, org).get_json()["periods"]

    globex, initech = by_name(january)["Globex"], by_name(january)["Initech"]
    assert [c["name"] for c in january["competitors"]] == ["Globex", "Initech"]
    assert (globex["mentions"], globex["share"]) == (2, pytest.approx(2 / 6))
    assert globex["average_sentiment"] == pytest.approx(0.2)
    assert (initech["mentions"], initech["share"]) == (1, pytest.approx(1 / 6))
    unnamed = january["unnamed_competitors"]
    assert (unnamed["competitor_id"], unnamed["mentions"]) == (None, 1)
    assert unnamed["share"] == pytest.approx(1 / 6)
    shares = [january["company_share"], *(c["share"] for c in january["competitors"])]
    assert sum(shares) + unnamed["share"] == pytest.approx(1)
    assert globex["share_change_reason"] == "no previous period"
    feb_initech = by_name(february)["Initech"]
    assert (feb_initech["mentions"], feb_initech["share"]) == (0, 0)
    assert feb_initech["average_sentiment"] is None
    assert feb_initech["share_change"] == pytest.approx(-1 / 6)
    assert by_name(february)["Globex"]["share_change"] == pytest.approx(1 / 2 - 2 / 6)


def test_overall_adds_up_the_counts_and_gives_the_trend_of_each_share(client, org, voices):
    overall = report(client, org).get_json()["overall"]

    globex = by_name(overall)["Globex"]
    assert (globex["mentions"], globex["share"]) == (3, pytest.approx(3 / 8))
    assert globex["average_sentiment"] == pytest.approx(-0.2 / 3)
    assert globex["share_change"] is None
    assert globex["share_trend"]["change"] == pytest.approx(1 / 2 - 2 / 6)
    assert globex["share_trend"]["periods_used"] == 2
    assert overall["competitor_mentions"] == 5  # the existing total still counts them all


def test_the_csv_has_a_row_per_competitor_after_each_period(client, org, voices):
    response = report(client, org, headers={"Accept": "text/csv"})

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["level"], r["period_start"], r["name"]) for r in rows] == [
        ("period", "2027-01-01", ""),
        ("period competitor", "2027-01-01", "Globex"),
        ("period competitor", "2027-01-01", "Initech"),
        ("period unnamed_competitors", "2027-01-01", ""),
        ("period", "2027-02-01", ""),
        ("period competitor", "2027-02-01", "Globex"),
        ("period competitor", "2027-02-01", "Initech"),
        ("period unnamed_competitors", "2027-02-01", ""),
        ("overall", "2027-01-01", ""),
        ("overall competitor", "2027-01-01", "Globex"),
        ("overall competitor", "2027-01-01", "Initech"),
        ("overall unnamed_competitors", "2027-01-01", ""),
    ]
    assert float(rows[1]["share"]) == pytest.approx(2 / 6)
    assert float(rows[9]["share_trend_change"]) == pytest.approx(1 / 2 - 2 / 6)


def test_a_competitor_name_cannot_run_as_a_formula_in_the_csv(client, org, channel):
    competitor(client, org, name="=HYPERLINK(1)")

    response = report(client, org, headers={"Accept": "text/csv"})

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1]["name"] == "'=HYPERLINK(1)"


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
    own = mention(client, other, other_channel, "Globex")
    corrected = client.patch(
        other.url(f"/mentions/{own['id']}"),
        headers=other.headers,
        json={"competitor_id": globex["id"]},
    )
    assert corrected.status_code == 404
    assert fetched(client, other, own["id"]) == own


def test_another_organisations_keywords_never_match(client, factory, globex):
    other = factory.organisation("Other")
    other_channel = builders.channel(client, other)

    body = mention(client, other, other_channel, "Globex everywhere")

    assert named(body) == (None, None)


# The embedded default


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    with embedded_app(tmp_path_factory.mktemp("competitors")) as app:
        yield app


def test_matching_the_rematch_and_the_report_on_sqlite(sqlite_app):
    client = sqlite_app.test_client()
    org = Factory(sqlite_app.extensions["clover"].database).organisation()
    channel = builders.channel(client, org)
    globex = competitor(client, org, **GLOBEX)
    matched = mention(client, org, channel, "Globex drills", posted_at="2027-01-04T23:30:00Z")
    older = mention(client, org, channel, "Acme widgets", posted_at="2027-01-05T10:00:00Z")
    mention(client, org, channel, "Acme itself", posted_at="2027-01-06T10:00:00Z", topic="company")

    client.patch(
        org.url(f"/competitors/{globex['id']}"),
        headers=org.headers,
        json={"keywords": ["Globex", "acme widget"]},
    )  # the embedded default runs the re-match in-process, after the commit

    assert named(matched) == (globex["id"], "matched")
    assert named(fetched(client, org, older["id"])) == (globex["id"], "matched")
    body = client.get(
        org.url("/reports/share-of-voice?from=2027-01-01&to=2027-01-31"), headers=org.headers
    ).get_json()
    [january] = body["periods"]
    assert january["competitors"][0]["mentions"] == 2
    assert january["competitors"][0]["share"] == pytest.approx(2 / 3)
    assert january["unnamed_competitors"]["mentions"] == 0
