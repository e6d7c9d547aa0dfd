"""Conditional reads: a GET that answers with an ETag answers If-None-Match with 304."""

from tests.api import builders


def _get(client, org, path, tag=None):
    headers = dict(org.headers)
    if tag is not None:
        headers["If-None-Match"] = tag
    return client.get(org.url(path), headers=headers)


def test_an_unchanged_entity_answers_304_with_its_etag_and_no_body(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    first = _get(client, org, f"/audiences/{audience['id']}")

    again = _get(client, org, f"/audiences/{audience['id']}", first.headers["ETag"])

    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.data == b""


def test_after_a_change_the_old_etag_gets_the_new_version(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    path = f"/audiences/{audience['id']}"
    first = _get(client, org, path)
    client.patch(org.url(path), headers=org.headers, json={"name": "Renamed"})

    again = _get(client, org, path, first.headers["ETag"])

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert again.get_json()["name"] == "Renamed"


def test_a_hand_written_view_answers_304_too(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    path = f"/strategies/{strategy['id']}"
    first = _get(client, org, path)

    assert _get(client, org, path, first.headers["ETag"]).status_code == 304


def test_a_star_matches_any_version(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)

    response = _get(client, org, f"/audiences/{audience['id']}", "*")

    assert response.status_code == 304
    assert response.headers["ETag"]


def test_one_tag_of_a_list_matching_is_enough(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    path = f"/audiences/{audience['id']}"
    tag = _get(client, org, path).headers["ETag"]

    matching = _get(client, org, path, f'"999", {tag}, "1000"')
    none_matching = _get(client, org, path, '"999", "1000"')

    assert matching.status_code == 304
    assert none_matching.status_code == 200


def test_a_weak_tag_compares_weakly(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    path = f"/audiences/{audience['id']}"
    tag = _get(client, org, path).headers["ETag"]

    assert _get(client, org, path, f"W/{tag}").status_code == 304


def test_a_page_of_a_list_has_an_etag_and_answers_304(client, factory):
    org = factory.organisation()
    builders.audience(client, org)
    builders.audience(client, org)
    first = _get(client, org, "/audiences")
    assert first.headers["ETag"]

    again = _get(client, org, "/audiences", first.headers["ETag"])

    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.data == b""


def test_a_change_to_one_item_of_the_page_changes_its_etag(client, factory):
    org = factory.organisation()
    builders.audience(client, org)
    changed = builders.audience(client, org)
    first = _get(client, org, "/audiences")
    client.patch(
        org.url(f"/audiences/{changed['id']}"), headers=org.headers, json={"name": "Renamed"}
    )

    again = _get(client, org, "/audiences", first.headers["ETag"])

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


def test_pages_of_one_list_have_different_etags(client, factory):
    org = factory.organisation()
    for _ in range(3):
        builders.audience(client, org)
    first = _get(client, org, "/audiences?limit=2")
    cursor = first.get_json()["next_cursor"]

    second = _get(client, org, f"/audiences?limit=2&cursor={cursor}", first.headers["ETag"])

    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]


def test_a_hand_written_list_answers_304_until_an_item_on_it_changes(client, factory):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    first = _get(client, org, "/strategies")

    unchanged = _get(client, org, "/strategies", first.headers["ETag"])
    client.patch(
        org.url(f"/strategies/{strategy['id']}"), headers=org.headers, json={"name": "Renamed"}
    )
    changed = _get(client, org, "/strategies", first.headers["ETag"])

    assert unchanged.status_code == 304
    assert changed.status_code == 200


def test_a_head_request_is_answered_304_too(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    path = org.url(f"/audiences/{audience['id']}")
    tag = _get(client, org, f"/audiences/{audience['id']}").headers["ETag"]

    response = client.head(path, headers={**org.headers, "If-None-Match": tag})

    assert response.status_code == 304


def test_a_write_is_not_answered_304(client, factory):
    org = factory.organisation()
    audience = builders.audience(client, org)
    path = f"/audiences/{audience['id']}"
    tag = _get(client, org, path).headers["ETag"]

    response = client.patch(
        org.url(path), headers={**org.headers, "If-None-Match": tag}, json={"name": "New"}
    )

    assert response.status_code == 200


def test_another_organisations_etag_opens_nothing(client, factory):
    org, other = factory.organisation(), factory.organisation()
    audience = builders.audience(client, org)
    tag = _get(client, org, f"/audiences/{audience['id']}").headers["ETag"]

    response = _get(client, other, f"/audiences/{audience['id']}", tag)

    assert response.status_code == 404


def test_the_spec_documents_304_and_if_none_match_for_every_get_with_an_etag(client):
    spec = client.get("/openapi.json").get_json()
    documented = 0
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if not operation:
            continue
        with_etag = "ETag" in operation["responses"].get("200", {}).get("headers", {})
        names = {p.get("name") for p in operation.get("parameters", [])}
        assert ("304" in operation["responses"]) == with_etag, path
        assert ("If-None-Match" in names) == with_etag, path
        documented += with_etag
    lists = spec["paths"]["/v1/organisations/{organisation_id}/audiences"]["get"]
    assert "304" in lists["responses"]
    assert documented > 40
