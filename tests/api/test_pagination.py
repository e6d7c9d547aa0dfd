import pytest

from tests.api import builders


def add_members(client, factory, org, count, role="analyst"):
    """``count`` people who accepted invitations to ``org``: their emails."""
    return [builders.invited_member(client, org, role)["user"]["email"] for _ in range(count)]


def walk(client, org, limit, between_pages=lambda: None):
    seen, url = [], org.url(f"/members?limit={limit}")
    while url:
        response = client.get(url, headers=org.headers)
        assert response.status_code == 200
        body = response.get_json()
        seen += [m["user"]["email"] for m in body["items"]]
        if body["next_cursor"]:
            assert 'rel="next"' in response.headers["Link"]
            url = org.url(f"/members?limit={limit}&cursor={body['next_cursor']}")
            between_pages()
        else:
            assert "Link" not in response.headers
            url = None
    return seen


def test_pages_walk_every_member_once(client, factory):
    org = factory.organisation()
    emails = add_members(client, factory, org, 6)

    seen = walk(client, org, limit=4)

    assert len(seen) == 7 and len(set(seen)) == 7
    assert set(emails) < set(seen)


def test_paging_while_members_are_added_has_no_duplicates_or_gaps(client, factory):
    org = factory.organisation()
    before = add_members(client, factory, org, 5)
    added = []

    seen = walk(
        client,
        org,
        limit=2,
        between_pages=lambda: added.extend(add_members(client, factory, org, 1)),
    )

    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert set(added) <= set(seen)  # new rows sort after the cursor, so they show up too


def test_link_header_points_to_the_next_page(client, factory):
    org = factory.organisation()
    add_members(client, factory, org, 2)
    first = client.get(org.url("/members?limit=2"), headers=org.headers)

    link = first.headers["Link"]
    next_url = link[link.index("<") + 1 : link.index(">")]
    second = client.get(next_url, headers=org.headers).get_json()

    assert len(second["items"]) == 1
    assert second["next_cursor"] is None


@pytest.mark.parametrize("path", ["/members", "/api-keys"])
def test_list_query_count_does_not_grow_with_the_page(client, factory, count_queries, path):
    org = factory.organisation()
    add_members(client, factory, org, 12)
    for n in range(12):
        client.post(org.url("/api-keys"), headers=org.headers, json={"name": f"k{n}"})
    client.get(
        org.url(path), headers=org.headers
    )  # warm: last_used_at is written at most once a minute

    counts = []
    for limit in (2, 12):
        with count_queries() as counter:
            response = client.get(org.url(f"{path}?limit={limit}"), headers=org.headers)
        assert len(response.get_json()["items"]) == limit
        counts.append(counter.count)

    assert counts[0] == counts[1]


def test_organisation_list_query_count_is_constant(client, factory, count_queries):
    org = factory.organisation()
    client.get("/v1/organisations", headers=org.headers)

    with count_queries() as counter:
        client.get("/v1/organisations?limit=1", headers=org.headers)
    one = counter.count
    with count_queries() as counter:
        client.get("/v1/organisations?limit=200", headers=org.headers)

    assert counter.count == one
