from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from b12clinic.core.access import (
    AuthenticatedRequest,
    clinician_required,
    staff_clinic_list,
    staff_required,
)
from b12clinic.core.models import Patient
from plans import forms, selectors
from plans.rules import dosing, schedule
from plans.rules.regimens import REGIMENS
from plans.services import patients, prescriptions

from .access import get_patient_for_staff, get_plan_for_staff
from .materialise import Horizon
from .models import Plan, PlanStatus

PREVIEW_DOSES = 12


def _today(patient: Patient | None = None) -> date:
    if patient is not None:
        return timezone.localdate(timezone=patient.clinic.zone)
    return timezone.localdate()


# --- Patients --------------------------------------------------------------------------------


@staff_required
def patient_list(request: AuthenticatedRequest) -> HttpResponse:
    search = forms.PatientSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    paginator = Paginator(selectors.patient_list(user=request.user, query=query), 25)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "plans/patient_list.html",
        {"search": search, "page": page, "query": query, "today": _today()},
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_create(request: AuthenticatedRequest) -> HttpResponse:
    clinics = staff_clinic_list(request.user)
    form = forms.PatientForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        clinic = form.chosen_clinic()
        if clinic is None:
            raise PermissionDenied("You are not a member of any clinic.")
        try:
            patient = patients.patient_create(
                clinic=clinic,
                by=request.user,
                today=_today(),
                **form.values(),
            )
        except ValidationError as error:
            forms.apply_errors(error, form)
        else:
            messages.success(request, f"{patient.full_name} was added.")
            return redirect("monitoring:patient_detail", patient_id=patient.pk)
    return render(request, "plans/patient_form.html", {"form": form, "creating": True})


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_id)
    form = forms.PatientForm(request.POST or None, instance=patient, clinics=[patient.clinic])
    if request.method == "POST" and form.is_valid():
        try:
            patients.patient_update(
                patient=patient, by=request.user, today=_today(patient), **form.values()
            )
        except ValidationError as error:
            forms.apply_errors(error, form)
        else:
            messages.success(request, "The patient's details were saved.")
            return redirect("monitoring:patient_detail", patient_id=patient.pk)
    return render(
        request, "plans/patient_form.html", {"form": form, "patient": patient, "creating": False}
    )


# --- Plans -----------------------------------------------------------------------------------


def _preview(prescription: prescriptions.Prescription, patient: Patient, today: date) -> list[Any]:
    horizon = Horizon.for_today(today)
    doses = schedule.build_schedule(
        prescription.phases,
        start=prescription.start_date,
        closed_weekdays=patient.clinic.closed_weekdays,
        today=today,
        until=horizon.until,
        min_future_maintenance=horizon.min_future_maintenance,
    )
    return [
        {"due": d.due, "kind": prescription.phases[d.phase_index].kind.value, "n": d.sequence}
        for d in doses[:PREVIEW_DOSES]
    ]


def _prescribe_page(
    request: HttpRequest,
    *,
    patient: Patient,
    form: forms.PrescriptionForm,
    phases: Any,
    plan: Plan | None,
    save: Any,
) -> HttpResponse:
    """Shared by prescribe and amend: validate, preview, and save on the save button."""
    today = _today(patient)
    context: dict[str, Any] = {
        "patient": patient,
        "plan": plan,
        "form": form,
        "phases": phases,
        "regimens": REGIMENS,
    }
    if request.method == "POST":
        valid = form.is_valid()
        context["dose_echo"] = form.dose_as_read()
        if valid and phases.is_valid():
            try:
                prescription = forms.prescription_from_forms(form, phases)
                # Every warning is shown, also beside a refusal that stops the save.
                context["warnings"] = [
                    p
                    for p in prescriptions.prescription_problems(prescription, patient)
                    if p.severity == dosing.Severity.WARN
                ]
                prescriptions.prescription_validate(
                    prescription, patient=patient, today=today, amending=plan is not None
                )
                context["preview"] = _preview(prescription, patient, today)
                if request.POST.get("action") == "save":
                    return save(prescription, today)
            except ValidationError as error:
                forms.apply_errors(error, form, phases)
    return render(request, "plans/prescribe.html", context)


