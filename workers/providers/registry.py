"""Provider name → adapter."""

from __future__ import annotations

from workers.providers.base import Provider

_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


def provider(name: str) -> Provider:
    _load()
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}") from None


def names() -> list[str]:
    _load()
    return sorted(_PROVIDERS)


def _load() -> None:
    # Importing the adapters registers them; done lazily so importing this module is cheap.
    from workers.providers import (
        bluesky,  # noqa: F401
        mastodon,  # noqa: F401
        sandbox,  # noqa: F401
    )
