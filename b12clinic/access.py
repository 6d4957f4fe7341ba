"""Who may open what. Views ask here; nothing else decides access."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT, ROLES

User = AbstractBaseUser | AnonymousUser
View = Callable[..., HttpResponse]


def user_roles(user: User) -> frozenset[str]:
    """The user's roles, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_b12_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
        cached = frozenset(role for role in ROLES if role in names)
        user._b12_roles = cached  # type: ignore[union-attr]
    return cached


def primary_role(user: User) -> str | None:
    roles = user_roles(user)
    return next((role for role in ROLES if role in roles), None)


def role_required(*roles: str) -> Callable[[View], View]:
    """Anonymous visitors go to the login page; signed-in users without the role get 403."""
    allowed = frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_roles(request.user) & allowed:
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(CLINICIAN, NURSE)
clinician_required = role_required(CLINICIAN)
patient_required = role_required(PATIENT)
clinic_admin_required = role_required(CLINIC_ADMIN)
