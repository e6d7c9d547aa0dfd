from tests.api import builders
from tests.factories import bearer


def events(client, org, query="", headers=None):
    response = client.get(org.url(f"/audit-events?{query}"), headers=headers or org.headers)
    assert response.status_code == 200
    return response.get_json()["items"]


def test_changes_are_recorded_with_before_and_after(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    client.patch(
        org.url(f"/strategies/{made['id']}"),
        headers={**org.headers, "X-Request-ID": "rename-1"},
        json={"name": "Grow B2B leads in Benelux"},
    )

    recorded = events(client, org, f"resource_id={made['id']}")

    assert [e["action"] for e in recorded] == ["update", "create"]  # newest first
    update = recorded[0]
    assert update["changes"] == {
        "name": {"before": "Grow B2B leads", "after": "Grow B2B leads in Benelux"}
    }
    assert update["request_id"] == "rename-1"
    assert update["resource_type"] == "strategy"
    me = client.get("/v1/me", headers=org.headers).get_json()
    assert update["actor_api_key_id"] == me["api_key"]["id"]
    assert update["actor_user_id"] == me["user"]["id"]


def test_lifecycle_actions_are_named(client, factory):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)
    client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)
    client.post(org.url(f"/strategies/{made['id']}/archive"), headers=org.headers)

    recorded = events(client, org, f"resource_id={made['id']}")

    assert [e["action"] for e in recorded] == ["archive", "activate", "create"]
    assert recorded[1]["changes"] == {"status": {"before": "draft", "after": "active"}}


def test_edits_to_an_active_strategys_kpis_are_recorded(client, factory):
    org = factory.organisation()
    made = builders.ready_strategy(client, org)
    client.post(org.url(f"/strategies/{made['id']}/activate"), headers=org.headers)
    kpi = events(client, org, "resource_type=kpi")[0]

    client.patch(org.url(f"/kpis/{kpi['resource_id']}"), headers=org.headers, json={"target": 150})

    latest = events(client, org, "resource_type=kpi")[0]
    assert latest["action"] == "update"
    assert latest["changes"]["target"] == {"before": 120.0, "after": 150.0}


def test_deletes_record_what_was_there(client, factory):
    org = factory.organisation()
    made = builders.audience(client, org)
    client.delete(org.url(f"/audiences/{made['id']}"), headers=org.headers)

    [deleted, _] = events(client, org, f"resource_id={made['id']}")

    assert deleted["action"] == "delete"
    assert deleted["changes"]["name"] == {"before": "Resellers", "after": None}


def test_filters_by_type_actor_and_time(client, factory):
    org = factory.organisation()
    strategist = factory.member(org, "strategist")
    builders.audience(client, org)
    client.post(
        org.url("/resources"),
        headers=bearer(strategist),
        json={"name": "Writer", "weekly_capacity_hours": 8},
    )
    strategist_key = client.get("/v1/me", headers=bearer(strategist)).get_json()["api_key"]["id"]

    by_type = events(client, org, "resource_type=audience")
    by_actor = events(client, org, f"actor_api_key_id={strategist_key}")
    future = events(client, org, "since=2999-01-01T00:00:00Z")

    assert {e["resource_type"] for e in by_type} == {"audience"}
    assert [e["resource_type"] for e in by_actor] == ["resource"]
    assert future == []


def test_analysts_may_read_the_audit_trail(client, factory):
    org = factory.organisation()
    builders.audience(client, org)

    assert events(client, org, headers=bearer(factory.member(org, "analyst")))


def test_nothing_is_recorded_for_a_refused_change(client, factory):
    org = factory.organisation()
    made = builders.strategy(client, org)
    client.patch(
        org.url(f"/strategies/{made['id']}"), headers=org.headers, json={"period_end": "2020-01-01"}
    )

    assert [e["action"] for e in events(client, org, f"resource_id={made['id']}")] == ["create"]


def test_members_keys_and_settings_are_audited_without_secrets(client, factory):
    org = factory.organisation()
    builders.invited_member(client, org, "analyst")
    key = client.post(org.url("/api-keys"), headers=org.headers, json={"name": "CI"}).get_json()
    client.get("/v1/me", headers=bearer(key["token"]))  # last use is bookkeeping, not audited
    client.patch(org.url(), headers=org.headers, json={"currency": "GBP"})

    trail = events(client, org)

    kinds = [(e["resource_type"], e["action"]) for e in trail]
    assert kinds[:2] == [("organisation", "update"), ("api_key", "create")]
    assert {("member", "create"), ("invitation", "accept"), ("invitation", "create")} <= set(kinds)
    assert trail[0]["changes"] == {"currency": {"before": "EUR", "after": "GBP"}}
    key_event = trail[1]
    assert "secret_hash" not in key_event["changes"]
    assert key["token"] not in str(trail)
    assert not [e for e in trail if "last_used_at" in e["changes"]]
