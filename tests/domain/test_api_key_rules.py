"""API key rules on a real session, where HTTP cannot reach them on its own."""

import pytest

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
from api.domain.errors import PermissionDenied, Unauthenticated
from api.domain.identity import service
from api.domain.identity.models import User


def tenant_of(org, role, user_id=None) -> Tenant:
    grant = Grant(org.id, role, ROLE_SCOPES[role])
    return Tenant(org.id, Principal("user", {org.id: grant}, user_id), grant)


def test_only_owners_and_admins_make_organisation_keys(factory):
    """Even a caller whose credential holds admin scopes (an OAuth token) needs the role."""
    org = factory.organisation()
    with factory.uow() as uow:
        uow.scope(org.id)
        with pytest.raises(PermissionDenied):
            service.create_api_key(
                uow, tenant_of(org, "strategist", org.owner_id), name="k", kind="organisation"
            )


def test_only_owners_and_admins_rotate_organisation_keys(factory):
    org = factory.organisation()
    with factory.uow() as uow:
        uow.scope(org.id)
        key = service.create_api_key(
            uow, tenant_of(org, "owner", org.owner_id), name="k", kind="organisation"
        ).api_key
        with pytest.raises(PermissionDenied):
            service.rotate_api_key(uow, tenant_of(org, "strategist", org.owner_id), key_id=key.id)


def test_a_personal_key_whose_person_is_gone_is_refused(factory):
    """Deleting a user nulls the key's creator; the key has nobody left to act for."""
    org = factory.organisation()
    with factory.uow() as uow:
        uow.session.delete(uow.session.get(User, org.owner_id))
        uow.commit()

    with factory.uow() as uow, pytest.raises(Unauthenticated):
        service.authenticate_api_key(uow.session, org.token)
