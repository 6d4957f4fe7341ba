"""Shared by the recording tests: a plan with doses, and a nurse's injection with good defaults."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from b12clinic.core.models import Patient
from plans.models import Administration, Dose, DoseStatus, Plan
from plans.recording.given import dose_record_given
from plans.services.prescriptions import plan_create
from tests.plans.conftest import TODAY, prescription

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def new_plan(patient: Patient, clinician, code: str = "uk_standard", **changes) -> Plan:
    return plan_create(
        patient=patient,
        prescriber=clinician,
        prescription=prescription(code, **changes),
        today=changes.get("start", TODAY),
    )


def open_doses(plan: Plan) -> list[Dose]:
    return list(plan.doses.filter(status=DoseStatus.DUE).order_by("due_date"))


def live_dates(plan: Plan) -> list[str]:
    return [
        d.isoformat()
        for d in plan.doses.exclude(status="cancelled")
        .order_by("due_date")
        .values_list("due_date", flat=True)
    ]


def give(dose: Dose, by, *, on: date | None = None, now: datetime | None = None, **changes):
    day = on or dose.due_date
    values = dict(
        site="deltoid",
        side="left",
        batch="HX4417B",
        expiry=day + timedelta(days=200),
        identity_confirmed=True,
        allergies_checked=True,
        given_at=at(day),
    )
    values.update(changes)
    return dose_record_given(dose=dose, by=by, now=now or at(day, 12), **values)


def give_next(plan: Plan, by, *, on: date | None = None, **changes) -> Administration:
    return give(open_doses(plan)[0], by, on=on, **changes)
