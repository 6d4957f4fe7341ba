"""Celery tasks: one-line wrappers around services. They take no state; the database has it."""

import math

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import reminders
from .services import alerts_raise_overdue, rechecks_lapse


@shared_task
def raise_overdue_alerts() -> int:
    """Hourly: alert clinicians to neurological or pernicious-anaemia patients overdue too long."""
    return alerts_raise_overdue(now=timezone.now())


@shared_task
def lapse_rechecks() -> int:
    """Nightly: close first-course rechecks whose purpose has passed, with the reason."""
    return rechecks_lapse(now=timezone.now())


@shared_task
def deliver_reminders() -> int:
    """Every minute (beat): give back rows a dead worker left in `sending`, then start enough
    senders for what is due. Two ticks at once are harmless: senders claim rows with locks."""
    now = timezone.now()
    reminders.reminders_reclaim(now=now)
    due = reminders.reminders_due_count(now=now)
    senders = min(settings.REMINDER_PARALLEL_BATCHES, math.ceil(due / settings.REMINDER_BATCH_SIZE))
    for _ in range(senders):
        send_reminders.delay()
    return senders


@shared_task
def send_reminders() -> int:
    return reminders.reminders_deliver().sent


@shared_task
def plan_digests() -> int:
    return reminders.digests_plan()


@shared_task
def sync_reminders() -> int:
    return reminders.reminders_sync_all()
