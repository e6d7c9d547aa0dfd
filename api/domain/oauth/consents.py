"""Consents from the consent page: which organisations a person lets a client act in.

The consent page lists every organisation the person belongs to; what they approve
is, per chosen organisation, the requested scopes their role there allows. Recording
it updates (or revives) their earlier consent for that client instead of adding one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from api.domain import tenancy
from api.domain.access import ROLE_SCOPES
from api.domain.errors import RuleViolation
from api.domain.identity.models import User
from api.domain.oauth.models import OAuthGrant
from api.domain.organisations.models import Membership, Organisation
from api.domain.uow import UnitOfWork


class NothingToConsent(RuleViolation):
    """No chosen organisation allows any requested scope."""


@dataclass(frozen=True)
class Consent:
    """One person's approval of one client: organisation id → the scopes granted there."""

    user_id: uuid.UUID
    client_id: str
    organisation_scopes: dict[uuid.UUID, list[str]]


def signed_in_user(*, uow: UnitOfWork, user_id: uuid.UUID) -> User | None:
    return uow.session.get(User, user_id)


def member_organisations(*, uow: UnitOfWork, user_id: uuid.UUID) -> list[tuple[Organisation, str]]:
    """Every organisation the person belongs to, with their role there, by name."""
    rows = uow.session.execute(
        tenancy.across_organisations(
            select(Organisation, Membership.role)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user_id)
            .order_by(Organisation.name, Organisation.id)
        )
    )
    return [(org, role) for org, role in rows]


def decide_consent(
    *,
    uow: UnitOfWork,
    user_id: uuid.UUID,
    client_id: str,
    requested_scopes: Iterable[str],
    chosen: Iterable[str],
) -> Consent:
    """What approving grants: per chosen organisation (ids as the form sent them, in
    order; unknown ones ignored), the requested scopes the person's role there allows."""
    member_of = {org.id: role for org, role in member_organisations(uow=uow, user_id=user_id)}
    organisation_ids: list[uuid.UUID] = []
    for raw in chosen:
        try:
            org_id = uuid.UUID(raw)
        except ValueError:
            continue
        if org_id in member_of and org_id not in organisation_ids:
            organisation_ids.append(org_id)
    requested = set(requested_scopes)
    granted = {org: sorted(requested & ROLE_SCOPES[member_of[org]]) for org in organisation_ids}
    granted = {org: scopes for org, scopes in granted.items() if scopes}
    if not granted:
        raise NothingToConsent(
            "Choose at least one organisation where your role allows what is asked."
        )
    return Consent(user_id=user_id, client_id=client_id, organisation_scopes=granted)


def record_consent(*, uow: UnitOfWork, consent: Consent) -> None:
    """Upsert one grant per organisation; the caller (``codes.issue_code``) commits."""
    existing = {
        c.organisation_id: c
        for c in uow.session.scalars(
            tenancy.in_organisations(
                select(OAuthGrant).where(
                    OAuthGrant.user_id == consent.user_id,
                    OAuthGrant.client_id == consent.client_id,
                ),
                consent.organisation_scopes,
            )
        )
    }
    for org, scopes in consent.organisation_scopes.items():
        grant = existing.get(org)
        if grant is None:
            uow.session.add(
                OAuthGrant(
                    organisation_id=org,
                    client_id=consent.client_id,
                    user_id=consent.user_id,
                    scopes=scopes,
                )
            )
        else:
            grant.scopes = scopes
            grant.revoked_at = None
