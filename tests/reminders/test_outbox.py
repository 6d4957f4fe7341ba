"""The outbox kept in step by the services, and delivery through a real SMTP server on
loopback, run in this process (the worker tests run the same code in real workers)."""

import json
import re
import threading
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Reminder
from monitoring.reminders.delivery import reminder_retry, reminders_deliver, reminders_reclaim
from monitoring.reminders.optout import opt_out_url
from monitoring.reminders.planning import digests_plan, reminders_sync_for_patient
from monitoring.rules.gsm7 import is_gsm7, segments
from plans.recording.not_given import dose_record_not_given
from plans.services.patients import patient_update
from plans.services.prescriptions import plan_stop
from tests.conftest import make_user
from tests.plans.recording_helpers import give, new_plan, open_doses
from tests.reminders.conftest import free_port

LONDON_NOON = time(12)


def today():
    return timezone.localdate()


@pytest.fixture
def consenting(patient):
    patient.email = "nora.quinn@example.org"
    patient.phone = "+447400123456"
    patient.reminder_email = True
    patient.save()
    return patient


@pytest.fixture
def clinic_open_daily(clinic):
    clinic.open_weekdays = "0123456"
    clinic.email = "team@riverside.example.org"
    clinic.quiet_from = clinic.quiet_until = time(0)  # no quiet hours unless a test sets them
    clinic.save()
    return clinic


def plan_starting_in(patient, clinician, days: int, code: str = "uk_standard"):
    return new_plan(patient, clinician, code, start=today() + timedelta(days=days))


def pending(patient, kind="injection_due"):
    return list(patient.reminders.filter(kind=kind, status="pending").order_by("for_date"))


def deliver_now(at=None):
    moment = at or timezone.now() + timedelta(days=400)
    return reminders_deliver(now=lambda: moment, budget_seconds=10)


def test_a_plan_plans_its_injection_reminders_the_day_before_at_nine(
    consenting, clinician, clinic_open_daily
):
    plan = plan_starting_in(consenting, clinician, 3)
    reminders = pending(consenting)
    first = open_doses(plan)[0]
    assert reminders[0].dose == first
    local = reminders[0].send_at.astimezone(clinic_open_daily.zone)
    assert (local.date(), local.hour) == (first.due_date - timedelta(days=1), 9)
    assert {r.channel for r in reminders} == {"email"}
    assert all(r.dose.due_date <= today() + timedelta(days=60) for r in reminders)
    # Rechecks with tests remind too; the symptom review does not (it is the clinic's).
    assert {r.recheck.kind for r in pending(consenting, "recheck_due")} >= {"retics_day7"}


def test_giving_a_dose_cancels_its_reminder_and_moves_the_rest(
    consenting, clinician, nurse, clinic_open_daily
):
    plan = plan_starting_in(consenting, clinician, 0, "uk_prophylaxis")
    first = open_doses(plan)[0]
    before = {r.dose_id: r.for_date for r in pending(consenting)}
    assert first.pk in before
    moment = timezone.now()
    give(first, nurse, on=today(), now=moment, given_at=moment - timedelta(minutes=1))
    cancelled = consenting.reminders.get(dose=first, kind="injection_due")
    assert cancelled.status == "cancelled"
    assert all(r.dose.status == "due" for r in pending(consenting))


def test_nothing_for_a_stopped_plan_and_nothing_for_a_given_dose_at_send_time(
    consenting, clinician, nurse, clinic_open_daily, smtp_settings
):
    plan = plan_starting_in(consenting, clinician, 2)
    assert pending(consenting)
    plan_stop(plan=plan, by=clinician, reason="Moved away", today=today())
    assert not consenting.reminders.filter(status="pending").exists()
    assert deliver_now().sent == 0
    assert smtp_settings.messages == []

    # A row the services did not cancel (written by hand here) is still not sent.
    plan2 = plan_starting_in(consenting, clinician, 2)
    dose = open_doses(plan2)[0]
    reminder = consenting.reminders.filter(dose=dose, status="pending").first()
    dose.status, dose.given_on = "given", today()
    dose.save()
    done = deliver_now()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.note) == ("cancelled", "Not sent: the dose is given.")
    assert done.sent == len([m for m in smtp_settings.messages])


