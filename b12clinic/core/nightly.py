"""Planning a night's chunks, claiming one, and the night's progress (b12clinic/core/models/
nightly.py). The jobs themselves (what a chunk does) live in plans and monitoring."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q

from .models import ChunkStatus, NightChunk

# A chunk "running" this long was lost with its worker (the task limit is 300 s): claim it again.
STALE_AFTER = timedelta(minutes=10)


def night_plan(*, job: str, night: date, keys: Sequence[str], size: int) -> list[int]:
    """Cut the sorted `keys` into chunks of `size` and record them for the night, once: a second
    call for the same night (two beats at once) adds nothing. Returns the ids of the chunks
    still to run."""
    rows = [
        NightChunk(
            job=job,
            night=night,
            seq=n,
            first_key=str(keys[start]),
            last_key=str(keys[min(start + size, len(keys)) - 1]),
            size=min(size, len(keys) - start),
        )
        for n, start in enumerate(range(0, len(keys), size))
    ]
    NightChunk.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        NightChunk.objects.filter(job=job, night=night, status=ChunkStatus.PENDING)
        .order_by("seq")
        .values_list("id", flat=True)
    )


def _claim(chunk_id: int, now: datetime) -> NightChunk | None:
    """The chunk, now running, if nobody else is running it or has done it."""
    with transaction.atomic():
        claimed = (
            NightChunk.objects.filter(
                Q(status__in=[ChunkStatus.PENDING, ChunkStatus.FAILED])
                | Q(status=ChunkStatus.RUNNING, started_at__lt=now - STALE_AFTER),
                pk=chunk_id,
            )
            .select_for_update(skip_locked=True)
            .first()
        )
        if claimed is None:
            return None
        claimed.status, claimed.started_at = ChunkStatus.RUNNING, now
        claimed.attempts += 1
        claimed.save(update_fields=["status", "started_at", "attempts"])
    return claimed


def chunk_run(
    *, chunk_id: int, work: Callable[[str, str], int], now: Callable[[], datetime]
) -> int | None:
    """Run one chunk's `work(first_key, last_key)`. None when it was not this worker's to run
    (done, or running elsewhere). A failure is recorded and raised, for the task to retry."""
    chunk = _claim(chunk_id, now())
    if chunk is None:
        return None
    try:
        count = work(chunk.first_key, chunk.last_key)
    except Exception as error:
        NightChunk.objects.filter(pk=chunk.pk).update(
            status=ChunkStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    NightChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.DONE, done_count=count, error="", finished_at=now()
    )
    return count


@dataclass(frozen=True)
class Progress:
    job: str
    night: date
    done: int
    running: int
    pending: int
    failed: int


def night_progress(*, night: date) -> list[Progress]:
    """Each job's chunks on `night` by status. One query."""
    counts: dict[str, dict[str, int]] = {}
    for row in (
        NightChunk.objects.filter(night=night)
        .values("job", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(row["job"], {})[row["status"]] = row["n"]
    return [
        Progress(
            job=job,
            night=night,
            done=by.get(ChunkStatus.DONE, 0),
            running=by.get(ChunkStatus.RUNNING, 0),
            pending=by.get(ChunkStatus.PENDING, 0),
            failed=by.get(ChunkStatus.FAILED, 0),
        )
        for job, by in sorted(counts.items())
    ]
