"""Making and revoking a clinic's API tokens (the admin calls these). The token is returned
once; only its hash is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from .access import administered_clinics
from .audit import audit
from .models import Action, ApiToken, Clinic, hash_secret

MAX_DAYS = 730


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def _may_manage(by: User, clinic: Clinic) -> bool:
    return by.is_superuser or administered_clinics(by).filter(pk=clinic.pk).exists()


@transaction.atomic
def api_token_create(
    *, clinic: Clinic, name: str, by: User, now: datetime, days: int = 365
) -> NewToken:
    if not _may_manage(by, clinic):
        raise ValidationError({"clinic": "You can make tokens only for clinics you manage."})
    if not name.strip():
        raise ValidationError({"name": "Say which system will use the token."})
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"valid_for_days": f"Choose between 1 and {MAX_DAYS} days."})
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        clinic=clinic,
        name=name.strip(),
        shown=secret[:10],
        secret_hash=hash_secret(secret),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit(
        actor=by,
        action=Action.CREATE,
        obj=token,
        clinic=clinic,
        summary=f"API token “{token.name}” made, valid until {token.expires_at:%Y-%m-%d}",
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User, now: datetime) -> ApiToken:
    if not _may_manage(by, token.clinic):
        raise ValidationError("You can revoke tokens only for clinics you manage.")
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if not updated:
        raise ValidationError("This token was already revoked.")
    token.refresh_from_db()
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=token,
        clinic=token.clinic,
        summary=f"API token “{token.name}” revoked",
        changes={"revoked": [False, True]},
    )
    return token
