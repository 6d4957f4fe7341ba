from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from .core.access import user_roles
from .core.roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    roles: frozenset[str]


# Later issues add their pages here; an entry shows only to the roles that may open it.
NAV_ITEMS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("Dashboard", "dashboard", frozenset({CLINICIAN})),
    ("Patients", "plans:patient_list", frozenset({CLINICIAN, NURSE})),
    ("Today", "plans:today", frozenset({CLINICIAN, NURSE})),
    ("Failed reminders", "monitoring:reminders_failed", frozenset({CLINICIAN, NURSE})),
    ("Lab messages", "monitoring:lab_messages", frozenset({CLINICIAN})),
    ("Stock", "plans:stock", frozenset({CLINICIAN, NURSE, CLINIC_ADMIN})),
    ("Recall", "monitoring:recall", frozenset({CLINICIAN, CLINIC_ADMIN})),
    ("My schedule", "monitoring:me", frozenset({PATIENT})),
    ("Audit trail", "audit_list", frozenset({CLINIC_ADMIN})),
    ("Administration", "admin:index", frozenset({CLINIC_ADMIN})),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    roles = user_roles(request.user) if hasattr(request, "user") else frozenset()
    items = _items(roles, get_script_prefix(), get_urlconf())
    return {"nav_items": list(items), "user_roles": roles}


@lru_cache(maxsize=256)
def _items(roles: frozenset[str], prefix: str, urlconf: str | None) -> tuple[NavItem, ...]:
    """The same few links on every page: reversed once per set of roles and URL prefix (the
    prefix and the URL configuration are what `reverse` reads besides the name)."""
    return tuple(
        NavItem(label=label, url=reverse(name, urlconf=urlconf), roles=allowed)
        for label, name, allowed in NAV_ITEMS
        if roles & allowed
    )
