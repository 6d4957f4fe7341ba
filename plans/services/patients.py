"""Patients: created and changed by a clinician of their clinic, every change audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit, diff, snapshot
from b12clinic.core.events import publish
from b12clinic.core.models import Action, Clinic, Patient
from b12clinic.core.phones import read_phone
from plans import events

PATIENT_FIELDS = (
    "record_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "reminder_email",
    "reminder_sms",
    "reminder_lead_days",
    "reminder_hour",
    "allergies",
    "cobalt_or_b12_sensitivity",
    "leber_optic_neuropathy",
    "pregnant_or_breastfeeding",
    "other_conditions",
)


def _check_patient(patient: Patient, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if patient.date_of_birth and patient.date_of_birth > today:
        errors.setdefault("date_of_birth", []).append("The date of birth is in the future.")
    if patient.date_of_birth and patient.date_of_birth < today - timedelta(days=365 * 125):
        errors.setdefault("date_of_birth", []).append("The date of birth is over 125 years ago.")
    if patient.reminder_email and not patient.email:
        errors.setdefault("email", []).append("Email reminders need an email address.")
    if patient.reminder_sms and not patient.phone:
        errors.setdefault("phone", []).append("Text message reminders need a mobile number.")
    if patient.phone:
        try:
            patient.phone = read_phone(
                patient.phone, country=patient.clinic.country, for_texts=patient.reminder_sms
            )
        except ValidationError as error:
            errors.setdefault("phone", []).extend(error.messages)
    duplicate = Patient.objects.filter(
        clinic_id=patient.clinic_id, record_number=patient.record_number
    ).exclude(pk=patient.pk)
    if patient.record_number and duplicate.exists():
        errors.setdefault("record_number", []).append(
            "Another patient of this clinic already has this record number."
        )
    if errors:
        raise ValidationError(errors)
    patient.full_clean()


@transaction.atomic
def patient_create(*, clinic: Clinic, by: User, today: date, **values: Any) -> Patient:
    if not works_in(by, clinic, as_clinician=True):
        raise ValidationError({"clinic": "You can only add patients to your own clinic."})
    patient = Patient(clinic=clinic, created_by=by, **_only(values, PATIENT_FIELDS))
    _check_patient(patient, today)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # another request took the record number meanwhile
        raise ValidationError(
            {"record_number": "Another patient of this clinic already has this record number."}
        ) from exc
    audit(
        actor=by,
        action=Action.CREATE,
        obj=patient,
        patient=patient,
        summary="Patient added",
        changes=diff({}, snapshot(patient, PATIENT_FIELDS)),
    )
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, by: User, today: date, **values: Any) -> Patient:
    if not works_in(by, patient.clinic, as_clinician=True):
        raise ValidationError({"clinic": "You can only change patients of your own clinic."})
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    before = snapshot(locked, PATIENT_FIELDS)
    for name, value in _only(values, PATIENT_FIELDS).items():
        setattr(locked, name, value)
    _check_patient(locked, today)
    locked.save()
    changes = diff(before, snapshot(locked, PATIENT_FIELDS))
    if changes:
        audit(
            actor=by,
            action=Action.CHANGE,
            obj=locked,
            patient=locked,
            summary=f"Patient details changed: {', '.join(changes)}",
            changes=changes,
        )
    # New contact details or consent move, cancel or revive the unsent reminders.
    publish(events.PatientDetailsChanged(patient=locked))
    return locked


def _only(values: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    return values
