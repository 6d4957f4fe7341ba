"""What must hold at the end of every simulated day in every clinic. Each check is written
from the rules as the clinical reference and the design state them, not from the code that
implements them, and fails with a sentence a clinician would understand.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import vobject
from django.conf import settings
from django.db.models import Q

from b12clinic.core.audit import GENESIS
from b12clinic.core.models import AuditEvent, Patient
from monitoring.documents.calendar import EVENT_TIME, schedule_ics
from monitoring.documents.schedule import schedule_document
from monitoring.models import Alert, AlertKind, Recheck, Reminder, ReminderKind
from monitoring.reminders.planning import patient_channels
from monitoring.selectors import overdue_rechecks
from plans.day_list import day_list
from plans.models import Administration, Dose, DoseNotGiven, DoseStatus, Phase, Plan, PlanStatus
from plans.selectors import plan_adherence

from .world import Simulation

CALENDARS_READ_PER_DAY = 1  # of the plans touched today and of the others, per clinic


class Checker:
    """Remembers what the previous days looked like: calendar UIDs and the audit chain."""

    def __init__(self, seed: int) -> None:
        # Its own generator: checking must not change what the simulated people do.
        self.rng = random.Random(seed)
        self.open_by_date: dict[object, dict[date, object]] = {}  # plan -> open doses by date
        self.checked_at: dict[int, datetime] = {}
        self.clinic_of: dict[object, int] = {}
        self.changed: set[object] | None = None
        self.since: datetime | None = None
        self.audit_id = 0
        self.audit_heads: dict[str, str] = {}  # each chain's last hash

    def _changed_plans(self, sim: Simulation, index: int, day: date) -> set[object] | None:
        """The plans of the clinic with a dose written since its last check (every write sets
        `updated_at`); None, meaning every plan, on Mondays and at the first check. A plan
        none of whose doses changed cannot have broken what held for it yesterday."""
        since = self.since = self.checked_at.get(index)
        self.checked_at[index] = sim.now
        if since is None or day.weekday() == 0:
            return None
        return set(
            Dose.objects.filter(clinic=sim.clinics[index], updated_at__gte=since)
            .values_list("plan_id", flat=True)
            .distinct()
        )

    def __call__(self, sim: Simulation, index: int, day: date) -> int:
        self.changed = self._changed_plans(sim, index, day)
        checks = 0
        for name, check in (
            ("schedule", self.schedule),
            ("day list", self.day_list),
            ("reminders", self.reminders),
            ("rechecks", self.rechecks),
            ("calendar UIDs", self.uids),
            ("adherence", self.adherence),
            ("documents", self.documents),
            ("response", self.response),
            ("audit chain", self.audit),
        ):
            made = check(sim, index, day)
            sim.figures.by_invariant[name] = sim.figures.by_invariant.get(name, 0) + made
            checks += made
        return checks

    @staticmethod
    def _fail(sim: Simulation, day: date, record: str | None, message: str) -> AssertionError:
        return sim.failure(day, sim.by_record.get(record or ""), message)

    # --- Every open dose follows its plan's phases -----------------------------------------

    def schedule(self, sim: Simulation, index: int, day: date) -> int:
        clinic = sim.clinics[index]
        closed = clinic.closed_weekdays
        active = Plan.objects.filter(patient__clinic=clinic, status=PlanStatus.ACTIVE)
        if self.changed is not None:
            active = active.filter(pk__in=self.changed)
        plans = {
            plan_id: (record, version_id, start)
            for plan_id, record, version_id, start in active.values_list(
                "pk", "patient__record_number", "current_id", "current__start_date"
            )
        }
        phases: dict[object, list[Phase]] = defaultdict(list)
        for phase in Phase.objects.filter(version_id__in=[v for _, v, _ in plans.values()]):
            phases[phase.version_id].append(phase)
        rows = (
            Dose.objects.filter(plan_id__in=plans)
            .exclude(status=DoseStatus.CANCELLED)
            .order_by("plan_id", "due_date")
            .values_list("plan_id", "phase_id", "phase__order", "status", "due_date", "given_on")
        )
        checks = 0
        for plan_id, group in itertools.groupby(rows, key=lambda row: row[0]):
            record, version_id, start = plans[plan_id]
            current = {phase.pk: phase for phase in phases[version_id]}
            doses = list(group)
            given = sorted(row[5] for row in doses if row[3] == DoseStatus.GIVEN)
            open_doses = [row for row in doses if row[3] == DoseStatus.DUE]
            for _, phase_id, _, _, due, _ in open_doses:
                checks += 1
                when = f"{due:%a %-d %b %Y}"
                phase = current.get(phase_id)
                if phase is None:
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"The open dose of {when} belongs to an earlier version of the plan.",
                    )
                if due.weekday() in closed:
                    raise self._fail(
                        sim, day, record, f"A dose is due on {when}, a day the clinic is closed."
                    )
                if due < start:
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"A dose is due on {when}, before the plan started on {start:%-d %b %Y}.",
                    )
                before = [g for g in given if g <= due]
                gap = phase.min_interval_days
                if before and (due - before[-1]).days < gap:
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"The dose due {when} is only "
                        f"{(due - before[-1]).days} days after the injection given "
                        f"on {before[-1]:%-d %b %Y}; this phase needs {gap}.",
                    )
            for earlier, later in itertools.pairwise(open_doses):
                checks += 1
                if earlier[1] != later[1]:
                    continue
                phase = current[later[1]]
                spacing = (later[4] - earlier[4]).days
                between = f"Doses due {earlier[4]:%-d %b %Y} and {later[4]:%-d %b %Y}"
                if spacing < phase.min_interval_days:
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"{between} are {spacing} days apart; "
                        f"the phase needs {phase.min_interval_days}.",
                    )
                shortest, longest = _cadence(phase)
                if shortest is None:
                    continue
                slack = len(closed)
                if phase.min_interval_days <= shortest - slack and spacing < shortest - slack:
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"{between} are {spacing} days apart: "
                        f"off the plan's cadence ({phase.describe()}).",
                    )
                if spacing > max(longest + slack, phase.min_interval_days + slack):
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"{between} are {spacing} days apart: "
                        f"further than the cadence allows ({phase.describe()}).",
                    )
            for phase in current.values():
                if phase.end_rule != "after_doses":
                    continue
                counted = sum(1 for row in doses if row[2] == phase.order and row[3] != "not_given")
                checks += 1
                if any(row[2] > phase.order for row in doses) and counted != phase.doses:
                    raise self._fail(
                        sim,
                        day,
                        record,
                        f"The {phase.kind} phase prescribes "
                        f"{phase.doses} doses, but {counted} are given or planned.",
                    )
        return checks

    # --- The day list -----------------------------------------------------------------------

    def day_list(self, sim: Simulation, index: int, day: date) -> int:
        clinic = sim.clinics[index]
        listing = day_list(clinic=clinic, day=day)
        shown = {row.dose.pk for row in listing.overdue + listing.due}
        earliest: dict[object, object] = {}
        for plan_id, dose_id in (
            Dose.objects.filter(
                plan__patient__clinic=clinic,
                plan__status=PlanStatus.ACTIVE,
                status=DoseStatus.DUE,
                due_date__lte=day,
            )
            .order_by("plan_id", "due_date")
            .values_list("plan_id", "pk")
        ):
            earliest.setdefault(plan_id, dose_id)
        if shown != set(earliest.values()):
            missing = set(earliest.values()) - shown
            extra = shown - set(earliest.values())
            record = None
            for dose in Dose.objects.filter(pk__in=missing | extra).select_related("plan__patient"):
                record = dose.plan.patient.record_number
            raise self._fail(
                sim,
                day,
                record,
                f"The day list shows {len(shown)} patients; "
                f"{len(earliest)} have a dose due by today ({len(missing)} missing, "
                f"{len(extra)} that should not be there).",
            )
        for row in listing.overdue:
            if row.dose.due_date >= day:
                raise self._fail(
                    sim, day, row.patient.record_number, "A dose due today is listed as overdue."
                )
        for row in listing.overdue + listing.due:
            # The list reads the site from the patient copied onto each record; read it the long
            # way, through the patient's plans and doses.
            last = (
                Administration.objects.filter(
                    dose__plan__patient=row.patient.pk, is_void=False, replaced_by__isnull=True
                )
                .exclude(site="")
                .order_by("-given_on", "-recorded_at")
                .values_list("site", "side")
                .first()
            )
            if (row.last_site, row.last_side) != (last or ("", "")):
                raise self._fail(
                    sim,
                    day,
                    row.patient.record_number,
                    f"The day list gives the last site as {row.last_site_display!r}; "
                    f"the records say {last}.",
                )
        return len(shown) * 2 + 1

    # --- Reminders ----------------------------------------------------------------------------

    def reminders(self, sim: Simulation, index: int, day: date) -> int:
        clinic = sim.clinics[index]
        checks = 0
        # Nothing was sent today for a dose already recorded, a plan already stopped or a
        # channel already withdrawn: each compared with the moment the reminder went.
        start = datetime.combine(day, time(0), tzinfo=clinic.zone)
        sent = Reminder.objects.filter(
            clinic=clinic, status="sent", sent_at__gte=start, patient__isnull=False
        ).select_related("patient", "dose__plan", "recheck")
        for reminder in sent:
            checks += 1
            assert reminder.patient is not None and reminder.sent_at is not None
            record = reminder.patient.record_number
            what = reminder.get_kind_display().lower()
            person = sim.by_record[record]
            withdrawn = person.opted_out_at
            if (
                reminder.kind != ReminderKind.OVERDUE_CLINIC
                and withdrawn is not None
                and person.opt_out is not None
                and reminder.channel == person.opt_out[1]
                and reminder.sent_at > withdrawn
            ):
                raise self._fail(
                    sim,
                    day,
                    record,
                    f"A {what} reminder went by "
                    f"{reminder.channel} after the patient opted out of it.",
                )
            dose = reminder.dose
            if dose is None:
                continue
            if dose.plan.ended_at and dose.plan.ended_at < reminder.sent_at:
                raise self._fail(
                    sim, day, record, f"A {what} reminder went after the plan was stopped."
                )
            recorded = (
                Administration.objects.filter(
                    dose=dose,
                    replaced_by__isnull=True,
                    is_void=False,
                    recorded_at__lt=reminder.sent_at,
                ).exists()
                or DoseNotGiven.objects.filter(dose=dose, recorded_at__lt=reminder.sent_at).exists()
            )
            if recorded and reminder.kind in (ReminderKind.INJECTION_DUE, ReminderKind.OVERDUE):
                raise self._fail(
                    sim,
                    day,
                    record,
                    f"A {what} reminder for the dose due "
                    f"{dose.due_date:%-d %b %Y} went after it was recorded.",
                )
        # Every wanted injection reminder is planned exactly once.
        horizon = day + timedelta(days=settings.REMINDER_WINDOW_DAYS)
        patients = {
            p.pk: p for p in Patient.objects.filter(clinic=clinic, plans__status=PlanStatus.ACTIVE)
        }
        wanted = {
            (dose_id, due, channel)
            for dose_id, due, patient_id in Dose.objects.filter(
                plan__patient__clinic=clinic,
                plan__status=PlanStatus.ACTIVE,
                status=DoseStatus.DUE,
                due_date__gt=day,
                due_date__lt=horizon,
            ).values_list("pk", "due_date", "plan__patient_id")
            for channel in patient_channels(patients[patient_id])
        }
        planned: dict[tuple[object, date, str], int] = defaultdict(int)
        unsent: set[tuple[object, date, str]] = set()
        for dose_id, due, channel, status in Reminder.objects.filter(
            clinic=clinic,
            kind=ReminderKind.INJECTION_DUE,
            status__in=["pending", "sending", "sent"],
            for_date__gt=day,
            for_date__lt=horizon,
        ).values_list("dose_id", "for_date", "channel", "status"):
            planned[(dose_id, due, channel)] += 1
            if status != "sent":
                unsent.add((dose_id, due, channel))
        for key in wanted:
            checks += 1
            if planned.get(key, 0) != 1:
                dose = Dose.objects.select_related("plan__patient").get(pk=key[0])
                raise self._fail(
                    sim,
                    day,
                    dose.plan.patient.record_number,
                    f"The {key[2]} "
                    f"reminder for the dose due {key[1]:%-d %b %Y} is planned "
                    f"{planned.get(key, 0)} times, not once.",
                )
        # One sent before the patient opted out was wanted then; one still waiting is not.
        for key in unsent:
            if key not in wanted:
                dose = Dose.objects.select_related("plan__patient", "plan").get(pk=key[0])
                if (
                    dose.status == DoseStatus.DUE
                    and dose.plan.is_active
                    and dose.due_date == key[1]
                ):
                    raise self._fail(
                        sim,
                        day,
                        dose.plan.patient.record_number,
                        f"A {key[2]} reminder is planned for the dose due "
                        f"{key[1]:%-d %b %Y} on a channel the patient did not agree to.",
                    )
        return checks

    # --- Rechecks ------------------------------------------------------------------------------

    def rechecks(self, sim: Simulation, index: int, day: date) -> int:
        clinic = sim.clinics[index]
        stale = Recheck.objects.filter(
            patient__clinic=clinic, status="pending", lapses_on__lt=day
        ).select_related("patient")
        for recheck in stale:
            raise self._fail(
                sim,
                day,
                recheck.patient.record_number,
                f"{recheck.title} is "
                f"still open though its purpose lapsed on "
                f"{recheck.lapses_on:%-d %b %Y}.",
            )
        listed = overdue_rechecks(user=sim.clinicians[index], now=sim.now, limit=1000)
        for recheck in listed:
            if recheck.lapses_on is not None and recheck.lapses_on < day:
                raise self._fail(
                    sim,
                    day,
                    recheck.patient.record_number,
                    f"The dashboard lists {recheck.title} as overdue, but its purpose has lapsed.",
                )
        return len(listed) + 1

    # --- Calendar UIDs survive when the date does ---------------------------------------------

    def uids(self, sim: Simulation, index: int, day: date) -> int:
        doses = Dose.objects.filter(clinic=sim.clinics[index], status=DoseStatus.DUE)
        if self.changed is not None:
            doses = doses.filter(plan_id__in=self.changed)
        today: dict[object, dict[date, object]] = defaultdict(dict)
        for dose_id, plan_id, due in doses.values_list("pk", "plan_id", "due_date"):
            today[plan_id][due] = dose_id
        looked_at = (
            self.changed
            if self.changed is not None
            else {p for p, _ in self.open_by_date.items() if self.clinic_of.get(p) == index}
            | set(today)
        )
        checks = 0
        moved_on = []
        for plan_id in looked_at:
            before = self.open_by_date.get(plan_id, {})
            now_open = today.get(plan_id, {})
            checks += len(before)
            moved_on += [
                (plan_id, due, dose_id)
                for due, dose_id in before.items()
                if now_open.get(due, dose_id) != dose_id
            ]
            self.open_by_date[plan_id] = now_open
            self.clinic_of[plan_id] = index
        # A dose recorded since (given early, say) can be followed by another on its date;
        # one cancelled while still on its date, with another now there, was replaced. One
        # that moved off the date first (a late dose re-plans the rest) and was cancelled
        # later the same day (loading ended) changed its date: the calendar moved it.
        cancelled_on = dict(
            Dose.objects.filter(
                pk__in=[dose_id for _, _, dose_id in moved_on], status=DoseStatus.CANCELLED
            ).values_list("pk", "due_date")
        )
        for plan_id, due, dose_id in moved_on:
            if cancelled_on.get(dose_id) == due:
                plan = Plan.objects.select_related("patient").get(pk=plan_id)
                raise self._fail(
                    sim,
                    day,
                    plan.patient.record_number,
                    f"The dose due {due:%-d %b %Y} kept its date but was replaced by a new "
                    "one: the patient's calendar would show it cancelled and added again.",
                )
        return checks

    # --- The written schedule and the calendar file -------------------------------------------

    def documents(self, sim: Simulation, index: int, day: date) -> int:
        clinic = sim.clinics[index]
        plans = list(
            Plan.objects.filter(patient__clinic=clinic, status=PlanStatus.ACTIVE)
            .select_related("patient__clinic")
            .order_by("patient__record_number")
        )
        touched = [p for p in plans if p.pk in sim.touched]
        sim.touched -= {p.pk for p in touched}
        rechecks_written = set(
            Recheck.objects.filter(
                patient__clinic=clinic, updated_at__gte=self.since or sim.now - timedelta(days=1)
            ).values_list("plan_id", flat=True)
        )
        checks = 0
        # The blood tests on the written schedule of every plan whose rechecks changed since
        # the last check; the whole calendar file read back for one plan changed today and
        # one other, chosen by the seed: reading every calendar every day would take hours.
        read_back = {
            p.pk
            for p in self.rng.sample(touched, min(CALENDARS_READ_PER_DAY, len(touched)))
            + self.rng.sample(plans, min(CALENDARS_READ_PER_DAY, len(plans)))
        }
        chosen = {p.pk: p for p in plans if p.pk in read_back or p.pk in rechecks_written}
        for plan in chosen.values():
            checks += self._document(sim, plan, day, calendar=plan.pk in read_back)
        return checks

    def _document(self, sim: Simulation, plan: Plan, day: date, *, calendar: bool) -> int:
        record = plan.patient.record_number
        zone = plan.patient.clinic.zone
        doc = schedule_document(plan=plan, today=day)
        # Planned and still wanted, or done: a lapsed or cancelled one no longer matters.
        still_wanted = Q(status="pending") & (Q(lapses_on__isnull=True) | Q(lapses_on__gte=day))
        wanted = {
            str(pk)
            for pk in plan.rechecks.filter(still_wanted | Q(status="done")).values_list(
                "pk", flat=True
            )
        }
        listed = {lab.id for lab in doc.labs}
        if wanted != listed:
            raise self._fail(
                sim,
                day,
                record,
                f"The written schedule lists {len(listed)} blood tests; {len(wanted)} are planned.",
            )
        if not calendar:
            return 1
        read = vobject.readOne(schedule_ics(doc, now=sim.now).decode())
        events = {str(event.uid.value): event for event in read.vevent_list}
        domain = settings.REMINDER_MESSAGE_DOMAIN
        for lab_id in wanted:
            if f"recheck-{lab_id}@{domain}" not in events:
                raise self._fail(
                    sim, day, record, "A planned blood test is missing from the calendar file."
                )
        # A given dose is shown on the day it was given, every other on the day it is due; a
        # cancelled one is sent CANCELLED, so the patient's calendar drops it.
        dates, states = {}, {}
        for pk, due, given_on, status in plan.doses.values_list(
            "pk", "due_date", "given_on", "status"
        ):
            dates[f"dose-{pk}@{domain}"] = given_on if status == DoseStatus.GIVEN else due
            states[f"dose-{pk}@{domain}"] = status
        for uid, event in events.items():
            start = event.dtstart.value
            local = start.astimezone(zone)
            if local.time() != EVENT_TIME:
                raise self._fail(
                    sim,
                    day,
                    record,
                    f"The calendar shows the injection of "
                    f"{local:%-d %b %Y} at {local:%H:%M} in {zone.key}, not at "
                    f"{EVENT_TIME:%H:%M}.",
                )
            if uid in dates and local.date() != dates[uid]:
                raise self._fail(
                    sim,
                    day,
                    record,
                    f"The calendar shows the dose of {dates[uid]:%-d %b %Y} on {local:%-d %b %Y}.",
                )
            cancelled = str(event.status.value) == "CANCELLED"
            if uid in states and cancelled != (states[uid] == DoseStatus.CANCELLED):
                raise self._fail(
                    sim,
                    day,
                    record,
                    f"The calendar shows the {states[uid]} dose of {dates[uid]:%-d %b %Y} as "
                    f"{event.status.value}.",
                )
        return len(events) + 1

    # --- Adherence ----------------------------------------------------------------------------

    def adherence(self, sim: Simulation, index: int, day: date) -> int:
        """Every plan once a week; in between, the plans that changed today."""
        plans = Plan.objects.filter(
            patient__clinic=sim.clinics[index], status=PlanStatus.ACTIVE
        ).select_related("patient__clinic")
        if day.weekday() != 0:
            plans = plans.filter(pk__in=sim.touched)
        checks = 0
        for plan in plans:
            found = plan_adherence(plan=plan, today=day).overall
            rows = list(
                plan.doses.exclude(status=DoseStatus.CANCELLED).values_list("status", "due_date")
            )
            due = sum(
                1
                for status, due_on in rows
                if status == DoseStatus.GIVEN
                or (status == DoseStatus.NOT_GIVEN and due_on <= day)
                or (status == DoseStatus.DUE and due_on < day)
            )
            checks += 1
            parts = found.given + found.missed + found.overdue
            if found.due_so_far != due or parts != due:
                raise self._fail(
                    sim,
                    day,
                    plan.patient.record_number,
                    f"Adherence says "
                    f"{found.due_so_far} doses due so far ({found.given} given, "
                    f"{found.missed} not given, {found.overdue} overdue); the plan "
                    f"has {due}.",
                )
        return checks

    # --- The response -------------------------------------------------------------------------

    def response(self, sim: Simulation, index: int, day: date) -> int:
        flagged = set(
            Alert.objects.filter(
                patient__clinic=sim.clinics[index], kind=AlertKind.INADEQUATE_RESPONSE
            ).values_list("patient__record_number", flat=True)
        )
        checks = 0
        for person in sim.people:
            if person.clinic != index or not person.enrolled:
                continue
            checks += 1
            if person.response != "non_responder" and person.record_number in flagged:
                raise self._fail(
                    sim,
                    day,
                    person.record_number,
                    "A patient responding as the "
                    "reference describes was flagged as not responding.",
                )
            judged = person.judged_on
            if (
                person.response == "non_responder"
                and judged is not None
                and judged <= day
                and person.record_number not in flagged
            ):
                raise self._fail(
                    sim,
                    day,
                    person.record_number,
                    "A patient not responding "
                    "had a reticulocyte or 8-week count and was not flagged.",
                )
        return checks

    # --- The audit trail ----------------------------------------------------------------------

    def audit(self, sim: Simulation, index: int, day: date) -> int:
        rows = AuditEvent.objects.filter(id__gt=self.audit_id).order_by("id")
        checks = 0
        for row in rows.iterator(chunk_size=2000):
            if row.prev_hash != self.audit_heads.get(row.chain, GENESIS):
                raise self._fail(
                    sim,
                    day,
                    None,
                    f"The audit trail is broken at row {row.id}: "
                    "it does not point at the row before it on its chain.",
                )
            if row.compute_hash() != row.hash:
                raise self._fail(
                    sim,
                    day,
                    None,
                    f"The audit trail is broken at row {row.id}: "
                    "its content does not match its hash.",
                )
            self.audit_id, self.audit_heads[row.chain] = row.id, row.hash
            checks += 1
        return checks


def _cadence(phase: Any) -> tuple[int | None, int]:
    if phase.unit == "days":
        return phase.every, phase.every
    if phase.unit == "weeks":
        return 7 * phase.every, 7 * phase.every
    if phase.unit == "months":
        return 28 * phase.every, 31 * phase.every
    return None, 7
