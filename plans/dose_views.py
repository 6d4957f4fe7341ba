"""The nurse's pages: the day list, and recording what happened to each dose."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from b12clinic.core.access import (
    AuthenticatedRequest,
    patient_required,
    staff_clinic_list,
    staff_required,
    user_roles,
)
from b12clinic.core.audit import audit, request_ip
from b12clinic.core.models import Action, Clinic
from b12clinic.core.redirects import safe_next
from b12clinic.core.roles import CLINICIAN

from . import dose_forms
from .access import (
    get_administration_for_staff,
    get_dose_for_patient,
    get_dose_for_staff,
)
from .day_cache import rendered_day_list
from .day_list import day_list, dose_row
from .exports import day_list_csv
from .forms import apply_errors
from .models import Dose, Plan, Setting
from .recording import corrections, given, not_given, reads
from .stock import selectors as stock_selectors

# Beyond these the previous/next-day links would overflow the calendar.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _clinic_today(clinic: Clinic) -> date:
    return timezone.localdate(timezone=clinic.zone)


def _day_list_params(request: HttpRequest) -> tuple[list[Clinic], Clinic | None, date | None]:
    """The clinics the user works in, the one asked for (404 if not theirs), and the day."""
    clinics = staff_clinic_list(request.user)
    wanted = request.GET.get("clinic")
    clinic = clinics[0] if clinics else None
    if wanted:
        try:
            wanted_id = uuid.UUID(wanted)
        except ValueError as exc:
            raise Http404("No such clinic.") from exc
        clinic = next((c for c in clinics if c.pk == wanted_id), None)
        if clinic is None:
            raise Http404("No such clinic in your list.")
    day = None
    text = request.GET.get("date", "")
    if clinic is not None:
        day = _clinic_today(clinic)
        if text:
            try:
                wanted_day = date.fromisoformat(text)
                if not FIRST_DAY <= wanted_day <= LAST_DAY:
                    raise ValueError(text)
                day = wanted_day
            except ValueError:
                messages.error(
                    request, f"“{text[:20]}” is not a date (use YYYY-MM-DD): today shown."
                )
    return clinics, clinic, day


def _list_url(clinic: Clinic, day: date) -> str:
    query = urlencode({"date": day.isoformat(), "clinic": str(clinic.pk)})
    return f"{reverse('plans:today')}?{query}"


@staff_required
def today(request: AuthenticatedRequest) -> HttpResponse:
    clinics, clinic, day = _day_list_params(request)
    if clinic is None or day is None:
        return render(request, "plans/today.html", {"clinics": clinics, "listing": None})
    today, this_url = _clinic_today(clinic), _list_url(clinic, day)
    listing = rendered_day_list(
        clinic=clinic,
        day=day,
        today=today,
        next_query="next=" + quote(this_url, safe="/"),
        this_url=this_url,
    )
    return render(
        request,
        "plans/today.html",
        {
            "clinics": clinics,
            "clinic": clinic,
            "listing": listing,
            "day": day,
            "today": today,
            "previous_url": _list_url(clinic, day - timedelta(days=1)),
            "next_url": _list_url(clinic, day + timedelta(days=1)),
            "today_url": _list_url(clinic, today),
            "csv_url": f"{reverse('plans:today_csv')}?"
            + urlencode({"date": day.isoformat(), "clinic": str(clinic.pk)}),
        },
    )


@staff_required
def today_csv(request: AuthenticatedRequest) -> HttpResponse:
    _, clinic, day = _day_list_params(request)
    if clinic is None or day is None:
        raise Http404("You are not a member of any clinic.")
    listing = day_list(clinic=clinic, day=day)
    patients = [row.patient for row in listing.overdue + listing.due]
    audit(
        actor=request.user,
        action=Action.DOWNLOAD,
        object_type="plans.day_list",
        clinic=clinic,
        summary=f"Day list for {day} exported as CSV ({len(patients)} patients)",
        changes={"patients": [None, [str(p.pk) for p in patients]]},
        ip=request_ip(request),
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"day-list-{slugify(clinic.name)}-{day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(day_list_csv(listing))
    return response


def _back(request: HttpRequest, dose: Dose) -> str:
    """Where to go after recording: the list the nurse came from, else today's."""
    clinic = dose.plan.patient.clinic
    return safe_next(request, _list_url(clinic, _clinic_today(clinic)))


