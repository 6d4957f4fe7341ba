"""Reminders: the outbox and its delivery (design.md, "Reminders").

The services call `reminders_sync_for_patient` inside their own transaction whenever what a
patient should be reminded of changes; it creates, moves and cancels `Reminder` rows. Celery beat
ticks every minute; `reminders_deliver` claims due rows, sends each outside any transaction and
records the outcome with a conditional update. Nothing is ever scheduled as a Celery ETA task.
"""

from __future__ import annotations

import logging
import time as clock
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from b12clinic.audit import audit
from b12clinic.models import Action
from plans.models import Clinic, Dose, DoseStatus, Patient, PlanStatus

from . import reminder_times
from .models import (
    Alert,
    Channel,
    Recheck,
    RecheckStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Severity,
)
from .sms import SmsError, get_backend

logger = logging.getLogger(__name__)

PATIENT_KINDS = (
    ReminderKind.INJECTION_DUE,
    ReminderKind.RECHECK_DUE,
    ReminderKind.OVERDUE,
    ReminderKind.OVERDUE_CLINIC,
)
OPT_OUT_SALT = "monitoring.reminders.opt-out"


# --- Keeping the outbox in step -------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    kind: ReminderKind
    channel: Channel
    send_at: datetime
    for_date: date
    dose: Dose | None = None
    recheck: Recheck | None = None
    note: str = ""


def _channels(patient: Patient) -> list[Channel]:
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
    channels = _channels(patient)
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
        if planned < now - timedelta(days=7):
            continue  # long overdue: the clinic already knows; no late nagging on sync
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
    new = []
    for key, want in wanted.items():
        reminder = existing.get(key)
        if reminder is None:
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
        elif reminder.status == ReminderStatus.PENDING and reminder.send_at != want.send_at:
            reminder.send_at = reminder.attempt_at = want.send_at
            reminder.note = want.note
            reminder.save(update_fields=["send_at", "attempt_at", "note", "updated_at"])
            result.moved += 1
        elif reminder.status == ReminderStatus.CANCELLED:
            # Wanted again (consent given back, a plan resumed): the same row, so one key
            # can never be sent twice.
            reminder.status = ReminderStatus.PENDING
            reminder.send_at = reminder.attempt_at = want.send_at
            reminder.note = want.note
            reminder.save(update_fields=["status", "send_at", "attempt_at", "note", "updated_at"])
            result.created += 1
    Reminder.objects.bulk_create(new)
    result.created += len(new)
    return result


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
    from b12clinic.roles import CLINICIAN, NURSE

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


# --- Opt-out --------------------------------------------------------------------------------


def opt_out_token(patient: Patient, channel: str) -> str:
    return signing.dumps({"p": str(patient.pk), "c": channel}, salt=OPT_OUT_SALT, compress=True)


def opt_out_url(patient: Patient, channel: str) -> str:
    token = opt_out_token(patient, channel)
    return f"{settings.SITE_URL}{reverse('monitoring:reminder_opt_out', args=[token])}"


def read_opt_out_token(token: str) -> tuple[Patient, str]:
    try:
        data = signing.loads(token, salt=OPT_OUT_SALT)
        return Patient.objects.select_related("clinic").get(pk=data["p"]), data["c"]
    except (signing.BadSignature, KeyError, ValueError, Patient.DoesNotExist) as exc:
        raise ValidationError("This link is not valid.") from exc


