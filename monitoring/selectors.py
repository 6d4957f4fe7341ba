"""Reads for monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from b12clinic.core.access import staff_clinic_list, staff_clinics
from b12clinic.core.models import Patient
from b12clinic.core.prepared import CompiledQuery, StandIn
from monitoring.rules import assessment, charts, rechecks, wearing_off
from plans.models import Administration, Dose, DoseStatus, Phase, Plan, PlanStatus
from plans.rules.regimens import REGIMENS
from plans.selectors import plan_adherence

from .models import (
    Alert,
    CalendarFeed,
    LabResult,
    LabTest,
    Recheck,
    Reminder,
    ReminderStatus,
    Severity,
    SymptomCheckIn,
)

_URGENCY = Case(
    When(severity=Severity.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField()
)


def open_alerts(*, user: User) -> QuerySet[Alert]:
    """Unacknowledged alerts for the user's clinics, urgent first, newest first. One query."""
    return (
        Alert.objects.filter(acknowledged_at__isnull=True, patient__clinic__in=staff_clinics(user))
        .select_related("patient")
        .annotate(urgency=_URGENCY)
        .order_by("urgency", "-created_at")
    )


_OPEN_ALERTS = CompiledQuery(
    Alert,
    lambda patient_id: (
        Alert.objects.filter(patient_id=patient_id, acknowledged_at__isnull=True)
        .annotate(urgency=_URGENCY)
        .order_by("urgency", "-created_at")
    ),
    patient_id=StandIn.uuid(1),
)


def patient_open_alerts(*, patient: Patient) -> list[Alert]:
    """The patient's unacknowledged alerts, urgent first, newest first. One query, compiled once
    per process (b12clinic/core/prepared.py)."""
    found: list[Alert] = _OPEN_ALERTS.objects(patient_id=patient.pk)
    return found


def current_results(patient: Patient | UUID) -> QuerySet[LabResult]:
    """Results as they stand: not voided, not replaced by a correction."""
    return LabResult.objects.filter(
        patient=patient, is_void=False, replaced_by__isnull=True
    ).select_related("test")


@dataclass(frozen=True)
class TestSeries:
    test: LabTest
    results: list[LabResult]  # oldest first
    chart: str  # inline SVG, already escaped

    @property
    def latest(self) -> LabResult:
        return self.results[-1]


@dataclass(frozen=True)
class PatientLabs:
    series: list[TestSeries]
    history: list[LabResult]  # every row, voids and corrections included, newest first
    rechecks: list[tuple[Recheck, str]]  # with the state today
    checkins: list[SymptomCheckIn]
    injections: list[date]


# The results page's reads, compiled once per process (b12clinic/core/prepared.py).
_LAB_HISTORY = CompiledQuery(
    LabResult,
    lambda patient_id: (
        LabResult.objects.filter(patient_id=patient_id)
        .select_related("test", "entered_by", "replaces")
        .order_by("-collected_on", "-entered_at")
    ),
    patient_id=StandIn.uuid(1),
)
_INJECTED_ON = CompiledQuery(
    Administration,
    lambda patient_id: Administration.objects.filter(
        dose__plan__patient_id=patient_id, is_void=False, replaced_by__isnull=True
    ).values_list("given_on"),
    patient_id=StandIn.uuid(1),
)
_PATIENT_RECHECKS = CompiledQuery(
    Recheck,
    lambda patient_id: (
        Recheck.objects.filter(patient_id=patient_id)
        .exclude(status="cancelled")
        .order_by("due_date")
    ),
    patient_id=StandIn.uuid(1),
)


def patient_labs(*, patient: Patient, today: date) -> PatientLabs:
    """Everything on the results page, in a fixed number of queries."""
    history = _LAB_HISTORY.objects(patient_id=patient.pk)
    replaced = {r.replaces_id for r in history if r.replaces_id}
    current = [r for r in history if not r.is_void and r.pk not in replaced]
    injections = sorted(
        given_on for (given_on,) in _INJECTED_ON.rows(patient_id=patient.pk) if given_on is not None
    )
    by_test: dict[int, list[LabResult]] = {}
    for result in sorted(current, key=lambda r: (r.collected_on, r.entered_at)):
        by_test.setdefault(result.test_id, []).append(result)
    tests = {r.test_id: r.test for r in current}
    series = [
        TestSeries(
            test=tests[test_id],
            results=results,
            chart=charts.trend_svg(
                title=tests[test_id].name,
                unit=tests[test_id].unit,
                points=[
                    charts.Point(on=r.collected_on, value=r.value)
                    for r in results
                    if r.value is not None
                ],
                band=(results[-1].range_low, results[-1].range_high),
                markers=injections,
                guideline=tests[test_id].band_rules(),
                today=today,
            )
            if not tests[test_id].qualitative
            else "",
        )
        for test_id, results in sorted(by_test.items(), key=lambda kv: tests[kv[0]].order)
    ]
    found_rechecks = _PATIENT_RECHECKS.objects(patient_id=patient.pk)
    with_state = [(r, r.state(today).value) for r in found_rechecks]
    _note_waiting_for(with_state)
    return PatientLabs(
        series=series,
        history=history,
        rechecks=with_state,
        checkins=list(
            patient.checkins.select_related("recorded_by", "dose").order_by(
                "-on_date", "-recorded_at"
            )
        ),
        injections=injections,
    )


