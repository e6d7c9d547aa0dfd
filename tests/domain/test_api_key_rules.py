"""API key rules on a real session, where HTTP cannot reach them on its own."""

import pytest

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant, system_tenant
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
        uow.open_for(tenant_of(org, "strategist", org.owner_id))
        with pytest.raises(PermissionDenied):
            service.create_api_key(
                uow=uow, draft=service.ApiKeyDraft(name="k", kind="organisation")
            )


def test_only_owners_and_admins_rotate_organisation_keys(factory):
    org = factory.organisation()
    with factory.uow() as uow:
        uow.open_for(tenant_of(org, "owner", org.owner_id))
        key = service.create_api_key(
            uow=uow, draft=service.ApiKeyDraft(name="k", kind="organisation")
        ).api_key
    with factory.uow() as uow:
        uow.open_for(tenant_of(org, "strategist", org.owner_id))
        with pytest.raises(PermissionDenied):
            service.rotate_api_key(uow=uow, key_id=key.id)


def test_a_personal_key_whose_person_is_gone_is_refused(factory):
    """Deleting a user nulls the key's creator; the key has nobody left to act for."""
    org = factory.organisation()
    with factory.uow() as uow:
        uow.session.delete(uow.session.get(User, org.owner_id))
        uow.commit()

    with factory.uow() as uow, pytest.raises(Unauthenticated):
        service.authenticate_api_key(uow.session, org.token)


def _user_exists(factory, email: str) -> bool:
    from sqlalchemy import select

    with factory.uow() as uow:
        return uow.session.scalar(select(User.id).where(User.email == email)) is not None


def test_authenticating_commits_nothing_of_the_callers_unit_of_work(factory):
    """A key whose last_used_at is due: the pending change beside it stays uncommitted."""
    org = factory.organisation()
    email = "pending@example.test"
    with factory.uow() as uow:
        uow.session.add(User(email=email, name="Pending Person"))
        service.authenticate_api_key(uow.session, org.token)
        uow.rollback()

    assert not _user_exists(factory, email)


def test_a_key_use_is_recorded_in_its_own_unit_of_work(factory):
    from api.domain.identity.models import ApiKey

    org = factory.organisation()
    used: list[tuple] = []

    def record(key_id, organisation_id, at) -> bool:
        with factory.uow() as work:
            work.open_for(system_tenant(organisation_id))
            service.record_api_key_use(uow=work, key_id=key_id, at=at)
        used.append((key_id, at))
        return True

    with factory.uow() as uow:
        uow.session.add(User(email="beside@example.test", name="Beside"))
        first = service.authenticate_api_key(uow.session, org.token, record_use=record)
        service.authenticate_api_key(uow.session, org.token, record_use=record)  # not due
        uow.rollback()

    with factory.uow() as uow:
        key = uow.session.get(ApiKey, first.api_key_id)
    assert len(used) == 1 and key.last_used_at == used[0][1]
    assert not _user_exists(factory, "beside@example.test")


def test_a_recorded_use_is_not_written_again_within_a_minute(factory):
    from datetime import timedelta

    from api.domain.base import utcnow
    from api.domain.identity.models import ApiKey

    org = factory.organisation()
    with factory.uow() as uow:
        key_id = service.authenticate_api_key(uow.session, org.token).api_key_id
    first = utcnow()
    for at in (first, first + timedelta(seconds=30)):
        with factory.uow() as work:
            work.open_for(system_tenant(org.id))
            service.record_api_key_use(uow=work, key_id=key_id, at=at)

    with factory.uow() as uow:
        assert uow.session.get(ApiKey, key_id).last_used_at == first
