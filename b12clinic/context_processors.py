from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

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
    items = [
        NavItem(label=label, url=reverse(name), roles=allowed)
        for label, name, allowed in NAV_ITEMS
        if roles & allowed
    ]
    return {"nav_items": items, "user_roles": roles}
