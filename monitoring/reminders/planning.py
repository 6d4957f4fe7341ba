"""Keeping the outbox in step: which reminders a patient (and a clinic's staff) should get, and
when. Called through the hooks whenever what a patient should be reminded of changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from b12clinic.core.models import Clinic, Patient
from b12clinic.core.prepared import CompiledQuery, StandIn
from plans.models import Dose, DoseStatus, Plan, PlanStatus

from ..models import (
    Channel,
    Recheck,
    RecheckStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from . import times as reminder_times

PATIENT_KINDS = (
    ReminderKind.INJECTION_DUE,
    ReminderKind.RECHECK_DUE,
    ReminderKind.OVERDUE,
    ReminderKind.OVERDUE_CLINIC,
)


@dataclass(frozen=True)
class Wanted:
    kind: ReminderKind
    channel: Channel
    send_at: datetime
    for_date: date
    dose_id: UUID | None = None
    recheck_id: UUID | None = None
    note: str = ""


def patient_channels(patient: Patient) -> list[Channel]:
    if patient.reminders_opted_out_at is not None:
        return []
    wanted = []
    if patient.reminder_email:
        wanted.append(Channel.EMAIL)
    if patient.reminder_sms:
        wanted.append(Channel.SMS)
    return wanted


def _at(clinic: Clinic, when: datetime, now: datetime) -> tuple[datetime, str]:
    """Not before now, and not in the clinic's quiet hours."""
    when = max(when, now)
    moved = reminder_times.after_quiet_hours(
        when, zone=clinic.zone, start=clinic.quiet_from, end=clinic.quiet_until
    )
    return moved, ("Held until quiet hours end." if moved != when else "")


@dataclass(frozen=True)
class OpenDose:
    id: UUID
    plan_id: UUID
    due_date: date


@dataclass(frozen=True)
class OpenRecheck:
    id: UUID
    due_date: date


def _wanted(
    patient: Patient, now: datetime, doses: list[OpenDose], rechecks: list[OpenRecheck]
) -> dict[str, Wanted]:
    """What the patient should be reminded of, from their open doses of active plans (in date
    order) and pending rechecks with tests."""
    clinic = patient.clinic
    zone = clinic.zone
    today = now.astimezone(zone).date()
    horizon = today + timedelta(days=settings.REMINDER_WINDOW_DAYS)
    channels = patient_channels(patient)
    found: dict[str, Wanted] = {}

    def send_at(due: date, lead_days: int) -> tuple[datetime, str]:
        planned = reminder_times.send_time(
            due=due, lead_days=lead_days, hour=patient.reminder_hour, zone=zone
        )
        return _at(clinic, planned, now)

    earliest_open: dict[UUID, OpenDose] = {}
    for dose in doses:
        if dose.due_date > horizon:
            continue
        earliest_open.setdefault(dose.plan_id, dose)
        if dose.due_date < today:
            continue
        when, note = send_at(dose.due_date, patient.reminder_lead_days)
        for channel in channels:
            found[f"injection_due:{dose.id}:{dose.due_date}:{channel}"] = Wanted(
                ReminderKind.INJECTION_DUE, channel, when, dose.due_date, dose_id=dose.id, note=note
            )
    for dose in earliest_open.values():
        if dose.due_date >= today:
            continue
        when, note = send_at(dose.due_date + timedelta(days=clinic.overdue_reminder_days), 0)
        for channel in channels:
            found[f"overdue:{dose.id}:{channel}"] = Wanted(
                ReminderKind.OVERDUE, channel, when, dose.due_date, dose_id=dose.id, note=note
            )
        found[f"overdue_clinic:{dose.id}"] = Wanted(
            ReminderKind.OVERDUE_CLINIC, Channel.EMAIL, when, dose.due_date, dose_id=dose.id
        )

    for recheck in rechecks:
        if not today <= recheck.due_date <= horizon:
            continue
        when, note = send_at(recheck.due_date, patient.reminder_lead_days)
        for channel in channels:
            found[f"recheck_due:{recheck.id}:{recheck.due_date}:{channel}"] = Wanted(
                ReminderKind.RECHECK_DUE,
                channel,
                when,
                recheck.due_date,
                recheck_id=recheck.id,
                note=note,
            )
    return found


class Held(NamedTuple):
    pk: UUID
    status: str
    send_at: datetime


@dataclass
class Synced:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


NO_LONGER_DUE = "No longer due: the dose, recheck, plan or preferences changed."


def _open_doses(scope: Q, until: date) -> QuerySet[Dose, tuple[UUID, UUID, UUID, date]]:
    return (
        Dose.objects.filter(
            scope, plan__status=PlanStatus.ACTIVE, status=DoseStatus.DUE, due_date__lte=until
        )
        .order_by("due_date", "sequence")
        .values_list("pk", "plan_id", "plan__patient_id", "due_date")
    )


