"""Celery tasks: one-line wrappers around services. They take no state; the database has it."""

from celery import shared_task
from django.utils import timezone

from monitoring.services.alerts import alerts_raise_overdue
from monitoring.services.rechecks import rechecks_lapse


@shared_task
def raise_overdue_alerts() -> int:
    """Hourly: alert clinicians to neurological or pernicious-anaemia patients overdue too long."""
    return alerts_raise_overdue(now=timezone.now())


@shared_task
def lapse_rechecks() -> int:
    """Nightly: close first-course rechecks whose purpose has passed, with the reason."""
    return rechecks_lapse(now=timezone.now())
