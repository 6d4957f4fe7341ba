"""A Redis cache that degrades instead of failing.

The cache is an optimisation here (cached PDFs, cached sessions, counters): when Redis is down a
request must still work, reading the database or rendering again, never answer 500. Reads miss,
writes are skipped, and each failure is logged.

A Redis that hangs is worse than one that is down: every call waits for the socket timeout,
several times a request. So after one failure this process stops calling Redis for
`CACHE_BREAKER_SECONDS` (a circuit breaker), and then tries again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class ForgivingRedisCache(RedisCache):
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
