"""The calendar subscription: made by the patient on /me/ or by staff with them in clinic,
read by the patient's calendar app at a private address, stopped by either."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from b12clinic.core.access import (
    AuthenticatedRequest,
    patient_required,
    role_required,
    staff_required,
)
from b12clinic.core.clientip import client_ip
from b12clinic.core.models import Patient
from b12clinic.core.qr import qr_svg
from b12clinic.core.roles import CLINICIAN, NURSE, PATIENT
from plans.access import get_patient_for_staff, own_patient

from ..access import get_feed_for
from ..services import feeds
from .calendar import Gone, patient_calendar
from .views import gone


def _back(request: AuthenticatedRequest, patient: Patient) -> str:
    if patient.user_id == request.user.pk:
        return reverse("monitoring:me")
    plan = patient.plans.filter(status="active").first()
    if plan is not None:
        return reverse("monitoring:plan_detail", args=[plan.pk])
    return reverse("monitoring:patient_detail", args=[patient.pk])


def _made(request: AuthenticatedRequest, patient: Patient) -> HttpResponse:
    try:
        new = feeds.feed_create(patient=patient, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(request, patient))
    https = request.build_absolute_uri(reverse("monitoring:calendar_feed", args=[new.secret]))
    webcal = "webcal://" + https.split("://", 1)[1]
    # The secret is not stored: this page is the only place the whole address appears.
    return render(
        request,
        "monitoring/calendar_feed_made.html",
        {
            "patient": patient,
            "feed": new.feed,
            "webcal": webcal,
            "https": https,
            "qr": qr_svg(webcal, label="QR code of the calendar address"),
            "back": _back(request, patient),
            "own": patient.user_id == request.user.pk,
        },
    )


@patient_required
@require_POST
def me_calendar_new(request: AuthenticatedRequest) -> HttpResponse:
    patient = own_patient(request.user)
    if patient is None:
        raise Http404("No patient record.")
    return _made(request, patient)


@staff_required
@require_POST
def patient_calendar_new(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    return _made(request, get_patient_for_staff(request.user, patient_id))


@role_required(CLINICIAN, NURSE, PATIENT)
@require_POST
def calendar_feed_revoke(request: AuthenticatedRequest, feed_id: str) -> HttpResponse:
    feed = get_feed_for(request.user, feed_id)
    try:
        feeds.feed_revoke(feed=feed, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            "The calendar subscription was stopped: calendar apps can no longer read it. "
            "Its events stay in the calendar until you remove the subscription there.",
        )
    return redirect(_back(request, feed.patient))


@require_safe  # GET, and HEAD: some calendar apps look before they fetch
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """What a calendar app polls. No sign-in: the secret is the key."""
    now = timezone.now()
    opened = feeds.feed_open(
        secret=secret,
        ip=client_ip(request) or "",
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        now=now,
    )
    if opened.feed is None:
        status = 429 if opened.problem == "throttled" else 404
        return HttpResponse("No such calendar.", status=status, content_type="text/plain")
    try:
        ics = patient_calendar(opened.feed.patient, now=now)
    except Gone:
        return gone()
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
