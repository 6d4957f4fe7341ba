"""The written schedule: PDF and calendar file, for staff, for the patient, and by share link."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from b12clinic.core.access import (
    WORK_ROLES,
    AuthenticatedRequest,
    clinician_required,
    patient_required,
    role_required,
    staff_clinics,
    user_roles,
)
from b12clinic.core.audit import audit_read
from b12clinic.core.clientip import client_ip
from b12clinic.core.models import Action
from b12clinic.core.qr import qr_svg
from b12clinic.core.roles import CLINICIAN, NURSE, PATIENT
from plans import sharing
from plans.access import (
    get_own_active_plan,
    get_plan_for_patient,
    get_plan_for_staff,
    own_patient,
)
from plans.models import Plan, ShareLink

from .calendar import Gone, patient_calendar, plan_events, plan_gone, write_ics
from .schedule import (
    cached_schedule_pdf,
    schedule_document,
    schedule_pdf,
    schedule_stamp,
)

# The written schedule is the patient's too: they get their own plan's, and a 404 for any
# other, as on every patient-facing page.
staff_or_patient_required = role_required(CLINICIAN, NURSE, PATIENT)


def _today(plan: Plan) -> date:
    return timezone.localdate(timezone=plan.patient.clinic.zone)


def _filename(record_number: str, extension: str) -> str:
    safe = "".join(c for c in record_number if c.isalnum() or c in "-_") or "plan"
    return f"b12-schedule-{safe}.{extension}"


def _pdf_response(plan: Plan) -> HttpResponse:
    # The stamp first, as on the staff path: a cached schedule builds no document.
    stamp = schedule_stamp(plan_id=plan.pk)
    pdf = cached_schedule_pdf(stamp) if stamp is not None else None
    if pdf is None:
        today = _today(plan)
        pdf, _ = schedule_pdf(schedule_document(plan=plan, today=today), generated=today)
    return _pdf_bytes_response(pdf, plan.patient.record_number)


def _pdf_bytes_response(pdf: bytes, record_number: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(record_number, "pdf")}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _ics_response(plan: Plan) -> HttpResponse:
    now = timezone.now()
    if plan_gone(plan, now=now):
        return gone()
    events = plan_events(plan, today=_today(plan))
    return _ics_bytes_response(
        write_ics(events, clinic=plan.patient.clinic, now=now), plan.patient.record_number
    )


def _ics_bytes_response(ics: bytes, record_number: str) -> HttpResponse:
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(record_number, "ics")}"'
    response["Cache-Control"] = "private, no-store"
    return response


def gone() -> HttpResponse:
    return HttpResponse(
        "This treatment ended more than 90 days ago: the calendar has nothing more to show.",
        status=410,
        content_type="text/plain",
    )


def _is_staff(request: HttpRequest) -> bool:
    return bool(user_roles(request.user) & WORK_ROLES)


@staff_or_patient_required
def plan_schedule_pdf(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    if not _is_staff(request):
        plan = get_plan_for_patient(request.user, plan_id)
        _audit_download(request, plan, "Schedule PDF downloaded by the patient")
        return _pdf_response(plan)
    # A cached schedule costs one query: the stamp checks access and names the cached file.
    stamp = schedule_stamp(plan_id=plan_id, clinics=staff_clinics(request.user))
    if stamp is None:
        raise Http404("No such plan.")
    audit_read(
        request,
        action=Action.DOWNLOAD,
        object_type="plans.plan",
        summary="Schedule PDF downloaded",
        patient_ref=(stamp.patient_id, stamp.clinic_id, stamp.patient_label),
    )
    pdf = cached_schedule_pdf(stamp)
    if pdf is not None:
        return _pdf_bytes_response(pdf, stamp.record_number)
    return _pdf_response(get_plan_for_staff(request.user, plan_id))


@staff_or_patient_required
def plan_schedule_ics(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    if not _is_staff(request):
        plan = get_plan_for_patient(request.user, plan_id)
        _audit_download(request, plan, "Calendar file downloaded by the patient")
        return _ics_response(plan)
    plan = get_plan_for_staff(request.user, plan_id)
    _audit_download(request, plan, "Calendar file downloaded")
    return _ics_response(plan)


def _audit_download(request: HttpRequest, plan: Plan, what: str) -> None:
    audit_read(request, action=Action.DOWNLOAD, obj=plan, patient=plan.patient, summary=what)


@patient_required
def me_schedule_pdf(request: AuthenticatedRequest) -> HttpResponse:
    plan = get_own_active_plan(request.user)
    _audit_download(request, plan, "Schedule PDF downloaded by the patient")
    return _pdf_response(plan)


@patient_required
def me_schedule_ics(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's calendar across their plans: after a plan stops it still answers, with
    what is no longer coming sent as cancelled, so an imported copy can be brought up to date."""
    patient = own_patient(request.user)
    if patient is None or not patient.plans.exists():
        raise Http404("No plan.")
    now = timezone.now()
    audit_read(
        request,
        action=Action.DOWNLOAD,
        obj=patient,
        patient=patient,
        summary="Calendar file downloaded by the patient",
    )
    try:
        ics = patient_calendar(patient, now=now)
    except Gone:
        return gone()
    return _ics_bytes_response(ics, patient.record_number)