def test_not_given_dose_is_reminded_as_overdue_to_patient_and_clinic(
    consenting, clinician, nurse, clinic_open_daily
):
    plan = new_plan(consenting, clinician, "uk_prophylaxis", start=today() - timedelta(days=1))
    reminders_sync_for_patient(patient=consenting)
    overdue = {r.kind for r in consenting.reminders.filter(status="pending")}
    assert {"overdue", "overdue_clinic"} <= overdue
    dose = open_doses(plan)[0]
    dose_record_not_given(dose=dose, by=nurse, reason="declined", now=timezone.now())
    assert not consenting.reminders.filter(kind="overdue", status="pending", dose=dose).exists()


def test_a_patient_missed_long_before_the_nightly_run_is_chased_once_per_missed_dose(
    consenting, clinician, nurse, clinic_open_daily, smtp_settings
):
    """Edward Clarke was 15 days overdue and nobody had chased him: the planner skipped any
    dose missed more than a week before it ran."""
    from monitoring.reminders.planning import reminders_sync_all

    plan = new_plan(consenting, clinician, "uk_prophylaxis", start=today() - timedelta(days=15))
    missed = open_doses(plan)[0]
    assert missed.due_date == today() - timedelta(days=15)
    Reminder.objects.filter(patient=consenting).delete()  # as if never planned when missed
    night = datetime.combine(today(), time(1), tzinfo=clinic_open_daily.zone)
    reminders_sync_all(now=night)
    chasers = consenting.reminders.filter(kind__in=("overdue", "overdue_clinic"))
    assert {(r.kind, r.dose_id, r.status) for r in chasers} == {
        ("overdue", missed.pk, "pending"),
        ("overdue_clinic", missed.pk, "pending"),
    }
    assert all(r.send_at >= night for r in chasers)
    deliver_now(night + timedelta(hours=9))
    assert [m["To"] for m in smtp_settings.messages].count("nora.quinn@example.org") == 1
    # The next nights plan nothing more for the same missed dose.
    for days in (1, 2, 30):
        reminders_sync_all(now=night + timedelta(days=days))
    assert consenting.reminders.filter(kind="overdue", dose=missed).count() == 1
    assert consenting.reminders.get(kind="overdue", dose=missed).status == "sent"


def test_consent_and_contact_changes_keep_the_outbox_in_step(
    consenting, clinician, clinic_open_daily
):
    plan_starting_in(consenting, clinician, 3)
    assert pending(consenting)
    patient_update(patient=consenting, by=clinician, today=today(), reminder_email=False)
    assert not pending(consenting)
    patient_update(
        patient=consenting, by=clinician, today=today(), reminder_email=True, reminder_sms=True
    )
    channels = {r.channel for r in pending(consenting)}
    assert channels == {"email", "sms"}
    patient_update(patient=consenting, by=clinician, today=today(), reminder_hour=18)
    assert {r.send_at.astimezone(clinic_open_daily.zone).hour for r in pending(consenting)} == {18}


def test_delivery_through_smtp_with_templates_message_id_and_opt_out(
    consenting, clinician, clinic_open_daily, smtp_settings, client
):
    plan_starting_in(consenting, clinician, 2)
    first = pending(consenting)[0]
    done = deliver_now()
    assert done.sent >= 1 and done.failed == 0
    first.refresh_from_db()
    assert first.status == "sent" and first.recipient == "nora.quinn@example.org"
    message = next(m for m in smtp_settings.messages if m["X-B12-Reminder"] == str(first.pk))
    assert message["Message-ID"] == first.message_id
    assert message["Subject"].startswith("Your B12 injection is due on")
    assert message.is_multipart()
    text, html = (part.get_payload(decode=True).decode() for part in message.get_payload())
    assert "Hello Nora" in text and "<strong>" in html
    unsubscribe = "".join(message["List-Unsubscribe"].split()).strip("<>")
    assert unsubscribe in text

    path = unsubscribe.split("8000", 1)[1]
    assert "Stop email reminders?" in client.get(path).content.decode()
    assert "You will get no more email reminders" in client.post(path).content.decode()
    consenting.refresh_from_db()
    assert not consenting.reminder_email and consenting.reminders_opted_out_at is not None
    assert not pending(consenting)
    tampered = client.get(path[:-3] + "xyz/")
    assert tampered.status_code == 404


