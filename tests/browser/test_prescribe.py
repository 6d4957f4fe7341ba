"""A clinician's path through patients and plans, in Chromium."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from b12clinic.demo import DEMO_PASSWORD, demo_seed
from plans.models import Plan
from tests.browser.conftest import log_in


@pytest.fixture
def clinician_page(page):
    demo_seed()
    log_in(page, "clinician", DEMO_PASSWORD)
    return page


def add_patient(page, given: str, family: str, record: str, born: str) -> None:
    """Through the patient list's New patient form, as a clinician does."""
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Hospital/record number").fill(record)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_role("button", name="Add patient").click()


def test_clinician_prescribes_neurological_regimen_then_ends_loading_at_review(clinician_page):
    page = clinician_page
    page.get_by_role("link", name="Patients").click()
    expect(page.get_by_test_id("patient-table")).to_contain_text("HUGHES, Margaret")

    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Given name").fill("Oliver")
    page.get_by_label("Family name").fill("Grant")
    page.get_by_label("Hospital/record number").fill("RV-2001")
    page.get_by_label("Date of birth").fill("1971-08-09")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oliver Grant")

    page.get_by_role("link", name="Prescribe").click()
    page.get_by_label("Start from a regimen template").select_option("uk_neurological")
    page.get_by_role("button", name="Use template").click()
    expect(page.locator("#id_dose")).to_have_value("1 mg")
    page.get_by_role("button", name="Preview dates").click()
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("loading 1")

    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_test_id("loading-review")).to_contain_text("alternate days until review")
    timeline = page.get_by_test_id("dose-timeline")
    today = timezone.localdate()
    expect(timeline).to_contain_text(f"{today:%a} {today.day} {today:%b %Y}")
    expect(timeline).not_to_contain_text("maintenance")

    page.get_by_role("link", name=re.compile("End loading, start maintenance")).click()
    start = today + timedelta(days=61)
    page.get_by_label("Start maintenance on").fill(start.isoformat())
    page.get_by_role("button", name="End loading, start maintenance").click()

    expect(page.get_by_text("Loading ended; maintenance doses are scheduled.")).to_be_visible()
    expect(timeline).to_contain_text("maintenance 1")
    plan = Plan.objects.get(patient__record_number="RV-2001")
    first = plan.doses.filter(phase__kind="maintenance").order_by("due_date").first()
    expect(timeline).to_contain_text(
        f"{first.due_date:%a} {first.due_date.day} {first.due_date:%b %Y}"
    )
    expect(page.get_by_test_id("history")).to_contain_text("Version 2")
    expect(page.get_by_test_id("history")).to_contain_text("Loading ended at review")


def test_a_dose_typed_as_1000_mg_is_refused_on_the_dose_field(clinician_page):
    page = clinician_page
    add_patient(page, "Ada", "Lowe", "RV-2002", "1990-02-03")
    page.get_by_role("link", name="Prescribe").click()

    page.locator("#id_dose").fill("1000 mg")
    page.get_by_role("button", name="Save plan").click()

    dose_error = page.locator("#id_dose").locator("xpath=..").locator(".invalid-feedback")
    expect(dose_error).to_contain_text("probable unit error")
    expect(dose_error).to_contain_text("Did you mean 1000 mcg?")
    assert not Plan.objects.filter(patient__record_number="RV-2002").exists()


def test_clinician_amends_and_stops_a_plan_and_sees_the_history(clinician_page):
    page = clinician_page
    page.get_by_role("link", name="Patients").click()
    page.get_by_placeholder(re.compile("Name, record number")).fill("Price")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="PRICE, Daniel").click()
    page.get_by_role("link", name=re.compile("Hydroxocobalamin 1 mg IM")).click()

    page.get_by_role("link", name="Amend").click()
    page.locator("#id_phases-1-every").fill("2")
    page.get_by_label("Reason for the change").fill("Symptoms return before 3 months")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_text("Version 2 of the plan was saved.")).to_be_visible()
    expect(page.get_by_test_id("phase-list")).to_contain_text("every 2 months for life")
    expect(page.get_by_test_id("history")).to_contain_text("every 3 months for life")

    page.get_by_role("link", name="Stop or complete").click()
    page.get_by_label("Reason").fill("Moved to another practice")
    page.get_by_role("button", name="End plan").click()
    expect(page.get_by_text("Stopped on")).to_be_visible()
    expect(page.get_by_test_id("dose-timeline")).not_to_contain_text("due")


def test_clinician_edits_a_patient_and_a_bad_birth_date_is_shown_on_its_field(clinician_page):
    page = clinician_page
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="BELLO, Aisha").click()
    page.get_by_role("link", name="Edit details").click()

    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#id_date_of_birth").locator("xpath=..")).to_contain_text(
        "The date of birth is in the future."
    )

    page.get_by_label("Date of birth").fill("1985-01-30")
    page.get_by_label("Mobile number").fill("07400 123456")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The patient's details were saved.")).to_be_visible()
    expect(page.get_by_text("07400 123456")).to_be_visible()
    expect(page.get_by_text("Cobalt/B12 sensitivity").first).to_be_visible()


def test_the_dose_is_echoed_as_read_while_typing_and_an_unclear_one_is_asked_about(
    clinician_page,
):
    page = clinician_page
    add_patient(page, "Ines", "Marlow", "RV-2003", "1984-06-07")
    page.get_by_role("link", name="Prescribe").click()
    echo = page.get_by_test_id("dose-echo")

    page.locator("#id_dose").fill("1,000 micrograms")
    expect(echo).to_have_text("= 1,000 micrograms = 1 mL of 1 mg/mL")
    page.locator("#id_dose").fill("1.000 mg")
    expect(echo).to_contain_text("Did you mean 1 mg or 1000 mg?")
    expect(echo).to_have_class(re.compile("text-danger"))

    page.get_by_text("Override reasons").click()
    page.get_by_label("Reason for a dose above the usual maximum").fill("Specialist advice")
    page.get_by_role("button", name="Save plan").click()
    dose_error = page.locator("#id_dose").locator("xpath=..").locator(".invalid-feedback")
    expect(dose_error).to_contain_text("is not clear")
    expect(page.get_by_test_id("dose-echo")).to_have_text("")


def test_staff_of_two_clinics_choose_the_clinic_for_a_new_patient(clinician_page):
    from django.contrib.auth.models import User

    from b12clinic.core.models import Clinic, Patient

    second = Clinic.objects.create(name="Hillside Annexe", open_weekdays="01234")
    second.staff.add(User.objects.get(username="clinician"))
    page = clinician_page
    add_patient(page, "Ruth", "Okoro", "HA-1", "1960-04-05")
    expect(
        page.locator("#id_clinic").locator("xpath=..").locator(".invalid-feedback")
    ).to_be_visible()

    page.get_by_label("Clinic").select_option(label="Hillside Annexe")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ruth Okoro")
    assert Patient.objects.get(record_number="HA-1").clinic == second


def test_the_dashboard_says_what_an_overdue_recheck_waits_for(clinician_page):
    page = clinician_page
    page.goto("/dashboard/")
    waiting = page.get_by_test_id("overdue-rechecks")
    expect(waiting).to_contain_text("waiting for: serum folate, ferritin and intrinsic factor")
    # George Mills, a year into maintenance: his first-course rechecks have lapsed.
    expect(waiting).not_to_contain_text("MILLS, George")
