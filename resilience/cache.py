"""The shared cache, forgiving when Redis cannot be reached.

Nothing the site keeps in the cache is the only copy of anything: pages and fragments are built
again, facet counts are counted again. So when Redis is down or hung, the cache behaves as one
that forgets every entry at once: reads miss, writes are dropped, `add` succeeds without storing,
`incr` finds no key. Pages stay up instead of answering 500.

Two things keep a hung Redis from hanging every page: short socket timeouts, and, after a failure,
a few seconds in which this process does not try Redis at all. A warning is logged at most once a
minute per process.

A delete or incr lost in an outage would leave a stale value behind if Redis comes back with its
data (a network break, or a restart from its saved copy): the process remembers those keys and
deletes them the first time Redis answers again, so the value is built afresh.

What must not fail open (allauth's rate limits on sign-in) asks `cache_reachable()` first; see
accounts/middleware.py. Code that needs mutual exclusion must not rely on `cache.add` here: while
Redis is down every caller "gets" the entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# Short enough that a page waits at most about a second on a hung Redis; a healthy one on the
# same network answers in well under a millisecond.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
# After a failure, leave Redis alone for this long before trying again.
REST_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
# Lost invalidations remembered per process (they are rare: a publish, an edit); the cap only
# bounds memory in a very long outage.
MAX_LOST_INVALIDATIONS = 10_000

_last_warning = 0.0


def _warn(exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning(
            "The cache (Redis) cannot be reached (%s: %s); pages are built without it and "
            "sign-in is paused until it is back.",
            exc.__class__.__name__,
            exc,
        )


def _forgiving(method: Callable, fallback):
    """`method` of RedisCache, answering `fallback` while Redis cannot be reached."""

    @wraps(method)
    def guarded(self, *args, **kwargs):
        return self._attempt(lambda: method(self, *args, **kwargs), fallback)

    return guarded


class _OneClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis-py client (over the same connection pool) for every
    cache call, about half the cost of a GET on this machine. redis-py's client is thread-safe
    and its pool reconnects after a fork or a dropped connection, so one client per pool does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache, which answers "nothing cached" instead of raising while Redis
    cannot be reached."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = _OneClientRedisCacheClient
        self._resting_until = 0.0
        # Keys whose delete or incr was lost: (key, version).
        self._lost_invalidations: set[tuple[str, int | None]] = set()

    def _attempt(self, operation: Callable[[], T], fallback: T, *, invalidates=(), version=None) -> T:
        """`operation()`, or `fallback` when Redis cannot be reached. `invalidates` names keys
        the operation retires (delete, incr): if it is lost they are deleted once Redis is back,
        so a value made stale during the outage is not served after it."""
        if time.monotonic() >= self._resting_until:
            try:
                if self._lost_invalidations:
                    self._replay_lost_invalidations()  # first, so this operation comes after them
                return operation()
            except UNREACHABLE as exc:
                self._resting_until = time.monotonic() + REST_SECONDS
                _warn(exc)
        if len(self._lost_invalidations) < MAX_LOST_INVALIDATIONS:
            self._lost_invalidations.update((key, version) for key in invalidates)
        return fallback

    def _replay_lost_invalidations(self) -> None:
        by_version: dict[int | None, list[str]] = {}
        for key, version in self._lost_invalidations:
            by_version.setdefault(version, []).append(key)
        for version, keys in by_version.items():
            RedisCache.delete_many(self, keys, version)
        self._lost_invalidations.clear()

    def reachable(self) -> bool:
        """Whether Redis answers now (a PING). False while resting after a failure."""
        return self._attempt(lambda: bool(self._cache.get_client(write=True).ping()), False)

    def get(self, key, default=None, version=None):
        return self._attempt(lambda: RedisCache.get(self, key, default, version), default)

    def delete(self, key, version=None):
        return self._attempt(lambda: RedisCache.delete(self, key, version), False, invalidates=[key], version=version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._attempt(lambda: RedisCache.delete_many(self, keys, version), None, invalidates=keys, version=version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._attempt(
            lambda: RedisCache.incr(self, key, delta, version), missing, invalidates=[key], version=version
        )
        if value is missing:
            # What a missing key raises: callers already start the count again from there.
            raise ValueError(f"Key '{key}' not found.")
        return value

    get_many = _forgiving(RedisCache.get_many, {})
    has_key = _forgiving(RedisCache.has_key, False)
    set = _forgiving(RedisCache.set, None)
    set_many = _forgiving(RedisCache.set_many, [])
    # As if added and forgotten at once. allauth takes a lock with `add` before every rate limit:
    # refusing it would refuse sign-up, password changes and the rest after a second's wait,
    # where only sign-in is meant to stop (accounts/middleware.py does that).
    add = _forgiving(RedisCache.add, True)
    touch = _forgiving(RedisCache.touch, False)
    clear = _forgiving(RedisCache.clear, False)


def cache_reachable(alias: str = "default") -> bool:
    """Whether the cache can count right now. Caches other than Redis (in-process) always can."""
    probe = getattr(caches[alias], "reachable", None)
    return probe() if probe is not None else True
