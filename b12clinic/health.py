"""Reachability checks behind /healthz."""

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as NoAnswer
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from kombu import Connection

# Each check gets this long; they run side by side, so /healthz answers within about this,
# whatever a hung service does.
CHECK_SECONDS = 1.5
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = "ok"


def side_by_side(checks: dict[str, Callable[[], "CheckResult"]]) -> dict[str, "CheckResult"]:
    """Every check at once, each answer or "slow" by one deadline (a thread still waiting
    on a hung service is left to finish on its own)."""
    futures = {name: _checks.submit(check) for name, check in checks.items()}
    deadline = time.monotonic() + CHECK_SECONDS
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(deadline - time.monotonic(), 0))
        except NoAnswer:
            results[name] = CheckResult(
                ok=False, detail=f"slow: no answer within {CHECK_SECONDS:g} s"
            )
    return results


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not reachable", whatever the driver raises
        return CheckResult(ok=False, detail=f"unreachable: {type(exc).__name__}")
    finally:
        connection.close()  # this runs in a worker thread: do not leave its connection open
    return CheckResult(ok=True)


def check_cache() -> CheckResult:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return CheckResult(ok=True, detail="ok (file cache)")
    return _ping(url)


def _ping(url: str) -> CheckResult:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except redis.TimeoutError:
        return CheckResult(ok=False, detail="slow: no answer within 1 s")
    except Exception as exc:
        return CheckResult(ok=False, detail=f"unreachable: {type(exc).__name__}")
    return CheckResult(ok=True)


def check_broker(timeout: float = 2.0) -> CheckResult:
    url: str = settings.CELERY_BROKER_URL
    options: dict[str, str] = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if url.startswith("filesystem://"):
        # The filesystem transport "connects" to anything; the folder is what must be there.
        folder = options.get("data_folder_in", "")
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            return CheckResult(ok=False, detail="unreachable: broker folder missing or read-only")
        return CheckResult(ok=True)
    if url.startswith(("redis://", "rediss://")):
        return _ping(url)  # a PING: a hung Redis accepts the connection but never answers it
    try:
        with Connection(url, transport_options=options, connect_timeout=timeout) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:
        # The broker URL may hold a password: name the error, never the URL.
        return CheckResult(ok=False, detail=f"unreachable: {type(exc).__name__}")
    return CheckResult(ok=True)
