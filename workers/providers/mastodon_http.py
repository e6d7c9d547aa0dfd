"""HTTP to one Mastodon instance with the channel's bearer token, failures as the protocol's errors.

A read that fails is worth repeating. A write is different once its request has left: a
timeout or a dropped connection after that may hide a status the instance made, so such
a write raises ``OutcomeUnknown`` (look it up before trying again) and only failures that
prove nothing was sent (no connection) raise a plain ``Unavailable``.
"""

from __future__ import annotations

import contextlib
import math
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx

from api.domain.outbound import UrlPolicy, url_problems
from workers.egress import checked_transport
from workers.providers.base import (
    Account,
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
    retry_after_seconds,
)

USER_AGENT = "Clover/0.1 (social media marketing; +mastodon adapter)"
DEFAULT_RETRY_AFTER = 60.0  # when a 429 says nothing about when to come back
# Failures raised before a byte of the request was sent.
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


class Client:
    """One httpx client for one call of the adapter (a fetch, a publish…)."""

    def __init__(
        self, account: Account, timeout: float, tls: ssl.SSLContext, policy: UrlPolicy
    ) -> None:
        base_url = (account.base_url or "").rstrip("/")
        if not base_url.startswith(("https://", "http://")):
            raise ProviderError("Mastodon: the channel has no instance URL")
        if problems := url_problems(base_url, policy):
            raise ProviderError(f"Mastodon: the instance URL is not allowed ({problems[0]})")
        self.base_url = base_url
        self.timeout = timeout
        self._token = account.credentials.access_token
        self._http = httpx.Client(
            transport=checked_transport(policy, verify=tls),
            base_url=base_url,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc) -> None:
        self._http.close()

    def get(self, path: str, params: dict, *, absent: bool = False) -> tuple[Any, httpx.Response]:
        """The JSON answer and the response; with ``absent``, a 404 answers ``(None, response)``."""
        where = f"Mastodon GET {path}"
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise Unavailable(f"{where}: timed out") from None
        except httpx.TransportError as error:
            raise Unavailable(f"{where}: {type(error).__name__}") from None
        if absent and response.status_code == 404:
            return None, response
        return self._answer(where, response), response

    def post(self, path: str, *, applies: bool, **request: Any) -> tuple[Any, httpx.Response]:
        """Send a write; ``applies``: a lost answer may hide its effect (a status made)."""
        where = f"Mastodon POST {path}"
        try:
            response = self._http.post(path, **request)
        except NOT_SENT as error:
            raise Unavailable(f"{where}: {type(error).__name__}") from None
        except httpx.TransportError as error:
            if not applies:
                raise Unavailable(f"{where}: {type(error).__name__}") from None
            raise OutcomeUnknown(
                f"{where}: no answer after sending ({type(error).__name__}); "
                "the status may have been made"
            ) from None
        return self._answer(where, response), response

    def _answer(self, where: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise Unauthorized(f"{where}: HTTP {status}{self._reason(response)}")
        if status == 429:
            retry_after = _retry_after(response.headers)
            raise RateLimited(f"{where}: HTTP 429, retry in {retry_after:.0f}s", retry_after)
        if status >= 500:
            raise Unavailable(f"{where}: HTTP {status}")
        if status >= 400:
            raise ProviderError(f"{where}: HTTP {status}{self._reason(response)}")
        try:
            return response.json()
        except ValueError:
            raise Unavailable(f"{where}: HTTP {status} with a body that is not JSON") from None

    def _reason(self, response: httpx.Response) -> str:
        """Mastodon's ``{"error": "…"}``, shortened and never carrying the token."""
        try:
            reason = str(response.json().get("error") or "")
        except (ValueError, AttributeError):
            return ""
        if self._token:
            reason = reason.replace(self._token, "***")
        return f" ({reason[:200]})" if reason else ""


@contextlib.contextmanager
def expecting(what: str) -> Iterator[None]:
    """Turn a body not shaped like Mastodon's into a ProviderError that says where."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ProviderError(f"Mastodon: unexpected data {what} ({type(error).__name__})") from None


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _retry_after(headers: httpx.Headers) -> float:
    """Seconds to wait: Retry-After (seconds or an HTTP date), else X-RateLimit-Reset."""
    now = datetime.now(UTC)
    seconds = retry_after_seconds(headers.get("retry-after"), now.timestamp())
    if seconds is not None:
        return seconds
    reset = (headers.get("x-ratelimit-reset") or "").strip()
    if reset:
        try:
            return _until(parse_time(reset), now)
        except ValueError:
            pass
    return DEFAULT_RETRY_AFTER


def _until(when: datetime, now: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(math.ceil((when - now).total_seconds()), 1)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """A status's HTML content as text: tags dropped, entities unescaped, paragraphs kept."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
