"""Signing up, API keys, and resolving a bearer token into a principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.domain import tenancy
from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant, may_grant_role, validate_scopes
from api.domain.base import utcnow
from api.domain.errors import Conflict, PermissionDenied, RuleViolation, Unauthenticated
from api.domain.identity import secrets
from api.domain.identity.models import ApiKey, User
from api.domain.organisations.models import Organisation
from api.domain.organisations.service import create_organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

# Refreshing last_used_at on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    token: str  # shown once, never stored


@dataclass(frozen=True)
class SignupResult:
    user: User
    organisation: Organisation
    issued: IssuedKey


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(uow: UnitOfWork, *, email: str, name: str, password: str | None) -> User:
    email = normalise_email(email)
    if find_user_by_email(uow.session, email) is not None:
        raise Conflict(f"a user with email {email} already exists", errors={"email": ["Taken."]})
    if password is not None and len(password) < secrets.MIN_PASSWORD_LENGTH:
        raise RuleViolation(
            "password too short",
            errors={"password": [f"At least {secrets.MIN_PASSWORD_LENGTH} characters."]},
        )
    user = User(
        email=email,
        name=name,
        password_hash=secrets.hash_password(password) if password else None,
    )
    uow.session.add(user)
    uow.flush()
    return user


def signup(
    uow: UnitOfWork,
    *,
    email: str,
    name: str,
    password: str | None,
    organisation_name: str | None = None,
    invitation_token: str | None = None,
    **organisation_fields: object,
) -> SignupResult:
    """A new user and a first API key: in a new organisation they own, or (with an
    invitation token) in the organisation that invited them, and then no other."""
    if invitation_token is not None and organisation_name is not None:
        raise RuleViolation(
            "an invited signup creates no organisation",
            errors={"organisation_name": ["Leave out when signing up with an invitation."]},
        )
    user = create_user(uow, email=email, name=name, password=password)
    if invitation_token is not None:
        from api.domain.invitations.service import accept_at_signup  # invitations build on this

        membership = accept_at_signup(uow, token=invitation_token, user=user)
        organisation = uow.session.get(Organisation, membership.organisation_id)
        role = membership.role
    else:
        if organisation_name is None:
            raise RuleViolation(
                "organisation name missing",
                errors={"organisation_name": ["Needed unless signing up with an invitation."]},
            )
        organisation = create_organisation(
            uow, name=organisation_name, owner_id=user.id, **organisation_fields
        )
        role = "owner"
    issued = _issue_key(
        uow,
        organisation_id=organisation.id,
        name="First key",
        role=role,
        scopes=sorted(ROLE_SCOPES[role]),
        expires_at=None,
        created_by=user.id,
    )
    uow.commit()
    return SignupResult(user, organisation, issued)


def _issue_key(
    uow: UnitOfWork,
    *,
    organisation_id: uuid.UUID,
    name: str,
    role: str,
    scopes: list[str],
    expires_at: datetime | None,
    created_by: uuid.UUID | None,
) -> IssuedKey:
    token, prefix, digest = secrets.new_api_key()
    key = ApiKey(
        organisation_id=organisation_id,
        name=name,
        prefix=prefix,
        secret_hash=digest,
        role=role,
        scopes=scopes,
        expires_at=expires_at,
        created_by_user_id=created_by,
    )
    uow.session.add(key)
    uow.flush()
    return IssuedKey(key, token)


def create_api_key(
    uow: UnitOfWork,
    tenant: Tenant,
    *,
    name: str,
    role: str | None = None,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    role = role or tenant.role
    if not may_grant_role(tenant.role, role):
        raise PermissionDenied(f"a {tenant.role} cannot create a key with the {role} role")
    unknown = validate_scopes(scopes or [])
    if unknown:
        raise RuleViolation(
            "unknown scopes", errors={"scopes": [f"Unknown: {', '.join(unknown)}."]}
        )
    requested = set(scopes) if scopes is not None else set(ROLE_SCOPES[role])
    beyond = sorted(requested - tenant.grant.effective_scopes)
    if beyond:
        raise PermissionDenied(f"a key cannot have scopes its creator lacks: {', '.join(beyond)}")
    if expires_at is not None and expires_at <= utcnow():
        raise RuleViolation("expiry in the past", errors={"expires_at": ["Must be in the future."]})
    issued = _issue_key(
        uow,
        organisation_id=tenant.organisation_id,
        name=name,
        role=role,
        scopes=sorted(requested),
        expires_at=expires_at,
        created_by=tenant.principal.user_id,
    )
    uow.commit()
    return issued


def list_api_keys(uow: UnitOfWork, tenant: Tenant, page: PageRequest) -> Page[ApiKey]:
    return paginate(uow.session, select(ApiKey), ApiKey.id, page)


def get_api_key(uow: UnitOfWork, tenant: Tenant, key_id: uuid.UUID) -> ApiKey:
    return tenancy.get(uow.session, ApiKey, key_id, what="API key")


def revoke_api_key(uow: UnitOfWork, tenant: Tenant, key_id: uuid.UUID) -> None:
    key = get_api_key(uow, tenant, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    uow.commit()


def authenticate_api_key(session: Session, token: str) -> Principal:
    """Resolve a bearer token into a principal, or raise Unauthenticated."""
    prefix = secrets.parse_api_key(token)
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    if key is None or not secrets.same_hash(key.secret_hash, secrets.hash_api_key(token)):
        raise Unauthenticated("the bearer token is not valid")
    now = utcnow()
    if key.revoked_at is not None:
        raise Unauthenticated("the API key has been revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("the API key has expired")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.commit()
    grant = Grant(key.organisation_id, key.role, frozenset(key.scopes))
    return Principal(
        kind="api_key",
        grants={key.organisation_id: grant},
        user_id=key.created_by_user_id,
        api_key_id=key.id,
    )


@dataclass(frozen=True)
class Caller:
    principal: Principal
    user: User | None
    api_key: ApiKey | None
    organisations: list[tuple[Organisation, Grant]]


def describe_caller(uow: UnitOfWork, principal: Principal) -> Caller:
    session = uow.session
    user = session.get(User, principal.user_id) if principal.user_id else None
    api_key = session.get(ApiKey, principal.api_key_id) if principal.api_key_id else None
    organisations = session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(list(principal.grants)))
        .order_by(Organisation.id)
    ).all()
    return Caller(
        principal,
        user,
        api_key,
        [(org, principal.grants[org.id]) for org in organisations],
    )
