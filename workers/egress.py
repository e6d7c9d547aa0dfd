"""Outbound HTTP that connects only to addresses the policy allows, and to the one it checked.

Checking a URL and then letting the HTTP client resolve the name again leaves a gap:
the name can resolve to a public address for the check and to a private one for
the connection (DNS rebinding). Here the client's own connection step resolves the
name, checks every address, and connects to a checked one; the URL's host name
still names the server for TLS (SNI and certificate) and the ``Host`` header.
"""

from __future__ import annotations

import httpcore
import httpx

from api.domain.outbound import AddressRefused, UrlPolicy, checked_addresses
from workers import runtime


def connections_policy() -> UrlPolicy:
    """Where the networks' adapters may connect, from this process's settings."""
    settings = runtime.settings()
    return UrlPolicy.of_environment(
        settings.environment, allow_private=settings.connections_allow_private
    )


class _CheckedBackend(httpcore.SyncBackend):
    def __init__(self, policy: UrlPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = checked_addresses(host, port, self.policy)
        except AddressRefused as refused:
            raise httpcore.ConnectError(f"refused {host}: {refused}") from None
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def checked_transport(policy: UrlPolicy, **options) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes to an address ``policy`` allows."""
    transport = httpx.HTTPTransport(**options)
    # httpx builds its connection pool without a way to pass a network backend.
    transport._pool._network_backend = _CheckedBackend(policy)
    return transport


def checked_client(policy: UrlPolicy, *, verify=True, **options) -> httpx.Client:
    return httpx.Client(transport=checked_transport(policy, verify=verify), **options)
