"""The nurse's day list: who needs an injection on a day at a clinic, and what was recorded.
The open rows are read as values into the small records below, not as model instances (a few
hundred rows over six tables built as models were a third of the page, bench/day_list.py). The
records carry the models' names, so templates, the CSV export and the digests read either."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from b12clinic.core.lookups import AnyOf
from b12clinic.core.medicines import format_dose
from b12clinic.core.models import Clinic
from b12clinic.core.models.clinics import listed_name
from b12clinic.core.prepared import CompiledQuery, StandIn
from plans.rules import sites

from .models import (
    Administration,
    Cause,
    Dose,
    DoseNotGiven,
    DoseStatus,
    NotGivenReason,
    Outcome,
    PlanStatus,
    Setting,
    Site,
)


@dataclass(frozen=True, slots=True)
class RowDose:
    pk: UUID
    plan_id: UUID
    sequence: int
    due_date: date


@dataclass(frozen=True, slots=True)
class RowName:
    """A patient as a list names them: the record number and the name."""

    pk: UUID
    record_number: str
    given_name: str
    family_name: str

    def __str__(self) -> str:
        return listed_name(self.family_name, self.given_name)


@dataclass(frozen=True, slots=True)
class RowPatient(RowName):
    """What a row shows of the patient: two identifiers and everything to check first."""

    date_of_birth: date
    allergies: str
    cobalt_or_b12_sensitivity: bool
    leber_optic_neuropathy: bool
    pregnant_or_breastfeeding: bool
    other_conditions: str


@dataclass(frozen=True, slots=True)
class RowVersion:
    """What a row shows of the plan's current prescription."""

    dose_amount: Decimal
    dose_unit: str
    route: str
    cause: str
    neurological: bool
    self_administered: bool
    product_name: str

    @property
    def dose_display(self) -> str:
        return format_dose(self.dose_amount, self.dose_unit)


def _columns(record: type, prefix: str, **named: str) -> list[str]:
    return [named.get(f.name, f"{prefix}{f.name}") for f in fields(record)]


_DOSE = _columns(RowDose, "")
_PATIENT = _columns(RowPatient, "plan__patient__", pk="plan__patient_id")
_VERSION = _columns(
    RowVersion, "plan__current__", product_name="plan__current__product__generic_name"
)
_PHASE = ["phase__kind", "phase__end_rule", "phase__doses", "missed_before", "last_site_side"]
_P, _V = len(_DOSE), len(_DOSE) + len(_PATIENT)
_H = _V + len(_VERSION)


@dataclass(frozen=True)
class DayRow:
    """One patient to inject: their plan's earliest open dose up to the day."""

    dose: RowDose
    patient: RowPatient
    version: RowVersion
    days_overdue: int
    position: str
    last_site: str
    last_side: str
    suggested: sites.SiteChoice
    alert: str
    more_open: int  # later open doses of the same plan, up to the day
    recorded_today: str  # e.g. an earlier "not given" today for a dose that stays due

    @property
    def last_site_display(self) -> str:
        return site_words(self.last_site, self.last_side)

    @property
    def suggested_display(self) -> str:
        return site_words(self.suggested.site, self.suggested.side)


@dataclass(frozen=True, slots=True)
class DoneRow:
    """An injection recorded on the day, or a dose recorded as not given. `administration` is
    the record to correct (None for not given); `at` the time shown, when there is one."""

    patient: RowName
    plan_id: UUID
    administration: UUID | None
    at: datetime | None
    recorded_at: datetime
    setting: str  # where it was given, when no time was recorded
    site: str
    side: str
    batch: str
    outcome: str  # the label of an outcome other than none
    reason: str  # the label of why it was not given
    detail: str
    by: str

    @property
    def given(self) -> bool:
        return self.administration is not None

    @property
    def site_display(self) -> str:
        return site_words(self.site, self.side) or "Site not recorded"


@dataclass(frozen=True)
class DayList:
    clinic: Clinic
    day: date
    overdue: list[DayRow]
    due: list[DayRow]
    done: list[DoneRow]


class _Open(NamedTuple):
    dose: RowDose
    patient: RowPatient
    version: RowVersion
    kind: str
    end_rule: str
    phase_doses: int | None
    missed_before: int
    last_site_side: str | None


_SITE_WORDS = {str(value): str(label).split(" (")[0] for value, label in Site.choices}


