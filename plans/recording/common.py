"""What every recording shares: locking the plan then the dose, saving a record, re-planning."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from b12clinic.core.events import publish
from b12clinic.core.models import Patient
from plans import events

from ..materialise import doses_reconcile
from ..models import (
    Administration,
    Dose,
    DoseStatus,
    Plan,
)
from . import reads

# A tablet's clock a little ahead of the server's is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)
MAX_NOTES = 2000
CORRECTABLE = ("given_at", "given_on", "site", "side", "batch", "expiry", "outcome", "notes")


class Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str | None, message: str) -> None:
        self.by_field.setdefault(field or NON_FIELD_ERRORS, []).append(message)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


AUDITED_ADMINISTRATION_FIELDS = (
    "override_reason",
    "given_on",
    "given_at",
    "setting",
    "site",
    "side",
    "batch",
    "expiry",
    "outcome",
    "given_by_name",
    "notes",
)


def name_of(user: User | None) -> str:
    if user is None:
        return "someone"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def lock(dose: Dose) -> tuple[Plan, Dose]:
    plan: Plan = reads.one(reads.LOCK_PLAN, plan=dose.plan_id)
    locked: Dose = reads.one(reads.LOCK_DOSE, dose=dose.pk)
    locked.plan = plan  # what is saved against the dose reads its plan and patient from here
    return plan, locked


def head_of(dose: Dose) -> Administration | None:
    """The record that is the current truth for a dose, or None if there is none."""
    head: Administration | None = reads.first(reads.HEAD, dose=dose.pk)
    return head


def after_reaction(*, plan: Plan, administration: Administration, allergy: str, by: User) -> None:
    """An allergic reaction goes on the patient's record and in front of a clinician."""
    patient = Patient.objects.select_for_update().get(pk=plan.patient_id)
    entry = allergy.strip()
    if entry and entry.lower() not in patient.allergies.lower():
        patient.allergies = f"{patient.allergies.rstrip()}\n{entry}".strip()
        patient.save(update_fields=["allergies", "updated_at"])
    publish(
        events.ReactionRecorded(
            patient=patient,
            plan=plan,
            administration=administration,
            allergy=entry,
            recorded_by=name_of(by),
        )
    )


def save_record(record: Administration) -> Administration:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        raise ValidationError(
            "Someone else recorded this dose at the same moment. Refresh the list."
        ) from exc
    return record


def replan(plan: Plan, today: date, why: str) -> None:
    doses_reconcile(plan=plan, today=today, cancel_reason=why)
    publish(events.DosesReplanned(plan=plan))


def mark_given(dose: Dose, given_on: date | None) -> None:
    dose.status = DoseStatus.GIVEN if given_on else DoseStatus.DUE
    dose.given_on = given_on
    dose.save(update_fields=["status", "given_on", "updated_at"])
