"""Tenants never leak: another organisation's token sees 404 for everything the first
one owns, and cannot reach its objects from its own URLs either."""

import re
import uuid

import pytest

from api.db import database_for
from api.domain.access import system_tenant
from api.domain.base import utcnow
from api.domain.jobs.service import create_job
from api.domain.key_messages.service import KeyMessageDraft, create_message
from api.domain.webhooks.models import WebhookDelivery, WebhookEvent
from tests.api import builders, oauth_helpers
from tests.factories import Factory


@pytest.fixture(scope="module")
def first_org(app, settings):
    """An organisation with one of everything, and its ids by URL placeholder.

    Shared by the module's probes: none of them may change it, which
    test_nothing_changed_after_every_attempt checks.
    """
    client = app.test_client()
    factory = Factory(database_for(settings))
    org = factory.organisation("First")
    joined = builders.invited_member(client, org, "analyst")
    membership_id = builders.member_id(client, org, joined["user"]["id"])
    invitation = builders.invitation(client, org)
    key = builders.created(
        client.post(org.url("/api-keys"), headers=org.headers, json={"name": "k"})
    )
    strategy = builders.strategy(client, org)
    objective = builders.objective(client, org, strategy["id"])
    kpi = builders.kpi(client, org, objective["id"])
    assessment = builders.created(
        client.post(
            org.url("/readiness-assessments"),
            headers=org.headers,
            json={"culture": 3, "leadership": 3, "governance": 3, "technology": 3},
        )
    )
    channel = builders.channel(client, org)
    client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=org.headers,
        json={"provider": "sandbox", "account": "@first", "credentials": {"access_token": "t"}},
    )
    campaign = builders.campaign(client, org, strategy["id"], channel_ids=[channel["id"]])
    reviewed = builders.campaign(client, org, strategy["id"], name="Reviewed")
    for _ in range(2):
        client.post(org.url(f"/campaigns/{reviewed['id']}/advance"), headers=org.headers)
    review = builders.created(
        client.post(org.url(f"/campaigns/{reviewed['id']}/reviews"), headers=org.headers, json={})
    )
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    feed = builders.created(
        client.post(org.url("/plan-feeds"), headers=org.headers, json={"name": "Team calendar"})
    )
    series = builders.created(
        client.post(
            org.url("/content-series"),
            headers=org.headers,
            json={
                "campaign_id": campaign["id"],
                "channel_id": channel["id"],
                "title": "Daily",
                "rule": "FREQ=DAILY;COUNT=2",
                "starts_at": "2027-03-02T10:00:00",
            },
        )
    )
    with factory.uow() as work:  # a job, without leaving an upload or a queued RQ job behind
        work.open_for(system_tenant(org.id))
        job_id = str(create_job(uow=work, kind="import").id)
        work.commit()
    with factory.uow() as work:  # a key message, without queuing its re-matching job
        work.open_for(system_tenant(org.id))
        key_message_id = str(
            create_message(
                uow=work,
                strategy_id=uuid.UUID(strategy["id"]),
                draft=KeyMessageDraft(name="First", phrases=["first"]),
            ).id
        )
    mention = builders.created(
        client.post(
            org.url("/mentions"), headers=org.headers, json={**MENTION, "channel_id": channel["id"]}
        )
    )
    definition = builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": "first_only_metric", "name": "First only"},
        )
    )
    oauth_client = oauth_helpers.register(client, org)
    oauth_grant_id = oauth_helpers.consent(
        factory.database, org.id, oauth_client["client_id"], org.owner_id, ["admin:read"]
    )
    ids = {
        "oauth_client_id": oauth_client["id"],
        "oauth_grant_id": str(oauth_grant_id),
        "channel_id": channel["id"],
        "campaign_id": campaign["id"],
        "review_id": review["id"],
        "item_id": item["id"],
        "feed_id": feed["id"],
        "series_id": series["id"],
        "membership_id": membership_id,
        "invitation_id": invitation["id"],
        "api_key_id": key["id"],
        "api_key_prefix": key["prefix"],
        "strategy_id": strategy["id"],
        "objective_id": objective["id"],
        "kpi_id": kpi["id"],
        "audience_id": builders.audience(client, org)["id"],
        "resource_id": builders.resource(client, org)["id"],
        "assessment_id": assessment["id"],
        "metric_key": definition["key"],
        "job_id": job_id,
        "key_message_id": key_message_id,
        "mention_id": mention["id"],
        "media_id": builders.medium(client, org)["id"],
        "competitor_id": builders.created(
            client.post(
                org.url("/competitors"),
                headers=org.headers,
                json={"name": "Globex", "keywords": ["Globex"]},
            )
        )["id"],
        **_webhook_ids(client, factory, org),
    }
    return org, ids