# --- Share links ----------------------------------------------------------------------------


class ShareForm(forms.Form):
    days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=sharing.MAX_DAYS, initial=30
    )


@clinician_required
@require_POST
def share_link_create(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    plan = get_plan_for_staff(request.user, plan_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("monitoring:plan_detail", plan.pk)
    try:
        new = sharing.share_link_create(
            plan=plan, by=request.user, now=timezone.now(), days=form.cleaned_data["days"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("monitoring:plan_detail", plan.pk)
    url = request.build_absolute_uri(f"/s/{new.token}/")
    # The secret is not stored: this page is the only place the whole link appears.
    return render(
        request,
        "plans/share_link_created.html",
        {
            "plan": plan,
            "link": new.link,
            "url": url,
            "qr": qr_svg(url, label="QR code of the share link"),
        },
    )


@clinician_required
@require_POST
def share_link_revoke(request: AuthenticatedRequest, link_id: str) -> HttpResponse:
    link = get_object_or_404(
        ShareLink.objects.select_related("plan__patient__clinic"),
        pk=link_id,
        plan__patient__clinic__in=staff_clinics(request.user),
    )
    try:
        sharing.share_link_revoke(link=link, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The link was revoked: it no longer opens the schedule.")
    return redirect("monitoring:plan_detail", link.plan_id)


def _open(request: HttpRequest, token: str, what: str) -> Plan | HttpResponse:
    opened = sharing.share_link_open(
        token=token,
        what=what,
        ip=client_ip(request) or "",
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        now=timezone.now(),
    )
    if opened.link is None:
        status = 429 if opened.problem == "throttled" else 404
        return render(
            request,
            "plans/share_invalid.html",
            {"clinic": opened.clinic, "throttled": opened.problem == "throttled"},
            status=status,
        )
    return opened.link.plan


def shared_schedule(request: HttpRequest, token: str) -> HttpResponse:
    found = _open(request, token, "page")
    if isinstance(found, HttpResponse):
        return found
    doc = schedule_document(plan=found, today=_today(found))
    return render(request, "plans/shared_schedule.html", {"doc": doc, "token": token})


def shared_schedule_pdf(request: HttpRequest, token: str) -> HttpResponse:
    found = _open(request, token, "pdf")
    return found if isinstance(found, HttpResponse) else _pdf_response(found)


def shared_schedule_ics(request: HttpRequest, token: str) -> HttpResponse:
    found = _open(request, token, "ics")
    return found if isinstance(found, HttpResponse) else _ics_response(found)
