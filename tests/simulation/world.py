"""A simulated clinic run hour by hour through the same services the pages use.

Clinics in three time zones (London, Auckland, Toronto) with their own open days; a clinician
and a nurse each; patients on every regimen template who arrive, miss, come late or early, are
given doses elsewhere or inject at home, have their bloods taken (or not), and opt out of a
channel. Clinicians end loading at review, amend plans, stop them and prescribe again. Beat's
tasks run at the server's (London's) hours, as in production; each clinic works in its own.
At 23:00 in each clinic, `invariants.Checker` checks what a clinician would check.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from b12clinic.core.models import Clinic, Patient, Product
from monitoring import tasks as monitoring_tasks
from monitoring.models import Recheck
from monitoring.reminders import delivery, optout, planning
from monitoring.reminders import tasks as reminder_tasks
from monitoring.services.checkins import checkin_add
from monitoring.services.labs import Entry, lab_results_add
from plans import tasks as plans_tasks
from plans.day_list import day_list
from plans.models import Dose, DoseStatus, Plan, PlanStatus
from plans.recording.given import dose_record_given, dose_record_given_outside
from plans.recording.not_given import dose_record_not_given
from plans.rules import dosing
from plans.rules.regimens import REGIMENS
from plans.rules.schedule import EndRule, IntervalUnit, PhaseKind, add_months
from plans.services.patients import patient_create
from plans.services.prescriptions import (
    Prescription,
    plan_amend,
    plan_create,
    plan_end_loading,
    plan_stop,
    prescription_from_version,
)
from tests.conftest import make_user

from . import people
from .people import Person, Visit

SERVER_ZONE = ZoneInfo("Europe/London")
T = TypeVar("T")


@dataclass(frozen=True)
class Site:
    name: str
    zone: str
    open_weekdays: str


SITES = (
    Site("Riverside (London)", "Europe/London", "01234"),
    Site("Harbour (Auckland)", "Pacific/Auckland", "012345"),
    Site("Lakeside (Toronto)", "America/Toronto", "0123456"),
)


class SimulationFailure(AssertionError):
    pass


@dataclass
class Figures:
    doses_given: int = 0
    given_at_home: int = 0
    given_elsewhere: int = 0
    not_given: int = 0
    amendments: int = 0
    loading_ended: int = 0
    plans_stopped: int = 0
    results: int = 0
    reminders_sent: int = 0
    emails: int = 0
    texts: int = 0
    alerts: int = 0
    checks: int = 0
    days: int = 0
    seconds: float = 0.0
    by_invariant: dict[str, int] = field(default_factory=dict)


class CapturingSms:
    """The simulation's text-message gateway: keeps what it is given."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str, reference: str) -> str:
        CapturingSms.sent.append((to, body))
        return f"sim-{reference}"


