"""Where a webhook may be sent: https, and never to the private network unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False  # development and test only
    allow_private: bool = False  # CLOVER_WEBHOOKS_ALLOW_PRIVATE


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
    """Why ``url`` is not a webhook target (empty when it is). Resolves the host."""
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
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port)}
    except (socket.gaierror, UnicodeError):
        return [f"The host {parts.hostname!r} does not resolve."]
    if not policy.allow_private and not all(is_public(a) for a in addresses):
        return ["Must not point to a private, loopback or link-local address."]
    return []
