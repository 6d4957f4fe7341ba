"""Symptoms from home in Chromium: the patient opens the link in their injection reminder (no
sign-in), says their numbness is worse, is told the clinic will call today, and the clinician
sees an urgent alert on the dashboard."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.reminders.delivery import reminders_deliver
from tests.browser.conftest import log_in
from tests.reminders.conftest import inbox, smtp_settings

__all__ = ["inbox", "smtp_settings"]


def test_worse_numbness_from_the_email_link_is_urgent_on_the_dashboard(
    page: Page, browser: Browser, live_server, smtp_settings
):
    demo_seed()
    reminders_deliver(now=lambda: timezone.now() + timedelta(days=400), budget_seconds=30)
    message = next(
        m
        for m in smtp_settings.messages
        if m["To"] == "margaret.hughes@example.org" and "injection" in m["Subject"].lower()
    )
    text = message.get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/checkin/\S+/", text).group(0)
    path = "/" + link.split("/", 3)[3]

    visitor = browser.new_context(base_url=live_server.url)  # the patient's phone: no session
    phone = visitor.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(path)
    expect(phone.get_by_role("heading", name="How are you, Margaret?")).to_be_visible()
    for symptom in ("fatigue", "weakness", "balance", "vision", "memory"):
        phone.locator(f"[data-symptom={symptom}]").get_by_text("The same").click()
    phone.locator("[data-symptom=numbness]").get_by_text("Worse").click()
    phone.get_by_role("button", name="Send to my clinic").click()
    expect(phone.get_by_test_id("what-next")).to_contain_text("will call you today")
    expect(phone.get_by_test_id("what-next")).to_contain_text("01632 960 000")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    visitor.close()

    log_in(page, "clinician", DEMO_PASSWORD)
    urgent = page.get_by_test_id("alert").filter(has_text="HUGHES, Margaret")
    expect(urgent.first).to_contain_text("Urgent")


def test_the_patient_tells_the_clinic_from_their_page(page: Page):
    demo_seed()
    log_in(page, "patient", DEMO_PASSWORD)
    page.get_by_test_id("me-checkin").click()
    for symptom in ("fatigue", "numbness", "weakness", "balance", "vision", "memory"):
        page.locator(f"[data-symptom={symptom}]").get_by_text("Better").click()
    page.get_by_role("button", name="Send to my clinic").click()
    expect(page.get_by_test_id("what-next")).to_contain_text("Your answers are with your clinic")
    page.get_by_role("link", name="Back to my schedule").click()
    expect(page.get_by_test_id("next-injection")).to_be_visible()


def test_a_damaged_link_says_so(page: Page):
    from django.core import signing

    from monitoring.services.checkins import CHECKIN_LINK_SALT

    demo_seed()
    with_a_bad_signature = signing.dumps({"p": "x", "d": "y"}, salt=CHECKIN_LINK_SALT) + "x"
    page.goto(f"/checkin/{with_a_bad_signature}/")
    expect(page.get_by_test_id("checkin-invalid")).to_contain_text("copied incompletely")
