"""Signing up: a new user, in a new organisation or the one that invited them, and a first key.

It builds on identity, organisations and invitations, none of which builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.access import ROLE_SCOPES
from api.domain.errors import RuleViolation
from api.domain.identity.models import User
from api.domain.identity.service import IssuedKey, create_user, issue_key
from api.domain.invitations.service import accept_at_signup
from api.domain.organisations.models import Organisation
from api.domain.organisations.service import create_organisation
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class SignupResult:
    user: User
    organisation: Organisation
    issued: IssuedKey


def signup(
    *,
    uow: UnitOfWork,
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
    user = create_user(uow=uow, email=email, name=name, password=password)
    if invitation_token is not None:
        membership = accept_at_signup(uow=uow, token=invitation_token, user=user)
        organisation = uow.session.get(Organisation, membership.organisation_id)
        role = membership.role
    else:
        if organisation_name is None:
            raise RuleViolation(
                "organisation name missing",
                errors={"organisation_name": ["Needed unless signing up with an invitation."]},
            )
        organisation = create_organisation(
            uow=uow, name=organisation_name, owner_id=user.id, **organisation_fields
        )
        role = "owner"
    issued = issue_key(
        uow=uow,
        organisation_id=organisation.id,
        name="First key",
        role=role,
        scopes=sorted(ROLE_SCOPES[role]),
        expires_at=None,
        created_by=user.id,
    )
    uow.commit()
    return SignupResult(user, organisation, issued)