def site_words(site: str, side: str) -> str:
    if not site:
        return ""
    label = _SITE_WORDS.get(site, site)
    return f"{side.capitalize()} {label.lower()}".strip() if side else label


def _position(found: _Open) -> str:
    if found.kind == "maintenance":
        return "maintenance"
    number = found.dose.sequence - found.missed_before
    if found.end_rule == "after_doses" and found.phase_doses:
        return f"loading {number} of {found.phase_doses}"
    return f"loading {number}"


def _overdue_alert(version: RowVersion, days_overdue: int, clinic: Clinic) -> str:
    if days_overdue <= clinic.overdue_alert_days:
        return ""
    if version.neurological:
        return f"Overdue {days_overdue} days with neurological involvement: tell the clinician."
    if version.cause == Cause.PERNICIOUS_ANAEMIA:
        return f"Overdue {days_overdue} days with pernicious anaemia: tell the clinician."
    return ""


def _open_query(*, clinic_id: UUID, **narrow: Any) -> QuerySet[Any]:
    """Open doses of a clinic's active plans, each with what its row needs: its phase, patient
    and prescription, the patient's last injection site (over all their plans), and the number
    of doses missed before it in its phase."""
    # The ids from the partial index first, as an array, then everything else joined to them by
    # primary key. As a plain join or `IN (SELECT ...)`, PostgreSQL took the partial index's
    # estimate (thousands of rows where a clinic has a hundred) and hashed every plan and phase
    # of every clinic (bench/day_list.py).
    ids = Dose.objects.filter(status=DoseStatus.DUE, clinic_id=clinic_id, **narrow).order_by()
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
            patient=OuterRef("plan__patient"), is_void=False, replaced_by__isnull=True
        )
        .exclude(site="")
        .order_by("-given_on", "-recorded_at")
    )
    # One subquery for both: each runs once per row.
    both = last.annotate(both=Concat("site", Value("|"), "side")).values("both")[:1]
    return (
        Dose.objects.filter(
            AnyOf(F("pk"), ids.values("pk")), status=DoseStatus.DUE, plan__status=PlanStatus.ACTIVE
        )
        .annotate(
            missed_before=Coalesce(Subquery(missed_before), 0),
            last_site_side=Subquery(both),
        )
        .order_by()
        .values_list(*_DOSE, *_PATIENT, *_VERSION, *_PHASE)
    )


_OPEN_UP_TO = CompiledQuery(
    Dose,
    lambda clinic_id, day: _open_query(clinic_id=clinic_id, due_date__lte=day),
    clinic_id=StandIn.uuid(1),
    day=StandIn.date(1),
)


def _open_doses(rows: Iterable[tuple[Any, ...]]) -> list[_Open]:
    """The open doses read by `_open_query`, oldest first, then by patient name."""
    found = [
        _Open(
            RowDose(*values[:_P]),
            RowPatient(*values[_P:_V]),
            RowVersion(*values[_V:_H]),
            *values[_H:],
        )
        for values in rows
    ]
    found.sort(
        key=lambda o: (
            o.dose.due_date,
            o.patient.family_name.lower(),
            o.patient.given_name.lower(),
            str(o.dose.pk),
        )
    )
    return found


def _row(
    found: _Open, *, day: date, clinic: Clinic, more_open: int = 0, recorded_today: str = ""
) -> DayRow:
    days_overdue = max(0, (day - found.dose.due_date).days)
    last_site, _, last_side = (found.last_site_side or "").partition("|")
    return DayRow(
        dose=found.dose,
        patient=found.patient,
        version=found.version,
        days_overdue=days_overdue,
        position=_position(found),
        last_site=last_site,
        last_side=last_side,
        suggested=sites.suggest_site(
            route=found.version.route, last_site=last_site, last_side=last_side
        ),
        alert=_overdue_alert(found.version, days_overdue, clinic),
        more_open=more_open,
        recorded_today=recorded_today,
    )


# The recording pages' dose card: built by the ORM, a third of the give form's CPU.
_OPEN_ONE = CompiledQuery(
    Dose,
    lambda clinic_id, dose_id: _open_query(clinic_id=clinic_id, pk=dose_id),
    clinic_id=StandIn.uuid(1),
    dose_id=StandIn.uuid(2),
)


def dose_row(*, dose: Dose, day: date) -> DayRow | None:
    """The day-list row for one open dose (for the recording pages), or None if it is not open."""
    clinic = dose.plan.patient.clinic
    found = _open_doses(_OPEN_ONE.rows(clinic_id=clinic.pk, dose_id=dose.pk))
    return _row(found[0], day=day, clinic=clinic) if found else None


