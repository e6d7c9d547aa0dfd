"""Signing up, API keys, and resolving a bearer token into a principal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.domain import audit, tenancy
from api.domain.access import (
    ORGANISATION_KEY_ROLES,
    ROLE_SCOPES,
    Grant,
    Principal,
    Tenant,
    lower_role,
    may_grant_role,
    scopes_beyond_role,
    validate_scopes,
)
from api.domain.base import utcnow
from api.domain.errors import Conflict, PermissionDenied, RuleViolation, Unauthenticated
from api.domain.identity import secrets
from api.domain.identity.models import ApiKey, User
from api.domain.inputs import UNSET, Draft, Unset
from api.domain.organisations.models import Membership, Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

# Refreshing last_used_at on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Records that a key was used (key id, its organisation, when), outside the caller's
# transaction; answers whether it did. ``record_api_key_use`` in its own unit of work.
RecordUse = Callable[[uuid.UUID, uuid.UUID, datetime], bool]


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True, kw_only=True)
class ApiKeyDraft(Draft):
    name: str
    kind: str | Unset = UNSET  # default: personal
    role: str | Unset = UNSET  # default: the creator's
    scopes: list[str] | Unset = UNSET  # default: every scope of the role
    expires_at: datetime | Unset | None = UNSET  # None: never


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    token: str  # shown once, never stored


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(*, uow: UnitOfWork, email: str, name: str, password: str | None) -> User:
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


def issue_key(
    *,
    uow: UnitOfWork,
    organisation_id: uuid.UUID,
    name: str,
    role: str,
    scopes: list[str],
    expires_at: datetime | None,
    created_by: uuid.UUID | None,
    kind: str = "personal",
) -> IssuedKey:
    token, prefix, digest = secrets.new_api_key()
    key = ApiKey(
        organisation_id=organisation_id,
        name=name,
        kind=kind,
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


def _check_kind(tenant: Tenant, kind: str) -> None:
    if kind == "organisation":
        if tenant.role not in ORGANISATION_KEY_ROLES:
            raise PermissionDenied("only owners and admins create organisation keys")
    elif tenant.principal.user_id is None:
        # Nobody to act for: an organisation key or a machine client is not a member.
        raise RuleViolation(
            "a personal key needs a member to act for",
            errors={
                "kind": [
                    "This caller is not a member (an organisation key or a machine "
                    "client); it can only create organisation keys."
                ]
            },
        )


def create_api_key(*, uow: UnitOfWork, draft: ApiKeyDraft) -> IssuedKey:
    """A personal key (acting for the calling member) or an organisation key.

    The key's role is at most the caller's; its scopes must be ones its role can
    use (422 naming the others) and ones the caller holds (403).
    """
    kind = draft.or_("kind", "personal")
    _check_kind(uow.tenant, kind)
    role = draft.role or uow.tenant.role
    if not may_grant_role(uow.tenant.role, role):
        raise PermissionDenied(f"a {uow.tenant.role} cannot create a key with the {role} role")
    unknown = validate_scopes(draft.or_("scopes", []))
    if unknown:
        raise RuleViolation(
            "unknown scopes", errors={"scopes": [f"Unknown: {', '.join(unknown)}."]}
        )
    requested = set(draft.or_("scopes", ROLE_SCOPES[role]))
    unusable = scopes_beyond_role(role, requested)
    if unusable:
        raise RuleViolation(
            f"the {role} role cannot use some of these scopes",
            errors={"scopes": [f"The {role} role lacks: {', '.join(unusable)}."]},
        )
    beyond = sorted(requested - uow.tenant.grant.effective_scopes)
    if beyond:
        raise PermissionDenied(f"a key cannot have scopes its creator lacks: {', '.join(beyond)}")
    expires_at = draft.or_("expires_at", None)
    if expires_at is not None and expires_at <= utcnow():
        raise RuleViolation("expiry in the past", errors={"expires_at": ["Must be in the future."]})
    issued = issue_key(
        uow=uow,
        organisation_id=uow.tenant.organisation_id,
        name=draft.name,
        kind=kind,
        role=role,
        scopes=sorted(requested),
        expires_at=expires_at,
        created_by=uow.tenant.principal.user_id,
    )
    uow.commit()
    return issued


def list_api_keys(*, uow: UnitOfWork, page: PageRequest) -> Page[ApiKey]:
    return paginate(uow.session, select(ApiKey), ApiKey.id, page)


def get_api_key(*, uow: UnitOfWork, key_id: uuid.UUID) -> ApiKey:
    return tenancy.get(uow.session, ApiKey, key_id, what="API key")


def revoke_api_key(*, uow: UnitOfWork, key_id: uuid.UUID) -> None:
    key = get_api_key(uow=uow, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.mark(uow.session, key, "revoke")
    uow.commit()


def revoke_personal_keys(*, uow: UnitOfWork, user_id: uuid.UUID) -> None:
    """Revoke a member's personal keys in the scoped organisation; the caller commits.

    Authentication already refuses them once the membership is gone; revoking
    them too keeps the list honest and leaves one audit event per key.
    """
    keys = uow.session.scalars(
        select(ApiKey).where(
            ApiKey.kind == "personal",
            ApiKey.created_by_user_id == user_id,
            ApiKey.revoked_at.is_(None),
        )
    ).all()
    now = utcnow()
    for key in keys:
        key.revoked_at = now
        audit.mark(uow.session, key, "revoke")


def rotate_api_key(*, uow: UnitOfWork, key_id: uuid.UUID) -> IssuedKey:
    """A new secret for the same key; the old one stops working at once.

    Organisation keys are rotated by owners and admins; a personal key only by
    the member it acts for (anyone else who manages keys may revoke it instead).
    """
    key = get_api_key(uow=uow, key_id=key_id)
    if key.kind == "organisation":
        if uow.tenant.role not in ORGANISATION_KEY_ROLES:
            raise PermissionDenied("only owners and admins rotate organisation keys")
    elif key.created_by_user_id is None or key.created_by_user_id != uow.tenant.principal.user_id:
        raise PermissionDenied("only the member a personal key acts for can rotate it")
    if key.revoked_at is not None:
        raise Conflict("a revoked API key cannot be rotated")
    if key.expires_at is not None and key.expires_at <= utcnow():
        raise Conflict("an expired API key cannot be rotated; create a new one")
    token, key.prefix, key.secret_hash = secrets.new_api_key()
    audit.mark(uow.session, key, "rotate")
    uow.commit()
    return IssuedKey(key, token)


def authenticate_api_key(
    session: Session, token: str, *, record_use: RecordUse | None = None
) -> Principal:
    """Resolve a bearer token into a principal, or raise Unauthenticated.

    One statement finds the key and, for a personal key, its member's current
    role (no cache): a member who left is refused at once, a demoted one acts
    with the lower of the key's role and their own.

    Only reads ``session``: it belongs to the caller's unit of work, which
    authentication must never commit. When ``last_used_at`` is due (at most once
    a minute), ``record_use`` writes it elsewhere.
    """
    prefix = secrets.parse_api_key(token)
    row = None
    if prefix:
        row = session.execute(
            select(ApiKey, Membership.role)
            .outerjoin(
                Membership,
                and_(
                    ApiKey.kind == "personal",
                    Membership.organisation_id == ApiKey.organisation_id,
                    Membership.user_id == ApiKey.created_by_user_id,
                ),
            )
            .where(ApiKey.prefix == prefix)
        ).first()
    if row is None or not secrets.same_hash(row[0].secret_hash, secrets.hash_api_key(token)):
        raise Unauthenticated("the bearer token is not valid")
    key, member_role = row
    now = utcnow()
    if key.revoked_at is not None:
        raise Unauthenticated("the API key has been revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("the API key has expired")
    if key.kind == "personal" and member_role is None:
        raise Unauthenticated("the member who made this key has left the organisation")
    due = key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION
    if due and record_use is not None and record_use(key.id, key.organisation_id, now):
        # What the other transaction wrote, as loaded state: nothing pending here.
        set_committed_value(key, "last_used_at", now)
    role = key.role if key.kind == "organisation" else lower_role(key.role, member_role)
    grant = Grant(key.organisation_id, role, frozenset(key.scopes))
    return Principal(
        kind="api_key",
        grants={key.organisation_id: grant},
        # An organisation key acts as the organisation, not as whoever made it.
        user_id=key.created_by_user_id if key.kind == "personal" else None,
        api_key_id=key.id,
        expires_at=key.expires_at,
    )


def record_api_key_use(*, uow: UnitOfWork, key_id: uuid.UUID, at: datetime) -> None:
    """Set a key's ``last_used_at`` in a short unit of work of its own.

    Conditional, so that concurrent requests of one key write it once a minute at most.
    """
    uow.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < at - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=at)
        # A key's use changes no one's rights: kept principals stay (api/domain/credentials.py).
        .execution_options(synchronize_session=False, credentials_unchanged=True)
    )
    uow.commit()


@dataclass(frozen=True)
class Caller:
    principal: Principal
    user: User | None
    api_key: ApiKey | None
    organisations: list[tuple[Organisation, Grant]]


def describe_caller(*, uow: UnitOfWork, principal: Principal) -> Caller:
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
