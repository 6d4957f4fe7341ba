"""The reads that matter, with their query counts decided here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery

from b12clinic.core.access import staff_clinics
from b12clinic.core.models import Patient
from b12clinic.core.prepared import CompiledQuery, StandIn, as_prefetched
from plans.rules import adherence

from .models import (
    Administration,
    Dose,
    DoseNotGiven,
    DoseStatus,
    Phase,
    Plan,
    PlanOverride,
    PlanStatus,
    PlanVersion,
    ShareLink,
)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# As people write a birth date: day, month, year (17/04/1952, 17.4.1952, 17-04-1952).
WRITTEN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def patient_list(*, user: User, query: str = "") -> QuerySet[Patient]:
    """The patients of the user's clinics, searched by name, record number or date of birth,
    each with its active plan's next due date. One query, whatever the page size."""
    patients = Patient.objects.filter(clinic__in=staff_clinics(user)).select_related("clinic")
    query = query.strip()
    if query:
        written = WRITTEN_DATE.match(query)
        if ISO_DATE.match(query) or written:
            try:
                born = (
                    date(int(written[3]), int(written[2]), int(written[1]))
                    if written
                    else date.fromisoformat(query)
                )
            except ValueError:
                patients = patients.none()
            else:
                patients = patients.filter(date_of_birth=born)
        else:
            condition = Q(record_number__icontains=query)
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


def _timeline_query(plan_id: UUID, include_cancelled: bool) -> QuerySet[Dose]:
    doses = Dose.objects.filter(plan_id=plan_id).select_related("phase")
    if not include_cancelled:
        doses = doses.exclude(status=DoseStatus.CANCELLED)
    return doses.order_by("due_date", "phase__order", "sequence")


# The plan page's reads, compiled once per process (b12clinic/core/prepared.py).
_PLAN = {"plan_id": StandIn.uuid(1)}
_TIMELINE = {
    everything: CompiledQuery(
        Dose, lambda plan_id, e=everything: _timeline_query(plan_id, e), **_PLAN
    )
    for everything in (False, True)
}


def plan_timeline(*, plan: Plan, today: date, include_cancelled: bool = False) -> list[TimelineRow]:
    doses = _TIMELINE[include_cancelled].objects(plan_id=plan.pk)
    for dose in doses:
        dose.plan = plan
    return [
        TimelineRow(
            dose=dose,
            state=dose.display_status(today),
            phase_label=f"{dose.phase.kind} {dose.sequence}",
        )
        for dose in doses
    ]


# The plan page's versions, newest first, with their phases and overrides: three compiled
# queries rather than a prefetch, which cannot be compiled (the ORM's took 18% of the page).
_VERSIONS = CompiledQuery(
    PlanVersion,
    lambda plan_id: (
        PlanVersion.objects.filter(plan_id=plan_id)
        .select_related("product", "prescriber")
        .order_by("-number")
    ),
    plan_id=StandIn.uuid(1),
)
_VERSION_PHASES = CompiledQuery(
    Phase,
    lambda plan_id: Phase.objects.filter(version__plan_id=plan_id).order_by("version", "order"),
    plan_id=StandIn.uuid(1),
)
_VERSION_OVERRIDES = CompiledQuery(
    PlanOverride,
    lambda plan_id: (
        PlanOverride.objects.filter(version__plan_id=plan_id)
        .select_related("by")
        .order_by("at", "pk")
    ),
    plan_id=StandIn.uuid(1),
)


def plan_versions(*, plan: Plan) -> list[PlanVersion]:
    """Each with `phases.all()` and `overrides.all()` read with it (no query each)."""
    versions = _VERSIONS.objects(plan_id=plan.pk)
    phases: dict[UUID, list[Phase]] = {}
    for phase in _VERSION_PHASES.objects(plan_id=plan.pk):
        phases.setdefault(phase.version_id, []).append(phase)
    overrides: dict[UUID, list[PlanOverride]] = {}
    for override in _VERSION_OVERRIDES.objects(plan_id=plan.pk):
        overrides.setdefault(override.version_id, []).append(override)
    for version in versions:
        as_prefetched(version, "phases", phases.get(version.pk, []))
        as_prefetched(version, "overrides", overrides.get(version.pk, []))
    return versions


_PATIENT_PLANS = CompiledQuery(
    Plan,
    lambda patient_id: Plan.objects.filter(patient_id=patient_id).select_related(
        "current__product"
    ),
    patient_id=StandIn.uuid(1),
)
_DUE_DOSES = CompiledQuery(
    Dose,
    lambda patient_id: Dose.objects.filter(
        plan__patient_id=patient_id, status=DoseStatus.DUE
    ).order_by("due_date"),
    patient_id=StandIn.uuid(1),
)


