"""Sending a batch of reminders costs one write per message; what each message says is read
for the whole batch when it is claimed (bench/reminders.py: 3 queries a message made delivery
a fifth of a plain SMTP client's rate)."""

from datetime import timedelta

import pytest
from django.core.mail import get_connection
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from b12clinic.core.models import Patient
from monitoring.models import Reminder
from monitoring.reminders.delivery import (
    Delivered,
    _deliver_one,
    reminders_claim,
    reminders_deliver,
    reminders_reclaim,
)
from tests.plans.recording_helpers import give, new_plan, open_doses
from tests.reminders.conftest import due_reminders

QUESTION = "Did your symptoms come back before this one was due?"


def sent_with_queries(dose, count: int, inbox) -> tuple[int, list[str]]:
    reminders_deliver(budget_seconds=30)  # what the plans queued themselves, and rounds before
    inbox.messages.clear()
    due_reminders(dose, count)
    with CaptureQueriesContext(connection) as captured:
        done = reminders_deliver(batch=50, budget_seconds=30)
    assert done.sent == count
    bodies = [m.get_payload()[0].get_payload(decode=True).decode() for m in inbox.messages]
    return len(captured), bodies


@pytest.mark.django_db(transaction=True)
def test_each_further_message_costs_one_query_and_still_asks_what_it_should(
    consenting, clinician, nurse, smtp_settings, migration_data
):
    # Maintenance every 3 months, the first dose given: the next asks whether symptoms came
    # back in the interval; a loading dose does not.
    maintenance = new_plan(
        consenting, clinician, "uk_prophylaxis", start=timezone.localdate() - timedelta(days=10)
    )
    give(open_doses(maintenance)[0], nurse)
    after_interval = open_doses(maintenance)[0]

    one, bodies = sent_with_queries(after_interval, 1, smtp_settings)
    assert QUESTION in bodies[0]
    eight, bodies = sent_with_queries(after_interval, 8, smtp_settings)
    assert all(QUESTION in body for body in bodies)
    assert eight - one == 7  # the outcome of each further message, and nothing else

    other = Patient.objects.create(
        clinic=consenting.clinic,
        record_number="RX2002",
        given_name="Owen",
        family_name="Hart",
        date_of_birth=consenting.date_of_birth,
        email="owen.hart@example.org",
        reminder_email=True,
        created_by=clinician,
    )
    first_of_plan = open_doses(
        new_plan(other, clinician, "uk_prophylaxis", start=timezone.localdate())
    )[0]
    _, bodies = sent_with_queries(first_of_plan, 2, smtp_settings)
    assert bodies and not any(QUESTION in body for body in bodies)


@pytest.mark.django_db(transaction=True)
def test_a_sender_that_lost_its_rows_does_not_record_them(
    consenting, clinician, smtp_settings, migration_data
):
    """A sender stalled past the timeout: its rows were given back and another sender took
    them. When the first one's message finally goes, its record must not touch the row the
    other sender now holds."""
    plan = new_plan(consenting, clinician, "uk_prophylaxis", start=timezone.localdate())
    dose = open_doses(plan)[0]
    Reminder.objects.all().delete()
    due_reminders(dose, 1)
    stalled = reminders_claim(now=timezone.now(), limit=1)
    later = timezone.now() + timedelta(hours=1)
    assert reminders_reclaim(now=later) == 1
    (other,) = reminders_claim(now=later, limit=1)

    with get_connection() as mail:
        _deliver_one(stalled[0], mail, timezone.now, Delivered())
    row = Reminder.objects.get(pk=other.pk)
    assert (row.status, row.claim, row.sent_at) == ("sending", other.claim, None)

    with get_connection() as mail:
        _deliver_one(other, mail, timezone.now, Delivered())
    row.refresh_from_db()
    assert row.status == "sent" and row.claim is None and row.sent_at is not None
    assert row.recipient == "nora.quinn@example.org"