def _open_rechecks(
    scope: Q, since: date, until: date
) -> QuerySet[Recheck, tuple[UUID, UUID, date]]:
    return (
        Recheck.objects.filter(
            scope,
            status=RecheckStatus.PENDING,
            plan__status=PlanStatus.ACTIVE,
            due_date__gte=since,
            due_date__lte=until,
        )
        .exclude(tests=[])
        .values_list("pk", "patient_id", "due_date")
    )


# One patient's, after every dose recorded or voided and every plan changed: compiled once.
_ONES_DOSES = CompiledQuery(
    Dose,
    lambda patient, until: _open_doses(Q(plan__patient_id=patient), until),
    patient=StandIn.uuid(1),
    until=StandIn.date(1),
)
_ONES_RECHECKS = CompiledQuery(
    Recheck,
    lambda patient, since, until: _open_rechecks(Q(patient_id=patient), since, until),
    patient=StandIn.uuid(1),
    since=StandIn.date(1),
    until=StandIn.date(2),
)


def _sync(
    patients: list[Patient], scope: Callable[[str], Q], now: datetime, one: UUID | None = None
) -> Synced:
    """Make the unsent reminders of `patients` match their plans, rechecks and preferences, in
    a fixed number of queries however many patients there are. `scope(path)` narrows a query to
    these patients through the patient field at `path`; `one`, the one patient's id, reads
    through the compiled queries instead. Runs in the caller's transaction."""
    by_id = {patient.pk: patient for patient in patients}
    if not by_id:
        return Synced()
    # The latest horizon of any clinic here; each patient's own is applied in `_wanted`.
    until = now.date() + timedelta(days=settings.REMINDER_WINDOW_DAYS + 1)
    since = now.date() - timedelta(days=1)
    if one is not None:
        dose_rows = _ONES_DOSES.rows(patient=one, until=until)
        recheck_rows = _ONES_RECHECKS.rows(patient=one, since=since, until=until)
    else:
        dose_rows = list(_open_doses(scope("plan__patient"), until))
        recheck_rows = list(_open_rechecks(scope("patient"), since, until))
    doses: dict[UUID, list[OpenDose]] = defaultdict(list)
    for dose_id, plan_id, patient_id, due in dose_rows:
        doses[patient_id].append(OpenDose(dose_id, plan_id, due))
    rechecks: dict[UUID, list[OpenRecheck]] = defaultdict(list)
    for recheck_id, patient_id, due in recheck_rows:
        rechecks[patient_id].append(OpenRecheck(recheck_id, due))

    wanted: dict[str, tuple[Patient, Wanted]] = {}
    for patient in patients:
        for key, want in _wanted(patient, now, doses[patient.pk], rechecks[patient.pk]).items():
            wanted[key] = (patient, want)
    # Plain tuples: on a quiet night every pending reminder is read and almost none changes.
    existing: dict[str, Held] = {
        key: Held(pk, status, send_at)
        for pk, patient_id, key, status, send_at in Reminder.objects.select_for_update()
        .filter(scope("patient"), kind__in=PATIENT_KINDS)
        .filter(Q(status=ReminderStatus.PENDING) | Q(dedupe_key__in=list(wanted)))
        .values_list("pk", "patient_id", "dedupe_key", "status", "send_at")
        if patient_id in by_id
    }

    result = Synced()
    cancel = [
        r.pk
        for key, r in existing.items()
        if r.status == ReminderStatus.PENDING and key not in wanted
    ]
    if cancel:
        Reminder.objects.filter(pk__in=cancel).update(
            status=ReminderStatus.CANCELLED, note=NO_LONGER_DUE, updated_at=now
        )
    result.cancelled = len(cancel)
    new: list[Reminder] = []
    changed: list[Reminder] = []
    for key, (patient, want) in wanted.items():
        found = existing.get(key)
        if found is None:
            new.append(
                Reminder(
                    kind=want.kind,
                    channel=want.channel,
                    clinic_id=patient.clinic_id,
                    patient=patient,
                    dose_id=want.dose_id,
                    recheck_id=want.recheck_id,
                    for_date=want.for_date,
                    send_at=want.send_at,
                    attempt_at=want.send_at,
                    dedupe_key=key,
                    note=want.note,
                )
            )
        elif found.status == ReminderStatus.PENDING and _moved(found.send_at, want.send_at, now):
            result.moved += 1
        elif found.status == ReminderStatus.CANCELLED:
            # Wanted again (consent given back, a plan resumed): the same row, so one key
            # can never be sent twice.
            result.created += 1
        else:
            continue
        if found is not None:
            changed.append(
                Reminder(
                    pk=found.pk,
                    status=ReminderStatus.PENDING,
                    send_at=want.send_at,
                    attempt_at=want.send_at,
                    note=want.note,
                    updated_at=now,
                )
            )
    _update(changed, now)
    # A concurrent sync of the same patient may have written a key first: its row stands.
    Reminder.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    result.created += len(new)
    return result


