"""Keeping the outbox in step: which reminders a patient (and a clinic's staff) should get, and
when. Called through the hooks whenever what a patient should be reminded of changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from b12clinic.core.models import Clinic, Patient
from plans.models import Dose, DoseStatus, PlanStatus

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
    dose: Dose | None = None
    recheck: Recheck | None = None
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


def _wanted(patient: Patient, now: datetime) -> dict[str, Wanted]:
    clinic = patient.clinic
    zone = clinic.zone
    today = now.astimezone(zone).date()
    horizon = today + timedelta(days=settings.REMINDER_WINDOW_DAYS)
    channels = patient_channels(patient)
    found: dict[str, Wanted] = {}

    doses = list(
        Dose.objects.filter(
            plan__patient=patient,
            plan__status=PlanStatus.ACTIVE,
            status=DoseStatus.DUE,
            due_date__lte=horizon,
        ).order_by("due_date")
    )
    earliest_open: dict[object, Dose] = {}
    for dose in doses:
        earliest_open.setdefault(dose.plan_id, dose)
        if dose.due_date < today:
            continue
        planned = reminder_times.send_time(
            due=dose.due_date,
            lead_days=patient.reminder_lead_days,
            hour=patient.reminder_hour,
            zone=zone,
        )
        send_at, note = _at(clinic, planned, now)
        for channel in channels:
            found[f"injection_due:{dose.pk}:{dose.due_date}:{channel}"] = Wanted(
                ReminderKind.INJECTION_DUE, channel, send_at, dose.due_date, dose=dose, note=note
            )
    for dose in earliest_open.values():
        if dose.due_date >= today:
            continue
        planned = reminder_times.send_time(
            due=dose.due_date + timedelta(days=clinic.overdue_reminder_days),
            lead_days=0,
            hour=patient.reminder_hour,
            zone=zone,
        )
        send_at, note = _at(clinic, planned, now)
        for channel in channels:
            found[f"overdue:{dose.pk}:{channel}"] = Wanted(
                ReminderKind.OVERDUE, channel, send_at, dose.due_date, dose=dose, note=note
            )
        found[f"overdue_clinic:{dose.pk}"] = Wanted(
            ReminderKind.OVERDUE_CLINIC, Channel.EMAIL, send_at, dose.due_date, dose=dose
        )

    for recheck in Recheck.objects.filter(
        patient=patient,
        status=RecheckStatus.PENDING,
        plan__status=PlanStatus.ACTIVE,
        due_date__gte=today,
        due_date__lte=horizon,
    ).exclude(tests=[]):
        planned = reminder_times.send_time(
            due=recheck.due_date,
            lead_days=patient.reminder_lead_days,
            hour=patient.reminder_hour,
            zone=zone,
        )
        send_at, note = _at(clinic, planned, now)
        for channel in channels:
            found[f"recheck_due:{recheck.pk}:{recheck.due_date}:{channel}"] = Wanted(
                ReminderKind.RECHECK_DUE,
                channel,
                send_at,
                recheck.due_date,
                recheck=recheck,
                note=note,
            )
    return found


@dataclass
class Synced:
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def reminders_sync_for_patient(*, patient: Patient, now: datetime | None = None) -> Synced:
    """Make the patient's unsent reminders match their plans, rechecks and preferences. Call it
    inside the transaction that changed them."""
    now = now or timezone.now()
    wanted = _wanted(patient, now)
    result = Synced()
    existing = {
        r.dedupe_key: r
        for r in Reminder.objects.select_for_update().filter(
            Q(patient=patient, kind__in=PATIENT_KINDS)
        )
    }
    for key, reminder in existing.items():
        if reminder.status == ReminderStatus.PENDING and key not in wanted:
            reminder.status = ReminderStatus.CANCELLED
            reminder.note = "No longer due: the dose, recheck, plan or preferences changed."
            reminder.save(update_fields=["status", "note", "updated_at"])
            result.cancelled += 1
    new: list[Reminder] = []
    for key, want in wanted.items():
        found = existing.get(key)
        if found is None:
            new.append(
                Reminder(
                    kind=want.kind,
                    channel=want.channel,
                    clinic=patient.clinic,
                    patient=patient,
                    dose=want.dose,
                    recheck=want.recheck,
                    for_date=want.for_date,
                    send_at=want.send_at,
                    attempt_at=want.send_at,
                    dedupe_key=key,
                    note=want.note,
                )
            )
        elif found.status == ReminderStatus.PENDING and found.send_at != want.send_at:
            found.send_at = found.attempt_at = want.send_at
            found.note = want.note
            found.save(update_fields=["send_at", "attempt_at", "note", "updated_at"])
            result.moved += 1
        elif found.status == ReminderStatus.CANCELLED:
            # Wanted again (consent given back, a plan resumed): the same row, so one key
            # can never be sent twice.
            found.status = ReminderStatus.PENDING
            found.send_at = found.attempt_at = want.send_at
            found.note = want.note
            found.save(update_fields=["status", "send_at", "attempt_at", "note", "updated_at"])
            result.created += 1
    Reminder.objects.bulk_create(new)
    result.created += len(new)
    return result


def patients_to_sync() -> list[str]:
    """The keys the nightly sync is cut by: every patient with an active plan, in id order."""
    return [
        str(pk)
        for pk in Patient.objects.filter(plans__status=PlanStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    ]


def reminders_sync_range(*, first: str, last: str, now: datetime | None = None) -> int:
    """One nightly chunk: the patients with an active plan whose id is in [first, last]."""
    now = now or timezone.now()
    count = 0
    patients = Patient.objects.filter(
        plans__status=PlanStatus.ACTIVE, pk__gte=first, pk__lte=last
    ).distinct()
    for patient in patients.select_related("clinic").order_by("pk"):
        with transaction.atomic():
            reminders_sync_for_patient(patient=patient, now=now)
        count += 1
    return count


def reminders_sync_all(*, now: datetime | None = None) -> int:
    """Nightly: bring every patient with an active plan in step (new doses enter the window)."""
    now = now or timezone.now()
    count = 0
    patients = Patient.objects.filter(plans__status=PlanStatus.ACTIVE).distinct()
    for patient in patients.select_related("clinic").iterator(chunk_size=500):
        with transaction.atomic():
            reminders_sync_for_patient(patient=patient, now=now)
        count += 1
    return count


def digests_plan(*, now: datetime | None = None) -> int:
    """Hourly: the nurses' morning list and the clinicians' summary for today, one each per
    staff member with an email address, at the clinic's digest hours. Idempotent."""
    from b12clinic.core.roles import CLINICIAN, NURSE

    now = now or timezone.now()
    created = 0
    for clinic in Clinic.objects.all():
        today = now.astimezone(clinic.zone).date()
        for role, kind, hour in (
            (NURSE, ReminderKind.NURSE_DIGEST, clinic.nurse_digest_hour),
            (CLINICIAN, ReminderKind.CLINICIAN_DIGEST, clinic.clinician_digest_hour),
        ):
            send_at = reminder_times.send_time(due=today, lead_days=0, hour=hour, zone=clinic.zone)
            if send_at < now - timedelta(hours=2):
                continue  # missed today's hour by far: the next one is tomorrow
            for user in clinic.staff.filter(groups__name=role, is_active=True).exclude(email=""):
                _, was_new = Reminder.objects.get_or_create(
                    dedupe_key=f"{kind}:{clinic.pk}:{user.pk}:{today}",
                    defaults={
                        "kind": kind,
                        "channel": Channel.EMAIL,
                        "clinic": clinic,
                        "user": user,
                        "for_date": today,
                        "send_at": send_at,
                        "attempt_at": send_at,
                    },
                )
                created += was_new
    return created
