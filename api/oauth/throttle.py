"""Login throttling per email + client IP.

After ``MAX_FAILURES`` failed logins within ``WINDOW`` the pair is locked until the
window (counted from the first failure) runs out. The counters live in Redis when
REDIS_URL is configured (shared by every API process) and in this process's memory
for the embedded default (one process; a restart forgets them).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time

from redis.exceptions import RedisError

from api.config import Settings
from api.redis import redis_connection

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
log = logging.getLogger("clover.oauth")


def _key(email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()
    return f"clover:oauth:login-failures:{digest}"


class MemoryThrottle:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # key → (count, window end)

    def _current(self, key: str, now: float) -> int:
        count, until = self._failures.get(key, (0, 0.0))
        if until <= now:
            self._failures.pop(key, None)
            return 0
        return count

    def locked(self, email: str, ip: str) -> bool:
        with self._lock:
            return self._current(_key(email, ip), time.monotonic()) >= MAX_FAILURES

    def failed(self, email: str, ip: str) -> None:
        key, now = _key(email, ip), time.monotonic()
        with self._lock:
            count = self._current(key, now)
            until = self._failures.get(key, (0, now + WINDOW_SECONDS))[1]
            self._failures[key] = (count + 1, until)
            if len(self._failures) > 100_000:  # bound memory: drop expired entries
                for k in [k for k, (_, u) in self._failures.items() if u <= now]:
                    del self._failures[k]

    def succeeded(self, email: str, ip: str) -> None:
        with self._lock:
            self._failures.pop(_key(email, ip), None)


class RedisThrottle:
    """Counters in Redis; while Redis is unreachable, this process's memory stands in."""

    def __init__(self, connection) -> None:
        self.redis = connection
        self.fallback = MemoryThrottle()

    def locked(self, email: str, ip: str) -> bool:
        try:
            return int(self.redis.get(_key(email, ip)) or 0) >= MAX_FAILURES
        except RedisError:
            log.warning("login throttle: Redis unreachable, counting in memory")
            return self.fallback.locked(email, ip)

    def failed(self, email: str, ip: str) -> None:
        key = _key(email, ip)
        try:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)  # the window starts at the first failure
            pipe.execute()
        except RedisError:
            self.fallback.failed(email, ip)

    def succeeded(self, email: str, ip: str) -> None:
        with contextlib.suppress(RedisError):
            self.redis.delete(_key(email, ip))
        self.fallback.succeeded(email, ip)


def throttle_for(settings: Settings) -> MemoryThrottle | RedisThrottle:
    if settings.redis_url:
        return RedisThrottle(redis_connection(settings.redis_url))
    return MemoryThrottle()
