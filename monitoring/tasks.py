from celery import shared_task
from django.utils import timezone

from .services import alerts_raise_overdue


@shared_task
def raise_overdue_alerts() -> int:
    """Hourly: alert clinicians to neurological or pernicious-anaemia patients overdue too long."""
    return alerts_raise_overdue(today=timezone.localdate())