def test_smtp_down_retries_with_backoff_then_fails_and_loses_nothing(
    consenting, clinician, clinic_open_daily, settings
):
    settings.EMAIL_BACKEND = "b12clinic.mail.SmtpBackend"  # what smtp:// selects
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    settings.REMINDER_MAX_ATTEMPTS = 3
    plan_starting_in(consenting, clinician, 2)
    reminder = pending(consenting)[0]
    moment = timezone.now() + timedelta(days=400)
    first = reminders_deliver(now=lambda: moment, budget_seconds=10)
    assert first.sent == 0 and first.retried >= 1
    reminder.refresh_from_db()
    assert reminder.status == "pending" and reminder.attempts == 1
    assert reminder.attempt_at == moment + timedelta(seconds=60)
    assert "Connection refused" in reminder.last_error
    for minutes in (2, 5):
        later = moment + timedelta(minutes=minutes)
        reminders_deliver(now=lambda later=later: later, budget_seconds=10)
    reminder.refresh_from_db()
    assert reminder.status == "failed" and reminder.attempts == 3
    assert reminder.last_error.startswith("Gave up after 3 attempts.")
    count = Reminder.objects.count()
    assert Reminder.objects.filter(status__in=["pending", "failed"]).count() == count


def test_bad_input_fails_one_reminder_readably_and_the_rest_flow(
    consenting, clinician, clinic_open_daily, smtp_settings, patient, settings, tmp_path
):
    plan_starting_in(consenting, clinician, 2)
    other = make_user("tom", "clinician", clinic=clinic_open_daily)
    from b12clinic.core.models import Patient

    # Agreed to texts but no number: the database refuses the row, so no reminder can fail so.
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            clinic=clinic_open_daily,
            record_number="RX2",
            given_name="Ann",
            family_name="Lee",
            date_of_birth=consenting.date_of_birth,
            reminder_sms=True,
            created_by=other,
        )
    bad_email = Patient.objects.create(
        clinic=clinic_open_daily,
        record_number="RX3",
        given_name="Bo",
        family_name="Ray",
        date_of_birth=consenting.date_of_birth,
        email="bo@@example",
        reminder_email=True,
        created_by=other,
    )
    plan_starting_in(bad_email, other, 2)
    done = deliver_now()
    assert done.sent == Reminder.objects.filter(patient=consenting, status="sent").count() > 0
    texts = {r.last_error for r in Reminder.objects.filter(status="failed")}
    assert "The patient's email address “bo@@example” is not valid." in texts


