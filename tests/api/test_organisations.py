from tests.factories import bearer


def test_list_shows_only_reachable_organisations(client, factory):
    mine = factory.organisation("Mine")
    factory.organisation("Theirs")

    body = client.get("/v1/organisations", headers=mine.headers).get_json()

    assert [o["id"] for o in body["items"]] == [str(mine.id)]
    assert body["next_cursor"] is None


def test_get_returns_the_organisation_with_an_etag(client, factory):
    org = factory.organisation("Etag Bakery")

    response = client.get(org.url(), headers=org.headers)

    assert response.status_code == 200
    assert response.get_json()["name"] == "Etag Bakery"
    assert response.headers["ETag"] == '"1"'


def test_owner_updates_settings(client, factory):
    org = factory.organisation()

    response = client.patch(
        org.url(),
        headers=org.headers,
        json={"timezone": "Europe/Berlin", "currency": "USD", "fiscal_year_start_month": 4},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["timezone"], body["currency"], body["fiscal_year_start_month"]) == (
        "Europe/Berlin",
        "USD",
        4,
    )
    assert response.headers["ETag"] == '"2"'


def test_unknown_timezone_is_a_field_error(client, factory):
    org = factory.organisation()

    response = client.patch(org.url(), headers=org.headers, json={"timezone": "Mars/Olympus"})

    assert response.status_code == 422
    assert "timezone" in response.get_json()["errors"]


def test_read_only_fields_cannot_be_written(client, factory):
    org = factory.organisation()

    response = client.patch(org.url(), headers=org.headers, json={"member_count": 99})

    assert response.status_code == 422
    assert client.get(org.url(), headers=org.headers).get_json()["member_count"] == 1


def test_analyst_and_strategist_cannot_update_the_organisation(client, factory):
    org = factory.organisation()
    for role in ("analyst", "strategist", "contributor"):
        key = factory.member(org, role)
        assert client.get(org.url(), headers=bearer(key)).status_code == 200
        response = client.patch(org.url(), headers=bearer(key), json={"name": "Hijacked"})
        assert response.status_code == 403, role
    assert client.get(org.url(), headers=org.headers).get_json()["name"] == org.name


def test_stale_if_match_is_refused_and_nothing_is_written(client, factory):
    org = factory.organisation()
    etag = client.get(org.url(), headers=org.headers).headers["ETag"]
    assert (
        client.patch(
            org.url(), headers={**org.headers, "If-Match": etag}, json={"name": "First"}
        ).status_code
        == 200
    )

    response = client.patch(
        org.url(), headers={**org.headers, "If-Match": etag}, json={"name": "Second"}
    )

    assert response.status_code == 412
    assert client.get(org.url(), headers=org.headers).get_json()["name"] == "First"


def test_write_without_if_match_is_allowed(client, factory):
    org = factory.organisation()

    response = client.patch(org.url(), headers=org.headers, json={"name": "No Precondition"})

    assert response.status_code == 200
