"""Celery tasks for reminders: one-line wrappers around the services. They keep the names they
had before the package existed, so beat entries and queued messages still find them."""

import math

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from b12clinic.core.nightly import chunk_run, night_plan

from . import delivery, planning

SYNC_JOB = "sync-reminders"


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
    """Nightly (beat): cut the sync into chunks of patients, one task each, for every worker
    to share. Returns the number of chunks queued."""
    chunks = sync_chunks_plan()
    for chunk_id in chunks:
        sync_reminders_chunk.delay(chunk_id)
    return len(chunks)


def sync_chunks_plan() -> list[int]:
    return night_plan(
        job=SYNC_JOB,
        night=timezone.localdate(),
        keys=planning.patients_to_sync(),
        size=settings.NIGHTLY_CHUNK_SIZE,
    )


@shared_task(
    name="monitoring.tasks.sync_reminders_chunk",
    autoretry_for=(Exception,),
    max_retries=3,
    default_retry_delay=60,
)
def sync_reminders_chunk(chunk_id: int) -> int | None:
    return chunk_run(
        chunk_id=chunk_id,
        work=lambda first, last: planning.reminders_sync_range(first=first, last=last),
        now=timezone.now,
    )
