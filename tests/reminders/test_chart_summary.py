"""The patient chart summarises: open alerts with acknowledge, the response so far, the next and
any missed injection, rechecks, the cause, and whether anyone chased the patient. Edward Clarke
(the demo's pernicious-anaemia patient, 15 days overdue, not responding) once showed none of it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from b12clinic.core.models import Patient
from b12clinic.demo import demo_seed
from monitoring.models import Alert
from monitoring.reminders.delivery import reminders_deliver
from monitoring.reminders.planning import reminders_sync_all


@pytest.fixture
def clarke(db):
    demo_seed()
    reminders_sync_all()  # the nightly run
    return Patient.objects.get(record_number="RV-1006")


def chart(client, patient, query=""):
    response = client.get(reverse("monitoring:patient_detail", args=[patient.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start : start + 4000]))


def test_clarkes_chart_says_what_needs_doing(client, clarke, smtp_settings):
    client.force_login(User.objects.get(username="clinician"))
    missed = clarke.plans.get().doses.filter(status="due").order_by("due_date").first()
    late = (timezone.localdate() - missed.due_date).days
    assert late >= 15
    page = chart(client, clarke)

    alerts = list(Alert.objects.filter(patient=clarke, acknowledged_at__isnull=True))
    assert len(alerts) == 2
    for alert in alerts:
        assert alert.title in section(page, "chart-alerts")
        link = reverse("monitoring:alert_acknowledge", args=[alert.pk])
        assert f'href="{link}?next=/patients/{clarke.pk}/"' in page

    injections = section(page, "summary-injections")
    assert f"Overdue since {missed.due_date:%-d %b}" in injections
    assert f"({late} days)" in injections
    assert "Overdue reminder planned for" in injections

    response = section(page, "summary-response")
    assert 'data-course="inadequate"' in page[page.index('data-testid="summary-response"') :]
    assert "Inadequate response" in response

    assert "Pernicious anaemia" in section(page, "cause")
    assert "overdue Symptom review" in section(page, "summary-rechecks")

    # Once the chaser has gone, the chart says so, and when.
    reminders_deliver(now=lambda: timezone.now() + timedelta(hours=1), budget_seconds=10)
    assert "edward.clarke@example.org" in [m["To"] for m in smtp_settings.messages]
    injections = section(chart(client, clarke), "summary-injections")
    assert "Chased: overdue reminder sent" in injections
    assert "to edward.clarke@example.org" in injections


def test_acknowledging_from_the_chart_returns_to_it(client, clarke):
    client.force_login(User.objects.get(username="clinician"))
    alert = Alert.objects.filter(patient=clarke).first()
    back = reverse("monitoring:patient_detail", args=[clarke.pk])
    response = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]),
        {"note": "Telephoned; booked for tomorrow", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    page = chart(client, clarke)
    assert alert.title not in section(page, "chart-alerts")
    alert.refresh_from_db()
    assert alert.acknowledgement_note == "Telephoned; booked for tomorrow"


def test_reminders_cancelled_before_sending_are_counted_not_listed(client, clarke):
    """Recording Clarke's past doses one by one planned and cancelled a chaser for each."""
    client.force_login(User.objects.get(username="nurse"))
    cancelled = clarke.reminders.filter(status="cancelled").count()
    assert cancelled
    page = chart(client, clarke)
    assert 'data-status="cancelled"' not in page
    assert f"Show {cancelled} cancelled before sending" in page
    assert chart(client, clarke, "?reminders=all").count('data-status="cancelled"') == min(
        cancelled, 30
    )


def test_the_chart_reads_in_a_fixed_number_of_queries(client, clarke):
    client.force_login(User.objects.get(username="clinician"))
    chart(client, clarke)
    with CaptureQueriesContext(connection) as first:
        chart(client, clarke)
    busy = Patient.objects.get(record_number="RV-1003")
    with CaptureQueriesContext(connection) as second:
        chart(client, busy)
    assert len(first) == len(second) <= 40, [q["sql"][:120] for q in first.captured_queries]
