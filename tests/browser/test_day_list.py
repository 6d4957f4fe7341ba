"""The nurse's day in Chromium: the list, recording given and not given, corrections."""

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from b12clinic.core.models import Patient
from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.models import Alert
from plans.models import Administration, DoseNotGiven
from plans.services.prescriptions import plan_amend, prescription_from_version
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def nurse_page(page: Page) -> Page:
    demo_seed()
    log_in(page, "nurse", DEMO_PASSWORD)
    return page


def row(page: Page, list_id: str, name: str):
    return page.get_by_test_id(list_id).get_by_test_id("day-row").filter(has_text=name)


def test_nurse_gives_one_injection_and_marks_another_not_given(nurse_page):
    page = nurse_page
    expect(page.get_by_test_id("day-heading")).to_contain_text("Today")
    overdue = page.get_by_test_id("overdue-list")
    expect(overdue).to_contain_text("CLARKE, Edward")
    expect(overdue).to_contain_text("MILLS, George")
    expect(overdue).to_contain_text("BELLO, Aisha")
    expect(
        row(page, "overdue-list", "CLARKE, Edward").get_by_test_id("overdue-alert")
    ).to_contain_text("pernicious anaemia")
    priya = row(page, "due-list", "SHAH, Priya")
    expect(priya).to_contain_text("Last: Right deltoid")
    expect(priya.get_by_test_id("suggested-site")).to_have_text("Left deltoid")

    priya.get_by_role("link", name="Give", exact=True).click()
    expect(page.get_by_test_id("patient-name")).to_have_text("SHAH, Priya")
    expect(page.get_by_label("Left")).to_be_checked()
    expect(page.get_by_label("Deltoid (upper arm)")).to_be_checked()
    page.get_by_label("I confirmed the patient's full name").check()
    page.get_by_label("I checked the patient's allergies").check()
    page.get_by_label("Another batch: type it below").check()
    page.get_by_label("Batch/lot number").fill("HX5521C")
    page.get_by_label("Expiry").fill((timezone.localdate() + timedelta(days=300)).isoformat())
    page.get_by_role("button", name="Save: given").click()

    expect(
        page.get_by_text(re.compile(r"Given to Priya Shah \(left deltoid, batch HX5521C\)"))
    ).to_be_visible()
    expect(page.get_by_test_id("done-list")).to_contain_text("SHAH, Priya")
    expect(page.get_by_test_id("due-list")).to_have_count(0)

    row(page, "overdue-list", "BELLO, Aisha").get_by_role("link", name="Not given").click()
    page.get_by_label("Did not attend").check()
    page.get_by_role("button", name="Save: not given").click()

    expect(page.get_by_text(re.compile("A make-up loading dose is scheduled"))).to_be_visible()
    expect(page.get_by_test_id("overdue-list")).not_to_contain_text("BELLO, Aisha")
    done = page.get_by_test_id("done-list")
    expect(done.get_by_test_id("done-row").filter(has_text="BELLO, Aisha")).to_contain_text(
        "Did not attend"
    )
    assert Administration.objects.get(batch="HX5521C").side == "left"
    assert DoseNotGiven.objects.get().reason == "did_not_attend"


def test_expired_stock_is_refused_on_the_page(nurse_page):
    page = nurse_page
    row(page, "due-list", "SHAH, Priya").get_by_role("link", name="Give", exact=True).click()
    page.get_by_label("I confirmed the patient's full name").check()
    page.get_by_label("I checked the patient's allergies").check()
    page.get_by_label("Another batch: type it below").check()
    page.get_by_label("Batch/lot number").fill("OLD1")
    page.get_by_label("Expiry").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save: given").click()

    expect(page.get_by_text(re.compile("This stock expired on"))).to_be_visible()
    assert not Administration.objects.filter(batch="OLD1").exists()


