"""The demo organisation that `make run` seeds."""

from __future__ import annotations

from sqlalchemy import select

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
from api.domain.identity import service as identity
from api.domain.identity.models import User
from api.domain.organisations.models import Membership, Organisation
from api.domain.uow import UnitOfWork

DEMO_EMAIL = "demo@clover.local"
DEMO_ORGANISATION = "Clover Demo"


def seed_demo(uow: UnitOfWork):
    """(organisation, issued key, created?). Safe to run again: it then issues a new key."""
    user = uow.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        result = identity.signup(
            uow,
            email=DEMO_EMAIL,
            name="Demo Owner",
            password=None,
            organisation_name=DEMO_ORGANISATION,
            timezone="Europe/Amsterdam",
            currency="EUR",
        )
        return result.organisation, result.issued, True
    organisation = uow.session.scalar(
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id, Membership.role == "owner")
        .order_by(Organisation.id)
    )
    grant = Grant(organisation.id, "owner", ROLE_SCOPES["owner"])
    tenant = Tenant(organisation.id, Principal("cli", {organisation.id: grant}, user.id), grant)
    uow.scope(organisation.id)
    issued = identity.create_api_key(uow, tenant, name="Demo key")
    return organisation, issued, False
