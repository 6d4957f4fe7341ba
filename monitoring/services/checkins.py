"""Symptom check-ins: recorded by staff, or told by the patient from home (their page, or a
signed link in the injection reminder that needs no sign-in and lasts 7 days). Each raises the
same alerts; answers about symptoms coming back before maintenance doses can raise the
interval-review warning (monitoring/rules/wearing_off.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Patient
from plans.models import Dose, DoseStatus, Plan

from ..models import Alert, AlertKind, Answer, CheckInSource, Severity, SymptomCheckIn
from ..rules import wearing_off
from ..selectors import symptoms_by_interval
from .alerts import alert_raise, assessment_alerts
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
    errors = _unanswered(answers, "Choose none, better, same or worse.")
    if on > today:
        errors["on_date"] = "A check-in cannot be in the future."
    elif on < patient.date_of_birth:
        errors["on_date"] = "A check-in cannot be before the date of birth."
    if dose is not None and dose.plan.patient_id != patient.pk:
        errors["__all__"] = "That dose belongs to another patient."
    if errors:
        raise ValidationError(errors)
    return _store(
        patient=patient,
        answers=answers,
        on=on,
        by=by,
        today=today,
        notes=notes,
        dose=dose,
        source=CheckInSource.STAFF,
    )


@transaction.atomic
def checkin_from_patient(
    *,
    patient: Patient,
    answers: Mapping[str, str],
    today: date,
    by: User | None,
    dose: Dose | None = None,
    came_back: bool | None = None,
    notes: str = "",
) -> SymptomCheckIn:
    """The patient's own check-in, for today: signed in (`by` is their account) or from the
    link in a reminder (`by` is None)."""
    if by is not None and by.pk != patient.user_id:
        raise ValidationError("You can only tell the clinic how you are yourself.")
    errors = _unanswered(answers, "Choose one: none, better, same or worse.")
    if dose is not None and dose.plan.patient_id != patient.pk:
        errors["__all__"] = "That injection is another patient's."
    if came_back is not None and (dose is None or not asks_came_back(dose)):
        errors["came_back"] = "This question is only asked before a maintenance injection."
    if errors:
        raise ValidationError(errors)
    return _store(
        patient=patient,
        answers=answers,
        on=today,
        by=by,
        today=today,
        notes=notes,
        dose=dose,
        source=CheckInSource.PATIENT if by is not None else CheckInSource.PATIENT_LINK,
        came_back=came_back,
    )


def _unanswered(answers: Mapping[str, str], message: str) -> dict[str, str]:
    return {
        name: message
        for name in SymptomCheckIn.SYMPTOM_FIELDS
        if answers.get(name) not in Answer.values
    }


def _store(
    *,
    patient: Patient,
    answers: Mapping[str, str],
    on: date,
    by: User | None,
    today: date,
    notes: str,
    dose: Dose | None,
    source: CheckInSource,
    came_back: bool | None = None,
) -> SymptomCheckIn:
    plan = dose.plan if dose is not None else active_plan(patient)
    checkin = SymptomCheckIn.objects.create(
        patient=patient,
        plan=plan,
        dose=dose,
        on_date=on,
        notes=notes.strip(),
        recorded_by=by,
        source=source,
        came_back_before_dose=came_back,
        **{name: answers[name] for name in SymptomCheckIn.SYMPTOM_FIELDS},
    )
    rechecks_complete(patient=patient, today=today)
    assessment_alerts(patient=patient, today=today)
    if plan is not None and came_back:
        symptoms_come_back_alert(plan=plan)
    changes: dict[str, Any] = {
        name: [None, answers[name]] for name in SymptomCheckIn.SYMPTOM_FIELDS
    }
    if came_back is not None:
        changes["came_back_before_dose"] = [None, came_back]
    who = "" if source == CheckInSource.STAFF else " by the patient"
    audit(
        actor=by,
        action=Action.CREATE,
        obj=checkin,
        patient=patient,
        summary=f"Symptom check-in for {on}{who}"
        + (" (from the link in a reminder)" if source == CheckInSource.PATIENT_LINK else ""),
        changes=changes,
        reason=notes.strip(),
    )
    return checkin


def _maintenance_given_before(plan: Any, due_date: Any) -> QuerySet[Dose]:
    return Dose.objects.filter(
        plan=plan, phase__kind="maintenance", due_date__lt=due_date, status=DoseStatus.GIVEN
    )


def maintenance_given_before(dose: str = "dose") -> Exists:
    """For a queryset that reaches a dose by `dose`: whether a maintenance dose of the same
    plan was given before it, as `asks_came_back(..., given_before=)` takes it, so that a batch
    of reminders asks in one query rather than one each."""
    return Exists(
        _maintenance_given_before(OuterRef(f"{dose}__plan"), OuterRef(f"{dose}__due_date"))
    )


def asks_came_back(dose: Dose, *, given_before: bool | None = None) -> bool:
    """The question is asked before a maintenance dose that follows another one: only then is
    there an interval for the symptoms to come back in."""
    if dose.phase.kind != "maintenance":
        return False
    if given_before is None:
        given_before = _maintenance_given_before(dose.plan_id, dose.due_date).exists()
    return given_before


def symptoms_come_back_alert(*, plan: Plan) -> Alert | None:
    """The interval-review warning when the symptoms came back before two maintenance doses
    in a row: one open alert per plan, another only once that one was acknowledged."""
    found = wearing_off.comes_back(symptoms_by_interval(plan=plan))
    if found is None:
        return None
    seen = Alert.objects.filter(
        plan=plan, kind=AlertKind.SYMPTOMS_COME_BACK, acknowledged_at__isnull=False
    ).count()
    days = ", ".join(f"{interval.due:%-d %b %Y}" for interval in found)
    return alert_raise(
        patient=plan.patient,
        plan=plan,
        kind=AlertKind.SYMPTOMS_COME_BACK,
        severity=Severity.WARNING,
        title="Symptoms come back before maintenance injections",
        detail=(
            f"The patient said their symptoms came back before the injections due {days}. "
            "NICE NG239 advises considering more frequent injections when symptoms are not "
            "sufficiently improved: review the interval and amend the plan."
        ),
        key=f"symptoms-come-back:{plan.pk}:{seen}",
    )


# --- The link in the injection reminder -----------------------------------------------------

CHECKIN_LINK_SALT = "monitoring.checkin-link"
CHECKIN_LINK_DAYS = 7


def checkin_link_token(patient: Patient, dose: Dose) -> str:
    return signing.dumps(
        {"p": str(patient.pk), "d": str(dose.pk)}, salt=CHECKIN_LINK_SALT, compress=True
    )


def read_checkin_link(token: str) -> tuple[Patient, Dose]:
    """The patient and dose a link names, if it is genuine and under 7 days old."""
    try:
        data = signing.loads(
            token, salt=CHECKIN_LINK_SALT, max_age=timedelta(days=CHECKIN_LINK_DAYS)
        )
    except signing.SignatureExpired as exc:
        raise ValidationError("This link has expired: links last 7 days.", code="expired") from exc
    except signing.BadSignature as exc:
        raise ValidationError("This link is not valid.", code="invalid") from exc
    try:
        dose = Dose.objects.select_related("plan__patient__clinic", "phase").get(
            pk=data["d"], plan__patient_id=data["p"]
        )
    except (KeyError, ValueError, ValidationError, Dose.DoesNotExist) as exc:
        raise ValidationError("This link is not valid.", code="invalid") from exc
    return dose.plan.patient, dose
