"""Recall by batch: exactly the patients whose current record names the batch, corrections in
both directions and voids included; the list as a formula-safe, audited CSV; the recall
message through the real outbox, by agreed channels only, each send recorded."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from b12clinic.core.models import AuditEvent, Patient
from monitoring.models import Reminder
from monitoring.reminders.recalls import Search, recall_find, recall_send
from plans.recording.corrections import administration_amend, administration_void
from tests.conftest import make_user
from tests.plans.recording_helpers import give, new_plan, open_doses
from tests.reminders.test_outbox import (  # noqa: F401 - fixtures
    Gateway,
    clinic_open_daily,
    consenting,
    deliver_now,
    gateway,
    is_gsm7,
    segments,
)

BATCH = "HX4417B"


def person(clinic, number, given, family, **contact):
    return Patient.objects.create(
        clinic=clinic,
        record_number=number,
        given_name=given,
        family_name=family,
        date_of_birth="1960-05-01",
        **contact,
    )


def injected(patient, clinician, nurse, batch):
    plan = new_plan(patient, clinician, start=timezone.localdate() - timedelta(days=3))
    return give(open_doses(plan)[0], nurse, batch=batch)


@pytest.fixture
def ward(clinic_open_daily, other_clinic, clinician, nurse):  # noqa: F811
    """Six patients: two with the batch now, four who once seemed to or are elsewhere."""
    clinic = clinic_open_daily
    direct = person(clinic, "R1", "Ada", "Direct", email="ada@example.org", reminder_email=True)
    injected(direct, clinician, nurse, BATCH)
    corrected_in = person(clinic, "R2", "Ben", "Corrected-In", phone="+447400123456")
    corrected_in.reminder_sms = True
    corrected_in.save()
    wrong = injected(corrected_in, clinician, nurse, "HX0000A")
    administration_amend(
        administration=wrong,
        by=nurse,
        reason="Batch misread from the box",
        now=timezone.now(),
        batch=BATCH.lower() + " ",
    )
    corrected_out = person(clinic, "R3", "Cal", "Corrected-Out", email="cal@example.org")
    mistaken = injected(corrected_out, clinician, nurse, BATCH)
    administration_amend(
        administration=mistaken, by=nurse, reason="Wrong box", now=timezone.now(), batch="HX9999Z"
    )
    voided = person(clinic, "R4", "Dee", "Voided", email="dee@example.org", reminder_email=True)
    administration_void(
        administration=injected(voided, clinician, nurse, BATCH),
        by=nurse,
        reason="Recorded on the wrong patient",
        now=timezone.now(),
    )
    unreachable = person(clinic, "R5", "Eve", "Unreachable")
    injected(unreachable, clinician, nurse, BATCH)
    elsewhere_staff = make_user("olga", "clinician", "nurse", clinic=other_clinic)
    elsewhere = person(other_clinic, "X1", "Fay", "Elsewhere", email="fay@example.org")
    injected(elsewhere, elsewhere_staff, elsewhere_staff, BATCH)
    return {"direct": direct, "in": corrected_in, "unreachable": unreachable}


@pytest.mark.django_db
def test_the_current_record_decides_who_is_recalled(ward, clinic):
    found = recall_find(Search(clinic=clinic, batch=f" {BATCH.lower()} "))
    assert [row.patient.record_number for row in found] == ["R2", "R1", "R5"]
    assert recall_find(Search(clinic=clinic, batch="HX9999Z"))[0].patient.record_number == "R3"
    assert recall_find(Search(clinic=clinic, batch="HX0000A")) == []
    later = timezone.localdate() + timedelta(days=1)
    assert recall_find(Search(clinic=clinic, batch=BATCH, given_from=later)) == []


@pytest.mark.django_db
def test_the_recall_goes_by_agreed_channels_and_each_send_is_recorded(
    ward,
    clinic,
    clinician,
    smtp_settings,
    gateway,  # noqa: F811
):
    recall = recall_send(
        search=Search(clinic=clinic, batch=BATCH),
        message="Please call us to arrange a check.",
        by=clinician,
        now=timezone.now(),
    )
    assert recall.patients == 3
    queued = {(r.patient.record_number, r.channel) for r in recall.messages.all()}
    assert queued == {("R1", "email"), ("R2", "sms")}  # R5 agreed to neither: phone them
    done = deliver_now(at=timezone.now() + timedelta(minutes=1))
    assert done.failed == 0
    assert set(recall.messages.values_list("status", flat=True)) == {"sent"}
    assert set(recall.messages.values_list("recipient", flat=True)) == {
        "ada@example.org",
        "+447400123456",
    }

    (email,) = [m for m in smtp_settings.messages if "recalled" in m["Subject"]]
    assert email["To"] == "ada@example.org"
    assert "recalled" in email["Subject"]
    text = email.get_payload()[0].get_payload(decode=True).decode()
    assert BATCH in text and "Please call us to arrange a check." in text
    (sms,) = [m for m in Gateway.received if "recalled" in m["Body"]]
    assert sms["To"] == "+447400123456"
    assert BATCH in sms["Body"] and "recalled" in sms["Body"]
    assert segments(sms["Body"]) == 1 and is_gsm7(sms["Body"])
    row = AuditEvent.objects.get(object_type="monitoring.batchrecall", action="create")
    assert row.changes["patients"] == sorted(str(p.pk) for p in ward.values())


@pytest.mark.django_db
def test_a_recall_needs_a_batch_a_message_and_patients(ward, clinic, clinician, nurse, outsider):
    with pytest.raises(ValidationError) as empty:
        recall_send(
            search=Search(clinic=clinic, batch="NOPE"),
            message="x",
            by=clinician,
            now=timezone.now(),
        )
    assert "No patient" in str(empty.value)
    with pytest.raises(ValidationError):
        recall_send(
            search=Search(clinic=clinic, batch=BATCH), message=" ", by=clinician, now=timezone.now()
        )
    for stranger in (nurse, outsider):
        with pytest.raises(ValidationError):
            recall_send(
                search=Search(clinic=clinic, batch=BATCH),
                message="Call us",
                by=stranger,
                now=timezone.now(),
            )
    assert not Reminder.objects.filter(kind="recall").exists()


@pytest.mark.django_db
def test_the_list_downloads_formula_safe_and_audited(ward, clinic, client):
    admin = make_user("ada-admin", "clinic_admin", clinic=clinic)
    ward["direct"].given_name = "=HYPERLINK(1)"
    ward["direct"].save()
    client.force_login(admin)
    response = client.get(reverse("monitoring:recall_csv"), {"batch": BATCH, "clinic": clinic.pk})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[0] for r in rows[1:]] == ["R2", "R1", "R5"]
    assert rows[2][2] == "'=HYPERLINK(1)"
    assert rows[3][-1] == "none: phone them"
    audit = AuditEvent.objects.get(action="download", object_type="monitoring.batchrecall")
    assert audit.actor_id == admin.pk and "3 patients" in audit.summary

    page = client.get(reverse("monitoring:recall"), {"batch": BATCH, "clinic": clinic.pk})
    assert page.content.decode().count('data-testid="recall-row"') == 3
    assert "Elsewhere" not in page.content.decode()


@pytest.mark.django_db
def test_the_recall_page_reads_in_the_same_queries_however_many_patients(
    client,
    clinic_open_daily,  # noqa: F811
    clinician,
    nurse,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(clinician)
    url = reverse("monitoring:recall")

    def queries() -> int:
        client.get(url, {"batch": BATCH})  # sessions and roles cached
        with CaptureQueriesContext(connection) as read:
            page = client.get(url, {"batch": BATCH})
        assert page.status_code == 200
        return len(read)

    injected(person(clinic_open_daily, "Q1", "One", "Alone"), clinician, nurse, BATCH)
    few = queries()
    for number in range(2, 6):
        who = person(clinic_open_daily, f"Q{number}", "Many", f"Patient{number}")
        injected(who, clinician, nurse, BATCH)
    assert queries() == few
