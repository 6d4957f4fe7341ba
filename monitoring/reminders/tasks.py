"""Celery tasks for reminders: one-line wrappers around the services. They keep the names they
had before the package existed, so beat entries and queued messages still find them."""

import math

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import delivery, planning


@shared_task(name="monitoring.tasks.deliver_reminders")
def deliver_reminders() -> int:
    """Every minute (beat): give back rows a dead worker left in `sending`, then start enough
    senders for what is due. Two ticks at once are harmless: senders claim rows with locks."""
    now = timezone.now()
    delivery.reminders_reclaim(now=now)
    due = delivery.reminders_due_count(now=now)
    senders = min(settings.REMINDER_PARALLEL_BATCHES, math.ceil(due / settings.REMINDER_BATCH_SIZE))
    for _ in range(senders):
        send_reminders.delay()
    return senders


@shared_task(name="monitoring.tasks.send_reminders")
def send_reminders() -> int:
    return delivery.reminders_deliver().sent


@shared_task(name="monitoring.tasks.plan_digests")
def plan_digests() -> int:
    return planning.digests_plan()


@shared_task(name="monitoring.tasks.sync_reminders")
def sync_reminders() -> int:
    return planning.reminders_sync_all()
