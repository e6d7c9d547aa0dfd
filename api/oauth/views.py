"""The OAuth endpoints: a plain Flask blueprint (outside flask-smorest and the OpenAPI
document), answering OAuth JSON errors (``{"error", "error_description"}``) and
rendering small login / consent pages.

Every read and write of the database is a use case of ``api.domain.oauth``
(``consents``, and ``codes`` through the grants); the views decide only what to show.
The browser side keeps one thing in Flask's signed session cookie (SECRET_KEY,
HttpOnly, SameSite=Lax, path /oauth): who logged in, when, and a CSRF token that
every form posts back.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from functools import cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidClientError
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from api.domain import audit
from api.domain.access import ALL_SCOPES, ROLE_SCOPES
from api.domain.identity.models import User
from api.domain.identity.secrets import hash_password, verify_password
from api.domain.identity.service import find_user_by_email
from api.domain.oauth import consents
from api.domain.organisations.models import Organisation
from api.http.context import clover, uow
from api.http.schema import bad_text
from api.oauth.server import server
from api.oauth.throttle import WINDOW_SECONDS, throttle_for

blp = Blueprint("oauth", __name__, template_folder="templates")

LOGIN_MAX_AGE_SECONDS = 12 * 60 * 60
VERBS = {"read": "Read", "write": "Create and change", "approve": "Approve"}
AREAS = {
    "strategies": "strategies",
    "channels": "channels",
    "campaigns": "campaigns",
    "content": "content",
    "metrics": "metrics",
    "reports": "reports",
    "webhooks": "webhooks",
    "admin": "the organisation's settings, members and keys",
}
HTML_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def describe_scope(scope: str) -> str:
    """``strategies:read`` → ``Read strategies``."""
    area, _, verb = scope.partition(":")
    return f"{VERBS.get(verb, verb.capitalize())} {AREAS.get(area, area)}"


@blp.after_request
def _page_headers(response):
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers[name] = value
    return response


# --- pages ------------------------------------------------------------------------------


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _csrf_ok() -> bool:
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _page(template: str, status: int = 200, headers: dict | None = None, **context):
    body = render_template(f"oauth/{template}", csrf_token=_csrf_token(), **context)
    return body, status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}


def _error_page(status: int, error: str, description: str):
    return _page("error.html", status, error=error, description=description)


def _logged_in_user() -> User | None:
    user_id, at = session.get("user_id"), session.get("auth_at", 0)
    if not user_id or time.time() - at > LOGIN_MAX_AGE_SECONDS:
        return None
    try:
        return consents.signed_in_user(uow=uow(), user_id=uuid.UUID(user_id))
    except ValueError:
        return None


def _memberships(user: User) -> list[tuple[Organisation, str]]:
    return consents.member_organisations(uow=uow(), user_id=user.id)


def _login_page(grant, status: int = 200, message: str | None = None, headers=None, email=""):
    return _page(
        "login.html",
        status,
        headers=headers,
        client_name=grant.client.name,
        action=request.full_path,
        message=message,
        email=email,
    )


def _consent_page(grant, user: User, status: int = 200, message: str | None = None):
    requested = scope_to_list(grant.request.scope)
    organisations = [
        {
            "id": str(org.id),
            "name": org.name,
            "role": role,
            "scopes": [describe_scope(s) for s in requested if s in ROLE_SCOPES[role]],
        }
        for org, role in _memberships(user)
    ]
    return _page(
        "consent.html",
        status,
        client_name=grant.client.name,
        user=user,
        organisations=organisations,
        scopes=[describe_scope(s) for s in requested],
        action=request.full_path,
        message=message,
    )


@cache
def _dummy_hash() -> str:
    # Checked against when the email is unknown, so both cases take as long.
    return hash_password(secrets.token_urlsafe(16))


def _throttle():
    ext = current_app.extensions
    if "clover.oauth.throttle" not in ext:
        ext["clover.oauth.throttle"] = throttle_for(clover().settings)
    return ext["clover.oauth.throttle"]


def _login(grant):
    email = request.form.get("email", "").strip()[:320]
    password = request.form.get("password", "")[:1024]
    ip = request.remote_addr or ""
    throttle = _throttle()
    if throttle.locked(email, ip):
        return _login_page(
            grant,
            429,
            "Too many failed attempts. Try again in a few minutes.",
            headers={"Retry-After": str(WINDOW_SECONDS)},
            email=email,
        )
    # A NUL reaches no database (PostgreSQL refuses the query): no such user.
    user = find_user_by_email(uow().session, email) if email and not bad_text(email) else None
    valid = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not valid:
        throttle.failed(email, ip)
        return _login_page(grant, 200, "The email or password is not right.", email=email)
    throttle.succeeded(email, ip)
    session.clear()
    session["user_id"] = str(user.id)
    session["auth_at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(request.full_path, 303)


def _approve(grant, user: User):
    client_id = grant.client.get_client_id()
    try:
        consent = consents.decide_consent(
            uow=uow(),
            user_id=user.id,
            client_id=client_id,
            requested_scopes=scope_to_list(grant.request.scope),
            chosen=request.form.getlist("organisation"),
        )
    except consents.NothingToConsent as refused:
        return _consent_page(grant, user, 400, refused.detail)
    # The grant's save_authorization_code records the consent with the code it issues.
    grant.request.consent = consent
    grant.request.actor = audit.Actor(
        user_id=user.id, client_id=client_id, request_id=g.get("request_id")
    )
    status, _body, headers = grant.create_authorization_response(grant.redirect_uri, user)
    return _redirect_to_client(dict(headers)["Location"], status)


def issuer() -> str:
    """This server's issuer identifier, as the metadata document names it."""
    return request.host_url.rstrip("/")


