"""Build strategy data (and members, through invitations) through the API, as a client would."""

from __future__ import annotations

import io

from tests import media_files
from tests.factories import unique_email

PASSWORD = "a long enough password"


def created(response) -> dict:
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def strategy(client, org, **fields) -> dict:
    body = {
        "name": "Grow B2B leads",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "business_context": "Distributors want fewer, better leads.",
        **fields,
    }
    return created(client.post(org.url("/strategies"), headers=org.headers, json=body))


def objective(client, org, strategy_id, **fields) -> dict:
    body = {"title": "More qualified leads", "business_outcome": "lead_generation", **fields}
    return created(
        client.post(
            org.url(f"/strategies/{strategy_id}/objectives"), headers=org.headers, json=body
        )
    )


def kpi(client, org, objective_id, **fields) -> dict:
    body = {
        "name": "Leads per month",
        "metric_key": "leads",
        "target": 120,
        "baseline": 80,
        **fields,
    }
    return created(
        client.post(org.url(f"/objectives/{objective_id}/kpis"), headers=org.headers, json=body)
    )


def audience(client, org, **fields) -> dict:
    body = {
        "name": "Resellers",
        "kind": "partners",
        "characteristics": ["B2B", "price-sensitive"],
        "value_tier": "strategic",
        "size_estimate": 400,
        "channel_preferences": {"linkedin": 0.8, "email": 0.6},
        **fields,
    }
    return created(client.post(org.url("/audiences"), headers=org.headers, json=body))


def resource(client, org, **fields) -> dict:
    body = {
        "name": "Community team",
        "kind": "team",
        "role": "Community management",
        "known_role": "community_manager",
        "weekly_capacity_hours": 32,
        "hourly_cost": 55,
        **fields,
    }
    return created(client.post(org.url("/resources"), headers=org.headers, json=body))


def ready_strategy(client, org, **fields) -> dict:
    """A draft strategy that meets every activation precondition."""
    made = strategy(client, org, **fields)
    kpi(client, org, objective(client, org, made["id"])["id"])
    audience(client, org)
    resource(client, org)
    return made


def channel(client, org, **fields) -> dict:
    body = {"kind": "linkedin", "name": "Company page", "handle": "@acme", **fields}
    return created(client.post(org.url("/channels"), headers=org.headers, json=body))


def campaign(client, org, strategy_id, **fields) -> dict:
    body = {
        "strategy_id": strategy_id,
        "name": "Spring reseller push",
        "start_date": "2027-03-01",
        "end_date": "2027-05-31",
        "budget_amount": 12000,
        **fields,
    }
    return created(client.post(org.url("/campaigns"), headers=org.headers, json=body))


def content_item(client, org, campaign_id, channel_id, **fields) -> dict:
    body = {"channel_id": channel_id, "title": "Case study: Van Dijk Tools", **fields}
    return created(
        client.post(
            org.url(f"/campaigns/{campaign_id}/content-items"), headers=org.headers, json=body
        )
    )


def medium(client, org, alt_text: str = "A teal square") -> dict:
    """An uploaded image (a tiny PNG) with its alt text."""
    form = {"file": (io.BytesIO(media_files.image("png")), "teal.png"), "alt_text": alt_text}
    return created(
        client.post(
            org.url("/media"), headers=org.headers, data=form, content_type="multipart/form-data"
        )
    )


def running_campaign(client, org, **fields) -> tuple[dict, dict]:
    """A campaign on one LinkedIn channel, in a fresh strategy; (campaign, channel)."""
    made_channel = channel(client, org)
    made = campaign(
        client, org, strategy(client, org)["id"], channel_ids=[made_channel["id"]], **fields
    )
    return made, made_channel


def invitation(client, org, email: str | None = None, role: str = "analyst", **fields) -> dict:
    """An invitation to ``org`` (``headers`` to invite as someone else); holds its token."""
    headers = fields.pop("headers", None) or org.headers
    body = {"email": email or unique_email("invitee"), "role": role, **fields}
    return created(client.post(org.url("/invitations"), headers=headers, json=body))


def invited_member(client, org, role: str = "analyst", email: str | None = None) -> dict:
    """Someone invited to ``org`` who signs up with the token: the signup response
    (``user``, ``organisation``, ``api_key`` acting with ``role``)."""
    invited = invitation(client, org, email, role)
    body = {
        "email": invited["email"],
        "name": "Ivy Invitee",
        "password": PASSWORD,
        "invitation_token": invited["token"],
    }
    return created(client.post("/v1/signup", json=body))


def member_id(client, org, user_id: str) -> str:
    """The membership id of a user in ``org``."""
    members = client.get(org.url("/members?limit=200"), headers=org.headers).get_json()["items"]
    return next(m["id"] for m in members if m["user"]["id"] == user_id)


def ingest(client, org, points: list[dict]) -> None:
    """Metric points in, all or none (``atomic``): every one must be valid."""
    response = client.post(
        org.url("/metric-points/batch?atomic=true"), headers=org.headers, json={"points": points}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
