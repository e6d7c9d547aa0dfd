"""Rate limits per caller, per organisation and per client IP on the sign-in endpoints.

Fixed windows aligned to the clock: a counter per (limit, subject, window) in Redis
(shared by every API process), or in this process's memory when REDIS_URL is empty
(the embedded default). One Lua script checks every applicable counter and only
then increments them all, so a refused request costs no budget: a caller over its
own limit cannot use up its organisation's. When Redis is unreachable the limits
fail open: requests pass without RateLimit headers, the outage is logged once and
Redis is tried again after ``RETRY_REDIS_SECONDS``.

Which limits apply to a request:

- ``auth`` (per client IP) on ``POST /oauth/token``, ``POST /oauth/authorize`` (the
  login form) and ``POST /v1/signup``;
- otherwise ``caller``: per ``principal.identity`` when the bearer token is valid,
  per client IP when it is absent or invalid; plus ``organisation`` when the URL
  names an organisation the caller can reach (so no one spends another tenant's
  budget). An organisation's plan (``CLOVER_ORGANISATION_PLANS``) overrides both.

Every answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds) for the tightest of them (IETF httpapi ratelimit-headers
draft), and ``RateLimit-Policy`` listing all; over a limit the answer is a 429
problem with ``Retry-After``. Health checks, the docs and openapi.json are exempt.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from redis.exceptions import RedisError

from api.config import (
    Settings,
    parse_organisation_plans,
    parse_plan_limits,
    parse_rate_limits,
)
from api.domain.errors import DomainError
from api.errors import problem
from api.http.context import current_principal
from api.redis import redis_connection

log = logging.getLogger("clover.limits")
EXTENSION = "clover.limits"
RETRY_REDIS_SECONDS = 30.0
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/favicon.ico"})
EXEMPT_PREFIXES = ("/docs",)
AUTH_PATHS = frozenset({"/oauth/token", "/oauth/authorize", "/v1/signup"})
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")
DESCRIPTIONS = {
    "caller": "per-caller",
    "organisation": "per-organisation",
    "auth": "per-client-address sign-in",
}

# KEYS: counters; ARGV: limit1, ttl1, limit2, ttl2, … → {allowed, count1, count2, …}
# (counts after this request when allowed, as they stand when refused).
CHECK_AND_COUNT = """
local allowed = 1
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
    allowed = 0
  end
end
local result = {allowed}
for i, key in ipairs(KEYS) do
  if allowed == 1 then
    local n = redis.call('INCR', key)
    if n == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
    result[i + 1] = n
  else
    result[i + 1] = tonumber(redis.call('GET', key) or '0')
  end
end
return result
"""


@dataclass(frozen=True)
class Limit:
    name: str  # caller, organisation, auth
    subject: str  # whose budget: an identity, an organisation id, an address
    requests: int
    seconds: int


@dataclass(frozen=True)
class Usage:
    limit: Limit
    count: int  # requests in this window, this one included when allowed
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit.requests - self.count)

    @property
    def exhausted(self) -> bool:
        return self.count >= self.limit.requests


class MemoryCounters:
    """This process's counters: the embedded default (one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key → (count, expires at)

    def check_and_count(self, keys: list[str], limits: list[Limit], now: float):
        with self._lock:
            counts = []
            for key in keys:
                count, expires = self._counts.get(key, (0, 0.0))
                counts.append(count if expires > now else 0)
            allowed = all(c < lim.requests for c, lim in zip(counts, limits, strict=True))
            if allowed:
                counts = [c + 1 for c in counts]
                for key, count, limit in zip(keys, counts, limits, strict=True):
                    self._counts[key] = (count, now + limit.seconds)
            if len(self._counts) > 100_000:  # bound memory: drop ended windows
                for key in [k for k, (_, e) in self._counts.items() if e <= now]:
                    del self._counts[key]
            return allowed, counts


class RedisCounters:
    """Counters in Redis; ``None`` (no decision: fail open) while it is unreachable."""

    def __init__(self, connection) -> None:
        self.redis = connection
        self.script = connection.register_script(CHECK_AND_COUNT)
        self._down_until = 0.0

    def check_and_count(self, keys: list[str], limits: list[Limit], now: float):
        if time.monotonic() < self._down_until:
            return None
        args: list[int] = []
        for limit in limits:
            args += [limit.requests, limit.seconds + 1]
        try:
            allowed, *counts = self.script(keys=keys, args=args)
        except RedisError as error:
            if not self._down_until:
                log.warning("rate limits: Redis unreachable, not limiting (%s)", error)
            self._down_until = time.monotonic() + RETRY_REDIS_SECONDS
            return None
        if self._down_until:
            log.warning("rate limits: Redis reachable again")
            self._down_until = 0.0
        return bool(allowed), [int(c) for c in counts]


