"""The clinic floor's journeys in Chromium: a nurse on a phone giving from stock and correcting
it, a clinician reading a chart's summary, a clinic admin adding a batch, and the give form by
keyboard alone."""

import re
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from b12clinic.core.models import AuditEvent, Patient, Product
from b12clinic.demo import DEMO_BATCH, DEMO_PASSWORD, demo_seed
from monitoring.models import Alert
from monitoring.reminders.planning import reminders_sync_all
from plans.models import Administration, Dose, StockBatch
from tests.browser.conftest import log_in

PHONE = {"width": 390, "height": 844}


def clarke_days_overdue() -> int:
    """15 on most days; the demo counts his stage back in months, so 17 on 29 Feb 2028."""
    clarke = Patient.objects.get(record_number="RV-1006")
    missed = Dose.objects.filter(plan__patient=clarke, status="due").order_by("due_date").first()
    assert missed is not None
    return (timezone.localdate(timezone=clarke.clinic.zone) - missed.due_date).days


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, has_touch=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def fits(page: Page) -> None:
    page.wait_for_load_state("load")  # measured before the stylesheet applies, a page is wider
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways at {width[1]} px: {width[0]}"


def test_a_nurse_on_a_phone_gives_an_overdue_dose_from_stock_and_corrects_it(phone: Page):
    demo_seed()
    page = phone
    log_in(page, "nurse", DEMO_PASSWORD)
    expect(page.get_by_test_id("day-heading")).to_contain_text("Today")
    fits(page)
    clarke = page.get_by_test_id("overdue-list").get_by_test_id("day-row").filter(has_text="CLARKE")
    expect(clarke).to_contain_text(f"{clarke_days_overdue()} days overdue")
    clarke.get_by_role("link", name="Give", exact=True).click()

    expect(page.get_by_test_id("patient-name")).to_have_text("CLARKE, Edward")
    fits(page)
    used_last = page.get_by_label(re.compile(rf"{DEMO_BATCH} · expires .* · used last"))
    expect(used_last).to_be_checked()
    expect(page.get_by_label("Batch/lot number")).to_be_hidden()  # no retyping
    page.get_by_label("I confirmed the patient's full name").check()
    page.get_by_label("I checked the patient's allergies").check()
    save = page.get_by_role("button", name="Save: given")
    save.scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()
    save.tap()

    expect(
        page.get_by_text(re.compile(rf"Given to Edward Clarke \(.*batch {DEMO_BATCH}\)"))
    ).to_be_visible()
    stock = StockBatch.objects.get(batch=DEMO_BATCH)
    given = Administration.objects.filter(dose__plan__patient__record_number="RV-1006").latest(
        "recorded_at"
    )
    assert (given.batch, given.expiry) == (DEMO_BATCH, stock.expiry)

    # Wrong box: it came from the new delivery. Corrected from the day list.
    done = page.get_by_test_id("done-list").get_by_test_id("done-row").filter(has_text="CLARKE")
    done.get_by_test_id("correct-link").tap()
    expect(page.get_by_label("Reason for the correction")).to_be_visible()
    fits(page)
    page.get_by_label("Batch/lot number").fill("HX5602A")
    page.get_by_label("Expiry").fill(StockBatch.objects.get(batch="HX5602A").expiry.isoformat())
    page.get_by_label("Reason for the correction").fill("Took the ampoule from the new box")
    page.get_by_role("button", name="Save correction").tap()
    expect(page.get_by_text("The record was corrected; the original is kept.")).to_be_visible()
    expect(page.get_by_test_id("day-heading")).to_contain_text("Today")  # back on the list
    current = Administration.objects.get(replaces=given)
    assert (current.batch, current.reason) == ("HX5602A", "Took the ampoule from the new box")
    given.refresh_from_db()
    assert given.batch == DEMO_BATCH  # the original is kept
    fits(page)


