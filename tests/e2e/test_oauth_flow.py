"""The OAuth authorization server end to end, over real HTTP on loopback.

A real OAuth client library (Authlib's requests client) runs the authorization code
flow with PKCE (S256) while a requests.Session plays the browser: it posts the login
and consent forms (with their CSRF tokens). The tokens then refresh (rotation),
introspect, call the API and are revoked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from werkzeug.serving import make_server

from tests.factories import bearer

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the test reads the redirect
PASSWORD = "a long enough password"
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def base_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oauth-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def unescape(value: str) -> str:
    return value.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')


def submit(browser: requests.Session, page: requests.Response, **fields) -> requests.Response:
    """Post the page's first form with its CSRF token, as a browser would."""
    action = unescape(FORM_ACTION.search(page.text).group(1))
    csrf = CSRF.search(page.text).group(1)
    return browser.post(
        urljoin(page.url, action), data={"csrf_token": csrf, **fields}, allow_redirects=False
    )


def authorize_in_browser(authorization_url: str, email: str, organisation_ids: list) -> str:
    """Log in and approve; the URL the server redirects back to (with code and state)."""
    browser = requests.Session()
    login = browser.get(authorization_url)
    assert login.status_code == 200
    assert 'name="password"' in login.text
    assert login.headers["X-Frame-Options"] == "DENY"

    logged_in = submit(browser, login, action="login", email=email, password=PASSWORD)
    assert logged_in.status_code == 303
    cookie = logged_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/oauth" in cookie

    consent = browser.get(urljoin(authorization_url, logged_in.headers["Location"]))
    assert consent.status_code == 200
    assert "Read strategies" in consent.text
    assert "frame-ancestors 'none'" in consent.headers["Content-Security-Policy"]

    approved = submit(
        browser, consent, action="approve", organisation=[str(o) for o in organisation_ids]
    )
    assert approved.status_code == 302
    return approved.headers["Location"]