def _redirect_to_client(location: str, status: int = 302):
    """An authorization response, success or error, naming its issuer (RFC 9207).

    A client that talks to several authorization servers checks ``iss`` against
    the server it sent the person to, so a code or error from another one (a
    mix-up attack) is refused.
    """
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "iss"]
    query.append(("iss", issuer()))
    return redirect(urlunsplit(parts._replace(query=urlencode(query))), status)


def _authorization_error(error: OAuth2Error):
    if error.redirect_uri:
        # The client and its redirect URI are valid: the client hears of the error.
        _status, _body, headers = error()
        return _redirect_to_client(dict(headers)["Location"])
    # Never redirect to an unverified URI: tell the person instead.
    return _error_page(400, error.error, error.get_error_description() or "")


def _cookie_cannot_come_back() -> bool:
    """A Secure session cookie on a plain-http request: the browser will not send it back.

    Every form post would then fail its CSRF check, which would look like an expired
    form; the real cause is the transport (or a TLS proxy Clover does not trust).
    """
    return current_app.config["SESSION_COOKIE_SECURE"] and not request.is_secure


@blp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize():
    if _cookie_cannot_come_back():
        return _page("https_required.html", 400)
    try:
        grant = server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _authorization_error(error)

    user = _logged_in_user()
    if request.method == "GET":
        return _consent_page(grant, user) if user else _login_page(grant)

    if not _csrf_ok():
        return _error_page(400, "invalid_request", "The form expired or was not sent from here.")
    action = request.form.get("action")
    if action == "login":
        return _login(grant)
    if action == "logout":
        session.clear()
        return redirect(request.full_path, 303)
    if user is None:
        return _login_page(grant, 200, "Please sign in again.")
    if action == "deny":
        return _authorization_error(
            AccessDeniedError(redirect_uri=grant.redirect_uri, state=grant.request.payload.state)
        )
    if action == "approve":
        try:
            return _approve(grant, user)
        except OAuth2Error as error:
            return _authorization_error(error)
    return _error_page(400, "invalid_request", "Unknown action.")


# --- token, revocation, introspection, metadata -----------------------------------------


def _oauth_response(call):
    try:
        response = call()
    except OAuth2Error as error:  # e.g. insecure transport, raised before Authlib's own handling
        response = server().handle_error_response(None, error)
    except UnicodeDecodeError:  # Basic credentials that are not UTF-8 name no client
        response = server().handle_error_response(
            None, InvalidClientError(description="client credentials are not valid UTF-8")
        )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blp.post("/oauth/token")
def token():
    # The grant's use case has committed what it issued; a refusal left nothing behind.
    return _oauth_response(server().create_token_response)


@blp.post("/oauth/revoke")
def revoke():
    return _oauth_response(lambda: server().create_endpoint_response("revocation"))


@blp.post("/oauth/introspect")
def introspect():
    return _oauth_response(lambda: server().create_endpoint_response("introspection"))


@blp.get("/.well-known/oauth-authorization-server")
def metadata():
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": base + url_for("oauth.authorize"),
        "token_endpoint": base + url_for("oauth.token"),
        "revocation_endpoint": base + url_for("oauth.revoke"),
        "introspection_endpoint": base + url_for("oauth.introspect"),
        "scopes_supported": sorted(ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "authorization_response_iss_parameter_supported": True,
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
    }