def _by(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


_NAME = ("record_number", "given_name", "family_name")


def _given_query(*, clinic_id: UUID, day: date) -> QuerySet[Any]:
    return (
        Administration.objects.filter(
            dose__clinic_id=clinic_id,
            dose__status=DoseStatus.GIVEN,
            dose__given_on=day,
            is_void=False,
            replaced_by__isnull=True,
        )
        .order_by()
        .values_list(
            "patient_id",
            *(f"patient__{f}" for f in _NAME),
            "dose__plan_id",
            "pk",
            "given_at",
            "recorded_at",
            "setting",
            "site",
            "side",
            "batch",
            "outcome",
            "given_by__first_name",
            "given_by__last_name",
            "recorded_by__username",
        )
    )


def _not_given_query(*, clinic_id: UUID, day: date) -> QuerySet[Any]:
    return (
        DoseNotGiven.objects.filter(on_date=day, dose__clinic_id=clinic_id)
        .order_by()
        .values_list(
            "dose__plan__patient_id",
            *(f"dose__plan__patient__{f}" for f in _NAME),
            "dose__plan_id",
            "recorded_at",
            "reason",
            "detail",
            "recorded_by__first_name",
            "recorded_by__last_name",
            "recorded_by__username",
        )
    )


_ON_DAY = {"clinic_id": StandIn.uuid(1), "day": StandIn.date(1)}
_GIVEN_ON = CompiledQuery(Administration, _given_query, **_ON_DAY)
_NOT_GIVEN_ON = CompiledQuery(DoseNotGiven, _not_given_query, **_ON_DAY)


def _done(clinic: Clinic, day: date) -> list[DoneRow]:
    """What was recorded on the day, in the order it happened, read as values like the open
    rows: an afternoon's list holds a hundred or more."""
    given = _GIVEN_ON.rows(clinic_id=clinic.pk, day=day)
    not_given = _NOT_GIVEN_ON.rows(clinic_id=clinic.pk, day=day)
    settings, outcomes = dict(Setting.choices), dict(Outcome.choices)
    reasons = dict(NotGivenReason.choices)
    rows = [
        DoneRow(
            patient=RowName(*v[:4]),
            plan_id=v[4],
            administration=v[5],
            at=v[6],
            recorded_at=v[7],
            setting=str(settings.get(v[8], v[8])).lower(),
            site=v[9],
            side=v[10],
            batch=v[11],
            outcome="" if v[12] == Outcome.NONE else str(outcomes.get(v[12], v[12])),
            reason="",
            detail="",
            by=_by(*v[13:]) if v[13] is not None else v[15],
        )
        for v in given
    ] + [
        DoneRow(
            patient=RowName(*v[:4]),
            plan_id=v[4],
            administration=None,
            at=v[5],
            recorded_at=v[5],
            setting="",
            site="",
            side="",
            batch="",
            outcome="",
            reason=str(reasons.get(v[6], v[6])),
            detail=v[7],
            by=_by(*v[8:]),
        )
        for v in not_given
    ]
    rows.sort(key=lambda row: row.at or row.recorded_at)
    return rows


def day_list(*, clinic: Clinic, day: date) -> DayList:
    """Who needs an injection on `day` at `clinic`: doses due that day and every dose still
    open from before (overdue). The same few queries whatever the number of patients."""
    open_doses = _open_doses(_OPEN_UP_TO.rows(clinic_id=clinic.pk, day=day))
    done = _done(clinic, day)
    not_given_today = {row.plan_id: row for row in done if not row.given}  # a plan's latest

    first: dict[UUID, _Open] = {}
    extra: dict[UUID, int] = {}
    for found in open_doses:
        plan_id = found.dose.plan_id
        if plan_id in first:
            extra[plan_id] = extra.get(plan_id, 0) + 1
        else:
            first[plan_id] = found
    overdue: list[DayRow] = []
    due: list[DayRow] = []
    for plan_id, found in first.items():
        earlier = not_given_today.get(plan_id)
        row = _row(
            found,
            day=day,
            clinic=clinic,
            more_open=extra.get(plan_id, 0),
            recorded_today=(
                f"Not given earlier today: {earlier.reason.lower()}" if earlier else ""
            ),
        )
        (overdue if row.days_overdue > 0 else due).append(row)
    return DayList(clinic=clinic, day=day, overdue=overdue, due=due, done=done)
