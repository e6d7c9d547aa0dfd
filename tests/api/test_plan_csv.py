"""The plan as CSV (`Accept: text/csv`): the import's columns, no live formulas, few queries."""

from __future__ import annotations

import csv
import io

from api.resources.v1.plan.routes import EXPORT_COLUMNS
from tests.api import builders

URL = "/plan?start=2027-01&months=12"


def exported(client, org, query=URL) -> list[dict]:
    response = client.get(org.url(query), headers={**org.headers, "Accept": "text/csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert reader.fieldnames == EXPORT_COLUMNS
    return list(reader)


def test_the_plan_exports_its_items_with_references_and_their_names(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org, utm_campaign="spring-27")
    owner = builders.resource(client, org, name="Ann")
    item = builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="Launch post",
        due_date="2027-03-04",
        owner_id=owner["id"],
        text="We are live.",
        brief="Short and warm",
        effort_hours=1.5,
    )

    [row] = exported(client, org)

    assert row == {
        "id": item["id"],
        "title": "Launch post",
        "channel": channel["id"],
        "campaign": campaign["id"],
        "owner": owner["id"],
        "due_date": "2027-03-04",
        "scheduled_at": "",
        "text": "We are live.",
        "status": "idea",
        "format": "post",
        "effort_hours": "1.5",
        "brief": "Short and warm",
        "plan_date": "2027-03-04",
        "channel_handle": "'@acme",  # a leading @ is neutralised too
        "campaign_utm": "spring-27",
        "owner_name": "Ann",
    }


def test_an_empty_plan_is_a_header_row(client, factory):
    org = factory.organisation()
    assert exported(client, org) == []


def test_formulas_in_exported_texts_are_neutralised(client, factory):
    org = factory.organisation()
    channel = builders.channel(client, org, handle="=HYPERLINK(1)")
    campaign = builders.campaign(
        client,
        org,
        builders.strategy(client, org)["id"],
        channel_ids=[channel["id"]],
    )
    owner = builders.resource(client, org, name="@SUM(A1)")
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="=cmd|' /C calc'!A0",
        text="-1+1",
        brief="\tnote",
        due_date="2027-03-04",
        owner_id=owner["id"],
    )

    [row] = exported(client, org)

    assert row["title"] == "'=cmd|' /C calc'!A0"
    assert row["text"] == "'-1+1"
    assert row["brief"] == "'\tnote"
    assert row["channel_handle"] == "'=HYPERLINK(1)"
    assert row["owner_name"] == "'@SUM(A1)"
    assert not any(
        value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values() if value
    )


def test_the_export_query_count_does_not_grow_with_items(client, factory, count_queries):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(
        client, org, start_date="2027-01-01", end_date="2027-12-31"
    )
    owner = builders.resource(client, org)
    builders.content_item(
        client, org, campaign["id"], channel["id"], due_date="2027-03-01", owner_id=owner["id"]
    )
    headers = {**org.headers, "Accept": "text/csv"}
    client.get(org.url(URL), headers=headers)
    with count_queries() as few:
        client.get(org.url(URL), headers=headers)

    for month in range(1, 13):
        builders.content_item(
            client,
            org,
            campaign["id"],
            channel["id"],
            due_date=f"2027-{month:02d}-15",
            owner_id=owner["id"],
            text=f"Post {month}",
        )
    with count_queries() as many:
        response = client.get(org.url(URL), headers=headers)

    assert len(list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))) == 13
    assert many.count == few.count


def test_json_stays_the_default(client, factory):
    org = factory.organisation()
    response = client.get(org.url(URL), headers=org.headers)
    assert response.mimetype == "application/json"
