"""The authorization server refusing what it must refuse: standard OAuth errors on the
OAuth endpoints, an error page (never a redirect) for an unverifiable client or
redirect URI, and 401/403/404 problems from the API — never a 500."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from api import create_app
from api.config import Settings
from api.domain.base import utcnow
from api.domain.oauth.models import AuthorizationCode, OAuthToken
from api.domain.oauth.tokens import hash_secret
from tests.factories import bearer, unique_email

# The issuer the metadata document names for the test client's host.
ISSUER = "http://localhost"
REDIRECT_URI = "https://app.example.test/callback"
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Setup:
    org: object
    email: str
    client_id: str
    secret: str

    def basic(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@pytest.fixture
def setup(factory) -> Setup:
    org = factory.organisation("Error Emporium")
    user_id, email = factory.user("Eve Editor", password=PASSWORD)
    factory.membership(org, user_id, "analyst")
    client_id, secret = factory.oauth_client(
        org, redirect_uris=[REDIRECT_URI], scopes=["strategies:read", "strategies:write"]
    )
    return Setup(org, email, client_id, secret)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def authorize_url(for_client: str, challenge: str | None = None, **overrides) -> str:
    params = {
        "response_type": "code",
        "client_id": for_client,
        "redirect_uri": REDIRECT_URI,
        "scope": "strategies:read",
        "state": "st4te",
        "code_challenge": challenge or pkce()[1],
        "code_challenge_method": "S256",
        **overrides,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def csrf_of(response) -> str:
    return CSRF.search(response.get_data(as_text=True)).group(1)


def log_in(client, url: str, email: str, password: str = PASSWORD):
    page = client.get(url)
    return client.post(
        url,
        data={"csrf_token": csrf_of(page), "action": "login", "email": email, "password": password},
    )


def get_code(client, setup: Setup, challenge: str, **overrides) -> str:
    url = authorize_url(setup.client_id, challenge, **overrides)
    assert log_in(client, url, setup.email).status_code == 303
    consent = client.get(url)
    approved = client.post(
        url,
        data={
            "csrf_token": csrf_of(consent),
            "action": "approve",
            "organisation": str(setup.org.id),
        },
    )
    assert approved.status_code == 302, approved.get_data(as_text=True)
    query = parse_qs(urlsplit(approved.headers["Location"]).query)
    assert query["state"] == ["st4te"]
    assert query["iss"] == [ISSUER]
    return query["code"][0]


def exchange(client, setup: Setup, code: str, verifier: str | None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/oauth/token", data=data, headers=setup.basic())


def tokens(client, setup: Setup) -> dict:
    verifier, challenge = pkce()
    response = exchange(client, setup, get_code(client, setup, challenge), verifier)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refresh(client, setup: Setup, refresh_token: str):
    return client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=setup.basic(),
    )


def assert_oauth_error(response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


# --- the authorization endpoint ----------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example.test/callback"},
        {"redirect_uri": REDIRECT_URI + "/"},  # exact match only
        {"redirect_uri": None},
        {"client_id": "clvc_unknown"},
    ],
)
def test_an_unverifiable_client_or_redirect_uri_shows_an_error_page_and_never_redirects(
    client, setup, overrides
):
    response = client.get(authorize_url(setup.client_id, **overrides))

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    assert "cannot continue" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # would default to plain
        ({"scope": "strategies:read admin:write"}, "invalid_scope"),  # not allowed for the client
        ({"scope": "strategies:read nonsense:read"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),  # no implicit grant
    ],
)
def test_a_bad_request_from_a_known_client_is_sent_back_to_it(client, setup, overrides, error):
    response = client.get(authorize_url(setup.client_id, **overrides))

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == [error]
    assert query["state"] == ["st4te"]
    assert query["iss"] == [ISSUER]  # RFC 9207: the client can tell which server answered


def test_login_and_consent_pages_cannot_be_framed(client, setup):
    url = authorize_url(setup.client_id)
    login = client.get(url)
    consent_after_login = log_in(client, url, setup.email)
    consent = client.get(url)

    assert consent_after_login.status_code == 303
    for page in (login, consent):
        assert page.status_code == 200
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Cache-Control"] == "no-store"
    assert "Read strategies" in consent.get_data(as_text=True)
    assert "Error Emporium" in consent.get_data(as_text=True)
    cookie = consent_after_login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_login_without_the_csrf_token_is_refused(client, setup):
    url = authorize_url(setup.client_id)
    client.get(url)

    response = client.post(
        url, data={"action": "login", "email": setup.email, "password": PASSWORD}
    )
    wrong = client.post(
        url,
        data={
            "csrf_token": "x" * 43,
            "action": "login",
            "email": setup.email,
            "password": PASSWORD,
        },
    )

    assert response.status_code == 400
    assert wrong.status_code == 400
    assert client.get(url).get_data(as_text=True).count('name="password"') == 1  # not logged in


@pytest.fixture
def production(database_url):
    def build(**settings):
        return create_app(
            Settings.build(
                database_url=database_url,
                environment="production",
                secret_key="a-production-secret-for-tests",
                encryption_keys=Fernet.generate_key().decode(),
                **settings,
            )
        )

    return build


def test_a_production_login_over_plain_http_says_it_needs_https(production, setup):
    """The Secure session cookie never comes back over http: say so, not "form expired"."""
    client = production().test_client()

    response = client.get(authorize_url(setup.client_id))

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "needs https" in page
    assert "CLOVER_TRUSTED_PROXIES" in page
    assert 'name="password"' not in page


def test_a_production_login_over_https_shows_the_login_form(production, setup):
    client = production().test_client()

    response = client.get(authorize_url(setup.client_id), base_url="https://localhost")

    assert response.status_code == 200
    assert 'name="password"' in response.get_data(as_text=True)


def test_a_production_login_behind_a_trusted_tls_proxy_shows_the_login_form(production, setup):
    client = production(trusted_proxies=1).test_client()

    response = client.get(authorize_url(setup.client_id), headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert 'name="password"' in response.get_data(as_text=True)


def test_a_consent_without_the_csrf_token_is_refused(client, setup):
    url = authorize_url(setup.client_id)
    log_in(client, url, setup.email)

    response = client.post(url, data={"action": "approve", "organisation": str(setup.org.id)})

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_failed_logins_are_throttled_per_email_and_address(client, setup):
    url = authorize_url(setup.client_id)
    for _ in range(5):
        failed = log_in(client, url, setup.email, "wrong password here")
        assert failed.status_code == 200
        assert "not right" in failed.get_data(as_text=True)

    locked = log_in(client, url, setup.email)  # even the right password

    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert locked.headers["X-Frame-Options"] == "DENY"


def test_an_unknown_email_fails_like_a_wrong_password(client, setup):
    # A fresh address each run: failure counters live in Redis beyond one test session.
    response = log_in(client, authorize_url(setup.client_id), unique_email("nobody"))

    assert response.status_code == 200
    assert "The email or password is not right." in response.get_data(as_text=True)


def test_deny_sends_access_denied_back_with_the_state(client, setup):
    url = authorize_url(setup.client_id)
    log_in(client, url, setup.email)
    consent = client.get(url)

    response = client.post(url, data={"csrf_token": csrf_of(consent), "action": "deny"})

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st4te"]
    assert query["iss"] == [ISSUER]
    assert "code" not in query


def test_approving_without_an_organisation_of_ones_own_is_refused(client, setup, factory):
    stranger = factory.organisation("Not Yours")
    url = authorize_url(setup.client_id)
    log_in(client, url, setup.email)
    consent = client.get(url)

    response = client.post(
        url,
        data={
            "csrf_token": csrf_of(consent),
            "action": "approve",
            "organisation": str(stranger.id),
        },
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


# --- the token endpoint ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verifier", "error"),
    [
        (None, "invalid_request"),  # missing
        ("x", "invalid_request"),  # malformed
        (secrets.token_urlsafe(48), "invalid_grant"),  # another verifier
    ],
    ids=["missing", "malformed", "another"],  # the same in every xdist worker
)
def test_a_missing_or_wrong_pkce_verifier_is_refused(client, setup, verifier, error):
    good, challenge = pkce()
    code = get_code(client, setup, challenge)

    assert_oauth_error(exchange(client, setup, code, verifier), error)
    # The failed attempt did not spend the code.
    assert exchange(client, setup, code, good).status_code == 200


def test_a_plain_challenge_used_as_verifier_is_refused(client, setup):
    _verifier, challenge = pkce()
    code = get_code(client, setup, challenge)

    assert_oauth_error(exchange(client, setup, code, challenge), "invalid_grant")


def test_a_reused_code_is_refused_and_revokes_what_it_issued(client, setup):
    verifier, challenge = pkce()
    code = get_code(client, setup, challenge)
    first = exchange(client, setup, code, verifier).get_json()
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 200

    assert_oauth_error(exchange(client, setup, code, verifier), "invalid_grant")

    assert_problem(client.get("/v1/me", headers=bearer(first["access_token"])), 401)
    assert_oauth_error(refresh(client, setup, first["refresh_token"]), "invalid_grant")


def test_an_expired_code_is_refused(client, setup, database):
    verifier, challenge = pkce()
    code = get_code(client, setup, challenge)
    with database.session() as session:
        session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == hash_secret(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()

    assert_oauth_error(exchange(client, setup, code, verifier), "invalid_grant")


def test_a_code_is_stored_hashed_for_ten_minutes(client, setup, database):
    code = get_code(client, setup, pkce()[1])
    with database.session() as session:
        row = session.scalar(
            select(AuthorizationCode).where(AuthorizationCode.code_hash == hash_secret(code))
        )
    assert row.organisation_ids == [str(setup.org.id)]
    assert row.code_challenge_method == "S256"
    assert timedelta(minutes=9) < row.expires_at - row.created_at <= timedelta(minutes=10)


def test_a_code_for_another_redirect_uri_or_client_is_refused(client, setup, factory):
    verifier, challenge = pkce()
    code = get_code(client, setup, challenge)
    other_id, other_secret = factory.oauth_client(setup.org, redirect_uris=[REDIRECT_URI])
    other = Setup(setup.org, setup.email, other_id, other_secret)

    assert_oauth_error(exchange(client, other, code, verifier), "invalid_grant")
    wrong_uri = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI + "x",
            "code_verifier": verifier,
        },
        headers=setup.basic(),
    )
    assert_oauth_error(wrong_uri, "invalid_grant")


def test_a_reused_refresh_token_revokes_the_whole_family(client, setup):
    first = tokens(client, setup)
    second = refresh(client, setup, first["refresh_token"]).get_json()
    assert client.get("/v1/me", headers=bearer(second["access_token"])).status_code == 200

    assert_oauth_error(refresh(client, setup, first["refresh_token"]), "invalid_grant")

    assert_problem(client.get("/v1/me", headers=bearer(second["access_token"])), 401)
    assert_oauth_error(refresh(client, setup, second["refresh_token"]), "invalid_grant")


def test_a_refresh_may_not_widen_the_scope(client, setup):
    first = tokens(client, setup)
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "strategies:read strategies:write",
        },
        headers=setup.basic(),
    )
    assert_oauth_error(response, "invalid_scope")


def test_wrong_client_credentials_are_invalid_client(client, setup):
    bad = Setup(setup.org, setup.email, setup.client_id, "clvcs_wrong")
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=bad.basic()
    )
    assert_oauth_error(response, "invalid_client", 401)

    no_secret = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": setup.client_id}
    )
    assert_oauth_error(no_secret, "invalid_client", 401)


def test_a_public_client_may_not_use_client_credentials(client, factory, setup):
    public_id, _ = factory.oauth_client(setup.org, public=True, redirect_uris=[REDIRECT_URI])

    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": public_id}
    )

    assert_oauth_error(response, "unauthorized_client")


@pytest.mark.parametrize("grant_type", ["password", "implicit", "nonsense"])
def test_other_grant_types_are_unsupported(client, setup, grant_type):
    response = client.post(
        "/oauth/token",
        data={"grant_type": grant_type, "username": setup.email, "password": PASSWORD},
        headers=setup.basic(),
    )
    assert_oauth_error(response, "unsupported_grant_type")


def test_client_credentials_with_no_allowed_scope_is_invalid_scope(client, setup):
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "metrics:read"},
        headers=setup.basic(),
    )
    assert_oauth_error(response, "invalid_scope")


# --- tokens at the API -------------------------------------------------------------------


def test_an_expired_access_token_is_401(client, setup, database):
    access = tokens(client, setup)["access_token"]
    with database.session() as session:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.access_token_hash == hash_secret(access))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()

    response = client.get("/v1/me", headers=bearer(access))

    assert_problem(response, 401)
    assert "expired" in response.get_json()["detail"]


def test_a_revoked_access_token_is_401_and_inactive(client, setup):
    issued = tokens(client, setup)
    revoked = client.post(
        "/oauth/revoke", data={"token": issued["access_token"]}, headers=setup.basic()
    )
    assert revoked.status_code == 200

    assert_problem(client.get("/v1/me", headers=bearer(issued["access_token"])), 401)
    assert_oauth_error(refresh(client, setup, issued["refresh_token"]), "invalid_grant")
    introspected = client.post(
        "/oauth/introspect", data={"token": issued["access_token"]}, headers=setup.basic()
    )
    assert introspected.get_json() == {"active": False}


def test_revocation_and_introspection_need_client_authentication(client, setup):
    issued = tokens(client, setup)
    assert_oauth_error(
        client.post("/oauth/revoke", data={"token": issued["access_token"]}), "invalid_client", 401
    )
    assert_oauth_error(
        client.post("/oauth/introspect", data={"token": issued["access_token"]}),
        "invalid_client",
        401,
    )
    # An unknown token is "revoked" without complaint (RFC 7009).
    assert (
        client.post("/oauth/revoke", data={"token": "nope"}, headers=setup.basic()).status_code
        == 200
    )


def test_another_client_cannot_introspect_or_revoke_a_token(client, setup, factory):
    issued = tokens(client, setup)
    other_id, other_secret = factory.oauth_client(setup.org)
    other = Setup(setup.org, setup.email, other_id, other_secret)

    introspected = client.post(
        "/oauth/introspect", data={"token": issued["access_token"]}, headers=other.basic()
    )
    assert introspected.get_json() == {"active": False}
    revoked = client.post(
        "/oauth/revoke", data={"token": issued["access_token"]}, headers=other.basic()
    )
    assert revoked.status_code == 400
    assert client.get("/v1/me", headers=bearer(issued["access_token"])).status_code == 200


def test_a_scope_not_granted_is_403(client, setup):
    access = tokens(client, setup)["access_token"]  # strategies:read only

    response = client.post(
        setup.org.url("/strategies"),
        json={"name": "Grow", "period_start": "2026-01-01", "period_end": "2026-12-31"},
        headers=bearer(access),
    )

    assert_problem(response, 403)


def test_a_token_reaches_no_other_organisation(client, setup, factory):
    other = factory.organisation("Someone Else")
    access = tokens(client, setup)["access_token"]

    assert_problem(client.get(f"/v1/organisations/{other.id}", headers=bearer(access)), 404)
    assert_problem(
        client.get(f"/v1/organisations/{other.id}/strategies", headers=bearer(access)), 404
    )


def test_a_tampered_token_is_401(client, setup):
    access = tokens(client, setup)["access_token"]
    tampered = access[:-1] + ("A" if access[-1] != "A" else "B")

    assert_problem(client.get("/v1/me", headers=bearer(tampered)), 401)


def test_tokens_are_stored_only_as_hashes(client, setup, database):
    issued = tokens(client, setup)
    with database.session() as session:
        row = session.scalar(
            select(OAuthToken).where(
                OAuthToken.access_token_hash == hash_secret(issued["access_token"])
            )
        )
    assert row.refresh_token_hash == hash_secret(issued["refresh_token"])
    assert issued["access_token"] not in (row.access_token_hash, row.refresh_token_hash)


# --- metadata ----------------------------------------------------------------------------


def test_the_metadata_document_describes_the_server(client):
    response = client.get("/.well-known/oauth-authorization-server")

    assert response.status_code == 200
    body = response.get_json()
    issuer = body["issuer"]
    assert issuer == "http://localhost"
    assert body["authorization_endpoint"] == issuer + "/oauth/authorize"
    assert body["token_endpoint"] == issuer + "/oauth/token"
    assert body["revocation_endpoint"] == issuer + "/oauth/revoke"
    assert body["introspection_endpoint"] == issuer + "/oauth/introspect"
    assert body["response_types_supported"] == ["code"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
    ]
    assert "strategies:read" in body["scopes_supported"]
    assert body["scopes_supported"] == sorted(body["scopes_supported"])
    assert "client_secret_basic" in body["token_endpoint_auth_methods_supported"]
    assert body["authorization_response_iss_parameter_supported"] is True


def test_the_success_redirect_names_the_metadata_issuer(client, setup):
    """RFC 9207: a client checks ``iss`` against the server it sent the person to."""
    issuer = client.get("/.well-known/oauth-authorization-server").get_json()["issuer"]
    url = authorize_url(setup.client_id)
    log_in(client, url, setup.email)
    consent = client.get(url)

    approved = client.post(
        url,
        data={
            "csrf_token": csrf_of(consent),
            "action": "approve",
            "organisation": str(setup.org.id),
        },
    )

    query = parse_qs(urlsplit(approved.headers["Location"]).query)
    assert query["iss"] == [issuer]
    assert "code" in query


def test_the_token_endpoint_answers_get_with_405_not_500(client):
    assert client.get("/oauth/token").status_code == 405