def test_a_template_failure_fails_that_reminder_only(
    consenting, clinician, clinic_open_daily, smtp_settings, settings, tmp_path
):
    broken = tmp_path / "reminders" / "recheck_due"
    broken.mkdir(parents=True)
    (broken / "subject.txt").write_text("{% if %}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    plan_starting_in(consenting, clinician, 2)
    done = deliver_now()
    failed = Reminder.objects.filter(status="failed")
    assert failed.exists() and {r.kind for r in failed} == {"recheck_due"}
    assert all(r.last_error.startswith("The message could not be written") for r in failed)
    assert done.sent > 0


class Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 201

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        form["auth"] = self.headers["Authorization"]
        form["path"] = self.path
        form["headers"] = {name.lower() for name in self.headers}
        Gateway.received.append(form)
        self.send_response(Gateway.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        body = (
            {"sid": f"SM{len(Gateway.received):04}"}
            if Gateway.status < 300
            else {"message": "The 'To' number is not a valid phone number."}
        )
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received, Gateway.status = [], 201
    settings.SMS_BACKEND = "monitoring.reminders.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/2010-04-01"
    settings.SMS_ACCOUNT, settings.SMS_TOKEN, settings.SMS_FROM = "AC123", "secret", "B12Clinic"
    yield Gateway
    server.shutdown()


def test_sms_through_a_twilio_style_gateway(consenting, clinician, clinic_open_daily, gateway):
    consenting.reminder_email, consenting.reminder_sms = False, True
    consenting.save()
    plan_starting_in(consenting, clinician, 2)
    done = deliver_now()
    assert done.sent == len(gateway.received) > 0
    first = gateway.received[0]
    assert first["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert first["To"] == "+447400123456" and first["From"] == "B12Clinic"
    assert first["auth"].startswith("Basic ")
    assert "B12 injection is due" in first["Body"] or "blood test" in first["Body"]
    # Twilio's Messages API defines Authorization and a form body; HTTP itself adds the rest.
    # It has no idempotency header: one once sent here was dropped.
    transport = {"host", "content-length", "user-agent", "connection", "accept-encoding"}
    assert first["headers"] - transport == {"authorization", "content-type"}
    for message in gateway.received:
        assert segments(message["Body"]) == 1 and is_gsm7(message["Body"]), message["Body"]
        assert re.search(r"Stop texts: http://\S+/r/[A-Za-z0-9]{9}$", message["Body"])
    sent = Reminder.objects.filter(status="sent").first()
    assert sent.provider_message_id.startswith("SM")


def test_the_short_stop_link_in_a_text_opts_the_patient_out(
    client, consenting, clinician, clinic_open_daily, gateway
):
    consenting.reminder_email, consenting.reminder_sms = False, True
    consenting.save()
    plan_starting_in(consenting, clinician, 2)
    deliver_now()
    link = gateway.received[0]["Body"].rsplit(" ", 1)[1]
    path = "/" + link.split("/", 3)[3]
    page = client.get(path, follow=True)
    assert page.status_code == 200 and "text message" in page.content.decode()
    client.post(page.redirect_chain[-1][0])
    consenting.refresh_from_db()
    assert consenting.reminder_sms is False
    assert client.get("/r/zzzzzzzzz").status_code == 404


def test_a_gateway_refusal_fails_readably(consenting, clinician, clinic_open_daily, gateway):
    consenting.reminder_email, consenting.reminder_sms = False, True
    consenting.save()
    plan_starting_in(consenting, clinician, 2)
    gateway.status = 400
    deliver_now()
    failed = Reminder.objects.filter(status="failed")
    assert failed.exists()
    assert failed.first().last_error == (
        "SMS gateway refused the message (400): The 'To' number is not a valid phone number."
    )


def test_quiet_hours_hold_a_reminder_until_morning(consenting, clinician, clinic_open_daily):
    clinic_open_daily.quiet_from, clinic_open_daily.quiet_until = time(21), time(8)
    clinic_open_daily.save()
    consenting.reminder_hour = 22
    consenting.save()
    plan_starting_in(consenting, clinician, 3)
    reminder = pending(consenting)[0]
    local = reminder.send_at.astimezone(clinic_open_daily.zone)
    assert (local.hour, local.minute) == (8, 0)
    assert reminder.note == "Held until quiet hours end."


def test_a_dead_workers_rows_are_reclaimed(consenting, clinician, clinic_open_daily):
    from monitoring.reminders.delivery import reminders_claim

    plan_starting_in(consenting, clinician, 2)
    moment = timezone.now() + timedelta(days=400)
    first = {r.pk for r in reminders_claim(now=moment, limit=3)}
    second = {r.pk for r in reminders_claim(now=moment, limit=100)}
    assert len(first) == 3 and second and not first & second
    assert reminders_reclaim(now=moment + timedelta(seconds=10)) == 0
    assert reminders_reclaim(now=moment + timedelta(minutes=6)) == len(first | second)
    assert Reminder.objects.filter(status="sending").count() == 0


def test_digests_for_nurses_and_clinicians(
    consenting, clinician, nurse, clinic_open_daily, smtp_settings
):
    nurse.email, clinician.email = "bob@example.org", "alice@example.org"
    nurse.save()
    clinician.save()
    # Started a week ago with nothing given: some doses overdue, maybe one due today.
    new_plan(consenting, clinician, "uk_standard", start=today() - timedelta(days=7))
    from plans.day_list import day_list

    expected = day_list(clinic=clinic_open_daily, day=today())
    assert expected.overdue
    morning = datetime.combine(today(), time(6), tzinfo=clinic_open_daily.zone)
    assert digests_plan(now=morning) == 2
    assert digests_plan(now=morning) == 0
    reminders_deliver(now=lambda: morning + timedelta(hours=3), budget_seconds=10)
    subjects = {m["To"]: m["Subject"] for m in smtp_settings.messages}
    assert subjects["bob@example.org"].endswith(
        f"{len(expected.due)} due today, {len(expected.overdue)} overdue"
    )
    nurse_text = next(m for m in smtp_settings.messages if m["To"] == "bob@example.org")
    assert "QUINN, Nora (RX1001)" in nurse_text.get_payload()[0].get_payload(decode=True).decode()
    assert "urgent alert" in subjects["alice@example.org"]


def test_staff_pages_show_the_log_and_retry_a_failure(
    consenting, clinician, nurse, clinic_open_daily, client, outsider
):
    plan_starting_in(consenting, clinician, 2)
    reminder = pending(consenting)[0]
    Reminder.objects.filter(pk=reminder.pk).update(status="failed", last_error="Mailbox full")
    client.force_login(nurse)
    page = client.get(reverse("monitoring:patient_detail", args=[consenting.pk])).content.decode()
    assert "Mailbox full" in page and 'data-testid="reminder-log"' in page
    failed = client.get(reverse("monitoring:reminders_failed")).content.decode()
    assert "Mailbox full" in failed
    client.post(reverse("monitoring:reminder_retry", args=[reminder.pk]))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("pending", 0)
    assert "Retried by bob" in reminder.note
    client.force_login(outsider)
    assert client.post(reverse("monitoring:reminder_retry", args=[reminder.pk])).status_code == 404
    assert (
        "No failed reminders" in client.get(reverse("monitoring:reminders_failed")).content.decode()
    )


def test_retrying_a_reminder_that_did_not_fail_is_refused(consenting, clinician, clinic_open_daily):
    from django.core.exceptions import ValidationError

    plan_starting_in(consenting, clinician, 2)
    with pytest.raises(ValidationError):
        reminder_retry(reminder=pending(consenting)[0], by=clinician, now=timezone.now())


def test_an_opt_out_link_is_signed(consenting):
    url = opt_out_url(consenting, "email")
    assert url.startswith("http://localhost:8000/reminders/stop/")
    assert str(consenting.pk) not in url


def test_the_send_hour_does_not_shift_across_the_clock_change(
    consenting, clinician, clinic_open_daily
):
    from datetime import date

    start = date(2027, 3, 24)  # UK clocks go forward on 28 March 2027
    new_plan(consenting, clinician, "uk_standard", start=start)
    now = datetime(2027, 3, 20, 12, tzinfo=UTC)
    reminders_sync_for_patient(patient=consenting, now=now)
    due = [
        r
        for r in consenting.reminders.filter(kind="injection_due", status="pending")
        if r.for_date <= date(2027, 4, 2)
    ]
    local_hours = {r.send_at.astimezone(clinic_open_daily.zone).hour for r in due}
    assert local_hours == {9}
    utc_hours = {r.for_date: r.send_at.astimezone(UTC).hour for r in due}
    assert {h for d, h in utc_hours.items() if d <= date(2027, 3, 28)} == {9}
    assert {h for d, h in utc_hours.items() if d >= date(2027, 3, 30)} == {8}


def test_the_failed_list_runs_the_same_queries_for_one_or_many(
    consenting, clinician, nurse, clinic_open_daily, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan_starting_in(consenting, clinician, 2)
    rows = list(consenting.reminders.filter(status="pending"))
    assert len(rows) >= 8
    client.force_login(nurse)
    url = reverse("monitoring:reminders_failed")
    client.get(url)  # warm: the second-factor requirement is then cached for a minute

    def queries_with(failed: int) -> int:
        Reminder.objects.filter(pk__in=[r.pk for r in rows[:failed]]).update(
            status="failed", last_error="Mailbox full"
        )
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert page.count('data-testid="failed-reminder"') == failed
        return len(captured)

    assert queries_with(1) == queries_with(8)


def test_an_sms_backend_named_by_its_former_path_still_loads(settings):
    from monitoring.reminders.sms import ConsoleBackend, HttpGatewayBackend, get_backend

    settings.SMS_BACKEND = "monitoring.sms.ConsoleBackend"
    assert isinstance(get_backend(), ConsoleBackend)
    settings.SMS_BACKEND = "monitoring.reminders.sms.HttpGatewayBackend"
    assert isinstance(get_backend(), HttpGatewayBackend)


def test_a_reminder_email_says_it_is_automatic_and_answers_go_to_the_clinic(
    consenting, clinician, clinic_open_daily, smtp_settings
):
    """Out-of-office replies are not sent to an automatic message (RFC 3834), a patient who
    answers reaches the clinic rather than no-reply, and the HTML part has a title."""
    plan_starting_in(consenting, clinician, 2)
    deliver_now()
    message = next(m for m in smtp_settings.messages if m["X-B12-Reminder"])
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"] == "team@riverside.example.org"
    html = message.get_payload()[1].get_payload(decode=True).decode()
    assert f"<title>{message['Subject']}</title>" in html


def test_without_a_clinic_address_there_is_no_reply_to(
    consenting, clinician, clinic_open_daily, smtp_settings
):
    clinic_open_daily.email = ""
    clinic_open_daily.save()
    plan_starting_in(consenting, clinician, 2)
    deliver_now()
    message = next(m for m in smtp_settings.messages if m["X-B12-Reminder"])
    assert message["Reply-To"] is None
    assert message["Auto-Submitted"] == "auto-generated"
