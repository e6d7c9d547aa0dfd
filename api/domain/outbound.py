"""Where Clover may connect out — webhook endpoints, the networks' base URLs.

https, and never the private network (loopback, private ranges, link-local: the
API's own ports, Redis, a cloud's metadata service) unless a setting allows it.
Checked when a URL is saved and again before every request, since a name can
resolve elsewhere later; workers then connect to the very address that was checked
(``workers.egress``).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False  # development and test only
    allow_private: bool = False  # CLOVER_WEBHOOKS_ALLOW_PRIVATE, CLOVER_CONNECTIONS_ALLOW_PRIVATE

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


def url_problems(url: str, policy: UrlPolicy) -> list[str]:
    """Why Clover may not connect to ``url`` (empty when it may). Resolves the host."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ["Not a valid URL."]
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return ["Must be an absolute https URL."]
    if parts.scheme == "http" and not policy.allow_http:
        return ["Must use https."]
    if parts.username or parts.password:
        return ["Must not contain credentials."]
    try:
        checked_addresses(parts.hostname, port, policy)
    except AddressRefused as refused:
        return [str(refused)]
    return []


class AddressRefused(Exception):
    """A host that does not resolve, or resolves to an address Clover may not reach."""


def checked_addresses(host: str, port: int, policy: UrlPolicy) -> list[str]:
    """The addresses ``host`` resolves to, every one of them allowed by ``policy``."""
    try:
        addresses = list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port)))
    except (socket.gaierror, UnicodeError, ValueError):
        raise AddressRefused(f"The host {host!r} does not resolve.") from None
    if not policy.allow_private and not all(is_public(a) for a in addresses):
        raise AddressRefused("Must not point to a private, loopback or link-local address.")
    return addresses