def _note_waiting_for(found: list[tuple[Recheck, str]]) -> None:
    """Set `waiting_for` on each due or overdue recheck: the tests it still has no result for
    ("intrinsic factor antibody"). One query for all the patients concerned."""
    open_ones = [r for r, state in found if state in ("due", "overdue") and r.tests]
    results: dict[object, list[tuple[str, date]]] = {}
    if open_ones:
        for patient_id, code, collected in LabResult.objects.filter(
            patient_id__in={r.patient_id for r in open_ones},
            is_void=False,
            replaced_by__isnull=True,
        ).values_list("patient_id", "test__code", "collected_on"):
            results.setdefault(patient_id, []).append((code, collected))
    for recheck, _ in found:
        missing: tuple[str, ...] = ()
        if recheck in open_ones:
            missing = rechecks.waiting_for(
                tests=tuple(recheck.tests),
                opens=recheck.opens,
                closes=recheck.closes,
                results=results.get(recheck.patient_id, []),
            )
        recheck.waiting_for = rechecks.test_names(missing)  # type: ignore[attr-defined]


_RECHECKS = CompiledQuery(
    Recheck,
    lambda plan_id: Recheck.objects.filter(plan_id=plan_id).order_by("due_date", "kind"),
    plan_id=StandIn.uuid(1),
)


def plan_rechecks(*, plan: Plan, today: date) -> list[tuple[Recheck, str]]:
    """The plan's rechecks with their state today; due and overdue ones say what they still
    wait for. Two queries."""
    found = [(r, r.state(today).value) for r in _RECHECKS.objects(plan_id=plan.pk)]
    _note_waiting_for(found)
    return found


def overdue_rechecks(*, user: User, now: datetime, limit: int) -> list[Recheck]:
    """Pending rechecks past their window and not yet lapsed, by each clinic's own date, for
    the clinician dashboard, each with what it still waits for. Two queries."""
    found = list(
        overdue_rechecks_all(user=user, now=now)
        .select_related("patient")
        .order_by("closes")[:limit]
    )
    _note_waiting_for([(r, "overdue") for r in found])
    return found


def overdue_rechecks_all(*, user: User, now: datetime) -> QuerySet[Recheck]:
    clinics = staff_clinic_list(user)
    if not clinics:
        return Recheck.objects.none()
    in_window = Q()
    for clinic in clinics:
        today = timezone.localdate(now, timezone=clinic.zone)
        in_window |= Q(patient__clinic=clinic, closes__lt=today) & (
            Q(lapses_on__isnull=True) | Q(lapses_on__gte=today)
        )
    return Recheck.objects.filter(in_window, status="pending", plan__status=PlanStatus.ACTIVE)


# The assessment's reads, on the chart and the results: compiled once per process
# (b12clinic/core/prepared.py).
_PATIENT = {"patient_id": StandIn.uuid(1)}
_ASSESSED_PLAN = CompiledQuery(
    Plan,
    lambda patient_id: (
        Plan.objects.filter(patient_id=patient_id)
        .select_related("current")
        .order_by(Case(When(status=PlanStatus.ACTIVE, then=Value(0)), default=Value(1)), "-id")[:1]
    ),
    **_PATIENT,
)
_PHASES = CompiledQuery(
    Phase,
    lambda version_id: Phase.objects.filter(version_id=version_id),
    version_id=StandIn.uuid(1),
)
_CURRENT_RESULTS = CompiledQuery(
    LabResult, lambda patient_id: current_results(patient_id), **_PATIENT
)
_CHECKINS = CompiledQuery(
    SymptomCheckIn,
    lambda patient_id: SymptomCheckIn.objects.filter(patient_id=patient_id),
    **_PATIENT,
)
_GIVEN_ON = CompiledQuery(
    Dose,
    lambda patient_id: Dose.objects.filter(
        plan__patient_id=patient_id, status=DoseStatus.GIVEN
    ).values_list("given_on"),
    **_PATIENT,
)