class RateLimiter:
    def __init__(self, settings: Settings, counters=None) -> None:
        self.limits = parse_rate_limits(settings.rate_limits)
        self.plans = parse_plan_limits(settings.plan_limits)
        self.organisation_plans = parse_organisation_plans(settings.organisation_plans)
        self.prefix = settings.rate_limit_prefix
        self.clock = time.time  # tests pin it so that no window ends mid-test
        if counters is None:
            if settings.redis_url:
                counters = RedisCounters(redis_connection(settings.redis_url))
            else:
                counters = MemoryCounters()
        self.counters = counters

    def limits_for(self, organisation_id: uuid.UUID | None) -> dict[str, tuple[int, int]]:
        plan = self.organisation_plans.get(organisation_id) if organisation_id else None
        if plan is None:
            return self.limits
        return {**self.limits, **self.plans.get(plan, {})}

    def check(self, applicable: list[Limit], now: float | None = None):
        """(allowed, usages) for these limits; None when no decision could be made."""
        if not applicable:
            return None
        now = self.clock() if now is None else now
        keys = [
            f"{self.prefix}:{lim.name}:{lim.subject}:{lim.seconds}:{int(now // lim.seconds)}"
            for lim in applicable
        ]
        decision = self.counters.check_and_count(keys, applicable, now)
        if decision is None:
            return None
        allowed, counts = decision
        usages = [
            Usage(lim, count, max(1, math.ceil(lim.seconds - now % lim.seconds)))
            for lim, count in zip(applicable, counts, strict=True)
        ]
        return allowed, usages


def limiter() -> RateLimiter:
    return current_app.extensions[EXTENSION]


def _exempt() -> bool:
    return (
        request.method == "OPTIONS"
        or request.path in EXEMPT_PATHS
        or request.path.startswith(EXEMPT_PREFIXES)
    )


def _principal():
    """The caller when the request carries a valid bearer token, else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return current_principal()
    except DomainError:
        return None  # the view answers 401 in its own words


def _organisation_id() -> uuid.UUID | None:
    raw = (request.view_args or {}).get("organisation_id")
    if raw is None:
        return None
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        return None


def applicable_limits(rate: RateLimiter) -> list[Limit]:
    address = request.remote_addr or "unknown"
    if request.method == "POST" and request.path in AUTH_PATHS:
        auth = rate.limits.get("auth")
        return [Limit("auth", f"ip:{address}", *auth)] if auth else []
    principal = _principal()
    organisation_id = _organisation_id()
    if principal is None or organisation_id not in principal.grants:
        organisation_id = None  # only a caller who reaches it spends its budget
    limits = rate.limits_for(organisation_id)
    applicable = []
    if "caller" in limits:
        subject = principal.identity if principal is not None else f"ip:{address}"
        applicable.append(Limit("caller", subject, *limits["caller"]))
    if organisation_id is not None and "organisation" in limits:
        applicable.append(Limit("organisation", str(organisation_id), *limits["organisation"]))
    return applicable


def tightest(usages: list[Usage]) -> Usage:
    exhausted = [u for u in usages if u.exhausted]
    if exhausted:  # the one that keeps the door shut longest
        return max(exhausted, key=lambda u: u.reset)
    return min(usages, key=lambda u: (u.remaining, -u.reset))


def _seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = RateLimiter(app.extensions["clover"].settings)

    @app.before_request
    def _limit():
        if _exempt():
            return None
        rate = limiter()
        decision = rate.check(applicable_limits(rate))
        if decision is None:
            return None
        allowed, usages = decision
        g.rate_limit_usages = usages
        if allowed:
            return None
        over = tightest(usages)
        lim = over.limit
        return problem(
            429,
            kind="rate-limited",
            title="Too many requests",
            detail=(
                f"the {DESCRIPTIONS[lim.name]} limit of {lim.requests} requests per "
                f"{_seconds(lim.seconds)} is used up; retry in {_seconds(over.reset)}"
            ),
            headers={"Retry-After": str(over.reset)},
        )

    @app.after_request
    def _headers(response):
        usages = g.get("rate_limit_usages")
        if usages:
            top = tightest(usages)
            response.headers["RateLimit-Limit"] = str(top.limit.requests)
            response.headers["RateLimit-Remaining"] = str(top.remaining)
            response.headers["RateLimit-Reset"] = str(top.reset)
            response.headers["RateLimit-Policy"] = ", ".join(
                f"{u.limit.requests};w={u.limit.seconds}" for u in usages
            )
        exposed = response.headers.get("Access-Control-Expose-Headers")
        if exposed:  # a CORS answer: let browsers read the limits too
            response.headers["Access-Control-Expose-Headers"] = ", ".join(
                [exposed, *HEADERS, "Retry-After"]
            )
        return response
