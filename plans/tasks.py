from celery import shared_task
from django.conf import settings
from django.utils import timezone

from b12clinic.core.nightly import chunk_run, night_plan

from .materialise import doses_extend_range, plans_to_extend
from .sharing import bad_tokens_forget

EXTEND_JOB = "extend-dose-horizon"


@shared_task
def extend_dose_horizon() -> int:
    """Daily: keep every active plan's doses materialised a full horizon ahead, in chunks of
    plans, one task each. Returns the number of chunks queued."""
    chunks = extend_chunks_plan()
    for chunk_id in chunks:
        extend_dose_horizon_chunk.delay(chunk_id)
    return len(chunks)


def extend_chunks_plan() -> list[int]:
    return night_plan(
        job=EXTEND_JOB,
        night=timezone.localdate(),
        keys=plans_to_extend(),
        size=settings.NIGHTLY_CHUNK_SIZE,
    )


@shared_task(autoretry_for=(Exception,), max_retries=3, default_retry_delay=60)
def extend_dose_horizon_chunk(chunk_id: int) -> int | None:
    return chunk_run(
        chunk_id=chunk_id,
        work=lambda first, last: doses_extend_range(first=first, last=last, now=timezone.now()),
        now=timezone.now,
    )


@shared_task
def forget_bad_share_tokens() -> int:
    """Daily: the share-link throttle's old counts."""
    return bad_tokens_forget(now=timezone.now())
