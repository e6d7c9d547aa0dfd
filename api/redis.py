"""The Redis connection the API and the workers share: one client per URL in a process."""

from __future__ import annotations

from redis import Redis

_redis: dict[str, Redis] = {}


def redis_connection(url: str) -> Redis:
    if url not in _redis:
        _redis[url] = Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
    return _redis[url]
