"""Login throttling per email + client IP.

At ``MAX_FAILURES`` failed logins within ``WINDOW_SECONDS`` the pair is locked. The
failures are counted by the rate limits' engine (api/counters.py): sliding window
counters of the ``limits`` package, in Redis when REDIS_URL is configured (shared by
every API process) and in this process's memory for the embedded default (one process;
a restart forgets them), under the rate limits' key prefix. A success clears the count.
The outage rule is the rate limits' too: while Redis is unreachable nothing is locked
or counted, the outage is logged once and Redis is tried again every 30 seconds.
"""

from __future__ import annotations

import hashlib
import time

from api.config import Settings
from api.counters import Entry, MemoryCounters, RedisCounters, budget, counters_for

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    def __init__(self, counters: MemoryCounters | RedisCounters, prefix: str) -> None:
        self.counters = counters
        self.failures = budget(prefix, MAX_FAILURES, WINDOW_SECONDS)
        self.clock = time.time

    def _entry(self, email: str, ip: str) -> Entry:
        # Hashed: the counter's key names neither the address nor the email.
        digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()
        return Entry(self.failures, ("login-failures", digest))

    def locked(self, email: str, ip: str) -> bool:
        decision = self.counters.acquire([self._entry(email, ip)], self.clock(), cost=0)
        return decision is not None and decision.counts[0].remaining == 0

    def failed(self, email: str, ip: str) -> None:
        # Refused once the pair is locked: the count stays at the limit.
        self.counters.acquire([self._entry(email, ip)], self.clock())

    def succeeded(self, email: str, ip: str) -> None:
        self.counters.clear([self._entry(email, ip)], self.clock())


def throttle_for(settings: Settings) -> LoginThrottle:
    return LoginThrottle(
        counters_for(settings.redis_url, "login throttle"), settings.rate_limit_prefix
    )
