"""The reminder pages: failed reminders and retry for staff, the patient's opt-out link."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from b12clinic.core.access import AuthenticatedRequest, staff_clinics, staff_required
from b12clinic.core.redirects import safe_next

from ..access import get_reminder_for_staff
from ..models import Channel
from . import delivery, optout


@staff_required
def reminders_failed(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/reminders_failed.html",
        {"failed": delivery.failed_reminders(clinics=staff_clinics(request.user))},
    )


@staff_required
@require_POST
def reminder_retry(request: AuthenticatedRequest, reminder_id: str) -> HttpResponse:
    reminder = get_reminder_for_staff(request.user, reminder_id)
    try:
        delivery.reminder_retry(reminder=reminder, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The reminder will be sent again within a minute.")
    return redirect(safe_next(request, "monitoring:reminders_failed"))


@csrf_exempt  # the signed token is the authority; mail clients post without a session
@require_http_methods(["GET", "POST"])
def reminder_opt_out(request: HttpRequest, token: str) -> HttpResponse:
    try:
        patient, channel = optout.read_opt_out_token(token)
    except ValidationError:
        return render(request, "monitoring/opt_out.html", {"invalid": True}, status=404)
    label = Channel(channel).label.lower() if channel in Channel.values else "email"
    if request.method == "POST":
        optout.reminders_opt_out(patient=patient, channel=channel, now=timezone.now())
        return render(
            request, "monitoring/opt_out.html", {"done": True, "patient": patient, "label": label}
        )
    return render(request, "monitoring/opt_out.html", {"patient": patient, "label": label})


@require_http_methods(["GET"])
def short_opt_out(request: HttpRequest, code: str) -> HttpResponse:
    """A text message's stop link: on to the opt-out page its code stands for."""
    token = optout.opt_out_token_for_code(code)
    if token is None:
        return render(request, "monitoring/opt_out.html", {"invalid": True}, status=404)
    return redirect("monitoring:reminder_opt_out", token)