def test_day_navigation_and_csv_export(nurse_page):
    page = nurse_page
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_role("link", name="Next day").click()
    expect(page.get_by_test_id("day-heading")).to_contain_text(f"{tomorrow:%A} {tomorrow.day}")
    page.get_by_role("link", name="Today").first.click()
    expect(page.get_by_test_id("day-heading")).to_contain_text("Today")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("section,due date,days overdue")
    assert "Clarke" in text and "Shah" in text


def test_given_elsewhere_then_corrected_then_voided_from_the_plan_page(nurse_page):
    page = nurse_page
    page.get_by_role("link", name="MILLS, George").first.click()
    page.get_by_role("link", name=re.compile("Hydroxocobalamin")).first.click()
    page.get_by_role("link", name="Given at home/elsewhere").click()
    page.get_by_label("Elsewhere").check()
    page.get_by_label("Given by").fill("Hilltop Surgery")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("The dose was recorded"))).to_be_visible()

    page.goto(f"/plans/{Patient.objects.get(record_number='RV-1004').plans.get().pk}/")
    records = page.get_by_test_id("records")
    expect(records.get_by_test_id("record").first).to_contain_text("Elsewhere")
    records.get_by_role("link", name="Correct…").first.click()
    page.get_by_label("Batch/lot number").fill("GP-778")
    page.get_by_label("Reason for the correction").fill("Batch given by the surgery")
    page.get_by_role("button", name="Save correction").click()
    expect(page.get_by_text("The record was corrected; the original is kept.")).to_be_visible()
    first = page.get_by_test_id("records").get_by_test_id("record").first
    expect(first).to_contain_text("batch GP-778")
    expect(first).to_contain_text("History (1 earlier version)")

    first.get_by_role("link", name="Correct…").click()
    page.get_by_role("link", name="Void this record…").click()
    page.get_by_label("Why this record is wrong").fill("It was the flu vaccine, not B12")
    page.get_by_role("button", name="Void the record").click()
    expect(page.get_by_text("The record was voided and the dose is due again.")).to_be_visible()
    expect(page.get_by_test_id("records").get_by_test_id("record").first).to_contain_text("Void")


def test_a_patient_records_a_dose_given_at_home(page, live_server):
    demo_seed()
    home_user = make_user("hana", "patient", first_name="Hana", last_name="Ito")
    george = Patient.objects.get(record_number="RV-1004")
    plan = george.plans.get()
    george.user = home_user
    george.save()
    plan_amend(
        plan=plan,
        by=plan.current.prescriber,
        prescription=replace(prescription_from_version(plan.current), self_administered=True),
        reason="Trained to self-inject",
        today=timezone.localdate(),
    )
    log_in(page, "hana", PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_have_text("My injection schedule")
    page.get_by_role("link", name="I gave this dose").click()
    page.get_by_label("Batch/lot number (if known)").fill("HX1")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text(re.compile("The dose was recorded"))).to_be_visible()
    record = Administration.objects.get(batch="HX1")
    assert (record.setting, record.given_by_name, record.recorded_by) == ("home", "Self", home_user)


def test_clinician_acknowledges_the_overdue_alert(page):
    demo_seed()
    log_in(page, "clinician", DEMO_PASSWORD)
    alerts = page.get_by_test_id("alert")
    shown = Alert.objects.filter(acknowledged_at=None).count()
    expect(alerts).to_have_count(shown)
    alert = alerts.filter(has_text="CLARKE, Edward").filter(has_text="Injection overdue by")
    alert.get_by_role("link", name="Acknowledge…").click()
    page.get_by_label("What was done").fill("Phoned; booked for tomorrow.")
    page.get_by_role("button", name="Acknowledge").click()

    expect(page.get_by_text("The alert was acknowledged.")).to_be_visible()
    expect(alerts).to_have_count(shown - 1)
    expect(alerts.filter(has_text="Injection overdue by")).to_have_count(0)
    overdue = Alert.objects.get(kind="overdue_injection")
    assert overdue.acknowledgement_note == "Phoned; booked for tomorrow."
