"""Opt-out links: a signed token per patient and channel, and what using one does."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from b12clinic.core.audit import audit
from b12clinic.core.links import token_link
from b12clinic.core.models import Action, Patient

from ..models import (
    Channel,
    OptOutCode,
    Reminder,
    ReminderStatus,
)
from ..models.reminders import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH
from .planning import reminders_sync_for_patient

OPT_OUT_SALT = "monitoring.reminders.opt-out"


def opt_out_token(patient: Patient, channel: str) -> str:
    return signing.dumps({"p": str(patient.pk), "c": channel}, salt=OPT_OUT_SALT, compress=True)


def opt_out_url(patient: Patient, channel: str) -> str:
    token = opt_out_token(patient, channel)
    return f"{settings.SITE_URL}{token_link('monitoring:reminder_opt_out', token)}"


def short_opt_out_url(patient: Patient, channel: str) -> str:
    """The stop link for a text: {SITE_URL}/r/<9 characters>, made once per patient and
    channel and then reused."""
    found = OptOutCode.objects.filter(patient=patient, channel=channel).first()
    while found is None:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
        try:
            with transaction.atomic():
                found = OptOutCode.objects.create(code=code, patient=patient, channel=channel)
        except IntegrityError:
            # Another worker made this patient's code first (or, once in 10^15, the same code).
            found = OptOutCode.objects.filter(patient=patient, channel=channel).first()
    return f"{settings.SITE_URL}{reverse('monitoring:short_opt_out', args=[found.code])}"


def opt_out_token_for_code(code: str) -> str | None:
    """The signed opt-out token a short code stands for."""
    found = OptOutCode.objects.select_related("patient").filter(code=code).first()
    return None if found is None else opt_out_token(found.patient, found.channel)


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
