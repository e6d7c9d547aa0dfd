"""API keys' principals kept for a few seconds, so most requests resolve theirs without SQL.

Every request already makes one Redis round trip, the rate-limit check; that script also
returns the credentials' generation (``api/credentials.py``), which changes with every
commit that touches a key, a membership, a user or an organisation. A kept principal is
used only when the generation it was read under is the one this request's check
returned, so a revoked key, a removed member or a demoted one is refused or capped on the
very next request, in every process. Otherwise, and whenever no check ran (Redis
unreachable, rate limits off, no Redis at all), the key is read from the database as
before.

The flow of one request: the limiter ``peek``s (a kept principal names the caller whose
budget is counted); its check returns the generation; ``settle`` makes the kept
principal the request's when the generation matches and drops it when not; a request
that has none reads the key (``context.current_principal``) and ``keep``s what it read
under the generation this process last saw *before* that read, so a change committed
while it read is never hidden. A principal is kept at most ``principals_kept_seconds`` (a change
whose announcement Redis missed is seen after that) and never past its key's expiry.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, g

from api import credentials, logs
from api.domain.access import Principal
from api.domain.identity.secrets import KEY_PREFIX

EXTENSION = "clover.principals"
MAX_KEPT = 10_000  # keys per process; past that, all are dropped and read again


@dataclass(frozen=True)
class Kept:
    principal: Principal
    generation: str
    until: float  # monotonic


class KeptPrincipals:
    def __init__(self, watch: str, seconds: float) -> None:
        self.watch = watch  # the generation's key in Redis
        self.seconds = seconds  # how long a principal is kept
        self.last_generation: str | None = None  # the latest one a check returned here
        self._kept: dict[str, Kept] = {}
        self._lock = threading.Lock()
        self.clock = time.monotonic

    @staticmethod
    def _slot(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def find(self, token: str) -> Kept | None:
        kept = self._kept.get(self._slot(token))
        if kept is None or kept.until <= self.clock():
            return None
        expires_at = kept.principal.expires_at
        if expires_at is not None and expires_at <= datetime.now(UTC):
            return None
        return kept

    def keep(self, token: str, principal: Principal, generation: str | None) -> None:
        if generation is None:  # no generation seen yet: nothing to check it against later
            return
        with self._lock:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            self._kept[self._slot(token)] = Kept(principal, generation, self.clock() + self.seconds)

    def drop(self, token: str) -> None:
        with self._lock:
            self._kept.pop(self._slot(token), None)


def kept_principals(app: Flask | None = None) -> KeptPrincipals | None:
    return (app or current_app).extensions.get(EXTENSION)


def peek(token: str) -> Principal | None:
    """The principal kept for this API key, to be confirmed by ``settle``; not yet the request's."""
    kept = kept_principals()
    if kept is None or not token.startswith(KEY_PREFIX + "_"):
        return None
    found = kept.find(token)
    if found is None:
        return None
    g.peeked_principal = (token, found)
    return found.principal


def watched_key() -> str | None:
    kept = kept_principals()
    return kept.watch if kept is not None else None


def settle(generation: str | None) -> None:
    """After the rate-limit check: use the peeked principal if the generation still holds."""
    kept = kept_principals()
    if kept is None:
        return
    if generation is not None:
        kept.last_generation = generation
    peeked = g.pop("peeked_principal", None)
    if peeked is None:
        return
    token, found = peeked
    if generation is not None and found.generation == generation:
        g.principal = found.principal
        logs.bind(caller=found.principal.identity)
    else:
        kept.drop(token)


def generation_before_read() -> str | None:
    """The generation to keep a principal under: the latest seen before reading it."""
    kept = kept_principals()
    return kept.last_generation if kept is not None else None


def keep(token: str, principal: Principal, generation: str | None) -> None:
    kept = kept_principals()
    if kept is not None and principal.kind == "api_key":
        kept.keep(token, principal, generation)


def init_app(app: Flask) -> None:
    """Keep principals only where a check can confirm them: a Redis shared by all processes."""
    settings = app.extensions["clover"].settings
    if settings.redis_url and settings.principals_kept_seconds > 0:
        credentials.watch(settings.database_url, settings.redis_url)
        app.extensions[EXTENSION] = KeptPrincipals(
            credentials.generation_key(settings.database_url), settings.principals_kept_seconds
        )
