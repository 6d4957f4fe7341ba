"""Clinics change ranges and limits here; units and factors are facts and stay read-only."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from b12clinic.core.access import administered_clinics
from b12clinic.core.admin import AuditedAdmin

from .models import LabCodeMapping, LabTest, ReferenceRange


class ReferenceRangeInline(admin.TabularInline):
    model = ReferenceRange
    extra = 0
    fields = ["clinic", "sex", "low", "high"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReferenceRange]:
        return _own_ranges(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = administered_clinics(request.user)
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _own_ranges(request: HttpRequest, ranges: QuerySet[ReferenceRange]) -> QuerySet[ReferenceRange]:
    """A clinic admin sees and edits their clinics' ranges; the defaults are the superuser's."""
    if request.user.is_superuser:
        return ranges
    return ranges.filter(clinic__in=administered_clinics(request.user))


@admin.register(LabTest)
class LabTestAdmin(AuditedAdmin):
    list_display = ["name", "loinc", "unit", "plausible_low", "plausible_high"]
    readonly_fields = ["code", "loinc", "unit", "units", "qualitative"]
    fields = [
        "code",
        "name",
        "loinc",
        "unit",
        "units",
        "qualitative",
        "bands",
        "critical_low",
        "critical_high",
        "plausible_low",
        "plausible_high",
        "note",
    ]
    inlines = [ReferenceRangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Limits apply to every clinic: only a superuser changes them.
        if request.user.is_superuser:
            return list(self.readonly_fields)
        return [name for name in self.fields or () if isinstance(name, str)]


@admin.register(ReferenceRange)
class ReferenceRangeAdmin(AuditedAdmin):
    list_display = ["test", "clinic", "sex", "low", "high"]
    # Only the clinics whose ranges the admin can see, never every clinic's name.
    list_filter = ["test", ("clinic", admin.RelatedOnlyFieldListFilter)]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReferenceRange]:
        return _own_ranges(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = administered_clinics(request.user)
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(LabCodeMapping)
class LabCodeMappingAdmin(AuditedAdmin):
    """A laboratory's own codes, for results it sends without a LOINC code."""

    list_display = ["code", "sender", "test", "clinic"]
    list_filter = [("clinic", admin.RelatedOnlyFieldListFilter), "test"]
    search_fields = ["code", "sender"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LabCodeMapping]:
        codes = super().get_queryset(request).select_related("clinic", "test")
        if request.user.is_superuser:
            return codes
        return codes.filter(clinic__in=administered_clinics(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = administered_clinics(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