def test_a_clinician_reads_clarkes_chart_summary_and_acknowledges_from_it(page: Page):
    demo_seed()
    reminders_sync_all()
    clarke = Patient.objects.get(record_number="RV-1006")
    log_in(page, "clinician", DEMO_PASSWORD)
    # The dashboard's figures lead to their lists.
    overdue = page.get_by_test_id("figure-overdue")
    expect(overdue).to_contain_text("overdue injections")
    overdue.click()
    expect(page.get_by_test_id("overdue-list")).to_contain_text("CLARKE, Edward")
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name=re.compile("CLARKE, Edward")).first.click()

    alerts = page.get_by_test_id("chart-alerts")
    expect(alerts.locator("[data-severity]")).to_have_count(2)
    expect(page.get_by_test_id("summary-injections")).to_contain_text("Overdue since")
    expect(page.get_by_test_id("summary-injections")).to_contain_text(
        f"({clarke_days_overdue()} days)"
    )
    expect(page.get_by_test_id("summary-injections")).to_contain_text("Overdue reminder planned")
    expect(page.get_by_test_id("summary-response")).to_contain_text("Inadequate response")
    expect(page.get_by_test_id("summary-rechecks")).to_contain_text("Symptom review at 3 months")
    expect(page.get_by_test_id("cause")).to_contain_text("Pernicious anaemia")
    expect(page.get_by_test_id("reminder-log")).to_contain_text(
        "Injection overdue (to the patient)"
    )

    alerts.get_by_role("link", name=re.compile("Acknowledge.*Not responding")).click()
    page.get_by_label("What was done").fill("Folate and iron started; recheck in 4 weeks")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("The alert was acknowledged.")).to_be_visible()
    expect(page.get_by_role("heading", name="Edward Clarke")).to_be_visible()  # back on the chart
    expect(page.get_by_test_id("chart-alerts").locator("[data-severity]")).to_have_count(1)
    assert Alert.objects.filter(patient=clarke, acknowledged_at__isnull=True).count() == 1


def test_a_clinic_admin_adds_a_batch_and_sees_it_flagged(page: Page):
    demo_seed()
    log_in(page, "admin", DEMO_PASSWORD)
    page.get_by_role("link", name="Stock of batches").click()  # from the admin's landing page
    expect(page.get_by_test_id("stock-row").filter(has_text="CY3391K")).to_contain_text("expired")
    page.get_by_role("link", name="Add a batch").click()
    page.get_by_label("Product").select_option(
        value=str(Product.objects.get(code="cyanocobalamin-1000mcg-ml").pk)
    )
    page.get_by_label("Batch/lot number").fill("cy4410 m")
    page.get_by_label("Expiry").fill("2020-01-01")
    page.get_by_label("Ampoules received").fill("30")
    page.get_by_role("button", name="Add to stock").click()
    expect(page.get_by_text(re.compile("This batch expired on 1 Jan 2020"))).to_be_visible()
    assert not StockBatch.objects.filter(batch="CY4410 M").exists()

    page.get_by_label("Expiry").fill("2099-06-30")
    page.get_by_role("button", name="Add to stock").click()
    expect(page.get_by_text("Batch CY4410 M of cyanocobalamin added to stock")).to_be_visible()
    row = page.get_by_test_id("stock-row").filter(has_text="CY4410 M")
    expect(row).to_contain_text("30 Jun 2099")
    expect(row).to_contain_text("30 ampoules")
    added = StockBatch.objects.get(batch="CY4410 M")
    assert added.added_by.username == "admin"
    assert AuditEvent.objects.filter(object_id=str(added.pk), action="create").exists()
    # The expired batch is taken out of stock, with why; it stays on record.
    expired = page.get_by_test_id("stock-row").filter(has_text="CY3391K")
    expired.get_by_role("link", name=re.compile("Take out of stock")).click()
    page.get_by_label("Why it is taken out of stock").fill("Expired; returned to pharmacy")
    page.get_by_role("button", name="Take out of stock").click()
    expect(page.get_by_text("Batch CY3391K was taken out of stock.")).to_be_visible()
    expect(page.get_by_test_id("stock-row").filter(has_text="CY3391K")).to_have_count(0)
    page.get_by_role("link", name="Show the batches taken out of stock too").click()
    expect(page.get_by_test_id("stock-row").filter(has_text="CY3391K")).to_contain_text(
        "Expired; returned to pharmacy"
    )
    page.get_by_role("link", name="Hide the batches taken out of stock").click()
    row = page.get_by_test_id("stock-row").filter(has_text="CY4410 M")
    # The recall by batch is a click away.
    row.get_by_role("link", name=re.compile("Recall")).click()
    expect(page.get_by_label("Batch/lot")).to_have_value("CY4410 M")


def tab_to(page: Page, css: str, limit: int = 80) -> None:
    """Tab until the focus is on `css`: reachable by keyboard alone, in order."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({css!r})"):
            return
    raise AssertionError(f"{css} was not reached by Tab")


def test_the_give_form_by_keyboard_alone(page: Page):
    demo_seed()
    priya = Patient.objects.get(record_number="RV-1003")
    dose = Dose.objects.filter(plan__patient=priya, status="due").order_by("due_date").first()
    log_in(page, "nurse", DEMO_PASSWORD)
    page.goto(f"/doses/{dose.pk}/give/")
    tab_to(page, "input[name=identity_confirmed]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=allergies_checked]")
    page.keyboard.press("Space")
    # The batch group: arrow keys move the choice, as in any radio group.
    tab_to(page, "input[name=stock_batch]:checked")
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label(re.compile("HX5602A"))).to_be_checked()
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Given to Priya Shah \(.*batch HX5602A\)"))).to_be_visible()
    assert Administration.objects.get(dose=dose).batch == "HX5602A"
