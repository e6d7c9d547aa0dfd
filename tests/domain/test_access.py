import uuid

import pytest

from api.domain.access import (
    ALL_SCOPES,
    ROLE_SCOPES,
    Grant,
    Principal,
    lower_role,
    may_grant_role,
    scopes_beyond_role,
)
from api.domain.errors import NotFound, PermissionDenied

ORG = uuid.uuid4()


def principal(role, scopes=ALL_SCOPES):
    return Principal("api_key", {ORG: Grant(ORG, role, frozenset(scopes))})


def test_a_request_needs_both_the_scope_and_a_role_that_allows_it():
    assert principal("owner", {"admin:read"}).authorise(ORG, "admin:read")
    with pytest.raises(PermissionDenied):
        principal("owner", {"admin:read"}).authorise(ORG, "admin:write")  # scope missing
    with pytest.raises(PermissionDenied):
        principal("analyst").authorise(ORG, "strategies:write")  # role does not allow


def test_an_unreachable_organisation_is_not_found_not_forbidden():
    with pytest.raises(NotFound):
        principal("owner").authorise(uuid.uuid4(), None)


def test_analysts_only_read():
    assert all(scope.endswith(":read") for scope in ROLE_SCOPES["analyst"])


def test_only_owners_and_admins_administer():
    holders = {role for role, scopes in ROLE_SCOPES.items() if "admin:write" in scopes}
    assert holders == {"owner", "admin"}


def test_approving_content_is_governance():
    holders = {role for role, scopes in ROLE_SCOPES.items() if "content:approve" in scopes}
    assert holders == {"owner", "admin", "strategist"}


@pytest.mark.parametrize(
    ("granter", "role", "allowed"),
    [
        ("owner", "owner", True),
        ("admin", "owner", False),
        ("admin", "admin", True),
        ("strategist", "admin", False),
        ("contributor", "analyst", True),
    ],
)
def test_nobody_grants_above_their_own_role(granter, role, allowed):
    assert may_grant_role(granter, role) is allowed


def test_effective_scopes_are_the_intersection():
    grant = Grant(ORG, "contributor", frozenset({"content:write", "admin:write"}))
    assert grant.effective_scopes == {"content:write"}


@pytest.mark.parametrize(
    ("key_role", "member_role", "acting"),
    [
        ("admin", "contributor", "contributor"),
        ("analyst", "owner", "analyst"),
        ("admin", "admin", "admin"),
    ],
)
def test_a_personal_key_acts_with_the_lower_of_its_role_and_its_members(
    key_role, member_role, acting
):
    assert lower_role(key_role, member_role) == acting
    assert lower_role(member_role, key_role) == acting


def test_scopes_beyond_a_role_are_named():
    assert scopes_beyond_role(
        "contributor", {"content:approve", "admin:write", "content:write"}
    ) == [
        "admin:write",
        "content:approve",
    ]
    assert scopes_beyond_role("owner", ALL_SCOPES) == []
