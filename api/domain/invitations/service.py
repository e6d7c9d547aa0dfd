"""Invitations: the only way into an organisation, and only with the invitee's consent.

An owner or admin invites an email with a role; the one-time token is shown once
to them (who sends it to the invitee) and stored as a SHA-256 hash, like an API
key. Creating an invitation says nothing about whether the email has an account
or a membership: every invitation is answered alike. The invitee accepts while
signed in, or at signup.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select

from api.domain import audit, tenancy
from api.domain.access import ROLES, Principal, may_grant_role
from api.domain.base import utcnow
from api.domain.errors import Conflict, Gone, NotFound, PermissionDenied, RuleViolation
from api.domain.identity.models import User
from api.domain.identity.secrets import hash_api_key
from api.domain.identity.service import normalise_email
from api.domain.inputs import UNSET, Draft, Unset
from api.domain.invitations.models import STATUSES, Invitation
from api.domain.organisations.models import Membership
from api.domain.organisations.service import admit_member
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

TOKEN_PREFIX = "clvinv"
DEFAULT_EXPIRY_DAYS = 7
MAX_EXPIRY_DAYS = 30
# The token is 256 random bits: a fast hash suffices and allows lookup by hash.
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, kw_only=True)
class InvitationDraft(Draft):
    email: str
    role: str
    expires_in_days: int | Unset = UNSET  # default: DEFAULT_EXPIRY_DAYS


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once, never stored


def new_token() -> str:
    return f"{TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"


def create_invitation(
    *, uow: UnitOfWork, draft: InvitationDraft, accept_url_template: str | None = None
) -> IssuedInvitation:
    """Invite an email with a role; announces ``member.invited`` (without the token)."""
    role = draft.role
    expires_in_days = draft.or_("expires_in_days", DEFAULT_EXPIRY_DAYS)
    if role not in ROLES:
        raise RuleViolation("unknown role", errors={"role": [f"One of {', '.join(ROLES)}."]})
    if not may_grant_role(uow.tenant.role, role):
        raise PermissionDenied(f"a {uow.tenant.role} cannot invite with the {role} role")
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise RuleViolation(
            "expiry out of range",
            errors={"expires_in_days": [f"Must be between 1 and {MAX_EXPIRY_DAYS}."]},
        )
    token = new_token()
    invitation = Invitation(
        email=normalise_email(draft.email),
        role=role,
        token_hash=hash_api_key(token),
        expires_at=utcnow() + timedelta(days=expires_in_days),
        invited_by_user_id=uow.tenant.principal.user_id,
    )
    uow.session.add(invitation)
    uow.flush()
    events.emit(
        uow=uow,
        type="member.invited",
        payload={
            "invitation_id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "invited_by_user_id": invitation.invited_by_user_id,
            "accept_url_template": accept_url_template,
        },
    )
    uow.commit()
    return IssuedInvitation(invitation, token)


def _status_is(status: str, now: datetime):
    pending = and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
    return {
        "accepted": Invitation.accepted_at.is_not(None),
        "revoked": and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_not(None)),
        "expired": and_(pending, Invitation.expires_at <= now),
        "pending": and_(pending, Invitation.expires_at > now),
    }[status]


def list_invitations(
    *, uow: UnitOfWork, page: PageRequest, status: str | None = None
) -> Page[Invitation]:
    """Invitations, newest first; ``status`` filters by the derived status."""
    stmt = select(Invitation)
    if status is not None:
        if status not in STATUSES:
            raise RuleViolation(
                "unknown status", errors={"status": [f"One of {', '.join(STATUSES)}."]}
            )
        stmt = stmt.where(_status_is(status, utcnow()))
    return paginate(uow.session, stmt, Invitation.id, page, newest_first=True)


def get_invitation(*, uow: UnitOfWork, invitation_id: uuid.UUID) -> Invitation:
    return tenancy.get(uow.session, Invitation, invitation_id, what="invitation")


def revoke_invitation(*, uow: UnitOfWork, invitation_id: uuid.UUID) -> None:
    """Revoke a pending invitation (again: nothing changes); an accepted one is a 409."""
    invitation = get_invitation(uow=uow, invitation_id=invitation_id)
    if invitation.accepted_at is not None:
        raise Conflict("the invitation has been accepted; remove the member instead")
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.mark(uow.session, invitation, "revoke")
    uow.commit()


def _find(uow: UnitOfWork, token: str) -> Invitation | None:
    if not token.startswith(TOKEN_PREFIX + "_") or len(token) > MAX_TOKEN_LENGTH:
        return None
    return uow.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_api_key(token))
    )


def _usable(invitation: Invitation) -> None:
    status = invitation.status_at(utcnow())
    if status == "accepted":
        raise Conflict("this invitation has already been accepted")
    if status == "revoked":
        raise Gone("this invitation has been revoked; ask for a new one")
    if status == "expired":
        raise Gone("this invitation has expired; ask for a new one")


def _accept(uow: UnitOfWork, invitation: Invitation, user: User) -> Membership:
    _usable(invitation)
    membership = admit_member(
        uow=uow, organisation_id=invitation.organisation_id, user=user, role=invitation.role
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by_user_id = user.id
    audit.mark(uow.session, invitation, "accept")
    return membership


def accept_invitation(*, uow: UnitOfWork, token: str, principal: Principal) -> Membership:
    """A signed-in user accepts an invitation to their own email.

    An unknown token and an invitation to another email are the same 404: the
    answer tells a caller nothing about invitations that are not theirs.
    """
    if principal.user_id is None:
        raise PermissionDenied(
            "accepting an invitation needs a person's credential, not a client's"
        )
    user = uow.session.get(User, principal.user_id)
    invitation = _find(uow, token)
    if user is None or invitation is None or invitation.email != user.email:
        raise NotFound("no invitation for you has this token")
    membership = _accept(uow, invitation, user)
    uow.commit()
    return membership


def accept_at_signup(*, uow: UnitOfWork, token: str, user: User) -> Membership:
    """The invitation a new user signs up with (their email must be the invited one).

    The caller commits, together with the new user.
    """
    invitation = _find(uow, token)
    if invitation is None or invitation.email != user.email:
        raise RuleViolation(
            "no invitation for this email has this token",
            errors={"invitation_token": ["No invitation for this email has this token."]},
        )
    return _accept(uow, invitation, user)
