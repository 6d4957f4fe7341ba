from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from b12clinic.core.access import AuthenticatedRequest, clinician_required, staff_required
from b12clinic.core.audit import audit_read
from b12clinic.core.models import Action as AuditAction
from b12clinic.core.models import Patient
from b12clinic.core.redirects import safe_next
from plans.access import (
    get_dose_for_staff,
    get_patient_for_staff,
    get_plan_for_staff,
)
from plans.forms import apply_errors

from .access import get_alert_for_staff, get_recheck_for_staff, get_result_for_staff
from .forms import (
    CheckInForm,
    LabEntryForm,
    RecheckAddForm,
    RecheckCancelForm,
    VoidResultForm,
)
from .models import LabTest
from .selectors import patient_assessment, patient_labs
from .services import alerts as alert_services
from .services import checkins as checkin_services
from .services import labs as lab_services
from .services import rechecks as recheck_services


def _today(patient: Patient) -> date:
    return timezone.localdate(timezone=patient.clinic.zone)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: AuthenticatedRequest, alert_id: str) -> HttpResponse:
    alert = get_alert_for_staff(request.user, alert_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            alert_services.alert_acknowledge(
                alert=alert, by=request.user, note=form.cleaned_data["note"], now=timezone.now()
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, "The alert was acknowledged.")
            return redirect(safe_next(request, "dashboard"))
    return render(
        request,
        "monitoring/alert_acknowledge.html",
        {"alert": alert, "form": form, "back": safe_next(request, "dashboard")},
    )


@staff_required
def labs(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_id)
    audit_read(
        request, action=AuditAction.VIEW, obj=patient, patient=patient, summary="Results opened"
    )
    today = _today(patient)
    found = patient_assessment(patient=patient, today=today)
    return render(
        request,
        "monitoring/labs.html",
        {
            "patient": patient,
            "labs": patient_labs(patient=patient, today=today),
            "plan": found[0] if found else None,
            "assessment": found[1] if found else None,
            "today": today,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def lab_new(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_id)
    today = _today(patient)
    form = LabEntryForm(
        request.POST or None, tests=LabTest.objects.all(), initial={"collected_on": today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = lab_services.lab_results_add(
                patient=patient,
                entries=form.entries(),
                collected_on=form.cleaned_data["collected_on"],
                by=request.user,
                today=today,
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, f"{len(saved)} result{'s' if len(saved) != 1 else ''} saved.")
            for result in saved:
                for warning in result.warnings:
                    messages.warning(request, warning)
            return redirect("monitoring:labs", patient.pk)
    return render(request, "monitoring/lab_new.html", {"patient": patient, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def result_void(request: AuthenticatedRequest, result_id: str) -> HttpResponse:
    result = get_result_for_staff(request.user, result_id)
    form = VoidResultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lab_services.lab_result_void(
                result=result,
                by=request.user,
                reason=form.cleaned_data["reason"],
                today=_today(result.patient),
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, "The result is marked as entered in error.")
            return redirect("monitoring:labs", result.patient.pk)
    return render(request, "monitoring/result_void.html", {"result": result, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def checkin_new(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_id)
    today = _today(patient)
    dose_id = request.GET.get("dose") or request.POST.get("dose")
    dose = get_dose_for_staff(request.user, dose_id) if dose_id else None
    form = CheckInForm(request.POST or None, initial={"on_date": today})
    if request.method == "POST" and form.is_valid():
        try:
            checkin_services.checkin_add(
                patient=patient,
                answers=form.answers(),
                on=form.cleaned_data["on_date"],
                by=request.user,
                today=today,
                notes=form.cleaned_data["notes"],
                dose=dose,
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, "Symptom check-in saved.")
            if dose is not None:
                return redirect("plans:today")
            return redirect("monitoring:labs", patient.pk)
    return render(
        request, "monitoring/checkin_new.html", {"patient": patient, "form": form, "dose": dose}
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def recheck_cancel(request: AuthenticatedRequest, recheck_id: str) -> HttpResponse:
    recheck = get_recheck_for_staff(request.user, recheck_id)
    form = RecheckCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recheck_services.recheck_cancel(
                recheck=recheck, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, f"{recheck.title}: marked not needed.")
            return redirect("monitoring:plan_detail", recheck.plan_id)
    return render(request, "monitoring/recheck_cancel.html", {"recheck": recheck, "form": form})


@clinician_required
@require_POST
def recheck_add(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    plan = get_plan_for_staff(request.user, plan_id)
    today = _today(plan.patient)
    form = RecheckAddForm(request.POST)
    if form.is_valid():
        try:
            added = recheck_services.recheck_add(
                plan=plan,
                kind=form.cleaned_data["kind"],
                due=form.cleaned_data["due_date"],
                by=request.user,
                today=today,
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, f"{added.title} planned for {added.due_date:%-d %b %Y}.")
            return redirect("monitoring:plan_detail", plan.pk)
    for problems in form.errors.values():
        for problem in problems:
            messages.error(request, str(problem))
    return redirect("monitoring:plan_detail", plan.pk)
