"""Reads for monitoring."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from plans.access import staff_clinics

from .models import Alert, Severity


def open_alerts(*, user: AbstractBaseUser) -> QuerySet[Alert]:
    """Unacknowledged alerts for the user's clinics, urgent first, newest first. One query."""
    return (
        Alert.objects.filter(acknowledged_at__isnull=True, patient__clinic__in=staff_clinics(user))
        .select_related("patient")
        .annotate(
            urgency=Case(
                When(severity=Severity.URGENT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("urgency", "-created_at")
    )


def get_alert_for_staff(user: AbstractBaseUser, alert_id: object) -> Alert:
    try:
        return Alert.objects.select_related("patient__clinic").get(
            pk=alert_id, patient__clinic__in=staff_clinics(user)
        )
    except (Alert.DoesNotExist, ValueError) as exc:
        raise Http404("No such alert.") from exc
