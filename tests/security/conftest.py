"""A small world for the security tests: clinic A with one user per role, a patient with a
plan, records of every kind, and clinic B with its own clinician and patient."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from b12clinic.core.models import Patient
from monitoring.models import Reminder
from monitoring.reminders.optout import opt_out_token, short_opt_out_url
from monitoring.services.alerts import alert_raise
from monitoring.services.checkins import checkin_link_token
from monitoring.services.feeds import feed_create
from monitoring.services.inbound import hl7_receive
from monitoring.services.labs import Entry, lab_results_add
from plans.sharing import share_link_create
from plans.stock.services import stock_batch_add
from tests.plans.recording_helpers import give_next, new_plan, open_doses


@dataclass
class World:
    ids: dict[str, str]
    users: dict[str, object]


@pytest.fixture
def world(clinic, other_clinic, clinician, nurse, patient_user, clinic_admin, outsider):
    today = timezone.localdate()
    clinic.open_weekdays = "0123456"
    clinic.save()
    own = Patient.objects.create(
        clinic=clinic,
        record_number="RX1001",
        given_name="Nora",
        family_name="Quinn",
        date_of_birth=date(1961, 4, 2),
        created_by=clinician,
        user=patient_user,
    )
    Patient.objects.create(
        clinic=clinic,
        record_number="RX1002",
        given_name="Ruth",
        family_name="Bystander",
        date_of_birth=date(1970, 5, 6),
        created_by=clinician,
    )
    plan = new_plan(own, clinician, "uk_standard", start=today - timedelta(days=3))
    administration = give_next(plan, nurse, now=timezone.now(), given_at=timezone.now())
    dose = open_doses(plan)[0]
    (result,) = lab_results_add(
        patient=own,
        entries=[Entry("hb", Decimal(120))],
        collected_on=today,
        by=clinician,
        today=today,
    )
    alert = alert_raise(
        patient=own, kind="critical_result", severity="urgent", title="Test alert", key="t1"
    )
    recheck = plan.rechecks.filter(status="pending").first()
    reminder = Reminder.objects.filter(patient=own).first() or Reminder.objects.create(
        kind="injection_due",
        channel="email",
        clinic=clinic,
        patient=own,
        dose=dose,
        for_date=dose.due_date,
        send_at=timezone.now(),
        attempt_at=timezone.now(),
        dedupe_key="matrix",
    )
    link = share_link_create(plan=plan, by=clinician, now=timezone.now())
    feed = feed_create(patient=own, by=patient_user, now=timezone.now())

    stranger = Patient.objects.create(
        clinic=other_clinic,
        record_number="OTHER-1",
        given_name="Zed",
        family_name="Outsiderpatient",
        date_of_birth=date(1950, 1, 1),
        created_by=outsider,
    )
    new_plan(stranger, outsider, "uk_standard", start=today - timedelta(days=3))
    held = hl7_receive(
        clinic=clinic,
        raw="\r".join(
            [
                "MSH|^~\\&|LABSYS|CITYLAB|||20250101||ORU^R01|SEC1|P|2.5.1",
                "PID|1||NOBODY-1||Nobody^Known||19500101",
                "OBX|1|NM|718-7^Hb^LN||120|g/L|||||F",
            ]
        ),
        channel="upload",
        now=timezone.now(),
    ).message
    assert held is not None and held.status == "review"
    stock = stock_batch_add(
        clinic=clinic,
        by=nurse,
        product=plan.current.product,
        batch="SEC-STOCK-1",
        expiry=today + timedelta(days=300),
        received_on=today,
        quantity=None,
        now=timezone.now(),
        today=today,
    )
    return World(
        ids={
            "message_id": str(held.pk),
            "stock_id": str(stock.pk),
            "patient_id": str(own.pk),
            "plan_id": str(plan.pk),
            "dose_id": str(dose.pk),
            "administration_id": str(administration.pk),
            "alert_id": str(alert.pk),
            "result_id": str(result.pk),
            "recheck_id": str(recheck.pk),
            "reminder_id": str(reminder.pk),
            "link_id": str(link.link.pk),
            "token": link.token,
            "opt_out": opt_out_token(own, "email"),
            "feed_id": str(feed.feed.pk),
            "secret": feed.secret,
            "short_code": short_opt_out_url(own, "sms").rsplit("/", 1)[1],
            "checkin_token": checkin_link_token(own, dose),
        },
        users={
            "clinician": clinician,
            "nurse": nurse,
            "patient": patient_user,
            "clinic_admin": clinic_admin,
            "outsider": outsider,
        },
    )
