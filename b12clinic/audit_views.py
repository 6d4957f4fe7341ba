"""The clinic admin's view of the audit trail: filter, read, export."""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from b12clinic.core.models import Clinic

from .core.access import AuthenticatedRequest, administered_clinics, clinic_admin_required
from .core.audit import audit_read
from .core.models import Action, AuditEvent


def _clinics(user: Any) -> QuerySet[Clinic]:
    return administered_clinics(user)


EARLIEST_YEAR, LATEST_YEAR = 2000, 2999


def in_audit_years(day: date) -> None:
    """Dates outside any audit trail's life; the far ends would overflow in other zones."""
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValidationError(f"Choose a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")


class AuditFilter(forms.Form):
    patient = forms.CharField(required=False, label="Patient (name or record number)")
    user = forms.CharField(required=False, label="User name")
    action = forms.ChoiceField(required=False, choices=[("", "Any"), *Action.choices])
    since = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[in_audit_years],
    )
    until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[in_audit_years],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data


def _events(request: HttpRequest) -> tuple[AuditFilter, QuerySet[AuditEvent]]:
    clinic_ids = list(_clinics(request.user).values_list("pk", flat=True))
    staff_ids = User.objects.filter(clinics__in=clinic_ids).values("pk")
    events = AuditEvent.objects.filter(
        Q(clinic_id__in=clinic_ids) | Q(clinic_id__isnull=True, actor__in=staff_ids)
    ).order_by("-id")
    form = AuditFilter(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["patient"]:
            events = events.filter(patient_label__icontains=data["patient"].strip())
        if data["user"]:
            events = events.filter(actor_name__iexact=data["user"].strip())
        if data["action"]:
            events = events.filter(action=data["action"])
        zone = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(at__gte=datetime.combine(data["since"], time(0), zone))
        if data["until"]:
            end = datetime.combine(data["until"] + timedelta(days=1), time(0), zone)
            events = events.filter(at__lt=end)
    elif form.is_bound:
        events = events.none()
    return form, events


@clinic_admin_required
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    form, events = _events(request)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "b12clinic/audit_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@clinic_admin_required
def audit_csv(request: AuthenticatedRequest) -> HttpResponse:
    _, events = _events(request)
    audit_read(
        request,
        action=Action.DOWNLOAD,
        object_type="b12clinic.auditevent",
        summary=f"Audit trail exported as CSV ({request.GET.urlencode() or 'no filter'})",
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate()}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "id",
            "at",
            "user",
            "action",
            "record",
            "patient",
            "summary",
            "changes",
            "reason",
            "ip",
            "hash",
        ]
    )
    for event in events.iterator(chunk_size=2000):
        writer.writerow(
            [
                _safe(v)
                for v in (
                    event.id,
                    event.at.isoformat(),
                    event.actor_name,
                    event.action,
                    f"{event.object_type} {event.object_id}".strip(),
                    event.patient_label,
                    event.summary,
                    event.changes,
                    event.reason,
                    event.ip or "",
                    event.hash,
                )
            ]
        )
    return response


def _safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
