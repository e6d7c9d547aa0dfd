"""Outbound HTTP that connects only to addresses the policy allows, and to the one it checked.

Checking a URL and then letting the HTTP client resolve the name again leaves a gap:
the name can resolve to a public address for the check and to a private one for
the connection (DNS rebinding). Here the client never resolves a name itself: a
send given its ``Destination`` (webhook deliveries) connects only to the addresses
checked for it, and a long-lived client (the networks' adapters) resolves each
connection once through the policy, checks every address and connects to a checked
one. Either way the URL's host name still names the server for TLS (SNI and
certificate) and the ``Host`` header: only the TCP connection is pinned.
"""

from __future__ import annotations

import httpcore
import httpx

from api.domain.outbound import AddressRefused, Destination, UrlPolicy, checked_addresses
from workers import runtime


def connections_policy() -> UrlPolicy:
    """Where the networks' adapters may connect, from this process's settings."""
    settings = runtime.settings()
    return UrlPolicy.of_environment(
        settings.environment, allow_private=settings.connections_allow_private
    )


class _CheckedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting to checked addresses instead of the name."""

    def __init__(self, policy: UrlPolicy, pinned: Destination | None = None) -> None:
        self.policy = policy
        self.pinned = pinned

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = self._addresses(host, port)
        except AddressRefused as refused:
            raise httpcore.ConnectError(f"refused {host}: {refused}") from None
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order, as the system's client would
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        raise failure  # type: ignore[misc]  (addresses is never empty)

    def _addresses(self, host: str, port: int) -> list[str]:
        if self.pinned is None:
            return checked_addresses(host, port, self.policy)
        # A pinned send goes to its one destination (it follows no redirect elsewhere).
        if (_name(host), port) != (_name(self.pinned.host), self.pinned.port):
            raise AddressRefused(f"only {self.pinned.host}:{self.pinned.port} was checked")
        return list(self.pinned.addresses)


def _name(host: str) -> str:
    """A host as httpcore hands it to the backend: IDNA-encoded, lower case."""
    if ":" in host:  # an IPv6 literal, never encoded
        return host.lower()
    return httpx.URL(f"http://{host}/").raw_host.decode("ascii")


def checked_transport(
    policy: UrlPolicy, *, pinned: Destination | None = None, **options
) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes to an address ``policy`` allows.

    With ``pinned``, it connects only to that destination's checked addresses.
    """
    transport = httpx.HTTPTransport(**options)
    # httpx builds its connection pool without a way to pass a network backend.
    transport._pool._network_backend = _CheckedBackend(policy, pinned)
    return transport


def checked_client(
    policy: UrlPolicy, *, pinned: Destination | None = None, verify=True, **options
) -> httpx.Client:
    transport = checked_transport(policy, pinned=pinned, verify=verify)
    return httpx.Client(transport=transport, **options)
