"""A body the spec marks required is required, and it must be JSON."""

PROBLEM = "application/problem+json"


def test_a_patch_without_a_body_is_422_and_changes_nothing(client, factory):
    org = factory.organisation("Before")

    response = client.patch(org.url(), headers=org.headers)

    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.get_json()["errors"] == {"body": ["A JSON body is required."]}
    assert client.get(org.url(), headers=org.headers).get_json()["name"] == "Before"


def test_a_body_that_is_not_json_is_415(client, factory):
    org = factory.organisation("Before")

    response = client.patch(
        org.url(), headers={**org.headers, "Content-Type": "text/plain"}, data='{"name": "After"}'
    )

    assert response.status_code == 415
    assert response.mimetype == PROBLEM
    assert client.get(org.url(), headers=org.headers).get_json()["name"] == "Before"


def test_an_empty_json_object_is_still_a_body(client, factory):
    org = factory.organisation("Before")

    response = client.patch(org.url(), headers=org.headers, json={})

    assert response.status_code == 200