def _webhook_ids(client, factory, org) -> dict:
    """A webhook endpoint and one delivery of it (written directly: no receiver needed)."""
    hook = builders.created(
        client.post(
            org.url("/webhook-endpoints"),
            headers=org.headers,
            json={"url": "https://93.184.215.14/hook", "events": ["sync.failed"]},
        )
    )
    with factory.uow() as work:
        work.open_for(system_tenant(org.id))
        event = WebhookEvent(type="sync.failed", payload={}, dispatched_at=utcnow())
        work.session.add(event)
        work.flush()
        delivery = WebhookDelivery(
            endpoint_id=uuid.UUID(hook["id"]),
            event_id=event.id,
            event_type=event.type,
            status="failed",
            next_attempt_at=None,
        )
        work.session.add(delivery)
        work.commit()
        return {"endpoint_id": hook["id"], "delivery_id": str(delivery.id)}


STRATEGY = {"name": "Taken", "period_start": "2027-01-01", "period_end": "2027-12-31"}
OBJECTIVE = {"title": "Planted", "business_outcome": "sales"}
SERIES = {
    "campaign_id": "{campaign_id}",
    "channel_id": "{channel_id}",
    "owner_id": "{resource_id}",
    "title": "Planted",
    "rule": "FREQ=DAILY;COUNT=2",
    "starts_at": "2027-03-02T10:00:00",
}
MENTION = {"channel_id": "{channel_id}", "text": "Planted", "posted_at": "2027-03-01T09:00:00Z"}

