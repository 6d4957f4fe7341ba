from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "b12clinic:worker-heartbeat"


@shared_task
def heartbeat() -> None:
    """Run by beat every minute; /healthz shows when a worker last ran it."""
    cache.set(WORKER_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
