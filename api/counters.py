"""Request counters for rate limits and login throttling: one engine, the ``limits`` package.

Sliding window counters (``limits``' ``SlidingWindowCounterRateLimiter`` arithmetic on its
timestamped window keys): each limit keeps a counter for the current window and the one
before, aligned to the clock, and a request counts ``floor(previous × weight) + current``,
where the previous window's weight falls from 1 to 0 as the current one runs. A burst at the
end of one window is still counted at the start of the next, so the edge no longer lets
twice a limit through, and each limit and subject costs two integers whatever its size (a
moving window keeps a timestamp per request: 3000 of them per organisation by default).

Several limits are checked and counted together, all or none, so a refused request spends
no budget. In Redis (shared by every API process) that is one Lua script: one round trip
per request, where ``limits``' own Redis storage takes two per limit (hit, then window
stats) and starts its windows at a key's first hit on the server's clock. Without Redis the
counters are ``limits``' ``MemoryStorage`` in this process, under one lock.

When Redis is unreachable the counters make no decision (``None``): callers let the request
through. The outage is logged once and Redis is tried again after ``RETRY_REDIS_SECONDS``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.storage.base import TimestampedSlidingWindow
from redis.exceptions import RedisError

from api.credentials import new_generation
from api.redis import redis_connection

log = logging.getLogger("clover.limits")
RETRY_REDIS_SECONDS = 30.0


def budget(namespace: str, requests: int, seconds: int) -> RateLimitItem:
    """``requests`` per ``seconds``, its counters under ``namespace`` (the key prefix)."""
    return RateLimitItemPerSecond(requests, seconds, namespace=namespace)


@dataclass(frozen=True)
class Entry:
    """One budget and whose it is (``subject`` is part of the counter's key)."""

    item: RateLimitItem
    subject: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.item.key_for(*self.subject)

    def window_keys(self, now: float) -> tuple[str, str]:
        return TimestampedSlidingWindow.sliding_window_keys(self.key, self.item.get_expiry(), now)

    def weight(self, now: float) -> float:
        """The previous window's share still counted: 1 as the current window opens, then less."""
        seconds = self.item.get_expiry()
        return 1 - (now % seconds) / seconds


@dataclass(frozen=True)
class Count:
    """A budget's counters as a decision left them."""

    entry: Entry
    previous: int
    weight: float
    current: int
    window_ends_in: float  # seconds until the current window becomes the previous one

    @property
    def used(self) -> int:
        return math.floor(self.previous * self.weight) + self.current

    @property
    def remaining(self) -> int:
        return max(0, self.entry.item.amount - self.used)

    @property
    def reset(self) -> int:
        """Whole seconds until the count drops (``limits``' window stats), at least 1."""
        seconds = self.entry.item.get_expiry()
        resets = [self.window_ends_in] if self.current else []
        if self.previous:  # the previous window's share loses one request every seconds/previous
            resets.append((self.weight * seconds) % (seconds / self.previous))
        return max(1, math.ceil(min(resets, default=self.window_ends_in)))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    counts: list[Count]
    generation: str | None = None  # the watched key's value (api/credentials.py), if asked


def _counts(entries: list[Entry], now: float, raw: list[tuple[int, int]]) -> list[Count]:
    return [
        Count(
            entry,
            previous,
            entry.weight(now),
            current,
            entry.item.get_expiry() - now % entry.item.get_expiry(),
        )
        for entry, (previous, current) in zip(entries, raw, strict=True)
    ]


def _fits(entries: list[Entry], now: float, raw: list[tuple[int, int]], cost: int) -> bool:
    return all(
        math.floor(previous * entry.weight(now)) + current + cost <= entry.item.amount
        for entry, (previous, current) in zip(entries, raw, strict=True)
    )


class MemoryCounters:
    """This process's counters (the embedded default, one process): ``limits``' MemoryStorage."""

    def __init__(self) -> None:
        self.storage = MemoryStorage()  # expires its keys itself
        self._lock = threading.Lock()

    def acquire(
        self, entries: list[Entry], now: float, cost: int = 1, watch: str | None = None
    ) -> Decision:
        """Count ``cost`` against every budget if all have room (``cost=0`` only looks).

        ``watch`` is ignored: without Redis no generation is read, so nothing is kept.
        """
        with self._lock:
            keys = [entry.window_keys(now) for entry in entries]
            raw = [(self.storage.get(p), self.storage.get(c)) for p, c in keys]
            allowed = _fits(entries, now, raw, cost)
            if allowed and cost:
                raw = [
                    (previous, self.storage.incr(current_key, 2 * entry.item.get_expiry(), cost))
                    for entry, (previous, _), (_, current_key) in zip(
                        entries, raw, keys, strict=True
                    )
                ]
            return Decision(allowed, _counts(entries, now, raw))

    def clear(self, entries: list[Entry], now: float) -> None:
        with self._lock:
            for entry in entries:
                for key in entry.window_keys(now):
                    self.storage.clear(key)


# KEYS: previous and current window counter of each budget, then, when watched, the
# credentials' generation (an odd count of keys says so).
# ARGV: cost, then per budget: its requests, its counter lifetime (ms), its previous weight;
# then the generation to set when the watched key is missing.
# → {allowed, previous1, current1, previous2, current2, …[, generation]}: counts after this
# request when it is allowed, as they stand when refused (or when cost is 0). The decision
# uses the arithmetic of the Python side (_fits), and the same doubles: ARGV carries
# repr(weight).
ACQUIRE = """
local cost = tonumber(ARGV[1])
local counts = {}
local allowed = 1
local budgets = math.floor(#KEYS / 2)
for i = 1, budgets do
  local previous = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local current = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  counts[2 * i - 1] = previous
  counts[2 * i] = current
  local weight = tonumber(ARGV[3 * i + 1])
  if math.floor(previous * weight) + current + cost > tonumber(ARGV[3 * i - 1]) then
    allowed = 0
  end
end
if allowed == 1 and cost > 0 then
  for i = 1, budgets do
    local n = redis.call('INCRBY', KEYS[2 * i], cost)
    if n == cost then redis.call('PEXPIRE', KEYS[2 * i], ARGV[3 * i]) end
    counts[2 * i] = n
  end
end
table.insert(counts, 1, allowed)
if #KEYS % 2 == 1 then
  local generation = redis.call('GET', KEYS[#KEYS])
  if not generation then
    generation = ARGV[#ARGV]
    redis.call('SET', KEYS[#KEYS], generation)
  end
  table.insert(counts, generation)
end
return counts
"""


class RedisCounters:
    """Counters in Redis, one round trip per decision; ``None`` while Redis is unreachable."""

    def __init__(self, connection, purpose: str = "rate limits") -> None:
        self.redis = connection
        self.purpose = purpose  # whose counters, in the outage log lines
        self.script = connection.register_script(ACQUIRE)
        self._down_until = 0.0

    def _reachable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: RedisError) -> None:
        if not self._down_until:
            log.warning("%s: Redis unreachable, not limiting (%s)", self.purpose, error)
        self._down_until = time.monotonic() + RETRY_REDIS_SECONDS

    def _succeeded(self) -> None:
        if self._down_until:
            log.warning("%s: Redis reachable again", self.purpose)
            self._down_until = 0.0

    def acquire(
        self, entries: list[Entry], now: float, cost: int = 1, watch: str | None = None
    ) -> Decision | None:
        """As MemoryCounters', and with ``watch`` (a key) its value comes back too."""
        if not self._reachable():
            return None
        keys: list[str] = []
        args: list[int | str] = [cost]
        for entry in entries:
            keys += entry.window_keys(now)
            args += [entry.item.amount, 2000 * entry.item.get_expiry(), repr(entry.weight(now))]
        if watch is not None:
            keys.append(watch)
            args.append(new_generation())
        try:
            allowed, *flat = self.script(keys=keys, args=args)
        except RedisError as error:
            self._failed(error)
            return None
        self._succeeded()
        generation = None
        if watch is not None:
            *flat, value = flat
            generation = value.decode() if isinstance(value, bytes) else value
        raw = [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]
        return Decision(bool(allowed), _counts(entries, now, raw), generation)

    def clear(self, entries: list[Entry], now: float) -> None:
        if not self._reachable():
            return
        try:
            self.redis.delete(*(key for entry in entries for key in entry.window_keys(now)))
        except RedisError as error:
            self._failed(error)
            return
        self._succeeded()


def counters_for(redis_url: str, purpose: str = "rate limits") -> MemoryCounters | RedisCounters:
    """Redis when REDIS_URL is set (shared by every API process), this process otherwise."""
    if redis_url:
        return RedisCounters(redis_connection(redis_url), purpose)
    return MemoryCounters()