# Every operation on a tenant path, with a body that would be valid for the owner.
OPERATIONS = [
    ("GET", "", None),
    ("PATCH", "", {"name": "Taken over"}),
    ("GET", "/members", None),
    ("GET", "/members/{membership_id}", None),
    ("PATCH", "/members/{membership_id}", {"role": "owner"}),
    ("DELETE", "/members/{membership_id}", None),
    ("GET", "/invitations", None),
    ("POST", "/invitations", {"email": "someone@example.test", "role": "owner"}),
    ("GET", "/invitations/{invitation_id}", None),
    ("DELETE", "/invitations/{invitation_id}", None),
    ("GET", "/api-keys", None),
    ("POST", "/api-keys", {"name": "Backdoor"}),
    ("GET", "/api-keys/{api_key_id}", None),
    ("DELETE", "/api-keys/{api_key_id}", None),
    ("POST", "/api-keys/{api_key_id}/rotate", None),
    ("GET", "/oauth-clients", None),
    ("POST", "/oauth-clients", oauth_helpers.WEB_APP),
    ("GET", "/oauth-clients/{oauth_client_id}", None),
    ("PATCH", "/oauth-clients/{oauth_client_id}", {"name": "Taken"}),
    ("DELETE", "/oauth-clients/{oauth_client_id}", None),
    ("GET", "/oauth-grants", None),
    ("GET", "/oauth-grants/{oauth_grant_id}", None),
    ("DELETE", "/oauth-grants/{oauth_grant_id}", None),
    ("GET", "/strategies", None),
    ("POST", "/strategies", STRATEGY),
    ("GET", "/strategies/{strategy_id}", None),
    ("PATCH", "/strategies/{strategy_id}", {"name": "Taken"}),
    ("DELETE", "/strategies/{strategy_id}", None),
    ("POST", "/strategies/{strategy_id}/activate", None),
    ("POST", "/strategies/{strategy_id}/archive", None),
    ("GET", "/strategies/{strategy_id}/summary", None),
    ("GET", "/strategies/{strategy_id}/objectives", None),
    ("POST", "/strategies/{strategy_id}/objectives", OBJECTIVE),
    ("GET", "/objectives/{objective_id}", None),
    ("PATCH", "/objectives/{objective_id}", {"title": "Taken"}),
    ("DELETE", "/objectives/{objective_id}", None),
    ("GET", "/objectives/{objective_id}/kpis", None),
    ("POST", "/objectives/{objective_id}/kpis", {"name": "K", "metric_key": "reach", "target": 1}),
    ("GET", "/kpis/{kpi_id}", None),
    ("PATCH", "/kpis/{kpi_id}", {"target": 999}),
    ("DELETE", "/kpis/{kpi_id}", None),
    ("GET", "/audiences", None),
    ("POST", "/audiences", {"name": "Planted"}),
    ("GET", "/audiences/{audience_id}", None),
    ("PATCH", "/audiences/{audience_id}", {"name": "Taken"}),
    ("DELETE", "/audiences/{audience_id}", None),
    ("GET", "/resources", None),
    ("POST", "/resources", {"name": "Planted", "weekly_capacity_hours": 1}),
    ("GET", "/resources/{resource_id}", None),
    ("PATCH", "/resources/{resource_id}", {"name": "Taken"}),
    ("DELETE", "/resources/{resource_id}", None),
    ("GET", "/media", None),
    ("POST", "/media", None),
    ("GET", "/media/{media_id}", None),
    ("PATCH", "/media/{media_id}", {"alt_text": "Taken"}),
    ("DELETE", "/media/{media_id}", None),
    ("GET", "/media/{media_id}/content", None),
    ("GET", "/plan-feeds", None),
    ("POST", "/plan-feeds", {"name": "Planted"}),
    ("POST", "/plan-feeds", {"name": "Planted", "campaign_id": "{campaign_id}"}),
    ("POST", "/plan-feeds", {"name": "Planted", "channel_id": "{channel_id}"}),
    ("POST", "/plan-feeds", {"name": "Planted", "owner_id": "{resource_id}"}),
    ("GET", "/plan-feeds/{feed_id}", None),
    ("DELETE", "/plan-feeds/{feed_id}", None),
    ("GET", "/readiness-assessments", None),
    (
        "POST",
        "/readiness-assessments",
        {"culture": 1, "leadership": 1, "governance": 1, "technology": 1},
    ),
    ("GET", "/readiness-assessments/{assessment_id}", None),
    ("GET", "/readiness", None),
    ("GET", "/audit-events", None),
    ("GET", "/channels", None),
    ("POST", "/channels", {"kind": "x", "name": "Planted"}),
    ("GET", "/channels/{channel_id}", None),
    ("PATCH", "/channels/{channel_id}", {"name": "Taken"}),
    ("DELETE", "/channels/{channel_id}", None),
    ("GET", "/campaigns", None),
    (
        "POST",
        "/campaigns",
        {
            "strategy_id": "{strategy_id}",
            "name": "X",
            "start_date": "2027-03-01",
            "end_date": "2027-03-02",
        },
    ),
    ("GET", "/campaigns/{campaign_id}", None),
    ("PATCH", "/campaigns/{campaign_id}", {"name": "Taken"}),
    ("DELETE", "/campaigns/{campaign_id}", None),
    ("POST", "/campaigns/{campaign_id}/start", None),
    ("POST", "/campaigns/{campaign_id}/complete", None),
    ("POST", "/campaigns/{campaign_id}/cancel", None),
    ("POST", "/campaigns/{campaign_id}/advance", None),
    ("GET", "/campaigns/{campaign_id}/reviews", None),
    ("POST", "/campaigns/{campaign_id}/reviews", {"what_worked": "Planted"}),
    ("GET", "/reviews/{review_id}", None),
    ("PATCH", "/reviews/{review_id}", {"what_worked": "Taken"}),
    ("GET", "/learnings", None),
    ("GET", "/campaigns/{campaign_id}/content-items", None),
    (
        "POST",
        "/campaigns/{campaign_id}/content-items",
        {"channel_id": "{channel_id}", "title": "X"},
    ),
    (
        "POST",
        "/campaigns/{campaign_id}/content-items/batch",
        {"items": [{"channel_id": "{channel_id}", "title": "X"}]},
    ),
    ("POST", "/content-items/transitions", {"to": "drafting", "items": [{"id": "{item_id}"}]}),
    ("GET", "/content-items", None),
    ("GET", "/content-items/{item_id}", None),
    ("PATCH", "/content-items/{item_id}", {"title": "Taken"}),
    ("DELETE", "/content-items/{item_id}", None),
    ("POST", "/content-items/{item_id}/transition", {"to": "drafting"}),
    ("GET", "/content-items/{item_id}/history", None),
    ("GET", "/content-items/{item_id}/publish-attempts", None),
    ("GET", "/content-items/{item_id}/results", None),
    ("GET", "/content-series", None),
    ("POST", "/content-series", SERIES),
    ("GET", "/content-series/{series_id}", None),
    ("PATCH", "/content-series/{series_id}", {"title": "Taken"}),
    ("DELETE", "/content-series/{series_id}", None),
    ("GET", "/plan", None),
    (
        "POST",
        "/metric-points/batch",
        {"points": [{"metric_key": "reach", "day": "2027-01-04", "value": 1}]},
    ),
    ("GET", "/metric-points", None),
    ("GET", "/metric-series", None),
    ("GET", "/metric-definitions", None),
    ("POST", "/metric-definitions", {"key": "planted_metric", "name": "Planted"}),
    ("GET", "/metric-definitions/{metric_key}", None),
    ("DELETE", "/metric-definitions/{metric_key}", None),
    ("GET", "/kpis/{kpi_id}/values", None),
    ("GET", "/kpis/{kpi_id}/forecast", None),
    ("POST", "/rollups", None),
    ("GET", "/channels/{channel_id}/connection", None),
    (
        "PUT",
        "/channels/{channel_id}/connection",
        {"provider": "sandbox", "account": "@taken", "credentials": {"access_token": "t"}},
    ),
    ("DELETE", "/channels/{channel_id}/connection", None),
    ("POST", "/channels/{channel_id}/sync", None),
    ("GET", "/strategies/{strategy_id}/scorecard", None),
    ("GET", "/jobs", None),
    ("GET", "/jobs/{job_id}", None),
    ("GET", "/jobs/{job_id}/errors", None),
    ("POST", "/imports", None),
    ("POST", "/content-items/imports", None),
    ("GET", "/mentions", None),
    ("POST", "/mentions", MENTION),
    (
        "POST",
        "/mentions/batch",
        {
            "channel_id": "{channel_id}",
            "mentions": [{"text": "Planted", "posted_at": "2027-03-01T09:00:00Z"}],
        },
    ),
    ("GET", "/mentions/{mention_id}", None),
    ("GET", "/competitors", None),
    ("POST", "/competitors", {"name": "Planted"}),
    ("GET", "/competitors/{competitor_id}", None),
    ("PATCH", "/competitors/{competitor_id}", {"name": "Taken", "keywords": ["taken"]}),
    ("DELETE", "/competitors/{competitor_id}", None),
    ("PATCH", "/mentions/{mention_id}", {"topic": "competitor"}),
    ("GET", "/reports/lift?metric=reach&from=2027-01-01&to=2027-12-31", None),
    (
        "GET",
        "/reports/lift?metric=reach&campaign_id={campaign_id}&from=2027-01-01&to=2027-12-31",
        None,
    ),
    (
        "GET",
        "/reports/lift?metric=reach&channel_id={channel_id}&from=2027-01-01&to=2027-12-31",
        None,
    ),
    (
        "GET",
        "/reports/causal-lift?metric=reach&campaign_id={campaign_id}&from=2027-03-01&to=2027-03-21",
        None,
    ),
    (
        "GET",
        "/reports/causal-lift?metric=reach&channel_id={channel_id}&from=2027-03-01&to=2027-03-21",
        None,
    ),
    (
        "GET",
        "/reports/funnel?campaign_id={campaign_id}&channel_id={channel_id}"
        "&from=2027-01-01&to=2027-12-31",
        None,
    ),
    ("GET", "/reports/channels?from=2027-01-01&to=2027-12-31", None),
    ("GET", "/reports/share-of-voice?from=2027-01-01&to=2027-12-31&granularity=week", None),
    ("GET", "/reports/roi?from=2027-01-01&to=2027-12-31", None),
    ("GET", "/reports/roi?campaign_id={campaign_id}&from=2027-01-01&to=2027-12-31", None),
    ("GET", "/reports/alignment?strategy_id={strategy_id}", None),
    (
        "GET",
        "/reports/audience-channel-fit?strategy_id={strategy_id}&from=2027-01-01&to=2027-12-31",
        None,
    ),
    (
        "GET",
        "/reports/message-pull-through?strategy_id={strategy_id}&from=2027-01-01&to=2027-12-31",
        None,
    ),
    ("GET", "/strategies/{strategy_id}/key-messages", None),
    ("POST", "/strategies/{strategy_id}/key-messages", {"name": "Taken", "phrases": ["taken"]}),
    ("GET", "/key-messages/{key_message_id}", None),
    ("PATCH", "/key-messages/{key_message_id}", {"phrases": ["taken"]}),
    ("DELETE", "/key-messages/{key_message_id}", None),
    ("GET", "/webhook-endpoints", None),
    ("POST", "/webhook-endpoints", {"url": "https://93.184.215.14/x", "events": ["sync.failed"]}),
    ("GET", "/webhook-endpoints/{endpoint_id}", None),
    ("PATCH", "/webhook-endpoints/{endpoint_id}", {"enabled": False}),
    ("DELETE", "/webhook-endpoints/{endpoint_id}", None),
    ("GET", "/webhook-endpoints/{endpoint_id}/deliveries", None),
    ("POST", "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver", None),
]


