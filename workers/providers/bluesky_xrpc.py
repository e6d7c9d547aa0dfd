"""XRPC calls to one Bluesky account's PDS, with its session, failures as the protocol's errors.

Sessions. A connection's credentials are either a session (the access JWT and the refresh
JWT) or, when there is no refresh token and the token is no JWT, an app password. When the
caller can store new credentials (``Account.on_refresh``), an app password is traded once
for a session (``com.atproto.server.createSession``, which Bluesky allows 30 times in 5
minutes per account), and an access JWT refused as expired (``ExpiredToken``, or a 401) is
renewed with the refresh JWT (``com.atproto.server.refreshSession``) and the call made
again, once. Each new session goes to ``on_refresh`` at once: refreshing revokes the old
refresh JWT. Without ``on_refresh`` the credentials are used as they are, and a refused
token is ``Unauthorized`` (renewing a session nobody keeps would lose it).

A caller may go on holding an ``Account`` built before ``on_refresh`` gave it new
credentials (e.g. ``find`` then ``publish`` in one job): ``Sessions`` remembers, in this
process, which credentials were replaced by which.

Writes: once a request has left, a timeout or a dropped connection may hide a record the
PDS wrote; a call made with ``applies`` then raises ``OutcomeUnknown``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time as clock
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx

from api.domain.outbound import UrlPolicy, url_problems
from workers.egress import checked_transport
from workers.providers.base import (
    Account,
    Credentials,
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
    retry_after_seconds,
)

DEFAULT_RETRY_AFTER = 60.0
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
USER_AGENT = "Clover (bluesky adapter)"
_ERROR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Failures raised before a byte of the request was sent.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


class Sessions:
    """Credentials this process replaced, and what replaced them."""

    def __init__(self, size: int = 1000) -> None:
        self._newer: OrderedDict[str, Credentials] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def current(self, credentials: Credentials) -> Credentials:
        with self._lock:
            for _ in range(len(self._newer)):
                newer = self._newer.get(_digest(credentials))
                if newer is None:
                    break
                credentials = newer
        return credentials

    def replaced(self, old: Credentials, new: Credentials) -> None:
        with self._lock:
            self._newer[_digest(old)] = new
            while len(self._newer) > self._size:
                self._newer.popitem(last=False)


class Xrpc:
    """One account's calls over one checked HTTP client (a fetch, a publish…)."""

    def __init__(
        self,
        account: Account,
        *,
        base_url: str,
        timeout: float,
        policy: UrlPolicy,
        sessions: Sessions,
    ) -> None:
        self.account = account
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._policy = policy
        self._sessions = sessions
        self._credentials = sessions.current(account.credentials)
        self._http = httpx.Client(
            transport=checked_transport(policy),
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Xrpc:
        return self

    def __exit__(self, *_exc) -> None:
        self._http.close()

    def query(self, nsid: str, params: dict, *, absent: tuple[str, ...] = ()) -> dict | None:
        """A GET; None when the PDS answers 400 with one of the error names in ``absent``."""
        query = {key: value for key, value in params.items() if value is not None}
        response = self._authorized(nsid, lambda token: self._send(nsid, token, params=query))
        if response.status_code == 400 and _error_name(_json(response)) in absent:
            return None
        return _answer(nsid, response, self._secrets())

    def procedure(
        self,
        nsid: str,
        *,
        applies: bool,
        json: dict | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> dict:
        """A POST; ``applies``: a lost answer may hide its effect (a record written)."""
        headers = {"Content-Type": content_type} if content_type else {}

        def send(token: str) -> httpx.Response:
            return self._send(
                nsid,
                token,
                method="POST",
                applies=applies,
                json=json,
                content=content,
                headers=headers,
            )

        response = self._authorized(nsid, send)
        return _answer(nsid, response, self._secrets(), explain=True)

    # Sessions ------------------------------------------------------------------------------

    def _authorized(self, nsid: str, send: Callable[[str], httpx.Response]) -> httpx.Response:
        if not self._credentials.access_token:
            raise Unauthorized(f"Bluesky {nsid}: the connection has no access token")
        if problems := url_problems(self.base_url, self._policy):
            raise ProviderError(f"Bluesky {nsid}: the base URL is not allowed ({problems[0]})")
        if self._can_store() and _is_password(self._credentials):
            self._create_session()
        response = send(self._credentials.access_token)
        if _token_refused(response) and self._can_store() and self._credentials.refresh_token:
            self._refresh_session()
            response = send(self._credentials.access_token)
        return response

    def _can_store(self) -> bool:
        return self.account.on_refresh is not None

    def _create_session(self) -> None:
        identifier = self.account.account.strip().lstrip("@")
        body = {"identifier": identifier, "password": self._credentials.access_token}
        response = self._send(CREATE_SESSION, None, method="POST", json=body)
        session = _answer(
            CREATE_SESSION, response, self._secrets(), refused="the app password was refused"
        )
        self._replace(session)

    def _refresh_session(self) -> None:
        response = self._send(REFRESH_SESSION, self._credentials.refresh_token, method="POST")
        session = _answer(
            REFRESH_SESSION,
            response,
            self._secrets(),
            refused="the session could not be renewed: reconnect the channel",
        )
        self._replace(session)

    def _replace(self, session: dict) -> None:
        access, refresh = session.get("accessJwt"), session.get("refreshJwt")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise ProviderError("Bluesky: a session came without its tokens")
        old, new = self._credentials, Credentials(access_token=access, refresh_token=refresh)
        self._credentials = new
        self._sessions.replaced(old, new)
        self.account.on_refresh(new)

    # HTTP ----------------------------------------------------------------------------------

    def _send(
        self,
        nsid: str,
        token: str | None,
        *,
        method: str = "GET",
        applies: bool = False,
        **request: Any,
    ) -> httpx.Response:
        headers = dict(request.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # httpx's exceptions carry the request, and so the token: ours are raised outside the
        # ``except`` blocks, so they do not even keep them as their ``__context__``.
        failure: ProviderError | None = None
        try:
            return self._http.request(
                method, f"{self.base_url}/xrpc/{nsid}", headers=headers, **request
            )
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            failure = ProviderError(f"Bluesky {nsid}: the base URL is not valid")
        except httpx.ConnectTimeout:
            failure = Unavailable(f"Bluesky {nsid}: no answer within {self.timeout:g} s")
        except _NOT_SENT as error:
            failure = Unavailable(f"Bluesky {nsid}: {type(error).__name__}")
        except httpx.TimeoutException:
            failure = Unavailable(f"Bluesky {nsid}: no answer within {self.timeout:g} s")
            if applies:
                failure = OutcomeUnknown(f"{failure}, after sending: it may have been written")
        except httpx.TransportError as error:
            failure = Unavailable(f"Bluesky {nsid}: {type(error).__name__}")
            if applies:
                failure = OutcomeUnknown(f"{failure} after sending: it may have been written")
        raise failure

    def _secrets(self) -> list[str]:
        held = (self.account.credentials, self._credentials)
        return [s for c in held for s in (c.access_token, c.refresh_token) if s]


def _answer(
    nsid: str,
    response: httpx.Response,
    secrets: list[str],
    *,
    explain: bool = False,
    refused: str = "the access token was refused",
) -> dict:
    """The body of a success; a failure raised as the protocol's error (``explain``: with the
    PDS's message, secrets blanked)."""
    status = response.status_code
    body = _json(response)
    if 200 <= status < 300:
        if not isinstance(body, dict):
            raise ProviderError(f"Bluesky {nsid}: HTTP {status} with a body that is not JSON")
        return body
    error = _error_name(body)
    what = f"Bluesky {nsid}: HTTP {status}" + (f" {error}" if error else "")
    if status == 401 or (status == 400 and error in TOKEN_ERRORS):
        raise Unauthorized(f"{what}: {refused}")
    if status == 429:
        raise RateLimited(f"{what}: rate limited", _retry_after(response.headers))
    if status >= 500:
        raise Unavailable(what)
    message = body.get("message") if explain and isinstance(body, dict) else None
    if isinstance(message, str) and message.strip():
        for secret in secrets:
            message = message.replace(secret, "***")
        what += f" ({message.strip()[:200]})"
    raise ProviderError(what)


def _token_refused(response: httpx.Response) -> bool:
    status = response.status_code
    return status == 401 or (status == 400 and _error_name(_json(response)) in TOKEN_ERRORS)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_name(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) and _ERROR_NAME.fullmatch(error) else None


def _is_password(credentials: Credentials) -> bool:
    return credentials.refresh_token is None and not _JWT.fullmatch(credentials.access_token)


def _digest(credentials: Credentials) -> str:
    held = f"{credentials.access_token}\0{credentials.refresh_token or ''}"
    return hashlib.sha256(held.encode()).hexdigest()


def _retry_after(headers: httpx.Headers) -> float:
    """Seconds to wait: ``Retry-After`` (seconds or an HTTP date), else ``ratelimit-reset``."""
    now = clock.time()
    seconds = retry_after_seconds(headers.get("retry-after"), now)
    if seconds is not None:
        return seconds
    value = headers.get("ratelimit-reset")
    if value:
        try:
            reset = float(value)
        except ValueError:
            pass
        else:  # Bluesky sends epoch seconds; the IETF draft, seconds from now.
            return max(0.0, reset - now) if reset > 1e9 else max(0.0, reset)
    return DEFAULT_RETRY_AFTER
