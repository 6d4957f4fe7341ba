"""Corrections: a record replaced by a corrected copy, or voided; the original stays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit, diff, snapshot
from b12clinic.core.models import Action

from ..models import (
    Administration,
    Dose,
    Outcome,
    Plan,
    Setting,
)
from . import reads
from .checks import check_given, check_outcome, next_done_on
from .common import (
    AUDITED_ADMINISTRATION_FIELDS,
    CLOCK_SKEW,
    CORRECTABLE,
    Errors,
    after_reaction,
    lock,
    mark_given,
    replan,
    save_record,
)


def lock_head(administration: Administration) -> tuple[Plan, Dose, Administration]:
    plan, dose = lock(administration.dose)
    head: Administration | None = reads.first(reads.LOCK_HEAD, dose=dose.pk)
    if head is None or head.pk != administration.pk:
        raise ValidationError(
            "This record has already been corrected; open the latest version to change it."
        )
    if head.is_void:
        raise ValidationError("This record was voided; it cannot be changed.")
    return plan, dose, head


@transaction.atomic
def administration_amend(
    *,
    administration: Administration,
    by: User,
    reason: str,
    now: datetime,
    allergy: str = "",
    **changes: Any,
) -> Administration:
    """A corrected copy of the record replaces it; the original stays in the history."""
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise TypeError(f"These fields cannot be corrected: {', '.join(sorted(unknown))}")
    plan, dose, head = lock_head(administration)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can correct this record.")
    zone = plan.patient.clinic.zone
    today = timezone.localtime(now, zone).date()
    errors = Errors()
    if not reason.strip():
        errors.add("reason", "Say why the record is being corrected.")
    fields = {name: getattr(head, name) for name in CORRECTABLE}
    fields.update(changes)
    fields["batch"] = (fields["batch"] or "").strip()
    in_clinic = head.setting == Setting.CLINIC
    if in_clinic:
        given_at = fields["given_at"]
        fields["given_on"] = timezone.localtime(given_at, zone).date()
        future = given_at > now + CLOCK_SKEW
        date_field = "given_at"
    else:
        fields["given_at"] = None
        future = False
        date_field = "given_on"
    check_given(
        plan=plan,
        dose=dose,
        given_on=fields["given_on"],
        today=today,
        date_field=date_field,
        future=future,
        site=fields["site"],
        side=fields["side"],
        batch=fields["batch"],
        expiry=fields["expiry"],
        in_clinic=in_clinic,
        accept_site_warning=True,
        errors=errors,
    )
    new_reaction = (
        fields["outcome"] == Outcome.ALLERGIC_REACTION and head.outcome != fields["outcome"]
    )
    check_outcome(
        fields["outcome"],
        allergy,
        new_reaction=new_reaction,
        errors=errors,
        unknown="Choose the immediate outcome.",
        missing="Record what the patient reacted to.",
    )
    if not any(fields[name] != getattr(head, name) for name in CORRECTABLE):
        errors.add(None, "Nothing was changed.")
    errors.raise_any()

    record = save_record(
        Administration(
            dose=dose,
            replaces=head,
            reason=reason.strip(),
            setting=head.setting,
            given_by=head.given_by,
            given_by_name=head.given_by_name,
            identity_confirmed=head.identity_confirmed,
            allergies_checked=head.allergies_checked,
            warnings=head.warnings,
            recorded_by=by,
            **fields,
        )
    )
    if fields["given_on"] != dose.given_on:
        mark_given(dose, fields["given_on"])
        replan(plan, today, f"Re-planned after a correction to the dose of {dose.due_date}")
    if new_reaction:
        after_reaction(plan=plan, administration=record, allergy=allergy, by=by)
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=record,
        patient=plan.patient,
        summary=f"Record of the dose of {dose.due_date} corrected",
        changes=diff(
            snapshot(head, AUDITED_ADMINISTRATION_FIELDS),
            snapshot(record, AUDITED_ADMINISTRATION_FIELDS),
        ),
        reason=record.reason,
    )
    return record


@transaction.atomic
def administration_void(
    *, administration: Administration, by: User, reason: str, now: datetime
) -> Administration:
    """Record that an administration did not happen: the dose is due again. Only the latest
    recorded dose of a plan can be voided; older ones can be corrected."""
    plan, dose, head = lock_head(administration)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can void this record.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record is void."})
    if next_done_on(plan, dose) is not None:
        raise ValidationError(
            "Later doses of this plan have been recorded since; correct this record instead."
        )
    record = save_record(
        Administration(
            dose=dose,
            replaces=head,
            is_void=True,
            reason=reason.strip(),
            setting=head.setting,
            recorded_by=by,
        )
    )
    mark_given(dose, None)
    today = timezone.localtime(now, plan.patient.clinic.zone).date()
    replan(plan, today, "Re-planned after a recorded dose was voided")
    audit(
        actor=by,
        action=Action.VOID,
        obj=record,
        patient=plan.patient,
        summary=f"Record of the dose of {dose.due_date} voided",
        changes={"status": ["given", "due"], "replaces": [None, str(head.pk)]},
        reason=record.reason,
    )
    return record
