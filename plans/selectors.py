"""The reads that matter, with their query counts decided here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Min, OuterRef, Prefetch, Q, QuerySet, Subquery

from .access import staff_clinics
from .models import Dose, DoseStatus, Patient, Plan, PlanStatus, PlanVersion

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def patient_list(*, user: AbstractBaseUser, query: str = "") -> QuerySet[Patient]:
    """The patients of the user's clinics, searched by name, record number or date of birth,
    each with its active plan's next due date. One query, whatever the page size."""
    patients = Patient.objects.filter(clinic__in=staff_clinics(user)).select_related("clinic")
    query = query.strip()
    if query:
        if ISO_DATE.match(query):
            try:
                patients = patients.filter(date_of_birth=date.fromisoformat(query))
            except ValueError:
                patients = patients.none()
        else:
            condition = Q(record_number__iexact=query)
            for word in query.split():
                condition |= Q(given_name__icontains=word) | Q(family_name__icontains=word)
            patients = patients.filter(condition)
    active_plans = Plan.objects.filter(patient=OuterRef("pk"), status=PlanStatus.ACTIVE)
    return patients.annotate(
        next_due=Min(
            "plans__doses__due_date",
            filter=Q(plans__status=PlanStatus.ACTIVE, plans__doses__status=DoseStatus.DUE),
        ),
        active_regimen=Subquery(active_plans.values("current__regimen")[:1]),
    ).order_by("family_name", "given_name", "pk")


@dataclass(frozen=True)
class TimelineRow:
    dose: Dose
    state: str  # given / due / overdue / not_given / cancelled
    phase_label: str


def plan_timeline(*, plan: Plan, today: date, include_cancelled: bool = False) -> list[TimelineRow]:
    doses = plan.doses.select_related("phase").order_by("due_date", "phase__order", "sequence")
    if not include_cancelled:
        doses = doses.exclude(status=DoseStatus.CANCELLED)
    return [
        TimelineRow(
            dose=dose,
            state=dose.display_status(today),
            phase_label=f"{dose.phase.kind} {dose.sequence}",
        )
        for dose in doses
    ]


def plan_versions(*, plan: Plan) -> list[PlanVersion]:
    return list(
        plan.versions.select_related("product", "prescriber")
        .prefetch_related("phases", "overrides__by")
        .order_by("-number")
    )


def patient_plans(*, patient: Patient) -> list[Plan]:
    return list(
        patient.plans.select_related("current__product").prefetch_related(
            Prefetch(
                "doses",
                queryset=Dose.objects.filter(status=DoseStatus.DUE).order_by("due_date"),
                to_attr="due_doses",
            )
        )
    )
