"""The credentials' generation: one value in Redis that changes whenever rights change.

API processes keep the principals of API keys for a few seconds
(``api/http/principals.py``) and use one only while this value is what it was when the
principal was read from the database. Every commit that changes a key, a membership, a
user or an organisation (``api/domain/credentials.py`` notices it) sets a new random
value, in every process that writes to that database (the API, workers, the command
line), before the request or job that made the change goes on. The rate-limit check
reads it in the round trip it makes anyway (``api/counters.py``), so a request learns
of the change without a round trip of its own. A random value rather than a counter:
when Redis loses its data, the value that comes back is one no process has seen.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from redis.exceptions import RedisError

from api.redis import redis_connection

log = logging.getLogger("clover.credentials")
_redis_urls: dict[str, set[str]] = {}  # database URL → Redis URLs of processes that cache


def generation_key(database_url: str) -> str:
    """One key per database: its rows are the credentials."""
    return "clover:credentials:" + hashlib.sha256(database_url.encode()).hexdigest()[:16]


def new_generation() -> str:
    return uuid.uuid4().hex


def watch(database_url: str, redis_url: str) -> None:
    """Changes to this database's credentials are announced on this Redis."""
    if redis_url:
        _redis_urls.setdefault(database_url, set()).add(redis_url)


def changed(database_url: str) -> None:
    """Announce a committed change: every process drops the principals it keeps."""
    for redis_url in sorted(_redis_urls.get(database_url, ())):
        try:
            redis_connection(redis_url).set(generation_key(database_url), new_generation())
        except RedisError:
            # Principals are kept at most principals_kept_seconds (api/http/principals.py): that
            # bounds how long this change may go unseen.
            log.warning("credentials changed but Redis was not told", exc_info=True)
