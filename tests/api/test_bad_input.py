"""Bad input gets the right 4xx problem document, never a 500, and writes nothing."""

import pytest

from tests.factories import bearer, unique_email

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["type"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_malformed_json_is_400(client, factory):
    org = factory.organisation()

    response = client.patch(
        org.url(), headers={**org.headers, "Content-Type": "application/json"}, data="{nope"
    )

    assert_problem(response, 400)


def test_wrong_types_are_listed_per_field(client, factory):
    org = factory.organisation()

    response = client.patch(
        org.url(), headers=org.headers, json={"fiscal_year_start_month": "April", "name": 7}
    )

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"fiscal_year_start_month", "name"}


def test_unknown_fields_are_refused(client, factory):
    org = factory.organisation()

    body = assert_problem(
        client.patch(org.url(), headers=org.headers, json={"name": "X", "is_admin": True}), 422
    )
    assert "is_admin" in body["errors"]
    assert client.get(org.url(), headers=org.headers).get_json()["name"] == org.name


def test_over_long_strings_are_refused(client, factory):
    org = factory.organisation()

    body = assert_problem(
        client.patch(org.url(), headers=org.headers, json={"name": "x" * 201}), 422
    )
    assert "name" in body["errors"]


def test_bad_uuid_in_path_is_404(client, factory):
    org = factory.organisation()

    assert_problem(client.get("/v1/organisations/not-a-uuid", headers=org.headers), 404)


@pytest.mark.parametrize(
    "header",
    ["Bearer clv_000000000000_nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer nonsense"],
)
def test_invalid_credentials_are_401(client, header):
    assert_problem(client.get("/v1/me", headers={"Authorization": header}), 401)


def test_key_of_another_organisation_gets_404(client, factory):
    org, other = factory.organisation(), factory.organisation()

    body = assert_problem(client.get(org.url(), headers=other.headers), 404)
    assert str(org.id) in body["detail"]


def test_unknown_route_is_a_problem_404(client):
    assert_problem(client.get("/v1/nothing-here"), 404)


def test_wrong_method_is_405_with_allow(client, factory):
    org = factory.organisation()

    response = client.put(org.url(), headers=org.headers, json={})

    assert_problem(response, 405)
    assert "PATCH" in response.headers["Allow"]


def test_body_over_the_limit_is_413(client, factory, settings):
    org = factory.organisation()

    response = client.patch(
        org.url(),
        headers={**org.headers, "Content-Type": "application/json"},
        data='{"name": "' + "x" * settings.max_body_bytes + '"}',
    )

    assert_problem(response, 413)


def test_limit_above_200_is_422(client, factory):
    org = factory.organisation()

    body = assert_problem(client.get(org.url("/members?limit=201"), headers=org.headers), 422)
    assert "limit" in body["errors"]


@pytest.mark.parametrize("limit", ["0", "-1", "99999999999999999999999", "ten"])
def test_nonsense_limits_are_422_never_500(client, factory, limit):
    org = factory.organisation()

    assert_problem(client.get(org.url(f"/members?limit={limit}"), headers=org.headers), 422)


def test_tampered_cursor_is_422(client, factory):
    org = factory.organisation()

    body = assert_problem(client.get(org.url("/members?cursor=abc"), headers=org.headers), 422)
    assert "cursor" in body["errors"]


def test_request_id_is_accepted_and_echoed(client, factory):
    org = factory.organisation()

    response = client.get(org.url("/nope"), headers={**org.headers, "X-Request-ID": "trace-42"})

    assert response.headers["X-Request-ID"] == "trace-42"
    assert response.get_json()["request_id"] == "trace-42"


def test_analyst_writes_are_forbidden_and_write_nothing(client, factory):
    org = factory.organisation()
    analyst = bearer(factory.member(org, "analyst"))
    body = {"email": unique_email(), "role": "analyst"}

    assert_problem(client.post(org.url("/invitations"), headers=analyst, json=body), 403)
    assert client.get(org.url("/invitations"), headers=org.headers).get_json()["items"] == []
