"""Recall by batch in Chromium, at a desk and on a phone, and the chart's FHIR download."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.models import BatchRecall
from plans.models import Administration
from tests.browser.conftest import log_in


@pytest.mark.parametrize("width", [390, 1366])
def test_a_clinician_finds_who_had_a_batch_and_sends_the_recall(page: Page, width):
    demo_seed()
    batch = Administration.objects.exclude(batch="").values_list("batch", flat=True).first()
    patients = (
        Administration.objects.filter(batch=batch, is_void=False, replaced_by__isnull=True)
        .values("dose__plan__patient")
        .distinct()
        .count()
    )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "clinician", DEMO_PASSWORD)
    if width < 768:
        page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Recall").click()
    page.get_by_label("Batch/lot").fill(batch.lower())
    page.get_by_role("button", name="Find patients").click()
    expect(page.get_by_test_id("recall-count")).to_contain_text(f"{patients} patient")
    expect(page.get_by_test_id("recall-row")).to_have_count(patients)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    send = page.get_by_role("button", name="Send the recall")
    send.scroll_into_view_if_needed()
    expect(send).to_be_visible()
    send.click()
    expect(page.get_by_text(f"sent to {patients} patients")).to_be_visible()
    # Back to the same search, with neither the CSRF token nor the message in the address.
    assert "batch=" in page.url
    assert "csrfmiddlewaretoken" not in page.url and "message=" not in page.url
    recall = BatchRecall.objects.get()
    assert (recall.batch.lower(), recall.patients) == (batch.lower(), patients)
    expect(page.get_by_test_id("recalls-sent")).to_contain_text(recall.batch)


def test_the_chart_downloads_the_record_as_fhir(page: Page):
    demo_seed()
    log_in(page, "clinician", DEMO_PASSWORD)
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="PRICE, Daniel").click()
    with page.expect_download() as waiting:
        page.get_by_test_id("fhir-link").click()
    download = waiting.value
    assert download.suggested_filename == "RV-1002-fhir.json"
    bundle = json.loads(Path(download.path()).read_text())
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "searchset")
    assert bundle["entry"][0]["resource"]["name"][0]["family"] == "Price"
