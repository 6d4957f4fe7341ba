"""What a reminder says: the context its subject, text and HTML templates are rendered with."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from b12clinic.core.links import token_link
from b12clinic.core.models import Clinic
from plans.models import PlanStatus

from ..models import (
    Alert,
    Recheck,
    RecheckStatus,
    Reminder,
    ReminderKind,
    Severity,
)
from ..services.checkins import asks_came_back, checkin_link_token
from .optout import opt_out_url, short_opt_out_url
from .texts import Sms, sms_text


def message_context(reminder: Reminder) -> dict[str, Any]:
    context: dict[str, Any] = {
        "reminder": reminder,
        "clinic": reminder.clinic,
        "patient": reminder.patient,
        "dose": reminder.dose,
        "recheck": reminder.recheck,
        "site_url": settings.SITE_URL,
        "today": timezone.localdate(timezone.now(), reminder.clinic.zone),
    }
    patient = reminder.patient
    if patient is not None and reminder.kind != ReminderKind.OVERDUE_CLINIC:
        context["opt_out_url"] = opt_out_url(patient, reminder.channel)
    if reminder.dose_id:
        version = reminder.dose.plan.version  # type: ignore[union-attr]
        context["version"] = version
    if (
        patient is not None
        and reminder.dose is not None
        and reminder.kind == ReminderKind.INJECTION_DUE
    ):
        # How they are, from home, in a minute: a signed link that lasts 7 days.
        token = checkin_link_token(patient, reminder.dose)
        path = token_link("monitoring:checkin_link", token)
        context["checkin_url"] = f"{settings.SITE_URL}{path}"
        context["asks_came_back"] = asks_came_back(
            reminder.dose,
            # Worked out for the whole batch when the reminders were claimed.
            given_before=getattr(reminder, "maintenance_given_before", None),
        )
    if reminder.kind == ReminderKind.NURSE_DIGEST:
        context.update(_nurse_digest(reminder.clinic, reminder.for_date))
    if reminder.kind == ReminderKind.CLINICIAN_DIGEST:
        context.update(_clinician_digest(reminder.clinic, reminder.for_date))
    return context


def message_sms(reminder: Reminder, context: dict[str, Any]) -> str:
    """A patient's reminder as one text-message segment (monitoring/reminders/texts.py)."""
    patient = reminder.patient
    if patient is None or reminder.kind not in (
        ReminderKind.INJECTION_DUE,
        ReminderKind.OVERDUE,
        ReminderKind.RECHECK_DUE,
        ReminderKind.RECALL,
    ):
        raise ValueError(f"No text message is written for {reminder.get_kind_display()}.")
    recheck = reminder.recheck
    if reminder.recall is not None:
        day = reminder.for_date
    elif recheck is not None:
        day = recheck.due_date
    else:
        day = reminder.dose.due_date  # type: ignore[union-attr]
    return sms_text(
        Sms(
            kind=reminder.kind,
            clinic=reminder.clinic.name,
            phone=reminder.clinic.phone,
            day=day,
            today=context["today"],
            stop_url=short_opt_out_url(patient, reminder.channel),
            recheck_kind=recheck.kind if recheck is not None else "",
            recheck_title=recheck.title if recheck is not None else "",
            batch=reminder.recall.batch if reminder.recall is not None else "",
        )
    )


def _nurse_digest(clinic: Clinic, day: date) -> dict[str, Any]:
    from plans.day_list import day_list

    found = day_list(clinic=clinic, day=day)
    return {"day": day, "due": found.due, "overdue": found.overdue}


def _clinician_digest(clinic: Clinic, day: date) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=1)
    open_alerts = Alert.objects.filter(
        patient__clinic=clinic, acknowledged_at__isnull=True
    ).select_related("patient")
    return {
        "day": day,
        "urgent": [a for a in open_alerts if a.severity == Severity.URGENT],
        "new": [a for a in open_alerts if a.severity != Severity.URGENT and a.created_at >= since],
        "overdue_rechecks": list(
            Recheck.objects.filter(
                Q(lapses_on__isnull=True) | Q(lapses_on__gte=day),
                patient__clinic=clinic,
                status=RecheckStatus.PENDING,
                closes__lt=day,
                plan__status=PlanStatus.ACTIVE,
            ).select_related("patient")
        ),
        "reviews_due": list(
            clinic.patients.filter(
                plans__status=PlanStatus.ACTIVE,
                plans__current__review_date__lte=day,
                plans__current__phases__end_rule="at_review",
                plans__current__phases__end_date__isnull=True,
            ).distinct()
        ),
    }
