"""Every page, as the role that uses it, at a phone (390 px), a tablet (820 px) and a desk
(1366 px): no sideways scroll, its main action on screen, and no serious or critical finding
by axe-core (the engine behind most accessibility audits, installed from npm). The browser
context bypasses the Content-Security-Policy so axe's script can be injected; the app's own
pages keep it."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser

from b12clinic.core.models import Patient
from b12clinic.demo import DEMO_PASSWORD, demo_seed
from monitoring.models import Alert, LabResult, Recheck
from monitoring.reminders.optout import opt_out_token
from monitoring.services.checkins import checkin_link_token
from plans.models import Administration, Dose, StockBatch
from plans.sharing import share_link_create
from tests.browser.conftest import log_in
from tests.conftest import on_ci

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 820, 1366)
SERIOUS = """axe.run(document, {resultTypes: ['violations']}).then(result =>
  result.violations
    .filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))"""


def pages() -> dict[str | None, list[tuple[str, str]]]:
    """(url, the main action's accessible name, or the words a page with nothing to do shows)
    for each role; the demo data gives the ids."""
    patient = Patient.objects.get(record_number="RV-1002")
    plan = patient.plans.get(status="active")
    dose = Dose.objects.filter(plan=plan, status="due").order_by("due_date").first()
    given = Administration.objects.filter(dose__plan=plan, replaced_by__isnull=True).first()
    result = LabResult.objects.filter(patient=patient).first()
    recheck = Recheck.objects.filter(patient=patient, status="pending").first()
    alert = Alert.objects.filter(acknowledged_at__isnull=True).first()
    stock = StockBatch.objects.filter(withdrawn_at__isnull=True).first()
    assert dose and given and result and recheck and alert and stock, (
        "the demo has each kind of record"
    )
    clinician = plan.current.prescriber
    link = share_link_create(plan=plan, by=clinician, now=timezone.now())
    return {
        "clinician": [
            ("/dashboard/", "Acknowledge"),
            ("/patients/", "New patient"),
            (f"/patients/{patient.pk}/", "Results and response"),
            (f"/patients/{patient.pk}/edit/", "Save"),
            ("/patients/new/", "Add patient"),
            (f"/patients/{patient.pk}/plans/new/", "Save plan"),
            (f"/plans/{plan.pk}/", "Give"),
            (f"/plans/{plan.pk}/amend/", "Save"),
            (f"/plans/{plan.pk}/stop/", "End plan"),
            (f"/patients/{patient.pk}/labs/", "Enter results"),
            (f"/patients/{patient.pk}/labs/new/", "Save"),
            (f"/patients/{patient.pk}/checkins/new/", "Save"),
            (f"/results/{result.pk}/void/", "Mark"),
            (f"/rechecks/{recheck.pk}/cancel/", "Not needed"),
            (f"/alerts/{alert.pk}/acknowledge/", "Acknowledge"),
            ("/reminders/failed/", "No failed reminders."),
            (f"/recall/?batch={given.batch}", "Send the recall"),
            ("/lab-messages/", "Upload a file of messages"),
            ("/lab-messages/upload/", "Read the file"),
            ("/accounts/otp/setup/", "Show my setup code"),
        ],
        "nurse": [
            ("/today/", "Give"),
            (f"/doses/{dose.pk}/give/", "Save: given"),
            (f"/doses/{dose.pk}/not-given/", "Save: not given"),
            (f"/doses/{dose.pk}/given-outside/", "Save"),
            (f"/administrations/{given.pk}/correct/", "Save"),
            (f"/administrations/{given.pk}/void/", "Void"),
            ("/stock/", "Add a batch"),
            (f"/stock/{stock.pk}/withdraw/", "Take out of stock"),
        ],
        "patient": [("/me/", "Download"), ("/me/checkin/", "Send")],
        "admin": [("/audit/", "Filter"), ("/stock/new/", "Add to stock")],
        None: [
            ("/accounts/login/", "Sign in"),
            (f"/s/{link.token}/", "Download"),
            (f"/checkin/{checkin_link_token(patient, dose)}/", "Send"),
            (f"/reminders/stop/{opt_out_token(patient, 'email')}/", "Stop email reminders"),
        ],
    }


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        message = "axe-core is not installed: `npm ci` installs it (Node.js 20)."
        if on_ci():
            pytest.fail(message + " CI must check every page with it.")
        pytest.skip(message)
    return AXE.read_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_shows_its_action_and_passes_axe(
    browser: Browser, live_server, axe_script, width
):
    demo_seed()
    found: list[str] = []
    for role, urls in pages().items():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        if role:
            log_in(page, role, DEMO_PASSWORD)
            page.wait_for_url(lambda address: "/accounts/login/" not in address)
        for url, action in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, (role, url)
            wide, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if wide > inner:
                found.append(f"{width}px {url}: {wide} px wide")
            # The action's button or link, or on a page with nothing to do, what it says.
            main = (
                page.get_by_role("button", name=action)
                .or_(page.get_by_role("link", name=action))
                .or_(page.get_by_text(action, exact=True))
            )
            if not main.first.is_visible():
                found.append(f"{width}px {url}: “{action}” is not on screen")
            page.add_script_tag(content=axe_script)
            for problem in page.evaluate(SERIOUS):
                found.append(f"{width}px {url}: {problem}")
        context.close()
    assert found == []


def test_the_patient_list_on_a_phone_shows_plan_and_next_injection(browser: Browser, live_server):
    demo_seed()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 900})
    page = context.new_page()
    log_in(page, "nurse", DEMO_PASSWORD)
    page.goto("/patients/?q=Clarke")
    row = page.get_by_test_id("patient-table").locator("tbody tr").first
    overdue = row.get_by_text("overdue")
    for shown in (row.get_by_text("Next:"), row.get_by_text("Plan:"), overdue):
        box = shown.bounding_box()
        assert shown.is_visible() and box is not None and box["x"] + box["width"] <= 390
    search = page.get_by_role("searchbox", name="Search")
    assert "form-control" in (search.get_attribute("class") or "")
    context.close()
