from celery import shared_task
from django.utils import timezone

from .materialise import doses_extend_all


@shared_task
def extend_dose_horizon() -> int:
    """Daily: keep every active plan's doses materialised a full horizon ahead."""
    return doses_extend_all(now=timezone.now())
