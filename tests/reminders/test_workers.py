"""Delivery with the real parts: a Celery worker started here, on a Redis broker started here,
sending to an SMTP server on loopback, against the PostgreSQL test database."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from b12clinic.core.models import Patient
from monitoring.models import Reminder
from tests.conftest import on_ci
from tests.plans.recording_helpers import new_plan, open_doses
from tests.reminders.conftest import due_reminders, tick, wait_until


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db, migration_data):
    if connection.vendor != "postgresql":
        if on_ci():
            pytest.fail("the worker tests need PostgreSQL, and CI must have it")
        pytest.skip("the worker tests need PostgreSQL (set DATABASE_URL)")


def many_due(patient, clinician, count: int) -> set[str]:
    """`count` due reminders for one open dose of a new plan."""
    plan = new_plan(patient, clinician, "uk_prophylaxis", start=timezone.localdate())
    return due_reminders(open_doses(plan)[0], count)


def test_an_injection_reminder_goes_end_to_end(consenting, clinician, inbox, own_redis, workers):
    new_plan(consenting, clinician, "uk_prophylaxis", start=timezone.localdate())
    reminder = Reminder.objects.get(kind="injection_due", status="pending")
    assert reminder.attempt_at <= timezone.now()  # today's dose: due at once
    workers()
    tick(own_redis.url)
    assert wait_until(lambda: inbox.ids(), 60), "nothing arrived"
    (message,) = [m for m in inbox.messages if m["X-B12-Reminder"] == str(reminder.pk)]
    assert message["To"] == "nora.quinn@example.org"
    assert message["Message-ID"] == reminder.message_id
    # The worker records the outcome just after the server accepts the message.
    assert wait_until(lambda: Reminder.objects.get(pk=reminder.pk).status == "sent", 30)
    assert Reminder.objects.get(pk=reminder.pk).sent_at is not None


def test_kill_9_of_the_worker_mid_batch_loses_nothing(
    consenting, clinician, inbox, own_redis, workers
):
    expected = many_due(consenting, clinician, 300)
    inbox.hold_at = 45  # the server goes quiet on the 45th message, in the third batch of 20
    first = workers(REMINDER_BATCH_SIZE="20")
    tick(own_redis.url)
    assert wait_until(lambda: len(inbox.ids()) >= 45, 60)
    first.kill_hard()
    stuck = Reminder.objects.filter(status="sending").count()
    assert stuck > 0, "the kill should have left claimed rows behind"
    inbox.release()
    workers(REMINDER_BATCH_SIZE="20")
    # Beat keeps ticking; a tick gives back rows left in `sending` after the timeout (2 s here).
    done = wait_until(
        lambda: (
            not Reminder.objects.filter(dedupe_key__startswith="test:")
            .exclude(status="sent")
            .exists()
        ),
        120,
        on_wait=lambda: tick(own_redis.url),
    )
    assert done, Reminder.objects.exclude(status="sent").values_list("status", flat=True)[:10]
    received = [i for i in inbox.ids() if i in expected]
    assert set(received) == expected  # nothing lost
    # At most the messages on the wire at the kill, one per worker process, go out twice; the
    # repeat carries the same Message-ID.
    assert len(received) - len(expected) <= 2


def test_two_ticks_at_once_send_nothing_twice(consenting, clinician, inbox, own_redis, workers):
    expected = many_due(consenting, clinician, 300)
    workers(REMINDER_BATCH_SIZE="10")
    workers(REMINDER_BATCH_SIZE="10")
    tick(own_redis.url)
    tick(own_redis.url)
    assert wait_until(lambda: len(inbox.ids()) >= 300, 120)
    time.sleep(1)  # anything sent twice would arrive now
    received = [i for i in inbox.ids() if i in expected]
    assert len(received) == len(set(received)) == 300
    assert wait_until(lambda: Reminder.objects.filter(status="sent").count() >= 300, 30)


def test_saving_works_with_redis_down_and_the_reminder_goes_after_it_returns(
    consenting, clinician, nurse, inbox, own_redis, workers, client, settings
):
    settings.CELERY_BROKER_URL = own_redis.url
    consenting.reminder_email = False
    consenting.save()
    new_plan(consenting, clinician, "uk_prophylaxis", start=timezone.localdate())
    other = Patient.objects.create(
        clinic=consenting.clinic,
        record_number="RX2002",
        given_name="Owen",
        family_name="Hart",
        date_of_birth=consenting.date_of_birth,
        created_by=clinician,
    )
    missed = new_plan(
        other, clinician, "uk_standard", start=timezone.localdate() - timedelta(days=5)
    )
    own_redis.stop()

    # With no broker: the clinician turns on email reminders, the nurse records an injection.
    client.force_login(clinician)
    edit = {
        name: getattr(consenting, name)
        for name in ("record_number", "given_name", "family_name", "sex", "email", "phone")
    }
    edit |= {
        "date_of_birth": consenting.date_of_birth.isoformat(),
        "reminder_email": "on",
        "reminder_lead_days": 1,
        "reminder_hour": 9,
    }
    response = client.post(reverse("plans:patient_edit", args=[consenting.pk]), edit)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.force_login(nurse)
    dose = open_doses(missed)[0]
    moment = timezone.localtime(timezone.now() - timedelta(minutes=5))
    response = client.post(
        reverse("plans:dose_give", args=[dose.pk]),
        {
            "identity_confirmed": "on",
            "allergies_checked": "on",
            "site": "deltoid",
            "side": "left",
            "batch": "HX1",
            "expiry": (timezone.localdate() + timedelta(days=200)).isoformat(),
            "given_at": moment.strftime("%Y-%m-%dT%H:%M"),
            "outcome": "none",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    dose.refresh_from_db()
    assert dose.status == "given"
    waiting = Reminder.objects.get(
        patient=consenting, kind="injection_due", status="pending", attempt_at__lte=timezone.now()
    )

    own_redis.start()
    workers()
    tick(own_redis.url)
    assert wait_until(lambda: str(waiting.pk) in inbox.ids(), 60)
    assert wait_until(lambda: Reminder.objects.get(pk=waiting.pk).status == "sent", 30)


def test_the_nightly_sync_is_shared_by_workers_in_chunks_and_reaches_every_patient(
    consenting, clinician, own_redis, workers
):
    """The sync once ran as one task under a 240 s limit: killed at 12% of 50k patients, the
    same 12% every night. Now beat queues chunks, any worker takes them, and every patient is
    reached; two beats at once queue nothing twice."""
    from b12clinic.celery import app
    from b12clinic.core.models import NightChunk
    from tests.plans.test_day_list import make_patient

    patients = [consenting]
    for n in range(6):
        other = make_patient(consenting.clinic, clinician, 500 + n)
        other.email, other.reminder_email = f"p{n}@example.org", True
        other.save()
        patients.append(other)
    for patient in patients:
        new_plan(patient, clinician, "uk_prophylaxis", start=timezone.localdate() + timedelta(3))
    Reminder.objects.all().delete()  # as if none had been planned yet
    workers(NIGHTLY_CHUNK_SIZE="3")
    workers(NIGHTLY_CHUNK_SIZE="3")
    with app.connection_for_write(own_redis.url) as broker:
        for _ in range(2):  # two beats at once
            app.send_task("monitoring.tasks.sync_reminders", connection=broker)
    assert wait_until(
        lambda: (
            NightChunk.objects.filter(job="sync-reminders").exclude(status="done").count() == 0
            and NightChunk.objects.filter(job="sync-reminders").exists()
        ),
        90,
    ), list(NightChunk.objects.values_list("seq", "status", "error"))
    chunks = NightChunk.objects.filter(job="sync-reminders")
    assert sorted(c.size for c in chunks) == [1, 3, 3]
    assert sum(c.done_count for c in chunks) == len(patients)
    for patient in patients:
        assert Reminder.objects.filter(patient=patient, kind="injection_due").exists(), patient