@transaction.atomic
def reminders_opt_out(*, patient: Patient, channel: str, now: datetime) -> Patient:
    """The patient's one-click opt-out: consent for that channel withdrawn, recorded with the
    time, and its unsent reminders cancelled."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if channel == Channel.SMS:
        locked.reminder_sms = False
    else:
        locked.reminder_email = False
    if not (locked.reminder_sms or locked.reminder_email):
        locked.reminders_opted_out_at = now
    locked.save(
        update_fields=["reminder_sms", "reminder_email", "reminders_opted_out_at", "updated_at"]
    )
    Reminder.objects.filter(patient=locked, channel=channel, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.CANCELLED,
        note=f"Patient opted out of {Channel(channel).label.lower()} reminders on "
        f"{now:%-d %b %Y %H:%M}.",
        updated_at=now,
    )
    reminders_sync_for_patient(patient=locked, now=now)
    audit(
        actor=None,
        action=Action.CHANGE,
        obj=locked,
        patient=locked,
        summary=f"Patient opted out of {Channel(channel).label.lower()} reminders by link",
        changes={f"reminder_{'sms' if channel == Channel.SMS else 'email'}": [True, False]},
        at=now,
    )
    return locked


# --- Delivery -------------------------------------------------------------------------------


class Permanent(Exception):
    """Retrying cannot help (no address, a template error, an invalid number)."""


@dataclass
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def reminders_reclaim(*, now: datetime) -> int:
    """Rows left in `sending` by a worker that died are given back. The message may or may not
    have gone: its Message-ID is the same on the next attempt, so a repeat is recognisable."""
    stuck = now - timedelta(seconds=settings.REMINDER_SENDING_TIMEOUT_SECONDS)
    return Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=stuck).update(
        status=ReminderStatus.PENDING,
        claim=None,
        claimed_at=None,
        attempt_at=now,
        note="Reclaimed: the worker sending it stopped.",
        updated_at=now,
    )


def reminders_due_count(*, now: datetime) -> int:
    return Reminder.objects.filter(status=ReminderStatus.PENDING, attempt_at__lte=now).count()


def reminders_claim(*, now: datetime, limit: int) -> list[Reminder]:
    """Take up to `limit` due rows for this worker. Row locks skip what another worker holds;
    the conditional update keeps it right on a database without them (SQLite)."""
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING, attempt_at__lte=now)
            .order_by("attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Reminder.objects.filter(pk__in=ids, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.SENDING,
            claim=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(
        Reminder.objects.filter(claim=token, status=ReminderStatus.SENDING)
        .select_related("clinic", "patient", "user", "dose__plan__current__product", "recheck")
        .order_by("attempt_at")
    )


def reminders_deliver(
    *,
    now: Callable[[], datetime] = timezone.now,
    budget_seconds: float = 50.0,
    batch: int | None = None,
) -> Delivered:
    """Claim and send batches until none are due or the time budget is spent."""
    limit = batch or settings.REMINDER_BATCH_SIZE
    started = clock.monotonic()
    done = Delivered()
    while clock.monotonic() - started < budget_seconds:
        claimed = reminders_claim(now=now(), limit=limit)
        if not claimed:
            break
        done.batches += 1
        connection = get_connection(fail_silently=False)
        try:
            # One SMTP session for the batch, not one per message.
            _open(connection)
            for reminder in claimed:
                _deliver_one(reminder, connection, now, done)
        finally:
            try:
                connection.close()
            except Exception:
                logger.warning("closing the email connection failed", exc_info=True)
    return done


def _open(connection: Any) -> None:
    """Open the mail connection now; a server that is down is then found message by message
    (each one retried), not by aborting the batch."""
    try:
        connection.open()
    except Exception:
        logger.warning("could not open the email connection", exc_info=True)


def _deliver_one(
    reminder: Reminder, connection: Any, now: Callable[[], datetime], done: Delivered
) -> None:
    record = Reminder.objects.filter(
        pk=reminder.pk, status=ReminderStatus.SENDING, claim=reminder.claim
    )
    why_not = _no_longer_wanted(reminder)
    if why_not:
        record.update(status=ReminderStatus.CANCELLED, claim=None, note=why_not, updated_at=now())
        done.cancelled += 1
        return
    clinic = reminder.clinic
    if reminder.patient_id and reminder_times.in_quiet_hours(
        now(), zone=clinic.zone, start=clinic.quiet_from, end=clinic.quiet_until
    ):
        later = reminder_times.after_quiet_hours(
            now(), zone=clinic.zone, start=clinic.quiet_from, end=clinic.quiet_until
        )
        record.update(
            status=ReminderStatus.PENDING,
            claim=None,
            claimed_at=None,
            attempts=F("attempts") - 1,
            attempt_at=later,
            note="Held until quiet hours end.",
            updated_at=now(),
        )
        done.held += 1
        return
    try:
        recipient, provider_id = _send(reminder, connection)
    except Permanent as error:
        record.update(
            status=ReminderStatus.FAILED, claim=None, last_error=str(error), updated_at=now()
        )
        done.failed += 1
        done.errors.append(str(error))
        return
    except Exception as error:
        message = f"{type(error).__name__}: {error}"[:2000]
        if reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
            record.update(
                status=ReminderStatus.FAILED,
                claim=None,
                last_error=f"Gave up after {reminder.attempts} attempts. {message}",
                updated_at=now(),
            )
            done.failed += 1
        else:
            wait = reminder_times.backoff(
                reminder.attempts, base_seconds=settings.REMINDER_BACKOFF_SECONDS
            )
            record.update(
                status=ReminderStatus.PENDING,
                claim=None,
                claimed_at=None,
                attempt_at=now() + wait,
                last_error=message,
                updated_at=now(),
            )
            done.retried += 1
        done.errors.append(message)
        return
    record.update(
        status=ReminderStatus.SENT,
        claim=None,
        sent_at=now(),
        recipient=recipient[:254],
        provider_message_id=provider_id[:200],
        last_error="",
        updated_at=now(),
    )
    done.sent += 1


def _no_longer_wanted(reminder: Reminder) -> str:
    """The last check before sending: nothing for a given dose or a stopped plan, nothing a
    patient has opted out of."""
    patient = reminder.patient
    if reminder.dose_id:
        dose = reminder.dose
        assert dose is not None
        if dose.plan.status != PlanStatus.ACTIVE:
            return "Not sent: the plan has ended."
        if dose.status != DoseStatus.DUE:
            return f"Not sent: the dose is {dose.get_status_display().lower()}."
    if reminder.recheck_id:
        recheck = reminder.recheck
        assert recheck is not None
        if recheck.status != RecheckStatus.PENDING:
            return f"Not sent: the recheck is {recheck.get_status_display().lower()}."
    if (
        patient is not None
        and reminder.kind != ReminderKind.OVERDUE_CLINIC
        and reminder.channel not in _channels(patient)
    ):
        return "Not sent: the patient has not agreed to reminders by this channel."
    return ""


def _send(reminder: Reminder, connection: Any) -> tuple[str, str]:
    context = _context(reminder)
    try:
        if reminder.channel == Channel.SMS:
            subject, html = "", ""
            text = render_to_string(f"reminders/{reminder.kind}/sms.txt", context)
        else:
            subject = render_to_string(f"reminders/{reminder.kind}/subject.txt", context)
            text = render_to_string(f"reminders/{reminder.kind}/body.txt", context)
            html = render_to_string(f"reminders/{reminder.kind}/body.html", context)
    except Exception as error:
        raise Permanent(
            f"The message could not be written: {type(error).__name__}: {error}"
        ) from error
    subject = " ".join(subject.split())
    if reminder.channel == Channel.SMS:
        phone = reminder.patient.phone if reminder.patient else ""
        if not phone:
            raise Permanent("The patient has no mobile number.")
        try:
            return phone, get_backend().send(
                to=phone, body=text.strip(), reference=str(reminder.pk)
            )
        except SmsError as error:
            if error.retry:
                raise
            raise Permanent(str(error)) from error
    address = _email_address(reminder)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        connection=connection,
        headers=_headers(reminder, context),
    )
    message.attach_alternative(html, "text/html")
    sent = message.send()
    if not sent:
        raise RuntimeError("The mail server accepted nothing.")
    return address, reminder.message_id


def _email_address(reminder: Reminder) -> str:
    from django.core.validators import validate_email

    if reminder.kind == ReminderKind.OVERDUE_CLINIC:
        address, who = reminder.clinic.email, "The clinic"
    elif reminder.user_id:
        address, who = reminder.user.email, "The staff member"  # type: ignore[union-attr]
    else:
        address, who = reminder.patient.email, "The patient"  # type: ignore[union-attr]
    if not address:
        raise Permanent(f"{who} has no email address.")
    try:
        validate_email(address)
    except ValidationError as error:
        raise Permanent(f"{who}'s email address “{address}” is not valid.") from error
    return address


def _headers(reminder: Reminder, context: dict[str, Any]) -> dict[str, str]:
    headers = {"Message-ID": reminder.message_id, "X-B12-Reminder": str(reminder.pk)}
    if context.get("opt_out_url"):
        headers["List-Unsubscribe"] = f"<{context['opt_out_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _context(reminder: Reminder) -> dict[str, Any]:
    context: dict[str, Any] = {
        "reminder": reminder,
        "clinic": reminder.clinic,
        "patient": reminder.patient,
        "dose": reminder.dose,
        "recheck": reminder.recheck,
        "site_url": settings.SITE_URL,
        "today": timezone.localdate(timezone.now(), reminder.clinic.zone),
    }
    patient = reminder.patient
    if patient is not None and reminder.kind != ReminderKind.OVERDUE_CLINIC:
        context["opt_out_url"] = opt_out_url(patient, reminder.channel)
    if reminder.dose_id:
        version = reminder.dose.plan.current  # type: ignore[union-attr]
        context["version"] = version
    if reminder.kind == ReminderKind.NURSE_DIGEST:
        context.update(_nurse_digest(reminder.clinic, reminder.for_date))
    if reminder.kind == ReminderKind.CLINICIAN_DIGEST:
        context.update(_clinician_digest(reminder.clinic, reminder.for_date))
    return context


def _nurse_digest(clinic: Clinic, day: date) -> dict[str, Any]:
    from plans.selectors import day_list

    found = day_list(clinic=clinic, day=day)
    return {"day": day, "due": found.due, "overdue": found.overdue}


def _clinician_digest(clinic: Clinic, day: date) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=1)
    open_alerts = Alert.objects.filter(
        patient__clinic=clinic, acknowledged_at__isnull=True
    ).select_related("patient")
    return {
        "day": day,
        "urgent": [a for a in open_alerts if a.severity == Severity.URGENT],
        "new": [a for a in open_alerts if a.severity != Severity.URGENT and a.created_at >= since],
        "overdue_rechecks": list(
            Recheck.objects.filter(
                Q(lapses_on__isnull=True) | Q(lapses_on__gte=day),
                patient__clinic=clinic,
                status=RecheckStatus.PENDING,
                closes__lt=day,
                plan__status=PlanStatus.ACTIVE,
            ).select_related("patient")
        ),
        "reviews_due": list(
            clinic.patients.filter(
                plans__status=PlanStatus.ACTIVE,
                plans__current__review_date__lte=day,
                plans__current__phases__end_rule="at_review",
                plans__current__phases__end_date__isnull=True,
            ).distinct()
        ),
    }


# --- Staff actions --------------------------------------------------------------------------


@transaction.atomic
def reminder_retry(*, reminder: Reminder, by: AbstractBaseUser, now: datetime) -> Reminder:
    """A failed reminder goes back in the queue, once the cause has been fixed."""
    updated = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING,
        attempts=0,
        attempt_at=now,
        note=f"Retried by {by.get_username()} on {now:%-d %b %Y %H:%M}.",
        updated_at=now,
    )
    if not updated:
        raise ValidationError("Only a failed reminder can be retried.")
    reminder.refresh_from_db()
    return reminder


def failed_reminders(*, clinics: Iterable[Clinic]) -> list[Reminder]:
    return list(
        Reminder.objects.filter(status=ReminderStatus.FAILED, clinic__in=list(clinics))
        .select_related("patient", "user", "clinic")
        .order_by("-updated_at")[:200]
    )