def filled(body, ids):
    """A body with the placeholders of another organisation's ids filled in."""
    if isinstance(body, str):
        return body.format(**ids)
    if isinstance(body, list):
        return [filled(v, ids) for v in body]
    if isinstance(body, dict):
        return {k: filled(v, ids) for k, v in body.items()}
    return body


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_other_organisations_key_gets_404(client, factory, first_org, method, path, body):
    org, ids = first_org
    other = factory.organisation("Second")

    response = client.open(
        org.url(path.format(**ids)), method=method, headers=other.headers, json=filled(body, ids)
    )

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_nothing_changed_after_every_attempt(client, factory, first_org):
    org, ids = first_org
    other = factory.organisation("Second")
    before = client.get(org.url(f"/strategies/{ids['strategy_id']}/summary"), headers=org.headers)
    for method, path, body in OPERATIONS:
        client.open(
            org.url(path.format(**ids)),
            method=method,
            headers=other.headers,
            json=filled(body, ids),
        )

    after = client.get(org.url(f"/strategies/{ids['strategy_id']}/summary"), headers=org.headers)
    assert after.get_json() == before.get_json()
    assert client.get(org.url(), headers=org.headers).get_json()["name"] == "First"
    member = client.get(org.url(f"/members/{ids['membership_id']}"), headers=org.headers)
    assert member.get_json()["role"] == "analyst"
    invitation = client.get(org.url(f"/invitations/{ids['invitation_id']}"), headers=org.headers)
    assert invitation.get_json()["status"] == "pending"
    invitations = client.get(org.url("/invitations"), headers=org.headers).get_json()["items"]
    assert len(invitations) == 2  # the accepted one and the pending one: none planted
    oauth_client = org.url(f"/oauth-clients/{ids['oauth_client_id']}")
    assert client.get(oauth_client, headers=org.headers).get_json()["revoked_at"] is None
    oauth_grant = org.url(f"/oauth-grants/{ids['oauth_grant_id']}")
    assert client.get(oauth_grant, headers=org.headers).get_json()["revoked_at"] is None
    key = client.get(org.url(f"/api-keys/{ids['api_key_id']}"), headers=org.headers).get_json()
    assert (key["prefix"], key["revoked_at"]) == (ids["api_key_prefix"], None)  # not rotated
    hook = client.get(org.url(f"/webhook-endpoints/{ids['endpoint_id']}"), headers=org.headers)
    assert hook.get_json()["enabled"] is True
    feeds = client.get(org.url("/plan-feeds"), headers=org.headers).get_json()["items"]
    assert [(f["id"], f["revoked_at"]) for f in feeds] == [(ids["feed_id"], None)]
    medium = client.get(org.url(f"/media/{ids['media_id']}"), headers=org.headers)
    assert medium.get_json()["alt_text"] == "A teal square"
    assert len(client.get(org.url("/media"), headers=org.headers).get_json()["items"]) == 1
    competitors = client.get(org.url("/competitors"), headers=org.headers).get_json()["items"]
    assert [(c["id"], c["name"], c["keywords"]) for c in competitors] == [
        (ids["competitor_id"], "Globex", ["Globex"])
    ]
    other_key = client.get("/v1/me", headers=other.headers).get_json()["api_key"]["id"]
    trail = client.get(org.url("/audit-events?limit=200"), headers=org.headers).get_json()["items"]
    assert trail and all(e["actor_api_key_id"] != other_key for e in trail)


