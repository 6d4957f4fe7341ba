"""The written schedule in Chromium: the patient's page and downloads, and a share link."""

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from b12clinic.demo import DEMO_PASSWORD, demo_seed
from tests.browser.conftest import log_in


def download(page: Page, test_id: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    return Path(info.value.path()).read_bytes()


def test_patient_sees_the_next_injection_and_downloads_both_files(page: Page):
    demo_seed()
    log_in(page, "patient", DEMO_PASSWORD)
    expect(page.get_by_test_id("next-injection")).to_contain_text("Next injection:")
    expect(page.get_by_test_id("upcoming")).to_be_visible()

    pdf = download(page, "me-pdf")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    ics = download(page, "me-ics")
    assert ics.startswith(b"BEGIN:VCALENDAR") and b"BEGIN:VEVENT" in ics

    for path, kind in (
        ("/me/schedule.pdf", "application/pdf"),
        ("/me/schedule.ics", "text/calendar"),
    ):
        response = page.request.get(path)
        assert response.status == 200
        assert response.headers["content-type"].startswith(kind)


def test_a_share_link_works_until_it_is_revoked(page: Page, browser: Browser, live_server):
    demo_seed()
    log_in(page, "clinician", DEMO_PASSWORD)
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="PRICE, Daniel").click()
    page.locator("a[href^='/plans/']").first.click()
    page.get_by_role("button", name="Make a share link").click()
    url = page.get_by_test_id("share-url").input_value()
    assert "/s/" in url
    expect(page.get_by_test_id("share-qr").locator("svg")).to_be_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("share-copy").click()
    expect(page.get_by_test_id("share-copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url

    visitor = browser.new_context(base_url=live_server.url)
    other = visitor.new_page()
    other.goto(url)
    expect(other.get_by_test_id("next-injection")).to_be_visible()
    pdf = download(other, "download-pdf")
    assert pdf.startswith(b"%PDF")
    ics = download(other, "download-ics")
    assert ics.startswith(b"BEGIN:VCALENDAR")

    page.get_by_role("link", name="Back to the plan").click()
    links = page.get_by_test_id("share-links")
    expect(links.locator("tr[data-state=active]")).to_contain_text("3")  # page, PDF, calendar
    links.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("The link was revoked")).to_be_visible()

    other.goto(url)
    expect(other.get_by_test_id("share-invalid")).to_contain_text("This link is no longer valid")
    expect(other.get_by_test_id("share-invalid")).to_contain_text("01632 960 000")
    visitor.close()
