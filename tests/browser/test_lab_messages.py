"""Laboratory messages in Chromium: a clinician uploads a file of results, finds one held for
review, and files it for the right patient; at a desk and on a phone."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from b12clinic.core.models import Patient
from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.models import LabResult
from tests.browser.conftest import log_in


def message(control_id: str, patient: Patient, *, born: str) -> str:
    day = timezone.localdate().strftime("%Y%m%d")
    return "\r".join(
        [
            f"MSH|^~\\&|LABSYS|CITYLAB|B12CLINIC|RIVERSIDE|{day}0900||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
            f"PID|1||{patient.record_number}^^^RIVERSIDE^MR||{patient.family_name}^{patient.given_name}||{born}",
            f"OBR|1||{control_id}|FBC^Full blood count^L|||{day}0830",
            "OBX|1|NM|718-7^Hemoglobin^LN||118|g/L|130-170|L|||F",
            "OBX|2|NM|787-2^MCV^LN||96|fL|80-100|N|||F",
        ]
    )


@pytest.mark.parametrize("width", [390, 1366])
def test_a_clinician_uploads_results_and_files_the_held_one(page: Page, tmp_path, width):
    demo_seed()
    patient = Patient.objects.get(record_number="RV-1002")
    before = LabResult.objects.filter(patient=patient).count()
    good = message("UP-1", patient, born=f"{patient.date_of_birth:%Y%m%d}")
    wrong_birthday = message("UP-2", patient, born="19000101")
    upload = tmp_path / "results.hl7"
    upload.write_text(good + "\n" + wrong_birthday)

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "clinician", DEMO_PASSWORD)
    if width < 768:
        page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Lab messages").click()
    page.get_by_role("link", name="Upload a file of messages").click()
    page.get_by_label("File of HL7 v2 messages").set_input_files(str(upload))
    page.get_by_role("button", name="Read the file").click()
    outcomes = page.get_by_test_id("upload-outcome")
    expect(outcomes).to_have_count(2)
    expect(outcomes.nth(0)).to_contain_text("Filed")
    expect(outcomes.nth(1)).to_contain_text("Held for review")
    assert LabResult.objects.filter(patient=patient).count() == before + 2

    page.get_by_role("link", name="Back to laboratory messages").click()
    held = page.get_by_test_id("held-message").filter(has_text="UP-2")
    expect(held.get_by_test_id("held-why")).to_contain_text("date of birth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    held.get_by_label("Record number of the patient it is for").fill(patient.record_number)
    held.get_by_role("button", name="File for this patient").click()
    expect(page.get_by_text(f"2 results filed for {patient.full_name}")).to_be_visible()
    expect(page.get_by_test_id("none-held")).to_be_visible()
    assert LabResult.objects.filter(patient=patient).count() == before + 4
