"""Limits on guessing passwords that cannot be turned against the people they protect.

django-axes locks one account from one client address after `AXES_FAILURE_LIMIT` failures,
for a cool-off that does not restart. On top of that, from axes' log of failures:

- **Per account, across addresses:** after `SIGNIN_ACCOUNT_FREE_FAILURES` failures in the
  cool-off window, each further attempt on that account waits for a delay that doubles with
  every failure, up to `SIGNIN_ACCOUNT_MAX_DELAY`. An attacker spread over many addresses gets
  a handful of guesses an hour; the account is never locked for good.
- **Per address, across accounts:** after `SIGNIN_ADDRESS_LIMIT` failures in the window, that
  address waits out the window.
- **Known devices pass:** a browser the user has signed in from before carries a signed
  device cookie for that account, and the two limits above do not apply to it, so an
  attacker elsewhere cannot keep the real user out. (axes' own per-address lockout does.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessFailureLog
from django.conf import settings
from django.core import signing
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse

from .core.clientip import client_ip

DEVICE_COOKIE = "b12_device"
DEVICE_SALT = "b12clinic.signin.device"
DEVICE_DAYS = 180
USERNAME_MAX = 150  # Django's own limit on a user name


@dataclass(frozen=True)
class Wait:
    seconds: int
    why: str  # "account" or "address"


def _failures(now: datetime, **where: Any) -> tuple[int, datetime | None]:
    found = AccessFailureLog.objects.filter(
        attempt_time__gt=now - settings.AXES_COOLOFF_TIME, locked_out=False, **where
    ).aggregate(count=Count("id"), last=Max("attempt_time"))
    return found["count"], found["last"]


def wait_before_trying(request: HttpRequest, username: str, now: datetime) -> Wait | None:
    """How long this client must wait before its password for `username` is checked."""
    if is_known_device(request, username):
        return None
    ip = client_ip(request)
    if ip:
        count, last = _failures(now, ip_address=ip)
        if count >= settings.SIGNIN_ADDRESS_LIMIT and last is not None:
            left = last + settings.AXES_COOLOFF_TIME - now
            return Wait(max(int(left.total_seconds()) + 1, 1), "address")
    count, last = _failures(now, username__iexact=username)
    over = count - settings.SIGNIN_ACCOUNT_FREE_FAILURES
    if over >= 0 and last is not None:
        delay = timedelta(seconds=min(2**over, settings.SIGNIN_ACCOUNT_MAX_DELAY))
        left = last + delay - now
        if left > timedelta(0):
            return Wait(max(int(left.total_seconds()) + 1, 1), "account")
    return None


def username_of(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The user name axes records, at most as long as any account's can be: Django's sign-in
    form does not enforce its own limit before authenticating. Also what the limits here key
    on."""
    name = (credentials or {}).get("username") or request.POST.get("username", "")
    # No account has a NUL in its name, and PostgreSQL cannot store one.
    return str(name).replace("\x00", "")[:USERNAME_MAX]


def is_known_device(request: HttpRequest, username: str) -> bool:
    token = request.COOKIES.get(DEVICE_COOKIE, "")
    if not token or not username:
        return False
    try:
        known = signing.loads(token, salt=DEVICE_SALT, max_age=timedelta(days=DEVICE_DAYS))
    except signing.BadSignature:
        return False
    return isinstance(known, list) and username.lower() in known


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a successful sign-in: this browser is a known device for this account (and
    keeps the accounts it already knew, a shared clinic computer having several)."""
    known: list[str] = []
    token = request.COOKIES.get(DEVICE_COOKIE, "")
    if token:
        try:
            loaded = signing.loads(token, salt=DEVICE_SALT, max_age=timedelta(days=DEVICE_DAYS))
            known = [name for name in loaded if isinstance(name, str)][-9:]
        except (signing.BadSignature, TypeError):
            known = []
    if username.lower() not in known:
        known.append(username.lower())
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(known, salt=DEVICE_SALT),
        max_age=DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
