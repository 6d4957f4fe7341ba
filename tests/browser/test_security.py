"""Security pages in Chromium: the audit trail, the second factor, the lockout, and that no page
breaks its own Content-Security-Policy."""

from pathlib import Path

from django_otp.oath import totp
from playwright.sync_api import Page, expect

from b12clinic.core.models import Clinic
from b12clinic.demo import DEMO_PASSWORD, demo_seed
from tests.browser.conftest import log_in


def test_clinic_admin_filters_the_audit_trail(page: Page):
    demo_seed()
    log_in(page, "clinician", DEMO_PASSWORD)
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="SHAH, Priya").click()
    page.get_by_role("button", name="Sign out").click()

    log_in(page, "admin", DEMO_PASSWORD)
    page.goto("/audit/")
    rows = page.get_by_test_id("audit-row")
    expect(rows.first).to_be_visible()
    page.get_by_label("Patient (name or record number)").fill("RV-1003")
    page.get_by_label("User name").fill("clinician")
    page.get_by_role("button", name="Filter").click()
    expect(rows.filter(has_text="Chart opened")).to_have_count(1)
    expect(rows.first).to_contain_text("SHAH, Priya (RV-1003)")
    with page.expect_download() as info:
        page.get_by_test_id("audit-csv").click()
    assert "Chart opened" in Path(info.value.path()).read_text(encoding="utf-8")


def test_a_clinic_that_requires_it_gets_a_second_factor(page: Page):
    demo_seed()
    Clinic.objects.update(require_second_factor=True)
    log_in(page, "nurse", DEMO_PASSWORD)
    page.get_by_role("button", name="Show my setup code").click()
    expect(page.get_by_test_id("otp-qr")).to_be_visible()
    secret = bytes.fromhex(page.get_by_test_id("otp-secret").inner_text())
    page.get_by_label("6-digit code from your authenticator app").fill(f"{totp(secret):06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your authenticator app is set up.")).to_be_visible()
    expect(page.get_by_test_id("day-heading")).to_be_visible()

    # Next time: the password, then a code (the next time step: a code is used only once).
    page.get_by_role("button", name="Sign out").click()
    log_in(page, "nurse", DEMO_PASSWORD)
    expect(page.get_by_test_id("otp-form")).to_be_visible()
    page.get_by_label("6-digit code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    # After a wrong code django-otp refuses any code for a second (throttling).
    page.wait_for_timeout(2100)
    page.get_by_label("6-digit code from your authenticator app").fill(
        f"{totp(secret, t0=-30):06d}"
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("day-heading")).to_be_visible()


def test_repeated_wrong_passwords_pause_signing_in(page: Page):
    demo_seed()
    for _ in range(5):
        log_in(page, "clinician", "not the password")
    expect(page.get_by_test_id("locked-out")).to_contain_text("Too many failed attempts")
    log_in(page, "clinician", DEMO_PASSWORD)
    expect(page.get_by_test_id("locked-out")).to_be_visible()


def test_a_new_device_waits_after_many_failures_and_a_known_one_does_not(page: Page, settings):
    settings.SIGNIN_ACCOUNT_FREE_FAILURES = 2
    demo_seed()
    log_in(page, "nurse", DEMO_PASSWORD)  # this browser becomes a known device for "nurse"
    expect(page.get_by_test_id("day-heading")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    device = [c for c in page.context.cookies() if c["name"] == "b12_device"]
    assert device
    page.context.clear_cookies()  # ... and now it is a new one
    for _ in range(3):
        log_in(page, "nurse", "not the password")
    expect(page.get_by_test_id("signin-wait")).to_contain_text("Try again in")
    expect(page.get_by_test_id("signin-wait")).not_to_contain_text("PT")

    page.context.add_cookies(device)  # back on the nurse's own tablet
    log_in(page, "nurse", DEMO_PASSWORD)
    expect(page.get_by_test_id("day-heading")).to_be_visible()


def test_pages_keep_their_content_security_policy(page: Page):
    demo_seed()
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    log_in(page, "clinician", DEMO_PASSWORD)
    for path in ("/dashboard/", "/patients/", "/today/", "/reminders/failed/"):
        page.goto(path)
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="CLARKE, Edward").click()
    page.get_by_test_id("results-link").click()
    page.get_by_test_id("enter-results").click()
    assert violations == []


def test_the_audit_trail_pages_older_and_newer_by_keyset(page: Page):
    from django.contrib.auth.models import User

    from b12clinic.core.audit import audit
    from b12clinic.core.models import Action

    demo_seed()
    clinic = Clinic.objects.get(name__contains="(demo)")
    writer = User.objects.create(username="page-writer")
    for n in range(130):
        audit(actor=writer, action=Action.VIEW, clinic=clinic, summary=f"Row {n:03d} of the test")
    log_in(page, "admin", DEMO_PASSWORD)
    page.goto("/audit/")
    page.get_by_label("User name").fill("page-writer")
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(100)
    expect(rows.first).to_contain_text("Row 129")
    expect(rows.last).to_contain_text("Row 030")
    expect(page.get_by_test_id("audit-newer")).to_have_count(0)

    page.get_by_test_id("audit-older").click()
    expect(rows).to_have_count(30)
    expect(rows.first).to_contain_text("Row 029")
    expect(rows.last).to_contain_text("Row 000")
    expect(page.get_by_test_id("audit-older")).to_have_count(0)
    assert "page-writer" in page.url  # the filter is kept from page to page

    page.get_by_test_id("audit-newer").click()
    expect(rows).to_have_count(100)
    expect(rows.first).to_contain_text("Row 129")
    expect(rows.last).to_contain_text("Row 030")
