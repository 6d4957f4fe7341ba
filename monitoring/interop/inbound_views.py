"""Laboratory messages in the app: the review queue (match a held message to its patient, or
reject it with a reason) and the upload of a file of HL7 v2 messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from b12clinic.core.access import AuthenticatedRequest, clinician_required, staff_clinics

from ..access import get_inbound_for_staff
from ..forms import ClinicChoiceForm
from ..models import InboundMessage, InboundStatus
from ..services import inbound
from . import hl7v2

MAX_UPLOAD_BYTES = 2_000_000


class UploadForm(ClinicChoiceForm):
    file = forms.FileField(
        label="File of HL7 v2 messages",
        help_text="ORU^R01 messages, one after another or in MLLP frames (.hl7, .txt).",
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The file is over 2 MB: send it in parts.")
        text = upload.read().decode("utf-8", errors="replace")
        if not hl7v2.split_messages(text):
            raise ValidationError("The file holds no HL7 message (no line starts with MSH|).")
        return str(text)


def _describe(message: InboundMessage) -> dict[str, Any]:
    try:
        lab = inbound.lab_of(message)
    except hl7v2.Unreadable:
        return {"message": message, "lab": None}
    return {"message": message, "lab": lab}


@clinician_required
def lab_messages(request: AuthenticatedRequest) -> HttpResponse:
    clinics = staff_clinics(request.user)
    mine = InboundMessage.objects.filter(clinic__in=clinics).select_related("clinic", "patient")
    held = [_describe(m) for m in mine.filter(status=InboundStatus.REVIEW).order_by("received_at")]
    recent = mine.exclude(status=InboundStatus.REVIEW).select_related("reviewed_by")[:20]
    return render(request, "monitoring/lab_messages.html", {"held": held, "recent": recent})


@clinician_required
@require_POST
def lab_message_match(request: AuthenticatedRequest, message_id: str) -> HttpResponse:
    message = get_inbound_for_staff(request.user, message_id)
    try:
        filed = inbound.inbound_match(
            message=message,
            record_number=request.POST.get("record_number", ""),
            by=request.user,
            now=timezone.now(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{filed.results} results filed for {filed.patient.full_name}.",  # type: ignore[union-attr]
        )
    return redirect("monitoring:lab_messages")


@clinician_required
@require_POST
def lab_message_reject(request: AuthenticatedRequest, message_id: str) -> HttpResponse:
    message = get_inbound_for_staff(request.user, message_id)
    try:
        inbound.inbound_reject(
            message=message,
            reason=request.POST.get("reason", ""),
            by=request.user,
            now=timezone.now(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The message is rejected; it stays in the record with why.")
    return redirect("monitoring:lab_messages")


@clinician_required
def lab_messages_upload(request: AuthenticatedRequest) -> HttpResponse:
    clinics = staff_clinics(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, clinics=clinics)
    outcomes: list[tuple[str, inbound.Received]] = []
    if request.method == "POST" and form.is_valid():
        clinic = form.cleaned_data["clinic"]
        for raw in hl7v2.split_messages(form.cleaned_data["file"]):
            received = inbound.hl7_receive(
                clinic=clinic, raw=raw, channel="upload", now=timezone.now()
            )
            control_id = received.message.control_id if received.message else "(unread)"
            outcomes.append((control_id, received))
    return render(
        request, "monitoring/lab_messages_upload.html", {"form": form, "outcomes": outcomes}
    )
