"""The pages that show a patient's whole picture: the chart, the plan page and the patient's own
page. They stand above plans and monitoring both, so they live here; each reads through one
selector (monitoring/page_selectors.py)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from b12clinic.core.access import AuthenticatedRequest, patient_required, staff_required
from b12clinic.core.audit import audit_read
from b12clinic.core.models import Action, Patient
from plans.access import get_patient_for_staff, get_plan_for_staff, own_patient

from . import page_selectors
from .forms import RecheckAddForm


def _today(patient: Patient | None) -> date:
    if patient is None:
        return timezone.localdate()
    return timezone.localdate(timezone=patient.clinic.zone)


def _context(page: Any, **more: Any) -> dict[str, Any]:
    return {f.name: getattr(page, f.name) for f in fields(page)} | more


@staff_required
def patient_detail(request: AuthenticatedRequest, patient_id: str) -> HttpResponse:
    patient = get_patient_for_staff(request.user, patient_id)
    audit_read(request, action=Action.VIEW, obj=patient, patient=patient, summary="Chart opened")
    today = _today(patient)
    page = page_selectors.patient_page(
        patient=patient, today=today, show_cancelled=request.GET.get("reminders") == "all"
    )
    return render(
        request,
        "monitoring/patient_detail.html",
        _context(
            page,
            version=page.version,
            days_overdue=page.days_overdue,
            assessment_rows=page.assessment_rows,
        ),
    )


@staff_required
def plan_detail(request: AuthenticatedRequest, plan_id: str) -> HttpResponse:
    plan = get_plan_for_staff(request.user, plan_id)
    audit_read(request, action=Action.VIEW, obj=plan, patient=plan.patient, summary="Plan opened")
    today = _today(plan.patient)
    page = page_selectors.plan_page(
        plan=plan, today=today, now=timezone.now(), show_all=request.GET.get("all") == "1"
    )
    return render(
        request,
        "monitoring/plan_detail.html",
        _context(
            page,
            patient=plan.patient,
            recheck_form=RecheckAddForm(today=today),
            today=today,
            symptoms_asked=page.symptoms_asked,
        ),
    )


@patient_required
def me(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own page: next injection, what is coming, what was given, downloads."""
    patient = own_patient(request.user)
    if patient is not None:
        audit_read(
            request, action=Action.VIEW, obj=patient, patient=patient, summary="Own page opened"
        )
    today = _today(patient)
    page = page_selectors.me_page(patient=patient, today=today)
    return render(request, "monitoring/me.html", _context(page, today=today))
