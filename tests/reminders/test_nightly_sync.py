"""The nightly reminder sync is set-based: a chunk of patients costs a fixed number of queries
however many patients it holds, and plans what the one-patient sync would have planned."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from b12clinic.core.models import Patient
from monitoring.models import Reminder
from monitoring.reminders.planning import (
    patients_to_sync,
    reminders_sync_for_patient,
    reminders_sync_range,
)
from plans.services.prescriptions import plan_stop
from tests.plans.recording_helpers import new_plan

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def make_patients(clinic, clinician, count: int, first: int = 0) -> list[Patient]:
    """A mix: email, text, both, opted out; new, started weeks ago (overdue), stopped."""
    made = []
    for n in range(first, first + count):
        patient = Patient.objects.create(
            clinic=clinic,
            record_number=f"NS{n:04d}",
            given_name="Night",
            family_name=f"Sync{n}",
            date_of_birth=date(1960, 1, 1) + timedelta(days=n),
            email=f"night{n}@example.org",
            phone="+447400123456",
            reminder_email=n % 3 != 1,
            reminder_sms=n % 3 != 0,
            created_by=clinician,
        )
        started = today() - timedelta(days=(n * 5) % 40)
        plan = new_plan(patient, clinician, ("uk_standard", "uk_prophylaxis")[n % 2], start=started)
        if n % 7 == 6:
            patient.reminders_opted_out_at = timezone.now()
            patient.save()
        if n % 11 == 10:
            plan_stop(plan=plan, by=clinician, reason="Moved away", today=today())
        made.append(patient)
    return made


def snapshot(patients: list[Patient]) -> set[tuple]:
    return set(
        Reminder.objects.filter(patient__in=patients).values_list(
            "patient_id", "dedupe_key", "kind", "channel", "status", "send_at", "for_date"
        )
    )


def night(days: int = 1) -> datetime:
    return datetime.combine(today() + timedelta(days=days), time(2), tzinfo=UTC)


@pytest.fixture
def open_daily(clinic):
    clinic.open_weekdays = "0123456"
    clinic.email = "team@riverside.example.org"
    clinic.save()
    return clinic


def test_a_chunk_plans_exactly_what_one_patient_at_a_time_would(open_daily, clinician):
    patients = make_patients(open_daily, clinician, 14)
    # Forget what the services planned and let a week pass: doses enter the window, some are
    # missed, so the night has work of every kind to do.
    Reminder.objects.all().delete()
    keys = patients_to_sync()
    assert len(keys) == 14 - 1  # the stopped plan's patient has nothing to sync
    with transaction.atomic():
        for patient in Patient.objects.filter(pk__in=keys).select_related("clinic"):
            reminders_sync_for_patient(patient=patient, now=night(7))
        one_at_a_time = snapshot(patients)
        transaction.set_rollback(True)
    assert one_at_a_time, "the mix plans reminders"
    assert Reminder.objects.count() == 0

    assert reminders_sync_range(first=keys[0], last=keys[-1], now=night(7)) == 13
    assert snapshot(patients) == one_at_a_time
    kinds = {row[2] for row in one_at_a_time}
    assert {"injection_due", "overdue", "overdue_clinic"} <= kinds
    # A second run the same night changes nothing.
    reminders_sync_range(first=keys[0], last=keys[-1], now=night(7))
    assert snapshot(patients) == one_at_a_time


def test_a_chunk_costs_at_most_nine_queries_for_4_patients_or_for_20(open_daily, clinician):
    make_patients(open_daily, clinician, 24)
    keys = patients_to_sync()

    def queries(first: str, last: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            reminders_sync_range(first=first, last=last, now=night(3))
        return len(captured)

    # Three reads, the locked read of the outbox, then at most one cancel, one update and one
    # insert, inside a savepoint here (a transaction of its own in a worker).
    assert queries(keys[0], keys[3]) <= 9
    assert queries(keys[4], keys[-1]) <= 9


def test_a_cancelled_reminder_wanted_again_is_the_same_row_and_a_stale_one_is_cancelled(
    open_daily, clinician
):
    (patient,) = make_patients(open_daily, clinician, 1, first=2)  # email and text
    reminders_sync_for_patient(patient=patient, now=night(0))
    first = Reminder.objects.filter(patient=patient, status="pending").order_by("send_at")[0]
    Reminder.objects.filter(pk=first.pk).update(status="cancelled")
    stale = Reminder.objects.create(
        kind="injection_due",
        channel="email",
        clinic=open_daily,
        patient=patient,
        for_date=today(),
        send_at=night(0),
        attempt_at=night(0),
        dedupe_key="injection_due:gone",
    )
    key = str(patient.pk)
    reminders_sync_range(first=key, last=key, now=night(0))
    first.refresh_from_db()
    stale.refresh_from_db()
    assert first.status == "pending"
    assert (stale.status, stale.note) == (
        "cancelled",
        "No longer due: the dose, recheck, plan or preferences changed.",
    )


def test_digests_for_every_clinic_cost_four_queries(clinic, other_clinic, nurse, clinician):
    from monitoring.reminders.planning import digests_plan
    from tests.conftest import make_user

    nurse.email, clinician.email = "bob@example.org", "alice@example.org"
    nurse.save()
    clinician.save()
    make_user("no-mail", "nurse", clinic=clinic)  # no address: nothing to send to
    make_user("left", "nurse", clinic=other_clinic, email="left@example.org", is_active=False)
    make_user("other", "nurse", "clinician", clinic=other_clinic, email="o@example.org")
    morning = datetime.combine(today(), time(6), tzinfo=clinic.zone)
    with CaptureQueriesContext(connection) as captured:
        assert digests_plan(now=morning) == 4
    assert len(captured) <= 4
    assert set(Reminder.objects.values_list("kind", "user__username", "clinic_id")) == {
        ("nurse_digest", nurse.username, clinic.pk),
        ("clinician_digest", clinician.username, clinic.pk),
        ("nurse_digest", "other", other_clinic.pk),
        ("clinician_digest", "other", other_clinic.pk),
    }
    assert digests_plan(now=morning + timedelta(minutes=30)) == 0
    evening = datetime.combine(today(), time(20), tzinfo=clinic.zone)
    assert digests_plan(now=evening) == 0  # missed by far: tomorrow's is the next


def test_a_reminder_due_either_way_keeps_its_time_and_its_wait_after_a_failure(
    open_daily, clinician
):
    """A later night once moved every due reminder to "now" (in one slow statement per 1,000
    rows), and with it cut short the wait a failed attempt had been given."""
    (patient,) = make_patients(open_daily, clinician, 1, first=2)
    reminders_sync_for_patient(patient=patient, now=night(0))
    due = Reminder.objects.filter(patient=patient, status="pending").order_by("send_at")[0]
    retry_at = due.send_at + timedelta(hours=1)
    Reminder.objects.filter(pk=due.pk).update(attempts=1, attempt_at=retry_at)
    key = str(patient.pk)
    later = due.send_at + timedelta(minutes=30)  # due, and waiting to be tried again
    reminders_sync_range(first=key, last=key, now=later)
    due.refresh_from_db()
    assert (due.status, due.attempt_at) == ("pending", retry_at)

    # A real move still moves: the patient asks for their reminders at another hour.
    patient.reminder_hour = (patient.reminder_hour + 3) % 24
    patient.save()
    future = Reminder.objects.filter(patient=patient, status="pending", send_at__gt=later)
    before = dict(future.values_list("pk", "send_at"))
    reminders_sync_range(first=key, last=key, now=later)
    after = dict(Reminder.objects.filter(pk__in=before).values_list("pk", "send_at"))
    assert before and all(after[pk] != before[pk] for pk in before)
