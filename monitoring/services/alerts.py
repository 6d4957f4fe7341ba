"""Alerts: raised once per problem, acknowledged by a clinician with a note; the overdue
sweep, and what the response assessment says needs a clinician."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Clinic, Patient
from plans.models import Cause, Dose, DoseStatus, Plan, PlanStatus

from ..models import (
    Alert,
    AlertKind,
    Severity,
)


def alert_raise(
    *,
    patient: Patient,
    kind: AlertKind,
    severity: Severity,
    title: str,
    key: str,
    detail: str = "",
    plan: Plan | None = None,
) -> Alert:
    """Raise an alert once per key: raising it again returns the existing one."""
    alert, _ = Alert.objects.get_or_create(
        dedupe_key=key[:200],
        defaults={
            "patient": patient,
            "plan": plan,
            "kind": kind,
            "severity": severity,
            "title": title[:200],
            "detail": detail,
        },
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, note: str, now: datetime) -> Alert:
    if not note.strip():
        raise ValidationError({"note": "Say what was done, or why no action is needed."})
    if not works_in(by, alert.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can acknowledge it.")
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=by, acknowledgement_note=note.strip()
    )
    alert.refresh_from_db()
    if not updated:
        who = alert.acknowledged_by.get_username() if alert.acknowledged_by else "someone"
        raise ValidationError(f"This alert was already acknowledged by {who}.")
    audit(
        actor=by,
        action=Action.ACKNOWLEDGE,
        obj=alert,
        patient=alert.patient,
        summary=f"Alert acknowledged: {alert.title}",
        changes={"acknowledged": [False, True]},
        reason=note.strip(),
    )
    return alert


def alerts_raise_overdue(*, now: datetime) -> int:
    """Alert once per dose when a neurological or pernicious-anaemia patient's injection is
    overdue beyond the clinic's limit, counting days in each clinic's own zone: the plan's
    earliest open dose only, since recording it re-plans the rest. Returns how many alerts
    were new."""
    raised = 0
    for clinic in Clinic.objects.all():
        today = timezone.localdate(now, timezone=clinic.zone)
        doses = list(
            Dose.objects.filter(
                status=DoseStatus.DUE,
                due_date__lt=today - timedelta(days=clinic.overdue_alert_days),
                plan__status=PlanStatus.ACTIVE,
                plan__patient__clinic=clinic,
            )
            .filter(
                Q(plan__current__neurological=True)
                | Q(plan__current__cause=Cause.PERNICIOUS_ANAEMIA)
            )
            .select_related("plan__current", "plan__patient")
            .order_by("plan_id", "due_date")
        )
        earliest: dict[object, Dose] = {}
        for dose in doses:
            earliest.setdefault(dose.plan_id, dose)
        doses = list(earliest.values())
        known = set(
            Alert.objects.filter(dedupe_key__in=[_overdue_key(dose) for dose in doses]).values_list(
                "dedupe_key", flat=True
            )
        )
        for dose in doses:
            if _overdue_key(dose) in known:
                continue
            version = dose.plan.version
            why = "neurological involvement" if version.neurological else "pernicious anaemia"
            alert_raise(
                patient=dose.plan.patient,
                plan=dose.plan,
                kind=AlertKind.OVERDUE_INJECTION,
                severity=Severity.URGENT if version.neurological else Severity.WARNING,
                title=f"Injection overdue by {(today - dose.due_date).days} days ({why})",
                detail=f"The dose due on {dose.due_date:%-d %b %Y} has not been given. Contact "
                "the patient: symptoms can return before the next dose is given.",
                key=_overdue_key(dose),
            )
            raised += 1
    return raised


def _overdue_key(dose: Dose) -> str:
    return f"overdue:{dose.pk}"


def assessment_alerts(*, patient: Patient, today: date) -> list[Alert]:
    """Raise what the response assessment says needs a clinician: urgent findings (low
    potassium early on, worse nerve symptoms) and an inadequate response."""
    from ..selectors import patient_assessment

    found = patient_assessment(patient=patient, today=today)
    if found is None:
        return []
    plan, assessment = found
    raised = []
    for urgent in assessment.urgent:
        kind = (
            AlertKind.LOW_POTASSIUM if urgent.key.startswith("potassium") else AlertKind.NEURO_WORSE
        )
        raised.append(
            alert_raise(
                patient=patient,
                plan=plan,
                kind=kind,
                severity=Severity.URGENT,
                title=urgent.title,
                detail=urgent.detail,
                key=urgent.key,
            )
        )
    if assessment.inadequate:
        concerns = [
            finding.text
            for finding in assessment.haematological.findings
            if finding.status == "concern"
        ]
        # One open alert per plan: another only once the last one was acknowledged.
        seen = Alert.objects.filter(
            plan=plan, kind=AlertKind.INADEQUATE_RESPONSE, acknowledged_at__isnull=False
        ).count()
        raised.append(
            alert_raise(
                patient=patient,
                plan=plan,
                kind=AlertKind.INADEQUATE_RESPONSE,
                severity=Severity.WARNING,
                title="Not responding as expected to B12 injections",
                detail=" ".join(concerns)
                + " Check the dose, adherence, diagnosis and cause on the results page.",
                key=f"inadequate:{plan.pk}:{seen}",
            )
        )
    return raised
