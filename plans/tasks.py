from celery import shared_task
from django.utils import timezone

from .materialise import doses_extend_all
from .sharing import bad_tokens_forget


@shared_task
def extend_dose_horizon() -> int:
    """Daily: keep every active plan's doses materialised a full horizon ahead."""
    return doses_extend_all(now=timezone.now())


@shared_task
def forget_bad_share_tokens() -> int:
    """Daily: the share-link throttle's old counts."""
    return bad_tokens_forget(now=timezone.now())