def test_authorization_code_with_pkce_refresh_rotation_api_calls_and_revocation(base_url, factory):
    org = factory.organisation("Flow Florists")
    other = factory.organisation("Other Outfitters")
    user_id, email = factory.user("Petra Planner", password=PASSWORD)
    factory.membership(org, user_id, "strategist")
    client_id, secret = factory.oauth_client(org, redirect_uris=[REDIRECT_URI])

    oauth = OAuth2Session(
        client_id,
        secret,
        scope="strategies:read strategies:write admin:write",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = oauth.create_authorization_url(
        f"{base_url}/oauth/authorize", code_verifier=verifier
    )

    back = authorize_in_browser(url, email, [org.id])
    assert back.startswith(REDIRECT_URI + "?")
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    # RFC 9207: the redirect names the issuer the client discovered, so it can refuse a mix-up.
    issuer = requests.get(f"{base_url}/.well-known/oauth-authorization-server").json()["issuer"]
    assert parse_qs(urlsplit(back).query)["iss"] == [issuer]

    token = oauth.fetch_token(
        f"{base_url}/oauth/token", authorization_response=back, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    # A strategist may not grant admin:write: the role caps what the consent gives.
    assert token["scope"] == "strategies:read strategies:write"
    assert token["refresh_token"]

    me = requests.get(f"{base_url}/v1/me", headers=bearer(token["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user"]["email"] == email
    assert [o["id"] for o in me.json()["organisations"]] == [str(org.id)]
    own = requests.get(
        f"{base_url}/v1/organisations/{org.id}/strategies", headers=bearer(token["access_token"])
    )
    assert own.status_code == 200, own.text
    foreign = requests.get(
        f"{base_url}/v1/organisations/{other.id}", headers=bearer(token["access_token"])
    )
    assert foreign.status_code == 404

    introspected = oauth.introspect_token(
        f"{base_url}/oauth/introspect", token=token["access_token"]
    ).json()
    assert introspected["active"] is True
    assert introspected["client_id"] == client_id
    assert introspected["username"] == email
    assert introspected["organisations"] == {str(org.id): ["strategies:read", "strategies:write"]}
    assert introspected["exp"] - introspected["iat"] == 3600

    # Rotation: a new pair; the old refresh token is spent. A refresh may ask for no more
    # than was granted (RFC 6749 §6), so the client now asks for what it got.
    first = dict(token)
    oauth.scope = token["scope"]
    rotated = oauth.refresh_token(f"{base_url}/oauth/token", refresh_token=first["refresh_token"])
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert rotated["scope"] == first["scope"]
    assert (
        requests.get(
            f"{base_url}/v1/organisations/{org.id}", headers=bearer(rotated["access_token"])
        ).status_code
        == 200
    )
    spent = oauth.introspect_token(
        f"{base_url}/oauth/introspect",
        token=first["refresh_token"],
        token_type_hint="refresh_token",
    ).json()
    assert spent == {"active": False}

    revoked = oauth.revoke_token(
        f"{base_url}/oauth/revoke", token=rotated["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    # Revoking the refresh token revokes the family: both access tokens stop working.
    for access in (rotated["access_token"], first["access_token"]):
        response = requests.get(f"{base_url}/v1/me", headers=bearer(access))
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/problem+json"


def test_a_public_client_uses_pkce_without_a_secret_and_sees_only_what_was_consented(
    base_url, factory
):
    org = factory.organisation("Public Pastries")
    second = factory.organisation("Second Site")
    user_id, email = factory.user("Ana Analyst", password=PASSWORD)
    factory.membership(org, user_id, "analyst")
    factory.membership(second, user_id, "analyst")
    client_id, _ = factory.oauth_client(
        org,
        public=True,
        redirect_uris=[REDIRECT_URI],
        scopes=["strategies:read", "metrics:read"],
        grant_types=["authorization_code", "refresh_token"],
    )
    oauth = OAuth2Session(
        client_id,
        scope="strategies:read",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(64)
    url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
    back = authorize_in_browser(url, email, [org.id])  # only the first organisation
    token = oauth.fetch_token(
        f"{base_url}/oauth/token", authorization_response=back, code_verifier=verifier
    )
    access = bearer(token["access_token"])

    assert (
        requests.get(f"{base_url}/v1/organisations/{org.id}/strategies", headers=access).status_code
        == 200
    )
    # A member there too, but not consented: it does not exist for this token.
    assert (
        requests.get(f"{base_url}/v1/organisations/{second.id}", headers=access).status_code == 404
    )

    rotated = oauth.refresh_token(f"{base_url}/oauth/token", refresh_token=token["refresh_token"])
    assert rotated["access_token"] != token["access_token"]
    assert (
        requests.get(f"{base_url}/v1/me", headers=bearer(rotated["access_token"])).status_code
        == 200
    )


def test_client_credentials_act_in_the_owning_organisation(base_url, factory):
    org = factory.organisation("Machine Makers")
    other = factory.organisation("Elsewhere")
    client_id, secret = factory.oauth_client(org, scopes=["strategies:read", "metrics:read"])
    oauth = OAuth2Session(client_id, secret, scope="strategies:read strategies:write")

    token = oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")

    assert token["scope"] == "strategies:read"  # requested ∩ allowed
    assert "refresh_token" not in token
    access = bearer(token["access_token"])
    assert (
        requests.get(f"{base_url}/v1/organisations/{org.id}/strategies", headers=access).status_code
        == 200
    )
    assert (
        requests.get(f"{base_url}/v1/organisations/{other.id}", headers=access).status_code == 404
    )


def test_behind_a_trusted_proxy_the_metadata_names_the_public_https_url(database_url):
    from api import create_app
    from api.config import Settings

    app = create_app(
        Settings.build(database_url=database_url, environment="test", trusted_proxies="1")
    )

    metadata = (
        app.test_client()
        .get(
            "/.well-known/oauth-authorization-server",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.clover.example"},
        )
        .get_json()
    )

    assert metadata["issuer"] == "https://api.clover.example"
    assert metadata["token_endpoint"] == "https://api.clover.example/oauth/token"
