"""The security schemes the OpenAPI document declares: API keys and OAuth 2.

``bearer`` (an organisation API key) is declared by the app's spec options;
``oauth2`` (tokens from Clover's own authorization server) is registered here,
once per spec, by the enforcing Blueprint (see ``Blueprint.register_views_in_doc``).
Every authenticated operation then documents
``security: [{"bearer": []}, {"oauth2": [<its scope>]}]``.
"""

from __future__ import annotations

from api.domain.access import ALL_SCOPES

OAUTH2 = "oauth2"
AUTHORIZATION_URL = "/oauth/authorize"
TOKEN_URL = "/oauth/token"

_VERBS = {
    "read": "Read {area}",
    "write": "Create, change and delete {area}",
    "approve": "Approve or reject content items in review",
}
_AREAS = {
    "strategies": "strategies, objectives, KPIs, audiences, resources and readiness assessments",
    "channels": "channels, their connections and syncs",
    "campaigns": "campaigns, their reviews and learnings",
    "content": "content items and the plan",
    "metrics": "metric points, series, definitions, imports and rollups",
    "reports": "reports and the audit trail",
    "webhooks": "webhooks",
}


_SPECIAL = {
    "admin:read": "Read the organisation's settings, members, API keys, OAuth clients and consents",
    "admin:write": (
        "Change the organisation's settings; manage its members, API keys, OAuth clients "
        "and consents"
    ),
}


def scope_description(scope: str) -> str:
    if scope in _SPECIAL:
        return _SPECIAL[scope]
    area, _, verb = scope.partition(":")
    return _VERBS[verb].format(area=_AREAS.get(area, area))


def scopes() -> dict[str, str]:
    return {scope: scope_description(scope) for scope in sorted(ALL_SCOPES)}


def oauth2_scheme() -> dict:
    return {
        "type": "oauth2",
        "description": (
            "An OAuth 2 access token from Clover's authorization server: authorization code "
            "with PKCE for agencies and front ends acting for a member (in the organisations "
            "the member consented to), or client credentials for a confidential client acting "
            "in the organisation that registered it. Access tokens last 1 hour; refresh "
            "tokens rotate. A request needs the scope and a role that allows it."
        ),
        "flows": {
            "authorizationCode": {
                "authorizationUrl": AUTHORIZATION_URL,
                "tokenUrl": TOKEN_URL,
                "refreshUrl": TOKEN_URL,
                "scopes": scopes(),
            },
            "clientCredentials": {
                "tokenUrl": TOKEN_URL,
                "scopes": scopes(),
            },
        },
    }


def operation_security(scope: str | None) -> list[dict]:
    """An operation's security requirement: an API key, or an OAuth token with ``scope``."""
    return [{"bearer": []}, {OAUTH2: [scope] if scope else []}]


def register_security_schemes(spec) -> None:
    """Declare ``oauth2`` on an apispec ``APISpec`` (idempotent)."""
    if OAUTH2 not in spec.components.security_schemes:
        spec.components.security_scheme(OAUTH2, oauth2_scheme())
