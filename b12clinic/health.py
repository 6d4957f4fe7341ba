"""Reachability checks behind /healthz."""

import os
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from kombu import Connection


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = "ok"


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not reachable", whatever the driver raises
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
    try:
        with Connection(url, transport_options=options, connect_timeout=timeout) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:
        # The broker URL may hold a password: name the error, never the URL.
        return CheckResult(ok=False, detail=f"unreachable: {type(exc).__name__}")
    return CheckResult(ok=True)
