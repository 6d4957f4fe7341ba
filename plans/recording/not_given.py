"""A dose not given, and why."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action

from ..models import (
    Dose,
    DoseNotGiven,
    DoseStatus,
    NotGivenReason,
)
from .checks import check_open
from .common import MAX_NOTES, Errors, lock, replan


@transaction.atomic
def dose_record_not_given(
    *, dose: Dose, by: User, reason: str, now: datetime, detail: str = ""
) -> DoseNotGiven:
    """A loading dose not given is made up on the next open day; a maintenance dose stays due
    on its date (overdue) until it is given or a clinician reschedules it."""
    plan, dose = lock(dose)
    if not works_in(by, plan.patient.clinic):
        raise ValidationError("This dose belongs to a patient of another clinic.")
    today = timezone.localtime(now, plan.patient.clinic.zone).date()
    errors = Errors()
    check_open(plan, dose, errors)
    if reason not in NotGivenReason.values:
        errors.add("reason", "Choose why the dose was not given.")
    elif reason == NotGivenReason.WITHHELD and not detail.strip():
        errors.add("detail", "Say why the dose was withheld.")
    if len(detail) > MAX_NOTES:
        errors.add("detail", f"Keep this under {MAX_NOTES} characters.")
    errors.raise_any()
    try:
        with transaction.atomic():
            record = DoseNotGiven.objects.create(
                dose=dose, reason=reason, detail=detail.strip(), on_date=today, recorded_by=by
            )
    except IntegrityError as exc:
        raise ValidationError(
            "Someone else recorded this dose at the same moment. Refresh the list."
        ) from exc
    dose.status = DoseStatus.NOT_GIVEN
    dose.save(update_fields=["status", "updated_at"])
    replan(plan, today, "Re-planned after a dose was not given")
    audit(
        actor=by,
        action=Action.CREATE,
        obj=record,
        patient=plan.patient,
        summary=f"Dose of {dose.due_date} recorded as not given: {record.get_reason_display()}",
        changes={"status": ["due", "not_given"], "reason": [None, reason]},
        reason=record.detail,
    )
    return record
