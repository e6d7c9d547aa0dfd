"""Another organisation's token sees 404 for everything the first one owns."""

import re

import pytest

from tests.factories import bearer


@pytest.fixture
def two_orgs(client, factory):
    org, other = factory.organisation("First"), factory.organisation("Second")
    _, email = factory.user()
    member = client.post(
        org.url("/members"), headers=org.headers, json={"email": email, "role": "analyst"}
    ).get_json()
    key = client.post(org.url("/api-keys"), headers=org.headers, json={"name": "k"}).get_json()
    return (
        org,
        other,
        {"membership_id": member["id"], "api_key_id": key["id"], "token": key["token"]},
    )


# Every operation on a tenant path, with a body that would be valid for the owner.
OPERATIONS = [
    ("GET", "", None),
    ("PATCH", "", {"name": "Taken over"}),
    ("GET", "/members", None),
    ("POST", "/members", {"email": "someone@example.test", "role": "analyst"}),
    ("GET", "/members/{membership_id}", None),
    ("PATCH", "/members/{membership_id}", {"role": "owner"}),
    ("DELETE", "/members/{membership_id}", None),
    ("GET", "/api-keys", None),
    ("POST", "/api-keys", {"name": "Backdoor"}),
    ("GET", "/api-keys/{api_key_id}", None),
    ("DELETE", "/api-keys/{api_key_id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_other_organisations_key_gets_404(client, two_orgs, method, path, body):
    org, other, ids = two_orgs

    response = client.open(
        org.url(path.format(**ids)), method=method, headers=other.headers, json=body
    )

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_nothing_changed_after_the_attempts(client, two_orgs):
    org, other, ids = two_orgs
    for method, path, body in OPERATIONS:
        client.open(org.url(path.format(**ids)), method=method, headers=other.headers, json=body)

    assert client.get(org.url(), headers=org.headers).get_json()["name"] == "First"
    member = client.get(org.url(f"/members/{ids['membership_id']}"), headers=org.headers)
    assert member.get_json()["role"] == "analyst"
    assert client.get("/v1/me", headers=bearer(ids["token"])).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/members/{membership_id}"),
        ("PATCH", "/members/{membership_id}"),
        ("DELETE", "/members/{membership_id}"),
        ("GET", "/api-keys/{api_key_id}"),
        ("DELETE", "/api-keys/{api_key_id}"),
    ],
)
def test_ids_of_another_organisation_are_404_under_ones_own(client, two_orgs, method, path):
    """Referencing the first organisation's objects from the second one's URL finds nothing."""
    _, other, ids = two_orgs

    response = client.open(
        other.url(path.format(**ids)), method=method, headers=other.headers, json={"role": "owner"}
    )

    assert response.status_code == 404
    assert client.get("/v1/me", headers=bearer(ids["token"])).status_code == 200


def test_every_tenant_route_is_covered(app):
    covered = {("/v1/organisations/<organisation_id>" + p, m) for m, p, _ in OPERATIONS}
    routes = set()
    for rule in app.url_map.iter_rules():
        if "<organisation_id>" not in rule.rule:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        routes |= {(path.replace("<", "{").replace(">", "}"), m) for m in rule.methods}
    covered = {(p.replace("<", "{").replace(">", "}"), m) for p, m in covered}
    missing = {(p, m) for p, m in routes if m not in ("HEAD", "OPTIONS")} - covered
    assert not missing, f"add these to OPERATIONS: {sorted(missing)}"
