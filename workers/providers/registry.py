"""Provider name → adapter: every network Clover syncs or publishes to, listed here."""

from __future__ import annotations

from workers.providers.base import Provider, Publisher
from workers.providers.bluesky import Bluesky
from workers.providers.mastodon import Mastodon
from workers.providers.sandbox import Sandbox

# One adapter per network serves every account: each call is given the account.
_PROVIDERS: dict[str, Provider] = {
    adapter.name: adapter for adapter in (Bluesky(), Mastodon(), Sandbox())
}


def provider(name: str) -> Provider:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}") from None


def names() -> list[str]:
    return sorted(_PROVIDERS)


def publisher(name: str) -> Publisher:
    """The adapter that publishes to ``name`` (TypeError: that network's adapter cannot)."""
    adapter = provider(name)
    if not callable(getattr(adapter, "publish", None)):
        raise TypeError(f"the {name} adapter does not publish")
    return adapter  # type: ignore[return-value]