@dataclass
class Simulation:
    seed: int
    days: int
    patients: int
    start: date = date(2027, 1, 4)  # a Monday; two years cross 29 Feb 2028 and 8 clock changes
    rng: random.Random = field(init=False)
    clinics: list[Clinic] = field(default_factory=list)
    clinicians: list[User] = field(default_factory=list)
    nurses: list[User] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    by_record: dict[str, Person] = field(default_factory=dict)
    figures: Figures = field(default_factory=Figures)
    touched: set[object] = field(default_factory=set)  # plans changed today, per clinic check
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # --- Setting up ---------------------------------------------------------------------

    def build(self) -> None:
        for index, site in enumerate(SITES):
            clinic = Clinic.objects.create(
                name=site.name,
                time_zone=site.zone,
                open_weekdays=site.open_weekdays,
                phone=f"01632 96{index} 000",
                email=f"clinic{index}@example.org",
            )
            self.clinics.append(clinic)
            self.clinicians.append(
                make_user(f"clinician{index}", "clinician", clinic=clinic, email=f"c{index}@x.org")
            )
            self.nurses.append(make_user(f"nurse{index}", "nurse", clinic=clinic))
        enrol_within = max(1, min(60, self.days // 2))
        for number in range(self.patients):
            person = people.draw_person(
                self.rng, number, clinics=len(self.clinics), enrol_within=enrol_within
            )
            self.people.append(person)
            self.by_record[person.record_number] = person

    # --- The clock ----------------------------------------------------------------------

    def hours(self) -> Iterator[datetime]:
        first = datetime.combine(self.start, clock_time(0), tzinfo=ZoneInfo("UTC"))
        for hour in range((self.days + 1) * 24):
            yield first + timedelta(hours=hour)

    def day_index(self, day: date) -> int:
        return (day - self.start).days

    # --- Acting through the services ----------------------------------------------------

    def act(self, person: Person, day: date, what: str, call: Callable[[], T]) -> T:
        """Run one service call; a refusal the people did not expect is a finding."""
        try:
            return call()
        except ValidationError as error:
            messages = "; ".join(error.messages)
            person.note(day, f"REFUSED {what}: {messages}")
            raise self.failure(day, person, f"The service refused to {what}: {messages}") from error

    def failure(self, day: date, person: Person | None, message: str) -> SimulationFailure:
        history = ""
        if person is not None:
            lines = "\n".join(f"  {line}" for line in person.log[-60:])
            history = f"\n\nHistory of {person.record_number} ({person.regimen}):\n{lines}"
        return SimulationFailure(
            f"Seed {self.seed}, simulated day {self.day_index(day)} ({day:%a %-d %b %Y}): "
            f"{message}{history}\n\nReplay: make simulate SEED={self.seed} DAYS={self.days} "
            f"PATIENTS={self.patients}"
        )

    # --- Server tasks (beat, at London's hours) -----------------------------------------

    def server_hour(self, local: datetime) -> None:
        # The nightly jobs' chunks, run here as the workers would run them.
        if local.hour == 2:
            for chunk in plans_tasks.extend_chunks_plan():
                plans_tasks.extend_dose_horizon_chunk(chunk)
            monitoring_tasks.lapse_rechecks()
        if local.hour == 3:
            for chunk in reminder_tasks.sync_chunks_plan():
                reminder_tasks.sync_reminders_chunk(chunk)
        # Beat runs these hourly; both are idempotent, and each clinic's hours are covered.
        if local.hour in (6, 18):
            self.figures.alerts += monitoring_tasks.raise_overdue_alerts()
        if local.hour % 3 == 0:
            planning.digests_plan(now=self.now)
        self.deliver()

    def deliver(self) -> None:
        delivery.reminders_reclaim(now=self.now)
        CapturingSms.sent.clear()
        mail.outbox.clear()
        sent = delivery.reminders_deliver(now=lambda: self.now).sent
        self.figures.reminders_sent += sent
        self.figures.emails += len(mail.outbox)
        self.figures.texts += len(CapturingSms.sent)

    # --- A clinic's day -----------------------------------------------------------------

    def clinic_hour(self, index: int, local: datetime) -> None:
        clinic = self.clinics[index]
        day = local.date()
        is_open = day.weekday() not in clinic.closed_weekdays
        if local.hour == 9 and is_open:
            for person in self._people_of(index):
                due = not person.enrolled and self.day_index(day) >= person.enrol_day
                if due or (person.restart_on is not None and person.restart_on <= day):
                    self.enrol(person, day)
        if local.hour == 10 and is_open:
            self.nurse_day(index, day)
        if local.hour == 12 and is_open:
            self.clinician_day(index, day)
        if local.hour == 14:
            self.labs_day(index, day)
        if local.hour == 19:
            self.home_day(index, day)
        if local.hour == 20:
            for person in self._people_of(index):
                if person.opt_out and person.opt_out[0] == self.day_index(day):
                    self.opt_out(person, day)

    def _people_of(self, index: int) -> list[Person]:
        return [p for p in self.people if p.clinic == index]

    def _patient(self, person: Person) -> Patient | None:
        return Patient.objects.filter(
            clinic=self.clinics[person.clinic], record_number=person.record_number
        ).first()

    def _active_plans(self, index: int) -> list[Plan]:
        """The clinic's active plans with their versions and phases, in record-number order."""
        return list(
            Plan.objects.filter(patient__clinic=self.clinics[index], status=PlanStatus.ACTIVE)
            .select_related("current__product", "patient__clinic")
            .prefetch_related("current__phases")
            .order_by("patient__record_number")
        )

    # --- Enrolment and prescribing ------------------------------------------------------

    def enrol(self, person: Person, day: date) -> None:
        clinic = self.clinics[person.clinic]
        clinician = self.clinicians[person.clinic]
        patient = self._patient(person)
        if patient is None:
            given, family = person.names
            patient = self.act(
                person,
                day,
                "add the patient",
                lambda: patient_create(
                    clinic=clinic,
                    by=clinician,
                    today=day,
                    record_number=person.record_number,
                    given_name=given,
                    family_name=family,
                    date_of_birth=date(1940, 1, 1) + timedelta(days=person.number * 97 % 21900),
                    sex=person.sex,
                    email=f"p{person.number}@example.org" if person.email else "",
                    phone=f"+4474001{person.number:05}" if person.sms else "",
                    reminder_email=person.email,
                    reminder_sms=person.sms,
                    reminder_lead_days=1,
                    reminder_hour=9,
                    allergies="",
                    cobalt_or_b12_sensitivity=False,
                    leber_optic_neuropathy=False,
                    pregnant_or_breastfeeding=False,
                    other_conditions="",
                ),
            )
            if person.self_injects:
                user = make_user(f"home{person.number}", "patient")
                patient.user = user
                patient.save(update_fields=["user"])
            person.enrolled = True
            person.note(day, "enrolled")
            # Baseline bloods on the day, before the first injection.
            if person.response == "non_responder" or self.rng.random() < 0.95:
                self.draw_labs(person, patient, day, day, BASELINE_TESTS, plan_day=0)
        regimen = REGIMENS[person.regimen if person.restart_on is None else "uk_prophylaxis"]
        product = Product.objects.get(code=regimen.product)
        prescription = Prescription(
            regimen=regimen.code,
            product=product,
            dose=dosing.parse_dose(
                regimen.dose_text, strength_mcg_per_ml=product.strength_mcg_per_ml
            ),
            route=dosing.Route(regimen.route),
            cause=person.cause,
            neurological=regimen.neurological,
            start_date=day,
            review_date=regimen.review_date(day),
            phases=regimen.phases,
        )
        plan = self.act(
            person,
            day,
            f"prescribe {regimen.code}",
            lambda: plan_create(
                patient=patient, prescriber=clinician, prescription=prescription, today=day
            ),
        )
        person.restart_on = None
        person.note(day, f"prescribed {regimen.code} (plan {str(plan.pk)[:8]})")
        self.touched.add(plan.pk)

    # --- The nurse ----------------------------------------------------------------------

    def nurse_day(self, index: int, day: date) -> None:
        clinic = self.clinics[index]
        listing = day_list(clinic=clinic, day=day)
        rows = listing.overdue + listing.due
        # The list's rows are read-only records; the services take the dose itself.
        doses = Dose.objects.select_related(
            "phase", "plan__patient", "plan__current__product"
        ).in_bulk([r.dose.pk for r in rows])
        for row in rows:
            person = self.by_record[row.patient.record_number]
            dose = doses[row.dose.pk]
            visit = self.visit_for(person, dose, day)
            if visit.kind in ("clinic", "early") and visit.on <= day:
                self.give(person, dose, day)
            elif visit.kind == "did_not_attend" and visit.on <= day:
                self.not_given(person, dose, day)
            elif visit.kind == "elsewhere" and visit.recorded_on and visit.recorded_on <= day:
                self.given_elsewhere(person, dose, day, visit.on)
        # Patients who come a day or two early for a dose not yet due.
        window = clinic.on_time_window_days
        for dose in self._earliest_open_doses(index, until=day + timedelta(days=window)):
            if dose.due_date <= day:
                continue
            person = self.by_record[dose.plan.patient.record_number]
            visit = self.visit_for(person, dose, day)
            if visit.kind == "early" and visit.on <= day:
                self.give(person, dose, day)

    def _earliest_open_doses(self, index: int, *, until: date) -> list[Dose]:
        """Each active plan's earliest open dose, if it is due by `until`. One query."""
        earliest: dict[object, Dose] = {}
        for dose in (
            Dose.objects.filter(
                clinic=self.clinics[index],
                plan__status=PlanStatus.ACTIVE,
                status=DoseStatus.DUE,
                due_date__lte=until,
            )
            .select_related("phase", "plan__current", "plan__patient__user")
            .order_by("plan__patient__record_number", "due_date")
        ):
            earliest.setdefault(dose.plan_id, dose)
        return list(earliest.values())

    def visit_for(self, person: Person, dose: Dose, day: date) -> Visit:
        key = f"{dose.pk}:{dose.due_date}"
        if key not in person.visits:
            home = dose.plan.current.self_administered  # type: ignore[union-attr]
            window = self.clinics[person.clinic].on_time_window_days
            visit = people.choose_visit(
                self.rng, person, due=dose.due_date, window=window, home=home
            )
            if visit.kind == "early":
                # Not before today, nor sooner after the last injection than the phase allows.
                last = (
                    dose.plan.doses.filter(status=DoseStatus.GIVEN)
                    .order_by("-given_on")
                    .values_list("given_on", flat=True)
                    .first()
                )
                earliest = max(
                    day, last + timedelta(days=dose.phase.min_interval_days) if last else day
                )
                visit = replace(visit, on=max(visit.on, earliest))
                if visit.on >= dose.due_date:
                    visit = Visit("clinic", visit.on)
            person.visits[key] = visit
        return person.visits[key]

    def give(self, person: Person, dose: Dose, day: date) -> None:
        nurse = self.nurses[person.clinic]
        given_at = self.now
        count = self.figures.doses_given
        self.act(
            person,
            day,
            f"record the dose due {dose.due_date} as given",
            lambda: dose_record_given(
                dose=dose,
                by=nurse,
                given_at=given_at,
                now=self.now,
                site="deltoid",
                side="left" if count % 2 else "right",
                batch="SIM1",
                expiry=day + timedelta(days=300),
                identity_confirmed=True,
                allergies_checked=True,
            ),
        )
        self.figures.doses_given += 1
        person.injected(day)
        person.note(day, f"given in clinic (due {dose.due_date})")
        self.touched.add(dose.plan_id)

    def not_given(self, person: Person, dose: Dose, day: date) -> None:
        self.act(
            person,
            day,
            f"record the dose due {dose.due_date} as not given",
            lambda: dose_record_not_given(
                dose=dose, by=self.nurses[person.clinic], reason="did_not_attend", now=self.now
            ),
        )
        self.figures.not_given += 1
        person.returns_on = day + timedelta(days=self.rng.randint(2, 9))
        # The same maintenance dose stays open: they come back for it.
        person.visits[f"{dose.pk}:{dose.due_date}"] = Visit("clinic", person.returns_on)
        person.note(day, f"did not attend (due {dose.due_date}); back {person.returns_on}")
        self.touched.add(dose.plan_id)

    def given_elsewhere(self, person: Person, dose: Dose, day: date, given_on: date) -> None:
        self.act(
            person,
            day,
            f"record the dose due {dose.due_date} as given elsewhere on {given_on}",
            lambda: dose_record_given_outside(
                dose=dose,
                by=self.nurses[person.clinic],
                setting="elsewhere",
                given_on=given_on,
                given_by_name="GP surgery",
                now=self.now,
            ),
        )
        self.figures.given_elsewhere += 1
        person.injected(given_on)
        person.note(day, f"given elsewhere on {given_on} (due {dose.due_date})")
        self.touched.add(dose.plan_id)

    def home_day(self, index: int, day: date) -> None:
        for dose in self._earliest_open_doses(index, until=day):
            if not dose.plan.current.self_administered:  # type: ignore[union-attr]
                continue
            person = self.by_record[dose.plan.patient.record_number]
            visit = self.visit_for(person, dose, day)
            if visit.kind != "home" or visit.on > day:
                continue
            self.act(
                person,
                day,
                f"record at home the dose due {dose.due_date}",
                lambda dose=dose: dose_record_given_outside(  # type: ignore[misc]
                    dose=dose,
                    by=dose.plan.patient.user,
                    setting="home",
                    given_on=day,
                    given_by_name="Self",
                    now=self.now,
                ),
            )
            self.figures.given_at_home += 1
            person.injected(day)
            person.note(day, f"injected at home (due {dose.due_date})")
            self.touched.add(dose.plan_id)

    # --- The clinician ------------------------------------------------------------------

    def clinician_day(self, index: int, day: date) -> None:
        clinician = self.clinicians[index]
        for plan in self._active_plans(index):
            person = self.by_record[plan.patient.record_number]
            version = plan.current
            assert version is not None
            phases = sorted(version.phases.all(), key=lambda phase: phase.order)
            awaiting = any(p.end_rule == EndRule.AT_REVIEW and p.end_date is None for p in phases)
            if awaiting and version.review_date and version.review_date <= day:
                self.end_loading(person, plan, day)
                continue
            roll = self.rng.random()
            if roll < 0.0015:
                self.amend(person, plan, day, phases)
            elif roll < 0.002 and not awaiting:
                self.act(
                    person,
                    day,
                    "stop the plan",
                    lambda plan=plan: plan_stop(  # type: ignore[misc]
                        plan=plan,
                        by=clinician,
                        reason="Paused: moving away for a while",
                        today=day,
                    ),
                )
                self.figures.plans_stopped += 1
                person.restart_on = day + timedelta(days=self.rng.randint(20, 60))
                person.note(day, f"plan stopped; to restart {person.restart_on}")
                self.touched.add(plan.pk)
            elif (
                person.self_injects
                and not version.self_administered
                and not awaiting
                and not plan.doses.filter(status="due", phase__kind="loading").exists()
            ):
                self.amend(person, plan, day, phases, home=True)

    def end_loading(self, person: Person, plan: Plan, day: date) -> None:
        soon = self.rng.random() < 0.3
        start = day + timedelta(days=self.rng.randint(1, 14)) if soon else add_months(day, 2)
        self.act(
            person,
            day,
            f"end loading with maintenance from {start}",
            lambda: plan_end_loading(
                plan=plan, by=self.clinicians[person.clinic], maintenance_start=start, today=day
            ),
        )
        self.figures.loading_ended += 1
        person.note(day, f"loading ended at review; maintenance from {start}")
        self.touched.add(plan.pk)

    def amend(
        self, person: Person, plan: Plan, day: date, phases: list[Any], *, home: bool = False
    ) -> None:
        version = plan.current
        assert version is not None
        rules = tuple(phase.rule() for phase in phases)
        current = prescription_from_version(version)
        if home:
            changed, why = replace(current, self_administered=True), "Trained to self-inject"
        elif (
            rules[-1].kind is PhaseKind.MAINTENANCE
            and rules[-1].unit is IntervalUnit.MONTHS
            and (self.rng.random() < 0.5)
        ):
            every = 2 if rules[-1].every != 2 else 3
            last = replace(rules[-1], every=every, min_interval_days=None)
            changed = replace(current, phases=(*rules[:-1], last))
            why = f"Maintenance every {every} months"
        else:
            text = "1000 mcg" if version.dose_unit != "mcg" else "1 mg"
            dose = dosing.parse_dose(text, strength_mcg_per_ml=version.product.strength_mcg_per_ml)
            changed, why = replace(current, dose=dose), f"Dose written as {text}"
        self.act(
            person,
            day,
            f"amend the plan ({why})",
            lambda: plan_amend(
                plan=plan,
                by=self.clinicians[person.clinic],
                prescription=changed,
                reason=why,
                today=day,
            ),
        )
        self.figures.amendments += 1
        person.note(day, f"plan amended: {why}")
        self.touched.add(plan.pk)

    # --- Bloods and check-ins -----------------------------------------------------------

    def labs_day(self, index: int, day: date) -> None:
        pending = list(
            Recheck.objects.filter(
                patient__clinic=self.clinics[index],
                plan__status=PlanStatus.ACTIVE,
                status="pending",
                opens__lte=day,
            )
            .select_related("plan__current", "patient")
            .order_by("patient__record_number", "due_date", "kind")
        )
        for recheck in pending:
            person = self.by_record[recheck.patient.record_number]
            if self._lab_day(person, recheck, day) != day:
                continue
            start = recheck.plan.current.start_date  # type: ignore[union-attr]
            if recheck.tests:
                self.draw_labs(
                    person,
                    recheck.patient,
                    day,
                    day,
                    tuple(recheck.tests),
                    plan_day=(day - start).days,
                )
            else:
                self.checkin(person, recheck.patient, day)

    def _lab_day(self, person: Person, recheck: Recheck, day: date) -> date | None:
        key = f"{recheck.pk}:{recheck.opens}"  # a window that moved is decided afresh
        if key not in person.lab_days:
            if recheck.opens > day:
                return None
            must = person.response == "non_responder" and recheck.kind in ("retics_day7", "fbc_8w")
            if not must and self.rng.random() > person.lab_attendance:
                person.lab_days[key] = None
            else:
                first = max(recheck.opens, day)
                last = max(first, recheck.closes)
                person.lab_days[key] = first + timedelta(
                    days=self.rng.randint(0, (last - first).days)
                )
        return person.lab_days[key]

    def draw_labs(
        self,
        person: Person,
        patient: Patient,
        day: date,
        collected: date,
        tests: tuple[str, ...],
        *,
        plan_day: int,
    ) -> None:
        rng = self.rng
        # The body answers the first injection: before it, every count is a baseline.
        treated = (collected - person.first_injection).days if person.first_injection else -1
        values: dict[str, Entry] = {
            "hb": Entry("hb", people.hb(person, treated, rng)),
            "mcv": Entry("mcv", people.mcv(person, treated, rng)),
            "retic_pct": Entry("retic_pct", people.retic(person, treated, rng)),
            "b12": Entry("b12", Decimal(rng.randint(60, 120) if treated < 0 else 500)),
            "folate": Entry("folate", Decimal(rng.randint(50, 120)) / 10),
            "ferritin": Entry("ferritin", Decimal(rng.randint(40, 200))),
            "ifab": Entry("ifab", qualitative=rng.choice(("positive", "negative"))),
            "potassium": Entry("potassium", Decimal(rng.randint(38, 46)) / 10),
        }
        entries = [values[code] for code in tests if code in values]
        nurse = self.nurses[person.clinic]
        self.act(
            person,
            day,
            f"enter results {', '.join(tests)}",
            lambda: lab_results_add(
                patient=patient, entries=entries, collected_on=collected, by=nurse, today=day
            ),
        )
        self.figures.results += len(entries)
        # A count that can show a response, or its absence, counted from the course's first
        # injection (a pause of weeks continues the course): reticulocytes on days 3-14,
        # haemoglobin from day 14.
        since = treated
        judged = ("retic_pct" in tests and 3 <= since <= 14) or ("hb" in tests and since >= 14)
        if judged and person.judged_on is None:
            person.judged_on = day
        shown = ", ".join(
            f"{e.test} {e.value if e.value is not None else e.qualitative}" for e in entries
        )
        person.note(day, f"bloods on plan day {plan_day} (treated {treated}): {shown}")

    def checkin(self, person: Person, patient: Patient, day: date) -> None:
        answer = "better" if person.response != "non_responder" else "same"
        answers = dict.fromkeys(
            ("fatigue", "numbness", "weakness", "balance", "vision", "memory"), "none"
        )
        answers["fatigue"] = answer
        self.act(
            person,
            day,
            "record the symptom review",
            lambda: checkin_add(
                patient=patient, answers=answers, on=day, by=self.nurses[person.clinic], today=day
            ),
        )
        person.note(day, f"symptom review: tiredness {answer}")

    def opt_out(self, person: Person, day: date) -> None:
        patient = self._patient(person)
        if patient is None or person.opt_out is None:
            return
        channel = person.opt_out[1]
        optout.reminders_opt_out(patient=patient, channel=channel, now=self.now)
        person.opted_out_at = self.now
        person.note(day, f"opted out of {channel} reminders")


BASELINE_TESTS = ("hb", "mcv", "retic_pct", "b12", "folate", "ferritin", "ifab")


def _analyze() -> None:
    """What autovacuum does for production: the whole run is one transaction, so PostgreSQL
    would otherwise plan every query for the empty tables it started with."""
    if connection.vendor == "postgresql":
        # The app's own tables only: a bare ANALYZE also locks the shared catalogs until this
        # long transaction ends, and another run on the same server would wait for it.
        tables = connection.introspection.table_names()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def run(
    sim: Simulation,
    *,
    check: Callable[[Simulation, int, date], int],
    traveller: Any,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Hour by hour: beat's tasks at London's hours, each clinic's day at its own, the
    invariants at 23:00 in each clinic."""
    sim.build()
    started = time.monotonic()
    done: set[tuple[int, date, int]] = set()
    for instant in sim.hours():
        traveller.move_to(instant)
        sim.now = instant
        server = instant.astimezone(SERVER_ZONE)
        sim.server_hour(server)
        for index, clinic in enumerate(sim.clinics):
            local = instant.astimezone(clinic.zone)
            key = (index, local.date(), local.hour)
            if key in done or sim.day_index(local.date()) >= sim.days:
                continue  # an hour the clocks went back over happens once here
            done.add(key)
            sim.clinic_hour(index, local)
            if local.hour == 23:
                sim.figures.checks += check(sim, index, local.date())
        if instant.hour == 23:
            sim.figures.days += 1
            if sim.figures.days % 7 == 0:
                _analyze()
            if progress and sim.figures.days % 30 == 0:
                f = sim.figures
                progress(
                    f"day {f.days}/{sim.days}: {f.doses_given} doses given, "
                    f"{f.checks} checks, {time.monotonic() - started:.0f} s"
                )
    sim.figures.seconds = time.monotonic() - started
