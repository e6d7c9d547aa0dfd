from tests.api import builders
from tests.factories import bearer


def test_a_new_strategy_is_a_draft(client, factory):
    org = factory.organisation()

    made = builders.strategy(client, org)

    assert made["status"] == "draft"
    fetched = client.get(org.url(f"/strategies/{made['id']}"), headers=org.headers)
    assert fetched.get_json()["name"] == "Grow B2B leads"
    assert fetched.headers["ETag"] == '"1"'


def test_a_backwards_period_is_a_field_error(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/strategies"),
        headers=org.headers,
        json={"name": "Odd", "period_start": "2027-06-01", "period_end": "2027-01-01"},
    )

    assert response.status_code == 422
    assert "period_end" in response.get_json()["errors"]


def test_list_filters_by_status_and_period(client, factory):
    org = factory.organisation()
    old = builders.strategy(
        client, org, name="2025", period_start="2025-01-01", period_end="2025-12-31"
    )
    new = builders.ready_strategy(client, org, name="2027")
    client.post(org.url(f"/strategies/{new['id']}/activate"), headers=org.headers)

    def names(query):
        body = client.get(org.url(f"/strategies?{query}"), headers=org.headers).get_json()
        return [s["name"] for s in body["items"]]

    assert names("") == ["2025", "2027"]
    assert names("status=active") == ["2027"]
    assert names("status=draft") == ["2025"]
    assert names("period_from=2026-01-01") == ["2027"]
    assert names("period_to=2025-06-30") == ["2025"]
    assert old["id"] != new["id"]


def test_activation_lists_every_missing_precondition(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)

    response = client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"objectives", "audiences", "resources"}


def test_activation_names_objectives_without_kpis(client, factory):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)
    builders.objective(client, org, made["id"], title="Happier customers")

    response = client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["kpis"]
    assert "Happier customers" in errors["kpis"][0]


def test_a_ready_strategy_activates(client, factory):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)

    response = client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)

    assert response.status_code == 200
    assert response.get_json()["status"] == "active"
    again = client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)
    assert again.status_code == 409


def test_two_active_strategies_may_not_overlap(client, factory):
    org = factory.organisation()
    first = builders.ready_strategy(client, org)
    assert (
        client.post(org.url(f"/strategies/{first['id']}/activate"), headers=org.headers).status_code
        == 200
    )
    overlapping = builders.ready_strategy(
        client, org, period_start="2027-12-31", period_end="2028-06-30"
    )
    later = builders.ready_strategy(client, org, period_start="2028-01-01", period_end="2028-12-31")

    clash = client.post(org.url(f"/strategies/{overlapping['id']}/activate"), headers=org.headers)
    fine = client.post(org.url(f"/strategies/{later['id']}/activate"), headers=org.headers)

    assert clash.status_code == 409
    assert first["id"] in clash.get_json()["detail"]
    assert fine.status_code == 200


def test_moving_an_active_strategy_into_another_ones_period_is_refused(client, factory):
    org = factory.organisation()
    first = builders.ready_strategy(client, org)
    second = builders.ready_strategy(
        client, org, period_start="2028-01-01", period_end="2028-12-31"
    )
    for made in (first, second):
        client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)

    response = client.patch(
        org.url(f"/strategies/{second['id']}"),
        headers=org.headers,
        json={"period_start": "2027-06-01"},
    )

    assert response.status_code == 409


def test_strategies_of_other_organisations_do_not_clash(client, factory):
    org, other = factory.organisation(), factory.organisation()
    mine = builders.ready_strategy(client, org)
    theirs = builders.ready_strategy(client, other)

    assert (
        client.post(org.url(f"/strategies/{mine['id']}/activate"), headers=org.headers).status_code
        == 200
    )
    assert (
        client.post(
            other.url(f"/strategies/{theirs['id']}/activate"), headers=other.headers
        ).status_code
        == 200
    )


def test_only_drafts_can_be_deleted(client, factory):
    org = factory.organisation()
    draft = builders.strategy(client, org)
    active = builders.ready_strategy(
        client, org, period_start="2029-01-01", period_end="2029-12-31"
    )
    client.post(org.url(f"/strategies/{active['id']}/activate"), headers=org.headers)

    assert (
        client.delete(org.url(f"/strategies/{active['id']}"), headers=org.headers).status_code
        == 409
    )
    assert (
        client.delete(org.url(f"/strategies/{draft['id']}"), headers=org.headers).status_code == 204
    )
    assert client.get(org.url(f"/strategies/{draft['id']}"), headers=org.headers).status_code == 404


