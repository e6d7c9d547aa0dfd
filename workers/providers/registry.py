"""Provider name → adapter: every network Clover syncs and publishes to, listed here."""

from __future__ import annotations

from workers.providers.base import Provider, Publisher
from workers.providers.bluesky import Bluesky
from workers.providers.mastodon import Mastodon
from workers.providers.sandbox import Sandbox

# One adapter per network serves every account: each call is given the account.
_ADAPTERS: dict[str, Bluesky | Mastodon | Sandbox] = {
    adapter.name: adapter for adapter in (Bluesky(), Mastodon(), Sandbox())
}


def provider(name: str) -> Provider:
    return _adapter(name)


def publisher(name: str) -> Publisher:
    return _adapter(name)


def names() -> list[str]:
    return sorted(_ADAPTERS)


def _adapter(name: str) -> Bluesky | Mastodon | Sandbox:
    try:
        return _ADAPTERS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}") from None
