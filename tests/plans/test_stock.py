"""Stock of batches: kept through the services (checked, audited, never deleted), offered by the
give form with the last-used batch picked, flagged on the stock page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from b12clinic.core.models import AuditEvent
from plans.models import Administration, StockBatch
from plans.stock.services import stock_batch_add, stock_batch_withdraw
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give, new_plan, open_doses
from tests.plans.test_day_list import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel():
    with time_machine.travel(at(TODAY, 9), tick=False):
        yield


def add(clinic, by, product, batch, *, expiry_days=300, received_days=-3, quantity=None):
    return stock_batch_add(
        clinic=clinic,
        by=by,
        product=product,
        batch=batch,
        expiry=TODAY + timedelta(days=expiry_days),
        received_on=TODAY + timedelta(days=received_days),
        quantity=quantity,
        now=at(TODAY, 8),
        today=TODAY,
    )


def errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


def give_form(**changes) -> dict[str, str]:
    return {
        "identity_confirmed": "on",
        "allergies_checked": "on",
        "site": "deltoid",
        "side": "left",
        "given_at": f"{TODAY.isoformat()}T09:00",
        "outcome": "none",
        **changes,
    }


def test_a_batch_is_added_as_printed_and_audited(clinic, nurse, hydroxo):
    stock = add(clinic, nurse, hydroxo, "  hx 5602a ", quantity=50)
    assert (stock.batch, stock.quantity, stock.withdrawn_at) == ("HX 5602A", 50, None)
    event = AuditEvent.objects.get(object_id=str(stock.pk))
    assert event.summary == "Batch HX 5602A of hydroxocobalamin added to stock"
    assert event.actor == nurse


def test_what_cannot_be_stock_is_refused_on_its_field_and_nothing_is_saved(
    clinic, nurse, hydroxo, outsider
):
    assert (
        "expired on"
        in errors(lambda: add(clinic, nurse, hydroxo, "OLD", expiry_days=-1))["expiry"][0]
    )
    assert (
        "after the date received"
        in errors(lambda: add(clinic, nurse, hydroxo, "X", expiry_days=0, received_days=0))[
            "expiry"
        ][0]
    )
    assert (
        "future"
        in errors(lambda: add(clinic, nurse, hydroxo, "X", received_days=2))["received_on"][0]
    )
    add(clinic, nurse, hydroxo, "HX1")
    assert errors(lambda: add(clinic, nurse, hydroxo, "hx1"))["batch"] == [
        "Batch HX1 of hydroxocobalamin is already in stock."
    ]
    with pytest.raises(Exception, match="do not keep"):
        add(clinic, outsider, hydroxo, "HX2")
    assert list(StockBatch.objects.values_list("batch", flat=True)) == ["HX1"]


def test_the_database_backs_the_rules(clinic, nurse, hydroxo):
    first = add(clinic, nurse, hydroxo, "HX1")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBatch.objects.create(
            clinic=clinic,
            product=hydroxo,
            batch="hx1",
            expiry=first.expiry,
            received_on=first.received_on,
            added_by=nurse,
            added_at=first.added_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBatch.objects.filter(pk=first.pk).update(withdrawn_at=at(TODAY))  # no reason


def test_taking_a_batch_out_keeps_it_with_why_and_frees_the_name(clinic, nurse, hydroxo):
    stock = add(clinic, nurse, hydroxo, "HX1")
    assert "reason" in errors(
        lambda: stock_batch_withdraw(stock=stock, by=nurse, reason=" ", now=at(TODAY, 9))
    )
    stock_batch_withdraw(stock=stock, by=nurse, reason="Damaged box", now=at(TODAY, 9))
    stock.refresh_from_db()
    assert (stock.withdrawn_by, stock.withdrawn_reason) == (nurse, "Damaged box")
    assert AuditEvent.objects.filter(object_id=str(stock.pk), reason="Damaged box").exists()
    add(clinic, nurse, hydroxo, "HX1")  # a new delivery of the same batch
    assert StockBatch.objects.filter(batch="HX1").count() == 2


def test_the_give_form_offers_in_date_stock_of_the_product_with_the_last_used_picked(
    client, clinic, other_clinic, clinician, nurse, outsider, hydroxo, cyano, travel
):
    old = add(clinic, nurse, hydroxo, "HXOLD", received_days=-200, expiry_days=40)
    add(clinic, nurse, hydroxo, "HXNEW", received_days=-1)
    add(clinic, nurse, cyano, "CY1")
    gone = add(clinic, nurse, hydroxo, "HXGONE")
    stock_batch_withdraw(stock=gone, by=nurse, reason="Recalled", now=at(TODAY, 8))
    with time_machine.travel(at(TODAY - timedelta(days=300), 9), tick=False):
        add(other_clinic, outsider, hydroxo, "THEIRS")
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_standard", start=TODAY)
    other = new_plan(
        make_patient(clinic, clinician, 2), clinician, "uk_standard", start=TODAY - timedelta(5)
    )
    give(open_doses(other)[0], nurse, batch="hxold", expiry=old.expiry)

    client.force_login(nurse)
    page = client.get(f"/doses/{open_doses(plan)[0].pk}/give/").content.decode()
    offered = [
        (re.search(r'value="([^"]+)"', tag)[1], " checked" in tag)
        for tag in re.findall(r"<input[^>]*name=\"stock_batch\"[^>]*>", page)
    ]
    labels = re.findall(r"(HX\w+|CY\w+|THEIRS) · expires", page)
    assert labels == ["HXNEW", "HXOLD"]  # most recently received first; in date, this product
    picked = [value for value, checked in offered if checked]
    assert picked == [str(old.pk)]  # the batch used last
    assert "HXOLD · expires" in page and "· used last" in page.split("HXOLD")[1][:60]
    assert offered[-1][0] == "other"

    response = client.post(
        f"/doses/{open_doses(plan)[0].pk}/give/", give_form(stock_batch=str(old.pk))
    )
    assert response.status_code == 302
    record = Administration.objects.get(dose__plan=plan)
    assert (record.batch, record.expiry) == ("HXOLD", old.expiry)


def test_a_typed_batch_needs_another_batch_picked_and_an_unlisted_one_is_refused(
    client, clinic, clinician, nurse, hydroxo, travel
):
    stock = add(clinic, nurse, hydroxo, "HXNEW")
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_standard", start=TODAY)
    url = f"/doses/{open_doses(plan)[0].pk}/give/"
    client.force_login(nurse)

    clash = client.post(url, give_form(stock_batch=str(stock.pk), batch="ZZ9"))
    assert "You picked batch HXNEW from stock and typed ZZ9" in clash.content.decode()
    unpicked = client.post(url, give_form(batch="ZZ9"))
    assert "Pick the batch from stock, or" in unpicked.content.decode()
    stranger = client.post(url, give_form(stock_batch="00000000-0000-0000-0000-000000000000"))
    assert "Select a valid choice" in stranger.content.decode()
    assert not Administration.objects.exists()

    typed = client.post(
        url, give_form(stock_batch="other", batch="ZZ9", expiry=(TODAY + timedelta(99)).isoformat())
    )
    assert typed.status_code == 302
    assert Administration.objects.get().batch == "ZZ9"


def test_the_stock_page_flags_expiry_counts_use_and_reads_in_fixed_queries(
    client, clinic, clinician, nurse, clinic_admin, hydroxo, cyano, outsider, patient_user, travel
):
    soon = add(clinic, nurse, hydroxo, "HXSOON", expiry_days=20, quantity=10)
    with time_machine.travel(at(TODAY - timedelta(days=400), 9), tick=False):
        stock_batch_add(
            clinic=clinic,
            by=nurse,
            product=cyano,
            batch="CYDEAD",
            expiry=TODAY - timedelta(days=1),
            received_on=TODAY - timedelta(days=400),
            quantity=None,
            now=at(TODAY - timedelta(days=400)),
            today=TODAY - timedelta(days=400),
        )
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_standard", start=TODAY)
    give(open_doses(plan)[0], nurse, batch="hxsoon", expiry=soon.expiry)

    client.force_login(clinic_admin)
    client.get("/stock/")
    with CaptureQueriesContext(connection) as few:
        page = client.get("/stock/").content.decode()
    rows = {
        m[1]: m[0]
        for m in re.findall(
            r'data-state="(\w+)">\s*<td><span class="stack-label">Batch</span>'
            r"<strong>(\w+)",
            page,
        )
    }
    assert rows == {"HXSOON": "expiring", "CYDEAD": "expired"}
    assert "expires in 20 days" in page and "1 · about 9 left" in page
    for n in range(5):
        add(clinic, nurse, hydroxo, f"MORE{n}")
    with CaptureQueriesContext(connection) as more:
        client.get("/stock/")
    assert len(more) == len(few)

    client.force_login(outsider)
    assert "HXSOON" not in client.get("/stock/").content.decode()
    assert client.get(f"/stock/{soon.pk}/withdraw/").status_code == 404
    client.force_login(patient_user)
    assert client.get("/stock/").status_code == 403


def test_a_clinic_admin_adds_a_batch_through_the_page_with_errors_on_the_fields(
    client, clinic, clinic_admin, hydroxo, travel
):
    client.force_login(clinic_admin)
    bad = client.post(
        "/stock/new/",
        {
            "product": hydroxo.pk,
            "batch": "HX77",
            "expiry": (TODAY - timedelta(days=2)).isoformat(),
            "received_on": TODAY.isoformat(),
        },
    )
    assert "This batch expired on 3 Jan 2026" in bad.content.decode()
    assert not StockBatch.objects.exists()
    good = client.post(
        "/stock/new/",
        {
            "product": hydroxo.pk,
            "batch": "HX77",
            "expiry": (TODAY + timedelta(days=400)).isoformat(),
            "received_on": TODAY.isoformat(),
            "quantity": "20",
        },
        follow=True,
    )
    assert "Batch HX77 of hydroxocobalamin added to stock" in good.content.decode()
    assert StockBatch.objects.get().added_by == clinic_admin
