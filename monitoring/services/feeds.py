"""Calendar subscriptions: make one (replacing the patient's last), stop one, and read one by
its secret. Every read is audited; an address that keeps sending bad secrets is refused for a
while, with the same counter as share links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Patient
from plans.models import PlanStatus, hash_secret
from plans.sharing import bad_token_seen, guessing

from ..models import CalendarFeed


@dataclass(frozen=True)
class NewFeed:
    feed: CalendarFeed
    secret: str  # shown once: only its hash is stored


def may_manage_feed(user: User, patient: Patient) -> bool:
    """The patient themselves, or staff of their clinic (to set it up with them in clinic)."""
    return (patient.user_id is not None and patient.user_id == user.pk) or works_in(
        user, patient.clinic
    )


@transaction.atomic
def feed_create(*, patient: Patient, by: User, now: datetime) -> NewFeed:
    if not may_manage_feed(by, patient):
        raise ValidationError(
            "Only the patient or their clinic can set up a calendar subscription."
        )
    if not patient.plans.filter(status=PlanStatus.ACTIVE).exists():
        raise ValidationError("There is no active plan to put in a calendar.")
    # One live address per patient: a new one stops the old (a lost phone, a leaked address).
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    for old in CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True):
        _revoke(old, by=by, now=now, why="Calendar subscription replaced by a new address")
    secret = CalendarFeed.new_secret()
    feed = CalendarFeed.objects.create(
        patient=patient, secret_hash=hash_secret(secret), created_by=by, created_at=now
    )
    audit(
        actor=by,
        action=Action.CREATE,
        obj=feed,
        patient=patient,
        summary="Calendar subscription made",
        at=now,
    )
    return NewFeed(feed=feed, secret=secret)


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed, by: User, now: datetime) -> CalendarFeed:
    if not may_manage_feed(by, feed.patient):
        raise ValidationError("Only the patient or their clinic can stop this subscription.")
    if not _revoke(feed, by=by, now=now, why="Calendar subscription stopped"):
        raise ValidationError("This subscription was already stopped.")
    feed.refresh_from_db()
    return feed


def _revoke(feed: CalendarFeed, *, by: User, now: datetime, why: str) -> bool:
    updated = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if updated:
        audit(
            actor=by,
            action=Action.CHANGE,
            obj=feed,
            patient=feed.patient,
            summary=why,
            changes={"revoked": [False, True]},
            at=now,
        )
    return bool(updated)


@dataclass(frozen=True)
class Opened:
    feed: CalendarFeed | None
    problem: str  # "", "throttled", "unknown", "revoked"


def feed_open(*, secret: str, ip: str, user_agent: str, now: datetime) -> Opened:
    """The live subscription a secret names. A known one's every read is audited, refused
    ones too; an unknown secret counts against the address."""
    if guessing(ip=ip, now=now):
        return Opened(None, "throttled")
    # Found by the hash of the secret: the secret itself is never compared or stored.
    feed = (
        CalendarFeed.objects.select_related("patient__clinic")
        .filter(secret_hash=hash_secret(secret))
        .first()
    )
    if feed is None:
        bad_token_seen(ip=ip, now=now)
        return Opened(None, "unknown")
    problem = "" if feed.live else "revoked"
    with transaction.atomic():
        if not problem:
            CalendarFeed.objects.filter(pk=feed.pk).update(
                last_read_at=now, last_read_by=user_agent[:300], reads=F("reads") + 1
            )
        audit(
            actor=None,
            action=Action.DOWNLOAD,
            obj=feed,
            patient=feed.patient,
            summary=(
                "Calendar subscription read"
                if not problem
                else "Calendar subscription refused: it was stopped"
            )
            + (f" by {user_agent[:120]}" if user_agent else ""),
            ip=ip,
            at=now,
        )
    return Opened(None if problem else feed, problem)