def _moved(held: datetime, wanted: datetime, now: datetime) -> bool:
    """A new time, unless the reminder is due now either way: the outbox sends it at its next
    tick, and a failed attempt keeps its wait before the next."""
    return held != wanted and not (held <= now and wanted <= now)


def _update(rows: list[Reminder], now: datetime) -> None:
    """Pending again, at the new time, in one statement per thousand rows. Django's bulk_update
    writes a CASE with a branch per row, which PostgreSQL tries row by row: 2,000 moves took
    longer than planning 100k patients."""
    if connection.vendor != "postgresql":
        Reminder.objects.bulk_update(
            rows, ["status", "send_at", "attempt_at", "note", "updated_at"], batch_size=500
        )
        return
    table = Reminder._meta.db_table
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        values = ", ".join(["(%s::uuid, %s::timestamptz, %s)"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS r SET status = %s, send_at = v.send_at, "
                "attempt_at = v.send_at, note = v.note, updated_at = %s "
                f"FROM (VALUES {values}) AS v (id, send_at, note) WHERE r.id = v.id",
                [
                    ReminderStatus.PENDING,
                    now,
                    *(value for row in batch for value in (row.pk, row.send_at, row.note)),
                ],
            )


def reminders_sync_for_patient(*, patient: Patient, now: datetime | None = None) -> Synced:
    """Make the patient's unsent reminders match their plans, rechecks and preferences. Call it
    inside the transaction that changed them."""
    return _sync(
        [patient],
        lambda path: Q(**{f"{path}_id": patient.pk}),
        now or timezone.now(),
        one=patient.pk,
    )


def _with_active_plan() -> Exists:
    return Exists(Plan.objects.filter(patient=OuterRef("pk"), status=PlanStatus.ACTIVE))


def patients_to_sync() -> list[str]:
    """The keys the nightly sync is cut by: every patient with an active plan, in id order."""
    return [
        str(pk)
        for pk in Patient.objects.filter(_with_active_plan())
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def reminders_sync_range(*, first: str, last: str, now: datetime | None = None) -> int:
    """One nightly chunk, set-based: the patients with an active plan whose id is in
    [first, last], all in one transaction and a handful of queries. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        patients = list(
            Patient.objects.filter(_with_active_plan(), pk__gte=first, pk__lte=last)
            .select_related("clinic")
            .order_by("pk")
        )
        _sync(
            patients,
            lambda path: Q(**{f"{path}_id__gte": first, f"{path}_id__lte": last}),
            now,
        )
    return len(patients)


def reminders_sync_all(*, now: datetime | None = None, size: int = 2000) -> int:
    """Every patient with an active plan, range by range (the nightly task fans the same ranges
    out to workers). Returns the number of patients."""
    keys = patients_to_sync()
    for start in range(0, len(keys), size):
        reminders_sync_range(
            first=keys[start], last=keys[min(start + size, len(keys)) - 1], now=now
        )
    return len(keys)


def digests_plan(*, now: datetime | None = None) -> int:
    """Hourly: the nurses' morning list and the clinicians' summary for today, one each per
    staff member with an email address, at the clinic's digest hours. Idempotent, and four
    queries however many clinics there are."""
    from b12clinic.core.roles import CLINICIAN, NURSE

    now = now or timezone.now()
    kinds = {NURSE: ReminderKind.NURSE_DIGEST, CLINICIAN: ReminderKind.CLINICIAN_DIGEST}
    due: dict[tuple[object, str], tuple[Clinic, date, datetime]] = {}
    for clinic in Clinic.objects.all():
        today = now.astimezone(clinic.zone).date()
        for role, hour in (
            (NURSE, clinic.nurse_digest_hour),
            (CLINICIAN, clinic.clinician_digest_hour),
        ):
            send_at = reminder_times.send_time(due=today, lead_days=0, hour=hour, zone=clinic.zone)
            if send_at >= now - timedelta(hours=2):  # else missed by far: the next is tomorrow
                due[(clinic.pk, role)] = (clinic, today, send_at)
    staff = Clinic.staff.through.objects.filter(
        clinic_id__in={clinic_id for clinic_id, _ in due},
        user__is_active=True,
        user__groups__name__in=list(kinds),
    ).exclude(user__email="")
    wanted: dict[str, Reminder] = {}
    for clinic_id, user_id, role in staff.values_list("clinic_id", "user_id", "user__groups__name"):
        if (clinic_id, role) not in due:
            continue
        clinic, today, send_at = due[(clinic_id, role)]
        key = f"{kinds[role]}:{clinic_id}:{user_id}:{today}"
        wanted[key] = Reminder(
            kind=kinds[role],
            channel=Channel.EMAIL,
            clinic=clinic,
            user_id=user_id,
            for_date=today,
            send_at=send_at,
            attempt_at=send_at,
            dedupe_key=key,
        )
    made = set(
        Reminder.objects.filter(dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True)
    )
    new = [reminder for key, reminder in wanted.items() if key not in made]
    # A second beat planning the same hour at once: its rows stand and these are dropped.
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
