"""The calendar subscription in Chromium: the patient subscribes on /me/, a calendar app (a
client with no session) reads the address, the clinician ends the plan, and the next read
brings the cancellations, as Mozilla's ical.js reads them."""

from datetime import datetime

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from b12clinic.demo import DEMO_PASSWORD, demo_seed
from tests.browser.conftest import log_in
from tests.monitoring.test_calendar_readers import ical_js_events


def test_subscribe_change_the_plan_and_read_again(page: Page, browser: Browser, live_server):
    demo_seed()
    log_in(page, "patient", DEMO_PASSWORD)
    page.get_by_test_id("calendar-feed-new").click()
    expect(page.get_by_test_id("calendar-feed-qr").locator("svg")).to_be_visible()
    url = page.get_by_test_id("calendar-feed-url").input_value()
    webcal = page.get_by_test_id("calendar-feed-subscribe").get_attribute("href")
    assert webcal == "webcal://" + url.split("://", 1)[1] and "/cal/" in url

    app = browser.new_context()  # the calendar app: no cookies, only the address
    first = app.request.get(url)
    assert first.status == 200 and first.headers["content-type"].startswith("text/calendar")
    before = {e["uid"]: e for e in ical_js_events(first.body())}
    now = timezone.now()  # the suite's travelled clock
    coming = [
        uid
        for uid, e in before.items()
        if e["status"] == "CONFIRMED"
        and datetime.fromisoformat(e["start"].replace("Z", "+00:00")) > now
    ]
    assert coming

    page.get_by_role("link", name="Back").click()
    expect(page.get_by_test_id("calendar-feed-state")).to_contain_text("Last read")

    staff = browser.new_context(base_url=live_server.url)
    clinician = staff.new_page()
    log_in(clinician, "clinician", DEMO_PASSWORD)
    clinician.get_by_role("link", name="Patients").click()
    clinician.get_by_role("link", name="HUGHES, Margaret").click()
    clinician.locator("a[href^='/plans/']").first.click()
    expect(clinician.get_by_test_id("calendar-feed-state")).to_be_visible()
    clinician.get_by_role("link", name="Stop or complete").click()
    clinician.get_by_label("Reason").fill("Moved to another practice")
    clinician.get_by_role("button", name="End plan").click()

    after = {e["uid"]: e for e in ical_js_events(app.request.get(url).body())}
    assert all(after[uid]["status"] == "CANCELLED" for uid in coming)
    app.close()
    staff.close()
