"""Two beats at once (a standby beat, or a second one started by mistake) do no harm: every
periodic task sent twice at the same moment, through two real workers and Redis, sends no
message twice, plans no digest twice, runs no nightly chunk twice and makes no dose twice, and
no task fails on the other's work."""

import time
from datetime import time as clock_time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from b12clinic.core.models import NightChunk
from monitoring.models import Alert, Reminder
from plans.models import Dose
from tests.conftest import on_ci
from tests.plans.recording_helpers import new_plan
from tests.plans.test_day_list import make_patient
from tests.reminders.conftest import tick, wait_until


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db, migration_data):
    if connection.vendor != "postgresql":
        if on_ci():
            pytest.fail("the worker tests need PostgreSQL, and CI must have it")
        pytest.skip("the worker tests need PostgreSQL (set DATABASE_URL)")


def test_every_periodic_task_sent_by_two_beats_at_once_does_its_work_once(
    patient, clinic, clinician, nurse, inbox, own_redis, workers
):
    from b12clinic.celery import app

    hour = timezone.localtime(timezone.now(), clinic.zone).hour
    clinic.open_weekdays = "0123456"
    clinic.quiet_from = clinic.quiet_until = clock_time(0)
    clinic.nurse_digest_hour = clinic.clinician_digest_hour = hour  # digests due this hour
    clinic.email = "team@riverside.example.org"
    clinic.save()
    nurse.email, clinician.email = "bob@example.org", "alice@example.org"
    nurse.save()
    clinician.save()
    patients = [patient]
    for n in range(5):
        patients.append(make_patient(clinic, clinician, 700 + n))
    today = timezone.localdate()
    for n, someone in enumerate(patients):
        someone.email, someone.reminder_email = f"p{n}@example.org", True
        someone.save()
        # Half started weeks ago and never came (overdue: chasers and alerts), half soon.
        start = today - timedelta(days=20) if n % 2 else today + timedelta(days=2)
        new_plan(someone, clinician, "uk_neurological", start=start)
    Reminder.objects.all().delete()  # as if the night had not run yet
    doses_before = Dose.objects.exclude(status="cancelled").count()

    # The workers see a longer horizon than the plans were made with: tonight's extension has
    # doses to add.
    started = [workers(NIGHTLY_CHUNK_SIZE="2", B12_DOSE_HORIZON_DAYS="420") for _ in range(2)]
    with app.connection_for_write(own_redis.url) as broker:
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            for _ in range(2):  # two beats, the same moment
                app.send_task(entry["task"], connection=broker)

    def night_done() -> bool:
        chunks = NightChunk.objects.all()
        jobs = set(chunks.values_list("job", flat=True))
        done = not chunks.exclude(status="done").exists()
        return jobs == {"sync-reminders", "extend-dose-horizon"} and done

    assert wait_until(night_done, 120), list(NightChunk.objects.values_list("job", "status"))
    due = Reminder.objects.filter(send_at__lte=timezone.now())
    assert due.filter(kind="nurse_digest").exists() and due.filter(kind="overdue").exists()
    assert wait_until(
        lambda: not due.filter(status__in=["pending", "sending"]).exists(),
        120,
        on_wait=lambda: tick(own_redis.url),
    ), list(due.values_list("kind", "status"))
    time.sleep(1)  # anything sent twice would arrive now
    for worker in started:
        worker.stop()
        assert "raised unexpected" not in worker.output, worker.output[-3000:]
        assert "Retry in" not in worker.output, worker.output[-3000:]

    received = inbox.ids()
    assert len(received) == len(set(received)) == due.filter(status="sent").count()
    assert Reminder.objects.filter(status="failed").count() == 0
    digests = Reminder.objects.filter(kind__in=["nurse_digest", "clinician_digest"])
    assert sorted(digests.values_list("kind", "user__username")) == [
        ("clinician_digest", clinician.username),
        ("nurse_digest", nurse.username),
    ]
    assert not NightChunk.objects.exclude(attempts=1).exists()
    assert (
        sum(NightChunk.objects.filter(job="sync-reminders").values_list("done_count", flat=True))
        == 6
    )
    live = Dose.objects.exclude(status="cancelled")
    assert live.count() > doses_before
    assert not live.values("plan", "due_date").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Alert.objects.values("dedupe_key").annotate(n=Count("id")).filter(n__gt=1).exists()
