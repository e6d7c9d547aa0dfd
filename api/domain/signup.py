"""Signing up: a new user, in a new organisation or the one that invited them, and a first key.

It builds on identity, organisations and invitations, none of which builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.domain.access import ROLE_SCOPES
from api.domain.errors import RuleViolation
from api.domain.identity.models import User
from api.domain.identity.service import IssuedKey, create_user, issue_key
from api.domain.inputs import UNSET, Draft, Unset
from api.domain.invitations.service import accept_at_signup
from api.domain.organisations.models import Organisation
from api.domain.organisations.service import (
    OrganisationChanges,
    OrganisationDraft,
    create_organisation,
)
from api.domain.uow import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class SignupDraft(Draft):
    email: str
    name: str
    password: str | None  # None: no password (the owners the CLI and the demo make)
    organisation_name: str | Unset = UNSET
    invitation_token: str | Unset = UNSET
    # The new organisation's settings besides its name: the API sends none, the demo does.
    organisation_settings: OrganisationChanges = field(default_factory=OrganisationChanges)


@dataclass(frozen=True)
class SignupResult:
    user: User
    organisation: Organisation
    issued: IssuedKey


def signup(*, uow: UnitOfWork, draft: SignupDraft) -> SignupResult:
    """A new user and a first API key: in a new organisation they own, or (with an
    invitation token) in the organisation that invited them, and then no other."""
    if draft.sent("invitation_token") and draft.sent("organisation_name"):
        raise RuleViolation(
            "an invited signup creates no organisation",
            errors={"organisation_name": ["Leave out when signing up with an invitation."]},
        )
    user = create_user(uow=uow, email=draft.email, name=draft.name, password=draft.password)
    if draft.sent("invitation_token"):
        membership = accept_at_signup(uow=uow, token=draft.invitation_token, user=user)
        organisation = uow.session.get(Organisation, membership.organisation_id)
        role = membership.role
    else:
        if not draft.sent("organisation_name"):
            raise RuleViolation(
                "organisation name missing",
                errors={"organisation_name": ["Needed unless signing up with an invitation."]},
            )
        settings = draft.organisation_settings.given()
        organisation = create_organisation(
            uow=uow,
            draft=OrganisationDraft(**settings, name=draft.organisation_name),
            owner_id=user.id,
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
