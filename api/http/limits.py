"""Rate limits per caller, per organisation and per client IP on the sign-in endpoints.

Sliding window counters on the ``limits`` package (api/counters.py): in Redis, shared
by every API process, or in this process's memory when REDIS_URL is empty (the
embedded default). Every applicable limit is checked and only then are they all
counted, in one Redis round trip, so a refused request costs no budget: a caller over
its own limit cannot use up its organisation's. When Redis is unreachable the limits
fail open: requests pass without RateLimit headers, the outage is logged once and
Redis is tried again after 30 seconds.

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
problem with ``Retry-After`` (counted in ``clover_rate_limit_refusals_total``). Health
checks, the docs, openapi.json and the operators' ``/metrics`` are exempt.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from flask import Flask, current_app, g, request

from api.config import (
    Settings,
    parse_organisation_plans,
    parse_plan_limits,
    parse_rate_limits,
)
from api.counters import Entry, MemoryCounters, RedisCounters, budget, counters_for
from api.domain.errors import DomainError
from api.errors import problem
from api.http import principals
from api.http.context import current_principal
from api.observability import metrics

# The counter stores are api/counters.py's; named here too, beside the limiter that uses them.
__all__ = ["EXTENSION", "MemoryCounters", "RateLimiter", "RedisCounters", "init_app"]
EXTENSION = "clover.limits"
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/favicon.ico", "/metrics"})
EXEMPT_PREFIXES = ("/docs",)
AUTH_PATHS = frozenset({"/oauth/token", "/oauth/authorize", "/v1/signup"})
HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")
DESCRIPTIONS = {
    "caller": "per-caller",
    "organisation": "per-organisation",
    "auth": "per-client-address sign-in",
}


@dataclass(frozen=True)
class Limit:
    name: str  # caller, organisation, auth
    subject: str  # whose budget: an identity, an organisation id, an address
    requests: int
    seconds: int


@dataclass(frozen=True)
class Usage:
    limit: Limit
    remaining: int
    reset: int  # seconds until the count drops

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


class RateLimiter:
    def __init__(self, settings: Settings, counters=None) -> None:
        self.limits = parse_rate_limits(settings.rate_limits)
        self.plans = parse_plan_limits(settings.plan_limits)
        self.organisation_plans = parse_organisation_plans(settings.organisation_plans)
        self.prefix = settings.rate_limit_prefix
        self.clock = time.time  # tests pin it so that no window ends mid-test
        self.counters = counters_for(settings.redis_url) if counters is None else counters

    def limits_for(self, organisation_id: uuid.UUID | None) -> dict[str, tuple[int, int]]:
        plan = self.organisation_plans.get(organisation_id) if organisation_id else None
        if plan is None:
            return self.limits
        return {**self.limits, **self.plans.get(plan, {})}

    def check(self, applicable: list[Limit], now: float | None = None, watch: str | None = None):
        """(allowed, usages, the watched key's value) for these limits; None when undecided."""
        if not applicable:
            return None
        now = self.clock() if now is None else now
        entries = [
            Entry(budget(self.prefix, lim.requests, lim.seconds), (lim.name, lim.subject))
            for lim in applicable
        ]
        decision = self.counters.acquire(entries, now, watch=watch)
        if decision is None:
            return None
        usages = [
            Usage(lim, count.remaining, count.reset)
            for lim, count in zip(applicable, decision.counts, strict=True)
        ]
        return decision.allowed, usages, decision.generation


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
    kept = principals.peek(token.strip())  # confirmed or dropped once the check has run
    if kept is not None:
        return kept
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
        decision = rate.check(applicable_limits(rate), watch=principals.watched_key())
        if decision is None:
            principals.settle(None)
            return None
        allowed, usages, generation = decision
        principals.settle(generation)
        g.rate_limit_usages = usages
        if allowed:
            return None
        over = tightest(usages)
        lim = over.limit
        metrics.rate_limit_refused(lim.name)
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
