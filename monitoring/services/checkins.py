"""Symptom check-ins."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Patient
from plans.models import Dose

from ..models import (
    Answer,
    SymptomCheckIn,
)
from .alerts import assessment_alerts
from .labs import active_plan
from .rechecks import rechecks_complete


@transaction.atomic
def checkin_add(
    *,
    patient: Patient,
    answers: Mapping[str, str],
    on: date,
    by: User,
    today: date,
    notes: str = "",
    dose: Dose | None = None,
) -> SymptomCheckIn:
    if not works_in(by, patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can record a check-in.")
    errors = {
        name: "Choose none, better, same or worse."
        for name in SymptomCheckIn.SYMPTOM_FIELDS
        if answers.get(name) not in Answer.values
    }
    if on > today:
        errors["on_date"] = "A check-in cannot be in the future."
    elif on < patient.date_of_birth:
        errors["on_date"] = "A check-in cannot be before the date of birth."
    if dose is not None and dose.plan.patient_id != patient.pk:
        errors["__all__"] = "That dose belongs to another patient."
    if errors:
        raise ValidationError(errors)
    plan = dose.plan if dose is not None else active_plan(patient)
    checkin = SymptomCheckIn.objects.create(
        patient=patient,
        plan=plan,
        dose=dose,
        on_date=on,
        notes=notes.strip(),
        recorded_by=by,
        **{name: answers[name] for name in SymptomCheckIn.SYMPTOM_FIELDS},
    )
    rechecks_complete(patient=patient, today=today)
    assessment_alerts(patient=patient, today=today)
    audit(
        actor=by,
        action=Action.CREATE,
        obj=checkin,
        patient=patient,
        summary=f"Symptom check-in for {on}",
        changes={name: [None, answers[name]] for name in SymptomCheckIn.SYMPTOM_FIELDS},
        reason=notes.strip(),
    )
    return checkin
