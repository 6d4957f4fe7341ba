"""The clinic admin's view of the audit trail: filter, read, export."""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat, Upper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from b12clinic.core.models import SYSTEM_CHAIN, Clinic, Patient

from .core.access import AuthenticatedRequest, administered_clinics, clinic_admin_required
from .core.audit import audit_read
from .core.models import Action, AuditEvent
from .core.replica import reads_from_replica


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


PAGE = 100


def _filtered(
    events: QuerySet[AuditEvent], data: dict[str, Any], clinic_ids: list[Any]
) -> QuerySet[AuditEvent]:
    """The form's filters, each through an index: patients are found by name or record number
    first, users by name, and the end date also bounds the id (a row is written the moment it
    is stamped, so no row stamped before the end has an id past the first stamped a minute
    after it) so the walk starts there and not at the newest row."""
    if data["patient"]:
        text = data["patient"].strip()
        patients = list(
            Patient.objects.filter(clinic_id__in=clinic_ids)
            .annotate(
                label=Concat(
                    Upper("family_name"),
                    Value(", "),
                    "given_name",
                    Value(" ("),
                    "record_number",
                    Value(")"),
                    output_field=CharField(),
                )
            )
            .filter(label__icontains=text)
            .values_list("pk", flat=True)[: PAGE * 5 + 1]
        )
        if len(patients) > PAGE * 5:  # too broad to list: read the labels
            events = events.filter(patient_label__icontains=text)
        else:
            events = events.filter(patient_id__in=patients)
    if data["user"]:
        name = data["user"].strip()
        known = User.objects.filter(username__iexact=name).values_list("username", flat=True)
        events = events.filter(actor_name=known.first() or name)
    if data["action"]:
        events = events.filter(action=data["action"])
    zone = timezone.get_current_timezone()
    if data["since"]:
        start = datetime.combine(data["since"], time(0), zone)
        events = events.filter(at__gte=start)
    if data["until"]:
        end = datetime.combine(data["until"] + timedelta(days=1), time(0), zone)
        events = events.filter(at__lt=end)
        later = AuditEvent.objects.filter(at__gte=end + timedelta(minutes=1)).order_by("at")
        bound = later.values_list("id", flat=True).first()
        if bound is not None:
            events = events.filter(id__lt=bound)
    return events


def _sources(request: HttpRequest, form: AuditFilter) -> list[QuerySet[AuditEvent]]:
    """What the admin may read, as one query per clinic and one for the system rows of their
    staff: each walks its own index newest first, where one query with an OR would walk every
    clinic's rows."""
    clinic_ids = list(_clinics(request.user).values_list("pk", flat=True))
    staff_ids = User.objects.filter(clinics__in=clinic_ids).values("pk")
    sources: list[QuerySet[AuditEvent]] = [
        AuditEvent.objects.filter(clinic_id=pk) for pk in clinic_ids
    ]
    sources.append(AuditEvent.objects.filter(chain=SYSTEM_CHAIN, actor__in=staff_ids))
    if form.is_bound and not form.is_valid():
        return []
    if form.is_valid():
        sources = [_filtered(source, form.cleaned_data, clinic_ids) for source in sources]
    return sources


def _cursor(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@reads_from_replica
@clinic_admin_required
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    """Newest first, a page at a time by id (keyset): no page costs more than its rows, and
    nothing counts the whole trail."""
    form = AuditFilter(request.GET or None)
    before, after = _cursor(request, "before"), _cursor(request, "after")
    rows: list[AuditEvent] = []
    for source in _sources(request, form):
        if after is not None:
            rows += source.filter(id__gt=after).order_by("id")[: PAGE + 1]
        else:
            if before is not None:
                source = source.filter(id__lt=before)
            rows += source.order_by("-id")[: PAGE + 1]
    rows.sort(key=lambda event: event.id, reverse=after is None)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    if after is not None:
        rows.reverse()
    query = request.GET.copy()
    for name in ("before", "after", "page"):
        query.pop(name, None)
    older = rows[-1].id if rows and (more or after is not None) else None
    newer = rows[0].id if rows and (before is not None or (after is not None and more)) else None
    return render(
        request,
        "b12clinic/audit_list.html",
        {"form": form, "rows": rows, "query": query.urlencode(), "older": older, "newer": newer},
    )


@reads_from_replica
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
