"""The patient tells the clinic how they are from home: on their own page, or from the link in
an injection reminder (no sign-in; the signed link lasts 7 days)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from b12clinic.core.access import AuthenticatedRequest, patient_required
from b12clinic.core.audit import audit_read
from b12clinic.core.models import Action, Patient
from plans.access import active_plan_of, own_patient
from plans.forms import apply_errors
from plans.models import Dose, DoseStatus

from .forms import PatientCheckInForm
from .models import Answer, SymptomCheckIn
from .services.checkins import asks_came_back, checkin_from_patient, read_checkin_link

NERVE_SYMPTOMS = tuple(name for name in SymptomCheckIn.SYMPTOM_FIELDS if name != "fatigue")


def _next_dose(patient: Patient) -> Dose | None:
    plan = active_plan_of(patient)
    if plan is None:
        return None
    return (
        plan.doses.filter(status=DoseStatus.DUE)
        .select_related("phase", "plan")
        .order_by("due_date")
        .first()
    )


def _checkin(
    request: HttpRequest, *, patient: Patient, dose: Dose | None, by: User | None, link: bool
) -> HttpResponse:
    ask = dose is not None and asks_came_back(dose)
    form = PatientCheckInForm(request.POST or None, ask_came_back=ask)
    today = timezone.localdate(timezone=patient.clinic.zone)
    if request.method == "POST" and form.is_valid():
        try:
            checkin = checkin_from_patient(
                patient=patient,
                answers=form.answers(),
                today=today,
                by=by,
                dose=dose,
                came_back=form.came_back_answer(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            nerves_worse = any(getattr(checkin, name) == Answer.WORSE for name in NERVE_SYMPTOMS)
            return render(
                request,
                "monitoring/checkin_home_done.html",
                {
                    "patient": patient,
                    "clinic": patient.clinic,
                    "nerves_worse": nerves_worse,
                    "came_back": checkin.came_back_before_dose,
                    "link": link,
                },
            )
    return render(
        request,
        "monitoring/checkin_home.html",
        {"patient": patient, "clinic": patient.clinic, "form": form, "dose": dose, "link": link},
    )


@patient_required
@require_http_methods(["GET", "POST"])
def me_checkin(request: AuthenticatedRequest) -> HttpResponse:
    patient = own_patient(request.user)
    if patient is None:
        raise Http404("No patient record.")
    if request.method == "GET":
        audit_read(
            request, action=Action.VIEW, obj=patient, patient=patient, summary="Check-in opened"
        )
    return _checkin(request, patient=patient, dose=_next_dose(patient), by=request.user, link=False)


@require_http_methods(["GET", "POST"])
def checkin_link(request: HttpRequest, token: str) -> HttpResponse:
    """No sign-in: the signed token names the patient and the injection it was sent for."""
    try:
        patient, dose = read_checkin_link(token)
    except ValidationError as error:
        return render(
            request,
            "monitoring/checkin_home_invalid.html",
            {"expired": error.code == "expired"},
            status=410 if error.code == "expired" else 404,
        )
    return _checkin(request, patient=patient, dose=dose, by=None, link=True)
