"""Where Clover may connect out — webhook endpoints, the networks' base URLs.

https, and never the private network (loopback, private ranges, link-local: the
API's own ports, Redis, a cloud's metadata service) unless a setting allows it.
Checked when a URL is saved and again before every request, since a name can
resolve elsewhere later; workers then connect to the very address that was checked
(``workers.egress``). A send resolves its host once, through the policy's resolver
(``destination``), and connects only to the addresses that answer gave.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# (host, port) → the addresses the name resolves to; raises OSError when it does not.
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` as the operating system resolves them, in its order."""
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port)))


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False  # development and test only
    allow_private: bool = False  # CLOVER_WEBHOOKS_ALLOW_PRIVATE, CLOVER_CONNECTIONS_ALLOW_PRIVATE
    # How names are resolved for the check: the system's, or one a test controls.
    resolve: Resolver = field(default=system_resolver, compare=False, repr=False)

    @classmethod
    def of_environment(cls, environment: str, *, allow_private: bool) -> UrlPolicy:
        """A deployment's policy: plain http only in development and test."""
        return cls(allow_http=environment in ("development", "test"), allow_private=allow_private)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class Destination:
    """Where one send goes: the URL's host and port, and the addresses checked for them."""

    host: str
    port: int
    addresses: tuple[str, ...]


def url_problems(url: str, policy: UrlPolicy) -> list[str]:
    """Why Clover may not connect to ``url`` (empty when it may). Resolves the host."""
    try:
        destination(url, policy)
    except AddressRefused as refused:
        return [str(refused)]
    return []


def destination(url: str, policy: UrlPolicy) -> Destination:
    """Where a send to ``url`` may connect, resolved once; AddressRefused says why not."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("Not a valid URL.") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused("Must be an absolute https URL.")
    if parts.scheme == "http" and not policy.allow_http:
        raise AddressRefused("Must use https.")
    if parts.username or parts.password:
        raise AddressRefused("Must not contain credentials.")
    host = parts.hostname
    return Destination(host, port, tuple(checked_addresses(host, port, policy)))


class AddressRefused(Exception):
    """A URL Clover may not connect to: its form, a host that does not resolve, or one
    that resolves to an address Clover may not reach."""


def checked_addresses(host: str, port: int, policy: UrlPolicy) -> list[str]:
    """The addresses ``host`` resolves to, every one of them allowed by ``policy``."""
    try:
        addresses = policy.resolve(host, port)
    except (OSError, UnicodeError, ValueError):  # socket.gaierror is an OSError
        raise AddressRefused(f"The host {host!r} does not resolve.") from None
    if not addresses:
        raise AddressRefused(f"The host {host!r} does not resolve.")
    if not policy.allow_private and not all(is_public(a) for a in addresses):
        raise AddressRefused("Must not point to a private, loopback or link-local address.")
    return addresses