def test_deleting_a_draft_removes_its_objectives_and_kpis(client, factory):
    org = factory.organisation()
    draft = builders.strategy(client, org)
    objective = builders.objective(client, org, draft["id"])
    kpi = builders.kpi(client, org, objective["id"])

    client.delete(org.url(f"/strategies/{draft['id']}"), headers=org.headers)

    assert (
        client.get(org.url(f"/objectives/{objective['id']}"), headers=org.headers).status_code
        == 404
    )
    assert client.get(org.url(f"/kpis/{kpi['id']}"), headers=org.headers).status_code == 404


def test_an_archived_strategy_is_read_only(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    objective = builders.objective(client, org, made["id"])

    assert (
        client.post(org.url(f"/strategies/{made['id']}/archive"), headers=org.headers).status_code
        == 200
    )

    assert (
        client.patch(
            org.url(f"/strategies/{made['id']}"), headers=org.headers, json={"name": "X"}
        ).status_code
        == 409
    )
    assert (
        client.patch(
            org.url(f"/objectives/{objective['id']}"), headers=org.headers, json={"title": "X"}
        ).status_code
        == 409
    )
    assert (
        client.post(
            org.url(f"/strategies/{made['id']}/objectives"),
            headers=org.headers,
            json={"title": "X", "business_outcome": "sales"},
        ).status_code
        == 409
    )
    assert (
        client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers).status_code
        == 409
    )


def test_stale_etag_on_update_is_412(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    url = org.url(f"/strategies/{made['id']}")
    client.patch(url, headers={**org.headers, "If-Match": '"1"'}, json={"name": "v2"})

    response = client.patch(url, headers={**org.headers, "If-Match": '"1"'}, json={"name": "v3"})

    assert response.status_code == 412
    assert client.get(url, headers=org.headers).get_json()["name"] == "v2"


def test_analyst_reads_but_cannot_write(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    analyst = bearer(factory.member(org, "analyst"))

    assert client.get(org.url(f"/strategies/{made['id']}"), headers=analyst).status_code == 200
    assert (
        client.post(
            org.url("/strategies"),
            headers=analyst,
            json={"name": "x", "period_start": "2027-01-01", "period_end": "2027-02-01"},
        ).status_code
        == 403
    )
    assert (
        client.patch(
            org.url(f"/strategies/{made['id']}"), headers=analyst, json={"name": "x"}
        ).status_code
        == 403
    )


def test_contributor_cannot_activate_but_strategist_can(client, factory):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)
    contributor = bearer(factory.member(org, "contributor"))
    strategist = bearer(factory.member(org, "strategist"))

    assert (
        client.post(org.url(f"/strategies/{made['id']}/activate"), headers=contributor).status_code
        == 403
    )
    assert (
        client.post(org.url(f"/strategies/{made['id']}/activate"), headers=strategist).status_code
        == 200
    )


def test_strategies_page_with_cursor(client, factory):
    org = factory.organisation()
    for n in range(3):
        builders.strategy(client, org, name=f"S{n}")

    first = client.get(org.url("/strategies?limit=2"), headers=org.headers).get_json()
    second = client.get(
        org.url(f"/strategies?limit=2&cursor={first['next_cursor']}"), headers=org.headers
    ).get_json()

    assert [s["name"] for s in first["items"] + second["items"]] == ["S0", "S1", "S2"]
    assert second["next_cursor"] is None


def test_create_with_idempotency_key_creates_once(client, factory):
    org = factory.organisation()
    headers = {**org.headers, "Idempotency-Key": "strategy-1"}
    body = {"name": "Once", "period_start": "2027-01-01", "period_end": "2027-12-31"}

    first = client.post(org.url("/strategies"), headers=headers, json=body)
    second = client.post(org.url("/strategies"), headers=headers, json=body)

    assert first.get_json()["id"] == second.get_json()["id"]
    listed = client.get(org.url("/strategies"), headers=org.headers).get_json()["items"]
    assert [s["name"] for s in listed] == ["Once"]
