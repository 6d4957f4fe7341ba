"""A dose given: in clinic by staff, or at home or elsewhere, recorded afterwards."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit, diff, snapshot
from b12clinic.core.events import publish
from b12clinic.core.models import Action
from plans import events

from ..models import (
    Administration,
    Dose,
    Outcome,
    Plan,
    Setting,
)
from . import reads
from .checks import check_given, check_open, check_outcome, check_timing
from .common import (
    AUDITED_ADMINISTRATION_FIELDS,
    CLOCK_SKEW,
    MAX_NOTES,
    Errors,
    after_reaction,
    head_of,
    lock,
    mark_given,
    replan,
    save_record,
)


@transaction.atomic
def dose_record_given(
    *,
    dose: Dose,
    by: User,
    given_at: datetime,
    site: str,
    side: str,
    batch: str,
    expiry: date | None,
    identity_confirmed: bool,
    allergies_checked: bool,
    now: datetime,
    outcome: str = Outcome.NONE,
    accept_site_warning: bool = False,
    allergy: str = "",
    notes: str = "",
    override_reason: str = "",
) -> Administration:
    """An injection given in clinic by the signed-in member of staff."""
    plan, dose = lock(dose)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("This dose belongs to a patient of another clinic.")
    zone = plan.patient.clinic.zone
    today = timezone.localtime(now, zone).date()
    given_on = timezone.localtime(given_at, zone).date()
    batch = batch.strip()
    errors = Errors()
    check_open(plan, dose, errors)
    if not identity_confirmed:
        errors.add(
            "identity_confirmed",
            "Confirm the patient's identity with two identifiers (name and date of birth).",
        )
    if not allergies_checked:
        errors.add("allergies_checked", "Confirm you checked the patient's allergies.")
    warnings = check_given(
        plan=plan,
        dose=dose,
        given_on=given_on,
        today=today,
        date_field="given_at",
        future=given_at > now + CLOCK_SKEW,
        site=site,
        side=side,
        batch=batch,
        expiry=expiry,
        in_clinic=True,
        accept_site_warning=accept_site_warning,
        errors=errors,
    )
    warnings += check_timing(
        plan=plan,
        dose=dose,
        given_on=given_on,
        by=by,
        override_reason=override_reason,
        field="given_at",
        errors=errors,
    )
    check_outcome(
        outcome,
        allergy,
        new_reaction=True,
        errors=errors,
        unknown="Choose the immediate outcome.",
        missing="Record what the patient reacted to: it is added to their allergies and a "
        "clinician is alerted.",
    )
    if len(notes) > MAX_NOTES:
        errors.add("notes", f"Keep the notes under {MAX_NOTES} characters.")
    errors.raise_any()

    return save_given(
        plan=plan,
        dose=dose,
        today=today,
        allergy=allergy,
        by=by,
        record=Administration(
            setting=Setting.CLINIC,
            given_at=given_at,
            given_on=given_on,
            given_by=by,
            site=site,
            side=side,
            batch=batch,
            expiry=expiry,
            outcome=outcome,
            identity_confirmed=True,
            allergies_checked=True,
            warnings=warnings,
            notes=notes.strip(),
            override_reason=override_reason.strip(),
            recorded_by=by,
        ),
    )


def save_given(
    *,
    plan: Plan,
    dose: Dose,
    today: date,
    record: Administration,
    allergy: str,
    by: User,
) -> Administration:
    """Save a first (or after a void, a renewed) record of a dose given, and what follows."""
    head = head_of(dose)  # a voided record, if this dose was recorded before and voided
    record.dose = dose
    record.replaces = head
    record.reason = "Recorded again after the earlier record was voided." if head else ""
    save_record(record)
    assert record.given_on is not None
    first = not reads.OTHER_GIVEN.rows(plan=plan.pk, dose=dose.pk)
    mark_given(dose, record.given_on)
    if first:
        publish(events.FirstInjectionGiven(plan=plan, given_on=record.given_on))
    if record.outcome == Outcome.ALLERGIC_REACTION:
        after_reaction(plan=plan, administration=record, allergy=allergy, by=by)
    replan(plan, today, f"Re-planned after the dose given on {record.given_on:%-d %b %Y}")
    audit(
        actor=by,
        action=Action.CREATE,
        obj=record,
        patient=plan.patient,
        summary=f"Dose of {dose.due_date} recorded as given on {record.given_on} "
        f"({record.setting})",
        changes=diff(
            {"status": "due"},
            {"status": "given", **snapshot(record, AUDITED_ADMINISTRATION_FIELDS)},
        ),
        reason=record.reason,
    )
    return record


def may_record_outside(user: User, plan: Plan, setting: str) -> bool:
    if works_in(user, plan.patient.clinic):
        return True
    own = plan.patient.user_id is not None and plan.patient.user_id == user.pk
    return own and setting == Setting.HOME and plan.version.self_administered


@transaction.atomic
def dose_record_given_outside(
    *,
    dose: Dose,
    by: User,
    setting: str,
    given_on: date,
    now: datetime,
    given_by_name: str = "",
    site: str = "",
    side: str = "",
    batch: str = "",
    expiry: date | None = None,
    outcome: str = Outcome.NONE,
    allergy: str = "",
    notes: str = "",
    override_reason: str = "",
) -> Administration:
    """A dose given at home (by the patient or a carer) or elsewhere (another clinic, a GP),
    recorded afterwards by the patient or by staff on their behalf. Site and batch are kept
    when known."""
    plan, dose = lock(dose)
    if not may_record_outside(by, plan, setting):
        raise ValidationError("You cannot record doses for this patient.")
    today = timezone.localtime(now, plan.patient.clinic.zone).date()
    batch = batch.strip()
    errors = Errors()
    if setting not in (Setting.HOME, Setting.ELSEWHERE):
        errors.add("setting", "Choose where it was given: at home or elsewhere.")
    check_open(plan, dose, errors)
    warnings = check_given(
        plan=plan,
        dose=dose,
        given_on=given_on,
        today=today,
        date_field="given_on",
        future=False,
        site=site,
        side=side,
        batch=batch,
        expiry=expiry,
        in_clinic=False,
        accept_site_warning=True,
        errors=errors,
    )
    warnings += check_timing(
        plan=plan,
        dose=dose,
        given_on=given_on,
        by=by,
        override_reason=override_reason,
        field="given_on",
        errors=errors,
    )
    check_outcome(
        outcome,
        allergy,
        new_reaction=True,
        errors=errors,
        unknown="Choose how it went.",
        missing="Record what the patient reacted to.",
    )
    if len(given_by_name) > 100:
        errors.add("given_by_name", "Keep this under 100 characters.")
    if len(notes) > MAX_NOTES:
        errors.add("notes", f"Keep the notes under {MAX_NOTES} characters.")
    errors.raise_any()

    return save_given(
        plan=plan,
        dose=dose,
        today=today,
        allergy=allergy,
        by=by,
        record=Administration(
            setting=setting,
            given_on=given_on,
            given_by_name=given_by_name.strip(),
            site=site,
            side=side,
            batch=batch,
            expiry=expiry,
            outcome=outcome,
            notes=notes.strip(),
            warnings=warnings,
            override_reason=override_reason.strip(),
            recorded_by=by,
        ),
    )
