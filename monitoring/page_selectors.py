"""One read per page for the pages that show a patient's whole picture: what plans records and
what monitoring follows up, side by side (monitoring/pages.py). Each returns what its template
shows, and nothing reads the database after it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from b12clinic.core.models import Patient
from plans import selectors as plan_selectors
from plans.access import active_plan_of
from plans.models import Administration, Dose, DoseStatus, Phase, Plan, PlanVersion
from plans.rules import schedule

from . import selectors
from .models import Alert, CalendarFeed, Recheck, Reminder, ReminderKind
from .rules import assessment as response_rules

UPCOMING_SHOWN = 12


RECHECKS_COMING_SHOWN = 3


@dataclass(frozen=True)
class PatientPage:
    patient: Patient
    plans: list[Plan]
    active_plan: Plan | None
    reminder_log: list[Reminder]
    alerts: list[Alert] = field(default_factory=list)
    assessment: response_rules.Assessment | None = None
    next_dose: Dose | None = None
    overdue_doses: list[Dose] = field(default_factory=list)
    rechecks_overdue: list[Recheck] = field(default_factory=list)
    rechecks_coming: list[tuple[Recheck, str]] = field(default_factory=list)
    # The overdue reminders for the earliest missed dose, newest first: whether anyone chased.
    chasers: list[Reminder] = field(default_factory=list)
    cancelled_reminders: int = 0
    show_cancelled: bool = False

    today: date | None = None

    @property
    def days_overdue(self) -> int:
        if not self.overdue_doses or self.today is None:
            return 0
        return (self.today - self.overdue_doses[0].due_date).days

    @property
    def assessment_rows(self) -> list[tuple[str, response_rules.Verdict]]:
        if self.assessment is None:
            return []
        return [
            ("Blood count", self.assessment.haematological),
            ("Nerve symptoms and tiredness", self.assessment.neurological),
            ("B12 markers", self.assessment.biochemical),
        ]

    @property
    def version(self) -> PlanVersion | None:
        plan = self.active_plan or (self.plans[0] if self.plans else None)
        return plan.current if plan else None


def patient_page(*, patient: Patient, today: date, show_cancelled: bool = False) -> PatientPage:
    """The chart: details and plans, and a summary of what needs doing: open alerts, the
    response so far, the next and any missed injection, rechecks, and who was chased."""
    plans = plan_selectors.patient_plans(patient=patient)
    active = next((p for p in plans if p.is_active), None)
    log = selectors.patient_reminders(patient=patient, cancelled=show_cancelled)
    due = list(getattr(active, "due_doses", [])) if active else []
    overdue = [d for d in due if d.due_date < today]
    rechecks = selectors.plan_rechecks(plan=active, today=today) if active else []
    found = selectors.patient_assessment(patient=patient, today=today)
    return PatientPage(
        patient=patient,
        today=today,
        plans=plans,
        active_plan=active,
        reminder_log=log,
        cancelled_reminders=selectors.patient_reminders_cancelled(patient=patient),
        show_cancelled=show_cancelled,
        alerts=list(selectors.patient_open_alerts(patient=patient)),
        assessment=found[1] if found else None,
        next_dose=next((d for d in due if d.due_date >= today), None),
        overdue_doses=overdue,
        rechecks_overdue=[r for r, state in rechecks if state == "overdue"],
        rechecks_coming=[(r, state) for r, state in rechecks if state in ("due", "pending")][
            :RECHECKS_COMING_SHOWN
        ],
        chasers=[
            r
            for r in log
            if overdue and r.kind == ReminderKind.OVERDUE and r.dose_id == overdue[0].pk
        ],
    )


@dataclass(frozen=True)
class PlanPage:
    plan: Plan
    current: PlanVersion
    versions: list[PlanVersion]
    timeline: list[Any]
    show_all: bool
    hidden_upcoming: int
    adherence: Any
    records: list[Any]
    rechecks: list[tuple[Recheck, str]]
    share_links: list[Any]
    first_open: Dose | None
    # The first open dose, when it may be recorded now: not more than the clinic's on-time
    # window before its date (recording earlier is refused).
    giveable: Dose | None = None
    awaiting_review: list[Phase] = field(default_factory=list)
    calendar_feed: CalendarFeed | None = None
    symptom_intervals: list[Any] = field(default_factory=list)

    @property
    def symptoms_asked(self) -> bool:
        return any(interval.came_back is not None for interval in self.symptom_intervals)


def plan_page(*, plan: Plan, today: date, now: datetime, show_all: bool) -> PlanPage:
    """Every past dose, and the next dozen unless the whole horizon is asked for."""
    versions = plan_selectors.plan_versions(plan=plan)
    current = versions[0]
    rows = plan_selectors.plan_timeline(plan=plan, today=today, include_cancelled=show_all)
    first_open = next((row.dose for row in rows if row.dose.status == DoseStatus.DUE), None)
    upcoming = [i for i, row in enumerate(rows) if row.dose.due_date >= today]
    hidden = 0
    if not show_all and len(upcoming) > UPCOMING_SHOWN:
        cut = upcoming[UPCOMING_SHOWN]
        hidden = len(rows) - cut
        rows = rows[:cut]
    window = timedelta(days=plan.patient.clinic.on_time_window_days)
    return PlanPage(
        plan=plan,
        current=current,
        versions=versions,
        timeline=rows,
        show_all=show_all,
        hidden_upcoming=hidden,
        adherence=plan_selectors.plan_adherence(plan=plan, today=today),
        records=plan_selectors.plan_records(plan=plan),
        rechecks=selectors.plan_rechecks(plan=plan, today=today),
        share_links=plan_selectors.plan_share_links(plan=plan, now=now),
        first_open=first_open,
        giveable=first_open if first_open and first_open.due_date <= today + window else None,
        awaiting_review=[
            phase
            for phase in current.phases.all()
            if phase.end_rule == schedule.EndRule.AT_REVIEW and phase.end_date is None
        ],
        calendar_feed=selectors.live_calendar_feed(patient=plan.patient),
        symptom_intervals=selectors.symptoms_by_interval(plan=plan),
    )


@dataclass(frozen=True)
class MePage:
    patient: Patient | None
    plan: Plan | None = None
    upcoming: list[Dose] = field(default_factory=list)
    rechecks: list[tuple[Recheck, str]] = field(default_factory=list)
    past: list[Administration] = field(default_factory=list)
    calendar_feed: CalendarFeed | None = None


def me_page(*, patient: Patient | None, today: date) -> MePage:
    """The patient's own page: the next injections, the blood tests still to come, and what was
    given."""
    if patient is None:
        return MePage(patient=None)
    plan = active_plan_of(patient)
    upcoming: list[Dose] = []
    rechecks: list[tuple[Recheck, str]] = []
    if plan is not None:
        upcoming = list(plan.doses.filter(status="due").order_by("due_date")[:8])
        rechecks = [
            (r, state)
            for r, state in selectors.plan_rechecks(plan=plan, today=today)
            if state in ("pending", "due", "overdue") and r.tests
        ]
    past = list(
        Administration.objects.filter(
            dose__plan__patient=patient,
            is_void=False,
            replaced_by__isnull=True,
            given_on__isnull=False,
        ).order_by("-given_on")[:12]
    )
    return MePage(
        patient=patient,
        plan=plan,
        upcoming=upcoming,
        rechecks=rechecks,
        past=past,
        calendar_feed=selectors.live_calendar_feed(patient=patient),
    )
