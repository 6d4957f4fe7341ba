"""A Redis cache that degrades instead of failing.

The cache is an optimisation here (cached PDFs, cached sessions, counters): when Redis is down a
request must still work, reading the database or rendering again, never answer 500. Reads miss,
writes are skipped, and each failure is logged.

A Redis that hangs is worse than one that is down: every call waits for the socket timeout,
several times a request. So after one failure this process stops calling Redis for
`CACHE_BREAKER_SECONDS` (a circuit breaker), and then tries again.

Django makes a new `redis.Redis` for every call, and redis-py fills a table of about 170 reply
handlers each time it makes one: a tenth of the CPU of a page that reads nothing, which reads
the cache three times (session, roles, second factor). Here each connection pool has one
client, made once; redis-py's client over a pool is safe to share between threads.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class SharedClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own attributes, which its type stubs do not declare.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # the pools are kept, so their ids are stable
        if client is None:
            make = self._client  # type: ignore[attr-defined]
            client = self._clients[id(pool)] = make(connection_pool=pool)
        return client


class ForgivingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClients

    # Per process: one request's timeout spares the requests after it too.
    _closed_until = 0.0

    @classmethod
    def _resting(cls) -> bool:
        return time.monotonic() < cls._closed_until

    @classmethod
    def _trip(cls, operation: str) -> None:
        seconds = getattr(settings, "CACHE_BREAKER_SECONDS", 5.0)
        cls._closed_until = time.monotonic() + seconds
        logger.warning(
            "cache %s failed; carrying on without the cache for %.0f s", operation, seconds
        )

    def _quietly(self, operation: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        if self._resting():
            return default
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except Exception:
            self._trip(operation)
            return default

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._quietly("get", default, key, default, version)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._quietly("get_many", {}, keys, version)

    def set(self, *args: Any, **kwargs: Any) -> None:
        self._quietly("set", None, *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self._quietly("set_many", [], *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return self._quietly("add", False, *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._quietly("delete", False, *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        self._quietly("delete_many", None, *args, **kwargs)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        if self._resting():
            return 0
        try:
            return super().incr(key, delta, version)
        except ValueError:
            raise
        except Exception:
            self._trip("incr")
            return 0

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._quietly("touch", False, *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return self._quietly("has_key", False, *args, **kwargs)

    def clear(self) -> None:
        self._quietly("clear", None)
