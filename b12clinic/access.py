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


ROLES_CACHE_SECONDS = 60


def _roles_key(user_id: object) -> str:
    return f"roles:{user_id}"


def user_roles(user: User) -> frozenset[str]:
    """The user's roles: kept on the user object for the request, and in the cache for a minute
    (adding or removing a group clears it at once; see `forget_roles`)."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_b12_roles", None)
    if cached is None:
        from django.core.cache import cache

        stored = cache.get(_roles_key(user.pk))
        if stored is None:
            names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
            stored = sorted(role for role in ROLES if role in names)
            cache.set(_roles_key(user.pk), stored, ROLES_CACHE_SECONDS)
        cached = frozenset(stored)
        user._b12_roles = cached  # type: ignore[union-attr]
    return cached


def forget_roles(
    sender: object,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """m2m_changed on user.groups: the next request reads the user's roles again."""
    if not action.startswith("post_"):
        return
    from django.core.cache import cache

    users = (pk_set or set()) if reverse else {instance.pk}
    if reverse and action == "post_clear":
        users = set(instance.user_set.values_list("pk", flat=True))
    cache.delete_many([_roles_key(pk) for pk in users])


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
