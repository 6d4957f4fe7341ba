"""Reminder pages in Chromium: the patient's log, failed reminders and retry, the opt-out link."""

from playwright.sync_api import Page, expect

from b12clinic.core.models import Patient
from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.models import Reminder
from monitoring.reminders.optout import opt_out_url
from tests.browser.conftest import log_in


def test_nurse_sees_a_failed_reminder_and_retries_it(page: Page):
    demo_seed()
    reminder = Reminder.objects.filter(patient__record_number="RV-1001").first()
    assert reminder is not None, "the demo patients agreed to email reminders"
    Reminder.objects.filter(pk=reminder.pk).update(
        status="failed", attempts=5, last_error="Gave up after 5 attempts. Mailbox full"
    )
    log_in(page, "nurse", DEMO_PASSWORD)
    page.get_by_role("link", name="Failed reminders").click()
    row = page.get_by_test_id("failed-reminder").filter(has_text="HUGHES, Margaret")
    expect(row).to_contain_text("Mailbox full")
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("will be sent again within a minute")).to_be_visible()
    expect(page.get_by_test_id("no-failed")).to_be_visible()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("pending", 0)

    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="HUGHES, Margaret").click()
    log = page.get_by_test_id("reminder-log")
    expect(log).to_contain_text("Injection due")
    expect(log).to_contain_text("Retried by nurse")


def test_a_patient_stops_email_reminders_from_the_link(page: Page, live_server):
    demo_seed()
    patient = Patient.objects.get(record_number="RV-1002")
    url = opt_out_url(patient, "email").replace("http://localhost:8000", live_server.url)
    page.goto(url)
    page.get_by_role("button", name="Stop email reminders").click()
    expect(page.get_by_test_id("opted-out")).to_have_text("You will get no more email reminders")
    patient.refresh_from_db()
    assert not patient.reminder_email
    assert not patient.reminders.filter(status="pending", channel="email").exists()
