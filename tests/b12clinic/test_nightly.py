"""The night's work in chunks (b12clinic/core/nightly.py): planned once a night, each claimed
by one worker, a failure recorded and retried alone, a lost chunk claimed again, and the
progress on /healthz."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from b12clinic.core.models import NightChunk
from b12clinic.core.nightly import chunk_run, night_plan, night_progress

pytestmark = pytest.mark.django_db
NIGHT = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 2, 45, tzinfo=ZoneInfo("Europe/London"))
KEYS = [f"{n:04d}" for n in range(10)]


def test_a_night_is_cut_into_ranges_once(db):
    first = night_plan(job="sync", night=NIGHT, keys=KEYS, size=4)
    again = night_plan(job="sync", night=NIGHT, keys=KEYS, size=4)  # a second beat
    assert first == again and len(first) == 3
    ranges = list(NightChunk.objects.order_by("seq").values_list("first_key", "last_key", "size"))
    assert ranges == [("0000", "0003", 4), ("0004", "0007", 4), ("0008", "0009", 2)]
    assert night_plan(job="sync", night=NIGHT + timedelta(1), keys=[], size=4) == []


def test_each_chunk_runs_once_and_a_failure_is_retried_alone(db):
    chunks = night_plan(job="sync", night=NIGHT, keys=KEYS, size=4)
    seen: list[tuple[str, str]] = []

    def work(first: str, last: str) -> int:
        seen.append((first, last))
        if first == "0004" and len([s for s in seen if s[0] == "0004"]) == 1:
            raise RuntimeError("database went away")
        return int(last) - int(first) + 1

    assert chunk_run(chunk_id=chunks[0], work=work, now=lambda: AT) == 4
    assert chunk_run(chunk_id=chunks[0], work=work, now=lambda: AT) is None  # done already
    with pytest.raises(RuntimeError):
        chunk_run(chunk_id=chunks[1], work=work, now=lambda: AT)
    failed = NightChunk.objects.get(pk=chunks[1])
    assert (failed.status, failed.error) == ("failed", "RuntimeError: database went away")
    assert chunk_run(chunk_id=chunks[2], work=work, now=lambda: AT) == 2
    assert chunk_run(chunk_id=chunks[1], work=work, now=lambda: AT) == 4  # the retry
    assert seen.count(("0000", "0003")) == 1
    assert NightChunk.objects.get(pk=chunks[1]).attempts == 2
    (progress,) = night_progress(night=NIGHT)
    assert (progress.done, progress.running, progress.pending, progress.failed) == (3, 0, 0, 0)


def test_a_chunk_lost_with_its_worker_is_claimed_again_later_not_at_once(db):
    (chunk,) = night_plan(job="sync", night=NIGHT, keys=KEYS, size=10)
    NightChunk.objects.filter(pk=chunk).update(status="running", started_at=AT, attempts=1)
    soon = AT + timedelta(minutes=1)
    assert chunk_run(chunk_id=chunk, work=lambda a, b: 10, now=lambda: soon) is None
    later = AT + timedelta(minutes=11)
    assert chunk_run(chunk_id=chunk, work=lambda a, b: 10, now=lambda: later) == 10


def test_healthz_shows_the_nights_progress(client):
    from django.utils import timezone

    today = timezone.localdate()
    chunks = night_plan(job="sync-reminders", night=today, keys=KEYS, size=5)
    chunk_run(chunk_id=chunks[0], work=lambda a, b: 5, now=timezone.now)
    nightly = client.get("/healthz").json()["nightly"]
    assert nightly == {
        "sync-reminders": {
            "night": today.isoformat(),
            "done": 1,
            "running": 0,
            "pending": 1,
            "failed": 0,
        }
    }
