from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from b12clinic.admin import AuditedAdmin, administered_clinics

from .models import Clinic


@admin.register(Clinic)
class ClinicAdmin(AuditedAdmin):
    list_display = ["name", "time_zone", "phone"]
    search_fields = ["name"]
    filter_horizontal = ["staff"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        clinics = super().get_queryset(request)
        if request.user.is_superuser:
            return clinics
        return clinics.filter(staff=request.user)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "staff" and not request.user.is_superuser:
            # People already in the admin's clinics (new ones join one when they are added):
            # never someone from elsewhere.
            kwargs["queryset"] = User.objects.filter(
                clinics__in=administered_clinics(request.user)
            ).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)