@clinician_required
@require_GET
def dose_as_read(request: AuthenticatedRequest) -> JsonResponse:
    """The dose as the prescribe page will read it, echoed beside the field while typing."""
    form = forms.DoseReadForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"ok": False, "text": ""})
    try:
        return JsonResponse({"ok": True, "text": form.text()})
    except dosing.DoseParseError as error:
        return JsonResponse({"ok": False, "text": error.message})


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_create(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_id)
    today = _today(patient)
    regimen = forms.regimen_for(request.GET.get("regimen", "uk_standard"))
    if request.method == "POST":
        form = forms.PrescriptionForm(request.POST)
        phases = forms.PhaseFormSet(request.POST, prefix="phases")
    else:
        initial = (
            forms.regimen_initial(regimen, start=today)
            if regimen
            else {
                "regimen": "custom",
                "start_date": today,
            }
        )
        form = forms.PrescriptionForm(initial=initial)
        phases = forms.PhaseFormSet(
            initial=forms.phase_initial(regimen.phases if regimen else ()), prefix="phases"
        )

    def save(prescription: prescriptions.Prescription, today: date) -> HttpResponse:
        plan = prescriptions.plan_create(
            patient=patient, prescriber=request.user, prescription=prescription, today=today
        )
        messages.success(request, "The plan was saved and its doses scheduled.")
        return redirect("monitoring:plan_detail", plan_id=plan.pk)

    return _prescribe_page(request, patient=patient, form=form, phases=phases, plan=None, save=save)


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_amend(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    plan = get_plan_for_staff(request.user, plan_id)
    if plan.status != PlanStatus.ACTIVE:
        messages.error(request, "Only an active plan can be changed.")
        return redirect("monitoring:plan_detail", plan_id=plan.pk)
    current = plan.version
    if request.method == "POST":
        form = forms.AmendForm(request.POST)
        phases = forms.PhaseFormSet(request.POST, prefix="phases")
    else:
        overrides = {o.code: o.reason for o in current.overrides.all()}
        form = forms.AmendForm(
            initial={
                "regimen": current.regimen,
                "product": current.product_id,
                "dose": current.dose_display,
                "route": current.route,
                "indication": current.indication,
                "cause": current.cause,
                "neurological": current.neurological,
                "self_administered": current.self_administered,
                "start_date": current.start_date,
                "review_date": current.review_date,
                "dose_reason": overrides.get("above_max_single_dose", ""),
                "route_reason": overrides.get("route_outside_licence", ""),
            }
        )
        phases = forms.PhaseFormSet(
            initial=forms.phase_initial(p.rule() for p in current.phases.order_by("order")),
            prefix="phases",
        )
    start_on = {p.order: p.start_on for p in current.phases.all()}

    def save(prescription: prescriptions.Prescription, today: date) -> HttpResponse:
        # A maintenance start set at review carries over unless the phases are rewritten.
        rules = tuple(
            replace(rule, start_on=rule.start_on or start_on.get(index))
            for index, rule in enumerate(prescription.phases)
        )
        version = prescriptions.plan_amend(
            plan=plan,
            by=request.user,
            prescription=replace(prescription, phases=rules),
            reason=form.cleaned_data["reason"],
            today=today,
        )
        messages.success(request, f"Version {version.number} of the plan was saved.")
        return redirect("monitoring:plan_detail", plan_id=plan.pk)

    return _prescribe_page(
        request, patient=plan.patient, form=form, phases=phases, plan=plan, save=save
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_stop(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    plan = get_plan_for_staff(request.user, plan_id)
    form = forms.StopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prescriptions.plan_stop(
                plan=plan,
                by=request.user,
                reason=form.cleaned_data["reason"],
                status=PlanStatus(form.cleaned_data["outcome"]),
                today=_today(plan.patient),
            )
        except ValidationError as error:
            forms.apply_errors(error, form)
        else:
            messages.success(request, "The plan was ended and its future doses cancelled.")
            return redirect("monitoring:plan_detail", plan_id=plan.pk)
    return render(request, "plans/plan_stop.html", {"plan": plan, "form": form})


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_end_loading(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    plan = get_plan_for_staff(request.user, plan_id)
    today = _today(plan.patient)
    maintenance = plan.version.phases.filter(kind="maintenance").first()
    suggested = None
    if maintenance is not None:
        suggested = (
            schedule.add_months(today, maintenance.every) if maintenance.unit == "months" else None
        )
    form = forms.EndLoadingForm(request.POST or None, initial={"maintenance_start": suggested})
    if request.method == "POST" and form.is_valid():
        try:
            prescriptions.plan_end_loading(
                plan=plan,
                by=request.user,
                maintenance_start=form.cleaned_data["maintenance_start"],
                next_review=form.cleaned_data["next_review"],
                today=today,
            )
        except ValidationError as error:
            forms.apply_errors(error, form)
        else:
            messages.success(request, "Loading ended; maintenance doses are scheduled.")
            return redirect("monitoring:plan_detail", plan_id=plan.pk)
    return render(
        request, "plans/plan_end_loading.html", {"plan": plan, "form": form, "today": today}
    )
