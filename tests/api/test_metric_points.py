"""Metric points in: batches, rejects, atomic batches, limits, roles and listing."""

import json
import uuid
from datetime import date, timedelta

import pytest

from tests.api import builders
from tests.factories import Factory, bearer
from tests.helpers import embedded_app


def ingest(client, org, points, *, atomic=None, headers=None):
    query = "" if atomic is None else f"?atomic={'true' if atomic else 'false'}"
    return client.post(
        org.url(f"/metric-points/batch{query}"),
        headers=headers or org.headers,
        json={"points": points},
    )


def ingested(client, org, points, **kwargs) -> dict:
    response = ingest(client, org, points, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def listed(client, org, query="") -> list[dict]:
    response = client.get(org.url(f"/metric-points?limit=200&{query}"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def point(day="2027-01-04", value=1, metric_key="reach", **fields) -> dict:
    return {"metric_key": metric_key, "day": day, "value": value, **fields}


def values_by_day(items) -> dict[str, float]:
    return {item["day"]: item["value"] for item in items}


# Writing and replacing


def test_a_batch_is_inserted_and_sending_it_again_replaces_the_values(client, factory):
    org = factory.organisation()
    days = ["2027-01-04", "2027-01-05", "2027-01-06"]

    first = ingested(client, org, [point(day, value=10) for day in days])
    again = ingested(client, org, [point(day, value=20) for day in days])

    assert first == {"inserted": 3, "updated": 0, "rejected": []}
    assert again == {"inserted": 0, "updated": 3, "rejected": []}
    assert values_by_day(listed(client, org)) == {day: 20 for day in days}


def test_an_unchanged_point_sent_again_counts_as_updated(client, factory):
    org = factory.organisation()
    ingested(client, org, [point(value=5)])

    result = ingested(client, org, [point(value=5), point(day="2027-01-05", value=6)])

    assert result == {"inserted": 1, "updated": 1, "rejected": []}
    assert values_by_day(listed(client, org)) == {"2027-01-04": 5, "2027-01-05": 6}


def test_within_one_batch_the_last_point_of_an_identity_wins(client, factory):
    org = factory.organisation()

    result = ingested(
        client,
        org,
        [point(value=1), point(day="2027-01-05", value=7), point(value=2), point(value=3)],
    )

    # As if sent one after the other: one insert per identity, the repeats replace it.
    assert result == {"inserted": 2, "updated": 2, "rejected": []}
    assert values_by_day(listed(client, org)) == {"2027-01-04": 3, "2027-01-05": 7}


def test_source_and_dimensions_are_part_of_a_points_identity(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])

    result = ingested(
        client,
        org,
        [
            point(value=1),
            point(value=2, source="import"),
            point(value=3, source="sync"),
            point(value=4, channel_id=channel["id"]),
            point(value=5, channel_id=channel["id"], campaign_id=campaign["id"]),
            point(
                value=6,
                channel_id=channel["id"],
                campaign_id=campaign["id"],
                content_item_id=item["id"],
            ),
        ],
    )

    assert result == {"inserted": 6, "updated": 0, "rejected": []}
    items = listed(client, org)
    assert sorted(i["value"] for i in items) == [1, 2, 3, 4, 5, 6]
    default = next(i for i in items if i["value"] == 1)
    assert default["source"] == "api"
    full = next(i for i in items if i["value"] == 6)
    assert (full["channel_id"], full["campaign_id"], full["content_item_id"]) == (
        channel["id"],
        campaign["id"],
        item["id"],
    )


# Rejects


def test_invalid_points_are_rejected_by_index_and_the_others_written(client, factory):
    org = factory.organisation()
    missing_campaign = str(uuid.uuid4())

    result = ingested(
        client,
        org,
        [
            point(day="2027-01-04", value=1),
            point(day="2027-01-05", metric_key="made_up_metric"),
            point(day="2027-01-06", campaign_id=missing_campaign),
            point(day="2027-01-07", value=4),
        ],
    )

    assert result["inserted"] == 2 and result["updated"] == 0
    assert [r["index"] for r in result["rejected"]] == [1, 2]
    assert "'made_up_metric' is not defined" in result["rejected"][0]["reason"]
    assert result["rejected"][1]["reason"] == f"campaign {missing_campaign} not found"
    assert values_by_day(listed(client, org)) == {"2027-01-04": 1, "2027-01-07": 4}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_values_that_are_not_finite_are_rejected(client, factory, value):
    org = factory.organisation()
    good = json.dumps(point(day="2027-01-04", value=1))
    bad = json.dumps(point(day="2027-01-05", value=0)).replace('"value": 0', f'"value": {value}')
    body = f'{{"points": [{good}, {bad}]}}'

    response = client.post(
        org.url("/metric-points/batch"),
        headers={**org.headers, "Content-Type": "application/json"},
        data=body,
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["rejected"] == [
        {"index": 1, "reason": "value must be a finite number"}
    ]
    assert values_by_day(listed(client, org)) == {"2027-01-04": 1}


def test_another_organisations_channel_is_rejected(client, factory):
    org, other = factory.organisation("Mine"), factory.organisation("Theirs")
    theirs = builders.channel(client, other)
    mine = builders.channel(client, org)

    result = ingested(
        client,
        org,
        [point(value=1, channel_id=mine["id"]), point(value=2, channel_id=theirs["id"])],
    )

    assert result["inserted"] == 1
    assert result["rejected"] == [{"index": 1, "reason": f"channel {theirs['id']} not found"}]
    assert [i["channel_id"] for i in listed(client, org)] == [mine["id"]]
    assert listed(client, other) == []


def test_the_derived_source_is_reserved_for_clover(client, factory):
    org = factory.organisation()

    response = ingest(client, org, [point(source="derived")])

    assert response.status_code == 422
    assert "source" in response.get_json()["errors"]["points"]["0"]
    assert listed(client, org) == []


def test_malformed_points_and_unknown_fields_refuse_the_request(client, factory):
    org = factory.organisation()

    response = ingest(
        client, org, [point(), {**point(day="2027-01-05"), "value": "ten", "colour": "red"}]
    )

    assert response.status_code == 422
    assert set(response.get_json()["errors"]["points"]["1"]) == {"value", "colour"}
    assert listed(client, org) == []


# Atomic batches


def test_an_atomic_batch_with_a_reject_writes_nothing_and_lists_the_rejects(client, factory):
    org = factory.organisation()

    response = ingest(
        client,
        org,
        [point(value=1), point(day="2027-01-05", metric_key="nope"), point(day="2027-01-06")],
        atomic=True,
    )

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert list(body["errors"]["points"]) == ["1"]
    assert "'nope' is not defined" in body["errors"]["points"]["1"][0]
    assert listed(client, org) == []


def test_an_atomic_batch_without_rejects_is_written(client, factory):
    org = factory.organisation()

    result = ingested(client, org, [point(value=1), point(day="2027-01-05")], atomic=True)

    assert result == {"inserted": 2, "updated": 0, "rejected": []}


# Limits


def many_points(count: int, **fields) -> list[dict]:
    """Points on ``count`` consecutive days from 2000-01-01."""
    start = date(2000, 1, 1)
    return [
        point(day=(start + timedelta(days=n)).isoformat(), value=n, **fields) for n in range(count)
    ]


def test_more_than_10000_points_is_422_and_writes_nothing(client, factory):
    org = factory.organisation()

    response = ingest(client, org, many_points(10_001))

    assert response.status_code == 422
    assert "points" in response.get_json()["errors"]
    assert listed(client, org) == []


def test_a_full_batch_with_ids_is_over_the_default_body_limit_and_accepted(
    client, factory, settings
):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    points = many_points(
        10_000, channel_id=channel["id"], campaign_id=campaign["id"], source="import"
    )
    assert len(json.dumps({"points": points})) > settings.max_body_bytes

    result = ingested(client, org, points)

    assert result == {"inserted": 10_000, "updated": 0, "rejected": []}


def test_a_full_batch_is_upserted_in_one_statement_and_counted_exactly(
    client, factory, count_queries
):
    org = factory.organisation()
    channel = builders.channel(client, org)
    ingested(client, org, many_points(4_000, channel_id=channel["id"]))
    points = many_points(10_000, channel_id=channel["id"])

    with count_queries() as counter:
        result = ingested(client, org, points)

    writes = [s for s in counter.statements if "INSERT INTO metric_points" in s]
    assert len(writes) == 1
    assert result == {"inserted": 6_000, "updated": 4_000, "rejected": []}


def test_a_batch_body_over_4_mb_is_413(client, factory):
    org = factory.organisation()
    padding = "x" * (4 * 1024 * 1024)

    response = client.post(
        org.url("/metric-points/batch"),
        headers={**org.headers, "Content-Type": "application/json"},
        data='{"points": [], "padding": "' + padding + '"}',
    )

    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_other_endpoints_keep_the_default_body_limit(client, factory, settings):
    org = factory.organisation()
    ingested(client, org, [point()])

    response = client.post(
        org.url("/channels"),
        headers={**org.headers, "Content-Type": "application/json"},
        data='{"kind": "x", "name": "' + "x" * settings.max_body_bytes + '"}',
    )

    assert response.status_code == 413


# Listing


def test_points_are_filtered_by_metric_channel_campaign_and_days(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ingested(
        client,
        org,
        [
            point(day="2027-01-01", value=1),
            point(day="2027-01-02", value=2, channel_id=channel["id"]),
            point(day="2027-01-03", value=3, campaign_id=campaign["id"]),
            point(day="2027-01-04", value=4, metric_key="clicks", channel_id=channel["id"]),
        ],
    )

    def values(query):
        return sorted(i["value"] for i in listed(client, org, query))

    assert values("metric_key=reach") == [1, 2, 3]
    assert values(f"channel_id={channel['id']}") == [2, 4]
    assert values(f"campaign_id={campaign['id']}") == [3]
    assert values("day_from=2027-01-02&day_to=2027-01-03") == [2, 3]
    assert values(f"metric_key=clicks&channel_id={channel['id']}") == [4]


def test_pages_walk_every_point_once(client, factory):
    org = factory.organisation()
    ingested(client, org, many_points(7))

    seen, cursor = [], None
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(org.url(f"/metric-points?{query}"), headers=org.headers).get_json()
        assert len(page["items"]) <= 3
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 7


# Roles


def test_an_analyst_cannot_write_points_but_reads_them(client, factory):
    org = factory.organisation()
    analyst = bearer(factory.member(org, "analyst"))

    response = ingest(client, org, [point()], headers=analyst)

    assert response.status_code == 403
    assert listed(client, org) == []
    read = client.get(org.url("/metric-points"), headers=analyst)
    assert read.status_code == 200


def test_a_contributor_can_write_points(client, factory):
    org = factory.organisation()
    contributor = bearer(factory.member(org, "contributor"))

    result = ingested(client, org, [point()], headers=contributor)

    assert result["inserted"] == 1


# The embedded default: SQLite has no xmax, so it counts existing identities first.


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    with embedded_app(tmp_path_factory.mktemp("metrics")) as app:
        yield app, Factory(app.extensions["clover"].database)


def test_on_sqlite_batches_are_upserted_and_counted_the_same(embedded):
    app, sqlite_factory = embedded
    client = app.test_client()
    org = sqlite_factory.organisation()
    channel = builders.channel(client, org)
    points = [point(day="2027-01-04", value=1), point(day="2027-01-05", channel_id=channel["id"])]

    first = ingested(client, org, [*points, point(day="2027-01-04", value=9)])
    again = ingested(client, org, [*points, point(day="2027-01-06", value=3)])

    assert first == {"inserted": 2, "updated": 1, "rejected": []}
    assert again == {"inserted": 1, "updated": 2, "rejected": []}
    assert values_by_day(listed(client, org)) == {"2027-01-04": 1, "2027-01-05": 1, "2027-01-06": 3}


def test_on_sqlite_a_batch_larger_than_a_chunk_is_counted_the_same(embedded):
    app, sqlite_factory = embedded
    client = app.test_client()
    org = sqlite_factory.organisation()
    ingested(client, org, many_points(1_500))

    result = ingested(client, org, many_points(2_500))

    assert result == {"inserted": 1_000, "updated": 1_500, "rejected": []}
