"""Registering OAuth clients: an organisation's front ends and agency tools.

A client id (``clvc_…``) is public; a confidential client's secret (``clvcs_…``)
is shown once and stored only as a hash. Revoking a client revokes every token
it holds, in every organisation, at once.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update

from api.domain import tenancy
from api.domain.access import Tenant, validate_scopes
from api.domain.base import check_version, utcnow
from api.domain.editing import apply_changes
from api.domain.errors import Conflict, PermissionDenied, RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.oauth.models import (
    CLIENT_TYPES,
    GRANT_TYPES,
    AuthorizationCode,
    OAuthClient,
    OAuthToken,
)
from api.domain.oauth.tokens import hash_secret, new_secret
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

CLIENT_ID_PREFIX, CLIENT_SECRET_PREFIX = "clvc_", "clvcs_"
DEFAULT_GRANT_TYPES = ("authorization_code", "refresh_token")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
MAX_URIS = 20
MAX_URI_LENGTH = 2000
UPDATABLE = ("name", "redirect_uris", "allowed_scopes", "allowed_origins")


@dataclass(frozen=True, kw_only=True)
class OAuthClientChanges(Changes):
    name: str | Unset = UNSET
    redirect_uris: list[str] | Unset = UNSET
    allowed_scopes: list[str] | Unset = UNSET
    allowed_origins: list[str] | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class OAuthClientDraft(OAuthClientChanges, Draft):
    name: str
    client_type: str
    allowed_scopes: list[str]
    grant_types: list[str] | Unset = UNSET  # default: DEFAULT_GRANT_TYPES


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str | None  # confidential clients only; shown once, never stored


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_urlsafe(18)


# Rules


def _url_problem(value: str, *, origin: bool) -> str | None:
    """Why ``value`` is not an acceptable redirect URI (or origin), or None."""
    if len(value) > MAX_URI_LENGTH:
        return f"at most {MAX_URI_LENGTH} characters"
    if "*" in value:
        return "no wildcards"
    if "#" in value:
        return "no fragment"
    if any(c.isspace() for c in value):
        return "no spaces"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "an absolute https URL"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return "https, or http only for localhost and 127.0.0.1"
    if parts.username is not None or parts.password is not None:
        return "no user name or password"
    if origin:
        if parts.path or parts.query:
            return "an origin is scheme://host[:port], without path, query or trailing slash"
        if value != value.lower():
            return "an origin is in lower case"
    return None


def _check_urls(values: list[str], field: str, *, origin: bool, errors: dict) -> None:
    if len(values) > MAX_URIS:
        errors[field] = [f"At most {MAX_URIS}."]
        return
    problems = []
    for value in values:
        problem = _url_problem(value, origin=origin)
        if problem:
            problems.append(f"{value!r}: must be {problem}.")
    if len(set(values)) != len(values):
        problems.append("Listed twice.")
    if problems:
        errors[field] = problems


def check_client(
    tenant: Tenant,
    *,
    client_type: str,
    grant_types: list[str],
    redirect_uris: list[str],
    allowed_scopes: list[str],
    allowed_origins: list[str],
    new_scopes: bool = True,
) -> None:
    """Raise RuleViolation (422) or PermissionDenied (403) for a client that breaks a rule."""
    errors: dict[str, list[str]] = {}
    if client_type not in CLIENT_TYPES:
        errors["client_type"] = [f"One of {', '.join(CLIENT_TYPES)}."]
    unknown_grants = sorted(set(grant_types) - set(GRANT_TYPES))
    if unknown_grants:
        errors["grant_types"] = [f"Unknown: {', '.join(unknown_grants)}."]
    elif not grant_types:
        errors["grant_types"] = ["At least one."]
    elif "client_credentials" in grant_types and client_type != "confidential":
        errors["grant_types"] = ["client_credentials needs a confidential client (a secret)."]
    elif "refresh_token" in grant_types and "authorization_code" not in grant_types:
        errors["grant_types"] = ["refresh_token only comes with authorization_code."]
    _check_urls(redirect_uris, "redirect_uris", origin=False, errors=errors)
    if "authorization_code" in grant_types and not redirect_uris and "redirect_uris" not in errors:
        errors["redirect_uris"] = ["At least one for the authorization_code grant."]
    _check_urls(allowed_origins, "allowed_origins", origin=True, errors=errors)
    if allowed_origins and client_type == "confidential" and "allowed_origins" not in errors:
        errors["allowed_origins"] = ["Only public (browser) clients have origins."]
    unknown = validate_scopes(allowed_scopes)
    if unknown:
        errors["allowed_scopes"] = [f"Unknown: {', '.join(unknown)}."]
    elif not allowed_scopes:
        errors["allowed_scopes"] = ["At least one."]
    if errors:
        raise RuleViolation("invalid OAuth client", errors=errors)
    beyond = sorted(set(allowed_scopes) - tenant.grant.effective_scopes)
    if new_scopes and beyond:
        raise PermissionDenied(
            f"a client cannot have scopes its creator lacks: {', '.join(beyond)}"
        )


# Use cases


def create_client(*, uow: UnitOfWork, draft: OAuthClientDraft) -> IssuedClient:
    redirect_uris = list(draft.or_("redirect_uris", []))
    grant_types = list(draft.or_("grant_types", DEFAULT_GRANT_TYPES))
    allowed_origins = list(draft.or_("allowed_origins", []))
    check_client(
        uow.tenant,
        client_type=draft.client_type,
        grant_types=grant_types,
        redirect_uris=redirect_uris,
        allowed_scopes=draft.allowed_scopes,
        allowed_origins=allowed_origins,
    )
    secret = new_secret(CLIENT_SECRET_PREFIX) if draft.client_type == "confidential" else None
    client = OAuthClient(
        client_id=new_client_id(),
        secret_hash=hash_secret(secret) if secret else None,
        name=draft.name,
        client_type=draft.client_type,
        redirect_uris=redirect_uris,
        allowed_scopes=sorted(set(draft.allowed_scopes)),
        grant_types=[g for g in GRANT_TYPES if g in grant_types],
        allowed_origins=allowed_origins,
    )
    uow.session.add(client)
    uow.commit()
    return IssuedClient(client, secret)


def list_clients(*, uow: UnitOfWork, page: PageRequest) -> Page[OAuthClient]:
    return paginate(uow.session, select(OAuthClient), OAuthClient.id, page)


def get_client(*, uow: UnitOfWork, id_: uuid.UUID) -> OAuthClient:
    return tenancy.get(uow.session, OAuthClient, id_, what="OAuth client")


def update_client(
    *,
    uow: UnitOfWork,
    id_: uuid.UUID,
    changes: OAuthClientChanges,
    expected_version: int | None,
) -> OAuthClient:
    client = get_client(uow=uow, id_=id_)
    check_version(client, expected_version)
    if client.revoked_at is not None:
        raise Conflict("the OAuth client has been revoked; register a new one")
    check_client(
        uow.tenant,
        client_type=client.client_type,
        grant_types=client.grant_types,
        redirect_uris=list(changes.or_("redirect_uris", client.redirect_uris)),
        allowed_scopes=list(changes.or_("allowed_scopes", client.allowed_scopes)),
        allowed_origins=list(changes.or_("allowed_origins", client.allowed_origins)),
        new_scopes=changes.sent("allowed_scopes"),
    )
    given = changes.given()
    if "allowed_scopes" in given:
        given["allowed_scopes"] = sorted(set(given["allowed_scopes"]))
    apply_changes(client, given, UPDATABLE)
    uow.commit()
    return client


def revoke_client(*, uow: UnitOfWork, id_: uuid.UUID) -> None:
    """Revoke the client and, at once, every token and pending code it holds."""
    client = get_client(uow=uow, id_=id_)
    now = utcnow()
    if client.revoked_at is None:
        client.revoked_at = now
    uow.session.execute(
        update(OAuthToken)
        .where(OAuthToken.client_id == client.client_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    uow.session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.client_id == client.client_id,
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(expires_at=now)
    )
    uow.commit()


def find_client(*, uow: UnitOfWork, client_id: str) -> OAuthClient | None:
    """The active client with this (public) client id, whichever organisation owns it."""
    return uow.session.scalar(
        tenancy.across_organisations(
            select(OAuthClient).where(
                OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None)
            )
        )
    )


def active_origins(session) -> frozenset[str]:
    """Browser origins of every active public client, across organisations (for CORS)."""
    rows = session.execute(
        tenancy.across_organisations(
            select(OAuthClient.allowed_origins).where(
                OAuthClient.revoked_at.is_(None), OAuthClient.client_type == "public"
            )
        )
    )
    return frozenset(origin for (origins,) in rows for origin in origins or ())
