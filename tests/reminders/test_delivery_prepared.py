"""On PostgreSQL a reminder sent is recorded by a prepared statement, with the same condition
as before: only the worker still holding the row's claim may record it."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import Reminder
from monitoring.reminders.delivery import _mark_sent
from tests.clock import pinned_now
from tests.conftest import require_postgresql
from tests.reminders.test_outbox import deliver_now, pending, plan_starting_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_postgresql():
    require_postgresql("the prepared statement that records a reminder sent")


def test_every_reminder_sent_is_recorded_through_the_prepared_statement(
    consenting, clinician, smtp_settings
):
    plan_starting_in(consenting, clinician, 2)
    expected = set(consenting.reminders.filter(status="pending").values_list("pk", flat=True))
    assert len(expected) >= 2 and pending(consenting)
    moment = pinned_now() + timedelta(days=400)  # every reminder of the plan is due by then
    with CaptureQueriesContext(connection) as queries:
        done = deliver_now(at=moment)
    assert done.sent == len(expected)
    sent = Reminder.objects.filter(pk__in=expected)
    assert {(r.status, r.sent_at, r.recipient, r.claim) for r in sent} == {
        ("sent", moment, "nora.quinn@example.org", None)
    }
    assert all(r.provider_message_id == r.message_id for r in sent)
    received = {message["X-B12-Reminder"] for message in smtp_settings.messages}
    assert received == {str(pk) for pk in expected}
    statements = [query["sql"] for query in queries.captured_queries]
    assert sum(sql.startswith("EXECUTE b12_reminder_sent") for sql in statements) == len(expected)
    assert not any(sql.startswith("UPDATE") and "sent_at" in sql for sql in statements)


def test_a_worker_that_lost_its_claim_records_nothing(consenting, clinician):
    plan_starting_in(consenting, clinician, 2)
    reminder = pending(consenting)[0]
    now = pinned_now()
    Reminder.objects.filter(pk=reminder.pk).update(
        status="sending", claim=uuid.uuid4(), claimed_at=now
    )
    reminder.refresh_from_db()
    taken_back = Reminder.objects.get(pk=reminder.pk)
    taken_back.claim = uuid.uuid4()  # reclaimed, then claimed by another worker
    _mark_sent(taken_back, now, "nora.quinn@example.org", "<id@example.org>")
    _mark_sent(taken_back, now, "nora.quinn@example.org", "<id@example.org>")  # prepared now
    after = Reminder.objects.get(pk=reminder.pk)
    assert (after.status, after.sent_at, after.claim) == ("sending", None, reminder.claim)
    _mark_sent(reminder, now, "nora.quinn@example.org", "<id@example.org>")
    after.refresh_from_db()
    assert (after.status, after.sent_at, after.claim) == ("sent", now, None)
