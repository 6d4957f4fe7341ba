"""One getter per object type of monitoring: the object if this user may see it, else 404.
Each filters by the kernel's one rule (`b12clinic.core.access.staff_clinics`)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404

from b12clinic.core.access import staff_clinics

from .models import Alert, CalendarFeed, InboundMessage, LabResult, Recheck, Reminder


def get_alert_for_staff(user: User, alert_id: UUID | str) -> Alert:
    try:
        return Alert.objects.select_related("patient__clinic").get(
            pk=alert_id, patient__clinic__in=staff_clinics(user)
        )
    except (Alert.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such alert.") from exc


def get_result_for_staff(user: User, result_id: UUID | str) -> LabResult:
    try:
        return LabResult.objects.select_related("patient__clinic", "test").get(
            pk=result_id, patient__clinic__in=staff_clinics(user)
        )
    except (LabResult.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such result.") from exc


def get_recheck_for_staff(user: User, recheck_id: UUID | str) -> Recheck:
    try:
        return Recheck.objects.select_related("patient__clinic", "plan").get(
            pk=recheck_id, patient__clinic__in=staff_clinics(user)
        )
    except (Recheck.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such recheck.") from exc


def get_reminder_for_staff(user: User, reminder_id: UUID | str) -> Reminder:
    try:
        return Reminder.objects.get(pk=reminder_id, clinic__in=staff_clinics(user))
    except (Reminder.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such reminder.") from exc


def get_feed_for(user: User, feed_id: UUID | str) -> CalendarFeed:
    """A calendar subscription: the patient's own, or one of a patient of a clinic this user
    works in."""
    try:
        return CalendarFeed.objects.select_related("patient__clinic").get(
            Q(patient__user=user) | Q(patient__clinic__in=staff_clinics(user)), pk=feed_id
        )
    except (CalendarFeed.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such subscription.") from exc


def get_inbound_for_staff(user: User, message_id: UUID | str) -> InboundMessage:
    try:
        return InboundMessage.objects.select_related("clinic", "patient").get(
            pk=message_id, clinic__in=staff_clinics(user)
        )
    except (InboundMessage.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such laboratory message.") from exc
