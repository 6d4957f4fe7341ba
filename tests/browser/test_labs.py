"""Results, the response assessment, check-ins and rechecks in Chromium."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from b12clinic.core.models import Patient
from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.models import Alert, LabResult
from tests.browser.conftest import log_in


@pytest.fixture
def demo(page: Page) -> Page:
    demo_seed()
    return page


def open_patient(page: Page, name: str) -> None:
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name=name).click()


def test_clinician_sees_why_a_patient_is_not_responding_and_enters_results(demo, live_server):
    page = demo
    log_in(page, "clinician", DEMO_PASSWORD)
    expect(page.get_by_test_id("alerts")).to_contain_text("Not responding as expected")
    open_patient(page, "CLARKE, Edward")
    page.get_by_test_id("results-link").click()

    haem = page.get_by_test_id("haematological")
    expect(haem).to_contain_text("Inadequate response")
    expect(haem).to_contain_text("Reticulocytes did not rise: 0.9 % at baseline")
    questions = page.get_by_test_id("questions")
    expect(questions).to_contain_text("Was adherence complete?")
    expect(questions).to_contain_text("folate is low")
    expect(questions).to_contain_text("ferritin is low")
    expect(page.locator("[data-testid=series][data-test=hb] svg")).to_be_visible()

    page.get_by_test_id("enter-results").click()
    page.get_by_label("Haemoglobin", exact=True).fill("1400")
    page.get_by_role("button", name="Save results").click()
    expect(page.get_by_test_id("error-hb")).to_contain_text(
        "outside 30–250 g/L; was this entered in the wrong unit?"
    )
    expect(page.get_by_test_id("form-errors")).to_contain_text("Nothing was saved")

    page.get_by_label("Haemoglobin", exact=True).fill("11.8")
    page.get_by_label("Haemoglobin unit").select_option("g/dL")
    page.get_by_label("Serum folate", exact=True).fill("9.1")
    page.get_by_role("button", name="Save results").click()
    expect(page.get_by_text("2 results saved.")).to_be_visible()
    hb = page.locator("[data-testid=series][data-test=hb]")
    expect(hb.get_by_test_id("result-row").first).to_contain_text("11.8 g/dL")
    expect(hb.get_by_test_id("result-row").first).to_contain_text("118 g/L")
    patient = Patient.objects.get(record_number="RV-1006")
    assert LabResult.objects.filter(patient=patient, test__code="hb").count() == 3

    hb.get_by_test_id("result-row").first.get_by_role("link", name="entered in error?").click()
    page.get_by_label("Why is this result wrong?").fill("Another patient's sample")
    page.get_by_role("button", name="Mark entered in error").click()
    expect(page.get_by_text("marked as entered in error")).to_be_visible()
    expect(hb.get_by_test_id("result-row").first).not_to_contain_text("11.8 g/dL")
    page.get_by_text("Every entry, with corrections").click()
    expect(page.get_by_test_id("history")).to_contain_text("Another patient's sample")
    assert LabResult.objects.filter(patient=patient, test__code="hb").count() == 4


def test_nurse_records_worse_numbness_from_the_day_list_and_the_clinician_is_alerted(
    demo, browser, live_server
):
    page = demo
    log_in(page, "nurse", DEMO_PASSWORD)
    row = page.get_by_test_id("due-list").get_by_test_id("day-row").filter(has_text="SHAH, Priya")
    row.get_by_role("link", name="Symptoms").click()
    for symptom in (
        "Tiredness",
        "Weakness",
        "Balance or walking",
        "Vision",
        "Memory or concentration",
    ):
        page.get_by_label(f"{symptom}: None").check()
    page.get_by_label("Numbness or tingling: Worse").check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_text("Symptom check-in saved.")).to_be_visible()
    expect(page.get_by_test_id("day-heading")).to_contain_text("Today")
    assert Alert.objects.filter(kind="neuro_worse", patient__record_number="RV-1003").exists()

    context = browser.new_context(base_url=live_server.url)
    clinician = context.new_page()
    log_in(clinician, "clinician", DEMO_PASSWORD)
    alert = clinician.get_by_test_id("alert").filter(has_text="SHAH, Priya")
    expect(alert).to_contain_text("Nerve symptoms worse: numbness or tingling")
    expect(alert).to_contain_text("Urgent")
    context.close()


def test_clinician_marks_a_recheck_not_needed_and_adds_a_serum_b12(demo):
    page = demo
    log_in(page, "clinician", DEMO_PASSWORD)
    open_patient(page, "SHAH, Priya")
    page.locator("a[href^='/plans/']").first.click()
    rechecks = page.get_by_test_id("plan-rechecks")
    expect(rechecks.locator("tr[data-kind=retics_day7]")).to_contain_text("done")
    yearly = rechecks.locator("tr[data-kind=fbc_yearly]")
    yearly.get_by_role("link", name="Not needed…").click()
    page.get_by_label("Why is it not needed?").fill("Reviewed by neurology instead")
    page.get_by_role("button", name="Mark not needed").click()
    expect(page.get_by_text("marked not needed")).to_be_visible()
    expect(yearly).to_contain_text("Reviewed by neurology instead")
    page.get_by_label("Add a recheck").select_option(label="Serum B12 recheck")
    page.get_by_label("Due on").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Serum B12 recheck planned for")).to_be_visible()
    expect(rechecks.locator("tr[data-kind=serum_b12]")).to_contain_text(
        "advises against retesting serum B12 routinely"
    )
