"""The reads that matter, with their query counts decided here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import Count, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from b12clinic.core.access import staff_clinics
from b12clinic.core.lookups import AnyOf
from b12clinic.core.models import Clinic, Patient
from plans.rules import adherence, sites

from .models import (
    Administration,
    Cause,
    Dose,
    DoseNotGiven,
    DoseStatus,
    Plan,
    PlanStatus,
    PlanVersion,
    ShareLink,
    Site,
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


# --- The day list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRow:
    """One patient to inject: their plan's earliest open dose up to the day."""

    dose: Dose
    days_overdue: int
    position: str
    last_site: str
    last_side: str
    suggested: sites.SiteChoice
    alert: str
    more_open: int  # later open doses of the same plan, up to the day
    recorded_today: str  # e.g. an earlier "not given" today for a dose that stays due

    @property
    def patient(self) -> Patient:
        return self.dose.plan.patient

    @property
    def version(self) -> PlanVersion:
        return self.dose.plan.version

    @property
    def last_site_display(self) -> str:
        return _site_words(self.last_site, self.last_side)

    @property
    def suggested_display(self) -> str:
        return _site_words(self.suggested.site, self.suggested.side)


@dataclass(frozen=True)
class DoneRow:
    dose: Dose
    given: Administration | None
    not_given: DoseNotGiven | None

    @property
    def patient(self) -> Patient:
        return self.dose.plan.patient

    @property
    def recorded_at(self) -> datetime:
        if self.given is not None and self.given.given_at is not None:
            return self.given.given_at
        record = self.given or self.not_given
        assert record is not None
        return record.recorded_at


@dataclass(frozen=True)
class DayList:
    clinic: Clinic
    day: date
    overdue: list[DayRow]
    due: list[DayRow]
    done: list[DoneRow]


def _site_words(site: str, side: str) -> str:
    if not site:
        return ""
    label = Site(site).label.split(" (")[0] if site in Site.values else site
    return f"{side.capitalize()} {label.lower()}".strip() if side else label


def _position(dose: Dose, missed_before: int) -> str:
    phase = dose.phase
    if phase.kind == "maintenance":
        return "maintenance"
    number = dose.sequence - missed_before
    if phase.end_rule == "after_doses" and phase.doses:
        return f"loading {number} of {phase.doses}"
    return f"loading {number}"


def _overdue_alert(dose: Dose, days_overdue: int, clinic: Clinic) -> str:
    version = dose.plan.version
    if days_overdue <= clinic.overdue_alert_days:
        return ""
    if version.neurological:
        return f"Overdue {days_overdue} days with neurological involvement: tell the clinician."
    if version.cause == Cause.PERNICIOUS_ANAEMIA:
        return f"Overdue {days_overdue} days with pernicious anaemia: tell the clinician."
    return ""


# The columns a day-list row shows or decides on. Read alone, a row of about 95 columns costs
# half as much to fetch and build (timestamps and UUIDs are parsed per column); a field left out
# here and read by a row would cost a query per row, which tests/plans/test_day_list.py counts.
_ROW_FIELDS = (
    "plan_id",
    "phase_id",
    "sequence",
    "due_date",
    "status",
    "phase__kind",
    "phase__end_rule",
    "phase__doses",
    "plan__status",
    "plan__patient_id",
    "plan__current_id",
    *(
        f"plan__patient__{name}"
        for name in (
            "record_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "allergies",
            "cobalt_or_b12_sensitivity",
            "leber_optic_neuropathy",
            "pregnant_or_breastfeeding",
            "other_conditions",
        )
    ),
    *(
        f"plan__current__{name}"
        for name in (
            "product_id",
            "dose_amount",
            "dose_unit",
            "route",
            "cause",
            "neurological",
            "self_administered",
        )
    ),
    "plan__current__product__generic_name",
)


