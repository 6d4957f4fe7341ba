"""The recall page: a clinician or clinic admin enters a batch, sees who received it (their
current record), downloads the list, and sends the recall message."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from b12clinic.core.access import AuthenticatedRequest, recall_clinics, role_required
from b12clinic.core.audit import audit, request_ip
from b12clinic.core.models import Action, Product
from b12clinic.core.roles import CLINIC_ADMIN, CLINICIAN
from plans.exports import formula_safe

from ..forms import DATE, ClinicChoiceForm
from ..models import BatchRecall, Channel
from . import recalls

recall_required = role_required(CLINICIAN, CLINIC_ADMIN)


class RecallSearchForm(ClinicChoiceForm):
    batch = forms.CharField(
        label="Batch/lot", max_length=40, help_text="As printed on the recall notice."
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(), required=False, empty_label="Any product"
    )
    given_from = forms.DateField(label="Given from", required=False, widget=DATE)
    given_to = forms.DateField(label="Given to", required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("given_from"), data.get("given_to")
        if start and end and start > end:
            self.add_error("given_to", "The end of the period is before its start.")
        return data

    def search(self) -> recalls.Search:
        data = self.cleaned_data
        return recalls.Search(
            clinic=data["clinic"],
            batch=data["batch"],
            product=data.get("product"),
            given_from=data.get("given_from"),
            given_to=data.get("given_to"),
        )


class RecallMessageForm(forms.Form):
    message = forms.CharField(
        label="What the patient should do",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        initial="Please call us so we can check how you are and arrange your next injection "
        "from a different batch. You do not need to do anything else.",
    )


def _search_form(request: AuthenticatedRequest, data: Any) -> RecallSearchForm:
    return RecallSearchForm(data, clinics=recall_clinics(request.user))


def _audit_list(
    request: AuthenticatedRequest, search: recalls.Search, rows: list[recalls.Found], what: str
) -> None:
    audit(
        actor=request.user,
        action=Action.DOWNLOAD if what == "csv" else Action.VIEW,
        object_type="monitoring.batchrecall",
        clinic=search.clinic,
        summary=f"Recall {what}: batch {recalls.normal_batch(search.batch)}, {len(rows)} patients",
        changes={"patients": sorted(str(row.patient.pk) for row in rows)},
        ip=request_ip(request),
    )


@recall_required
def recall(request: AuthenticatedRequest) -> HttpResponse:
    form = _search_form(request, request.GET if "batch" in request.GET else None)
    rows: list[recalls.Found] | None = None
    if form.is_bound and form.is_valid():
        rows = recalls.recall_find(form.search())
        _audit_list(request, form.search(), rows, "search")
    sent = BatchRecall.objects.filter(clinic__in=recall_clinics(request.user))
    return render(
        request,
        "monitoring/recall.html",
        {
            "form": form,
            "rows": rows,
            "query": request.GET.urlencode(),
            "message_form": RecallMessageForm(),
            "unreached": [row for row in rows or [] if not row.channels],
            "sent": sent.select_related("created_by")[:10],
        },
    )


@recall_required
def recall_csv(request: AuthenticatedRequest) -> HttpResponse:
    form = _search_form(request, request.GET)
    if not form.is_valid():
        return redirect(reverse("monitoring:recall") + "?" + request.GET.urlencode())
    search = form.search()
    rows = recalls.recall_find(search)
    _audit_list(request, search, rows, "csv")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "".join(c for c in recalls.normal_batch(search.batch) if c.isalnum()) or "batch"
    response["Content-Disposition"] = f'attachment; filename="recall-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "record number",
            "family name",
            "given name",
            "date of birth",
            "given on",
            "where",
            "site",
            "given by",
            "batch",
            "expiry",
            "mobile",
            "email",
            "messages by",
        ]
    )
    for row in rows:
        patient = row.patient
        for record in row.records:
            writer.writerow(
                [
                    formula_safe(v)
                    for v in (
                        patient.record_number,
                        patient.family_name,
                        patient.given_name,
                        patient.date_of_birth,
                        record.given_on,
                        record.get_setting_display(),
                        record.site_display,
                        record.given_by.get_full_name()
                        if record.given_by
                        else record.given_by_name,
                        record.batch,
                        record.expiry or "",
                        patient.phone_shown,
                        patient.email,
                        " and ".join(str(Channel(c).label).lower() for c in row.channels)
                        or "none: phone them",
                    )
                ]
            )
    return response


@recall_required
@require_POST
def recall_send(request: AuthenticatedRequest) -> HttpResponse:
    form = _search_form(request, request.POST)
    message = RecallMessageForm(request.POST)
    # Back to the same search; never the CSRF token or the message in a URL.
    search_fields = ("clinic", "batch", "product", "given_from", "given_to")
    back = (
        reverse("monitoring:recall")
        + "?"
        + urlencode({name: request.POST.get(name, "") for name in search_fields})
    )
    if not (form.is_valid() and message.is_valid()):
        messages.error(request, "Enter the batch and what the patient should do.")
        return redirect(back)
    try:
        made = recalls.recall_send(
            search=form.search(),
            message=message.cleaned_data["message"],
            by=request.user,
            now=timezone.now(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    queued = made.messages.count()
    messages.success(
        request,
        f"Recall of batch {made.batch} sent to {made.patients} patients: {queued} messages "
        "queued. Patients with no agreed channel are listed below: phone them.",
    )
    return redirect(back)
