"""Roles, scopes and the principal: who is calling and what they may do where.

A request needs both: the scope on the credential *and* a role that allows it.
Pure rules, no database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from api.domain.errors import NotFound, PermissionDenied

AREAS = (
    "strategies",
    "channels",
    "campaigns",
    "content",
    "metrics",
    "reports",
    "webhooks",
    "admin",
)
ALL_SCOPES = frozenset(
    [f"{area}:read" for area in AREAS]
    + [f"{area}:write" for area in AREAS if area != "reports"]
    + ["content:approve"]
)
READ_SCOPES = frozenset(s for s in ALL_SCOPES if s.endswith(":read"))

ROLES = ("owner", "admin", "strategist", "contributor", "analyst")
# Higher ranks may grant lower roles; nobody grants above their own.
ROLE_RANK = {"owner": 5, "admin": 4, "strategist": 3, "contributor": 2, "analyst": 1}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "owner": ALL_SCOPES,
    "admin": ALL_SCOPES,
    "strategist": (READ_SCOPES - {"admin:read"})
    | {
        "strategies:write",
        "channels:write",
        "campaigns:write",
        "content:write",
        "content:approve",
        "metrics:write",
    },
    "contributor": (READ_SCOPES - {"admin:read"}) | {"content:write", "metrics:write"},
    "analyst": READ_SCOPES - {"admin:read"},
}


# Personal keys act for the member who made them, never above that member's current
# role, and die with the membership; organisation keys (for servers) act as the
# organisation and survive their creator, so only those who manage keys make them.
KEY_KINDS = ("personal", "organisation")
ORGANISATION_KEY_ROLES = frozenset({"owner", "admin"})


def validate_scopes(scopes: list[str] | set[str] | frozenset[str]) -> list[str]:
    """The unknown scopes among ``scopes`` (empty when all are known)."""
    return sorted(set(scopes) - ALL_SCOPES)


def scopes_beyond_role(role: str, scopes: list[str] | set[str] | frozenset[str]) -> list[str]:
    """The scopes among ``scopes`` that ``role`` cannot use (empty when it can use all)."""
    return sorted(set(scopes) - ROLE_SCOPES[role])


def lower_role(first: str, second: str) -> str:
    """The lower-ranked of two roles: a personal key never acts above its member."""
    return first if ROLE_RANK[first] <= ROLE_RANK[second] else second


@dataclass(frozen=True)
class Grant:
    """What a principal may do in one organisation."""

    organisation_id: uuid.UUID
    role: str
    scopes: frozenset[str]

    @property
    def effective_scopes(self) -> frozenset[str]:
        return self.scopes & ROLE_SCOPES[self.role]

    def allows(self, scope: str) -> bool:
        return scope in self.effective_scopes


@dataclass(frozen=True)
class Principal:
    """A caller resolved once per request from its bearer token."""

    # "api_key", "user" (an OAuth user token), "client" (client credentials), "system",
    # "plan_feed" (a calendar feed's token: reads its organisation's plan, nothing else)
    kind: str
    grants: dict[uuid.UUID, Grant] = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    client_id: str | None = None
    plan_feed_id: uuid.UUID | None = None
    # When the credential stops working by itself (an API key's expiry), if it does.
    expires_at: datetime | None = None

    @property
    def identity(self) -> str:
        """A stable key for per-caller state (idempotency keys)."""
        if self.api_key_id is not None:
            return f"api_key:{self.api_key_id}"
        if self.plan_feed_id is not None:
            return f"plan_feed:{self.plan_feed_id}"
        if self.user_id is None:
            return f"client:{self.client_id}"
        return f"user:{self.user_id}:{self.client_id or ''}"

    def grant_for(self, organisation_id: uuid.UUID) -> Grant:
        """The grant in an organisation; one the caller cannot reach does not exist for it."""
        grant = self.grants.get(organisation_id)
        if grant is None:
            raise NotFound(f"organisation {organisation_id} not found")
        return grant

    def authorise(self, organisation_id: uuid.UUID, scope: str | None) -> Grant:
        grant = self.grant_for(organisation_id)
        if scope is not None and not grant.allows(scope):
            raise PermissionDenied(
                f"this needs the {scope!r} scope, which the {grant.role!r} role "
                "or this credential does not have"
            )
        return grant


@dataclass(frozen=True)
class Tenant:
    """The tenant context a use case runs in: which organisation, and who asked."""

    organisation_id: uuid.UUID
    principal: Principal
    grant: Grant

    @property
    def role(self) -> str:
        return self.grant.role


def may_grant_role(granter_role: str, role: str) -> bool:
    return ROLE_RANK[granter_role] >= ROLE_RANK[role]


def system_tenant(organisation_id: uuid.UUID) -> Tenant:
    """The tenant context of Clover's own background work for an organisation."""
    grant = Grant(organisation_id, "owner", ALL_SCOPES)
    return Tenant(organisation_id, Principal("system", {organisation_id: grant}), grant)
