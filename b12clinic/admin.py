"""A clinic admin manages their own clinics' staff, and nothing more."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest

admin.site.unregister(User)


@admin.register(User)
class ClinicUserAdmin(UserAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        # Staff of the admin's clinics, their patients' accounts, and accounts not yet tied to
        # any clinic (new ones).
        own = request.user.clinics.all()  # type: ignore[union-attr]
        return users.filter(
            Q(clinics__in=own)
            | Q(patient_record__clinic__in=own)
            | Q(clinics__isnull=True, patient_record__isnull=True),
            is_superuser=False,
        ).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser hands out superuser or admin-site access, or raw permissions.
            fields += ["is_superuser", "is_staff", "user_permissions"]
        return fields