# Operations naming an object in the path or the body.
ITEM_OPERATIONS = [
    (m, p, b)
    for m, p, b in OPERATIONS
    if "{" in p or any(isinstance(v, str) and "{" in v for v in (b or {}).values())
]


@pytest.mark.parametrize(("method", "path", "body"), ITEM_OPERATIONS)
def test_ids_of_another_organisation_are_404_under_ones_own_url(
    client, factory, first_org, method, path, body
):
    """The second organisation cannot reach or attach to the first one's objects."""
    _, ids = first_org
    other = factory.organisation("Second")

    response = client.open(
        other.url(path.format(**ids)), method=method, headers=other.headers, json=filled(body, ids)
    )

    assert response.status_code == 404


def test_a_resource_cannot_reference_another_organisations_member(client, factory, first_org):
    _, ids = first_org
    other = factory.organisation("Second")

    response = client.post(
        other.url("/resources"),
        headers=other.headers,
        json={"name": "Borrowed", "weekly_capacity_hours": 5, "member_id": ids["membership_id"]},
    )

    assert response.status_code == 404


def test_an_invitation_admits_only_to_its_own_organisation(client, factory):
    """Accepting is not under a tenant URL: the invitation alone decides where one joins."""
    org = factory.organisation("Home")
    other = factory.organisation("Second")
    person = builders.invited_member(client, org)  # already a member of one organisation
    before = client.get(org.url("/members?limit=200"), headers=org.headers).get_json()["items"]
    invited = builders.invitation(client, other, person["user"]["email"], "admin")

    response = client.post(
        "/v1/invitations/accept",
        headers={"Authorization": f"Bearer {person['api_key']['token']}"},
        json={"token": invited["token"]},
    )

    assert response.status_code == 201
    assert response.get_json()["organisation_id"] == str(other.id)
    after = client.get(org.url("/members?limit=200"), headers=org.headers).get_json()["items"]
    assert after == before  # the role in the first organisation is untouched


def test_every_tenant_route_is_covered(app):
    covered = {(m, p.partition("?")[0]) for m, p, _ in OPERATIONS}  # without the query
    routes = set()
    for rule in app.url_map.iter_rules():
        if "organisation_id" not in rule.arguments:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        path = path.removeprefix("/v1/organisations/{organisation_id}")
        routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes, "no tenant routes found: the check itself is broken"
    assert routes - covered == set(), "add these to OPERATIONS"
    assert covered - routes == set(), "these are not routes"