def _open_doses(clinic: Clinic, *, lean: bool = False, **narrow: Any) -> list[Dose]:
    """Open doses of a clinic's active plans, oldest first, then by patient name, each with what
    its row needs: its phase, plan, patient and product, the patient's last injection site
    (over all their plans), and the number of doses missed before it in its phase. `lean`
    reads only the columns a day-list row uses."""
    # Two queries: the ids from the partial index, then everything else joined to them by
    # primary key. Joined in one query, PostgreSQL took the partial index's estimate (thousands
    # of rows where a clinic has a hundred) and hashed every plan and phase of every clinic
    # (bench/day_list.py). No join to plans to check their status: ending a plan cancels its
    # open doses, and the status is checked again below on the joined plan.
    ids = list(
        Dose.objects.filter(status=DoseStatus.DUE, clinic=clinic, **narrow)
        .order_by()
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    missed_before = (
        Dose.objects.filter(
            plan=OuterRef("plan"),
            phase=OuterRef("phase"),
            status=DoseStatus.NOT_GIVEN,
            sequence__lt=OuterRef("sequence"),
        )
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last = (
        Administration.objects.filter(
            dose__plan__patient=OuterRef("plan__patient"), is_void=False, replaced_by__isnull=True
        )
        .exclude(site="")
        .order_by("-given_on", "-recorded_at")
    )
    # One subquery for both: each runs once per row.
    both = last.annotate(both=Concat("site", Value("|"), "side")).values("both")[:1]
    doses = Dose.objects.filter(AnyOf(F("pk"), ids), status=DoseStatus.DUE).select_related(
        "phase", "plan__patient", "plan__current__product"
    )
    found: list[Dose] = [
        dose
        for dose in (doses.only(*_ROW_FIELDS) if lean else doses)
        .annotate(
            missed_before=Coalesce(Subquery(missed_before), 0),
            last_site_side=Subquery(both),
        )
        .order_by()
        if dose.plan.status == PlanStatus.ACTIVE
    ]
    found.sort(
        key=lambda d: (
            d.due_date,
            d.plan.patient.family_name.lower(),
            d.plan.patient.given_name.lower(),
            str(d.pk),
        )
    )
    return found


def _row(
    dose: Dose, *, day: date, clinic: Clinic, more_open: int = 0, recorded_today: str = ""
) -> DayRow:
    days_overdue = max(0, (day - dose.due_date).days)
    both: str | None = dose.last_site_side  # type: ignore[attr-defined]
    last_site, _, last_side = (both or "").partition("|")
    return DayRow(
        dose=dose,
        days_overdue=days_overdue,
        position=_position(dose, dose.missed_before),  # type: ignore[attr-defined]
        last_site=last_site or "",
        last_side=last_side or "",
        suggested=sites.suggest_site(
            route=dose.plan.version.route,
            last_site=last_site,
            last_side=last_side,
        ),
        alert=_overdue_alert(dose, days_overdue, clinic),
        more_open=more_open,
        recorded_today=recorded_today,
    )


def dose_row(*, dose: Dose, day: date) -> DayRow | None:
    """The day-list row for one open dose (for the recording pages), or None if it is not open."""
    clinic = dose.plan.patient.clinic
    found = _open_doses(clinic, pk=dose.pk)
    return _row(found[0], day=day, clinic=clinic) if found else None


def day_list(*, clinic: Clinic, day: date) -> DayList:
    """Who needs an injection on `day` at `clinic`: doses due that day and every dose still
    open from before (overdue). The same few queries whatever the number of patients."""
    open_doses = _open_doses(clinic, lean=True, due_date__lte=day)
    given = list(
        Administration.objects.filter(
            dose__clinic=clinic,
            dose__status=DoseStatus.GIVEN,
            dose__given_on=day,
            is_void=False,
            replaced_by__isnull=True,
        ).select_related("dose__plan__patient", "given_by", "recorded_by")
    )
    not_given = list(
        DoseNotGiven.objects.filter(on_date=day, dose__clinic=clinic).select_related(
            "dose__plan__patient", "recorded_by"
        )
    )
    done = [DoneRow(dose=a.dose, given=a, not_given=None) for a in given] + [
        DoneRow(dose=n.dose, given=None, not_given=n) for n in not_given
    ]
    done.sort(key=lambda row: row.recorded_at)
    not_given_today = {n.dose.plan_id: n for n in not_given}

    first: dict[UUID, Dose] = {}
    extra: dict[object, int] = {}
    for dose in open_doses:
        if dose.plan_id in first:
            extra[dose.plan_id] = extra.get(dose.plan_id, 0) + 1
        else:
            first[dose.plan_id] = dose
    overdue: list[DayRow] = []
    due: list[DayRow] = []
    for plan_id, dose in first.items():
        earlier = not_given_today.get(plan_id)
        row = _row(
            dose,
            day=day,
            clinic=clinic,
            more_open=extra.get(plan_id, 0),
            recorded_today=(
                f"Not given earlier today: {earlier.get_reason_display().lower()}"
                if earlier
                else ""
            ),
        )
        (overdue if row.days_overdue > 0 else due).append(row)
    return DayList(clinic=clinic, day=day, overdue=overdue, due=due, done=done)


# --- Adherence and the record of each dose ---------------------------------------------------


@dataclass(frozen=True)
class PlanAdherence:
    overall: adherence.Adherence
    by_phase: dict[str, adherence.Adherence]
    on_time_days: int


def plan_adherence(*, plan: Plan, today: date) -> PlanAdherence:
    """Doses due so far, given on time (within the clinic's window), late, missed. One query."""
    facts = [
        adherence.DoseFact(phase_kind=kind, due=due, status=status, given_on=given_on)
        for kind, due, status, given_on in plan.doses.exclude(
            status=DoseStatus.CANCELLED
        ).values_list("phase__kind", "due_date", "status", "given_on")
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


def plan_records(*, plan: Plan) -> list[DoseRecord]:
    """Every dose recorded as given or not given, newest first, each with its corrections."""
    chains: dict[object, list[Administration]] = {}
    for record in (
        Administration.objects.filter(dose__plan=plan)
        .select_related("dose__phase", "given_by", "recorded_by", "replaces")
        .order_by("recorded_at")
    ):
        chains.setdefault(record.dose_id, []).append(record)
    missed = {
        record.dose_id: record
        for record in DoseNotGiven.objects.filter(dose__plan=plan).select_related(
            "dose__phase", "recorded_by"
        )
    }
    rows = [
        DoseRecord(dose=chain[-1].dose, current=chain[-1], history=chain[-2::-1], not_given=None)
        for chain in chains.values()
    ] + [
        DoseRecord(dose=record.dose, current=None, history=[], not_given=record)
        for record in missed.values()
    ]
    return sorted(rows, key=lambda row: (row.dose.due_date, row.dose.sequence), reverse=True)


def plan_share_links(*, plan: Plan, now: datetime) -> list[ShareLink]:
    links: list[ShareLink] = list(
        plan.share_links.select_related("created_by").annotate(use_count=Count("uses"))
    )
    for link in links:
        link.state_now = link.state(now)  # type: ignore[attr-defined]
    return links
