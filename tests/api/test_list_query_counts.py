"""No list endpoint runs more queries for a bigger page (no N+1)."""

import pytest

from tests.api import builders

COUNT = 4


@pytest.fixture(scope="module")
def seeded(app, settings):
    """An organisation with COUNT of everything that is listed."""
    from api.db import database_for
    from tests.factories import Factory

    client = app.test_client()
    org = Factory(database_for(settings)).organisation("Many")
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])
    channel = builders.channel(client, org)
    for n in range(COUNT):
        builders.strategy(client, org, name=f"S{n}")
        builders.objective(client, org, strategy["id"], title=f"O{n}")
        builders.kpi(client, org, objective["id"], name=f"K{n}")
        builders.audience(client, org, name=f"A{n}")
        builders.resource(client, org, name=f"R{n}")
        builders.channel(client, org, name=f"C{n}")
        client.post(org.url("/api-keys"), headers=org.headers, json={"name": f"k{n}"})
        client.post(org.url("/plan-feeds"), headers=org.headers, json={"name": f"f{n}"})
        client.post(
            org.url("/readiness-assessments"),
            headers=org.headers,
            json={"culture": 3, "leadership": 3, "governance": 3, "technology": 3},
        )
        made = builders.campaign(
            client,
            org,
            strategy["id"],
            name=f"Campaign {n}",
            channel_ids=[channel["id"]],
            objective_ids=[objective["id"]],
        )
        url = org.url(f"/campaigns/{made['id']}")
        for _ in range(2):
            client.post(f"{url}/advance", headers=org.headers)
        client.post(f"{url}/reviews", headers=org.headers, json={"what_worked": f"W{n}"})
        item = builders.content_item(client, org, made["id"], channel["id"])
        for step in ("drafting", "in_review", "drafting", "in_review"):
            client.post(
                org.url(f"/content-items/{item['id']}/transition"),
                headers=org.headers,
                json={"to": step},
            )
    return (
        client,
        org,
        {
            "strategy_id": strategy["id"],
            "objective_id": objective["id"],
            "campaign_id": made["id"],
            "item_id": item["id"],
        },
    )


LISTS = [
    "/strategies",
    "/strategies/{strategy_id}/objectives",
    "/objectives/{objective_id}/kpis",
    "/audiences",
    "/resources",
    "/readiness-assessments",
    "/api-keys",
    "/plan-feeds",
    "/channels",
    "/campaigns",
    "/learnings",
    "/content-items",
    "/content-items/{item_id}/history",
    "/audit-events",
]


@pytest.mark.parametrize("path", LISTS)
def test_query_count_does_not_grow_with_the_page(seeded, count_queries, path):
    client, org, ids = seeded
    url = org.url(path.format(**ids))
    client.get(url, headers=org.headers)

    counts = []
    for limit in (1, COUNT):
        with count_queries() as counter:
            response = client.get(f"{url}?limit={limit}", headers=org.headers)
        assert len(response.get_json()["items"]) == limit
        counts.append(counter.count)

    assert counts[0] == counts[1]