def _next_dose_words(plan: Plan) -> str:
    """What is true of the plan's next open dose, in the clinic's today: still overdue, due
    today, or due on a later date."""
    today = _clinic_today(plan.patient.clinic)
    upcoming = reads.first_row(reads.NEXT_OPEN, plan=plan.pk)
    if upcoming is None:
        return "No further dose is scheduled."
    (due,) = upcoming
    if due < today:
        late = (today - due).days
        return (
            f"The dose due {due:%a %-d %b %Y} is still due: it is now {late} "
            f"day{'s' if late != 1 else ''} overdue."
        )
    if due == today:
        return "The next dose is due today."
    return f"Next dose due {due:%a %-d %b %Y}."


def _dose_context(request: HttpRequest, dose: Dose) -> dict[str, Any]:
    clinic = dose.plan.patient.clinic
    return {
        "dose": dose,
        "patient": dose.plan.patient,
        "version": dose.plan.current,
        "row": dose_row(dose=dose, day=_clinic_today(clinic)),
        "next": _back(request, dose),
    }


@staff_required
@require_http_methods(["GET", "POST"])
def dose_give(request: AuthenticatedRequest, dose_id: str) -> HttpResponse:
    dose = get_dose_for_staff(request.user, dose_id)
    clinic = dose.plan.patient.clinic
    route = dose.plan.version.route
    product = dose.plan.version.product
    stock = stock_selectors.give_choices(
        clinic=clinic, product=product, today=_clinic_today(clinic)
    )
    with timezone.override(clinic.zone):
        if request.method == "POST":
            form = dose_forms.GiveForm(request.POST, route=route, stock=stock)
            if form.is_valid():
                try:
                    record = given.dose_record_given(
                        dose=dose, by=request.user, now=timezone.now(), **form.values()
                    )
                except ValidationError as error:
                    apply_errors(error, form)
                else:
                    words = f"{record.site_display}, batch {record.batch}"
                    messages.success(
                        request,
                        f"Given to {dose.plan.patient.full_name} ({words}). "
                        f"{_next_dose_words(dose.plan)}",
                    )
                    if record.outcome == "allergic_reaction":
                        messages.warning(
                            request,
                            "The allergy was added to the patient's record and a clinician "
                            "was alerted.",
                        )
                    return redirect(_back(request, dose))
        context = _dose_context(request, dose)  # the card's row: only when the form is shown
        if request.method != "POST":
            row = context["row"]
            initial: dict[str, Any] = {
                "given_at": timezone.localtime().replace(second=0, microsecond=0),
                "outcome": "none",
            }
            if row is not None:
                initial |= {"site": row.suggested.site, "side": row.suggested.side}
            last = stock_selectors.last_used(clinic=clinic, product=product, among=stock)
            if stock:
                initial["stock_batch"] = str((last or stock[0]).pk)
            form = dose_forms.GiveForm(initial=initial, route=route, stock=stock, last_used=last)
            form.fields["allergy"].widget.attrs["placeholder"] = f"e.g. {product.generic_name}"
        return render(request, "plans/dose_give.html", {**context, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def dose_not_given(request: AuthenticatedRequest, dose_id: str) -> HttpResponse:
    dose = get_dose_for_staff(request.user, dose_id)
    context = _dose_context(request, dose)
    form = dose_forms.NotGivenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            not_given.dose_record_not_given(
                dose=dose,
                by=request.user,
                reason=data["reason"],
                detail=data["detail"],
                now=timezone.now(),
            )
            words = (
                "Recorded as not given. A make-up loading dose is scheduled."
                if dose.phase.kind == "loading"
                else "Recorded as not given. A maintenance dose stays overdue until it is "
                "given or the clinician reschedules it. "
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.info(
                request, f"{dose.plan.patient.full_name}: {words} {_next_dose_words(dose.plan)}"
            )
            return redirect(context["next"])
    return render(request, "plans/dose_not_given.html", {**context, "form": form})


def _given_outside(
    request: AuthenticatedRequest, dose: Dose, *, patient_view: bool
) -> HttpResponse:
    context = _dose_context(request, dose)
    route = dose.plan.version.route
    form = dose_forms.GivenOutsideForm(
        request.POST or None,
        route=route,
        patient_view=patient_view,
        initial={"given_on": _clinic_today(dose.plan.patient.clinic)},
    )
    if CLINICIAN not in user_roles(request.user):
        form.fields.pop("override_reason", None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.setdefault("setting", Setting.HOME)
        try:
            given.dose_record_given_outside(dose=dose, by=request.user, now=timezone.now(), **data)
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, f"The dose was recorded. {_next_dose_words(dose.plan)}")
            return redirect(reverse("monitoring:me") if patient_view else context["next"])
    return render(
        request,
        "plans/dose_given_outside.html",
        {**context, "form": form, "patient_view": patient_view},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def dose_given_outside(request: AuthenticatedRequest, dose_id: str) -> HttpResponse:
    dose = get_dose_for_staff(request.user, dose_id)
    return _given_outside(request, dose, patient_view=False)


@patient_required
@require_http_methods(["GET", "POST"])
def me_given_at_home(request: AuthenticatedRequest, dose_id: str) -> HttpResponse:
    dose = get_dose_for_patient(request.user, dose_id)
    return _given_outside(request, dose, patient_view=True)


@staff_required
@require_http_methods(["GET", "POST"])
def administration_correct(request: AuthenticatedRequest, administration_id: str) -> HttpResponse:
    record = get_administration_for_staff(request.user, administration_id)
    plan = record.dose.plan
    clinic = plan.patient.clinic
    in_clinic = record.setting == Setting.CLINIC
    route = plan.version.route
    with timezone.override(clinic.zone):
        initial = {
            "given_at": timezone.localtime(record.given_at) if record.given_at else None,
            "given_on": record.given_on,
            "site": record.site,
            "side": record.side,
            "batch": record.batch,
            "expiry": record.expiry,
            "outcome": record.outcome,
            "notes": record.notes,
        }
        form = dose_forms.CorrectForm(
            request.POST or None, initial=initial, route=route, in_clinic=in_clinic
        )
        if request.method == "POST" and form.is_valid():
            try:
                corrections.administration_amend(
                    administration=record,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    allergy=form.cleaned_data["allergy"],
                    now=timezone.now(),
                    **form.changes(),
                )
            except ValidationError as error:
                apply_errors(error, form)
            else:
                messages.success(request, "The record was corrected; the original is kept.")
                return redirect(
                    safe_next(request, reverse("monitoring:plan_detail", args=[plan.pk]))
                )
        return render(
            request,
            "plans/administration_correct.html",
            {"record": record, "plan": plan, "patient": plan.patient, "form": form},
        )


@staff_required
@require_http_methods(["GET", "POST"])
def administration_void(request: AuthenticatedRequest, administration_id: str) -> HttpResponse:
    record = get_administration_for_staff(request.user, administration_id)
    plan = record.dose.plan
    form = dose_forms.VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            corrections.administration_void(
                administration=record,
                by=request.user,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, "The record was voided and the dose is due again.")
            return redirect("monitoring:plan_detail", plan_id=plan.pk)
    return render(
        request,
        "plans/administration_void.html",
        {"record": record, "plan": plan, "patient": plan.patient, "form": form},
    )
