"""Symptoms told from home: on the patient's page, and from the signed link in an injection
reminder (no sign-in, 7 days). Stored like a staff check-in, with who entered it; the same
alerts; and symptoms coming back before two maintenance doses in a row raise the NICE NG239
interval-review warning, one alone does not."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Alert, CheckInSource, SymptomCheckIn
from monitoring.reminders.delivery import reminders_deliver
from monitoring.services.checkins import (
    asks_came_back,
    checkin_from_patient,
    checkin_link_token,
)
from tests.plans.recording_helpers import give, new_plan, open_doses

ALL_NONE = dict.fromkeys(SymptomCheckIn.SYMPTOM_FIELDS, "none")


def today():
    return timezone.localdate()


def form(**answers):
    return {**ALL_NONE, **answers}


@pytest.fixture
def own(patient, patient_user, clinic):
    clinic.phone = "01632 960 000"
    clinic.open_weekdays = "0123456"
    clinic.save()
    patient.user = patient_user
    patient.save()
    return patient


def test_worse_numbness_from_my_page_is_urgent_and_says_the_clinic_will_call(
    client, own, clinician
):
    new_plan(own, clinician, "uk_standard", start=today() - timedelta(days=6))
    client.force_login(own.user)
    page = client.get(reverse("monitoring:me_checkin"))
    assert page.status_code == 200 and 'data-testid="came-back"' not in page.content.decode()
    done = client.post(reverse("monitoring:me_checkin"), form(numbness="worse"))
    html = done.content.decode()
    assert "will call you today" in html and "01632 960 000" in html
    checkin = SymptomCheckIn.objects.get()
    assert (checkin.source, checkin.recorded_by, checkin.on_date) == (
        CheckInSource.PATIENT,
        own.user,
        today(),
    )
    alert = Alert.objects.get(patient=own, kind="neuro_worse")
    assert alert.severity == "urgent"


def test_a_missing_answer_is_shown_on_its_question_and_nothing_is_saved(client, own, clinician):
    new_plan(own, clinician, "uk_standard", start=today())
    client.force_login(own.user)
    answers = form()
    del answers["balance"]
    page = client.post(reverse("monitoring:me_checkin"), answers)
    assert page.status_code == 200
    assert page.context["form"].errors["balance"] == ["Choose one of the four answers."]
    assert not SymptomCheckIn.objects.exists()


def link_from_the_reminder_email(smtp_settings) -> str:
    reminders_deliver(now=lambda: timezone.now() + timedelta(days=400), budget_seconds=10)
    message = next(m for m in smtp_settings.messages if "injection" in m["Subject"].lower())
    text = message.get_payload()[0].get_payload(decode=True).decode()
    return re.search(r"http://\S+/checkin/\S+/", text).group(0)


def test_the_reminder_email_link_needs_no_sign_in_and_lasts_seven_days(
    client, own, clinician, smtp_settings
):
    own.email, own.reminder_email = "nora@example.org", True
    own.save()
    new_plan(own, clinician, "uk_standard", start=today() + timedelta(days=2))
    link = link_from_the_reminder_email(smtp_settings)
    path = "/" + link.split("/", 3)[3]
    assert client.get(path).status_code == 200
    done = client.post(path, form(weakness="worse", fatigue="better"))
    assert "will call you today" in done.content.decode()
    checkin = SymptomCheckIn.objects.get()
    assert checkin.source == CheckInSource.PATIENT_LINK and checkin.recorded_by is None
    assert Alert.objects.filter(patient=own, kind="neuro_worse", severity="urgent").exists()

    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        expired = client.get(path)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert client.get(path[:-6] + "xxxxx/").status_code == 404


def maintenance_plan(patient, clinician, nurse):
    """Maintenance every 3 months, the first dose given: the next one has an interval before
    it for symptoms to come back in."""
    plan = new_plan(patient, clinician, "uk_prophylaxis", start=today() - timedelta(days=10))
    give(open_doses(plan)[0], nurse)
    return plan


def tell(patient, dose, came_back):
    return checkin_from_patient(
        patient=patient,
        answers=ALL_NONE,
        today=today(),
        by=patient.user,
        dose=dose,
        came_back=came_back,
    )


def test_symptoms_back_before_two_doses_in_a_row_raise_the_interval_review(
    client, own, clinician, nurse
):
    plan = maintenance_plan(own, clinician, nurse)
    second = open_doses(plan)[0]
    assert asks_came_back(second)
    tell(own, second, True)
    assert not Alert.objects.filter(kind="symptoms_come_back").exists(), "one alone is not"
    give(second, nurse)
    third = open_doses(plan)[0]
    tell(own, third, True)
    alert = Alert.objects.get(kind="symptoms_come_back")
    assert alert.severity == "warning" and alert.plan == plan
    assert "NICE NG239" in alert.detail and "more frequent injections" in alert.detail

    client.force_login(clinician)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("plans:plan_amend", args=[plan.pk]) in dashboard
    page = client.get(reverse("monitoring:plan_detail", args=[plan.pk])).content.decode()
    assert page.count('data-came-back="yes"') == 2


def test_a_no_in_between_breaks_the_pattern(own, clinician, nurse):
    plan = maintenance_plan(own, clinician, nurse)
    for answer in (True, False, True):
        dose = open_doses(plan)[0]
        tell(own, dose, answer)
        give(dose, nurse)
    assert not Alert.objects.filter(kind="symptoms_come_back").exists()


def test_the_question_is_asked_only_before_a_maintenance_dose_with_one_before_it(
    client, own, clinician, nurse
):
    plan = maintenance_plan(own, clinician, nurse)
    client.force_login(own.user)
    page = client.get(reverse("monitoring:me_checkin")).content.decode()
    assert 'data-testid="came-back"' in page
    unanswered = client.post(reverse("monitoring:me_checkin"), form())
    assert unanswered.context["form"].errors["came_back"] == ["Choose yes or no."]
    done = client.post(reverse("monitoring:me_checkin"), form(came_back="yes"))
    assert "how often you have them" in done.content.decode()
    assert SymptomCheckIn.objects.get().came_back_before_dose is True
    assert SymptomCheckIn.objects.get().dose == open_doses(plan)[0]


def test_a_link_for_another_patients_dose_is_refused(client, own, clinician, patient_user):
    from b12clinic.core.models import Patient

    plan = new_plan(own, clinician, "uk_standard", start=today())
    other = Patient.objects.create(
        clinic=own.clinic,
        record_number="RX9",
        given_name="Ann",
        family_name="Lee",
        date_of_birth=own.date_of_birth,
        created_by=clinician,
    )
    forged = checkin_link_token(other, open_doses(plan)[0])
    assert client.get(f"/checkin/{forged}/").status_code == 404
