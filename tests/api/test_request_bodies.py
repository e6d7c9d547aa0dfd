"""A body the spec marks required is required, it must be JSON, and its values typed."""

import pytest

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


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size_estimate", 2.5),  # not an integer: was truncated to 2
        ("size_estimate", "400"),  # a string, not a number
        ("size_estimate", True),
        ("name", 7),
    ],
)
def test_a_json_value_of_the_wrong_type_is_422(client, factory, field, value):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"), headers=org.headers, json={"name": "Resellers", field: value}
    )

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_a_boolean_must_be_true_or_false(client, factory, value):
    org = factory.organisation()

    response = client.post(
        org.url("/webhook-endpoints"),
        headers=org.headers,
        json={"url": "https://93.184.215.14/hooks", "events": ["sync.failed"], "enabled": value},
    )

    assert response.status_code == 422
    assert "enabled" in response.get_json()["errors"]


def test_wrong_types_inside_lists_and_objects_are_named_by_position(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"),
        headers=org.headers,
        json={"name": "X", "characteristics": ["B2B", 3], "channel_preferences": {"x": "high"}},
    )

    errors = response.get_json()["errors"]
    assert response.status_code == 422
    assert errors["characteristics"] == {"1": ["Not a valid string."]}
    assert errors["channel_preferences"] == {"x": {"value": ["Not a valid number."]}}


def test_a_whole_number_written_as_a_float_is_an_integer(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"), headers=org.headers, json={"name": "X", "size_estimate": 400.0}
    )

    assert response.status_code == 201
    assert response.get_json()["size_estimate"] == 400
