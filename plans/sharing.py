"""Share links: create, revoke, and open one (each use recorded; bad tokens throttled)."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Clinic

from .models import BadShareToken, Plan, PlanStatus, ShareLink, ShareLinkUse, hash_secret

DEFAULT_DAYS = 30
MAX_DAYS = 365
BAD_TOKENS_ALLOWED = 10  # per address per window
BAD_TOKEN_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class NewLink:
    link: ShareLink
    token: str  # shown once: only its hash is stored


@transaction.atomic
def share_link_create(*, plan: Plan, by: User, now: datetime, days: int = DEFAULT_DAYS) -> NewLink:
    if not works_in(by, plan.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can share the schedule.")
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError("Only an active plan's schedule can be shared.")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": f"Choose between 1 and {MAX_DAYS} days."})
    secret = ShareLink.new_secret()
    link = ShareLink.objects.create(
        plan=plan,
        secret_hash=hash_secret(secret),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit(
        actor=by,
        action=Action.CREATE,
        obj=link,
        patient=plan.patient,
        summary=f"Share link made, valid until {link.expires_at:%Y-%m-%d}",
    )
    return NewLink(link=link, token=link.token(secret))


@transaction.atomic
def share_link_revoke(*, link: ShareLink, by: User, now: datetime) -> ShareLink:
    if not works_in(by, link.plan.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can revoke the link.")
    updated = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if not updated:
        raise ValidationError("This link was already revoked.")
    link.refresh_from_db()
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=link,
        patient=link.plan.patient,
        summary="Share link revoked",
        changes={"revoked": [False, True]},
    )
    return link


@dataclass(frozen=True)
class Opened:
    link: ShareLink | None
    clinic: Clinic | None  # for the phone number on the "no longer valid" page
    problem: str  # "", "throttled", "unknown", "tampered", "expired", "revoked", "ended"


def guessing(*, ip: str, now: datetime) -> bool:
    """Whether this address sent too many bad tokens lately (share links and calendar
    subscriptions count together)."""
    recent = BadShareToken.objects.filter(
        ip=ip or None, at__gt=now - timedelta(seconds=BAD_TOKEN_WINDOW_SECONDS)
    )
    return recent[:BAD_TOKENS_ALLOWED].count() >= BAD_TOKENS_ALLOWED


def bad_token_seen(*, ip: str, now: datetime) -> None:
    BadShareToken.objects.create(ip=ip or None, at=now)


def share_link_open(*, token: str, what: str, ip: str, user_agent: str, now: datetime) -> Opened:
    """The link a token names, if it may be used now. Every use of a known link is recorded,
    refused ones too; an address that keeps sending bad tokens is refused for a while."""
    if guessing(ip=ip, now=now):
        return Opened(None, None, "throttled")
    link_id, _, secret = token.partition(".")
    link = None
    try:
        link = ShareLink.objects.select_related("plan__patient__clinic").get(
            pk=uuid.UUID(hex=link_id)
        )
    except (ValueError, ShareLink.DoesNotExist):
        bad_token_seen(ip=ip, now=now)
        return Opened(None, None, "unknown")
    clinic = link.plan.patient.clinic
    problem = ""
    if not secret or not hmac.compare_digest(hash_secret(secret), link.secret_hash):
        problem = "tampered"
        bad_token_seen(ip=ip, now=now)
    elif link.revoked_at is not None:
        problem = "revoked"
    elif now >= link.expires_at:
        problem = "expired"
    elif link.plan.status != PlanStatus.ACTIVE:
        problem = "ended"
    with transaction.atomic():  # the use and its audit row, together
        ShareLinkUse.objects.create(
            link=link,
            at=now,
            what=f"refused:{problem}" if problem else what,
            ip=ip or None,
            user_agent=user_agent[:300],
        )
        if not problem:
            audit(
                actor=None,
                action=Action.VIEW if what == "page" else Action.DOWNLOAD,
                obj=link,
                patient=link.plan.patient,
                summary=f"Schedule {what} opened through a share link",
                ip=ip,
                at=now,
            )
    return Opened(None if problem else link, clinic, problem)


def bad_tokens_forget(*, now: datetime) -> int:
    """Drop bad-token counts older than a day: they only ever matter for the last window,
    and a guessing run would otherwise leave its rows for good."""
    deleted, _ = BadShareToken.objects.filter(at__lt=now - timedelta(days=1)).delete()
    return deleted