def patient_assessment(
    *, patient: Patient, today: date
) -> tuple[Plan, assessment.Assessment] | None:
    """The response assessment for the patient's active plan (or their latest plan)."""
    plan = next(iter(_ASSESSED_PLAN.objects(patient_id=patient.pk)), None)
    if plan is None or plan.current is None:
        return None
    plan.patient = patient
    version = plan.version
    regimen = REGIMENS.get(version.regimen)
    phases = _PHASES.objects(version_id=version.pk)
    results = [
        assessment.Result(
            ref=str(r.pk),
            test=r.test.code,
            on=r.collected_on,
            value=r.value,
            unit=r.test.unit,
            low=r.lab_low if r.lab_low is not None or r.lab_high is not None else r.range_low,
            high=r.lab_high if r.lab_low is not None or r.lab_high is not None else r.range_high,
            qualitative=r.qualitative,
            band=r.band,
        )
        for r in _CURRENT_RESULTS.objects(patient_id=patient.pk)
    ]
    checkins = [
        assessment.CheckIn(ref=str(c.pk), on=c.on_date, answers=c.answers())
        for c in _CHECKINS.objects(patient_id=patient.pk)
    ]
    given = [day for (day,) in _GIVEN_ON.rows(patient_id=patient.pk) if day is not None]
    treatment = assessment.Treatment(
        first_injection=assessment.course_start(given, gap_days=assessment.Rules().course_gap_days),
        start=version.start_date,
        dose_mcg=version.dose_mcg,
        route=version.route,
        regimen=regimen.title if regimen else "",
        regimen_dose_mcg=regimen.dose_mcg if regimen else None,
        cause=version.cause,
        lifelong=any(p.kind == "maintenance" and p.end_rule == "never" for p in phases),
    )
    return plan, assessment.assess(
        treatment=treatment,
        results=results,
        checkins=checkins,
        adherence=plan_adherence(plan=plan, today=today).overall,
        today=today,
    )


REMINDERS_SHOWN = 30


def _reminder_log(patient_id: UUID, cancelled: bool) -> QuerySet[Reminder]:
    found = Reminder.objects.filter(patient_id=patient_id).order_by("-send_at")
    if not cancelled:
        found = found.exclude(status=ReminderStatus.CANCELLED)
    return found[:REMINDERS_SHOWN]


_REMINDER_LOG = {
    cancelled: CompiledQuery(
        Reminder, lambda patient_id, c=cancelled: _reminder_log(patient_id, c), **_PATIENT
    )
    for cancelled in (False, True)
}


def patient_reminders(*, patient: Patient, cancelled: bool = False) -> list[Reminder]:
    """The reminder log on the patient's page: the last `REMINDERS_SHOWN`, newest first. One
    query. Without `cancelled`, the reminders cancelled before they went are left out:
    recording a run of past doses plans and cancels a chaser for each, which would bury what
    was really sent."""
    found: list[Reminder] = _REMINDER_LOG[cancelled].objects(patient_id=patient.pk)
    return found


_CANCELLED_COUNT = CompiledQuery(
    Reminder,
    lambda patient_id: (
        Reminder.objects.filter(patient_id=patient_id, status=ReminderStatus.CANCELLED)
        .values("patient_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    ),
    **_PATIENT,
)


def patient_reminders_cancelled(*, patient: Patient) -> int:
    found = _CANCELLED_COUNT.rows(patient_id=patient.pk)
    return int(found[0][0]) if found else 0


_LIVE_FEED = CompiledQuery(
    CalendarFeed,
    lambda patient_id: CalendarFeed.objects.filter(
        patient_id=patient_id, revoked_at__isnull=True
    ).order_by("pk")[:1],
    **_PATIENT,
)


def live_calendar_feed(*, patient: Patient) -> CalendarFeed | None:
    return next(iter(_LIVE_FEED.objects(patient_id=patient.pk)), None)


_MAINTENANCE_DOSES = CompiledQuery(
    Dose,
    lambda plan_id: (
        Dose.objects.filter(plan_id=plan_id, phase__kind="maintenance")
        .exclude(status=DoseStatus.CANCELLED)
        .values_list("pk", "due_date")
    ),
    plan_id=StandIn.uuid(1),
)
_CAME_BACK = CompiledQuery(
    SymptomCheckIn,
    lambda plan_id: (
        SymptomCheckIn.objects.filter(plan_id=plan_id, came_back_before_dose__isnull=False)
        .order_by("on_date", "recorded_at")
        .values_list("dose_id", "came_back_before_dose")
    ),
    plan_id=StandIn.uuid(1),
)


def symptoms_by_interval(*, plan: Plan) -> list[wearing_off.Interval]:
    """Each maintenance dose of the plan with the patient's latest answer about the weeks
    before it. Two queries."""
    doses = [(str(pk), due) for pk, due in _MAINTENANCE_DOSES.rows(plan_id=plan.pk)]
    answers: dict[str, bool] = {}
    for dose_id, came_back in _CAME_BACK.rows(plan_id=plan.pk):
        answers[str(dose_id)] = bool(came_back)
    return wearing_off.intervals(doses, answers)