def patient_plans(*, patient: Patient) -> list[Plan]:
    """The patient's plans, newest first, each with its open doses as `due_doses`. Two queries,
    compiled once per process (b12clinic/core/prepared.py)."""
    plans: list[Plan] = _PATIENT_PLANS.objects(patient_id=patient.pk)
    by_plan: dict[object, list[Dose]] = {plan.pk: [] for plan in plans}
    for dose in _DUE_DOSES.objects(patient_id=patient.pk):
        by_plan[dose.plan_id].append(dose)
    for plan in plans:
        plan.patient = patient
        plan.due_doses = by_plan[plan.pk]  # type: ignore[attr-defined]
        for dose in plan.due_doses:  # type: ignore[attr-defined]
            dose.plan = plan
    return plans


# --- Adherence and the record of each dose ---------------------------------------------------


@dataclass(frozen=True)
class PlanAdherence:
    overall: adherence.Adherence
    by_phase: dict[str, adherence.Adherence]
    on_time_days: int


# On the chart, the plan and the results: compiled once per process (b12clinic/core/prepared.py).
_ADHERENCE_FACTS = CompiledQuery(
    Dose,
    lambda plan_id: (
        Dose.objects.filter(plan_id=plan_id)
        .exclude(status=DoseStatus.CANCELLED)
        .values_list("phase__kind", "due_date", "status", "given_on")
    ),
    plan_id=StandIn.uuid(1),
)


def plan_adherence(*, plan: Plan, today: date) -> PlanAdherence:
    """Doses due so far, given on time (within the clinic's window), late, missed. One query."""
    facts = [
        adherence.DoseFact(phase_kind=kind, due=due, status=status, given_on=given_on)
        for kind, due, status, given_on in _ADHERENCE_FACTS.rows(plan_id=plan.pk)
    ]
    window = plan.patient.clinic.on_time_window_days
    return PlanAdherence(
        overall=adherence.adherence(facts, today=today, on_time_days=window),
        by_phase=adherence.adherence_by_phase(facts, today=today, on_time_days=window),
        on_time_days=window,
    )


@dataclass(frozen=True)
class DoseRecord:
    """What happened to one dose: the current record first, then what it replaced."""

    dose: Dose
    current: Administration | None
    history: list[Administration]
    not_given: DoseNotGiven | None

    @property
    def corrected(self) -> bool:
        return bool(self.history)


_ADMINISTRATIONS = CompiledQuery(
    Administration,
    lambda plan_id: (
        Administration.objects.filter(dose__plan_id=plan_id)
        .select_related("dose__phase", "given_by", "recorded_by", "replaces")
        .order_by("recorded_at")
    ),
    **_PLAN,
)
_NOT_GIVEN = CompiledQuery(
    DoseNotGiven,
    lambda plan_id: DoseNotGiven.objects.filter(dose__plan_id=plan_id).select_related(
        "dose__phase", "recorded_by"
    ),
    **_PLAN,
)


def plan_records(*, plan: Plan) -> list[DoseRecord]:
    """Every dose recorded as given or not given, newest first, each with its corrections."""
    chains: dict[object, list[Administration]] = {}
    for record in _ADMINISTRATIONS.objects(plan_id=plan.pk):
        chains.setdefault(record.dose_id, []).append(record)
    missed = {record.dose_id: record for record in _NOT_GIVEN.objects(plan_id=plan.pk)}
    rows = [
        DoseRecord(dose=chain[-1].dose, current=chain[-1], history=chain[-2::-1], not_given=None)
        for chain in chains.values()
    ] + [
        DoseRecord(dose=record.dose, current=None, history=[], not_given=record)
        for record in missed.values()
    ]
    return sorted(rows, key=lambda row: (row.dose.due_date, row.dose.sequence), reverse=True)


_SHARE_LINKS = CompiledQuery(
    ShareLink,
    lambda plan_id: (
        ShareLink.objects.filter(plan_id=plan_id)
        .select_related("created_by")
        .annotate(use_count=Count("uses"))
    ),
    **_PLAN,
)


def plan_share_links(*, plan: Plan, now: datetime) -> list[ShareLink]:
    links: list[ShareLink] = _SHARE_LINKS.objects(plan_id=plan.pk)
    for link in links:
        link.state_now = link.state(now)  # type: ignore[attr-defined]
    return links
