"""Request-level protections: the Content-Security-Policy, session time limits, and the second
factor a clinic may require of its staff."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from .core.access import user_roles
from .core.roles import STAFF_ROLES

Handler = Callable[[HttpRequest], HttpResponse]

SESSION_STARTED = "b12_started_at"
SESSION_SEEN = "b12_seen_at"
# Writing "last seen" on every request would write the session on every request; once a minute
# is precise enough for a 30-minute limit.
SEEN_WRITE_EVERY = 60


def session_started(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Signing in starts both clocks (saved with the login's own session write)."""
    now = time.time()
    request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = now


class ContentSecurityPolicyMiddleware:
    """Scripts, styles and images from this site only; no inline script or style, no framing."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.policy = "; ".join(f"{name} {value}" for name, value in settings.CSP.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


# Pages a patient reaches without signing in that still show their data.
PATIENT_LINKS = ("/s/", "/reminders/stop/")


class NoStoreMiddleware:
    """Nothing shown to a signed-in user, or through a patient's link, is kept by the browser's
    back-forward cache, a shared computer's disk cache or a proxy."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(PATIENT_LINKS):
            add_never_cache_headers(response)
        return response


class SessionTimeoutMiddleware:
    """Signs a user out after `SESSION_IDLE_SECONDS` without a request, and in any case
    `SESSION_ABSOLUTE_SECONDS` after signing in."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get(SESSION_STARTED)
            seen = session.get(SESSION_SEEN)
            if started is None:
                session[SESSION_STARTED] = session[SESSION_SEEN] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                return self._end(
                    request, "You were signed out after 12 hours. Please sign in again."
                )
            elif seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
                minutes = settings.SESSION_IDLE_SECONDS // 60
                return self._end(
                    request, f"You were signed out after {minutes} minutes without activity."
                )
            elif seen is None or now - seen > SEEN_WRITE_EVERY:
                session[SESSION_SEEN] = now
        return self.get_response(request)

    def _end(self, request: HttpRequest, why: str) -> HttpResponse:
        path = request.get_full_path()
        logout(request)
        messages.info(request, why)
        return redirect_to_login(path)


SECOND_FACTOR_FREE = ("/accounts/", "/static/", "/healthz", "/s/", "/reminders/stop/")


class SecondFactorMiddleware:
    """Staff of a clinic that requires a second factor must pass one (TOTP, django-otp) before
    any page other than signing in, setting one up, or signing out."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(SECOND_FACTOR_FREE)
            and user_roles(user) & STAFF_ROLES
            and not getattr(user, "is_verified", lambda: False)()
            and _second_factor_required(user)
        ):
            return redirect("otp_verify")
        return self.get_response(request)


def _second_factor_required(user: object) -> bool:
    """Whether any of the user's clinics requires a second factor. Remembered for a minute, so
    staff pages do not pay a query each; a changed setting applies within that minute."""
    from django.core.cache import cache

    key = f"second-factor-required:{user.pk}"  # type: ignore[attr-defined]
    required = cache.get(key)
    if required is None:
        # Any clinic the user belongs to, in any role, can ask for the second factor.
        required = user.clinics.filter(require_second_factor=True).exists()  # type: ignore[attr-defined]
        cache.set(key, required, 60)
    return bool(required)
