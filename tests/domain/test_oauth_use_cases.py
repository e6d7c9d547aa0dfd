"""OAuth's use cases on a real session: consents, codes used once, refresh rotation."""

import uuid

import pytest
from sqlalchemy import select

from api.domain import audit
from api.domain.access import system_tenant
from api.domain.oauth import codes, consents, refresh, tokens
from api.domain.oauth.models import OAuthGrant, OAuthToken

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def setting(factory):
    org = factory.organisation()
    client_id, _ = factory.oauth_client(org)
    return org, client_id


def _code(client_id: str) -> str:
    return "code-of-" + client_id  # codes are unique across the test database


def _consent(uow, org, client_id, scopes=("strategies:read",)):
    return consents.decide_consent(
        uow=uow,
        user_id=org.owner_id,
        client_id=client_id,
        requested_scopes=scopes,
        chosen=[str(org.id)],
    )


def _issue_code(factory, org, client_id, code=None) -> None:
    with factory.uow() as uow:
        codes.issue_code(
            uow=uow,
            consent=_consent(uow, org, client_id),
            code=code or _code(client_id),
            redirect_uri="http://127.0.0.1:9/callback",
            scope="strategies:read",
            code_challenge=CHALLENGE,
            code_challenge_method="S256",
            actor=audit.Actor(user_id=org.owner_id, client_id=client_id),
        )


def _exchange(factory, client_id, code=None) -> tokens.IssuedToken | None:
    with factory.uow() as uow:
        row = codes.redeemable_code(uow=uow, code=code or _code(client_id), client_id=client_id)
        if row is None:
            return None
        return codes.consume_code(uow=uow, code=row, client_id=client_id, with_refresh=True)


def _token(factory, token_id: uuid.UUID) -> OAuthToken:
    with factory.uow() as uow:
        return uow.session.get(OAuthToken, token_id)


def test_consenting_again_updates_the_one_consent(factory, setting):
    org, client_id = setting
    _issue_code(factory, org, client_id, client_id + "-first")
    _issue_code(factory, org, client_id, client_id + "-second")

    with factory.uow() as uow:
        grants = uow.session.scalars(
            select(OAuthGrant).where(OAuthGrant.organisation_id == org.id)
        ).all()
    assert [g.scopes for g in grants] == [["strategies:read"]]


def test_consent_is_only_for_organisations_the_person_belongs_to(factory, setting):
    org, client_id = setting
    other = factory.organisation("Other")
    with factory.uow() as uow, pytest.raises(consents.NothingToConsent):
        consents.decide_consent(
            uow=uow,
            user_id=org.owner_id,
            client_id=client_id,
            requested_scopes=["strategies:read"],
            chosen=[str(other.id), "not-an-id"],
        )


def test_a_code_is_exchanged_once_and_reuse_revokes_what_it_issued(factory, setting):
    org, client_id = setting
    _issue_code(factory, org, client_id)
    issued = _exchange(factory, client_id)

    assert issued is not None and issued.refresh_token
    assert _exchange(factory, client_id) is None
    assert _token(factory, issued.row.id).revoked_at is not None


def test_a_code_found_but_not_consumed_stays_usable(factory, setting):
    """The server's checks between finding and consuming (PKCE) can refuse: nothing is used."""
    org, client_id = setting
    _issue_code(factory, org, client_id)
    with factory.uow() as uow:
        assert (
            codes.redeemable_code(uow=uow, code=_code(client_id), client_id=client_id) is not None
        )
        uow.rollback()

    assert _exchange(factory, client_id) is not None


def test_a_withdrawn_consent_refuses_the_code_and_leaves_it_unused(factory, setting):
    org, client_id = setting
    _issue_code(factory, org, client_id)
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        for grant in uow.session.scalars(select(OAuthGrant)):
            grant.revoked_at = grant.created_at
        uow.commit()

    with factory.uow() as uow:
        row = codes.redeemable_code(uow=uow, code=_code(client_id), client_id=client_id)
        with pytest.raises(codes.ConsentWithdrawn):
            codes.consume_code(uow=uow, code=row, client_id=client_id, with_refresh=True)
    with factory.uow() as uow:
        assert (
            codes.redeemable_code(uow=uow, code=_code(client_id), client_id=client_id) is not None
        )


def test_another_clients_code_is_not_found(factory, setting):
    org, client_id = setting
    other_client, _ = factory.oauth_client(org)
    _issue_code(factory, org, client_id)

    assert _exchange(factory, other_client, _code(client_id)) is None
    assert _exchange(factory, client_id) is not None


def _rotate(factory, client_id, refresh_token: str) -> tokens.IssuedToken | None:
    with factory.uow() as uow:
        row = refresh.redeemable_refresh_token(
            uow=uow, refresh_token=refresh_token, client_id=client_id
        )
        if row is None:
            return None
        return refresh.rotate_refresh_token(uow=uow, token=row, scopes=row.scope.split())


def test_refresh_rotates_and_reuse_revokes_the_family(factory, setting):
    org, client_id = setting
    _issue_code(factory, org, client_id)
    first = _exchange(factory, client_id)
    second = _rotate(factory, client_id, first.refresh_token)

    assert second is not None and second.row.family == first.row.family
    assert _rotate(factory, client_id, first.refresh_token) is None
    assert _token(factory, second.row.id).revoked_at is not None
    assert _rotate(factory, client_id, second.refresh_token) is None


def test_refresh_cannot_widen_the_scopes(factory, setting):
    org, client_id = setting
    _issue_code(factory, org, client_id)
    first = _exchange(factory, client_id)
    with factory.uow() as uow:
        row = refresh.redeemable_refresh_token(
            uow=uow, refresh_token=first.refresh_token, client_id=client_id
        )
        with pytest.raises(tokens.ScopeNotAllowed):
            refresh.rotate_refresh_token(uow=uow, token=row, scopes=["admin:write"])

    assert _rotate(factory, client_id, first.refresh_token) is not None


def test_revoking_a_token_revokes_its_family_and_lookup_finds_either_token(factory, setting):
    org, client_id = setting
    _issue_code(factory, org, client_id)
    first = _exchange(factory, client_id)
    second = _rotate(factory, client_id, first.refresh_token)
    with factory.uow() as uow:
        found = tokens.lookup_token(uow=uow, token=second.refresh_token, hint="refresh_token")
        assert found.kind == "refresh_token" and found.row.id == second.row.id
        tokens.revoke_token(uow=uow, token=found.row)

    assert _token(factory, second.row.id).revoked_at is not None
    assert _token(factory, first.row.id).revoked_at is not None


def test_client_credentials_get_the_allowed_scopes_asked_for(factory, setting):
    org, client_id = setting
    allowed = frozenset({"strategies:read", "metrics:read"})
    with factory.uow() as uow:
        issued = tokens.issue_client_token(
            uow=uow,
            client_id=client_id,
            organisation_id=org.id,
            allowed_scopes=allowed,
            requested_scopes={"metrics:read", "admin:write"},
        )
        with pytest.raises(tokens.ScopeNotAllowed):
            tokens.issue_client_token(
                uow=uow,
                client_id=client_id,
                organisation_id=org.id,
                allowed_scopes=allowed,
                requested_scopes={"admin:write"},
            )

    stored = _token(factory, issued.row.id)
    assert stored.organisation_scopes == {str(org.id): ["metrics:read"]}
    assert stored.user_id is None and stored.refresh_token_hash is None
